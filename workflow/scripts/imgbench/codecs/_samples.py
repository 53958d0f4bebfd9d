"""Photo-like test images of any shape, for codec tests and benchmarks (not a dataset of the pipeline).

Built from ``imgbench.datasets.synthetic.synthetic_images`` (32x32 RGB): larger images are mosaics of distinct tiles,
cropped to (H, W), so they keep the tiles' edges, texture and noise per pixel (resizing up would smooth
them and make every codec look better than on photographs). Grayscale is their luma (ITU-R 601).
"""

import numpy as np

from imgbench.datasets.synthetic import synthetic_images

TILE = 32
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def photo_like(count: int, height: int, width: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """count uint8 images (count, height, width, channels), channels 1 or 3, C-contiguous."""
    rows, columns = -(-height // TILE), -(-width // TILE)
    tiles = synthetic_images(count * rows * columns, rng).reshape(count, rows, columns, TILE, TILE, 3)
    mosaic = tiles.transpose(0, 1, 3, 2, 4, 5).reshape(count, rows * TILE, columns * TILE, 3)
    images = mosaic[:, :height, :width]
    if channels == 1:
        return np.rint(images @ LUMA).astype(np.uint8).reshape(count, height, width, 1)
    if channels != 3:
        raise ValueError(f"photo_like makes 1 or 3 channels, not {channels}")
    return np.ascontiguousarray(images)
