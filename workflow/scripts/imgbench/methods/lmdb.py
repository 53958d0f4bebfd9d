"""lmdb: one key per image, image and label pickled together, one write transaction (the tutorial)."""

import math
import pickle
from pathlib import Path

import lmdb
import numpy as np

from imgbench.errors import RetryStore
from imgbench.fsutil import fsync_path

BYTES_PER_IMAGE = 4300  # one overflow page per record plus tree pages
# Fresh memory a store touches, in raw-pixel units (harness.store_prime_bytes): the one write transaction
# holds every dirty page in this process until commit, and the page cache holds them again. Alternated
# A/B at 100,000 images, 5 repeats each: median 3.00 s primed with 1.5x raw, 1.63 s with 3x.
PRIME_FACTOR = 3.0
DESCRIPTION = "one LMDB key per image, pickled image+label object, one write transaction"

# Grows when a store runs out of map: a fresh attempt in this process then starts larger.
map_headroom = 1.5


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


def map_size_for(n_records: int, record_bytes: int, page_bytes: int = 4096) -> int:
    """Bytes for n records of this size: overflow pages per value, branch/leaf pages, headroom."""
    pages_per_record = math.ceil((record_bytes + 64) / page_bytes) + 0.05
    return int((n_records * pages_per_record + 64) * page_bytes * map_headroom)


def encode(image: np.ndarray, label) -> bytes:
    return pickle.dumps(CifarImage(image, int(label)))


def encode_only(images: np.ndarray, labels: np.ndarray) -> list[bytes]:
    """The pickling part of a store alone, in memory (timed apart to split encoding from writing)."""
    return [encode(image, label) for image, label in zip(images, labels, strict=True)]


class Writer:
    def __init__(self, path: Path, n_images: int, durable: bool):
        self.path, self.n_images, self.durable = Path(path), n_images, durable
        self.env = self.txn = None

    def _open(self, record_bytes: int) -> None:
        size = map_size_for(self.n_images, record_bytes)
        # sync/metasync off unless durable: LMDB would otherwise fsync on commit while others do not.
        self.env = lmdb.open(str(self.path), map_size=size, sync=self.durable, metasync=self.durable)
        self.txn = self.env.begin(write=True)

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        records = [encode(image, label) for image, label in zip(images, labels, strict=True)]
        if self.env is None:
            self._open(len(records[0]))
        try:
            for offset, record in enumerate(records):
                self.txn.put(key(start + offset), record)
        except lmdb.MapFullError:
            self._grow_and_retry()

    def _grow_and_retry(self):
        global map_headroom
        self.txn.abort()
        self.env.close()
        map_headroom *= 2
        raise RetryStore(f"LMDB map full; retrying the store with headroom {map_headroom}")

    def close(self) -> None:
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
        images = np.empty((len(indices), 32, 32, 3), dtype=np.uint8)
        labels = np.empty(len(indices), dtype=np.uint8)
        for slot, index in enumerate(indices):
            record = pickle.loads(self.txn.get(key(int(index))))
            images[slot] = record.get_image()
            labels[slot] = record.label
        return images, labels

    def close(self) -> None:
        self.txn.abort()
        self.env.close()
