"""hdf5: one HDF5 file with an ``images`` and a ``meta`` (labels) dataset, as in the tutorial."""

from pathlib import Path

import h5py
import numpy as np

from imgbench import IMAGE_SHAPE

from ._common import close_hdf5, gather_runs

BYTES_PER_IMAGE = 3100  # raw pixels plus label
DESCRIPTION = "one HDF5 file, contiguous 'images' and 'meta' uint8 datasets (h5py)"
FILE = "images.h5"


class Writer:
    def __init__(self, path: Path, n_images: int, durable: bool):
        self.path, self.durable = Path(path), durable
        self.file = h5py.File(self.path / FILE, "w")
        self.images = self.file.create_dataset("images", (n_images, *IMAGE_SHAPE), h5py.h5t.STD_U8BE)
        self.labels = self.file.create_dataset("meta", (n_images,), h5py.h5t.STD_U8BE)

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        self.images[start : start + len(images)] = images
        self.labels[start : start + len(labels)] = labels

    def close(self) -> None:
        close_hdf5(self.file, self.path, self.durable)


class Reader:
    def __init__(self, path: Path):
        self.file = h5py.File(Path(path) / FILE, "r")
        self.images, self.labels = self.file["images"], self.file["meta"]

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images = gather_runs(self.images, indices).astype(np.uint8, copy=False)
        return images, gather_runs(self.labels, indices).astype(np.uint8, copy=False)

    def close(self) -> None:
        self.file.close()
