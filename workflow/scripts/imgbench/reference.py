"""A fixed reference workload, timed once per timing job outside the timers: is the machine slower today?

Whole runs on our VM came out faster or slower than others (README, "How repeatable is this?"), also
for operations whose repeats within a run agreed closely. Each job therefore records how long this
machine took, at that moment, for two fixed tasks: copying 32 MiB in memory (what fast reads do) and
zlib-compressing fixed data (what PNG encoding does). benchmarks/compare_runs.py --normalize divides
medians by them. The work runs in a forked child so that its memory is not counted as the job's.
"""

import os
import pickle
import time
import zlib

import numpy as np

COPY_BYTES = 32 << 20
COMPRESS_BYTES = 128 << 10
ROUNDS = 5
COLUMNS = ["ref_copy_seconds", "ref_compress_seconds"]
_measured: dict = {}


def best_seconds(task, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        task()
        times.append(time.perf_counter_ns() - start)
    return min(times) / 1e9


def run_tasks() -> dict:
    source = np.full(COPY_BYTES, 1, dtype=np.uint8)
    target = np.full(COPY_BYTES, 0, dtype=np.uint8)
    # Low-entropy bytes compress like image rows do, neither trivially nor not at all.
    data = np.random.default_rng(0).integers(0, 16, COMPRESS_BYTES, dtype=np.uint8).tobytes()
    return {
        "ref_copy_seconds": f"{best_seconds(lambda: np.copyto(target, source)):.9f}",
        "ref_compress_seconds": f"{best_seconds(lambda: zlib.compress(data, 6)):.9f}",
    }


def measure() -> dict:
    """The reference timings, measured in a child at the first call of this process and then reused."""
    if not _measured:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: measure, send, and leave without running the parent's cleanup
            try:
                os.write(write_end, pickle.dumps(run_tasks()))
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        os.waitpid(pid, 0)
        _measured.update(pickle.loads(payload))
    return dict(_measured)
