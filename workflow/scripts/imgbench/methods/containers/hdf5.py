"""hdf5+CODEC: the codec's bytes of every image concatenated in one HDF5 byte dataset, plus offsets.

Layout: ``encoded`` is every image's encoded bytes back to back (1-D uint8, growing as chunks arrive);
``offsets``/``sizes`` locate image i's bytes in it; ``labels`` as in hdf5. Measured against one
variable-length uint8 dataset (h5py.vlen_dtype) at 10,000 images, this layout wrote and read
(sequential and random order) faster, and reads of a few scattered images are cheaper, because
each image is a plain slice rather than an HDF5 variable-length element.
"""

from functools import partial
from pathlib import Path

import h5py
import numpy as np

from imgbench.codecs.base import Codec
from imgbench.source import contiguous_range

from .._common import empty_batch
from .._hdf5 import FILE, close_hdf5
from .._layout import load_layout, save_layout
from .._records import decoder, encoded_bytes, encoder
from ..base import Method
from . import Container

DATA_CHUNK_BYTES = 1 << 20
SPAN_FACTOR = 4  # read one covering slice if it is at most this many times the bytes asked for


class Writer:
    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *, codec: Codec):
        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.file = h5py.File(self.path / FILE, "w", libver="latest")
        self.data = self.file.create_dataset("encoded", (0,), np.uint8, maxshape=(None,), chunks=(DATA_CHUNK_BYTES,))
        self.offsets = self.file.create_dataset("offsets", (n_images,), np.uint64)
        self.sizes = self.file.create_dataset("sizes", (n_images,), np.uint32)
        self.labels = self.file.create_dataset("labels", (n_images,), np.uint8)
        self.end = 0

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        if len(images) == 0:
            return
        encoded = [self.codec.encode(image) for image in images]
        sizes = np.fromiter(map(len, encoded), dtype=np.uint64, count=len(encoded))
        offsets = self.end + np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.uint64)
        stop = self.end + int(sizes.sum())
        self.data.resize((stop,))
        self.data[self.end : stop] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        self.end = stop
        self.offsets[start : start + len(images)] = offsets
        self.sizes[start : start + len(images)] = sizes
        self.labels[start : start + len(labels)] = labels

    def close(self) -> None:
        save_layout(self.path, self.image_shape, self.codec.name)
        close_hdf5(self.file, self.path, self.durable)


class Reader:
    """Offsets, sizes and labels are read at open (13 bytes per image); encoded bytes per read call."""

    def __init__(self, path: Path, codec: Codec):
        self.image_shape, self.codec = load_layout(path, codec.name), codec
        self.file = h5py.File(Path(path) / FILE, "r")
        self.data = self.file["encoded"]
        self.offsets = self.file["offsets"][:].astype(np.int64)
        self.sizes = self.file["sizes"][:].astype(np.int64)
        self.labels = self.file["labels"][:]

    def _blobs(self, indices: np.ndarray) -> list[bytes]:
        offsets, sizes = self.offsets[indices], self.sizes[indices]
        if len(indices) == 0:
            return []
        low, high = int(offsets.min()), int((offsets + sizes).max())
        if contiguous_range(indices) or high - low <= SPAN_FACTOR * int(sizes.sum()):
            span = self.data[low:high].tobytes()  # one read covering every image asked for
            return [span[o - low : o - low + s] for o, s in zip(offsets.tolist(), sizes.tolist(), strict=True)]
        blobs = [b""] * len(indices)
        for slot in np.argsort(offsets, kind="stable"):  # scattered images: one slice each, in file order
            blobs[slot] = self.data[offsets[slot] : offsets[slot] + sizes[slot]].tobytes()
        return blobs

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        images, _ = empty_batch(len(indices), self.image_shape)
        for slot, blob in enumerate(self._blobs(indices)):
            self.codec.decode_into(blob, images[slot])
        return images, self.labels[indices]

    def close(self) -> None:
        self.file.close()


def method(codec: Codec) -> Method:
    return Method(
        description=CONTAINER.description.format(codec=codec.name),
        writer=partial(Writer, codec=codec),
        reader=partial(Reader, codec=codec),
        bytes_per_image=lambda image_bytes: encoded_bytes(codec, image_bytes) + 13,  # bytes, offset, size, label
        encode=encoder(codec),
        decode=decoder(codec),
        codec=codec,
    )


CONTAINER = Container("one HDF5 file: {codec} bytes concatenated in 'encoded' + offsets, sizes, labels", method)
