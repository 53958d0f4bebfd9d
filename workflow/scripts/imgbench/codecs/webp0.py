"""webp0: lossless WebP at libwebp's least effort (quality 0, method 0), with imagecodecs.

Decodes as webp does; encoding spends the least effort on compression. On 2,000 synthetic 32x32 images
(2026-12-01, this project's 2-core VM): 16,855 images/s against webp's 1,094, for 2,226 bytes per image
against 2,112. Grayscale goes through RGB (see _grey).
"""

from functools import partial

import numpy as np
from imagecodecs import webp_decode, webp_encode

from imgbench.codecs._grey import as_rgb
from imgbench.codecs._imagecodecs import decode_rgb_only_format
from imgbench.codecs.base import Codec

QUALITY, METHOD = 0, 0  # for lossless WebP: the least compression effort


def encode(image: np.ndarray) -> bytes:
    rgb = image if image.shape[2] == 3 else as_rgb(image)
    return webp_encode(rgb, level=QUALITY, lossless=True, method=METHOD)


CODEC = Codec(
    name="webp0",
    extension=".webp",
    lossless=True,
    min_psnr_db=None,
    library="imagecodecs",
    description=(
        f"imagecodecs WebP (libwebp), lossless, quality {QUALITY}, method {METHOD} (least effort); "
        "grayscale stored as RGB with equal channels"
    ),
    encode=encode,
    decode_into=partial(decode_rgb_only_format, "webp0", webp_decode),
)
