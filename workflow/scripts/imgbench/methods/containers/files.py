"""files+CODEC: one file per image (named by its index, with the codec's extension), labels in labels.csv."""

import os
from functools import partial
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec
from imgbench.fsutil import fsync_path

from .._common import blocks, empty_batch
from .._layout import save_layout
from .._records import decoder, encoded_bytes, encoder
from ..base import Method
from . import Container

LABELS = "labels.csv"


class Writer:
    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *, codec: Codec):
        self.path, self.durable, self.codec, self.image_shape = Path(path), durable, codec, image_shape
        self.labels: list[int] = []

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        for offset, image in enumerate(images):
            with open(self.path / f"{start + offset}{self.codec.extension}", "wb") as handle:
                handle.write(self.codec.encode(image))
                if self.durable:
                    handle.flush()
                    os.fsync(handle.fileno())
        self.labels.extend(int(label) for label in labels)

    def close(self) -> None:
        with open(self.path / LABELS, "w") as handle:
            handle.write("".join(f"{label}\n" for label in self.labels))
        save_layout(self.path, self.image_shape, self.codec.name)
        if self.durable:
            for name in (LABELS, "layout.json", "."):
                fsync_path(self.path / name)


class Reader:
    def __init__(self, path: Path, codec: Codec):
        from .._layout import load_layout

        self.path, self.codec = Path(path), codec
        self.image_shape = load_layout(path, codec.name)
        with open(self.path / LABELS) as handle:
            self.labels = np.array(handle.read().split(), dtype=np.uint8)

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images, _ = empty_batch(len(indices), self.image_shape)
        for slot, index in enumerate(indices):
            file = self.path / f"{int(index)}{self.codec.extension}"
            with open(file, "rb") as handle:
                data = handle.read()
            try:
                self.codec.decode_into(data, images[slot])
            except Exception as error:  # the codec's library does not name the file
                raise OSError(f"{file}: {error}") from error
        return images, self.labels[indices]

    def close(self) -> None:
        pass


def method(codec: Codec) -> Method:
    return Method(
        description=CONTAINER.description.format(codec=codec.name),
        writer=partial(Writer, codec=codec),
        reader=partial(Reader, codec=codec),
        bytes_per_image=lambda image_bytes: blocks(encoded_bytes(codec, image_bytes)) + 4,  # file, labels line
        encode=encoder(codec),
        decode=decoder(codec),
        codec=codec,
    )


CONTAINER = Container("one {codec} file per image plus labels.csv", method)
