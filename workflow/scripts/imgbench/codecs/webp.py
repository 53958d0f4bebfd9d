"""webp: lossless WebP, with imagecodecs (libwebp) at libwebp's own defaults (quality 75, method 4).

Pillow calls the same libwebp and encoded as fast at equal settings; imagecodecs decoded faster here and
writes straight into the slot. Grayscale goes through RGB (see _grey).
"""

from functools import partial

import numpy as np
from imagecodecs import webp_decode, webp_encode

from imgbench.codecs._grey import as_rgb
from imgbench.codecs._imagecodecs import decode_rgb_only_format
from imgbench.codecs.base import Codec

QUALITY, METHOD = 75, 4  # for lossless WebP, the effort spent compressing; cwebp -lossless uses these


def encode(image: np.ndarray) -> bytes:
    rgb = image if image.shape[2] == 3 else as_rgb(image)
    return webp_encode(rgb, level=QUALITY, lossless=True, method=METHOD)


CODEC = Codec(
    name="webp",
    extension=".webp",
    lossless=True,
    min_psnr_db=None,
    library="imagecodecs",
    description=(
        f"imagecodecs WebP (libwebp), lossless, quality {QUALITY}, method {METHOD}; "
        "grayscale stored as RGB with equal channels"
    ),
    encode=encode,
    decode_into=partial(decode_rgb_only_format, "webp", webp_decode),
)
