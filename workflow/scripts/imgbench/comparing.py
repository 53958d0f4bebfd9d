"""Paired comparisons at one store size: in one job, rounds in which every method performs the same operation
once, in a fresh random order per round, the reference twice (an A/A control), until every ratio to the
reference is precise or the budget is spent (comparison.PairedRounds; docs/statistics.md).

Operations: ``read_warm`` and ``read_cold`` read each method's store sequentially (the cache state prepared
just before the method's turn, every image verified outside the timer); ``store`` stores the images into a
fresh directory (all removed, outside the timer, when the operation's rounds are done). An operation shorter
than min_sample_seconds is looped within a turn, the same number of times in every round. The rows are one
per turn; stats.comparisons turns them into ratios with intervals.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgbench import cache
from imgbench.comparison import Arm, PairedRounds
from imgbench.fsutil import files_under, fresh_dir, remove_trees
from imgbench.measurement import Job, Measurement
from imgbench.memory import prime_rest, read_need, worth_priming
from imgbench.reading import Pattern, current_files, index_batches, read_batches
from imgbench.sampling import loops_for
from imgbench.storing import holds_few_files, store_need, store_once

OPERATIONS = {"read_warm": ("read_many", cache.CacheMode.WARM), "read_cold": ("read_many", cache.CacheMode.COLD),
              "store": ("store_many", None)}  # fmt: skip
COLUMNS = ["n_images", "operation", "cache", "method", "copy", "round", "loops", "seconds", "started_ns", "ended_ns"]


@dataclass
class Contestant:
    """One method in a comparison: its job, its store at this size, and how many loops make one turn."""

    job: Job
    store: Path
    loops: int = 1
    previous: float | None = None  # seconds of its last turn, for the priming rule


class Comparison:
    """The rounds of every configured operation, for the methods' stores of n_images each."""

    def __init__(self, contestants: dict[str, Contestant], reference: str, n_images: int, work: Path, compare: dict):
        self.contestants, self.reference, self.n_images = contestants, reference, n_images
        self.work, self.compare = Path(work), compare
        self.files = {name: files_under(c.store) for name, c in contestants.items()}
        self.sizes = {name: sum(f.stat().st_size for f in files) for name, files in self.files.items()}
        self.rng = np.random.default_rng(compare["seed"])

    def turn(self, operation: str, name: str, directory: Path | None) -> Measurement:
        """One method's turn: `loops` operations, their preparation outside the timer."""
        contestant = self.contestants[name]
        job, loops, n = contestant.job, contestant.loops, self.n_images
        measurement, (_kind, mode), outside = Measurement(), OPERATIONS[operation], contestant.job.overhead
        if mode is None:  # a store
            with outside("clear"):
                targets = [fresh_dir(directory / str(k)) for k in range(loops)]
            with outside("sync"):
                os.sync()
            need = store_need(job, n) * loops
            if worth_priming(job.settings.prime_memory, contestant.previous, need):
                with outside("prime"):
                    prime_rest(need, 0)
            for target in targets:
                store_once(job, target, n, job.settings.options, measurement)
        else:
            batches = index_batches(Pattern(), n, job.chunk_images, job.settings.seed)
            chunk_bytes = min(n, job.chunk_images) * job.source.image_bytes
            need = read_need(mode == cache.CacheMode.COLD, self.sizes[name], chunk_bytes)
            for _loop in range(loops):
                with outside(f"cache {mode}"):
                    files, size = current_files(job, contestant.store, (self.files[name], self.sizes[name]))
                    state = cache.ensure(mode, contestant.store, files, size)
                if worth_priming(job.settings.prime_memory, contestant.previous, need):
                    with outside("prime"):
                        prime_rest(need, state.released_bytes)
                read_batches(job, contestant.store, batches, f"compare {name} n={n} {operation}", measurement)
        contestant.previous = measurement.seconds
        return measurement

    def calibrate(self, operation: str) -> None:
        """One untimed-in-statistics turn per method (a warm-up) sets its loops for this operation."""
        for name, contestant in self.contestants.items():
            contestant.loops, contestant.previous = 1, None
            seconds = self.turn(operation, name, self.work / operation / "calibrate" / name).seconds
            target = contestant.job.min_sample_seconds  # 0 for a method with a service
            contestant.loops = loops_for(seconds, target) if target > 0 else 1

    def rounds(self, operation: str) -> list[dict]:
        """Every round of one operation, until PairedRounds stops; one row per turn."""
        kind, mode = OPERATIONS[operation]
        self.calibrate(operation)
        rounds = PairedRounds(list(self.contestants), self.reference, self.compare["max_seconds"], self.rng,
                              precision=self.compare["precision"], min_rounds=self.compare["min_rounds"])  # fmt: skip
        rows = []
        try:
            while not rounds.done:
                seconds = {}
                for arm in rounds.next_order():
                    directory = self.work / operation / f"round-{rounds.rounds}" / f"{arm.method}-{arm.copy}"
                    measurement = self.turn(operation, arm.method, directory)
                    loops = self.contestants[arm.method].loops
                    seconds[arm] = measurement.seconds / loops
                    rows.append(self.row(operation, mode, arm, rounds.rounds, loops, measurement))
                rounds.add_round(seconds)
                if mode is None:  # stores: the previous round's go now (loops x 60 s of them filled 47 GB)
                    self.discard_round(operation, rounds.rounds - 2)
            print(f"note: {operation} at {self.n_images:,} images: {rounds.rounds} rounds, stopped by "
                  f"{rounds.stop_reason}, widest interval ±{rounds.precision_reached:.1%}", flush=True)  # fmt: skip
        finally:
            with self.contestants[self.reference].job.overhead("delete"):
                remove_trees([self.work / operation])
        return rows

    def discard_round(self, operation: str, number: int) -> None:
        """Delete round number's stores that hold few files, outside the timers; stores of many files stay
        until the operation ends, as in a store job (storing.holds_few_files)."""
        directory = self.work / operation / f"round-{number}"
        if number < 0 or not directory.is_dir():
            return
        with self.contestants[self.reference].job.overhead("delete"):
            remove_trees([store for turn in directory.iterdir() for store in turn.iterdir() if holds_few_files(store)])

    def row(self, operation: str, mode, arm: Arm, number: int, loops: int, measurement: Measurement) -> dict:
        watch = measurement.watch
        return {"n_images": self.n_images, "operation": operation, "cache": mode.value if mode else "",
                "method": arm.method, "copy": arm.copy, "round": number, "loops": loops,
                "seconds": f"{measurement.seconds / loops:.9f}", "started_ns": watch.started_ns,
                "ended_ns": watch.ended_ns}  # fmt: skip

    def run(self) -> list[dict]:
        return [row for operation in self.compare["operations"] for row in self.rounds(operation)]
