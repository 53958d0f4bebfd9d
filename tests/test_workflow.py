"""The whole workflow, run for real by Snakemake in a temporary copy, on the synthetic archive served over
HTTP on 127.0.0.1 (so the real download code runs), with small cutoffs."""

import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from conftest import copy_workflow, needs_weed, remote, run_snakemake
from imgbench import cifar_archive, methods, stats
from imgbench.fsutil import read_csv

pytestmark = pytest.mark.slow
# Two cutoffs: 100 (the extra patterns' cutoff, two chunks of 64) and 300 (more than the 200 source images: they
# repeat). A third of 10 (one chunk, as each method's single-image store is too) added a store and a read job per
# method: 34 of 126 jobs.
CUTOFFS = [100, 300]
# Every method module, a container+codec pair for each of the first containers (a lossy one among them), wids on
# the tar store, and an old alias: the contract tests (test_methods.py, test_formats.py) cover every pair; this
# covers the pipeline's handling of each kind. lance is left out: it refuses the parallel pattern's forked
# workers (methods/containers/lance.py), which test_formats.py checks; so are the methods with an S3 server
# (s3parquet), which need one and run in test_an_s3_method_runs_end_to_end_beside_npy.
PLAIN_METHODS = [name for name in methods.plain() if name != "lance" and not remote(name)]
METHODS = [*PLAIN_METHODS, "files+qoi", "lmdb+jpeg90", "hdf5+png1", "tar+webp0", "wids+webp0", "png_lmdb"]


def make_config(archive, http_server, **changes) -> dict:
    config = {
        "methods": METHODS,
        "cutoffs": CUTOFFS,
        "min_repeats": 2,
        "min_sample_seconds": 0.002,  # loops for the shortest operations, without making the test long
        "max_repeats": 2,
        "warmup_runs": 1,
        "chunk_images": 64,
        "patterns": {"kinds": ["random", "batch", "parallel", "single_latency"], "cutoffs": [100],
                     "batch_sizes": [1, 32], "workers": [1, 2], "latency_reads": 50},
        "dataset": {"source": "download", "url": f"{http_server}/{archive.name}", "md5": cifar_archive.md5_of(archive)},
    }  # fmt: skip
    return config | changes


def write_config(workdir: Path, config: dict, name="test.yaml") -> str:
    (workdir / name).write_text(yaml.safe_dump(config))
    return name


@pytest.fixture(scope="module")
def finished(tmp_path_factory, archive, http_server):
    """One complete run with --cores 2 (timed jobs must still never overlap)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow") / "wf")
    config = make_config(archive, http_server)
    run_snakemake(workdir, "--cores", "2", "--configfile", write_config(workdir, config))
    return workdir, config


def job_counts(dry_run_output: str) -> dict:
    """The 'Job stats' table of a dry run, as {rule: count}."""
    table = dry_run_output.split("Job stats:")[1]
    counts = {}
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match or match.group(1) == "total":
            break
        counts[match.group(1)] = int(match.group(2))
    return counts


def test_timings_hold_the_full_grid(finished):
    workdir, config = finished
    rows = read_csv(workdir / "results" / "timings.csv")
    seen = defaultdict(set)
    for row in rows:
        if row["pattern"] == "sequential":
            seen[(row["method"], row["operation"], row["cache"])].add(int(row["n_images"]))
    for method in METHODS:
        assert seen[(method, "store_many", "")] == set(CUTOFFS)
        assert seen[(method, "store_single", "")] == {1}
        for cache in ("warm", "cold"):
            assert seen[(method, "read_many", cache)] == set(CUTOFFS)
            assert seen[(method, "read_single", cache)] == {1}
    repeats = defaultdict(list)
    for row in rows:
        key = tuple(row[c] for c in stats.GROUP)
        repeats[key].append((int(row["repeat"]), int(row["warmup"])))
    for key, seen_repeats in repeats.items():
        assert sorted(seen_repeats) == [(0, 1), (1, 0), (2, 0)], key
    assert all(float(row["seconds"]) > 0 for row in rows)


def test_every_extra_pattern_was_measured(finished):
    workdir, _ = finished
    rows = read_csv(workdir / "results" / "timings.csv")
    variants = {(r["pattern"], r["batch_size"], r["workers"]) for r in rows if r["n_images"] == "100"}
    assert variants >= {("random", "0", "1"), ("batch", "1", "1"), ("batch", "32", "1"),
                        ("parallel", "0", "1"), ("parallel", "0", "2"), ("single_latency", "0", "1")}  # fmt: skip
    first = {(r["method"], r["n_images"], r["cache"]) for r in rows if r["pattern"] == "first_image"}
    assert first == {(m, str(n), cache) for m in METHODS for n in CUTOFFS for cache in ("warm", "cold")}
    latency = [r for r in rows if r["pattern"] == "single_latency"]
    assert latency and all(float(r["p50_seconds"]) <= float(r["p99_seconds"]) for r in latency)
    assert all(r["op_images"] == "50" for r in latency)


def test_cold_reads_were_evicted(finished):
    workdir, _ = finished
    rows = read_csv(workdir / "results" / "timings.csv")
    cold = [r for r in rows if r["cache"] == "cold"]
    warm = [r for r in rows if r["cache"] == "warm"]
    assert cold and all(r["cache_verified"] == "1" and float(r["resident_fraction"]) <= 0.05 for r in cold)
    assert warm and all(float(r["resident_fraction"]) >= 0.95 for r in warm)


def test_summary_rows_trace_back_to_raw_rows(finished):
    workdir, _ = finished
    rows = read_csv(workdir / "results" / "timings.csv")
    summary = read_csv(workdir / "results" / "summary.csv")
    assert summary
    for line in summary:
        key = tuple(line[c] for c in stats.GROUP)
        samples = [float(r["seconds"]) for r in rows if tuple(r[c] for c in stats.GROUP) == key and r["warmup"] == "0"]
        assert len(samples) == int(line["n_repeats"]) == 2
        assert float(line["median"]) == pytest.approx(float(np.median(samples)))
        assert float(line["min"]) == pytest.approx(min(samples))


def test_timed_jobs_never_overlap_under_two_cores(finished):
    workdir, _ = finished
    spans = []
    for path in (workdir / "results" / "raw").rglob("*.csv"):
        if "usage" in path.parts:
            continue
        rows = read_csv(path)
        spans.append((min(int(r["started_ns"]) for r in rows), max(int(r["ended_ns"]) for r in rows), path))
    spans.sort()
    assert len(spans) == len(METHODS) * (2 * len(CUTOFFS) + 1)
    for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
        assert end <= start, f"{first} and {second} overlapped"


def test_overhead_report_accounts_for_every_timed_second(finished):
    """benchmarks/overhead.py: per-job wall from Snakemake's metadata against the timers' sum."""
    workdir, _ = finished
    script = Path(__file__).parents[1] / "benchmarks" / "overhead.py"
    out = subprocess.run([sys.executable, script, workdir, "--top", "1000"], capture_output=True, text=True, check=True)
    rows = [line.split() for line in out.stdout.splitlines()[1:] if "results/" in line]
    timed_jobs = [row for row in rows if row[0] in ("store", "read", "single")]
    assert len(timed_jobs) == len(METHODS) * (2 * len(CUTOFFS) + 1)
    assert all(float(row[4]) >= 0 for row in rows), "a job's timers summed to more than its wall time"
    # a row's seconds are per operation, and it timed loops of them; compare rounds are timed work too
    raw = [workdir / "results" / "timings.csv", *(workdir / "results" / "raw" / "compare").glob("*.csv")]
    timed = sum(float(row["seconds"]) * int(row["loops"]) for path in raw for row in read_csv(path))
    assert re.search(rf"inside timers {timed:.1f} s", out.stdout), out.stdout


def test_job_logs_say_where_time_outside_the_timers_went(finished):
    workdir, _ = finished
    store_log = (workdir / "results" / "logs" / "store" / "disk" / f"{max(CUTOFFS)}.log").read_text()
    read_log = (workdir / "results" / "logs" / "read" / "disk" / f"{max(CUTOFFS)}.log").read_text()
    assert re.search(r"outside the timers: .*delete [0-9.]+ s", store_log), store_log[-2000:]
    assert re.search(r"outside the timers: .*verify [0-9.]+ s", read_log), read_log[-2000:]
    assert "cache cold" in read_log


def test_disk_usage_is_measured_per_store(finished):
    workdir, _ = finished
    usage_rows = read_csv(workdir / "results" / "disk_usage.csv")
    assert {(r["method"], int(r["n_images"])) for r in usage_rows} == {(m, n) for m in METHODS for n in CUTOFFS}
    for row in usage_rows:
        store = workdir / "results" / "stores" / row["method"] / row["n_images"]
        # Snakemake adds an empty .snakemake_timestamp to directory outputs after the job measured them.
        files = [p for p in store.rglob("*") if p.is_file() and p.name != ".snakemake_timestamp"]
        assert int(row["n_files"]) == len(files)
        assert int(row["bytes_apparent"]) == sum(p.stat().st_size for p in files)


def test_figures_are_valid_pngs(finished):
    workdir, _ = finished
    figures = sorted((workdir / "results" / "figures").glob("*.png"))
    assert figures
    for path in figures:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width >= 400 and image.height >= 300


def test_environment_and_summary_written(finished):
    workdir, _ = finished
    record = yaml.safe_load((workdir / "results" / "environment.json").read_text())
    assert record["cpu_cores"] >= 1 and record["libraries"]["liblmdb"] and record["filesystem"]["type"]
    machine_ids = {r["machine_id"] for r in read_csv(workdir / "results" / "timings.csv")}
    assert machine_ids == {record["machine_id"]}
    assert "npy" in (workdir / "results" / "summary.md").read_text()


def test_nothing_left_to_do(finished):
    workdir, _ = finished
    result = run_snakemake(workdir, "-n", "--configfile", "test.yaml")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_adding_a_cutoff_runs_only_its_jobs(finished, archive, http_server):
    workdir, config = finished
    name = write_config(workdir, config | {"cutoffs": [*CUTOFFS, 500]}, "more.yaml")
    counts = job_counts(run_snakemake(workdir, "-n", "--configfile", name).stdout)
    expected = {"store": len(METHODS), "read": len(METHODS)}
    assert counts == expected | {
        "aggregate": 1,
        "environment": 1,
        "figures": 1,
        "summary_markdown": 1,
        "all": 1,
    }


def test_removing_a_cutoff_reruns_only_aggregation(finished):
    workdir, config = finished
    name = write_config(workdir, config | {"cutoffs": CUTOFFS[:-1]}, "fewer.yaml")
    counts = job_counts(run_snakemake(workdir, "-n", "--configfile", name).stdout)
    assert counts == {"aggregate": 1, "environment": 1, "figures": 1, "summary_markdown": 1, "all": 1}


def test_adding_a_method_runs_only_its_jobs(finished):
    workdir, config = finished
    name = write_config(workdir, config | {"methods": METHODS[:-1]}, "fewer_methods.yaml")
    run_snakemake(workdir, "--cores", "1", "--configfile", name, "--allowed-rules", "aggregate", "environment",
                  "figures", "summary_markdown", "all")  # fmt: skip
    counts = job_counts(run_snakemake(workdir, "-n", "--configfile", "test.yaml").stdout)
    assert counts == {"aggregate": 1, "environment": 1, "figures": 1, "summary_markdown": 1, "all": 1}


def test_wrong_md5_fails_clearly_and_produces_no_data(tmp_path, archive, http_server):
    workdir = copy_workflow(tmp_path / "wf")
    wrong = "0123456789abcdef0123456789abcdef"
    config = make_config(archive, http_server, methods=["npy"], cutoffs=[10], patterns={"kinds": []})
    config["dataset"]["md5"] = wrong
    result = run_snakemake(workdir, "--configfile", write_config(workdir, config), check=False)
    assert result.returncode != 0
    assert f"expected md5 {wrong}, found {cifar_archive.md5_of(archive)}" in result.stderr
    assert not (workdir / "resources" / "cifar-10-python.tar.gz").exists()
    assert list((workdir / "resources").glob("*")) == []
    assert not (workdir / "results" / "source").exists() and not (workdir / "results" / "timings.csv").exists()


def test_hand_placed_archive_is_used_and_checked(tmp_path, archive):
    """No download when the archive is already in resources/, but its md5 is still checked."""
    workdir = copy_workflow(tmp_path / "wf")
    (workdir / "resources").mkdir()
    shutil.copy(archive, workdir / "resources" / "cifar-10-python.tar.gz")
    config = {"methods": ["npy"], "cutoffs": [10], "min_repeats": 1, "max_repeats": 1, "min_sample_seconds": 0,
              "cache": ["warm"],
              "dataset": {"source": "download", "url": "http://127.0.0.1:9/unreachable.tar.gz",
                          "md5": "0123456789abcdef0123456789abcdef"}}  # fmt: skip
    result = run_snakemake(workdir, "--configfile", write_config(workdir, config), check=False)
    assert result.returncode != 0 and "checksum mismatch" in result.stderr
    assert (workdir / "resources" / "cifar-10-python.tar.gz").exists(), "the user's file must not be deleted"
    config["dataset"]["md5"] = cifar_archive.md5_of(archive)
    run_snakemake(workdir, "--configfile", write_config(workdir, config))
    assert (workdir / "results" / "timings.csv").exists()


@needs_weed
def test_an_s3_method_runs_end_to_end_beside_npy(tmp_path, archive, http_server):
    """s3+png through every rule: its server started around each store and read (a parallel read's workers
    sharing one), every read verified, and no server left running."""
    workdir = copy_workflow(tmp_path / "wf")
    patterns = {"kinds": ["parallel", "concurrency", "single_latency"], "cutoffs": [10], "batch_sizes": [1],
                "workers": [2], "concurrency": [1, 4], "latency_reads": 5}  # fmt: skip
    # One sample per measurement, no warm-up: every operation of a method with a service starts its own server
    # (about 2.5 s), so 3 samples made 51 starts (130 of 180 s); one still starts and stops a server for each
    # of the 17 measurements. A server per sample is test_s3_methods.py's (one_operation_per_sample).
    one_sample = {"min_repeats": 1, "max_repeats": 1, "warmup_runs": 0}
    config = make_config(archive, http_server, methods=["npy", "s3+png"], cutoffs=[10], patterns=patterns, **one_sample)
    name = write_config(workdir, config)
    run_snakemake(workdir, "--cores", "1", "--configfile", name)
    rows = read_csv(workdir / "results" / "timings.csv")
    s3 = [row for row in rows if row["method"] == "s3+png"]
    assert {(r["operation"], r["cache"]) for r in s3} >= {("store_many", ""), ("read_many", "warm"),
                                                         ("read_many", "cold")}  # fmt: skip
    assert {r["pattern"] for r in s3} >= {"sequential", "parallel", "single_latency", "first_image"}
    assert all(r["cache_verified"] == "1" for r in s3 if r["cache"])
    # Requests in flight: reads at each level, stores at the level other than the store's own (1).
    in_flight = {(r["operation"], r["cache"], r["concurrency"]) for r in s3 if r["pattern"] == "concurrency"}
    assert in_flight == {("store_many", "", "4")} | {("read_many", c, n) for c in ("warm", "cold") for n in "14"}
    assert not [r for r in rows if r["method"] == "npy" and r["pattern"] == "concurrency"]
    store = workdir / "results" / "stores" / "s3+png" / "10"
    assert json.loads((store / "s3.json").read_text())["round_trip_ms"] == 0
    assert json.loads((workdir / "results" / "environment.json").read_text())["config"]["storage"] == {
        "s3": {"endpoint": "local", "bucket": "imgbench", "prefix": "imgbench", "round_trip_ms": 0}
    }
    assert processes_naming(workdir) == [], "a process still runs on the workflow's files"
    # The note's table (benchmarks/object_storage_table.py) from these results: s3+png beside npy.
    script = Path(__file__).parents[1] / "benchmarks" / "object_storage_table.py"
    table = subprocess.run([sys.executable, str(script), str(workdir / "results"), "--cutoff", "10"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "### Round trip 0 ms" in table and "| random, 1 in flight | random, 4 in flight |" in table
    s3_line = next(line for line in table.splitlines() if line.startswith("| s3+png |"))
    assert s3_line.count("/s") >= 5 and "| npy | " in table  # store, in order, 1 and 4 in flight, first image
    # Another delay reruns the s3 jobs only (config/object-storage.yaml's command).
    delayed = run_snakemake(workdir, "-n", "--configfile", name, "--config", "storage={s3: {round_trip_ms: 5}}")
    assert {rule: job_counts(delayed.stdout).get(rule) for rule in ("store", "read", "single")} == {
        "store": 1,
        "read": 1,
        "single": 1,
    }
    # A bucket or prefix means nothing to a local server; an existing service reruns the s3 jobs only.
    elsewhere = run_snakemake(
        workdir, "-n", "--configfile", name, "--config", "storage={s3: {bucket: bench2, prefix: p}}"
    )
    assert "Nothing to be done" in elsewhere.stdout + elsewhere.stderr
    remote = run_snakemake(
        workdir, "-n", "--configfile", name, "--config", "storage={s3: {endpoint: http://10.0.0.5:9}}"
    )
    assert {rule: job_counts(remote.stdout).get(rule) for rule in ("store", "read", "single")} == {
        "store": 1,
        "read": 1,
        "single": 1,
    }


def processes_naming(path: Path) -> list[str]:
    """Command lines of live processes that mention path (from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes()
        except OSError:  # ended meanwhile
            continue
        if str(path).encode() in argv:
            found.append(argv.replace(b"\0", b" ").decode(errors="replace"))
    return found
