"""Page-cache states for reads: evict a store's files, warm them, and measure how much of them is resident.

``ensure(mode, files, store_bytes)`` puts a store in the asked state and says whether it got there: cold
means at most COLD_MAX_RESIDENT of its pages in the page cache (after os.sync and POSIX_FADV_DONTNEED on
every file), warm at least WARM_MIN_RESIDENT (every file read again if not). Residency is measured with
cachestat(2) (Linux 6.5+) or mincore(2), on every file or on a seeded sample of RESIDENCY_SAMPLE_FILES.
Only file data is evicted: the kernel's inode and directory caches stay warm.
"""

import ctypes
import errno
import functools
import mmap
import os
import random
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from imgbench.fsutil import files_under

PAGE = mmap.PAGESIZE
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
MAP_FAILED = ctypes.c_void_p(-1).value

# Residency is measured on all files of a store up to this many, else on a seeded random sample.
RESIDENCY_SAMPLE_FILES = 1000
COLD_MAX_RESIDENT, WARM_MIN_RESIDENT = 0.05, 0.95


class CacheMode(StrEnum):
    WARM = "warm"
    COLD = "cold"


class _Range(ctypes.Structure):
    _fields_ = [("off", ctypes.c_uint64), ("len", ctypes.c_uint64)]


class _CacheStat(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("cache", "dirty", "writeback", "evicted", "recently_evicted")]


SYS_CACHESTAT = 451  # Linux 6.5+, the same number on every architecture
_libc.syscall.restype = ctypes.c_long
_WHOLE_FILE = _Range(0, 0)


def _cachestat(fd: int, stat: _CacheStat) -> int:
    return _libc.syscall(SYS_CACHESTAT, fd, ctypes.byref(_WHOLE_FILE), ctypes.byref(stat), 0)


@functools.cache
def kernel_has_cachestat() -> bool:
    """Whether this kernel answers cachestat(2) (no ENOSYS, and no seccomp filter answering EPERM)."""
    fd = os.open(os.__file__, os.O_RDONLY)
    try:
        return _cachestat(fd, _CacheStat()) == 0 or ctypes.get_errno() not in (errno.ENOSYS, errno.EPERM)
    finally:
        os.close(fd)


def cached_pages(fd: int) -> int | None:
    """Pages of the open file in the page cache, by cachestat(2); None where the kernel lacks it.

    It needs no mapping: 6-9 ms for 1,000 PNG files, against 26-40 ms for mmap plus mincore.
    """
    if not kernel_has_cachestat():
        return None
    stat = _CacheStat()
    if _cachestat(fd, stat) != 0:
        raise OSError(ctypes.get_errno(), "cachestat failed")
    return stat.cache


def mincore_pages(fd: int, size: int, path: Path) -> int:
    """Resident pages of the open file, from mincore(2) on a fresh mapping (any Linux)."""
    address = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    if address in (None, MAP_FAILED):
        raise OSError(ctypes.get_errno(), f"mmap failed for {path}")
    try:
        vector = (ctypes.c_ubyte * ((size + PAGE - 1) // PAGE))()
        if _libc.mincore(address, size, vector) != 0:
            raise OSError(ctypes.get_errno(), f"mincore failed for {path}")
        return sum(byte & 1 for byte in vector)
    finally:
        _libc.munmap(address, size)


def resident_pages(path: Path) -> tuple[int, int]:
    """(resident, total) pages of one file in the page cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        total = (size + PAGE - 1) // PAGE
        if total == 0:
            return 0, 0
        resident = cached_pages(fd)
        return (mincore_pages(fd, size, path) if resident is None else min(resident, total)), total
    finally:
        os.close(fd)


def resident_fraction(root: Path, files: list[Path] | None = None) -> float:
    """Fraction of the store's pages in the page cache (on a seeded sample of files for big stores)."""
    files = files if files is not None else files_under(root)
    if len(files) > RESIDENCY_SAMPLE_FILES:
        files = random.Random(0).sample(files, RESIDENCY_SAMPLE_FILES)
    resident = total = 0
    for path in files:
        r, t = resident_pages(path)
        resident, total = resident + r, total + t
    return resident / total if total else 0.0


def evict(root: Path, files: list[Path] | None = None) -> None:
    """Write back, then drop from the page cache, every file of the store (dirty pages cannot be dropped)."""
    os.sync()
    for path in files if files is not None else files_under(root):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def release(root: Path, files: list[Path] | None = None, size: int | None = None) -> tuple[int, float]:
    """Evict the files (size: their total bytes, if known); return about how many bytes of page cache that
    freed, and the fraction still resident.

    Freed just before a timed operation, those pages are backed by the host and the operation can reuse
    them, so a prime needs to touch only the rest (memory.Primer.prime_rest).
    """
    files = files if files is not None else files_under(root)
    size = size if size is not None else sum(path.stat().st_size for path in files)
    before = resident_fraction(root, files)
    evict(root, files)
    after = resident_fraction(root, files)
    return max(int((before - after) * size), 0), after


@dataclass(frozen=True)
class CacheState:
    """What a store's page cache was just before a timed read: the resident fraction measured, whether that
    is the asked state, and the bytes of page cache an eviction freed (host-backed: priming counts them)."""

    resident_fraction: float
    verified: bool
    released_bytes: int


def warm(files: list[Path]) -> None:
    for file in files:
        with open(file, "rb") as handle:
            while handle.read(1 << 20):
                pass


def ensure(mode: CacheMode, root: Path, files: list[Path], store_bytes: int) -> CacheState:
    """Put the store's files in the asked cache state and measure it."""
    if mode == CacheMode.COLD:
        released, fraction = release(root, files, store_bytes)
        return CacheState(fraction, fraction <= COLD_MAX_RESIDENT, released)
    fraction = resident_fraction(root, files)
    if fraction < WARM_MIN_RESIDENT:  # pages reclaimed since the last read (docs/virtual-machines.md: DAMON)
        warm(files)
        fraction = resident_fraction(root, files)
    return CacheState(fraction, fraction >= WARM_MIN_RESIDENT, 0)
