"""npy: the raw array in one .npy file (runs read with preadv, scattered images through a memory map): the floor."""

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
    """The floor: a run of consecutive images (sequential reads) is one positioned read (os.preadv) straight
    into the returned array, with no page faults of a memory map; scattered images are gathered through a
    read-only memory map of the file, which touches only their pages."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd = os.open(self.path / "images.npy", os.O_RDONLY)
        with os.fdopen(os.dup(self.fd), "rb") as handle:  # the header only: one small read
            version = np.lib.format.read_magic(handle)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            shape, _fortran, _dtype = read_header(handle)
            self.offset = handle.tell()
        self.image_shape, self.image_bytes = shape[1:], int(np.prod(shape[1:]))
        self.labels = np.load(self.path / "labels.npy")
        self.images = None  # the memory map, made for the first scattered read

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        span = contiguous_range(indices)
        if span is None:  # np.array copies out of the map: the pages are really read, as in every method
            if self.images is None:
                self.images = np.load(self.path / "images.npy", mmap_mode="r")
            return np.array(self.images[indices]), self.labels[indices]
        images = np.empty((span[1] - span[0], *self.image_shape), dtype=np.uint8)
        buffer, offset = memoryview(images.reshape(-1)), self.offset + span[0] * self.image_bytes
        while len(buffer):
            done = os.preadv(self.fd, [buffer], offset)
            if done == 0:
                raise OSError(f"images.npy ended {len(buffer)} bytes early: the store is truncated")
            buffer, offset = buffer[done:], offset + done
        return images, self.labels[indices]

    def close(self) -> None:
        os.close(self.fd)
        self.images = None  # dropping the last reference to the memmap unmaps the file and closes it


METHOD = Method(
    description="raw uint8 array in images.npy (+ labels.npy); runs read by preadv, scattered images by memmap",
    writer=Writer,
    reader=Reader,
    bytes_per_image=lambda image_bytes: image_bytes + 1,  # pixels and a label byte; headers are negligible
)
