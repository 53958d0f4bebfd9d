"""png1: lossless PNG at zlib level 1, with imagecodecs (libpng).

Measured here against Pillow (compress_level=1), OpenCV, pyspng-seunglab and imagecodecs' libspng at level
1: imagecodecs' libpng encoded fastest at 32 and 256 px, and it decodes straight into the slot.
"""

from functools import partial

import numpy as np
from imagecodecs import png_decode, png_encode

from imgbench.codecs._imagecodecs import decode_into_slot
from imgbench.codecs.base import Codec


def encode(image: np.ndarray) -> bytes:
    # Grey as (H, W): imagecodecs rejects an (H, W, 1) view whose last axis has stride 0 (np.newaxis).
    return png_encode(image if image.shape[2] == 3 else image[:, :, 0], level=1)


CODEC = Codec(
    name="png1",
    extension=".png",
    lossless=True,
    min_psnr_db=None,
    library="imagecodecs",
    description="imagecodecs PNG (libpng), zlib level 1, libpng's default filters: png_encode(image, level=1)",
    encode=encode,
    decode_into=partial(decode_into_slot, "png1", png_decode),
)
