"""The codec contract: what every codec module provides, and the errors and checks they share.

A codec turns one image into bytes and back. Each codec is one module in this package, named by its file,
that defines ``CODEC = Codec(...)`` with every field below; ``imgbench.codecs.load(name)`` returns it.

Images are numpy uint8 arrays of shape (H, W, C), C-contiguous, with C = 1 (grayscale) or C = 3 (RGB);
``check_images`` tells a caller whether a batch qualifies. A codec does not repeat that check per image:
its callers hand it slices of one source array, checked once.

To write a codec, fill in:

``name: str``
    The module's name, carrying the parameters users compare side by side (``png`` and ``png1``,
    ``jpeg90`` and ``jpeg75``).
``extension: str``
    File suffix when each image is one file, with its dot: ``".png"``, ``".jpg"``, ``".raw"``.
``lossless: bool``
    True when ``decode(encode(image))`` equals ``image`` exactly, for every image of any shape.
``min_psnr_db: float | None``
    None for a lossless codec. For a lossy one, the lowest PSNR (``psnr_db``) a decoded image may have
    against its source: a read-back check fails below it, so set it where photographs stay above it.
``library: str``
    The pip distribution that does the work (``"pillow"``, ``"imagecodecs"``); ``library_version()``
    reads its installed version, for the machine record.
``description: str``
    One line for the README and the report: library, function and settings.
``encode: Callable[[np.ndarray], bytes]``
    One image (H, W, C) to bytes.
``decode_into: Callable[[bytes-like, np.ndarray], None]``
    Decodes ``data`` (bytes, memoryview or any object with the buffer protocol) into ``out``, a
    preallocated, C-contiguous (H, W, C) uint8 slot, usually ``batch[i]`` of the reader's batch. The image
    comes back with exactly its stored shape: RGB as 3 channels, grayscale as (H, W, 1). Raw bytes carry no
    shape, so the shape is ``out``'s. When the data hold an image of another height or width than ``out``,
    or RGB data meet a grayscale slot, it raises ``ImageShapeError`` rather than fill ``out`` with
    something else (raw can compare only the byte count). Grayscale data read into an RGB slot may come
    back as RGB with equal channels (qoi, webp and the jpeg codecs do; their ``description`` says so).
    Truncated data raise too (the library's own error, or ``CodecError``).

``decode(data, shape)`` is derived: it allocates the array and calls ``decode_into``.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from imgbench.errors import BenchmarkError

SUPPORTED_CHANNELS = (1, 3)
BytesLike = bytes | bytearray | memoryview  # anything with the buffer protocol works; these are the usual


class CodecError(BenchmarkError, ValueError):
    """A codec was asked for something it cannot do; the message says what and how to proceed."""


class UnknownCodecError(CodecError):
    pass


class ImageShapeError(CodecError):
    """The encoded data hold an image of another shape than the slot it is decoded into."""


@dataclass(frozen=True)
class Codec:
    name: str
    extension: str
    lossless: bool
    min_psnr_db: float | None
    library: str
    description: str
    encode: Callable[[np.ndarray], bytes]
    decode_into: Callable[[BytesLike, np.ndarray], None]

    def __post_init__(self):
        if self.lossless != (self.min_psnr_db is None):
            raise ValueError(f"codec {self.name}: min_psnr_db must be None exactly when the codec is lossless")
        if not self.extension.startswith("."):
            raise ValueError(f"codec {self.name}: extension {self.extension!r} must start with a dot")

    def library_version(self) -> str:
        return metadata.version(self.library)

    def decode(self, data: BytesLike, shape: tuple[int, int, int]) -> np.ndarray:
        out = np.empty(shape, dtype=np.uint8)
        self.decode_into(data, out)
        return out


def check_images(images: np.ndarray) -> None:
    """Raise CodecError unless images is a uint8 batch (N, H, W, C) or one image (H, W, C), C in 1 or 3."""
    shape = getattr(images, "shape", None)
    if getattr(images, "dtype", None) != np.uint8 or len(shape) not in (3, 4):
        raise CodecError(
            f"codecs take uint8 images of shape (H, W, C) or batches (N, H, W, C); got "
            f"{getattr(images, 'dtype', type(images).__name__)} of shape {shape}. Convert to uint8 first."
        )
    if shape[-1] not in SUPPORTED_CHANNELS:
        raise CodecError(
            f"codecs take 1 (grayscale) or 3 (RGB) channels; got {shape[-1]} (shape {shape}). "
            "Convert the images to RGB or grayscale first (Pillow: image.convert('RGB'))."
        )


def expect_shape(codec: str, found: tuple, out: np.ndarray) -> None:
    """Raise ImageShapeError when the shape recorded in the data (found) is not out's."""
    if tuple(found) != out.shape:
        raise ImageShapeError(shape_message(codec, f"an image of shape {tuple(found)}", out))


def shape_message(codec: str, found: str, out: np.ndarray) -> str:
    """The message for data holding found (e.g. "an image of shape (48, 80, 3)") decoded into out."""
    return (
        f"{codec}: the encoded data hold {found}, but the slot to decode into has shape {out.shape}. "
        "The store was written with another image shape or codec; store it again."
    )


def psnr_db(originals: np.ndarray, decoded: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio of each image in decoded against originals (axis 0 counts images), in dB,
    with 255 as the peak; inf where an image is unchanged."""
    difference = originals.astype(np.float64) - decoded
    mse = np.mean(difference.reshape(len(difference), -1) ** 2, axis=1)
    with np.errstate(divide="ignore"):
        return np.where(mse == 0, math.inf, 10 * np.log10(255.0**2 / mse))
