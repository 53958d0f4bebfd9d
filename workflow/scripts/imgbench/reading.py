"""Timed reads of a store, in every cache state and access pattern, every image verified against the source.

Inside the timer (the same for every method): opening the reader, every ``read`` call (decoding to a uint8
array of the source's image shape), and ``close``. Outside: putting the cache in the asked state and
measuring it (cache.ensure), priming memory before short reads, comparing what was read with the source,
and starting and stopping the method's service (an S3 server, Method.serving) around each opened reader:
a new server for every read, so its own caches start empty in every cache state (cache.ensure runs while
no server is up; a parallel read's workers share the server their parent started).

Patterns: sequential (chunks in order), random (a seeded permutation in chunks), batch (the random order, one
read call per batch_size images), parallel (the random batches split over forked workers released together;
the time is the slowest worker's), concurrency (the random order, the reader opened with that many requests
in flight: remote methods, Method.concurrency), single_latency (single-image reads at random positions of an open
store, each timed on its own, with percentiles) and first_image (opening the store and reading its first
image, timed together: what a training job waits for at start-up).
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgbench import cache
from imgbench.errors import BenchmarkError
from imgbench.fsutil import files_under
from imgbench.measurement import Job, Measurement
from imgbench.memory import prime_due, read_need, worth_priming
from imgbench.progress import progress
from imgbench.rows import PatternName, Row
from imgbench.timer import Stopwatch, gc_paused
from imgbench.verify import Verifier


@dataclass(frozen=True)
class Pattern:
    """How a read visits the store: name plus its parameters (0 where one does not apply)."""

    name: str = PatternName.SEQUENTIAL.value
    batch_size: int = 0
    workers: int = 1
    reads: int = 0  # single_latency: how many single-image reads
    concurrency: int = 0  # concurrency: the reader's requests in flight (0: the store's own)

    @property
    def one_image_at_a_time(self) -> bool:
        """Whether a read in this pattern holds only one image at a time (and caches only its pages)."""
        return self.name in (PatternName.FIRST_IMAGE, PatternName.SINGLE_LATENCY)

    def reader_options(self) -> dict:
        """What the reader is opened with for this pattern (Method.reader's keywords)."""
        return {"concurrency": self.concurrency} if self.concurrency else {}


def index_batches(pattern: Pattern, n_images: int, chunk_images: int, seed: int) -> list[np.ndarray]:
    """The order and grouping in which one read visits the store."""
    if pattern.name == PatternName.SEQUENTIAL:
        order = np.arange(n_images)
    else:
        order = np.random.default_rng(seed).permutation(n_images)
    size = pattern.batch_size or chunk_images
    return [order[start : start + size] for start in range(0, n_images, size)]


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


def read_batches(job: Job, path: Path, batches, where: str, measurement: Measurement, options=None) -> dict:
    """Open (with the reader options, if any), read every batch, close: timed; what was read is verified
    between the timed pieces. Returns the row's PSNR fields (a lossy codec's)."""
    verifier = Verifier(job.reference, where, job.overhead)
    with gc_paused(), job.serving(path):
        with store_errors(where, path), measurement.timed():
            reader = job.method.reader(path, **(options or {}))
        for indices in progress(batches, desc=f"read {where}", unit="batch"):
            with store_errors(where, path, indices), measurement.timed():
                images, labels = reader.read(indices)
            measurement.sample_memory()
            verifier.add(indices, images, labels)
        with measurement.timed():
            reader.close()
    verifier.flush()
    return verifier.psnr_fields()


def _parallel_worker(job, path, batches, where, barrier, results):
    try:
        barrier.wait()
        measurement = Measurement()
        read_batches(job, path, batches, where, measurement)
        watch = measurement.watch
        results.put((watch.elapsed_ns, watch.started_ns, watch.ended_ns, measurement.memory.result()[0], ""))
    except Exception as error:  # reported to the parent, which fails the job
        results.put((0, 0, 0, 0, f"{type(error).__name__}: {error}"))


def read_parallel(job: Job, path: Path, batches, workers: int, where: str, measurement: Measurement) -> None:
    """The same batches split over k forked workers released together; time is the slowest worker's."""
    import multiprocessing  # here, not at the top: 25 ms that only parallel reads need

    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=_parallel_worker, args=(job, path, batches[k::workers], where, barrier, results))
        for k in range(workers)
    ]
    with job.serving(path):  # one service for all workers: they inherit it
        for process in processes:
            process.start()
        outcomes = [results.get() for _ in processes]
        for process in processes:
            process.join()
    errors = [message for *_, message in outcomes if message]
    if errors:
        raise BenchmarkError(f"{where}: a parallel worker failed: {errors[0]}")
    elapsed, starts, ends, peaks, _ = zip(*outcomes, strict=True)
    watch = measurement.watch  # this pass counts as its slowest worker; passes of one sample add up
    watch.elapsed_ns += max(elapsed)
    watch.started_ns = min(starts) if watch.started_ns is None else watch.started_ns
    watch.ended_ns = max(ends)
    for peak in peaks:
        measurement.memory.add_worker(peak)


def read_latencies(job: Job, path: Path, pattern: Pattern, n_images: int, where: str, measurement):
    """Single-image reads at random positions of an open store, each timed on its own."""
    positions = np.random.default_rng(job.settings.seed).integers(0, n_images, size=pattern.reads)
    latencies, verifier = [], Verifier(job.reference, where, job.overhead)
    with job.serving(path):
        with store_errors(where, path):
            reader = job.method.reader(path)
        try:
            with gc_paused():
                for index in positions:
                    one = Stopwatch()
                    with store_errors(where, path, [index]), one.timed(), measurement.timed():
                        images, labels = reader.read(np.array([index]))
                    latencies.append(one.seconds)
                    verifier.add([index], images, labels)
        finally:
            reader.close()
    verifier.flush()
    return latencies, verifier.psnr_fields()


def read_first_image(job: Job, path: Path, where: str, measurement: Measurement) -> dict:
    """Time to first image: opening the reader and reading image 0, timed together; closing is outside."""
    verifier = Verifier(job.reference, where, job.overhead)
    with gc_paused(), job.serving(path):
        with store_errors(where, path, [0]), measurement.timed():
            reader = job.method.reader(path)
            images, labels = reader.read(np.array([0]))
        reader.close()
    verifier.add([0], images, labels)
    verifier.flush()
    return {"op_images": 1, **verifier.psnr_fields()}


def read_once(job: Job, path: Path, pattern: Pattern, n_images: int, where: str, measurement: Measurement) -> dict:
    """One timed read in the given pattern, its timed pieces added to measurement; returns the row fields it
    adds (percentiles, PSNR)."""
    if pattern.name == PatternName.FIRST_IMAGE:
        return read_first_image(job, path, where, measurement)
    if pattern.name == PatternName.SINGLE_LATENCY:
        latencies, psnr = read_latencies(job, path, pattern, n_images, where, measurement)
        p50, p95, p99 = (float(p) for p in np.percentile(latencies, [50, 95, 99]))
        return {"p50_seconds": p50, "p95_seconds": p95, "p99_seconds": p99, "op_images": pattern.reads, **psnr}
    batches = index_batches(pattern, n_images, job.chunk_images, job.settings.seed)
    if pattern.name == PatternName.PARALLEL:
        read_parallel(job, path, batches, pattern.workers, where, measurement)
        return {}
    return read_batches(job, path, batches, where, measurement, pattern.reader_options())


class ReadSample:
    """The reads of one (cache state, pattern) of a store: each loop of a sample first puts the store in the
    cache state (cache.ensure) and primes memory where it helps, outside the timer."""

    def __init__(self, job: Job, path: Path, n_images: int, mode: cache.CacheMode, pattern: Pattern, store):
        self.job, self.path, self.n_images, self.mode, self.pattern = job, path, n_images, mode, pattern
        self.files, self.store_bytes = store
        chunk_bytes = min(n_images, job.chunk_images) * job.source.image_bytes
        # Reads of one image need no fresh memory: priming a 100,000-image store's 300 MB before each of the
        # 2,461 loops of npy's cold first-image read was most of the 107 s its read job spent priming.
        cold = mode == cache.CacheMode.COLD
        self.need = 0 if pattern.one_image_at_a_time else read_need(cold, self.store_bytes, chunk_bytes)
        self.sampled, self.previous, self.fields = job.sampled(), None, {}
        self.preparation_seconds = 0.0  # per loop, in the last run: whether looping it pays (Sampled.step)

    def run(self, loops: int) -> Measurement:
        job, states, freed_at, prepared = self.job, [], None, 0.0
        where = f"{job.method_name} n={self.n_images} {self.pattern.name} {self.mode} repeat {self.sampled.repeat}"
        measurement = Measurement()
        for _loop in range(loops):
            started = time.perf_counter()
            states.append(prepare_loop(job, self.mode, self.path, (self.files, self.store_bytes), self.need,
                                       self.previous, freed_at))  # fmt: skip
            prepared += time.perf_counter() - started
            self.fields = read_once(job, self.path, self.pattern, self.n_images, where, measurement)
            freed_at = time.perf_counter()
        self.preparation_seconds = prepared / loops
        worst = max if self.mode == cache.CacheMode.COLD else min  # the loop farthest from the asked state
        self.fields |= {"resident_fraction": worst(s.resident_fraction for s in states),
                        "cache_verified": int(all(s.verified for s in states))}  # fmt: skip
        return measurement

    def step(self, operation: str) -> Row:
        measurement, loops, warmup = self.sampled.step(self.run, self.preparation_seconds)
        self.previous = measurement.seconds
        pattern = self.pattern
        return self.job.row(
            measurement, operation, self.n_images, self.sampled.repeat - 1, warmup, loops, pattern=pattern.name,
            batch_size=pattern.batch_size, workers=pattern.workers, cache=self.mode.value, **self.fields,
            **({"concurrency": pattern.concurrency} if pattern.concurrency else {}),
        )  # fmt: skip


def prepare_loop(job: Job, mode: cache.CacheMode, path: Path, known, need: int, previous, freed_at) -> cache.CacheState:
    """Before one loop of a timed read, outside the timers: the store in the cache state mode (its files
    known, or listed again for a method with a service), then memory primed where it helps: need bytes,
    given the previous sample's seconds and when the previous loop of this sample ended (memory.prime_due)."""
    with job.overhead(f"cache {mode}"):
        files, size = current_files(job, path, known)
        state = cache.ensure(mode, path, files, size)
    if worth_priming(job.settings.prime_memory, previous, need) and prime_due(freed_at):
        with job.overhead("prime"):
            job.primer.prime_rest(need, state.released_bytes)
    return state


def listed(path: Path) -> tuple[list[Path], int]:
    """The store's files and their total bytes."""
    files = files_under(path)
    return files, sum(file.stat().st_size for file in files)


def current_files(job: Job, path: Path, known: tuple[list[Path], int]) -> tuple[list[Path], int]:
    """The store's files for a cache state: those listed once, or for a method with a service listed again,
    since its server rewrites files at every start (LevelDB's log and manifest, the master's Raft state)."""
    return known if job.method.service is None else listed(path)


def measure_reads(job: Job, operation: str, n_images: int, path, patterns: list[Pattern]) -> list[Row]:
    """Warm-ups and samples of every pattern until each is precise (measurement.Sampled), one cache state
    after the other, the patterns of a state interleaved sample by sample, so that drift on a shared machine
    hits them alike. Not the states too: each warm sample after a cold one read the whole store back into
    the cache, 262 s of disk's read job at 100,000 images (9 s per warm sample of its 100,000 files)."""
    path, rows = Path(path), []
    if any(p.concurrency for p in patterns) and not job.method.varies_concurrency("read"):
        raise BenchmarkError(f"{job.method_name} cannot vary its requests in flight: no concurrency pattern for it")
    store = listed(path)
    for mode in map(cache.CacheMode, job.settings.caches):
        reads = [ReadSample(job, path, n_images, mode, pattern, store) for pattern in patterns]
        while not all(read.sampled.done for read in reads):
            rows += [read.step(operation) for read in reads if not read.sampled.done]
    return rows
