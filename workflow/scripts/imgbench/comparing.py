"""Paired comparisons at one store size: in one job, rounds in which every method performs the same operation
once, in a fresh random order per round, the reference twice (an A/A control), until every ratio to the
reference is precise or the budget is spent (comparison.PairedRounds; docs/statistics.md).

Operations: ``read_warm`` and ``read_cold`` read each method's store sequentially (the cache state prepared
just before the method's turn, every image verified outside the timer); ``store`` stores the images into a
fresh directory (removed outside the timers). An operation shorter than min_sample_seconds is looped within
a turn, the same number of times in every round, after one untimed loop (a warm-up).

Every round runs in a fresh process (compare_round.py), as pyperf spreads its values over processes: some
of the variation is fixed per process (where its arrays land, whether they get huge pages), and a
comparison whose rounds all share one process misses it: npy's warm read of 10,000 images took 3.4-4.7 ms
in the compare job's process and 3.1-3.5 ms in the read job's of the same run, so the three runs' ratios
of one-process comparisons did not overlap. The rows are one per turn; stats.comparisons turns them into
ratios with intervals.
"""

import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imgbench import cache, methods
from imgbench.child import module_command
from imgbench.comparison import Arm, PairedRounds
from imgbench.errors import BenchmarkError
from imgbench.fsutil import files_under, fresh_dir, remove_trees
from imgbench.host import StealWatch
from imgbench.measurement import Job, Measurement
from imgbench.memory import Primer, read_need, worth_priming
from imgbench.reading import Pattern, index_batches, prepare_loop, read_batches
from imgbench.sampling import loops_for
from imgbench.settings import Settings
from imgbench.source import Source
from imgbench.storing import holds_few_files, store_need, store_once

OPERATIONS = {"read_warm": ("read_many", cache.CacheMode.WARM), "read_cold": ("read_many", cache.CacheMode.COLD),
              "store": ("store_many", None)}  # fmt: skip
COLUMNS = ["n_images", "operation", "cache", "method", "copy", "round", "loops", "seconds", "started_ns", "ended_ns",
           "host_steal"]  # fmt: skip
ROUND_MODULE = "imgbench.compare_round"


@dataclass
class Contestant:
    """One method in a comparison: its job, its store at this size, and how many loops make one turn."""

    job: Job
    store: Path
    loops: int = 1
    previous: float | None = None  # seconds of its last turn, for the priming rule


@dataclass(frozen=True)
class Entrant:
    """What a round's process needs to rebuild one contestant: picklable, unlike a Job (its Method)."""

    method: str
    settings: Settings
    source: Path
    store: Path
    loops: int
    previous: float | None

    @classmethod
    def of(cls, contestant: Contestant) -> "Entrant":
        job = contestant.job
        return cls(job.method_name, job.settings, job.source.directory, contestant.store, contestant.loops,
                   contestant.previous)  # fmt: skip

    def contestant(self, primer: Primer) -> Contestant:
        job = Job(self.method, methods.load(self.method), Source(self.source), self.settings, primer=primer)
        return Contestant(job, self.store, self.loops, self.previous)


@dataclass(frozen=True)
class RoundPlan:
    """One round for its process: the turns in their order (method, directory of a store's turn)."""

    operation: str
    n_images: int
    entrants: dict[str, Entrant]
    turns: list[tuple[str, Path]]


@dataclass
class TurnResult:
    """What one turn measured, the time its job spent outside the timers (by kind), and the process it ran in."""

    seconds: float
    started_ns: int | None
    ended_ns: int | None
    overhead: dict[str, float] = field(default_factory=dict)
    pid: int = field(default_factory=os.getpid)


class Turns:
    """The turns of the contestants at one store size: what a round's process runs."""

    def __init__(self, contestants: dict[str, Contestant], n_images: int):
        self.contestants, self.n_images = contestants, n_images
        self.files = {name: files_under(c.store) for name, c in contestants.items()}
        self.sizes = {name: sum(f.stat().st_size for f in files) for name, files in self.files.items()}

    def turn(self, operation: str, name: str, directory: Path) -> TurnResult:
        """One method's turn: with loops > 1, one untimed loop and then `loops` timed ones, their
        preparation outside the timer."""
        contestant = self.contestants[name]
        before = dict(contestant.job.overhead.seconds)
        if contestant.loops > 1:  # the process's first run of this code path: a warm-up, as pyperf's, unprimed
            self.run_loops(operation, contestant, 1, directory / "warmup", Measurement(), prime=False)
        measurement = Measurement()
        self.run_loops(operation, contestant, contestant.loops, directory, measurement)
        contestant.previous = measurement.seconds
        spent = {kind: s - before.get(kind, 0.0) for kind, s in contestant.job.overhead.seconds.items()}
        watch = measurement.watch
        return TurnResult(measurement.seconds, watch.started_ns, watch.ended_ns, spent)

    def run_loops(self, operation: str, contestant: Contestant, loops: int, directory: Path, measurement,
                  prime: bool = True) -> None:  # fmt: skip
        """loops runs of the operation, each prepared outside the timer, timed into measurement; memory is
        primed where it helps unless prime is False (an untimed warm-up: priming it was 93 s of a run)."""
        job, n, name = contestant.job, self.n_images, contestant.job.method_name
        (_kind, mode), outside = OPERATIONS[operation], job.overhead
        if mode is None:  # a store
            with outside("clear"):
                targets = [fresh_dir(directory / str(k)) for k in range(loops)]
            with outside("sync"):
                os.sync()
            need = store_need(job, n) * loops if prime else 0
            if worth_priming(job.settings.prime_memory, contestant.previous, need):
                with outside("prime"):
                    job.primer.prime_rest(need, 0)
            for target in targets:
                store_once(job, target, n, job.settings.options, measurement)
            return
        batches = index_batches(Pattern(), n, job.chunk_images, job.settings.seed)
        chunk_bytes = min(n, job.chunk_images) * job.source.image_bytes
        need = read_need(mode == cache.CacheMode.COLD, self.sizes[name], chunk_bytes) if prime else 0
        freed_at = None
        for _loop in range(loops):
            known = (self.files[name], self.sizes[name])
            prepare_loop(job, mode, contestant.store, known, need, contestant.previous, freed_at)
            read_batches(job, contestant.store, batches, f"compare {name} n={n} {operation}", measurement)
            freed_at = time.perf_counter()


def play(plan: RoundPlan) -> list[TurnResult]:
    """A round's turns, in order (what the round's process runs; compare_round.py)."""
    primer = Primer()  # one helper for the round's jobs: starting one takes about 0.15 s
    try:
        turns = Turns({name: entrant.contestant(primer) for name, entrant in plan.entrants.items()}, plan.n_images)
        return [turns.turn(plan.operation, name, directory) for name, directory in plan.turns]
    finally:
        primer.close()


class Comparison:
    """The rounds of every configured operation, for the methods' stores of n_images each."""

    def __init__(self, contestants: dict[str, Contestant], reference: str, n_images: int, work: Path, compare: dict):
        self.contestants, self.reference, self.n_images = contestants, reference, n_images
        self.work, self.compare = Path(work), compare
        self.rng = np.random.default_rng(compare["seed"])

    def play_round(self, operation: str, turns: list[tuple[str, Path]]) -> list[TurnResult]:
        """One round in a fresh process (compare_round.py); its time outside the turns' timers and their
        own overhead is counted as "round process" in the reference's job."""
        entrants = {name: Entrant.of(contestant) for name, contestant in self.contestants.items()}
        plan = RoundPlan(operation, self.n_images, entrants, turns)
        started = time.perf_counter()
        results = run_in_process(plan, self.work)
        for (name, _directory), result in zip(turns, results, strict=True):
            contestant = self.contestants[name]
            contestant.previous = result.seconds
            for kind, seconds in result.overhead.items():
                contestant.job.overhead.add(kind, seconds)
        accounted = sum(r.seconds + sum(r.overhead.values()) for r in results)
        elsewhere = max(time.perf_counter() - started - accounted, 0)
        self.contestants[self.reference].job.overhead.add("round process", elsewhere)
        return results

    def calibrate(self, operation: str) -> None:
        """One round of one turn per method (a warm-up, not in the statistics) sets each one's loops."""
        for contestant in self.contestants.values():
            contestant.loops, contestant.previous = 1, None
        names = list(self.contestants)
        results = self.play_round(operation, [(name, self.work / operation / "calibrate" / name) for name in names])
        for name, result in zip(names, results, strict=True):
            contestant = self.contestants[name]
            target = contestant.job.min_sample_seconds  # 0 for a method with a service
            contestant.loops = loops_for(result.seconds, target) if target > 0 else 1

    def rounds(self, operation: str) -> list[dict]:
        """Every round of one operation, until PairedRounds stops; one row per turn."""
        kind, mode = OPERATIONS[operation]
        self.calibrate(operation)
        rounds = PairedRounds(list(self.contestants), self.reference, self.compare["max_seconds"], self.rng,
                              precision=self.compare["precision"], min_rounds=self.compare["min_rounds"])  # fmt: skip
        rows, steals = [], []
        try:
            while not rounds.done:
                order = rounds.next_order()
                directory = self.work / operation / f"round-{rounds.rounds}"
                turns = [(arm.method, directory / f"{arm.method}-{arm.copy}") for arm in order]
                seconds, watch = {}, StealWatch()  # the host's CPU steal during the round (host.py)
                results = self.play_round(operation, turns)
                steal = watch.fraction()
                for arm, result in zip(order, results, strict=True):
                    loops = self.contestants[arm.method].loops
                    seconds[arm] = result.seconds / loops
                    rows.append(self.row(operation, mode, arm, rounds.rounds, loops, result, steal))
                rounds.add_round(seconds)
                if steal is not None:
                    steals.append(steal)
                if mode is None:  # stores: the previous round's go now (loops x 60 s of them filled 47 GB)
                    self.discard_round(operation, rounds.rounds - 2)
            print(f"note: {operation} at {self.n_images:,} images: {rounds.rounds} rounds, stopped by "
                  f"{rounds.stop_reason}, widest interval ±{rounds.precision_reached:.1%}{steal_note(steals)}",
                  flush=True)  # fmt: skip
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

    def row(self, operation: str, mode, arm: Arm, number: int, loops: int, result: TurnResult,
            steal: float | None) -> dict:  # fmt: skip
        return {"n_images": self.n_images, "operation": operation, "cache": mode.value if mode else "",
                "method": arm.method, "copy": arm.copy, "round": number, "loops": loops,
                "seconds": f"{result.seconds / loops:.9f}", "started_ns": result.started_ns,
                "ended_ns": result.ended_ns,
                "host_steal": "" if steal is None else f"{steal:.4f}"}  # fmt: skip

    def run(self) -> list[dict]:
        return [row for operation in self.compare["operations"] for row in self.rounds(operation)]


def steal_note(steals: list[float]) -> str:
    """The host's CPU steal over the rounds, for the job's note (empty where the kernel does not count it)."""
    if not steals:
        return ""
    return f"; the host took {float(np.median(steals)):.1%} of the CPU per round (median), {max(steals):.1%} at most"


def run_in_process(plan: RoundPlan, work: Path) -> list[TurnResult]:
    """Run plan in a fresh ``python -m imgbench.compare_round``; its output goes to this job's log, its
    failure (a BenchmarkError, or the process dying) becomes one BenchmarkError here."""
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix="round-process-") as exchange:
        plan_path, result_path = Path(exchange) / "plan.pickle", Path(exchange) / "result.pickle"
        plan_path.write_bytes(pickle.dumps(plan))
        argv, env = module_command(ROUND_MODULE, str(plan_path), str(result_path))
        process = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        sys.stdout.write(process.stdout)
        sys.stderr.write(process.stderr)
        outcome = pickle.loads(result_path.read_bytes()) if result_path.exists() else None
    if isinstance(outcome, str):
        raise BenchmarkError(outcome)
    if process.returncode != 0 or outcome is None:
        last = process.stderr.strip().splitlines()[-1:] or ["no output"]
        raise BenchmarkError(f"compare {plan.operation} at {plan.n_images:,} images: the round's process exited "
                             f"with status {process.returncode} ({last[0]})")  # fmt: skip
    return outcome
