"""One row of timings.csv per measurement: its fields (the CSV's columns, in order) and their vocabulary.

docs/results.md says what each column means. Values that do not apply to a row are None, written as an
empty cell: the cache of a store, the percentiles of anything but a single_latency read.
"""

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from imgbench.fsutil import write_csv_atomic


class Operation(StrEnum):
    STORE_MANY = "store_many"
    STORE_SINGLE = "store_single"
    READ_MANY = "read_many"
    READ_SINGLE = "read_single"


class PatternName(StrEnum):
    SEQUENTIAL = "sequential"
    RANDOM = "random"
    BATCH = "batch"
    PARALLEL = "parallel"
    CONCURRENCY = "concurrency"  # random order, the reader's requests in flight set (Method.concurrency)
    SINGLE_LATENCY = "single_latency"
    FIRST_IMAGE = "first_image"  # opening the store and reading its first image: what a training job waits for
    ENCODE_ONLY = "encode_only"  # a store's encoding alone, in memory
    DECODE_ONLY = "decode_only"  # a read's decoding alone, in memory


@dataclass
class Row:
    method: str
    operation: str
    n_images: int
    pattern: str
    batch_size: int
    workers: int
    concurrency: int  # requests in flight per process, for methods that vary it (Method.concurrency); else 0
    round_trip_ms: float  # the network round trip added to a remote method's requests (storage.s3); else 0
    cache: str | None
    durability: str
    repeat: int
    warmup: int
    loops: int  # operations timed in this sample; seconds is per operation
    seconds: float
    p50_seconds: float | None
    p95_seconds: float | None
    p99_seconds: float | None
    started_ns: int
    ended_ns: int
    op_images: int
    resident_fraction: float | None
    cache_verified: int | None
    peak_rss_bytes: int
    peak_private_bytes: int
    raw_bytes: int
    psnr_min_db: float | None  # lossy codecs' reads: the worst and the median image against the source
    psnr_median_db: float | None
    host_steal: float | None  # share of the machine's CPU time the hypervisor took during the sample (host.py)
    measured_at: str
    machine_id: str

    def csv_values(self) -> dict[str, str | int]:
        values = dataclasses.asdict(self)
        for name in ("seconds", "p50_seconds", "p95_seconds", "p99_seconds"):
            values[name] = "" if values[name] is None else f"{values[name]:.9f}"
        for name in ("psnr_min_db", "psnr_median_db"):
            values[name] = "" if values[name] is None else f"{values[name]:.2f}"
        for name in ("resident_fraction", "host_steal"):
            values[name] = "" if values[name] is None else f"{values[name]:.4f}"
        return {name: "" if value is None else value for name, value in values.items()}


COLUMNS = [field.name for field in dataclasses.fields(Row)]


def write_rows(path: Path, rows: list[Row]) -> None:
    write_csv_atomic(path, [row.csv_values() for row in rows], COLUMNS)
