"""The machine record every timing row carries: package versions without importlib.metadata's cost."""

import sys
from importlib import metadata

from imgbench import environment


def test_package_versions_match_importlib_metadata():
    names = [*environment.PACKAGES, "pytest"]
    assert environment.package_versions(names) == {name: metadata.version(name) for name in names}


def test_a_missing_package_is_reported_as_not_installed():
    assert environment.package_versions(["no-such-package-imgbench"]) == {"no-such-package-imgbench": "not installed"}


def test_the_first_dist_info_on_sys_path_wins(tmp_path, monkeypatch):
    """As with importlib.metadata: a directory earlier on sys.path shadows site-packages."""
    info = tmp_path / "Pillow-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Pillow\nVersion: 0.0.1\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert environment.package_versions(["pillow"]) == {"pillow": "0.0.1"}
    assert metadata.version("pillow") == "0.0.1"
