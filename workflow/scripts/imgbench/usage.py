"""Disk usage of one store, measured from the files (and objects) it holds (never typed in)."""

from pathlib import Path

from imgbench.fsutil import walk_files, write_csv_atomic
from imgbench.objectstore import MANIFEST
from imgbench.objectstore.remote import held

COLUMNS = ["method", "n_images", "bytes_apparent", "bytes_allocated", "n_files", "raw_bytes"]


def disk_usage(root: Path) -> dict:
    """Apparent bytes (st_size), allocated bytes (st_blocks * 512) and number of files below root; a store in
    an existing S3 service adds its objects and their bytes (allocated too: a service does not say what it
    allocates), as its s3.json counted them at close.

    Stats the walk's entries directly, unsorted: 0.5-0.8 s for a 100,000-file PNG store, against 1.2 s
    when it sorted the paths first (files_under).
    """
    entries = walk_files(Path(root))
    stats = [entry.stat() for entry in entries]
    objects, object_bytes = held(entry.path for entry in entries if entry.name == MANIFEST)
    return {
        "bytes_apparent": sum(s.st_size for s in stats) + object_bytes,
        "bytes_allocated": sum(s.st_blocks * 512 for s in stats) + object_bytes,
        "n_files": len(stats) + objects,
    }


def write_usage(path: Path, method: str, n_images: int, store: Path, image_bytes: int) -> None:
    """The one-row usage table of a store job."""
    row = {"method": method, "n_images": n_images, **disk_usage(store), "raw_bytes": n_images * image_bytes}
    write_csv_atomic(path, [row], COLUMNS)
