"""hdf5: one HDF5 file with an ``images`` and a ``meta`` (labels) dataset, as in the tutorial."""

from pathlib import Path

import h5py
import numpy as np

from ._common import gather_runs
from ._hdf5 import FILE, ImageDatasetWriter
from .base import Method


def writer(path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool) -> ImageDatasetWriter:
    # Big-endian uint8 (identical bytes to native uint8) as the tutorial declared it.
    return ImageDatasetWriter(path, n_images, image_shape, durable, dtype=h5py.h5t.STD_U8BE, labels_name="meta")


class Reader:
    def __init__(self, path: Path):
        self.file = h5py.File(Path(path) / FILE, "r")
        self.images, self.labels = self.file["images"], self.file["meta"]

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images = gather_runs(self.images, indices).astype(np.uint8, copy=False)
        return images, gather_runs(self.labels, indices).astype(np.uint8, copy=False)

    def close(self) -> None:
        self.file.close()


METHOD = Method(
    description="one HDF5 file, contiguous 'images' and 'meta' uint8 datasets (h5py)",
    writer=writer,
    reader=Reader,
    bytes_per_image=lambda image_bytes: image_bytes + 28,  # pixels, label, and HDF5's small overhead
)
