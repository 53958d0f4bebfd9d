"""s3tar+CODEC: tar shards as objects in a real local S3 server (SeaweedFS), like tar+CODEC over HTTP.

The shards are tar+CODEC's (tar.py: WebDataset layout, ``shard_images`` images each, members written by
``tar.add_sample``), built in memory and PUT as one object each, ``shards/shard-{k:06d}.tar``, when the
writer moves past them (writes come in order) or closes. The offset index (tar.py's ``INDEX_DTYPE``: shard,
offset and size of each image's bytes, label) is the object ``shards/index.npy``, read when a reader
opens, as a WebDataset loader fetches a shard index before its first sample.

- A read groups its indices into runs of consecutive images of one shard, at most ``RANGE_BYTES`` each,
  and fetches each run with one ranged GET (``Range: bytes=a-b``): a random read is one GET per image,
  a sequential read one GET per 8 MiB; ``concurrency`` such GETs are in flight (a thread pool).
- A store PUTs one shard at a time; the writer holds the shard being built (its encoded images).
- ``s3.json`` in the store directory, the service and durability are s3+CODEC's (s3.py).
"""

import io
import tarfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec

from .._common import empty_batch
from .._records import decoder, encoded_bytes, encoder
from ..base import Method, Option
from . import Container
from .s3 import REQUIRES, _client, _pool, _run, close_reader, finish_store, open_store
from .tar import INDEX_DTYPE, add_sample, shard_bytes_per_image, shard_name

PREFIX = "shards"
INDEX_KEY = f"{PREFIX}/index.npy"
# The longest ranged GET: a sequential read still spreads over the pool, and no response holds a shard.
RANGE_BYTES = 8 << 20
OPTIONS = {
    "shard_images": Option(10_000, "images per tar shard (one object each)", minimum=1),
    "concurrency": Option(1, "S3 GETs in flight from one process (threads) when reading", minimum=1),
}


def shard_key(shard: int) -> str:
    return f"{PREFIX}/{shard_name(shard)}"


def runs(entries: np.ndarray, indices: np.ndarray, limit: int = RANGE_BYTES) -> list[tuple[int, int]]:
    """(first slot, end slot) of each ranged GET: consecutive images of one shard, spanning <= limit bytes
    (a single larger image is a run of its own)."""
    if len(indices) == 0:
        return []
    follows = (np.diff(indices) == 1) & (np.diff(entries["shard"].astype(np.int64)) == 0)
    starts = np.flatnonzero(np.r_[True, ~follows]).tolist() + [len(indices)]
    ends = (entries["offset"] + entries["size"]).astype(np.int64)
    found = []
    for first, end in zip(starts[:-1], starts[1:], strict=True):
        low = int(entries["offset"][first])
        while first < end:  # split where the span from this run's first byte passes the limit
            stop = first + max(1, int(np.searchsorted(ends[first:end] - low, limit, side="right")))
            found.append((first, stop))
            first, low = stop, int(entries["offset"][stop]) if stop < end else 0
    return found


class Writer:
    def __init__(
        self,
        path: Path,
        n_images: int,
        image_shape: tuple[int, ...],
        durable: bool,
        *,
        shard_images: int,
        concurrency: int,
        codec: Codec,
    ):
        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.shard_images, self.concurrency, self.member = shard_images, concurrency, codec.extension.lstrip(".")
        self.served, self.client = _client(self.path, 1)
        self.bucket, self.root = self.served.bucket, self.served.root
        self.index = np.zeros(n_images, dtype=INDEX_DTYPE)
        self.mtime = int(time.time())
        self.shard, self.buffer, self.tar, self.uploaded = None, None, None, -1

    def _open_shard(self, shard: int) -> None:
        self._put_shard()
        if shard <= self.uploaded:  # the contract's order: a shard, once PUT, is never written again
            raise ValueError(f"image of shard {shard} after shard {self.uploaded} was stored: write in order")
        self.buffer = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buffer, mode="w", format=tarfile.USTAR_FORMAT)
        self.shard = shard

    def _put_shard(self) -> None:
        if self.tar is None:
            return
        self.tar.close()  # end-of-archive blocks
        self.buffer.seek(0)
        self.client.put_object(Bucket=self.bucket, Key=self.root + shard_key(self.shard), Body=self.buffer)
        self.uploaded, self.shard, self.buffer, self.tar = self.shard, None, None, None

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        for index, image, label in zip(range(start, start + len(images)), images, labels, strict=True):
            if index // self.shard_images != self.shard:
                self._open_shard(index // self.shard_images)
            data = self.codec.encode(image)
            self.index[index] = (self.shard, add_sample(self.tar, index, self.member, data, label, self.mtime),
                                 len(data), label)  # fmt: skip

    def close(self) -> None:
        self._put_shard()
        index = io.BytesIO()
        np.save(index, self.index)
        self.client.put_object(Bucket=self.bucket, Key=self.root + INDEX_KEY, Body=index.getvalue())
        finish_store(self, PREFIX, len(self.index), shard_images=self.shard_images)


class Reader:
    """Reads s3.json and the index object at open; a read is one ranged GET per run plus the decodes."""

    def __init__(self, path: Path, codec: Codec, concurrency: int | None = None):
        self.path, self.codec = Path(path), codec
        open_store(self, concurrency)
        body = self.client.get_object(Bucket=self.bucket, Key=self.root + INDEX_KEY)["Body"].read()
        self.index = np.load(io.BytesIO(body))
        self.pool = _pool(self.concurrency)

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        entries = self.index[indices]
        images, _ = empty_batch(len(indices), self.image_shape)
        offsets, sizes = entries["offset"].astype(np.int64), entries["size"].astype(np.int64)

        def fetch(run: tuple[int, int]) -> None:
            first, stop = run
            key, low = self.root + shard_key(int(entries["shard"][first])), int(offsets[first])
            span = f"bytes={low}-{int(offsets[stop - 1] + sizes[stop - 1]) - 1}"
            try:
                data = self.client.get_object(Bucket=self.bucket, Key=key, Range=span)["Body"].read()
                for slot in range(first, stop):
                    start = int(offsets[slot]) - low
                    self.codec.decode_into(data[start : start + int(sizes[slot])], images[slot])
            except Exception as error:  # name the object and range: boto3 and the codec's library do not
                raise OSError(f"s3://{self.bucket}/{key} {span}: {error}") from error

        _run(self.pool, fetch, runs(entries, indices))
        return images, entries["label"].copy()

    def close(self) -> None:
        close_reader(self)


def method(codec: Codec) -> Method:
    from imgbench.objectstore.service import serving

    return Method(
        description=CONTAINER.description.format(codec=codec.name),
        writer=partial(Writer, codec=codec),
        reader=partial(Reader, codec=codec),
        bytes_per_image=lambda image_bytes: shard_bytes_per_image(encoded_bytes(codec, image_bytes)),
        encode=encoder(codec),
        decode=decoder(codec),
        codec=codec,
        store_memory_factor=2.5,  # the server's page cache, the shard being built and its upload's buffers
        options=OPTIONS,
        requires=REQUIRES,
        service=serving,
        concurrency=("read",),  # a store PUTs one shard after another
    )


CONTAINER = Container("{codec} files in tar shards of shard_images images as objects in a local S3 server "
                      "(SeaweedFS), read by ranged GETs + an offset index object", method)  # fmt: skip
