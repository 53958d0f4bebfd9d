"""Faults injected into timed jobs: no two timed jobs overlap whatever the scheduler does, a killed or failed
store leaves nothing behind for long, and a damaged store or a full disk ends in one clear message."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import copy_workflow, make_job, run_snakemake
from imgbench import cifar_archive, repeats, storing
from imgbench.errors import BenchmarkError
from imgbench.fsutil import read_csv

pytestmark = pytest.mark.slow


def setup_workdir(tmp_path: Path, archive: Path, **config) -> Path:
    """A fresh copy of the workflow with the archive hand-placed (no download) and a small test.yaml."""
    workdir = copy_workflow(tmp_path / "wf")
    (workdir / "resources").mkdir()
    (workdir / "resources" / "cifar-10-python.tar.gz").write_bytes(archive.read_bytes())
    base = {
        "min_repeats": 1,
        "min_sample_seconds": 0,
        "max_repeats": 1,
        "warmup_runs": 1,
        "cache": ["warm"],
        "patterns": {"kinds": []},
        "dataset": {"source": "download", "url": "http://127.0.0.1:9/x", "md5": cifar_archive.md5_of(archive)},
    }
    (workdir / "test.yaml").write_text(yaml.safe_dump(base | config))
    return workdir


def timed_spans(workdir: Path) -> list[tuple[int, int, str]]:
    """(first started_ns, last ended_ns, file) of every timed job's raw rows, in start order."""
    spans = []
    for path in (workdir / "results" / "raw").rglob("*.csv"):
        if "usage" not in path.parts:
            rows = read_csv(path)
            spans.append((min(int(r["started_ns"]) for r in rows), max(int(r["ended_ns"]) for r in rows), str(path)))
    return sorted(spans)


def overlapping(spans) -> list[tuple[str, str]]:
    return [(a[2], b[2]) for a, b in zip(spans, spans[1:], strict=False) if a[1] > b[0]]


def test_no_overlap_without_the_profile_under_two_cores(tmp_path, archive):
    """--workflow-profile none drops the timing_slot cap; the lock still keeps timed jobs apart."""
    workdir = setup_workdir(tmp_path, archive, methods=["npy", "hdf5", "lmdb", "lmdb_raw"], cutoffs=[10, 100, 150])
    run_snakemake(workdir, "--cores", "2", "--workflow-profile", "none", "--configfile", "test.yaml")
    spans = timed_spans(workdir)
    assert len(spans) == 4 * (2 * 3 + 1)
    assert overlapping(spans) == []
    logs = [p.read_text() for p in (workdir / "results" / "logs").rglob("*.log")]
    assert any("for the timing lock" in log for log in logs), "two timed jobs never even met"


def process_state(pid: int) -> str:
    """The State letter of /proc/PID/status ('' once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return line.split()[1]
    except OSError:
        pass
    return ""


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_a_job_orphaned_by_killing_snakemake_is_waited_for(tmp_path, archive):
    """kill -9 of Snakemake alone leaves its running store job alive; the rerun's job waits for its lock,
    never shares its repeat directories, and the results are whole and verified."""
    # About 25 s of PNG stores here: the orphan must outlive the unlock and the rerun's start (its DAG, 2-3 s).
    workdir = setup_workdir(tmp_path, archive, methods=["disk"], cutoffs=[20000], min_repeats=3, max_repeats=3)
    env = dict(os.environ, XDG_CACHE_HOME=str(workdir / ".cache"))
    run = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--configfile", "test.yaml"],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    stores = workdir / "results" / "stores" / "disk"
    deadline = time.monotonic() + 300
    while not any(p.name.startswith(".20000.") for p in repeats.leftover_repeats(stores.parent)):
        assert run.poll() is None and time.monotonic() < deadline, "the store job never started"
        time.sleep(0.05)
    # Snakemake's own child: the job's forked children (memory priming) run the same command line.
    jobs = [pid for pid in children(run.pid) if b"store.py" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(jobs) == 1, f"expected one store job process, found {jobs}"
    os.kill(run.pid, signal.SIGKILL)  # Snakemake only: its job keeps running
    run.wait()
    orphan = jobs[0]
    assert process_state(orphan) not in ("", "Z"), "the job died with Snakemake; nothing to test"

    run_snakemake(workdir, "--unlock", "--configfile", "test.yaml")
    # Only the orphan needs to be long: the rerun takes one sample of each measurement (its own store of 20,000
    # PNGs and their read, 4 samples each before: about 25 s), which still starts, waits and writes its rows.
    one_sample = ["--config", "min_repeats=1", "max_repeats=1", "warmup_runs=0"]
    rerun = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--configfile", "test.yaml", *one_sample],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process_state(orphan) not in ("", "Z"), "the orphan ended before the rerun started: make it longer"
    # The orphan writes its rows just before it lets the lock go; the rerun's job overwrites them much later.
    raw = workdir / "results" / "raw" / "store" / "disk" / "20000.csv"
    while not raw.exists():
        assert process_state(orphan) not in ("", "Z"), "the orphan ended without writing its rows"
        time.sleep(0.01)
    orphan_ended_ns = max(int(r["ended_ns"]) for r in read_csv(raw))  # CLOCK_MONOTONIC, as the rerun's rows
    output, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, output[-3000:]

    # The rerun's first timed job waits: the store itself, or the ceilings job if it runs first.
    logs = [p.read_text() for p in (workdir / "results" / "logs").rglob("*.log")]
    assert any(f"for the timing lock results/.timing.lock, held by PID {orphan} (store disk 20000)" in log
               for log in logs)  # fmt: skip
    rows = read_csv(workdir / "results" / "raw" / "store" / "disk" / "20000.csv")
    assert min(int(r["started_ns"]) for r in rows) > orphan_ended_ns
    assert overlapping(timed_spans(workdir)) == []
    assert repeats.leftover_repeats(workdir / "results" / "stores") == []
    assert sorted(p.name for p in stores.iterdir()) == ["20000", "single"]


def test_leftovers_of_a_killed_store_are_removed_by_the_next_run(tmp_path, archive):
    """A run killed mid-store leaves repeat directories; the next run removes them even when it no longer
    needs that store (here: the cutoff was dropped from the config)."""
    workdir = setup_workdir(tmp_path, archive, methods=["disk"], cutoffs=[10, 3000])
    env = dict(os.environ, XDG_CACHE_HOME=str(workdir / ".cache"))
    run = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--configfile", "test.yaml"],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    stores = workdir / "results" / "stores"
    deadline = time.monotonic() + 300
    while not any(len(os.listdir(p)) > 200 for p in repeats.leftover_repeats(stores)):
        assert run.poll() is None and time.monotonic() < deadline, "the big store job never started"
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)  # Snakemake and its job die at once
    run.wait()
    assert repeats.leftover_repeats(stores), "the killed store left nothing to clean"

    config = yaml.safe_load((workdir / "test.yaml").read_text()) | {"cutoffs": [10]}
    (workdir / "fewer.yaml").write_text(yaml.safe_dump(config))
    run_snakemake(workdir, "--unlock", "--configfile", "fewer.yaml")
    run_snakemake(workdir, "--configfile", "fewer.yaml")
    assert repeats.leftover_repeats(stores) == []
    assert (workdir / "results" / "timings.csv").exists()


@pytest.fixture(scope="module")
def disk_run(tmp_path_factory, archive):
    """One finished run of disk at 100 images, for finished_disk_run to copy."""
    workdir = setup_workdir(tmp_path_factory.mktemp("disk_run"), archive, methods=["disk"], cutoffs=[100])
    run_snakemake(workdir, "--configfile", "test.yaml")
    return workdir


@pytest.fixture
def finished_disk_run(disk_run, tmp_path):
    """A test's own copy of disk_run (metadata and timestamps kept, so only what a test forces reruns): the
    same run for each damage without running the workflow once per test (about 20 s each)."""
    return Path(shutil.copytree(disk_run, tmp_path / "wf", symlinks=True))


@pytest.mark.parametrize(
    ("damage", "expected"),
    [("truncate", r"37\.png: image file is truncated"), ("delete", r"No such file or directory: .*37\.png")],
)
def test_a_damaged_store_is_named_in_one_message(finished_disk_run, damage, expected):
    import re

    workdir = finished_disk_run
    png = workdir / "results" / "stores" / "disk" / "100" / "37.png"
    if damage == "truncate":
        png.write_bytes(png.read_bytes()[:200])
    else:
        png.unlink()
    result = run_snakemake(workdir, "--configfile", "test.yaml", "--forcerun", "read", check=False)
    assert result.returncode != 0
    assert re.search(rf"ERROR: disk n=100 sequential warm repeat 0: reading images .* from the store .*{expected}",
                     result.stderr), result.stderr[-3000:]  # fmt: skip
    assert "The store is damaged or incomplete: delete" in result.stderr
    assert "Traceback" not in result.stderr


def small_tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {mounted.stderr.decode().strip()}")


def test_a_full_disk_during_a_store_says_so_and_frees_the_space(tmp_path, archive):
    """The stores live on an 8 MB filesystem that a 4,000-image hdf5 store (12 MB) fills; the free-space check
    looks at results/, on the big disk, and lets the run start."""
    workdir = setup_workdir(tmp_path, archive, methods=["hdf5"], cutoffs=[4000])
    stores = workdir / "results" / "stores"
    small_tmpfs(stores, "8m")
    try:
        result = run_snakemake(workdir, "--configfile", "test.yaml", check=False)
        assert result.returncode != 0
        assert "is full: storing 4000 images with hdf5 failed" in result.stderr, result.stderr[-3000:]
        assert "Error recording metadata" not in result.stderr + result.stdout
        assert repeats.leftover_repeats(stores) == []
        assert not (stores / "hdf5" / "4000").exists()  # stores/hdf5/ itself exists only if "single" ran first
    finally:
        subprocess.run(["umount", str(stores)], check=False)


def test_a_failed_store_removes_its_repeats(tmp_path, source):
    """Directly in the harness: the store fails (disk full) at its second repeat; nothing of it is left."""
    small_tmpfs(tmp_path / "small", "4m")
    try:
        job = make_job("npy", source, min_repeats=1, max_repeats=1, warmup_runs=1, chunk_images=64, prime_memory=False)
        with pytest.raises(BenchmarkError, match="is full: storing 1000 images with npy failed"):
            storing.measure_store(job, "store_many", 1000, tmp_path / "small" / "npy" / "1000")
        assert list((tmp_path / "small" / "npy").iterdir()) == []
    finally:
        subprocess.run(["umount", str(tmp_path / "small")], check=False)
