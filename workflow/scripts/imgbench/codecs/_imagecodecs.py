"""Decoding with imagecodecs straight into the caller's slot (its ``out=`` argument)."""

from collections.abc import Callable

import numpy as np

from imgbench.codecs._grey import into_grey
from imgbench.codecs.base import ImageShapeError, shape_message


def decode_into_slot(codec: str, decode: Callable, data, out: np.ndarray) -> None:
    """decode(data, out=out), with imagecodecs' complaint about out's shape turned into ImageShapeError."""
    try:
        decode(data, out=out)
    except ValueError as error:  # imagecodecs: "invalid out.shape=(48, 32, 3), shape=(32, 48, 3)"
        raise shape_error(codec, error, out) from error


def decode_rgb_only_format(codec: str, decode: Callable, data, out: np.ndarray) -> None:
    """For formats holding RGB only (QOI, WebP): into an RGB slot directly, into a grey slot through _grey."""
    if out.shape[2] != 3:
        into_grey(codec, decode(data), out)
        return
    try:  # decode_into_slot's body, inlined: a call is 1% of a QOI decode at 32x32
        decode(data, out=out)
    except ValueError as error:
        raise shape_error(codec, error, out) from error


def shape_error(codec: str, error: ValueError, out: np.ndarray) -> ImageShapeError:
    return ImageShapeError(shape_message(codec, f"another image (imagecodecs: {error})", out))
