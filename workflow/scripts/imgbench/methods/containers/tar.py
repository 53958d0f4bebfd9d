"""tar+CODEC: the codec's files in tar shards, WebDataset layout, plus an offset index.

Shard k (``shard-{k:06d}.tar``) holds images k*shard_images ... as members ``{index:08d}.EXT`` (EXT the
codec's extension, e.g. png) and
``{index:08d}.cls`` (the label as decimal text), written with the standard library's tarfile. At close
the writer also saves ``index.npy``: per image its shard, the offset and size of its encoded bytes in the
shard, and its label, so a reader seeks straight to an image instead of walking every tar header. A
reader given shards without an index (e.g. made by another tool) builds the same table by listing
them with tarfile.
"""

import io
import os
import re
import tarfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec
from imgbench.source import contiguous_range

from .._common import empty_batch, fsync_tree
from .._layout import LAYOUT, load_layout, save_layout
from .._records import decoder, encoded_bytes, encoder
from ..base import Method, Option
from . import Container

INDEX = "index.npy"
INDEX_DTYPE = np.dtype([("shard", "<u4"), ("offset", "<u8"), ("size", "<u4"), ("label", "u1")])
MEMBER = re.compile(r"(\d+)\.(\w+)$")


def shard_name(shard: int) -> str:
    return f"shard-{shard:06d}.tar"


def padded(size: int) -> int:
    return -(-size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE


def add_member(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> int:
    """Add one member; return the offset of its data in the shard."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o644
    tar.addfile(info, io.BytesIO(data))
    return tar.offset - padded(len(data))


def add_sample(tar: tarfile.TarFile, index: int, extension: str, data: bytes, label: int, mtime: int) -> int:
    """One image's members in WebDataset layout ({index:08d}.EXT, then .cls); the offset of its bytes."""
    offset = add_member(tar, f"{index:08d}.{extension}", data, mtime)
    add_member(tar, f"{index:08d}.cls", f"{int(label)}".encode("ascii"), mtime)
    return offset


def shard_bytes_per_image(encoded: int) -> int:
    """Two members (image and label), each a 512-byte header and data padded to 512; the index entry."""
    return 512 + padded(encoded) + 512 + 512 + INDEX_DTYPE.itemsize


class Writer:
    def __init__(
        self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *, shard_images: int, codec: Codec
    ):
        self.path, self.durable, self.shard_images, self.image_shape = Path(path), durable, shard_images, image_shape
        self.codec, self.member = codec, codec.extension.lstrip(".")
        self.index = np.zeros(n_images, dtype=INDEX_DTYPE)  # 17 bytes per image, no pixels
        self.mtime = int(time.time())
        self.shard = self.handle = self.tar = None

    def _open_shard(self, shard: int) -> None:
        self._close_shard()
        file = self.path / shard_name(shard)
        if file.exists():  # images arrived out of order: append to the shard written earlier
            self.handle = open(file, "r+b")
            self.tar = tarfile.open(fileobj=self.handle, mode="a", format=tarfile.USTAR_FORMAT)
        else:
            self.handle = open(file, "wb")
            self.tar = tarfile.open(fileobj=self.handle, mode="w", format=tarfile.USTAR_FORMAT)
        self.shard = shard

    def _close_shard(self) -> None:
        if self.tar is None:
            return
        self.tar.close()  # end-of-archive blocks; the file object stays ours
        self.handle.close()  # when durable, close() fsyncs every shard
        self.shard = self.handle = self.tar = None

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        for offset, (image, label) in enumerate(zip(images, labels, strict=True)):
            index = start + offset
            if index // self.shard_images != self.shard:
                self._open_shard(index // self.shard_images)
            data = self.codec.encode(image)
            offset = add_sample(self.tar, index, self.member, data, label, self.mtime)
            self.index[index] = (self.shard, offset, len(data), label)

    def close(self) -> None:
        self._close_shard()
        with open(self.path / INDEX, "wb") as handle:
            np.save(handle, self.index)
        save_layout(self.path, self.image_shape, self.codec.name)
        if self.durable:
            fsync_tree(self.path)


def scan_shards(path: Path) -> np.ndarray:
    """The index table built from the shards themselves (for shards written without index.npy)."""
    found = {}
    for file in sorted(path.glob("shard-*.tar")):
        shard = int(file.stem.split("-")[1])
        with tarfile.open(file) as tar:
            for member in tar.getmembers():
                match = MEMBER.search(member.name)
                if match is None or not member.isfile():
                    continue
                entry = found.setdefault(int(match[1]), {"shard": shard})
                if match[2] == "cls":
                    entry["label"] = int(tar.extractfile(member).read())
                else:  # the image, in whatever format the shards were written
                    entry.update(offset=member.offset_data, size=member.size)
    index = np.zeros(max(found, default=-1) + 1, dtype=INDEX_DTYPE)
    for image, entry in found.items():
        index[image] = (entry["shard"], entry["offset"], entry["size"], entry["label"])
    return index


class Reader:
    """Reads the index at open; an image is one positioned read (os.pread) plus a PNG decode."""

    def __init__(self, path: Path, codec: Codec):
        self.path, self.codec = Path(path), codec
        self.index = np.load(self.path / INDEX) if (self.path / INDEX).exists() else scan_shards(self.path)
        self.fds: dict[int, int] = {}
        self.image_shape = (
            load_layout(self.path, codec.name) if (self.path / LAYOUT).exists() else self._first_image_shape()
        )

    def _first_image_shape(self) -> tuple[int, ...]:
        """Shards made by another tool come without layout.json: the first image, opened by Pillow, says
        the shape (the codec's raw bytes carry none, so such shards must come with layout.json)."""
        from PIL import Image

        shard, offset, size, _label = self.index[0].tolist()
        with Image.open(io.BytesIO(os.pread(self._fd(shard), size, offset))) as image:
            return np.asarray(image).shape

    def _fd(self, shard: int) -> int:
        if shard not in self.fds:
            self.fds[shard] = os.open(self.path / shard_name(shard), os.O_RDONLY)
        return self.fds[shard]

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        entries = self.index[np.asarray(indices, dtype=np.int64)]
        images, _ = empty_batch(len(entries), self.image_shape)
        if contiguous_range(indices):  # one read per shard covering its run of images
            for shard in np.unique(entries["shard"]):
                slots = np.flatnonzero(entries["shard"] == shard)
                offsets, sizes = (
                    entries["offset"][slots].astype(np.int64),
                    entries["size"][slots].astype(np.int64),
                )
                low = int(offsets.min())
                span = os.pread(self._fd(int(shard)), int((offsets + sizes).max()) - low, low)
                for slot, start, size in zip(slots.tolist(), (offsets - low).tolist(), sizes.tolist(), strict=True):
                    self.codec.decode_into(span[start : start + size], images[slot])
        else:
            for slot, entry in enumerate(entries.tolist()):
                shard, offset, size, _label = entry
                self.codec.decode_into(os.pread(self._fd(shard), size, offset), images[slot])
        return images, entries["label"].copy()

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}


def method(codec: Codec) -> Method:
    return Method(
        description=CONTAINER.description.format(codec=codec.name),
        writer=partial(Writer, codec=codec),
        reader=partial(Reader, codec=codec),
        bytes_per_image=lambda image_bytes: shard_bytes_per_image(encoded_bytes(codec, image_bytes)),
        encode=encoder(codec),
        decode=decoder(codec),
        codec=codec,
        options={"shard_images": Option(10_000, "images per tar shard", minimum=1)},
    )


CONTAINER = Container("{codec} files in tar shards of shard_images images (WebDataset layout) + an offset index",
                      method)  # fmt: skip
