"""Timed store and read operations with repeats, cache control and read-back verification.

What is inside the timed region (the same for every method):

- store: creating the store's writer (opening files/environments), every ``write`` call, and ``close``
  (final flush; with durability ``fsync``, the fsync of every file and directory). Building the input
  chunks from the source is outside.
- read: opening the reader, every ``read`` call (decoding to a uint8 array of shape (n, 32, 32, 3)), and
  ``close``. Comparing what was read with the source, and cache preparation, are outside.

Before each store repeat the page cache is written back (``os.sync``), outside the timer, so no repeat
pays for the previous one's writeback.
"""

import os
import resource
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imgbench import IMAGE_BYTES, IMAGE_SHAPE, cache, environment, memory
from imgbench.errors import BenchmarkError, RetryStore
from imgbench.fsutil import disk_full, files_under, fresh_dir, remove_trees
from imgbench.progress import progress
from imgbench.repeats import repeat_dir
from imgbench.source import Source
from imgbench.timer import Stopwatch, gc_paused, outside, outside_each

COLUMNS = [
    "method", "operation", "n_images", "pattern", "batch_size", "workers", "cache", "durability",
    "repeat", "warmup", "seconds", "p50_seconds", "p95_seconds", "p99_seconds", "started_ns",
    "ended_ns", "op_images", "resident_fraction", "cache_verified", "peak_rss_bytes", "peak_private_bytes", "raw_bytes",
    "measured_at", "machine_id",
]  # fmt: skip

COLD_MAX_RESIDENT, WARM_MIN_RESIDENT = 0.05, 0.95
MAX_STORE_ATTEMPTS = 5
PRIME_BELOW_SECONDS = 2.0  # freed memory goes back to the host after 1-2 s: longer operations gain nothing
STORE_PRIME_FACTOR = 1.5  # a store's page cache: raw pixels plus the largest container overhead seen (1.34)
# Below this much fresh memory, priming's fork costs more than it saves: after it the job's pages are
# copy-on-write, which added 0.1-0.25 ms to a 0.4-0.9 ms single-image store here.
PRIME_MIN_BYTES = 16 << 20
VERIFY_BATCH_BYTES = 1 << 20  # small reads wait for verification until this much has been read


@dataclass
class Settings:
    durability: str = "none"
    repeats: int = 5
    warmup_runs: int = 1
    chunk_images: int = 10_000
    caches: list[str] = field(default_factory=lambda: ["warm", "cold"])
    seed: int = 0
    prime_memory: bool = True  # touch and free memory before short timed stores and reads (memory.py)
    options: dict = field(default_factory=dict)  # the method's own keyword options (method_options)
    machine_id: str = field(default_factory=environment.machine_id)


@dataclass(frozen=True)
class Pattern:
    """How a read visits the store: name plus its parameters (0 where one does not apply)."""

    name: str = "sequential"
    batch_size: int = 0
    workers: int = 1
    reads: int = 0  # single_latency: how many single-image reads


_worker_peak_rss = [0]  # the highest ru_maxrss any parallel read worker of this job reported


def own_maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # ru_maxrss is in KiB on Linux


def peak_rss_bytes() -> int:
    """This process's peak and its read workers'; not RUSAGE_CHILDREN, which would count memory.prime's child."""
    return max(own_maxrss_bytes(), _worker_peak_rss[0])


def base_row(method, operation, n_images, settings, repeat) -> dict:
    return {
        "method": method,
        "operation": operation,
        "n_images": n_images,
        "pattern": "sequential",
        "batch_size": 0,
        "workers": 1,
        "cache": "",
        "durability": settings.durability,
        "repeat": repeat,
        "warmup": int(repeat < settings.warmup_runs),
        "p50_seconds": "",
        "p95_seconds": "",
        "p99_seconds": "",
        "resident_fraction": "",
        "cache_verified": "",
        "op_images": n_images,
        "raw_bytes": n_images * IMAGE_BYTES,
        "machine_id": settings.machine_id,
    }


def finish_row(row: dict, watch: Stopwatch) -> dict:
    row.update(
        seconds=f"{watch.seconds:.9f}",
        started_ns=watch.started_ns,
        ended_ns=watch.ended_ns,
        peak_rss_bytes=peak_rss_bytes(),
        peak_private_bytes=memory.note_private_peak(force=True),
        measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    return row


# ---------------------------------------------------------------- store


def store_once(module, path: Path, source: Source, n_images: int, settings: Settings) -> Stopwatch:
    """One timed store of n_images into the empty directory path."""
    watch = Stopwatch()
    chunks = outside_each("chunks", source.chunks(n_images, settings.chunk_images))
    bar = progress(total=n_images, desc=f"store {path}", unit="img")
    with gc_paused():
        with watch.timed():
            writer = module.Writer(path, n_images, settings.durability == "fsync", **settings.options)
        try:
            for start, images, labels in chunks:
                with watch.timed():
                    writer.write(start, images, labels)
                memory.note_private_peak()
                bar.update(len(images))
        except RetryStore:
            raise  # the writer has released what it held
        except BaseException:
            with suppress(Exception):
                writer.close()  # best effort: no file of a failed store stays open
            raise
        with watch.timed():
            writer.close()
    bar.close()
    return watch


def store_prime_bytes(module, n_images: int) -> int:
    """Fresh memory a store touches: STORE_PRIME_FACTOR x raw pixels unless the method declares PRIME_FACTOR."""
    return int(getattr(module, "PRIME_FACTOR", STORE_PRIME_FACTOR) * n_images * IMAGE_BYTES)


def worth_priming(settings: Settings, previous: float | None, nbytes: int) -> bool:
    """Prime only where it helps: operations that need at least PRIME_MIN_BYTES of fresh memory, at the
    first repeat (the warm-up), and later when the same operation's previous repeat took under
    PRIME_BELOW_SECONDS.

    Measured here: priming before a 33 s PNG store made it 42-75 s (the host reclaiming the primed
    memory while 100,000 files were created), while 0.1 s stores went from up to 0.9 s to 0.08-0.16 s.
    """
    short = previous is None or previous < PRIME_BELOW_SECONDS
    return settings.prime_memory and nbytes >= PRIME_MIN_BYTES and short


def prime_rest(need: int, released: int) -> None:
    """Prime what page cache freed just before (released bytes, host-backed) does not already cover."""
    if need - released >= PRIME_MIN_BYTES:
        memory.prime(need - released)


def store_with_retry(module, path, source, n_images, settings, prime_bytes=0, previous_path=None) -> Stopwatch:
    """Store into a fresh directory; a method that had to grow (RetryStore) starts again from empty.

    With prime_bytes, the previous repeat's store (previous_path) leaves the page cache first: its pages
    are host-backed and the same size as what this repeat will cache. Alternated A/B at 100,000 images
    (6 processes per arm, 18 timed repeats each, median s): npy 0.069 against 0.077 with a full prime,
    hdf5 0.135 against 0.146, lmdb 1.41 against 1.40; preparing repeats 1-3 took 0.20, 0.23 and 1.25 s per
    job against 3.28, 0.62 and 2.24 s.
    """
    for _attempt in range(MAX_STORE_ATTEMPTS):
        with outside("clear"):
            fresh_dir(path)
        with outside("sync"):
            os.sync()  # outside the timer: no repeat pays for an earlier one's writeback
        if prime_bytes:
            with outside("prime"):
                prime_rest(prime_bytes, cache.release(previous_path)[0] if previous_path else 0)
        try:
            return store_once(module, path, source, n_images, settings)
        except RetryStore as grown:
            print(f"note: {grown}", flush=True)
    raise BenchmarkError(f"store into {path} needed more than {MAX_STORE_ATTEMPTS} attempts")


def measure_encoding(method, module, n_images, source, settings) -> list[dict]:
    """A method's encoding alone (module.encode_only, in memory, no I/O), over the same chunks as its store.

    Recorded as store_many rows with pattern encode_only, so a store's time splits into encoding and the
    rest (container and I/O). Methods that store raw pixels define no encode_only and get no rows.
    """
    if not hasattr(module, "encode_only"):
        return []
    rows = []
    for repeat in range(settings.warmup_runs + settings.repeats):
        watch = Stopwatch()
        with gc_paused():
            for _start, images, labels in outside_each("chunks", source.chunks(n_images, settings.chunk_images)):
                with watch.timed():
                    module.encode_only(images, labels)
        row = base_row(method, "store_many", n_images, settings, repeat) | {"pattern": "encode_only"}
        rows.append(finish_row(row, watch))
    return rows


def measure_store(method, module, operation, n_images, path, source, settings, at_least=None) -> list[dict]:
    """Warm-up plus timed repeats, each into a new empty directory beside path; the last becomes path.

    Repeats do not reuse one emptied directory: on ext4 here, creating 100,000 files right after
    deleting 100,000 took 90 s instead of 33 s, which would time the filesystem's recovery from our
    own deletions. Older repeats are deleted at the end. Short repeats (worth_priming) first evict the
    previous repeat's pages from the page cache and prime what that does not cover (store_with_retry).
    at_least, when known (the method's encoding alone, measure_encoding), stands in for the warm-up's
    previous time: a store that cannot be short is not primed before its warm-up either.
    """
    path, rows, attempts, previous = Path(path), [], [], at_least
    need = store_prime_bytes(module, n_images)
    try:
        for repeat in range(settings.warmup_runs + settings.repeats):
            attempts.append(repeat_dir(path, repeat))
            prime_bytes = need if worth_priming(settings, previous, need) else 0
            earlier = attempts[-2] if len(attempts) > 1 else None
            watch = store_with_retry(module, attempts[-1], source, n_images, settings, prime_bytes, earlier)
            previous = watch.seconds
            rows.append(finish_row(base_row(method, operation, n_images, settings, repeat), watch))
    except BaseException as error:
        full = isinstance(error, OSError) and disk_full(error, path.parent)
        with outside("delete"):
            remove_trees(attempts)  # a failed store leaves nothing behind (and frees a full disk)
        if full:
            raise BenchmarkError(
                f"the disk holding {path.parent} is full: storing {n_images} images with {method} failed "
                f"({error}). This job's partial store was removed; free some space and run again."
            ) from error
        raise
    with outside("delete"):
        remove_trees([path])
        os.replace(attempts[-1], path)
        remove_trees(attempts[:-1])
    with outside("sync"):
        os.sync()  # the deletions' writeback is this job's, not the next one's
    return rows


# ---------------------------------------------------------------- read


def index_batches(pattern: Pattern, n_images: int, settings: Settings) -> list[np.ndarray]:
    """The order and grouping in which one read visits the store."""
    if pattern.name == "sequential":
        order = np.arange(n_images)
    else:
        order = np.random.default_rng(settings.seed).permutation(n_images)
    size = pattern.batch_size or settings.chunk_images
    return [order[start : start + size] for start in range(0, n_images, size)]


def same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """a == b for equal-shaped uint8 arrays, compared 8 bytes at a time where both are contiguous
    (1.6x faster than np.array_equal on 10,000 images here)."""
    if a.flags.c_contiguous and b.flags.c_contiguous and a.nbytes % 8 == 0:
        a, b = a.reshape(-1).view(np.uint64), b.reshape(-1).view(np.uint64)
    return np.array_equal(a, b)


def verify(source: Source, indices, images, labels, where: str) -> None:
    """Fail loudly if what was read differs from the source (outside the timer)."""
    expected_images, expected_labels = source.expected(indices)
    if images.shape != expected_images.shape or images.dtype != np.uint8:
        raise BenchmarkError(f"{where}: read {images.shape} {images.dtype}, expected {expected_images.shape} uint8")
    if not same_bytes(images, expected_images) or not np.array_equal(labels, expected_labels):
        differs = np.any(images != expected_images, axis=(1, 2, 3)) | (labels != expected_labels)
        bad = [int(i) for i in np.asarray(indices)[differs]]
        raise BenchmarkError(f"{where}: images or labels differ from the source (first bad images: {bad[:5]})")


class Verifier:
    """verify() for a stream of reads, small ones gathered up to VERIFY_BATCH_BYTES first.

    Each comparison has a fixed cost of about 19 us, which batch-1 and single-image reads paid per image:
    0.7-1.3 s of every read job at 1,000 images. A wrong shape or dtype still fails at once.
    """

    def __init__(self, source: Source, where: str):
        self.source, self.where, self.pending, self.nbytes = source, where, [], 0

    def add(self, indices, images, labels) -> None:
        indices = np.asarray(indices)
        if images.shape != (len(indices), *IMAGE_SHAPE) or images.dtype != np.uint8:
            verify(self.source, indices, images, labels, self.where)  # raises, naming the shapes
        self.pending.append((indices, images, labels))
        self.nbytes += images.nbytes
        if self.nbytes >= VERIFY_BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        with outside("verify"):
            if len(self.pending) > 1:
                self.pending = [tuple(np.concatenate(parts) for parts in zip(*self.pending, strict=True))]
            for indices, images, labels in self.pending:
                verify(self.source, indices, images, labels, self.where)
            self.pending, self.nbytes = [], 0


@contextmanager
def store_errors(where: str, path, indices=()):
    """A reader's failure (a damaged, truncated or missing file) as one message naming the store and images."""
    try:
        yield
    except BenchmarkError:
        raise
    except Exception as error:
        images = f" images {[int(i) for i in np.asarray(indices)[:5]]}" if len(indices) else ""
        raise BenchmarkError(
            f"{where}: reading{images} from the store {path} failed: {type(error).__name__}: {error}. "
            f"The store is damaged or incomplete: delete {path} and run again to rebuild it."
        ) from error


def read_batches(module, path, batches, source, where) -> Stopwatch:
    """Open, read every batch, close: timed; what was read is verified between the timed pieces."""
    watch, verifier = Stopwatch(), Verifier(source, where)
    with gc_paused():
        with store_errors(where, path), watch.timed():
            reader = module.Reader(path)
        for indices in progress(batches, desc=f"read {where}", unit="batch"):
            with store_errors(where, path, indices), watch.timed():
                images, labels = reader.read(indices)
            memory.note_private_peak()
            verifier.add(indices, images, labels)
        with watch.timed():
            reader.close()
    verifier.flush()
    return watch


def _parallel_worker(module, path, batches, source, where, barrier, results):
    try:
        barrier.wait()
        watch = read_batches(module, path, batches, source, where)
        results.put((watch.elapsed_ns, watch.started_ns, watch.ended_ns, own_maxrss_bytes(), ""))
    except Exception as error:  # reported to the parent, which fails the job
        results.put((0, 0, 0, 0, f"{type(error).__name__}: {error}"))


def read_parallel(module, path, batches, source, workers, where) -> Stopwatch:
    """The same batches split over k forked workers released together; time is the slowest worker's."""
    import multiprocessing  # here, not at the top: 25 ms that only parallel reads need

    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(workers), context.Queue()
    shares = [batches[k::workers] for k in range(workers)]
    processes = [
        context.Process(target=_parallel_worker, args=(module, path, share, source, where, barrier, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    outcomes = [results.get() for _ in processes]
    for process in processes:
        process.join()
    errors = [message for *_, message in outcomes if message]
    if errors:
        raise BenchmarkError(f"{where}: a parallel worker failed: {errors[0]}")
    watch = Stopwatch()
    elapsed, starts, ends, peaks, _ = zip(*outcomes, strict=True)
    watch.elapsed_ns, watch.started_ns, watch.ended_ns = max(elapsed), min(starts), max(ends)
    _worker_peak_rss[0] = max(_worker_peak_rss[0], *peaks)
    return watch


def read_latencies(module, path, pattern, n_images, source, settings, where) -> tuple[Stopwatch, list[float]]:
    """Single-image reads at random positions of an open store, each timed on its own."""
    rng = np.random.default_rng(settings.seed)
    positions = rng.integers(0, n_images, size=pattern.reads)
    watch, latencies, verifier = Stopwatch(), [], Verifier(source, where)
    with store_errors(where, path):
        reader = module.Reader(path)
    try:
        with gc_paused():
            for index in positions:
                one = Stopwatch()
                with store_errors(where, path, [index]), one.timed(), watch.timed():
                    images, labels = reader.read(np.array([index]))
                latencies.append(one.seconds)
                verifier.add([index], images, labels)
    finally:
        reader.close()
    verifier.flush()
    return watch, latencies


def prepare_cache(mode: str, path: Path, files: list[Path], store_bytes: int) -> tuple[float, int, int]:
    """Put the store in the asked cache state; return its measured residency, whether it matches, and the
    bytes of page cache a cold eviction freed (host-backed: the read's priming can count them)."""
    if mode == "cold":
        released, fraction = cache.release(path, files, store_bytes)
        return fraction, int(fraction <= COLD_MAX_RESIDENT), released
    fraction = cache.resident_fraction(path, files)
    if fraction < WARM_MIN_RESIDENT:
        for file in files:
            with open(file, "rb") as handle:
                while handle.read(1 << 20):
                    pass
        fraction = cache.resident_fraction(path, files)
    return fraction, int(fraction >= WARM_MIN_RESIDENT), 0


def read_once(module, path, pattern, n_images, source, settings, row) -> Stopwatch:
    where = f"{row['method']} n={n_images} {pattern.name} {row['cache']} repeat {row['repeat']}"
    if pattern.name == "single_latency":
        watch, latencies = read_latencies(module, path, pattern, n_images, source, settings, where)
        p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
        row.update(p50_seconds=f"{p50:.9f}", p95_seconds=f"{p95:.9f}", p99_seconds=f"{p99:.9f}")
        row.update(op_images=pattern.reads, raw_bytes=pattern.reads * IMAGE_BYTES)
        return watch
    batches = index_batches(pattern, n_images, settings)
    if pattern.name == "parallel":
        return read_parallel(module, path, batches, source, pattern.workers, where)
    return read_batches(module, path, batches, source, where)


def read_memory_need(mode: str, store_bytes: int, n_images: int, settings: Settings) -> int:
    """Fresh memory a read touches: a cold read fills the page cache with the store; both allocate chunks."""
    chunk_bytes = min(n_images, settings.chunk_images) * IMAGE_BYTES
    return chunk_bytes + (store_bytes if mode == "cold" else 0)


def measure_reads(method, module, operation, n_images, path, source, settings, patterns) -> list[dict]:
    """Warm-up plus timed repeats; within a repeat, cache modes and patterns are interleaved."""
    path, rows = Path(path), []
    files = files_under(path)
    store_bytes = sum(file.stat().st_size for file in files)
    previous = {}  # (cache, pattern) -> seconds of its last repeat
    for repeat in range(settings.warmup_runs + settings.repeats):
        for mode in settings.caches:
            for pattern in patterns:
                row = base_row(method, operation, n_images, settings, repeat)
                row.update(pattern=pattern.name, batch_size=pattern.batch_size, workers=pattern.workers, cache=mode)
                with outside(f"cache {mode}"):
                    fraction, verified, released = prepare_cache(mode, path, files, store_bytes)
                row.update(resident_fraction=f"{fraction:.4f}", cache_verified=verified)
                need = read_memory_need(mode, store_bytes, n_images, settings)
                if worth_priming(settings, previous.get((mode, pattern)), need):
                    with outside("prime"):
                        prime_rest(need, released)
                watch = read_once(module, path, pattern, n_images, source, settings, row)
                previous[mode, pattern] = watch.seconds
                rows.append(finish_row(row, watch))
    return rows
