"""disk: one PNG file per image (Pillow, default settings, as in the tutorial) plus labels in a CSV file."""

import os
from pathlib import Path

import numpy as np
from PIL import Image

from imgbench.fsutil import fsync_path

from ._common import PHOTO_PNG_RATIO, blocks, empty_batch
from ._png import decode_all, encode_all
from .base import Method

LABELS = "labels.csv"


def image_path(root: Path, index: int) -> Path:
    return root / f"{index}.png"


class Writer:
    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool):
        self.path, self.durable = Path(path), durable
        self.labels: list[int] = []

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        for offset, image in enumerate(images):
            with open(image_path(self.path, start + offset), "wb") as handle:
                Image.fromarray(image).save(handle, format="PNG")
                if self.durable:
                    handle.flush()
                    os.fsync(handle.fileno())
        self.labels.extend(int(label) for label in labels)

    def close(self) -> None:
        with open(self.path / LABELS, "w") as handle:
            handle.write("".join(f"{label}\n" for label in self.labels))
            if self.durable:
                handle.flush()
                os.fsync(handle.fileno())
        if self.durable:
            fsync_path(self.path)


class Reader:
    def __init__(self, path: Path):
        self.path = Path(path)
        with open(self.path / LABELS) as handle:
            self.labels = np.array(handle.read().split(), dtype=np.uint8)

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images, _ = empty_batch(0, (0, 0, 0))
        for slot, index in enumerate(indices):
            file = image_path(self.path, int(index))
            try:
                with Image.open(file) as image:
                    pixels = np.asarray(image)
            except (OSError, SyntaxError, ValueError) as error:  # Pillow's errors do not name the file
                raise OSError(f"{file}: {error}") from error
            if slot == 0:  # the files carry the shape; the first one sizes the batch
                images, _ = empty_batch(len(indices), pixels.shape)
            images[slot] = pixels
        return images, self.labels[indices]

    def close(self) -> None:
        pass


METHOD = Method(
    description="one PNG file per image (Pillow defaults) plus labels.csv",
    writer=Writer,
    reader=Reader,
    bytes_per_image=lambda image_bytes: blocks(PHOTO_PNG_RATIO * image_bytes) + 4,  # a file, a labels line
    encode=encode_all,
    decode=decode_all,
)
