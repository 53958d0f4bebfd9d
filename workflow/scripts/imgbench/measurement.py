"""A job's measuring context and one measurement's state: the stopwatch and memory peaks that become a row.

State lives here, on objects: a ``Job`` per timed job (its method, source, settings and time outside the
timers), a ``Measurement`` per row (its stopwatch and its own memory peaks, from its start).
"""

import time
from dataclasses import dataclass, field
from functools import cached_property

from imgbench.memory import PeakMemory
from imgbench.methods.base import Method
from imgbench.rows import PatternName, Row
from imgbench.settings import Settings
from imgbench.source import Source
from imgbench.timer import Overhead, Stopwatch
from imgbench.verify import Reference


class Measurement:
    """One timed operation: time only inside ``timed()``, memory sampled between the timed pieces."""

    def __init__(self):
        self.watch = Stopwatch()
        self.memory = PeakMemory()

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

    @cached_property
    def reference(self) -> Reference:
        """What this job's reads must return (decoded references of a lossy codec are kept across reads)."""
        return Reference(self.source, self.method)

    @property
    def durable(self) -> bool:
        return self.settings.durability == "fsync"

    def row(self, measurement: Measurement, operation: str, n_images: int, repeat: int, **fields) -> Row:
        """The row of a finished measurement; fields override the defaults (sequential, one worker, ...)."""
        resident, private = measurement.memory.result()
        op_images = fields.pop("op_images", n_images)
        values = {
            "pattern": PatternName.SEQUENTIAL.value, "batch_size": 0, "workers": 1, "cache": None,
            "p50_seconds": None, "p95_seconds": None, "p99_seconds": None, "resident_fraction": None,
            "cache_verified": None, "psnr_min_db": None, "psnr_median_db": None,
        } | fields  # fmt: skip
        return Row(
            method=self.method_name,
            operation=operation,
            n_images=n_images,
            durability=self.settings.durability,
            repeat=repeat,
            warmup=int(repeat < self.settings.warmup_runs),
            seconds=measurement.seconds,
            started_ns=measurement.watch.started_ns,
            ended_ns=measurement.watch.ended_ns,
            op_images=op_images,
            peak_rss_bytes=resident,
            peak_private_bytes=private,
            raw_bytes=op_images * self.source.image_bytes,
            measured_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            machine_id=self.settings.machine_id,
            **values,
        )
