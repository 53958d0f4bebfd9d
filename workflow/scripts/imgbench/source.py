"""The source images: the unpickled dataset, repeated (image i is source image i % N) to any count."""

from pathlib import Path

import numpy as np


class Source:
    """Reads the unpickled arrays through a memory map; hands out chunks of the repeated dataset."""

    def __init__(self, directory: Path):
        self.images = np.load(Path(directory) / "images.npy", mmap_mode="r")
        self.labels = np.load(Path(directory) / "labels.npy")

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
