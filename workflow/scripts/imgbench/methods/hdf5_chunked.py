"""hdf5_chunked: one HDF5 file, images chunked by whole images, optionally compressed (lzf, gzip)."""

from pathlib import Path

import h5py
import numpy as np

from imgbench import IMAGE_BYTES, IMAGE_SHAPE

from ._common import close_hdf5, gather_runs

DESCRIPTION = "one HDF5 file, 'images' chunked by whole images (compression: none, lzf or gzip) + 'labels'"
FILE = "images.h5"
COMPRESSIONS = ("none", "lzf", "gzip")
CACHED_CHUNKS = 4


def chunk_cache(chunk_images: int, compressed: bool) -> dict:
    """h5py.File chunk-cache settings. Uncompressed: none, so HDF5 moves bytes straight between file and
    array (through a cache, every chunk would be copied once more: 2x slower reads at 10,000 images).
    Compressed: a few whole chunks, so a write or read straddling chunks decompresses each once."""
    if not compressed:
        return {"rdcc_nbytes": 0}
    return {"rdcc_nbytes": CACHED_CHUNKS * chunk_images * IMAGE_BYTES, "rdcc_nslots": 10007}


class Writer:
    """Options: chunk_images (images per HDF5 chunk, clamped to the store's size); compression
    ("none", "lzf" or "gzip"); compression_opts (gzip level 0-9, gzip only; h5py's default is 4)."""

    def __init__(
        self,
        path: Path,
        n_images: int,
        durable: bool,
        *,
        chunk_images: int = 1024,
        compression: str = "none",
        compression_opts: int | None = None,
    ):
        if compression not in COMPRESSIONS:
            raise ValueError(f"hdf5_chunked compression must be one of {', '.join(COMPRESSIONS)}: {compression!r}")
        if compression_opts is not None and compression != "gzip":
            raise ValueError("hdf5_chunked compression_opts (a gzip level) needs compression: gzip")
        if chunk_images < 1:
            raise ValueError(f"hdf5_chunked chunk_images must be at least 1, got {chunk_images}")
        self.path, self.durable = Path(path), durable
        chunk = min(chunk_images, max(n_images, 1))
        filters = {} if compression == "none" else {"compression": compression}
        if compression_opts is not None:
            filters["compression_opts"] = compression_opts
        cache = chunk_cache(chunk, compression != "none")
        self.file = h5py.File(self.path / FILE, "w", libver="latest", **cache)
        self.images = self.file.create_dataset(
            "images", (n_images, *IMAGE_SHAPE), np.uint8, chunks=(chunk, *IMAGE_SHAPE), **filters
        )
        self.labels = self.file.create_dataset("labels", (n_images,), np.uint8)

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        self.images[start : start + len(images)] = images
        self.labels[start : start + len(labels)] = labels

    def close(self) -> None:
        close_hdf5(self.file, self.path, self.durable)


class Reader:
    def __init__(self, path: Path):
        self.file = h5py.File(Path(path) / FILE, "r", rdcc_nbytes=0)
        self.images, self.labels = self.file["images"], self.file["labels"]
        if self.images.compression is not None:
            # Reopen images with a cache of a few chunks (the first handle must be gone first: HDF5
            # shares one cache among a dataset's open handles).
            cache = chunk_cache(self.images.chunks[0], compressed=True)
            self.images = None
            access = h5py.h5p.create(h5py.h5p.DATASET_ACCESS)
            access.set_chunk_cache(cache["rdcc_nslots"], cache["rdcc_nbytes"], 0.75)
            self.images = h5py.Dataset(h5py.h5d.open(self.file.id, b"images", dapl=access))

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return gather_runs(self.images, indices), gather_runs(self.labels, indices)

    def close(self) -> None:
        self.file.close()
