"""Grayscale through RGB-only formats (QOI and WebP hold 3 or 4 channels): the grey value in all three.

Lossless either way, and cheap to compress: QOI's difference ops and WebP's subtract-green transform turn
equal channels into little more than one. Decoding checks that the three channels are equal, so RGB data
read into a grayscale slot fails instead of yielding one of its channels.
"""

import numpy as np

from imgbench.codecs.base import ImageShapeError, shape_message


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A C-contiguous (H, W, 3) copy of a (H, W, 1) image."""
    return np.repeat(image, 3, axis=2)


def into_grey(codec: str, rgb: np.ndarray, out: np.ndarray) -> None:
    """Write decoded (H, W, 3) data with equal channels into out, an (H, W, 1) slot."""
    if rgb.shape != (*out.shape[:2], 3):
        raise ImageShapeError(shape_message(codec, f"an image of shape {rgb.shape}", out))
    red = rgb[..., 0]
    if not (np.array_equal(red, rgb[..., 1]) and np.array_equal(red, rgb[..., 2])):
        raise ImageShapeError(
            f"{codec}: the encoded data hold an RGB image of shape {rgb.shape} (its channels differ), but the "
            f"slot to decode into is grayscale, shape {out.shape}. Store the images again as grayscale."
        )
    out[..., 0] = red
