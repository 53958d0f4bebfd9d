"""Disk usage of one store, measured from the files it holds (never typed in)."""

import os
from pathlib import Path

from imgbench.fsutil import files_under

COLUMNS = ["method", "n_images", "bytes_apparent", "bytes_allocated", "n_files", "raw_bytes"]


def disk_usage(root: Path) -> dict:
    """Apparent bytes (st_size), allocated bytes (st_blocks * 512) and number of files below root."""
    files = files_under(Path(root))
    stats = [os.stat(path) for path in files]
    return {
        "bytes_apparent": sum(s.st_size for s in stats),
        "bytes_allocated": sum(s.st_blocks * 512 for s in stats),
        "n_files": len(files),
    }
