"""png_lmdb: PNG-encoded images (Pillow defaults, as disk) inside LMDB, batched write transactions."""

import math

import numpy as np

from ._common import PHOTO_PNG_RATIO, empty_batch
from ._lmdb import RECORD_OPTIONS, RecordReader, RecordWriter, record_bytes_on_disk
from ._png import png_decode_into, png_encode
from .base import Method


def encode(images: np.ndarray, labels: np.ndarray) -> list[bytes]:
    """Label byte + PNG bytes per image: the encoding half of a store, timed alone by storing.measure_encoding."""
    return [bytes((int(label),)) + png_encode(image) for image, label in zip(images, labels, strict=True)]


class Writer(RecordWriter):
    encode = staticmethod(encode)

    @staticmethod
    def value_bytes(image_shape: tuple[int, ...]) -> int:
        return 1 + math.prod(image_shape)  # sized for raw pixels, which a PNG of photos rarely exceeds


class Reader(RecordReader):
    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images, labels = empty_batch(len(indices), self.image_shape)
        for slot, value in enumerate(self.db.values(indices)):
            labels[slot] = value[0]
            png_decode_into(value[1:], images[slot])
        return images, labels


METHOD = Method(
    description="one LMDB key per image (4-byte big-endian index), value = label byte + PNG bytes, batched txns",
    writer=Writer,
    reader=Reader,
    bytes_per_image=lambda image_bytes: record_bytes_on_disk(1 + int(PHOTO_PNG_RATIO * image_bytes)),
    encode=encode,
    options=RECORD_OPTIONS,
)
