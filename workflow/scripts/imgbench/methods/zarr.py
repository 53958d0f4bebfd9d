"""zarr: one Zarr v3 array N x H x W x C of uint8, one image per chunk, the chunks stored in shards of
shard_images images (zarr-python 3), plus a labels array.

Layout: the group ``images.zarr`` with the arrays ``images`` (shape (N, H, W, C), chunks (1, H, W, C), shards
(shard_images, H, W, C): one file per shard, its chunk index at the end) and ``labels`` (N,), one chunk.

Settings for random access of small records, and why (Zarr's "Optimizing performance" guide,
https://zarr.readthedocs.io/en/v3.1.6/user-guide/performance.html):
- One image per chunk: "the chunk shape determines what unit of your data can be read independently", so
  reading image i reads image i only (and its shard's index).
- Shards of shard_images images (1,000 by default, 3 MB for CIFAR): "the shard shape determines what unit
  of your data can be written efficiently", and sharding exists for many small chunks, which as files of
  their own would strain the filesystem. The writer gathers each shard whole before writing it, since a
  partly written shard is rewritten on every later write into it.
- No compressor, and ``write_empty_chunks`` on: raw pixels are what every raw method stores (compression is
  the codec axis's question, and pixel noise barely compresses), and the guide advises writing every chunk
  without the emptiness check when chunks are "almost always non-empty".
- Reads: a contiguous run is one slice; any other indices one orthogonal selection (``oindex``), zarr's
  integer-array indexing, which takes them in any order and with repeats.
"""

from pathlib import Path

import numpy as np

from imgbench.source import contiguous_range

from ._common import fsync_tree
from .base import Method, Option

GROUP = "images.zarr"


class Writer:
    """Gathers one shard at a time in memory (shard_images images) and writes it whole."""

    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *, shard_images: int):
        import zarr

        self.path, self.durable = Path(path), durable
        group = zarr.open_group(str(self.path / GROUP), mode="w", zarr_format=3)
        shard_images = max(1, min(shard_images, n_images))
        self.images = group.create_array(
            "images", shape=(n_images, *image_shape), chunks=(1, *image_shape), shards=(shard_images, *image_shape),
            dtype="uint8", compressors=None, fill_value=0, config={"write_empty_chunks": True},
        )  # fmt: skip
        self.labels = group.create_array("labels", shape=(n_images,), chunks=(max(1, n_images),), dtype="uint8",
                                         compressors=None, fill_value=0)  # fmt: skip
        self.shard = np.empty((shard_images, *image_shape), dtype=np.uint8)
        self.shard_start, self.filled = 0, 0  # the shard being gathered: its first image, images in it
        self.all_labels = np.zeros(n_images, dtype=np.uint8)

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        if start != self.shard_start + self.filled:
            raise ValueError(f"zarr gathers whole shards: the next chunk must start at image "
                             f"{self.shard_start + self.filled}, not {start}")  # fmt: skip
        self.all_labels[start : start + len(labels)] = labels
        taken = 0
        while taken < len(images):
            room = min(len(self.shard) - self.filled, len(images) - taken)
            self.shard[self.filled : self.filled + room] = images[taken : taken + room]
            self.filled, taken = self.filled + room, taken + room
            if self.filled == len(self.shard):
                self._write_shard()

    def _write_shard(self) -> None:
        if self.filled:
            self.images[self.shard_start : self.shard_start + self.filled] = self.shard[: self.filled]
        self.shard_start, self.filled = self.shard_start + self.filled, 0

    def close(self) -> None:
        self._write_shard()
        if len(self.all_labels):
            self.labels[:] = self.all_labels
        self.shard = None
        if self.durable:
            fsync_tree(self.path)


class Reader:
    def __init__(self, path: Path):
        import zarr

        group = zarr.open_group(str(Path(path) / GROUP), mode="r")
        self.images = group["images"]
        self.labels = group["labels"][:]

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        labels = self.labels[indices]  # raises for an index beyond the store
        span = contiguous_range(indices)
        if span is not None:
            return self.images[span[0] : span[1]], labels
        if len(indices) == 0:
            return np.empty((0, *self.images.shape[1:]), dtype=np.uint8), labels
        return self.images.oindex[indices], labels

    def close(self) -> None:
        self.images = None  # zarr's local store opens a file per chunk read and closes it


METHOD = Method(
    description="one Zarr v3 array N x H x W x C (zarr-python), one image per chunk, chunks in shards of "
    "shard_images, uncompressed, + labels",
    writer=Writer,
    reader=Reader,
    # pixels, label, and each chunk's 16-byte entry (offset, length) in its shard's index
    bytes_per_image=lambda image_bytes: image_bytes + 1 + 16,
    options={"shard_images": Option(1000, "images per Zarr shard (one file), the unit a store writes", minimum=1)},
    requires=("zarr",),
)
