"""LMDB helpers shared by the LMDB-based methods (the underscore keeps it out of the registry)."""

import math
from pathlib import Path

import lmdb
import numpy as np

from imgbench.source import contiguous_range

from ._common import empty_batch, fsync_tree
from ._layout import load_layout, save_layout
from .base import Option

KEY_DTYPE = np.dtype(">u4")  # big-endian, so byte order of keys is index order
MAX_KEYS = 2**32


def index_keys(indices) -> list[bytes]:
    """4-byte big-endian keys for these image indices (struct '>I')."""
    raw = np.asarray(indices, dtype=np.int64).astype(KEY_DTYPE).tobytes()
    return [raw[at : at + 4] for at in range(0, len(raw), 4)]


PAGE_BYTES = 4096


def pages_per_record(value_bytes: int, page_bytes: int = PAGE_BYTES) -> float:
    """Pages one record of value_bytes takes: its own overflow pages when it is over half a page, otherwise
    a share of leaf pages, which split half full at worst."""
    if value_bytes + 16 > page_bytes // 2:
        return math.ceil((value_bytes + 16) / page_bytes) + 0.02  # + branch pages
    return 2 * (value_bytes + 16) / page_bytes


def record_bytes_on_disk(value_bytes: int) -> int:
    """Disk bytes of one record in a store (the free-space estimate)."""
    return int(pages_per_record(value_bytes) * PAGE_BYTES)


def lmdb_map_bytes(n_records: int, value_bytes: int, headroom: float = 1.25) -> int:
    """The map size for n records of about value_bytes each: their pages, a few more, and headroom. The one
    rule of every LMDB method; a map that still fills is doubled (in place, or by starting again)."""
    return int((n_records * pages_per_record(value_bytes) + 64) * PAGE_BYTES * headroom)


class LmdbBatchWriter:
    """Key/value records into an LMDB environment, one write transaction per batch of records.

    Records are buffered until a batch is full (memory: at most batch_records records plus one
    incoming chunk). When a transaction hits the map size (lmdb.MapFullError), the transaction is
    aborted, the map doubled and the same batch written again, so a store never fails for lack of map.

    Commits never sync (LMDB's NOSYNC/NOMETASYNC); when durable, close() syncs once (env.sync(True),
    then fsync of every file and the directory). The store is durable when close() returns, as every
    method's is, and the batch size does not become a durability knob (syncing each commit costs one
    fdatasync pair per batch: at 10,000 images in batches of 1,000, 0.096 s instead of 0.060 s).
    """

    def __init__(self, path: Path, durable: bool, batch_records: int, map_bytes: int):
        self.path, self.durable, self.batch_records = Path(path), durable, batch_records
        self.env = lmdb.open(str(self.path), map_size=max(int(map_bytes), 1), sync=False, metasync=False)
        self.pending: list[tuple[bytes, bytes]] = []
        self.last_key = b""
        self.in_order = True  # every key so far greater than the one before: LMDB can append
        self.map_grows = 0

    def add(self, records: list[tuple[bytes, bytes]]) -> None:
        """Queue records, given in increasing key order (a chunk of consecutive images)."""
        if not records:
            return
        self.in_order = self.in_order and records[0][0] > self.last_key
        self.last_key = records[-1][0]
        self.pending.extend(records)
        while len(self.pending) >= self.batch_records:
            batch = self.pending[: self.batch_records]
            del self.pending[: self.batch_records]
            self._commit(batch)

    def _commit(self, batch: list[tuple[bytes, bytes]]) -> None:
        # MDB_APPEND (no search for each key's position) while keys arrive in increasing order.
        append = self.in_order
        while True:
            txn = self.env.begin(write=True)
            try:
                _consumed, added = txn.cursor().putmulti(batch, append=append)
                if append and added != len(batch):
                    raise RuntimeError(f"LMDB appended {added} of {len(batch)} records")
                txn.commit()
                break
            except lmdb.MapFullError:
                txn.abort()
                self.env.set_mapsize(2 * self.env.info()["map_size"])
                self.map_grows += 1
            except BaseException:
                txn.abort()
                raise

    def close(self) -> None:
        if self.pending:
            self._commit(self.pending)
            self.pending = []
        if self.durable:
            self.env.sync(True)
        self.env.close()
        if self.durable:
            fsync_tree(self.path)


class LmdbReader:
    """One read-only environment and read transaction for the reader's life; values without copies."""

    def __init__(self, path: Path):
        self.env = lmdb.open(str(path), readonly=True, lock=False)
        self.txn = self.env.begin(buffers=True)
        self.cursor = self.txn.cursor()

    def values(self, indices: np.ndarray) -> list:
        """The values at these indices, in order (memoryviews, valid until the next call)."""
        keys = index_keys(indices)
        if len(keys) > 1 and contiguous_range(indices) and self.cursor.set_key(keys[0]):
            # A run of keys: walk the cursor (no lookup per key). The keys are unique and sorted, so
            # if the n-th key from the first is the last one asked for, the run is complete.
            values = []
            for value in self.cursor.iternext(keys=False, values=True):  # starts at the current key
                values.append(value)
                if len(values) == len(keys):
                    break
            if len(values) == len(keys) and self.cursor.key() == keys[-1]:
                return values
        get = self.txn.get
        values = [get(key) for key in keys]
        if any(value is None for value in values):
            missing = [int.from_bytes(key, "big") for key, value in zip(keys, values, strict=True) if value is None]
            raise KeyError(f"images not in the store: {missing[:5]}")
        return values

    def close(self) -> None:
        self.cursor.close()
        self.txn.abort()
        self.env.close()


class RecordWriter:
    """A method's writer: one record per image under index_keys, through LmdbBatchWriter, and the layout
    (image shape, codec) in layout.json.

    encode turns (images, labels) into one bytes-like value per image; value_bytes is a typical value's size
    (for the initial map). Options (RECORD_OPTIONS): batch_images (images per write transaction; 1,000
    rather than 10,000 because LMDB mallocs a fresh page per record and keeps freed ones for the next
    transaction: at 10,000 CIFAR images one transaction took 0.08-0.10 s to store, batches of 1,000
    0.03-0.045 s); map_bytes (initial map size; default from value_bytes; doubled whenever a transaction
    fills it).
    """

    def __init__(
        self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *, encode, value_bytes: int,
        codec: str | None, batch_images: int, map_bytes: int | None,
    ):  # fmt: skip
        if n_images > MAX_KEYS:
            raise ValueError(f"LMDB keys of 4 bytes hold at most {MAX_KEYS} images, asked for {n_images}")
        if map_bytes is None:
            map_bytes = lmdb_map_bytes(n_images, value_bytes)
        self.path, self.image_shape, self.encode, self.codec = Path(path), image_shape, encode, codec
        self.db = LmdbBatchWriter(path, durable, batch_images, map_bytes)

    @property
    def map_grows(self) -> int:
        return self.db.map_grows

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        values = self.encode(images, labels)
        self.db.add(list(zip(index_keys(np.arange(start, start + len(images))), values, strict=True)))

    def close(self) -> None:
        save_layout(self.path, self.image_shape, self.codec)
        self.db.close()


RECORD_OPTIONS = {
    "batch_images": Option(1000, "images per LMDB write transaction", minimum=1),
    "map_bytes": Option(None, "initial map size in bytes (default: from the records' size; doubled when full)",
                        kind=int, minimum=1),
}  # fmt: skip


class RecordReader:
    """Opens the store's LMDB for reading and learns the image shape; read() hands the values (label byte +
    image bytes each) to decode_values(values, images, labels), which fills the preallocated batch."""

    def __init__(self, path: Path, decode_values, codec: str | None):
        self.image_shape = load_layout(path, codec)
        self.decode_values = decode_values
        self.db = LmdbReader(path)

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images, labels = empty_batch(len(indices), self.image_shape)
        self.decode_values(self.db.values(indices), images, labels)
        return images, labels

    def close(self) -> None:
        self.db.close()
