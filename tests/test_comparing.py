"""Paired comparisons: store rounds free the disk as they go (a long comparison of fast stores once filled
47 GB), and every round runs in a fresh process of its own, whose failures reach the job as one message."""

import os
import shutil
from pathlib import Path

import pytest

from conftest import make_job, write_synthetic_source
from imgbench import comparing, storing
from imgbench.errors import BenchmarkError
from imgbench.source import Source
from imgbench.storing import holds_few_files


class Watched(comparing.Comparison):
    """A comparison that notes, before every round, which rounds still hold stores on disk."""

    def play_round(self, operation, turns):
        rounds = sorted(self.work.glob(f"{operation}/round-*"), key=lambda p: int(p.name.split("-")[1]))
        held = {r.name: sorted(store.parent.name for turn in r.iterdir() for store in turn.iterdir()) for r in rounds}
        self.seen.append(held)
        return super().play_round(operation, turns)


def test_store_rounds_delete_the_previous_rounds_small_stores_and_keep_stores_of_many_files(tmp_path):
    source = Source(write_synthetic_source(tmp_path / "source", 8, 8, 1000))
    stores = tmp_path / "stores"
    contestants = {}
    for method in ("npy", "disk"):  # disk at 1,000 images: 1,001 files, more than storing.FEW_FILES
        job = make_job(method, source, min_repeats=1, max_repeats=1, warmup_runs=0)
        storing.measure_store(job, "store_many", 1000, stores / method / "1000")
        contestants[method] = comparing.Contestant(job, stores / method / "1000")
    assert not holds_few_files(stores / "disk" / "1000") and holds_few_files(stores / "npy" / "1000")
    settings = {"reference": "npy", "operations": ["store"], "max_seconds": 0.5, "min_rounds": 4, "precision": 0.01,
                "seed": 0}  # fmt: skip
    comparison = Watched(contestants, "npy", 1000, tmp_path / "work", settings)
    comparison.seen = []
    rows = comparison.run()
    assert {row["round"] for row in rows} >= {0, 1, 2, 3}
    assert all(row["host_steal"] == "" or 0.0 <= float(row["host_steal"]) <= 1.0 for row in rows)  # per round
    last = comparison.seen[-1]  # before the last round
    assert len(last) >= 3, last
    *older, previous = last
    for name in older:  # only disk's stores are left in rounds before the previous one
        assert last[name] == ["disk-0"], (name, last)
    assert "npy-0" in last[previous] and "npy-1" in last[previous]
    assert not (tmp_path / "work" / "store").exists()  # and nothing once the operation ends
    assert Path(stores / "npy" / "1000").is_dir()  # the compared stores themselves stay


def small_comparison(tmp_path, methods=("npy", "hdf5"), n=200):
    source = Source(write_synthetic_source(tmp_path / "source", 8, 8, n))
    contestants = {}
    for method in methods:
        job = make_job(method, source, min_repeats=1, max_repeats=1, warmup_runs=0)
        storing.measure_store(job, "store_many", n, tmp_path / "stores" / method / str(n))
        contestants[method] = comparing.Contestant(job, tmp_path / "stores" / method / str(n))
    settings = {"reference": "npy", "operations": ["read_warm"], "max_seconds": 0.2, "min_rounds": 3,
                "precision": 0.01, "seed": 0}  # fmt: skip
    return comparing.Comparison(contestants, "npy", n, tmp_path / "work", settings)


def test_every_round_runs_in_a_fresh_process_of_its_own(tmp_path):
    comparison = small_comparison(tmp_path)
    turns = [("npy", tmp_path / "t" / "a"), ("hdf5", tmp_path / "t" / "b"), ("npy", tmp_path / "t" / "c")]
    first, second = comparison.play_round("read_warm", turns), comparison.play_round("read_warm", turns)
    assert len({r.pid for r in first}) == 1 and len({r.pid for r in second}) == 1  # one process per round
    assert first[0].pid != second[0].pid and os.getpid() not in (first[0].pid, second[0].pid)
    assert all(r.seconds > 0 and r.ended_ns > r.started_ns for r in first + second)
    reference = comparison.contestants["npy"].job.overhead.seconds
    assert reference["cache warm"] > 0 and reference["round process"] > 0  # the child's overhead, counted here


def test_a_damaged_store_fails_the_round_with_the_readers_message(tmp_path):
    comparison = small_comparison(tmp_path)
    (tmp_path / "stores" / "hdf5" / "200" / "images.h5").write_bytes(b"not an HDF5 file")
    with pytest.raises(BenchmarkError, match="delete .*hdf5/200 and run again"):
        comparison.play_round("read_warm", [("hdf5", tmp_path / "t")])


def test_a_round_process_that_dies_is_one_clear_error(tmp_path):
    comparison = small_comparison(tmp_path, methods=("npy",))
    shutil.rmtree(tmp_path / "source")  # the child cannot even open the source: a crash, not a BenchmarkError
    with pytest.raises(BenchmarkError, match=r"round's process exited with status 1 \(FileNotFoundError"):
        comparison.play_round("read_warm", [("npy", tmp_path / "t")])


def test_a_turns_untimed_warm_up_is_not_primed_and_its_timed_loops_are(tmp_path):
    """Priming before the warm-up loop of every turn cost 93 s of a default run and changed no timing."""
    n = 6000  # a cold read of 18 MB of npy needs more fresh memory than memory.PRIME_MIN_BYTES
    source = Source(write_synthetic_source(tmp_path / "source", 32, 32, n))
    job = make_job("npy", source, min_repeats=1, max_repeats=1, warmup_runs=0, prime_memory=True)
    storing.measure_store(job, "store_many", n, tmp_path / "store")
    contestant = comparing.Contestant(job, tmp_path / "store", loops=2)
    turns = comparing.Turns({"npy": contestant}, n)
    primed = job.overhead.seconds.get("prime", 0.0)  # the store's own priming
    try:
        turns.run_loops("read_cold", contestant, 1, tmp_path / "warmup", comparing.Measurement(), prime=False)
        assert job.overhead.seconds.get("prime", 0.0) == primed
        turns.turn("read_cold", "npy", tmp_path / "turn")
        assert job.overhead.seconds["prime"] > primed
    finally:
        job.primer.close()
