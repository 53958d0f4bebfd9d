"""png_lmdb: PNG-encoded images (Pillow defaults, as disk) inside LMDB, batched write transactions."""

from pathlib import Path

import numpy as np

from imgbench import IMAGE_BYTES, IMAGE_SHAPE

from ._lmdb import MAX_KEYS, LmdbBatchWriter, LmdbReader, index_keys, lmdb_map_bytes
from ._png import encode_all, png_decode_into, png_encode

# The encoding half of a store, timed alone (harness.measure_encoding) to split encoding from writing.
encode_only = encode_all
DESCRIPTION = "one LMDB key per image (4-byte big-endian index), value = label byte + PNG bytes, batched txns"


class Writer:
    """Options: batch_images (images per write transaction); map_bytes (initial map size; default
    sized for raw pixels, which a PNG of these images rarely exceeds; the map doubles when full)."""

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
            raise ValueError(f"png_lmdb keys hold at most {MAX_KEYS} images, asked for {n_images}")
        if map_bytes is None:
            map_bytes = lmdb_map_bytes(n_images, 1 + IMAGE_BYTES)
        self.db = LmdbBatchWriter(path, durable, batch_images, map_bytes)

    @property
    def map_grows(self) -> int:
        return self.db.map_grows

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        values = [bytes((int(label),)) + png_encode(image) for image, label in zip(images, labels, strict=True)]
        self.db.add(list(zip(index_keys(np.arange(start, start + len(images))), values, strict=True)))

    def close(self) -> None:
        self.db.close()


class Reader:
    def __init__(self, path: Path):
        self.db = LmdbReader(path)

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images = np.empty((len(indices), *IMAGE_SHAPE), dtype=np.uint8)
        labels = np.empty(len(indices), dtype=np.uint8)
        for slot, value in enumerate(self.db.values(indices)):
            labels[slot] = value[0]
            png_decode_into(value[1:], images[slot])
        return images, labels

    def close(self) -> None:
        self.db.close()
