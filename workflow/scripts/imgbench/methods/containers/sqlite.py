"""sqlite+CODEC (and plain sqlite, = sqlite+raw): one SQLite row per image, the codec's bytes as a BLOB beside
the label, written in one transaction (the standard library's sqlite3).

Layout: ``images.sqlite`` with ``images(id INTEGER PRIMARY KEY, label INTEGER NOT NULL, image BLOB NOT NULL)``,
id = the image's index; ``layout.json`` gives the image shape and codec.

Settings for random access of small records, and why:
- BLOBs inside the database, in pages of 16 KiB: SQLite's measurements of random BLOB reads find BLOBs
  under about 100 kB faster inside the database than as separate files, and "a database page size of 8192
  or 16384 gives the best performance for large BLOB I/O" (https://www.sqlite.org/intern-v-extern-blob.html;
  the same effect for 10 kB thumbnails: https://www.sqlite.org/fasterthanfs.html). 16 KiB pages also hold
  five CIFAR images where 4 KiB pages (the default) hold one and waste a quarter of each page.
- id as INTEGER PRIMARY KEY, an alias of the rowid, so a lookup is one search of the table's own B-tree
  (https://www.sqlite.org/lang_createtable.html#rowid).
- Every insert in one transaction: outside a transaction each INSERT is its own, with its own journal
  and syncs (https://www.sqlite.org/faq.html#q19). A durable store keeps SQLite's default
  synchronous=FULL, so the commit syncs; otherwise synchronous=OFF, as the other methods skip fsync.
- Reads open the database read-only (``mode=ro``) and fetch a contiguous run with one range query, any
  other indices with ``id IN (...)`` queries of up to 500 ids.
"""

import sqlite3
from functools import partial
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec
from imgbench.source import contiguous_range

from .._common import empty_batch, fsync_tree
from .._layout import load_layout, save_layout
from .._records import decoder, encoded_bytes, encoder
from ..base import Method
from . import Container

FILE = "images.sqlite"
PAGE_BYTES = 16384
IDS_PER_QUERY = 500  # well under SQLite's smallest limit on parameters per statement (999)
ROW_OVERHEAD_BYTES = 24  # record header, rowid and cell pointer of one row, about
PAGE_FILL = 0.9  # of a page, by whole rows (CIFAR: 5 rows of 3 kB in 16 kB)


class Writer:
    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *, codec: Codec):
        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.connection = sqlite3.connect(self.path / FILE, isolation_level=None)  # transactions are ours
        self.connection.execute(f"PRAGMA page_size = {PAGE_BYTES}")  # before the first table
        self.connection.execute(f"PRAGMA synchronous = {'FULL' if durable else 'OFF'}")
        self.connection.execute("CREATE TABLE images (id INTEGER PRIMARY KEY, label INTEGER NOT NULL, "
                                "image BLOB NOT NULL)")  # fmt: skip
        self.connection.execute("BEGIN")

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        rows = ((start + offset, int(label), self.codec.encode(image))
                for offset, (image, label) in enumerate(zip(images, labels, strict=True)))  # fmt: skip
        self.connection.executemany("INSERT INTO images (id, label, image) VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        try:
            if self.connection.in_transaction:
                self.connection.execute("COMMIT")
        finally:
            self.connection.close()
        save_layout(self.path, self.image_shape, self.codec.name)
        if self.durable:
            fsync_tree(self.path)


class Reader:
    def __init__(self, path: Path, codec: Codec):
        self.image_shape, self.codec = load_layout(path, codec.name), codec
        self.file = Path(path) / FILE
        if not self.file.exists():  # sqlite3 would create an empty database rather than fail
            raise FileNotFoundError(f"{self.file} is missing")
        self.connection = sqlite3.connect(f"{self.file.resolve().as_uri()}?mode=ro", uri=True)

    def _rows(self, indices: np.ndarray) -> dict[int, tuple[int, bytes]]:
        span = contiguous_range(indices)
        if span is not None:
            query = "SELECT id, label, image FROM images WHERE id >= ? AND id < ?"
            return {row[0]: row[1:] for row in self.connection.execute(query, span)}
        found = {}
        wanted = np.unique(indices).tolist()
        for at in range(0, len(wanted), IDS_PER_QUERY):
            ids = wanted[at : at + IDS_PER_QUERY]
            query = f"SELECT id, label, image FROM images WHERE id IN ({', '.join('?' * len(ids))})"
            found.update((row[0], row[1:]) for row in self.connection.execute(query, ids))
        return found

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        images, labels = empty_batch(len(indices), self.image_shape)
        rows = self._rows(indices)
        for slot, index in enumerate(indices.tolist()):
            if index not in rows:
                raise KeyError(f"image {index} is not in {self.file}")
            labels[slot], blob = rows[index]
            self.codec.decode_into(blob, images[slot])
        return images, labels

    def close(self) -> None:
        self.connection.close()


def bytes_per_image(codec: Codec, image_bytes: int) -> int:
    row = encoded_bytes(codec, image_bytes) + ROW_OVERHEAD_BYTES
    if row > PAGE_BYTES - 35:  # SQLite's largest local payload: the rest goes to overflow pages
        return int(-(-row // PAGE_BYTES) * PAGE_BYTES)
    return int(PAGE_BYTES / max(1, int(PAGE_BYTES * PAGE_FILL // row)))


def method(codec: Codec) -> Method:
    return Method(
        description=CONTAINER.description.format(codec=codec.name),
        writer=partial(Writer, codec=codec),
        reader=partial(Reader, codec=codec),
        bytes_per_image=partial(bytes_per_image, codec),
        encode=encoder(codec),
        decode=decoder(codec),
        codec=codec,
    )


CONTAINER = Container("one SQLite table (stdlib sqlite3, 16 KiB pages): a row per image, label + {codec} BLOB, "
                      "one transaction", method)  # fmt: skip
