"""JPEG with simplejpeg (libjpeg-turbo): one codec per quality, 4:4:4 chroma (no subsampling).

4:4:4 because chroma subsampling costs these small images their colour edges: at quality 90, 4:2:0 gave a
minimum PSNR of 24 dB over 3,000 synthetic 32x32 images here, 4:4:4 31 dB (simplejpeg's default).
Grayscale images are grayscale JPEGs.

Decoding into an RGB slot checks height and width from what the decoder returns, for free; it does not
read the header first (measured here: 1 us of a 10 us decode at 32x32), so a grayscale JPEG read into an RGB
slot comes back as RGB with equal channels, as with QOI and WebP. Into a grayscale slot the header is read
first, since the decoder would turn a colour JPEG into grey without a word.
"""

import numpy as np
import simplejpeg
from simplejpeg import decode_jpeg

from imgbench.codecs.base import Codec, ImageShapeError, expect_shape, shape_message

COLORSPACE = {1: "GRAY", 3: "RGB"}
CHANNELS_OF_HEADER = {"Gray": 1, "YCbCr": 3, "RGB": 3}


def expect_header(codec: str, data, out: np.ndarray) -> None:
    height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    expect_shape(codec, (height, width, CHANNELS_OF_HEADER.get(colorspace, colorspace)), out)


def jpeg_codec(quality: int, min_psnr_db: float) -> Codec:
    name = f"jpeg{quality}"

    def encode(image: np.ndarray) -> bytes:
        return simplejpeg.encode_jpeg(
            image, quality=quality, colorspace=COLORSPACE[image.shape[2]], colorsubsampling="444"
        )

    def decode_into(data, out: np.ndarray) -> None:
        if out.shape[2] == 1:
            expect_header(name, data, out)
        try:
            decoded = decode_jpeg(data, COLORSPACE[out.shape[2]], buffer=out)
        except ValueError:  # also "buffer is too small": say which shapes differ when they do
            expect_header(name, data, out)
            raise
        if decoded.shape != out.shape:  # inline, not expect_shape: a call is 2% of a decode at 32x32
            raise ImageShapeError(shape_message(name, f"an image of shape {decoded.shape}", out))

    return Codec(
        name=name,
        extension=".jpg",
        lossless=False,
        min_psnr_db=min_psnr_db,
        library="simplejpeg",
        description=(
            f"simplejpeg (libjpeg-turbo) JPEG, quality {quality}, 4:4:4: encode_jpeg(image, {quality}); "
            "grayscale data read into an RGB slot come back with equal channels"
        ),
        encode=encode,
        decode_into=decode_into,
    )
