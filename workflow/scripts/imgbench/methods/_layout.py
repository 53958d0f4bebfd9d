"""What a store holds, recorded beside the data for methods whose bytes do not say it: the image shape and,
for encoded records, the codec.

Raw pixels, label-prefixed records and concatenated encoded bytes say nothing about an image's height,
width and channels, so their writers save ``layout.json`` ({"image_shape": [H, W, C], "dtype": "uint8",
"codec": name or null}) in the store and their readers take the shape from it and check the codec. Formats
that carry the shape (an npy header, an HDF5 dataset, a PNG file, the tutorial's pickles) need no such file.
"""

import json
from pathlib import Path

LAYOUT = "layout.json"


def save_layout(path: Path, image_shape: tuple[int, ...], codec: str | None = None) -> None:
    record = {"image_shape": list(image_shape), "dtype": "uint8", "codec": codec}
    (Path(path) / LAYOUT).write_text(json.dumps(record) + "\n")


def load_layout(path: Path, codec: str | None = None) -> tuple[int, ...]:
    """The store's image shape; raises if the store's codec is not the reader's."""
    file = Path(path) / LAYOUT
    try:
        record = json.loads(file.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{file} is missing: the store does not say the shape of its images") from None
    if record.get("codec") != codec:
        raise ValueError(f"{path} holds images encoded with {record.get('codec')}, not {codec}: store it again")
    return tuple(record["image_shape"])
