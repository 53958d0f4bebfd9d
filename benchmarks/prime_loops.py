"""Does priming before every loop of a sample change the result, against priming only where memory.prime_due
says (the first loop, and a loop after a pause)? And for reads of one image (first_image), against not
priming at all? An alternated A/B in one process, on a synthetic source, stores written first.

Usage: PYTHONPATH=workflow/scripts python benchmarks/prime_loops.py [--images 10000] [--samples 15]
       [--loops 20] [--methods npy hdf5 lmdb]
Prints, per method and pattern (warm cache): the median and range of seconds per loop under each policy,
their ratio, and the time each policy spent priming.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from imgbench import cache, datasets, methods
from imgbench.measurement import Job, Measurement
from imgbench.memory import read_need
from imgbench.reading import Pattern, listed, prepare_loop, read_once
from imgbench.rows import PatternName
from imgbench.settings import Settings
from imgbench.source import Source
from imgbench.storing import store_once


def sample(job: Job, path: Path, pattern: Pattern, n: int, loops: int, need: int, every_loop: bool) -> float:
    """Seconds per loop of one sample of `loops` warm reads; every_loop primes before each (the old rule)."""
    measurement, known, freed_at = Measurement(), listed(path), None
    for _loop in range(loops):
        prepare_loop(job, cache.CacheMode.WARM, path, known, need, None, None if every_loop else freed_at)
        read_once(job, path, pattern, n, "prime A/B", measurement)
        freed_at = time.perf_counter()
    return measurement.seconds / loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--loops", type=int, default=20)
    parser.add_argument("--methods", nargs="+", default=["npy", "hdf5", "lmdb"])
    args = parser.parse_args()
    n = args.images
    with tempfile.TemporaryDirectory(dir=".") as scratch:
        scratch = Path(scratch)
        datasets.prepare({"source": "synthetic", "image_size": [32, 32], "count": n}, {}, scratch / "source", 0)
        source = Source(scratch / "source")
        print("| method | pattern | every loop: median (min–max) ms | prime_due: median (min–max) ms | "
              "prime_due / every loop | priming s (every / due) |\n|---|---|---|---|---|---|")  # fmt: skip
        for name in args.methods:
            method = methods.load(name)
            job = Job(name, method, source, Settings.defaults(options=method.with_defaults({})))
            path = scratch / name
            path.mkdir()
            store_once(job, path, n, job.settings.options, Measurement())
            chunk_bytes = min(n, job.chunk_images) * source.image_bytes
            for pattern in (Pattern(), Pattern(PatternName.FIRST_IMAGE.value)):
                need = read_need(False, 0, chunk_bytes)
                times, primed = {True: [], False: []}, {True: 0.0, False: 0.0}
                for _ in range(args.samples):
                    for every_loop in (True, False):
                        before = job.overhead.seconds.get("prime", 0.0)
                        # the new rule does not prime a one-image read at all (ReadSample's need is 0)
                        rule_need = 0 if pattern.one_image_at_a_time and not every_loop else need
                        times[every_loop].append(sample(job, path, pattern, n, args.loops, rule_need, every_loop))
                        primed[every_loop] += job.overhead.seconds.get("prime", 0.0) - before

                def cell(values):
                    return f"{statistics.median(values) * 1e3:.3f} ({min(values) * 1e3:.3f}–{max(values) * 1e3:.3f})"

                ratio = statistics.median(times[False]) / statistics.median(times[True])
                print(f"| {name} | {pattern.name} | {cell(times[True])} | {cell(times[False])} | {ratio:.3f} | "
                      f"{primed[True]:.2f} / {primed[False]:.2f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
