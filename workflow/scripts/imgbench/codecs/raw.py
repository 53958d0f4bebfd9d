"""raw: the pixel bytes as they are, row-major (H, W, C); the floor every other codec is measured against."""

import numpy as np

from imgbench.codecs.base import Codec, ImageShapeError


def decode_into(data, out: np.ndarray) -> None:
    if len(data) != out.nbytes:
        raise ImageShapeError(
            f"raw: the data hold {len(data)} bytes, but the slot to decode into has shape {out.shape} "
            f"({out.nbytes} bytes). The store was written with another image shape or codec; store it again."
        )
    # A flat memoryview copy: measured here 0.4 us against 1.0 us for out[...] = np.frombuffer(...).reshape(...)
    out.data.cast("B")[:] = data


CODEC = Codec(
    name="raw",
    extension=".raw",
    lossless=True,
    min_psnr_db=None,
    library="numpy",
    description="raw pixel bytes (numpy tobytes, a memoryview copy back); no header: only the byte count is checked",
    encode=np.ndarray.tobytes,
    decode_into=decode_into,
)
