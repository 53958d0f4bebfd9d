"""The source's four files, written under temporary names and renamed into place together at the end.

images.npy is written image by image (or batch by batch) straight into the file after its .npy header, so the
array is never in memory (a folder of 100,000 photos at 224 x 224 is 15 GB). Plain writes rather than a
writable memory map: a full disk then raises ENOSPC, where a memory map's page write would kill the job with
SIGBUS. Every later step reads images.npy through np.load(mmap_mode="r").
"""

import json
import math
import os
import struct
from pathlib import Path

import numpy as np

from imgbench.datasets.base import CHANNELS, SOURCE_FILES
from imgbench.errors import BenchmarkError

MAX_CLASSES = 256  # labels are uint8
NPY_MAGIC = b"\x93NUMPY\x01\x00"  # format version 1.0: a 2-byte header length
NPY_ALIGN = 64


def npy_header(shape: tuple[int, ...], length: int | None = None) -> bytes:
    """A uint8 C-order .npy header for shape, padded with spaces to `length` bytes (default: the next multiple
    of 64), so that a header for fewer images can later be written over it in place."""
    text = f"{{'descr': '|u1', 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    length = length or math.ceil((len(NPY_MAGIC) + 2 + len(text) + 1) / NPY_ALIGN) * NPY_ALIGN
    body = text.ljust(length - len(NPY_MAGIC) - 2 - 1) + "\n"
    return NPY_MAGIC + struct.pack("<H", len(body)) + body.encode("latin1")


def check_classes(classes: list[str]) -> None:
    if not classes:
        raise BenchmarkError("a source needs at least one class")
    if len(classes) > MAX_CLASSES:
        raise BenchmarkError(
            f"{len(classes)} classes, more than the {MAX_CLASSES} that uint8 labels can number; "
            "use at most 256 class folders"
        )
    for name in classes:
        if "\n" in name or "\r" in name or not name.strip():
            raise BenchmarkError(f"class name {name!r} cannot be one line of classes.txt; rename it")


class SourceWriter:
    """Use as a context manager: append() images and labels, then commit(origin). Leaving the block without a
    commit (an exception) removes the temporary files; files already in out_dir are only ever replaced by
    commit(), never removed.

    capacity is the most images that will be appended; fewer (skipped unreadable files) shrink the array at
    commit by rewriting its header in place and truncating the file."""

    def __init__(self, out_dir: Path, dataset: str, image_shape: tuple[int, int, int], capacity: int, classes):
        check_classes(list(classes))
        if len(image_shape) != 3 or image_shape[2] != CHANNELS or min(image_shape) < 1 or capacity < 1:
            raise ValueError(f"a source holds N x H x W x {CHANNELS} images, not {capacity} x {image_shape}")
        self.out_dir, self.dataset = Path(out_dir), dataset
        self.image_shape, self.capacity, self.classes = tuple(int(n) for n in image_shape), capacity, list(classes)
        self.count = 0
        self.labels = np.zeros(capacity, dtype=np.uint8)
        self.temporary = {key: self.out_dir / f".{name}.tmp" for key, name in SOURCE_FILES.items()}
        self._images = None
        self._header_bytes = 0

    def __enter__(self) -> "SourceWriter":
        self.out_dir.mkdir(parents=True, exist_ok=True)
        header = npy_header((self.capacity, *self.image_shape))
        self._header_bytes = len(header)
        self._images = open(self.temporary["images"], "wb")
        self._images.write(header)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._images is not None:
            self._images.close()
        for path in self.temporary.values():
            path.unlink(missing_ok=True)

    def append(self, images: np.ndarray, labels) -> None:
        """Images (n x H x W x 3 uint8, or one H x W x 3) and their labels, after those appended before."""
        images, labels = np.asarray(images), np.atleast_1d(np.asarray(labels))
        if images.ndim == 3:
            images = images[None]
        if images.shape[1:] != self.image_shape or images.dtype != np.uint8 or len(labels) != len(images):
            raise ValueError(f"expected n x {self.image_shape} uint8 and n labels, got {images.shape} {images.dtype}")
        if self.count + len(images) > self.capacity:
            raise ValueError(f"more than the {self.capacity} images this source was opened for")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise ValueError(f"labels must be 0 to {len(self.classes) - 1}")
        self._images.write(memoryview(np.ascontiguousarray(images)).cast("B"))
        self.labels[self.count : self.count + len(images)] = labels
        self.count += len(images)

    def commit(self, origin: dict) -> dict:
        """Finish the four files and rename them into place (source.json last); returns what source.json holds."""
        if self.count == 0:
            raise BenchmarkError(f"no image was written for the {self.dataset} source")
        if self.count < self.capacity:
            self._images.seek(0)
            self._images.write(npy_header((self.count, *self.image_shape), self._header_bytes))
            self._images.truncate(self._header_bytes + self.count * math.prod(self.image_shape))
        self._images.close()
        self._images = None
        info = {
            "dataset": self.dataset,
            "image_shape": list(self.image_shape),
            "dtype": "uint8",
            "count": self.count,
            "classes": self.classes,
            "origin": origin,
        }
        with open(self.temporary["labels"], "wb") as handle:
            np.save(handle, self.labels[: self.count])
        self.temporary["classes"].write_text("".join(f"{name}\n" for name in self.classes))
        self.temporary["info"].write_text(json.dumps(info, indent=2) + "\n")
        for key, name in SOURCE_FILES.items():
            os.replace(self.temporary[key], self.out_dir / name)
        return info
