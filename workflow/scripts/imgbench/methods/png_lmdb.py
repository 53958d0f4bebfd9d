"""png_lmdb: PNG-encoded images (Pillow defaults, as disk) inside LMDB, batched write transactions."""

import numpy as np

from imgbench import IMAGE_BYTES, IMAGE_SHAPE

from ._lmdb import RecordReader, RecordWriter
from ._png import png_decode_into, png_encode

DESCRIPTION = "one LMDB key per image (4-byte big-endian index), value = label byte + PNG bytes, batched txns"


def encode_only(images: np.ndarray, labels: np.ndarray) -> list[bytes]:
    """Label byte + PNG bytes per image: the encoding half of a store, timed alone by the harness."""
    return [bytes((int(label),)) + png_encode(image) for image, label in zip(images, labels, strict=True)]


class Writer(RecordWriter):
    value_bytes = 1 + IMAGE_BYTES  # sized for raw pixels, which a PNG of these images rarely exceeds
    encode = staticmethod(encode_only)


class Reader(RecordReader):
    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images = np.empty((len(indices), *IMAGE_SHAPE), dtype=np.uint8)
        labels = np.empty(len(indices), dtype=np.uint8)
        for slot, value in enumerate(self.db.values(indices)):
            labels[slot] = value[0]
            png_decode_into(value[1:], images[slot])
        return images, labels
