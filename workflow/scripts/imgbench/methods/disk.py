"""disk: one PNG file per image (Pillow, default settings, as in the tutorial) plus labels in a CSV file."""

import os
from pathlib import Path

import numpy as np
from PIL import Image

from imgbench.fsutil import fsync_path

from ._png import encode_all

BYTES_PER_IMAGE = 4100  # one PNG file per 4 KiB block plus a labels line
# The encoding half of a store, timed alone (harness.measure_encoding) to split encoding from writing.
encode_only = encode_all
DESCRIPTION = "one PNG file per image (Pillow defaults) plus labels.csv"
LABELS = "labels.csv"


def image_path(root: Path, index: int) -> Path:
    return root / f"{index}.png"


class Writer:
    def __init__(self, path: Path, n_images: int, durable: bool):
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
        images = np.empty((len(indices), 32, 32, 3), dtype=np.uint8)
        for slot, index in enumerate(indices):
            file = image_path(self.path, int(index))
            try:
                with Image.open(file) as image:
                    images[slot] = np.asarray(image)
            except (OSError, SyntaxError, ValueError) as error:  # Pillow's errors do not name the file
                raise OSError(f"{file}: {error}") from error
        return images, self.labels[indices]

    def close(self) -> None:
        pass
