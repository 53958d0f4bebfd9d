"""Today's formats beside the floor: store time, single random reads per second, batch-of-256 random reads per
second and bytes per image, warm cache, each method through its own writer and reader (methods/base.py).

Usage: PYTHONPATH=workflow/scripts python benchmarks/formats.py [--count N] [--single-reads R]
                                                               [--batches B] [--methods NAME ...]
e.g.   ... --count 50000        (CIFAR-sized synthetic images, imgbench.datasets.synthetic.synthetic_images)

For each method: one store of --count images (in chunks of 1,000, not durable) into a fresh directory,
timed from creating the writer to close; its allocated bytes per image (usage.disk_usage); its files
read once so the cache is warm; then, on one open reader (opening not timed, and one untimed read of
every 1,000th image, so that parts a reader opens on first use, such as wids's shards, are open),
--single-reads reads of one random index each, every call timed, and --batches reads of 256 random
indices each. Garbage
collection is paused inside the timed parts (imgbench.timer). What each read returned is checked against
the source afterwards, outside the timer. Prints a markdown table with the machine, date and command.
"""

import argparse
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from imgbench import cache, methods, usage
from imgbench.datasets.synthetic import synthetic_images
from imgbench.environment import cpu_model
from imgbench.fsutil import files_under
from imgbench.timer import gc_paused

DEFAULT_METHODS = ["npy", "lmdb_raw", "hdf5", "parquet", "arrow", "lance", "zarr", "sqlite", "arrayrecord",
                   "tar+raw", "wids+raw"]  # fmt: skip
CHUNK_IMAGES = 1000
BATCH_IMAGES = 256


def store_seconds(method, path: Path, images: np.ndarray, labels: np.ndarray) -> float:
    with gc_paused():
        start = time.perf_counter_ns()
        writer = method.writer(path, len(images), images.shape[1:], False, **method.with_defaults({}))
        for at in range(0, len(images), CHUNK_IMAGES):
            writer.write(at, images[at : at + CHUNK_IMAGES], labels[at : at + CHUNK_IMAGES])
        writer.close()
        return (time.perf_counter_ns() - start) / 1e9


def timed_reads(reader, batches: list[np.ndarray], images: np.ndarray, labels: np.ndarray) -> float:
    """Seconds for reader.read of every batch, each call timed alone; results checked after the timing."""
    results, total_ns = [], 0
    with gc_paused():
        for indices in batches:
            start = time.perf_counter_ns()
            result = reader.read(indices)
            total_ns += time.perf_counter_ns() - start
            results.append(result)
    for indices, (got_images, got_labels) in zip(batches, results, strict=True):
        if not (np.array_equal(got_images, images[indices]) and np.array_equal(got_labels, labels[indices])):
            raise AssertionError(f"a read of {len(indices)} images did not return what was stored")
    return total_ns / 1e9


def measure(name: str, root: Path, images, labels, args) -> dict:
    method, path = methods.load(name), root / name.replace("+", "_")
    path.mkdir()
    seconds = store_seconds(method, path, images, labels)
    allocated = usage.disk_usage(path)["bytes_allocated"]
    cache.warm(files_under(path))
    rng = np.random.default_rng(1)
    singles = [rng.integers(0, len(images), 1) for _ in range(args.single_reads)]
    batches = [rng.integers(0, len(images), BATCH_IMAGES) for _ in range(args.batches)]
    reader = method.reader(path)
    try:
        reader.read(np.arange(0, len(images), CHUNK_IMAGES))  # untimed: lazily opened parts (wids's shards)
        single_seconds = timed_reads(reader, singles, images, labels)
        batch_seconds = timed_reads(reader, batches, images, labels)
    finally:
        reader.close()
    shutil.rmtree(path)
    return {
        "method": name,
        "store_s": seconds,
        "single_per_s": args.single_reads / single_seconds,
        "batches_per_s": args.batches / batch_seconds,
        "bytes_per_image": allocated / len(images),
    }


def table(rows: list[dict], count: int) -> str:
    floor = next((row for row in rows if row["method"] == "npy"), None)
    lines = [
        f"| method | store {count:,} (s) | single random reads/s | x npy | batch-{BATCH_IMAGES} reads/s "
        "| images/s in batches | bytes/image |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratio = f"{floor['single_per_s'] / row['single_per_s']:.2g}" if floor else "–"
        lines.append(
            f"| {row['method']} | {row['store_s']:.2f} | {row['single_per_s']:,.0f} | {ratio} "
            f"| {row['batches_per_s']:,.1f} | {row['batches_per_s'] * BATCH_IMAGES:,.0f} "
            f"| {row['bytes_per_image']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--single-reads", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--methods", nargs="+", default=DEFAULT_METHODS)
    parser.add_argument("--dir", type=Path, default=None, help="where the stores go (default: a temporary dir)")
    args = parser.parse_args(argv)
    for name in args.methods:
        if (problem := methods.name_problem(name)) is not None:
            parser.error(problem)
    rng = np.random.default_rng(0)
    images = synthetic_images(args.count, rng)
    labels = rng.integers(0, 10, args.count).astype(np.uint8)
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as root:
        for name in args.methods:
            rows.append(measure(name, Path(root), images, labels, args))
            print(f"{name}: done", file=sys.stderr, flush=True)
    print(table(rows, args.count))
    print()
    when = f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    machine = f"{cpu_model()}, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    print(f"Machine: {machine}; {when}; command: benchmarks/formats.py {' '.join(argv)}")


if __name__ == "__main__":
    main(sys.argv[1:])
