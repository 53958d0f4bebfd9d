"""What this machine can do at best, measured in every run: the ceilings that bound stores and reads.

- page-cache read bandwidth: a warm file read with readinto into one preallocated buffer (what a read of raw
  pixels cannot beat), at fixed sizes from 1 MiB to 256 MiB (a store takes the ceiling of the next size up;
  fixed so that adding a cutoff does not measure them again);
- memory copy bandwidth: np.copyto of a 256 MiB buffer (what a store into the page cache cannot beat);
- small-file create time: one file of an image's size created, written and closed, per file (what a store
  of one file per image cannot beat, per image).

Each is the best of a few tries (a ceiling is what the machine can do, not what it usually does). stats.py
sets each result against its ceiling: ceiling_seconds is the time the ceiling allows for the same work, and
ceiling_fraction = ceiling_seconds / median (1 would be as fast as the machine allows).
"""

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from imgbench.fsutil import write_text_atomic

TRIES = 5
COPY_BYTES = 256 << 20
CREATE_FILES, CREATE_WINDOW = 2000, 100
READ_SIZES = [1 << 20, 16 << 20, 256 << 20]  # larger stores take the largest's (the bandwidth has levelled off)


def best(seconds) -> float:
    return min(seconds)


def read_bandwidth(work: Path, nbytes: int) -> float:
    """Bytes per second of reading a warm file of nbytes into a preallocated buffer."""
    path, buffer = work / "read.bin", np.empty(nbytes, dtype=np.uint8)
    with open(path, "wb") as handle:
        handle.write(np.random.default_rng(0).integers(0, 256, nbytes, dtype=np.uint8).tobytes())
    times = []
    with open(path, "rb", buffering=0) as handle:
        handle.readinto(buffer)  # warm it
        for _try in range(TRIES):
            handle.seek(0)
            start = time.perf_counter()
            handle.readinto(buffer)
            times.append(time.perf_counter() - start)
    path.unlink()
    return nbytes / best(times)


def copy_bandwidth() -> float:
    source, target = np.ones(COPY_BYTES, dtype=np.uint8), np.empty(COPY_BYTES, dtype=np.uint8)
    np.copyto(target, source)  # fault the pages in
    times = []
    for _try in range(TRIES):
        start = time.perf_counter()
        np.copyto(target, source)
        times.append(time.perf_counter() - start)
    return COPY_BYTES / best(times)


def create_seconds(work: Path, image_bytes: int) -> float:
    """Seconds per small file created, written and closed (in a fresh directory each try), in the fastest
    window of CREATE_WINDOW files: creating files right after many were deleted is slower for a while on
    some filesystems (docs/virtual-machines.md), and a ceiling is the machine's best."""
    payload, times = os.urandom(image_bytes), []
    for attempt in range(3):
        directory = work / f"create-{attempt}"
        directory.mkdir()
        for window in range(CREATE_FILES // CREATE_WINDOW):
            start = time.perf_counter()
            for index in range(window * CREATE_WINDOW, (window + 1) * CREATE_WINDOW):
                with open(directory / f"{index}", "wb") as handle:
                    handle.write(payload)
            times.append((time.perf_counter() - start) / CREATE_WINDOW)
    shutil.rmtree(work)  # after all tries: deleting first would slow the next creates (docs/virtual-machines.md)
    work.mkdir()
    return best(times)


def measure(work: Path, image_bytes: int) -> dict:
    shutil.rmtree(work, ignore_errors=True)  # what a killed ceilings job left
    work.mkdir(parents=True)
    try:
        return {
            "read_bytes_per_second": {str(size): read_bandwidth(work, size) for size in READ_SIZES},
            "copy_bytes_per_second": copy_bandwidth(),
            "create_seconds_per_file": create_seconds(work, image_bytes),
            "image_bytes": image_bytes,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write(path: Path, ceilings: dict) -> None:
    write_text_atomic(path, json.dumps(ceilings, indent=2) + "\n")


def read_ceiling_bytes_per_second(ceilings: dict, nbytes: int) -> float:
    """The read bandwidth measured on the file size nearest to nbytes (from above where there is one)."""
    sizes = sorted(int(size) for size in ceilings["read_bytes_per_second"])
    size = next((s for s in sizes if s >= nbytes), sizes[-1])
    return ceilings["read_bytes_per_second"][str(size)]
