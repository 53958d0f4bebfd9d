"""Generated photograph-like images of any size (fixed seed): for offline use, tests and sizes no download has.

The images are built from features laid out relative to the image (a colour gradient, two ellipses with sharp
edges, a stripe texture, four octaves of smooth value noise at 8 to 64 cells per side) plus per-pixel sensor
noise, so that, like photographs, they compress less at 32 px than at 256 px. PNG (Pillow's defaults) over raw
bytes, from benchmarks/synthetic_compression.py: 0.76 at 32 px (real CIFAR-10: 0.74), 0.66 at 64 px and 0.55 at
256 px (photographs at 256 px: roughly 0.4-0.6).
"""

from pathlib import Path

import numpy as np

from imgbench.datasets._writer import SourceWriter
from imgbench.datasets.base import CHANNELS

DESCRIPTION = "generated photograph-like images of dataset.image_size (default 32 x 32), dataset.count of them"
INPUTS = ()
DEFAULT_IMAGE_SIZE = (32, 32)
CLASSES = [f"class_{k}" for k in range(10)]
NOISE_OCTAVES = (8, 16, 32, 64)  # value-noise cells per side
NOISE_AMPLITUDE = 9.0  # grey levels of the 8-cell octave; finer octaves get amplitude / sqrt(cells / 8)
SENSOR_NOISE = (2.0, 4.5)  # per-image range of the per-pixel noise's standard deviation, in grey levels
# Images generated at a time: at most BATCH_PIXELS pixels (about 100 MB of float32 temporaries, whatever the
# size) and at most BATCH_IMAGES (a small source of tiny images need not generate thousands).
BATCH_PIXELS = 1 << 21
BATCH_IMAGES = 1024


def image_size(dataset_config: dict) -> tuple[int, int]:
    return tuple(dataset_config.get("image_size") or DEFAULT_IMAGE_SIZE)


def config_problems(dataset_config: dict) -> list[str]:
    return []  # the schema checks count and image_size


def image_shape(dataset_config: dict) -> tuple[int, int, int]:
    return (*image_size(dataset_config), CHANNELS)


def planned_count(dataset_config: dict) -> int:
    return dataset_config["count"]


def rerun_params(dataset_config: dict, seed: int) -> dict:
    return {"seed": seed, "count": dataset_config["count"], "image_size": list(image_size(dataset_config))}


def interpolation(pixels: int, cells: int) -> np.ndarray:
    """pixels x cells matrix that spreads `cells` values linearly over `pixels` positions."""
    position = np.linspace(0, cells - 1, pixels, dtype=np.float32)
    low = np.clip(np.floor(position).astype(int), 0, cells - 2)
    fraction = position - low
    matrix = np.zeros((pixels, cells), np.float32)
    matrix[np.arange(pixels), low] = 1 - fraction
    matrix[np.arange(pixels), low + 1] = fraction
    return matrix


def synthetic_images(count: int, rng: np.random.Generator, height: int = 32, width: int = 32) -> np.ndarray:
    """count photograph-like RGB images, count x height x width x 3 uint8.

    Grey features (stripes, value noise) are summed at one channel and added once, and the rest works in
    place: at 256 x 256 this takes about 5 ms per image, against 18 ms when each was added at full size
    (measured here)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    yy, xx = yy / max(height - 1, 1), xx / max(width - 1, 1)
    corners = rng.uniform(0, 255, size=(count, 4, 1, 1, 3)).astype(np.float32)
    wx, wy = xx[None, :1, :, None], yy[None, :, :1, None]
    top = corners[:, 0] + (corners[:, 1] - corners[:, 0]) * wx  # count x 1 x width x 3
    bottom = corners[:, 2] + (corners[:, 3] - corners[:, 2]) * wx
    image = top + (bottom - top) * wy  # the bilinear gradient between the four corners' colours
    for _shape in range(2):
        centre = rng.uniform(0.1, 0.9, size=(count, 2, 1, 1)).astype(np.float32)
        radius = rng.uniform(0.08, 0.35, size=(count, 2, 1, 1)).astype(np.float32)
        inside = ((xx - centre[:, 0]) / radius[:, 0]) ** 2 + ((yy - centre[:, 1]) / radius[:, 1]) ** 2 < 1
        colour = rng.uniform(0, 255, size=(count, 1, 1, 3)).astype(np.float32)
        blend = image * 0.3
        blend += 0.7 * colour
        np.copyto(image, blend, where=inside[..., None])
    angle = rng.uniform(0, np.pi, size=(count, 1, 1)).astype(np.float32)
    frequency = rng.uniform(2, 12, size=(count, 1, 1)).astype(np.float32)
    phase = (np.cos(angle) * xx + np.sin(angle) * yy) * frequency * 2 * np.pi
    grey = rng.uniform(4, 20, size=(count, 1, 1)).astype(np.float32) * np.sin(phase)  # stripes
    strength = rng.uniform(0, 2, size=(count, 1, 1)).astype(np.float32)
    for cells in NOISE_OCTAVES:
        grid = rng.standard_normal(size=(count, cells, cells), dtype=np.float32)
        field = interpolation(height, cells) @ grid @ interpolation(width, cells).T
        grey += strength * (NOISE_AMPLITUDE * np.sqrt(NOISE_OCTAVES[0] / cells)) * field
    image += grey[..., None]
    sensor = rng.uniform(*SENSOR_NOISE, size=(count, 1, 1, 1)).astype(np.float32)
    noise = rng.standard_normal(size=image.shape, dtype=np.float32)
    noise *= sensor
    image += noise
    return np.clip(image, 0, 255, out=image).astype(np.uint8)


def batch_images(height: int, width: int) -> int:
    return max(1, min(BATCH_IMAGES, BATCH_PIXELS // (height * width)))


def prepare(dataset_config: dict, inputs: dict[str, Path], out_dir: Path, seed: int) -> dict:
    """Images and labels (0 to 9) generated batch by batch; batch k comes from its own generator seeded with
    (seed, k), so the source depends on seed, image_size and count only."""
    height, width = image_size(dataset_config)
    count, per_batch = dataset_config["count"], batch_images(height, width)
    with SourceWriter(out_dir, "synthetic", (height, width, CHANNELS), count, CLASSES) as writer:
        for batch, start in enumerate(range(0, count, per_batch)):
            rng = np.random.default_rng([seed, batch])
            images = synthetic_images(per_batch, rng, height, width)
            labels = rng.integers(0, len(CLASSES), size=per_batch)
            keep = min(per_batch, count - start)  # the last batch is generated whole, so batches never shift
            writer.append(images[:keep], labels[:keep])
        origin = {"generator": "imgbench.datasets.synthetic", "seed": seed, "image_size": [height, width]}
        return writer.commit(origin | {"count": count})
