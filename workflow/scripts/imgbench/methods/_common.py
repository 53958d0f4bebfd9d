"""Helpers shared by several methods (the leading underscore keeps this out of the registry)."""

import math
from pathlib import Path

import numpy as np

from imgbench.fsutil import files_under, fsync_path
from imgbench.source import contiguous_range

BLOCK_BYTES = 4096  # filesystem block, for estimates of allocated bytes
PHOTO_PNG_RATIO = 0.8  # PNG of photo-like images against raw pixels, for disk estimates (CIFAR: 0.74)


def blocks(nbytes: float) -> int:
    """Bytes allocated for a file of nbytes: whole filesystem blocks."""
    return math.ceil(nbytes / BLOCK_BYTES) * BLOCK_BYTES


def fsync_tree(root: Path) -> None:
    """fsync every file below root, then root itself (for durable stores)."""
    for path in files_under(root):
        fsync_path(path)
    fsync_path(root)


def empty_batch(n: int, image_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Preallocated uint8 images (n, *image_shape) and labels (n,) for a reader to fill."""
    return np.empty((n, *image_shape), dtype=np.uint8), np.empty(n, dtype=np.uint8)


def gather_runs(dataset, indices, span_factor: int = 4) -> np.ndarray:
    """dataset[indices] for any order, through plain slices (h5py's fancy indexing costs ~0.3 ms per index).

    Contiguous indices: one slice. Indices spread over at most span_factor times their number of rows:
    one covering slice, indexed in memory. Otherwise one slice per run of consecutive indices (sorted,
    unique), then reordered.
    """
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) == 0:
        return dataset[0:0]
    span = contiguous_range(indices)
    if span is not None:
        return dataset[span[0] : span[1]]
    low, high = int(indices.min()), int(indices.max()) + 1
    if high - low <= span_factor * len(indices):
        return np.take(dataset[low:high], indices - low, axis=0)
    unique, inverse = np.unique(indices, return_inverse=True)
    breaks = np.flatnonzero(np.diff(unique) != 1) + 1
    out = np.empty((len(unique), *dataset.shape[1:]), dtype=dataset.dtype)
    for start, stop in zip(np.r_[0, breaks].tolist(), np.r_[breaks, len(unique)].tolist(), strict=True):
        out[start:stop] = dataset[int(unique[start]) : int(unique[stop - 1]) + 1]
    return out[inverse]


def check_in_order(next_start: int, start: int, where: str) -> None:
    """For stores that only append (Parquet, Arrow, Lance, ArrayRecord): chunks must arrive in index order."""
    if start != next_start:
        raise ValueError(
            f"{where} appends images in index order: the next chunk must start at image {next_start}, "
            f"not {start}. Write the chunks in order (storing.py does)."
        )
