"""Lossless WebP with imagecodecs (libwebp) at one effort setting: the webp and webp0 codecs."""

from functools import partial

import numpy as np
from imagecodecs import webp_decode, webp_encode

from imgbench.codecs._grey import as_rgb
from imgbench.codecs._imagecodecs import decode_rgb_only_format
from imgbench.codecs.base import Codec


def encode(image: np.ndarray, quality: int, method: int) -> bytes:
    rgb = image if image.shape[2] == 3 else as_rgb(image)
    return webp_encode(rgb, level=quality, lossless=True, method=method)


def lossless_webp(name: str, quality: int, method: int, effort: str) -> Codec:
    """The codec name: lossless WebP at libwebp's quality and method (its compression effort, said in words)."""
    return Codec(
        name=name,
        extension=".webp",
        lossless=True,
        min_psnr_db=None,
        library="imagecodecs",
        description=(
            f"imagecodecs WebP (libwebp), lossless, quality {quality}, method {method}{effort}; "
            "grayscale stored as RGB with equal channels"
        ),
        encode=partial(encode, quality=quality, method=method),
        decode_into=partial(decode_rgb_only_format, name, webp_decode),
    )
