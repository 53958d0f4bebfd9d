"""The image shape a store holds, recorded beside the data for methods whose bytes do not carry it.

Raw pixels, label-prefixed records and concatenated encoded bytes say nothing about an image's height,
width and channels, so their writers save ``layout.json`` ({"image_shape": [H, W, C], "dtype": "uint8"})
in the store and their readers take the shape from it. Formats that carry the shape (an npy header, an
HDF5 dataset, a PNG file, the tutorial's pickled objects) need no such file.
"""

import json
from pathlib import Path

LAYOUT = "layout.json"


def save_shape(path: Path, image_shape: tuple[int, ...]) -> None:
    (Path(path) / LAYOUT).write_text(json.dumps({"image_shape": list(image_shape), "dtype": "uint8"}) + "\n")


def load_shape(path: Path) -> tuple[int, ...]:
    file = Path(path) / LAYOUT
    try:
        return tuple(json.loads(file.read_text())["image_shape"])
    except FileNotFoundError:
        raise FileNotFoundError(f"{file} is missing: the store does not say the shape of its images") from None
