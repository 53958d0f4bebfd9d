"""png: Pillow's PNG with its defaults (zlib level 6, adaptive filters), exactly as the tutorial writes it."""

import io

import numpy as np
from PIL import Image

from imgbench.codecs.base import Codec, expect_shape

CHANNELS_OF_MODE = {"L": 1, "RGB": 3}


def encode(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_into(data, out: np.ndarray) -> None:
    with Image.open(io.BytesIO(data), formats=("PNG",)) as image:
        width, height = image.size
        expect_shape("png", (height, width, CHANNELS_OF_MODE.get(image.mode, image.mode)), out)
        out[...] = np.asarray(image).reshape(out.shape)


CODEC = Codec(
    name="png",
    extension=".png",
    lossless=True,
    min_psnr_db=None,
    library="pillow",
    description='Pillow PNG, defaults (zlib level 6): Image.fromarray(image).save(buffer, format="PNG")',
    encode=encode,
    decode_into=decode_into,
)
