"""The HDF5 writer shared by the HDF5 methods (the underscore keeps this out of the registry)."""

from pathlib import Path

import h5py
import numpy as np

from ._common import fsync_tree

FILE = "images.h5"


def close_hdf5(file: h5py.File, path: Path, durable: bool) -> None:
    """Flush and close an HDF5 file; when durable, fsync every file of the store and its directory."""
    file.flush()
    file.close()
    if durable:
        fsync_tree(path)


class ImageDatasetWriter:
    """One HDF5 file holding an images dataset (n, *image_shape) and a labels dataset (n,), filled by slices.

    file_options go to h5py.File (libver, chunk cache), images_options to create_dataset (chunks, filters).
    """

    def __init__(
        self,
        path: Path,
        n_images: int,
        image_shape: tuple[int, ...],
        durable: bool,
        *,
        dtype,
        labels_name: str,
        file_options: dict | None = None,
        images_options: dict | None = None,
    ):
        self.path, self.durable = Path(path), durable
        self.file = h5py.File(self.path / FILE, "w", **(file_options or {}))
        self.images = self.file.create_dataset("images", (n_images, *image_shape), dtype, **(images_options or {}))
        self.labels = self.file.create_dataset(labels_name, (n_images,), dtype)

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        self.images[start : start + len(images)] = images
        self.labels[start : start + len(labels)] = labels

    def close(self) -> None:
        close_hdf5(self.file, self.path, self.durable)
