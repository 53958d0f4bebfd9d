"""Page-cache control for cold reads: evict a store's files and measure how much of them is resident."""

import ctypes
import mmap
import os
import random
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


def resident_pages(path: Path) -> tuple[int, int]:
    """(resident, total) pages of one file in the page cache, from mincore(2) on a fresh mapping."""
    size = os.path.getsize(path)
    total = (size + PAGE - 1) // PAGE
    if total == 0:
        return 0, 0
    fd = os.open(path, os.O_RDONLY)
    try:
        address = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if address in (None, MAP_FAILED):
            raise OSError(ctypes.get_errno(), f"mmap failed for {path}")
        try:
            vector = (ctypes.c_ubyte * total)()
            if _libc.mincore(address, size, vector) != 0:
                raise OSError(ctypes.get_errno(), f"mincore failed for {path}")
            return sum(byte & 1 for byte in vector), total
        finally:
            _libc.munmap(address, size)
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
