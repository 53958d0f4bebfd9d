"""PNG encoding shared by the PNG-based methods (the underscore keeps it out of the registry)."""

import io

import numpy as np
from PIL import Image


def png_encode(image: np.ndarray) -> bytes:
    """PNG bytes of one image, with Pillow's default settings exactly as the disk method writes them."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def encode_all(images: np.ndarray, labels: np.ndarray) -> list[bytes]:
    """The encoding part of a PNG store alone, in memory (timed apart to split encoding from writing)."""
    return [png_encode(image) for image in images]


def decode_all(records, image_shape: tuple[int, ...]) -> np.ndarray:
    """PNG records back to images: the decoding part of a PNG read alone, in memory."""
    images = np.empty((len(records), *image_shape), dtype=np.uint8)
    for slot, record in enumerate(records):
        png_decode_into(record, images[slot])
    return images


def png_decode_into(data, out: np.ndarray) -> None:
    """Decode PNG bytes (any bytes-like object) into out, a preallocated slot of the image's shape."""
    with Image.open(io.BytesIO(data), formats=("PNG",)) as image:
        out[...] = np.asarray(image)
