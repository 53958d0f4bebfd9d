"""Codec helpers shared by the containers of encoded images (files, lmdb, hdf5, tar + any codec)."""

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from imgbench.codecs.base import Codec

from ._common import empty_batch
from .base import Method

LOSSLESS_SIZE_RATIO = 1.1  # encoded / raw bytes at most, for disk estimates (QOI of noisy photos: 1.07)
LOSSY_SIZE_RATIO = 0.6  # jpeg90 of photo-like images: 0.2-0.4


def encoded_bytes(codec: Codec, image_bytes: int) -> int:
    """About the largest size of one encoded image, for the free-space estimate."""
    return int(image_bytes * (LOSSLESS_SIZE_RATIO if codec.lossless else LOSSY_SIZE_RATIO))


def encoder(codec: Codec) -> Callable[[np.ndarray, np.ndarray], list[bytes]]:
    """The encoding half of a store: one codec-encoded record per image (labels are stored apart)."""

    def encode(images: np.ndarray, labels: np.ndarray) -> list[bytes]:
        return [codec.encode(image) for image in images]

    return encode


def decoder(codec: Codec) -> Callable[[Sequence, tuple[int, ...]], np.ndarray]:
    """The decoding half of a read: records back to images of image_shape."""

    def decode(records: Sequence, image_shape: tuple[int, ...]) -> np.ndarray:
        images, _ = empty_batch(len(records), image_shape)
        for slot, record in enumerate(records):
            codec.decode_into(record, images[slot])
        return images

    return decode


def column_method(codec: Codec | None, description: str, writer, reader, extra_bytes: int, **fields) -> Method:
    """A method keeping one value per image in a table column (parquet, arrow, lance): the codec's bytes
    (codec), or the raw pixels as fixed-size values (None, no encoding). writer and reader are the format's
    classes, given the codec; extra_bytes is its disk overhead per image; fields are further Method fields."""

    def bytes_per_image(image_bytes: int) -> int:
        return (encoded_bytes(codec, image_bytes) if codec else image_bytes) + extra_bytes

    return Method(
        description=description,
        writer=partial(writer, codec=codec),
        reader=partial(reader, codec=codec),
        bytes_per_image=bytes_per_image,
        encode=encoder(codec) if codec else None,
        decode=decoder(codec) if codec else None,
        codec=codec,
        **fields,
    )
