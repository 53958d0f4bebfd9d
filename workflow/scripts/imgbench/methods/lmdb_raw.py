"""lmdb_raw: raw pixels + label per LMDB key (no pickling), batched write transactions, growing map."""

import numpy as np

from imgbench import IMAGE_BYTES, IMAGE_SHAPE

from ._lmdb import RecordReader, RecordWriter

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


class Writer(RecordWriter):
    value_bytes = RECORD_BYTES
    encode = staticmethod(encode_only)


class Reader(RecordReader):
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
