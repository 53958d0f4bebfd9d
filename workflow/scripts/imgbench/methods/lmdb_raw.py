"""lmdb_raw: raw pixels + label per LMDB key (no pickling), batched write transactions, growing map."""

from pathlib import Path

import numpy as np

from imgbench import IMAGE_BYTES, IMAGE_SHAPE

from ._lmdb import MAX_KEYS, LmdbBatchWriter, LmdbReader, index_keys, lmdb_map_bytes

DESCRIPTION = "one LMDB key per image (4-byte big-endian index), value = label byte + raw pixels, batched txns"
RECORD_BYTES = 1 + IMAGE_BYTES


def encode_only(images: np.ndarray, labels: np.ndarray) -> list[memoryview]:
    """Label byte + raw pixels per image: the record building of a store, alone and in memory."""
    n = len(images)
    records = np.empty((n, RECORD_BYTES), dtype=np.uint8)
    records[:, 0] = labels
    records[:, 1:] = images.reshape(n, IMAGE_BYTES)
    flat = memoryview(records.reshape(-1))  # values are views of records: no further copy
    return [flat[at : at + RECORD_BYTES] for at in range(0, len(flat), RECORD_BYTES)]


class Writer:
    """Options: batch_images (images per write transaction; 1,000 rather than 10,000 because LMDB
    mallocs a fresh page per record and keeps freed ones for the next transaction: at 10,000 images
    a single transaction took 0.08-0.10 s to store, batches of 1,000 0.03-0.045 s); map_bytes (initial
    map size; default from the number of images, with headroom; doubled whenever a transaction fills it)."""

    def __init__(
        self,
        path: Path,
        n_images: int,
        durable: bool,
        *,
        batch_images: int = 1000,
        map_bytes: int | None = None,
    ):
        if n_images > MAX_KEYS:
            raise ValueError(f"lmdb_raw keys hold at most {MAX_KEYS} images, asked for {n_images}")
        if map_bytes is None:
            map_bytes = lmdb_map_bytes(n_images, RECORD_BYTES)
        self.db = LmdbBatchWriter(path, durable, batch_images, map_bytes)

    @property
    def map_grows(self) -> int:
        return self.db.map_grows

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        values = encode_only(images, labels)
        self.db.add(list(zip(index_keys(np.arange(start, start + len(images))), values, strict=True)))

    def close(self) -> None:
        self.db.close()


class Reader:
    def __init__(self, path: Path):
        self.db = LmdbReader(path)

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(indices)
        images, labels = np.empty((n, *IMAGE_SHAPE), dtype=np.uint8), np.empty(n, dtype=np.uint8)
        # Copy each value straight from the map into the preallocated arrays (through memoryviews:
        # cheaper than joining the values, whose 30 MB of fresh bytes would each be page-faulted in).
        pixels, label_bytes = memoryview(images.reshape(-1)), memoryview(labels)
        at = 0
        for slot, value in enumerate(self.db.values(indices)):
            label_bytes[slot] = value[0]
            pixels[at : at + IMAGE_BYTES] = value[1:]  # raises if a value is not RECORD_BYTES long
            at += IMAGE_BYTES
        return images, labels

    def close(self) -> None:
        self.db.close()
