"""Faults injected into the dataset stage of the real workflow (a real Snakemake run in a temporary copy, servers
on 127.0.0.1): a hand-placed archive and a changed URL, a wrong md5, a batch whose labels do not match its rows,
a damaged archive, a trickling server. Each case checks the outcome, not only the message: the exit code, the
archive still in place, and no temporary file left in resources/ or results/source/."""

import os
import signal
import time
from pathlib import Path

import pytest
import yaml

from conftest import archive_with_batch, copy_workflow, run_snakemake, start_snakemake
from imgbench import cifar_archive

pytestmark = pytest.mark.slow
ARCHIVE = Path("resources/cifar-10-python.tar.gz")


def small_config(url: str, md5: str, **dataset_keys) -> dict:
    return {
        "methods": ["npy"],
        "cutoffs": [10],
        "min_repeats": 1,
        "min_sample_seconds": 0,
        "max_repeats": 1,
        "cache": ["warm"],
        "patterns": {"kinds": []},
        "dataset": {"source": "download", "url": url, "md5": md5, **dataset_keys},
    }


def run(workdir: Path, config: dict):
    (workdir / "test.yaml").write_text(yaml.safe_dump(config))
    return run_snakemake(workdir, "--configfile", "test.yaml", check=False, timeout=300)


def leftovers(workdir: Path) -> list[str]:
    """Files a failed or interrupted job may leave: partial downloads and unfinished arrays."""
    found = []
    for folder in ("resources", "results/source"):
        if (workdir / folder).exists():
            found += [str(p.relative_to(workdir)) for p in (workdir / folder).rglob("*")]
    return [name for name in found if name.endswith((".part", ".tmp"))]


@pytest.fixture
def workdir(tmp_path) -> Path:
    return copy_workflow(tmp_path / "wf")


def place(archive_bytes: bytes, workdir: Path) -> Path:
    placed = workdir / ARCHIVE
    placed.parent.mkdir(parents=True, exist_ok=True)
    placed.write_bytes(archive_bytes)
    return placed


def test_a_placed_archive_survives_a_changed_url(workdir, archive, http_server):
    """The error's own advice after a failed download: place the archive and change dataset.url. Snakemake once
    reran download for the changed parameter, deleting the archive first; the new URL failed and it was gone."""
    md5 = cifar_archive.md5_of(archive)
    first = run(workdir, small_config(f"{http_server}/moved.tar.gz", md5))
    assert first.returncode != 0 and "HTTP 404" in first.stderr
    assert f"place the archive by hand at {ARCHIVE} (it is still checked)" in first.stderr
    placed = place(archive.read_bytes(), workdir)

    second = run(workdir, small_config(f"{http_server}/moved-again.tar.gz", md5))

    assert second.returncode == 0, second.stderr[-3000:]
    assert placed.read_bytes() == archive.read_bytes()
    assert (workdir / "results" / "summary.csv").exists()
    assert "download" not in second.stderr.split("Job stats:")[1].split("total")[0]
    assert leftovers(workdir) == []


def test_a_downloaded_archive_is_not_fetched_again_for_a_new_url(workdir, archive, http_server):
    md5 = cifar_archive.md5_of(archive)
    assert run(workdir, small_config(f"{http_server}/{archive.name}", md5)).returncode == 0
    downloaded = (workdir / ARCHIVE).stat()

    again = run(workdir, small_config(f"{http_server}/elsewhere.tar.gz", md5))

    assert again.returncode == 0, again.stderr[-3000:]
    assert "Nothing to be done" in again.stderr
    assert (workdir / ARCHIVE).stat().st_ino == downloaded.st_ino
    assert cifar_archive.md5_of(workdir / ARCHIVE) == md5


def test_a_killed_download_then_a_placed_archive(workdir, archive, hostile_server):
    """kill -9 during the download leaves a .part file and Snakemake's incomplete marker on the archive; the user
    then places the archive by hand. The rerun (rerun-incomplete is in the profile) once deleted it again as an
    incomplete output and downloaded anew; nothing may delete it, and the stale .part file is removed."""
    config = small_config(f"{hostile_server}/silent", cifar_archive.md5_of(archive))  # headers, then nothing
    (workdir / "test.yaml").write_text(yaml.safe_dump(config))
    running = start_snakemake(workdir, "--configfile", "test.yaml")
    partial, deadline = workdir / "resources" / "cifar-10-python.tar.gz.part", time.monotonic() + 120
    try:
        while not partial.exists():
            assert running.poll() is None and time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)
    finally:
        os.killpg(running.pid, signal.SIGKILL)  # Snakemake and its job die at once
        running.wait()
    assert list((workdir / ".snakemake" / "incomplete").iterdir())  # the marker is there
    placed = place(archive.read_bytes(), workdir)
    run_snakemake(workdir, "--unlock", "--configfile", "test.yaml")

    result = run(workdir, config)

    assert result.returncode == 0, result.stderr[-3000:]
    assert placed.read_bytes() == archive.read_bytes()
    assert (workdir / "results" / "summary.csv").exists()
    assert leftovers(workdir) == []


def test_a_placed_archive_with_a_wrong_md5_is_kept_and_explained(workdir, archive, http_server):
    placed = place(archive.read_bytes(), workdir)
    wrong = "c58f30108f718f92721af3b95e74349a"  # the real CIFAR-10 md5; this is the synthetic archive

    result = run(workdir, small_config(f"{http_server}/{archive.name}", wrong))

    assert result.returncode != 0
    found = cifar_archive.md5_of(archive)
    assert f"checksum mismatch for {ARCHIVE}: expected md5 {wrong} (dataset.md5), found {found}; the file was kept" in (
        result.stderr
    )
    assert "delete it so that the next run downloads it from dataset.url" in result.stderr
    assert placed.read_bytes() == archive.read_bytes()
    assert not (workdir / "results" / "source" / "images.npy").exists()
    assert leftovers(workdir) == []

    placed.unlink()  # as the message says: the next run downloads it
    recovered = run(workdir, small_config(f"{http_server}/{archive.name}", cifar_archive.md5_of(archive)))
    assert recovered.returncode == 0, recovered.stderr[-3000:]
    assert cifar_archive.md5_of(placed) == cifar_archive.md5_of(archive)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda b: b | {b"labels": b[b"labels"] + [1, 2, 3, 4]}, "data_batch_3 has 40 image rows but 44 labels"),
        (lambda b: b | {b"labels": b[b"labels"][:36]}, "data_batch_3 has 40 image rows but 36 labels"),
        (lambda b: b | {b"labels": [10] + b[b"labels"][1:]}, "data_batch_3 has label 10"),
    ],
    ids=["more_labels", "fewer_labels", "label_10"],
)
def test_a_batch_that_does_not_match_its_labels_stops_the_run(workdir, archive, tmp_path, change, problem):
    """More labels than rows once gave zero-filled images and exit 0; fewer, a traceback and a .tmp file."""
    bad = archive_with_batch(archive, tmp_path / "bad.tar.gz", "data_batch_3", change)
    placed = place(bad.read_bytes(), workdir)

    result = run(workdir, small_config("http://127.0.0.1:9/unused.tar.gz", cifar_archive.md5_of(bad)))

    assert result.returncode != 0
    assert f"the archive {ARCHIVE} is not an intact CIFAR-10 python archive: {problem}" in result.stderr
    assert "Traceback" not in result.stderr
    assert placed.read_bytes() == bad.read_bytes()
    assert not (workdir / "results" / "source" / "images.npy").exists()
    assert not (workdir / "results" / "timings.csv").exists()
    assert leftovers(workdir) == []


def test_a_truncated_archive_with_a_matching_md5_is_explained(workdir, archive):
    truncated = archive.read_bytes()[: archive.stat().st_size // 2]
    placed = place(truncated, workdir)

    result = run(workdir, small_config("http://127.0.0.1:9/unused.tar.gz", cifar_archive.md5_of(placed)))

    assert result.returncode != 0
    assert f"the archive {ARCHIVE} is truncated or damaged" in result.stderr
    assert "Traceback" not in result.stderr
    assert placed.read_bytes() == truncated
    assert leftovers(workdir) == []


def test_a_trickling_server_fails_the_download_and_leaves_nothing(workdir, hostile_server):
    """One byte every 0.5 s, far below 1000 bytes/s over 2 s; without the floor this ran for as long as the
    server kept trickling."""
    config = small_config(f"{hostile_server}/trickle", "0" * 32, download_speed_limit=1000, download_speed_time=2)

    result = run(workdir, config)

    assert result.returncode != 0
    assert f"download of {hostile_server}/trickle stopped: " in result.stderr
    floor = "fewer than dataset.download_speed_limit (1000 bytes/s) over dataset.download_speed_time (2 s)"
    assert floor in result.stderr
    assert not (workdir / "resources").exists() or list((workdir / "resources").iterdir()) == []
    assert not (workdir / "results" / "source").exists()
