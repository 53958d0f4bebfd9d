"""The source images: the unpickled dataset, repeated (image i is source image i % N) to any count."""

from pathlib import Path

import numpy as np


def contiguous_range(indices: np.ndarray) -> tuple[int, int] | None:
    """(start, stop) if indices are start, start+1, ..., stop-1; None otherwise."""
    if len(indices) == 0:
        return None
    start, stop = int(indices[0]), int(indices[-1]) + 1
    if stop - start == len(indices) and np.all(np.diff(indices) == 1):
        return start, stop
    return None


class Source:
    """Reads the unpickled arrays through a memory map; hands out chunks of the repeated dataset."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.images = np.load(self.directory / "images.npy", mmap_mode="r")
        self.labels = np.load(self.directory / "labels.npy")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def image_shape(self) -> tuple[int, ...]:
        """(height, width, channels) of every image."""
        return tuple(self.images.shape[1:])

    @property
    def image_bytes(self) -> int:
        return int(self.images[0].nbytes) if len(self.images) else 0

    def take(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels at these indices of the repeated dataset, copied into memory."""
        source_rows = np.asarray(indices) % len(self)
        return np.take(self.images, source_rows, axis=0), self.labels[source_rows]

    def expected(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What a read of these indices must return: like take, but a view of the memory map (no copy)
        when the indices are one ascending run inside one repetition of the dataset, as sequential reads are.

        Verification compares 30 MB per 10,000 images; copying the source first took most of its time.
        """
        indices = np.asarray(indices)
        span = contiguous_range(indices) if len(indices) > 1 else None
        first = span[0] % len(self) if span else 0
        if span is None or first + len(indices) > len(self):
            return self.take(indices)
        return self.images[first : first + len(indices)], self.labels[first : first + len(indices)]

    def chunks(self, n_images: int, chunk_images: int):
        """(start, images, labels) for images 0..n_images-1, chunk_images at a time."""
        for start in range(0, n_images, chunk_images):
            stop = min(start + chunk_images, n_images)
            yield (start, *self.take(np.arange(start, stop)))
