"""The real download code against servers on 127.0.0.1: md5 check, speed floor, and one message per failure."""

import hashlib
import os
import re
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO
from imgbench import cifar_archive
from imgbench.download import download
from imgbench.errors import BenchmarkError

FLOOR = {"speed_limit": 1000, "speed_time": 2}


def test_download_over_http_checks_md5(archive, http_server, tmp_path):
    target = tmp_path / "resources" / "cifar-10-python.tar.gz"
    download(f"{http_server}/{archive.name}", target, cifar_archive.md5_of(archive), **FLOOR)
    assert target.read_bytes() == archive.read_bytes()
    assert list(target.parent.iterdir()) == [target]


def test_download_from_file_url(archive, tmp_path):
    target = tmp_path / "a.tar.gz"
    download(archive.as_uri(), target, cifar_archive.md5_of(archive), **FLOOR)
    assert cifar_archive.md5_of(target) == cifar_archive.md5_of(archive)


def test_download_with_wrong_md5_keeps_nothing(archive, http_server, tmp_path):
    target = tmp_path / "resources" / "cifar-10-python.tar.gz"
    wrong = hashlib.md5(b"not the archive").hexdigest()
    with pytest.raises(BenchmarkError) as failure:
        download(f"{http_server}/{archive.name}", target, wrong, **FLOOR)
    message = str(failure.value)
    assert f"expected md5 {wrong}, found {cifar_archive.md5_of(archive)}" in message
    assert "synthetic" in message and "place the archive by hand" in message
    assert list(target.parent.iterdir()) == []


def test_http_error_advises_the_archive_path_not_the_part_file(http_server, tmp_path):
    target = tmp_path / "resources" / "cifar-10-python.tar.gz"
    with pytest.raises(BenchmarkError) as failure:
        download(f"{http_server}/missing.tar.gz", target, "0" * 32, **FLOOR)
    message = str(failure.value)
    assert "HTTP 404" in message and f"place the archive by hand at {target} (it is still checked)" in message
    assert ".part" not in message
    assert list(target.parent.iterdir()) == []


def test_download_without_network_is_explained(tmp_path):
    # Port 9 on loopback (discard) has no listener here: the connection is refused, as with no network.
    with pytest.raises(BenchmarkError, match="no network"):
        download("http://127.0.0.1:9/cifar.tar.gz", tmp_path / "a.tar.gz", "0" * 32, **FLOOR)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_file_url_is_not_blamed_on_the_network(tmp_path):
    missing = tmp_path / "nowhere" / "cifar-10-python.tar.gz"
    target = tmp_path / "resources" / "cifar-10-python.tar.gz"
    with pytest.raises(BenchmarkError) as failure:
        download(missing.as_uri(), target, "0" * 32, **FLOOR)
    message = str(failure.value)
    assert f"cannot read {missing}: No such file or directory" in message
    assert "network" not in message and "unreachable" not in message
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:abc/cifar.tar.gz", "http://exa mple.org/cifar.tar.gz", "cifar-10-python.tar.gz",
            "https://[::1/cifar.tar.gz"],
)  # fmt: skip
def test_an_invalid_url_is_named(url, tmp_path):
    with pytest.raises(BenchmarkError) as failure:
        download(url, tmp_path / "a.tar.gz", "0" * 32, **FLOOR)
    assert re.match(rf"dataset.url {re.escape(repr(url))} is not a valid URL \(.+\)\. To proceed", str(failure.value))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["trickle", "silent", "mute"])
def test_a_download_below_the_speed_floor_stops(hostile_server, tmp_path, path):
    """A byte every 0.5 s (or nothing) is far below 1,000 bytes/s over 2 s. Without the floor the trickle
    would run for days; this server hangs up after 20 s, which then ends in a checksum mismatch instead."""
    target = tmp_path / "resources" / "cifar-10-python.tar.gz"
    with pytest.raises(BenchmarkError) as failure:
        download(f"{hostile_server}/{path}", target, "0" * 32, **FLOOR)
    message = str(failure.value)
    assert f"download of {hostile_server}/{path} stopped: " in message
    assert "fewer than dataset.download_speed_limit (1000 bytes/s) over dataset.download_speed_time (2 s)" in message
    assert "nothing was kept" in message
    assert list(target.parent.iterdir()) == []


def test_a_connection_closed_early_is_named(hostile_server, tmp_path):
    target = tmp_path / "resources" / "cifar-10-python.tar.gz"
    with pytest.raises(BenchmarkError, match=r"the connection closed after 10 of 1000 bytes; nothing was kept"):
        download(f"{hostile_server}/short", target, "0" * 32, **FLOOR)
    assert list(target.parent.iterdir()) == []


def test_a_failed_write_is_not_blamed_on_the_network(archive, tmp_path):
    """A file-size limit (RLIMIT_FSIZE) makes the write fail as a full disk would, in a child process."""
    target = tmp_path / "resources" / "cifar-10-python.tar.gz"
    child = textwrap.dedent(f"""
        import resource, signal
        from imgbench.download import download
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
        download({archive.as_uri()!r}, {str(target)!r}, "0" * 32, speed_limit=1000, speed_time=2)
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO / "workflow" / "scripts"))
    result = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"cannot write the download to {target}.part: File too large; nothing was kept" in result.stderr
    assert "network" not in result.stderr
    assert list(target.parent.iterdir()) == []
