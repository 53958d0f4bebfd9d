"""qoi: lossless QOI ("Quite OK Image"), with imagecodecs.

The ``qoi`` package (0.8.0) encoded and decoded faster here, but has no aarch64 wheels; imagecodecs has
wheels everywhere and is already needed for png1 and webp. Grayscale goes through RGB (see _grey).
"""

import numpy as np
from imagecodecs import qoi_decode, qoi_encode

from imgbench.codecs._grey import as_rgb
from imgbench.codecs._imagecodecs import decode_rgb_only_format
from imgbench.codecs.base import Codec, CodecError

END_MARKER = b"\x00" * 7 + b"\x01"  # QOI's last 8 bytes; the decoder itself fills a short stream silently


def encode(image: np.ndarray) -> bytes:
    return qoi_encode(image if image.shape[2] == 3 else as_rgb(image))


def decode_into(data, out: np.ndarray) -> None:
    if data[-8:] != END_MARKER:
        raise CodecError("qoi: the data do not end with QOI's end marker: truncated or not QOI; store it again.")
    decode_rgb_only_format("qoi", qoi_decode, data, out)


CODEC = Codec(
    name="qoi",
    extension=".qoi",
    lossless=True,
    min_psnr_db=None,
    library="imagecodecs",
    description="imagecodecs QOI: qoi_encode(image); grayscale stored as RGB with equal channels",
    encode=encode,
    decode_into=decode_into,
)
