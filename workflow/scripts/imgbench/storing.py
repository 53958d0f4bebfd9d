"""Timed stores: warm-ups, then samples until precise (measurement.Sampled), each into new empty directories,
and a method's encoding alone.

Inside the timer (the same for every method): creating the writer (opening files or environments), every
``write`` call, and ``close`` (final flush; with durability fsync, the fsync of every file and directory).
Outside: starting and stopping the method's service (an S3 server, Method.serving), building the input
chunks from the source, creating the directories, ``os.sync()`` before each
sample so that no sample pays for the previous one's writeback, and memory priming (memory.py). A store
shorter than min_sample_seconds is done several times per sample, each into its own directory.

Stores do not reuse one emptied directory: on this project's ext4 test machine, creating 100,000 files right
after deleting 100,000 took 90 s instead of 33 s, which would time the filesystem's recovery from our own
deletions (docs/virtual-machines.md). Each store has its own directory (repeats.repeat_dir); the last becomes
the store. Stores of many files keep the others until the job ends; stores of few files delete those of the
samples before the previous one as they go (a few files are deleted at once, and a long run of samples of
a 300 MB store must not fill the disk). A failed store deletes every directory of its own.
"""

import os
from contextlib import suppress
from pathlib import Path

from imgbench import cache
from imgbench.errors import BenchmarkError, RetryStore
from imgbench.fsutil import disk_full, fresh_dir, remove_trees
from imgbench.measurement import Job, Measurement, Sampled
from imgbench.memory import worth_priming
from imgbench.progress import progress
from imgbench.repeats import repeat_dir
from imgbench.rows import Operation, PatternName, Row
from imgbench.timer import gc_paused

MAX_STORE_ATTEMPTS = 5
FEW_FILES = 1000  # stores of fewer files delete old repeats as they go (see the module docstring)


def store_once(job: Job, path: Path, n_images: int, options: dict, measurement: Measurement) -> None:
    """One timed store of n_images into the empty directory path, its timed pieces added to measurement."""
    source = job.source
    chunks = job.overhead.each("chunks", source.chunks(n_images, job.chunk_images))
    bar = progress(total=n_images, desc=f"store {path}", unit="img")
    with (
        gc_paused(),
        job.serving(path),
    ):  # the method's service (an S3 server) starts untimed
        with measurement.timed():
            writer = job.method.writer(path, n_images, source.image_shape, job.durable, **options)
        try:
            for start, images, labels in chunks:
                with measurement.timed():
                    writer.write(start, images, labels)
                measurement.sample_memory()
                bar.update(len(images))
        except RetryStore:
            raise  # the writer has released what it held
        except BaseException:
            with suppress(Exception):
                writer.close()  # best effort: no file of a failed store stays open
            raise
        with measurement.timed():
            writer.close()
    bar.close()


def holds_few_files(path: Path) -> bool:
    """Whether the store at path has fewer than FEW_FILES entries: one that can be deleted between samples
    without slowing the next store's file creation (see the module docstring)."""
    return len(os.listdir(path)) < FEW_FILES


def store_need(job: Job, n_images: int) -> int:
    """Fresh memory a store touches: the method's store_memory_factor x the raw pixels."""
    return int(job.method.store_memory_factor * n_images * job.source.image_bytes)


class StoreAttempts:
    """Samples of stores into fresh directories, redone from empty when a method had to grow (RetryStore).
    The grown options are kept for the later samples of the job, so that only the first pays for growing."""

    def __init__(self, job: Job, options: dict):
        self.job, self.options = job, dict(options)

    def sample(self, targets: list[Path], n_images: int, prime_bytes: int = 0, previous: Path | None = None):
        """One store into each of targets, timed as one measurement. With prime_bytes, the previous sample's
        store (previous) leaves the page cache first: its pages are host-backed and the same size as what
        this sample will cache (memory.Primer.prime_rest)."""
        overhead = self.job.overhead
        for _attempt in range(MAX_STORE_ATTEMPTS):
            with overhead("clear"):
                for target in targets:
                    fresh_dir(target)
            with overhead("sync"):
                os.sync()  # outside the timer: no sample pays for an earlier one's writeback
            if prime_bytes:
                with overhead("prime"):
                    self.job.primer.prime_rest(prime_bytes, cache.release(previous)[0] if previous else 0)
            measurement = Measurement()
            try:
                for target in targets:
                    store_once(self.job, target, n_images, self.options, measurement)
                return measurement
            except RetryStore as grown:
                print(f"note: {grown}", flush=True)
                self.options |= grown.options
        raise BenchmarkError(f"store into {targets[0]} needed more than {MAX_STORE_ATTEMPTS} attempts")


def measure_encoding(job: Job, n_images: int) -> list[Row]:
    """The method's encoding alone (method.encode, in memory, no I/O), over the same chunks as its store.

    Recorded as store_many rows with pattern encode_only, so a store's time splits into encoding and the
    rest (container and I/O). Methods that store raw pixels have no encode step and get no rows.
    """
    if job.method.encode is None:
        return []
    rows, sampled = [], Sampled(job.settings)

    def run(loops: int) -> Measurement:
        measurement = Measurement()
        with gc_paused():
            for _loop in range(loops):
                chunks = job.source.chunks(n_images, job.chunk_images)
                for _start, images, labels in job.overhead.each("chunks", chunks):
                    with measurement.timed():
                        job.method.encode(images, labels)
        return measurement

    while not sampled.done:
        measurement, loops, warmup = sampled.step(run)
        rows.append(job.row(measurement, Operation.STORE_MANY, n_images, sampled.repeat - 1, warmup, loops,
                            pattern=PatternName.ENCODE_ONLY))  # fmt: skip
    return rows


def measure_store(job: Job, operation: str, n_images: int, path, at_least: float | None = None,
                  concurrency: int = 0) -> list[Row]:  # fmt: skip
    """Warm-ups and samples (measurement.Sampled), each store into a new empty directory beside path; the last
    becomes path. With concurrency, the method's stores at that many requests in flight (Method.concurrency),
    rows of pattern concurrency, every directory removed at the end: path stays the job's main store.

    Short samples (memory.worth_priming) first evict the previous sample's pages from the page cache and prime
    what that does not cover. at_least, when known (the method's encoding alone, measure_encoding), stands in
    for the warm-up's previous time: a store that cannot be short is not primed before its warm-up either.
    """
    path, rows, done, samples = Path(path), [], [], []  # done: every directory stored into; samples: per sample
    options, fields = dict(job.settings.options), {}
    if concurrency:
        options["concurrency"], path = concurrency, path.with_name(f"{path.name}.concurrency-{concurrency}")
        fields = {"pattern": PatternName.CONCURRENCY, "concurrency": concurrency}
    attempts, sampled, previous = StoreAttempts(job, options), job.sampled(), at_least

    def run(loops: int) -> Measurement:
        targets = [repeat_dir(path, len(done) + k) for k in range(loops)]
        need = store_need(job, n_images) * loops
        prime = need if worth_priming(job.settings.prime_memory, previous, need) else 0
        earlier = done[-1] if done else None
        done.extend(targets)  # before storing: a failed store must find them to remove them
        samples.append(targets)
        return attempts.sample(targets, n_images, prime, earlier)

    try:
        while not sampled.done:
            measurement, loops, warmup = sampled.step(run)
            previous = measurement.seconds
            rows.append(job.row(measurement, operation, n_images, sampled.repeat - 1, warmup, loops, **fields))
            if len(samples) > 2 and holds_few_files(done[-1]):
                with job.overhead("delete"):
                    remove_trees(samples[-3])
    except BaseException as error:
        full = isinstance(error, OSError) and disk_full(error, path.parent)
        with job.overhead("delete"):
            remove_trees(done)  # a failed store leaves nothing behind (and frees a full disk)
        if full:
            raise BenchmarkError(
                f"the disk holding {path.parent} is full: storing {n_images} images with {job.method_name} failed "
                f"({error}). This job's partial store was removed; free some space and run again."
            ) from error
        raise
    with job.overhead("delete"):
        if concurrency:
            remove_trees(done)
        else:
            remove_trees([path])
            os.replace(done[-1], path)
            remove_trees(done[:-1])
    with job.overhead("sync"):
        os.sync()  # the deletions' writeback is this job's, not the next one's
    return rows
