"""A job's measuring context and one measurement's state: the stopwatch and memory peaks that become a row.

State lives here, on objects: a ``Job`` per timed job (its method, source, settings and time outside the
timers), a ``Measurement`` per row (its stopwatch and its own memory peaks, from its start), and a
``Sampled`` per measured quantity (its warm-ups, its loops per sample, its adaptive sampler).
"""

import dataclasses
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from imgbench.host import StealWatch
from imgbench.memory import PeakMemory, Primer
from imgbench.methods.base import Method
from imgbench.rows import PatternName, Row
from imgbench.sampling import loops_per_sample
from imgbench.settings import Settings
from imgbench.source import Source
from imgbench.timer import Overhead, Stopwatch
from imgbench.verify import Reference


class Measurement:
    """One timed operation: time only inside ``timed()``, memory sampled between the timed pieces, and the
    host's CPU steal from its making to its row (host.StealWatch)."""

    def __init__(self):
        self.watch = Stopwatch()
        self.memory = PeakMemory()
        self.steal = StealWatch()

    def timed(self):
        return self.watch.timed()

    def sample_memory(self) -> None:
        self.memory.sample()

    @property
    def seconds(self) -> float:
        return self.watch.seconds


@dataclass
class Job:
    """What one timed job measures with, and what it has spent outside the timers."""

    method_name: str
    method: Method
    source: Source
    settings: Settings
    overhead: Overhead = field(default_factory=Overhead)
    primer: Primer = field(default_factory=Primer, repr=False)  # fills memory before short operations

    @cached_property
    def reference(self) -> Reference:
        """What this job's reads must return (decoded references of a lossy codec are kept across reads)."""
        return Reference(self.source, self.method)

    @property
    def chunk_images(self) -> int:
        """Images per write or read call: chunk_images, or fewer where they would exceed chunk_bytes (so
        that 256 x 256 images do not make chunks of 2 GB)."""
        return max(1, min(self.settings.chunk_images, self.settings.chunk_bytes // max(self.source.image_bytes, 1)))

    @property
    def min_sample_seconds(self) -> float:
        """How long one sample of a short operation is looped to last: the setting, or 0 (no loops) for a
        method with a service, since every operation starts its own server outside the timers (about 2.6 s):
        looping a 3 ms single-image read to 0.1 s made one s3parquet measurement take minutes."""
        return 0.0 if self.method.service is not None else self.settings.min_sample_seconds

    def sampled(self) -> "Sampled":
        """A fresh adaptive sampler for one of this job's store or read measurements (min_sample_seconds)."""
        return Sampled(dataclasses.replace(self.settings, min_sample_seconds=self.min_sample_seconds))

    @property
    def durable(self) -> bool:
        return self.settings.durability == "fsync"

    @contextmanager
    def serving(self, path: Path) -> Iterator[None]:
        """The method's service around a writer or reader of the store at path (Method.serving), as storage.s3
        says: the round trip, and the existing S3 service if any. Starting and stopping it count as "server"
        outside the timers: a local S3 server per cold sample is most of an s3 job's time."""
        if self.method.service is None:  # nothing to start
            yield
            return
        service = self.method.serving(path, self.settings.round_trip_ms, self.settings.s3_remote)
        with self.overhead("server"):
            service.__enter__()
        try:
            yield
        except BaseException:
            with self.overhead("server"):
                if not service.__exit__(*sys.exc_info()):
                    raise
        else:
            with self.overhead("server"):
                service.__exit__(None, None, None)

    def row(self, measurement: Measurement, operation: str, n_images: int, repeat: int, warmup: bool = False,
            loops: int = 1, **fields) -> Row:  # fmt: skip
        """The row of a finished measurement of loops operations (seconds per operation); fields override the
        defaults (sequential, one worker, ...)."""
        resident, private = measurement.memory.result()
        op_images = fields.pop("op_images", n_images)
        values = {
            "pattern": PatternName.SEQUENTIAL.value, "batch_size": 0, "workers": 1, "cache": None,
            "concurrency": self.settings.options.get("concurrency", 0) if self.method.concurrency else 0,
            "round_trip_ms": self.settings.round_trip_ms,
            "p50_seconds": None, "p95_seconds": None, "p99_seconds": None, "resident_fraction": None,
            "cache_verified": None, "psnr_min_db": None, "psnr_median_db": None,
        } | fields  # fmt: skip
        return Row(
            method=self.method_name,
            operation=operation,
            n_images=n_images,
            durability=self.settings.durability,
            repeat=repeat,
            warmup=int(warmup),
            loops=loops,
            seconds=measurement.seconds / loops,
            started_ns=measurement.watch.started_ns,
            ended_ns=measurement.watch.ended_ns,
            op_images=op_images,
            peak_rss_bytes=resident,
            peak_private_bytes=private,
            raw_bytes=op_images * self.source.image_bytes,
            host_steal=measurement.steal.fraction(),
            measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            machine_id=self.settings.machine_id,
            **values,
        )


class Sampled:
    """One measured quantity (an operation in one pattern and cache state), sampled adaptively.

    ``step(run)`` runs the next sample, ``run(loops)`` returning the Measurement of that many operations, and
    returns the row's (measurement, loops, warmup). First the warm-ups, one operation each (rows with warmup
    1). Then the loop count is fixed from the last warm-up: an operation shorter than min_sample_seconds is
    looped so that one sample lasts about that long, unless preparing it takes longer than the operation
    (``preparation_seconds`` of that run, per operation: sampling.loops_per_sample); without warm-ups, a
    first single run decides, and is itself a sample when long enough. Then samples until the job's
    AdaptiveSampler stops (``done``).
    """

    def __init__(self, settings: Settings):
        self.settings, self.sampler = settings, settings.sampler()
        self.warmups_left, self.loops, self.repeat = settings.warmup_runs, None, 0
        self.last_seconds: float | None = None  # per operation, of the last sample or warm-up

    @property
    def done(self) -> bool:
        return self.warmups_left == 0 and self.loops is not None and self.sampler.done

    def step(
        self, run: Callable[[int], Measurement], preparation_seconds: float = 0.0
    ) -> tuple[Measurement, int, bool]:
        target = self.settings.min_sample_seconds
        if self.warmups_left == 0 and self.loops is None and self.last_seconds is not None:
            self.loops = loops_per_sample(self.last_seconds, target, preparation_seconds)
        loops = self.loops or 1
        measurement = run(loops)
        self.last_seconds = measurement.seconds / loops
        warmup = self.warmups_left > 0 or (self.loops is None and self.last_seconds < target)
        if self.warmups_left:
            self.warmups_left -= 1
        elif not warmup:  # a sample (or a first run that was long enough to be one)
            self.loops = loops
            self.sampler.add(self.last_seconds, loops)
        self.repeat += 1
        return measurement, loops, warmup
