"""lmdb: one key per image, image and label pickled together, one write transaction (the tutorial)."""

import pickle
from pathlib import Path

import lmdb
import numpy as np

from imgbench.errors import RetryStore
from imgbench.fsutil import fsync_path

from ._common import empty_batch
from ._lmdb import lmdb_map_bytes, record_bytes_on_disk
from .base import Method, Option

PICKLE_OVERHEAD_BYTES = 250  # a pickled CifarImage against its pixel bytes (about 200 at 32x32)


class CifarImage:
    """The tutorial's record: pixels as bytes plus shape and label, pickled as one value."""

    def __init__(self, image: np.ndarray, label: int):
        self.channels = image.shape[2]
        self.size = image.shape[:2]
        self.image = image.tobytes()
        self.label = label

    def get_image(self) -> np.ndarray:
        return np.frombuffer(self.image, dtype=np.uint8).reshape(*self.size, self.channels)


def key(index: int) -> bytes:
    return f"{index:08}".encode("ascii")


def encode_record(image: np.ndarray, label) -> bytes:
    return pickle.dumps(CifarImage(image, int(label)))


def encode(images: np.ndarray, labels: np.ndarray) -> list[bytes]:
    """The pickling part of a store alone, in memory (timed apart to split encoding from writing)."""
    return [encode_record(image, label) for image, label in zip(images, labels, strict=True)]


def decode(records, image_shape: tuple[int, ...]) -> np.ndarray:
    """The unpickling part of a read alone, in memory."""
    images, _ = empty_batch(len(records), image_shape)
    for slot, record in enumerate(records):
        images[slot] = pickle.loads(record).get_image()
    return images


class Writer:
    """The whole store in one write transaction, as the tutorial does. A map that fills cannot grow inside
    that transaction: the store is abandoned and redone with twice the map (RetryStore)."""

    def __init__(
        self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *, map_bytes: int | None
    ):
        self.path, self.n_images, self.durable, self.map_bytes = Path(path), n_images, durable, map_bytes
        self.env = self.txn = None

    def _open(self, record_bytes: int) -> None:
        self.map_bytes = self.map_bytes or lmdb_map_bytes(self.n_images, record_bytes)
        # sync/metasync off unless durable: LMDB would otherwise fsync on commit while others do not.
        self.env = lmdb.open(str(self.path), map_size=self.map_bytes, sync=self.durable, metasync=self.durable)
        self.txn = self.env.begin(write=True)

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        records = encode(images, labels)
        if self.env is None:
            self._open(len(records[0]))
        try:
            for offset, record in enumerate(records):
                self.txn.put(key(start + offset), record)
        except lmdb.MapFullError:
            self._grow_and_retry()

    def _grow_and_retry(self):
        self.txn.abort()
        self.env.close()
        grown = 2 * self.map_bytes
        raise RetryStore(f"LMDB map of {self.map_bytes} bytes full; starting again with {grown}", {"map_bytes": grown})

    def close(self) -> None:
        if self.env is None:  # nothing was written: an empty store
            self._open(0)
        try:
            self.txn.commit()
        except lmdb.MapFullError:
            self._grow_and_retry()
        if self.durable:
            self.env.sync(True)
        self.env.close()
        if self.durable:
            fsync_path(self.path)


class Reader:
    def __init__(self, path: Path):
        self.env = lmdb.open(str(path), readonly=True, lock=False)
        self.txn = self.env.begin()

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images, labels = empty_batch(0, (0, 0, 0))
        for slot, index in enumerate(indices):
            record = pickle.loads(self.txn.get(key(int(index))))
            if slot == 0:  # the records carry the shape; the first one sizes the batch
                images, labels = empty_batch(len(indices), (*record.size, record.channels))
            images[slot] = record.get_image()
            labels[slot] = record.label
        return images, labels

    def close(self) -> None:
        self.txn.abort()
        self.env.close()


METHOD = Method(
    description="one LMDB key per image, pickled image+label object, one write transaction",
    writer=Writer,
    reader=Reader,
    bytes_per_image=lambda image_bytes: record_bytes_on_disk(image_bytes + PICKLE_OVERHEAD_BYTES),
    encode=encode,
    decode=decode,
    # The one write transaction holds every dirty page in this process until commit, and the page cache
    # holds them again. Alternated A/B at 100,000 CIFAR images, 5 repeats each: median 3.00 s primed with
    # 1.5x raw, 1.63 s with 3x.
    store_memory_factor=3.0,
    options={
        "map_bytes": Option(None, "initial map size in bytes (default: from the first record)", kind=int, minimum=1)
    },  # fmt: skip
)
