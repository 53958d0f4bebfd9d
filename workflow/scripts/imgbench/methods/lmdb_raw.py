"""lmdb_raw: raw pixels + label per LMDB key (no pickling), batched write transactions, growing map."""

import math

import numpy as np

from ._common import empty_batch
from ._lmdb import RECORD_OPTIONS, RecordReader, RecordWriter, record_bytes_on_disk
from .base import Method


def encode(images: np.ndarray, labels: np.ndarray) -> list[memoryview]:
    """Label byte + raw pixels per image: the record building of a store, alone and in memory."""
    n, image_bytes = len(images), math.prod(images.shape[1:])
    records = np.empty((n, 1 + image_bytes), dtype=np.uint8)
    records[:, 0] = labels
    records[:, 1:] = images.reshape(n, image_bytes)
    flat = memoryview(records.reshape(-1))  # values are views of records: no further copy
    return [flat[at : at + 1 + image_bytes] for at in range(0, len(flat), 1 + image_bytes)]


class Writer(RecordWriter):
    encode = staticmethod(encode)

    @staticmethod
    def value_bytes(image_shape: tuple[int, ...]) -> int:
        return 1 + math.prod(image_shape)


class Reader(RecordReader):
    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images, labels = empty_batch(len(indices), self.image_shape)
        image_bytes = math.prod(self.image_shape)
        # Copy each value straight from the map into the preallocated arrays (through memoryviews:
        # cheaper than joining the values, whose 30 MB of fresh bytes would each be page-faulted in).
        pixels, label_bytes = memoryview(images.reshape(-1)), memoryview(labels)
        at = 0
        for slot, value in enumerate(self.db.values(indices)):
            label_bytes[slot] = value[0]
            pixels[at : at + image_bytes] = value[1:]  # raises if a value is not the record's length
            at += image_bytes
        return images, labels


METHOD = Method(
    description="one LMDB key per image (4-byte big-endian index), value = label byte + raw pixels, batched txns",
    writer=Writer,
    reader=Reader,
    bytes_per_image=lambda image_bytes: record_bytes_on_disk(1 + image_bytes),
    encode=encode,
    options=RECORD_OPTIONS,
)
