"""The timer every measurement uses: perf_counter_ns, summed over the timed pieces of one operation.

Garbage collection is collected before and disabled during an operation (``timeit`` disables it), for
every method alike, so a collection triggered by one method's allocations does not land in its time.
After collecting, the survivors are frozen (``gc.freeze``): the imported modules and the job's own state
are then skipped by later collections, which took 13 ms each with numpy, h5py, lmdb and Pillow loaded
and 2 us frozen. A read job at 1,000 images collects before each of its 96 measurements.
"""

import gc
import time
from contextlib import contextmanager


class Stopwatch:
    """Accumulates only the pieces run inside ``timed()``; work between them is not counted."""

    def __init__(self):
        self.elapsed_ns = 0
        self.started_ns = self.ended_ns = None

    @contextmanager
    def timed(self):
        start = time.perf_counter_ns()
        try:
            yield
        finally:
            end = time.perf_counter_ns()
            self.elapsed_ns += end - start
            self.started_ns = start if self.started_ns is None else self.started_ns
            self.ended_ns = end

    @property
    def seconds(self) -> float:
        return self.elapsed_ns / 1e9


@contextmanager
def gc_paused():
    gc.collect()
    gc.freeze()  # frozen objects are still freed by reference counting; only cycles among them stay
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Overhead:
    """One job's work outside the timers (deleting, syncing, priming, evicting, verifying), in seconds by kind,
    so the job's log can say where its time went (benchmarks/overhead.py has the totals of a run)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, kind: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(kind, time.perf_counter() - start)

    def add(self, kind: str, seconds: float) -> None:
        """Count seconds spent elsewhere (a round's process, comparing.py) as this job's, under kind."""
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds

    def each(self, kind: str, iterable):
        """Iterate, counting the time spent producing each item (building input chunks) as outside work."""
        iterator, end = iter(iterable), object()
        while True:
            with self(kind):
                item = next(iterator, end)
            if item is end:
                return
            yield item

    def summary(self) -> str:
        """One log line: where this job's time outside the timers went."""
        by_size = sorted(self.seconds.items(), key=lambda item: -item[1])
        return "outside the timers: " + (", ".join(f"{kind} {s:.2f} s" for kind, s in by_size) or "nothing counted")
