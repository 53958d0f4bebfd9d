"""npy: the raw array in one .npy file, read through a memory map: the floor for every other method."""

import mmap
import os
from pathlib import Path

import numpy as np

from imgbench.fsutil import fsync_path
from imgbench.source import contiguous_range

from .base import Method


class Writer:
    """Writes the .npy header, then streams raw chunks, so memory stays bounded at any count."""

    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool):
        self.path, self.durable = Path(path), durable
        # Unbuffered, written with ndarray.tofile as np.save does: a buffered handle's write(memoryview)
        # took 0.11-0.13 s for 300 MB here against 0.06-0.07 s for tofile (same data, alternated, 6 runs each).
        self.handle = open(self.path / "images.npy", "wb", buffering=0)
        header = {"descr": "|u1", "fortran_order": False, "shape": (n_images, *image_shape)}
        np.lib.format.write_array_header_1_0(self.handle, header)
        self.labels = np.empty(n_images, dtype=np.uint8)

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        np.ascontiguousarray(images).tofile(self.handle)
        self.labels[start : start + len(labels)] = labels

    def close(self) -> None:
        with self.handle, open(self.path / "labels.npy", "wb") as labels_handle:
            np.save(labels_handle, self.labels)
            for handle in (self.handle, labels_handle):
                handle.flush()
                if self.durable:
                    os.fsync(handle.fileno())
        if self.durable:
            fsync_path(self.path)


class Reader:
    def __init__(self, path: Path):
        self.images = np.load(Path(path) / "images.npy", mmap_mode="r")
        self.labels = np.load(Path(path) / "labels.npy")

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # np.array copies out of the map: the pages are really read, as in every other method.
        span = contiguous_range(indices)
        if span is None:
            return np.array(self.images[indices]), self.labels[indices]
        images = np.array(self.images[span[0] : span[1]])
        self._unmap(span)
        return images, self.labels[indices]

    def _unmap(self, span: tuple[int, int]) -> None:
        """Drop the chunk's pages from this process's map (they stay in the page cache), so resident
        memory stays at one chunk however many images a read visits."""
        image_bytes = self.images.strides[0]
        first = self.images.offset + span[0] * image_bytes
        start = first - first % mmap.PAGESIZE
        self.images._mmap.madvise(mmap.MADV_DONTNEED, start, self.images.offset + span[1] * image_bytes - start)

    def close(self) -> None:
        # Dropping the last reference to the memmap unmaps the file and closes it.
        self.images = None


METHOD = Method(
    description="raw uint8 array in images.npy (+ labels.npy), read through a memory map",
    writer=Writer,
    reader=Reader,
    bytes_per_image=lambda image_bytes: image_bytes + 1,  # pixels and a label byte; headers are negligible
)
