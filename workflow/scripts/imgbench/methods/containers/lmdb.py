"""lmdb+CODEC: one LMDB key per image (4-byte big-endian index), value = label byte + the codec's bytes,
batched write transactions and a map that grows in place (methods/_lmdb.py)."""

from functools import partial

import numpy as np

from imgbench.codecs.base import Codec

from .._lmdb import RECORD_OPTIONS, RecordReader, RecordWriter, record_bytes_on_disk
from .._records import decoder, encoded_bytes
from ..base import Method
from . import Container


def record_encoder(codec: Codec):
    def encode(images: np.ndarray, labels: np.ndarray) -> list[bytes]:
        return [bytes((int(label),)) + codec.encode(image) for image, label in zip(images, labels, strict=True)]

    return encode


def values_decoder(codec: Codec):
    def decode_values(values, images: np.ndarray, labels: np.ndarray) -> None:
        for slot, value in enumerate(values):
            labels[slot] = value[0]
            codec.decode_into(value[1:], images[slot])

    return decode_values


def method(codec: Codec) -> Method:
    encode = record_encoder(codec)
    image_decode = decoder(codec)

    def writer(path, n_images, image_shape, durable, *, batch_images, map_bytes) -> RecordWriter:
        value_bytes = 1 + encoded_bytes(codec, int(np.prod(image_shape)))
        return RecordWriter(path, n_images, image_shape, durable, encode=encode, value_bytes=value_bytes,
                            codec=codec.name, batch_images=batch_images, map_bytes=map_bytes)  # fmt: skip

    return Method(
        description=CONTAINER.description.format(codec=codec.name),
        writer=writer,
        reader=partial(RecordReader, decode_values=values_decoder(codec), codec=codec.name),
        bytes_per_image=lambda image_bytes: record_bytes_on_disk(1 + encoded_bytes(codec, image_bytes)),
        encode=encode,
        decode=lambda records, image_shape: image_decode([record[1:] for record in records], image_shape),
        codec=codec,
        options=RECORD_OPTIONS,
    )


CONTAINER = Container("one LMDB key per image, value = label byte + {codec} bytes, batched transactions", method)
