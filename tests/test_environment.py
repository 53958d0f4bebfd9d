"""The machine record every timing row carries: package versions without importlib.metadata's cost."""

import sys
from importlib import metadata

from imgbench import datasets, environment


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


def test_the_record_shows_the_source_it_was_measured_on(source_dir, tmp_path):
    """environment.json carries source.json: the dataset, its shape, count, classes and where it came from."""
    info = datasets.read_info(source_dir)
    record = environment.environment_record(tmp_path, tmp_path, {"seed": 0}, info)
    assert record["source"] == info and record["source"]["image_shape"] == [32, 32, 3]
    assert record["source"]["dataset"] == "cifar10" and record["config"] == {"seed": 0}


def test_the_record_says_the_transparent_huge_page_mode(tmp_path):
    """As the kernel writes it: every choice, the one in use bracketed; a kernel without THP gives None."""
    (tmp_path / "enabled").write_text("always [madvise] never\n")
    (tmp_path / "defrag").write_text("always defer defer+madvise [madvise] never\n")
    assert environment.transparent_hugepages(tmp_path) == {"enabled": "madvise", "defrag": "madvise"}
    assert environment.transparent_hugepages(tmp_path / "absent") is None
    record = environment.environment_record(tmp_path, tmp_path, {})
    here = environment.transparent_hugepages()
    assert record["transparent_hugepages"] == here
    assert here is None or here["enabled"] in ("always", "madvise", "never")
