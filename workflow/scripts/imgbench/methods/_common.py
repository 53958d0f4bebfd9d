"""Helpers shared by several methods (the leading underscore keeps this out of the registry)."""

import numpy as np


def contiguous_range(indices: np.ndarray) -> tuple[int, int] | None:
    """(start, stop) if indices are start, start+1, ..., stop-1; None otherwise."""
    if len(indices) == 0:
        return None
    start, stop = int(indices[0]), int(indices[-1]) + 1
    if stop - start == len(indices) and np.all(np.diff(indices) == 1):
        return start, stop
    return None


def gather_sorted(dataset, indices: np.ndarray) -> np.ndarray:
    """dataset[indices] for any order, through one increasing read (h5py needs sorted, unique)."""
    span = contiguous_range(indices)
    if span is not None:
        return dataset[span[0] : span[1]]
    unique, inverse = np.unique(indices, return_inverse=True)
    return dataset[unique][inverse]
