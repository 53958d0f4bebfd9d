"""The source images: the unpickled dataset, repeated (image i is source image i % N) to any count."""

from pathlib import Path

import numpy as np


class Source:
    """Reads the unpickled arrays through a memory map; hands out chunks of the repeated dataset."""

    def __init__(self, directory: Path):
        self.images = np.load(Path(directory) / "images.npy", mmap_mode="r")
        self.labels = np.load(Path(directory) / "labels.npy")
        self._expected = self._equal = np.empty((0, 32, 32, 3), dtype=np.uint8)

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels at these indices of the repeated dataset, copied into memory."""
        source_rows = np.asarray(indices) % len(self)
        return np.take(self.images, source_rows, axis=0), self.labels[source_rows]

    def chunks(self, n_images: int, chunk_images: int):
        """(start, images, labels) for images 0..n_images-1, chunk_images at a time."""
        for start in range(0, n_images, chunk_images):
            stop = min(start + chunk_images, n_images)
            yield (start, *self.take(np.arange(start, stop)))

    def matches(self, indices: np.ndarray, images: np.ndarray, labels: np.ndarray) -> bool:
        """Whether images and labels equal the source at indices; images must be (n, 32, 32, 3) uint8.

        Compares in two buffers kept between calls: on a VM that hands freed memory back to the host,
        allocating 60 MB of fresh comparison arrays per 10,000-image chunk made verifying a read several
        times slower than the comparison itself.
        """
        rows = np.asarray(indices) % len(self)
        if len(self._expected) < len(rows):
            self._expected = np.empty((len(rows), 32, 32, 3), dtype=np.uint8)
            self._equal = np.empty((len(rows), 32, 32, 3), dtype=bool)
        expected, equal = self._expected[: len(rows)], self._equal[: len(rows)]
        np.take(self.images, rows, axis=0, out=expected)
        np.equal(images, expected, out=equal)
        return bool(equal.all()) and np.array_equal(labels, self.labels[rows])
