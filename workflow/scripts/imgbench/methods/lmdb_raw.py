"""lmdb_raw: raw pixels + label per LMDB key (no pickling), batched write transactions, growing map."""

import math
from functools import partial

import numpy as np

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


def decode_values(values, images: np.ndarray, labels: np.ndarray) -> None:
    """Copy each record's pixels straight from the map into the preallocated batch (through memoryviews:
    cheaper than joining the values, whose fresh bytes would each be page-faulted in)."""
    image_bytes = math.prod(images.shape[1:])
    pixels, label_bytes = memoryview(images.reshape(-1)), memoryview(labels)
    at = 0
    for slot, value in enumerate(values):
        label_bytes[slot] = value[0]
        pixels[at : at + image_bytes] = value[1:]  # raises if a value is not the record's length
        at += image_bytes


def decode(records, image_shape: tuple[int, ...]) -> np.ndarray:
    images, labels = np.empty((len(records), *image_shape), dtype=np.uint8), np.empty(len(records), np.uint8)
    decode_values(records, images, labels)
    return images


def writer(path, n_images, image_shape, durable, *, batch_images, map_bytes) -> RecordWriter:
    return RecordWriter(path, n_images, image_shape, durable, encode=encode, value_bytes=1 + math.prod(image_shape),
                        codec=None, batch_images=batch_images, map_bytes=map_bytes)  # fmt: skip


METHOD = Method(
    description="one LMDB key per image (4-byte big-endian index), value = label byte + raw pixels, batched txns",
    writer=writer,
    reader=partial(RecordReader, decode_values=decode_values, codec=None),
    bytes_per_image=lambda image_bytes: record_bytes_on_disk(1 + image_bytes),
    encode=encode,
    decode=decode,
    options=RECORD_OPTIONS,
)
