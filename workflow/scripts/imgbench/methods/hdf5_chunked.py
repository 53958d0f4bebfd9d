"""hdf5_chunked: one HDF5 file, images chunked by whole images, optionally compressed (lzf, gzip)."""

import math
from pathlib import Path

import h5py
import numpy as np

from ._common import gather_runs
from ._hdf5 import FILE, ImageDatasetWriter
from .base import Method, Option

COMPRESSIONS = ("none", "lzf", "gzip")
CACHED_CHUNKS = 4


def chunk_cache(chunk_bytes: int, compressed: bool) -> dict:
    """h5py.File chunk-cache settings. Uncompressed: none, so HDF5 moves bytes straight between file and
    array (through a cache, every chunk would be copied once more: 2x slower reads at 10,000 images).
    Compressed: a few whole chunks, so a write or read straddling chunks decompresses each once."""
    if not compressed:
        return {"rdcc_nbytes": 0}
    return {"rdcc_nbytes": CACHED_CHUNKS * chunk_bytes, "rdcc_nslots": 10007}


def writer(
    path: Path,
    n_images: int,
    image_shape: tuple[int, ...],
    durable: bool,
    *,
    chunk_images: int,
    compression: str,
    compression_opts: int | None,
) -> ImageDatasetWriter:
    chunk = min(chunk_images, max(n_images, 1))
    filters = {} if compression == "none" else {"compression": compression}
    if compression_opts is not None:
        filters["compression_opts"] = compression_opts
    cache = chunk_cache(chunk * math.prod(image_shape), compression != "none")
    return ImageDatasetWriter(
        path, n_images, image_shape, durable, dtype=np.uint8, labels_name="labels",
        file_options={"libver": "latest", **cache}, images_options={"chunks": (chunk, *image_shape), **filters},
    )  # fmt: skip


class Reader:
    def __init__(self, path: Path):
        self.file = h5py.File(Path(path) / FILE, "r", rdcc_nbytes=0)
        self.images, self.labels = self.file["images"], self.file["labels"]
        if self.images.compression is not None:
            # Reopen images with a cache of a few chunks (the first handle must be gone first: HDF5
            # shares one cache among a dataset's open handles).
            cache = chunk_cache(math.prod(self.images.chunks), compressed=True)
            self.images = None
            access = h5py.h5p.create(h5py.h5p.DATASET_ACCESS)
            access.set_chunk_cache(cache["rdcc_nslots"], cache["rdcc_nbytes"], 0.75)
            self.images = h5py.Dataset(h5py.h5d.open(self.file.id, b"images", dapl=access))

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return gather_runs(self.images, indices), gather_runs(self.labels, indices)

    def close(self) -> None:
        self.file.close()


def option_combinations(options: dict) -> list[str]:
    if options.get("compression_opts") is not None and options.get("compression", "none") != "gzip":
        return ["option 'compression_opts' (a gzip level) needs compression: gzip"]
    return []


METHOD = Method(
    description="one HDF5 file, 'images' chunked by whole images (compression: none, lzf or gzip) + 'labels'",
    writer=writer,
    reader=Reader,
    bytes_per_image=lambda image_bytes: image_bytes + 28,  # uncompressed; compression only makes it smaller
    options={
        "chunk_images": Option(1024, "images per HDF5 chunk (clamped to the store's size)", minimum=1),
        "compression": Option("none", "the chunks' filter", choices=COMPRESSIONS),
        "compression_opts": Option(
            None, "gzip level 0-9 (gzip only; h5py's default is 4)", kind=int, choices=tuple(range(10))
        ),
    },
    check_options=option_combinations,
)
