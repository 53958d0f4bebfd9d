"""lance+CODEC (and plain lance): every image and label in one Lance dataset (pylance), read with ``take``.

Layout: the directory ``images.lance``, a Lance dataset of one fragment with the columns ``image`` (the
codec's bytes as binary; for plain ``lance`` the raw pixels as fixed-size binary, methods/_arrow.py) and
``label`` (uint8); ``layout.json`` gives the image shape and codec.

Settings for random access of small records, and why:
- One ``lance.write_dataset`` call for the whole store, fed as a stream: the writer hands each chunk to a
  thread running ``write_dataset`` on a ``pyarrow.RecordBatchReader`` (at most two chunks waiting), so the
  store is one dataset version and one fragment (Lance's default of up to 1Mi rows per fragment "works
  well up to ~1B rows", https://github.com/lance-format/lance/blob/main/docs/src/guide/performance.md).
  Appending chunk by chunk would instead commit a new version and fragment per chunk.
- The stable file format (data_storage_version "2.2", written explicitly so the layout does not move with
  pylance releases), non-nullable columns: in Lance 2.1+ values over 256 bytes use the "full zip" layout,
  and "a fixed-width data type that has no validity information ... is simply a flat buffer of data", one
  read per value for random access
  (https://github.com/lance-format/lance/blob/main/docs/src/format/file/encoding.md).
- Reads: ``LanceDataset.take(indices)``, the documented random-access API ("Lance stands out with its
  super fast random access": https://lancedb.github.io/lance-python-doc/random-access.html), on one
  dataset opened once per reader, as the performance guide advises for its caches. take returns rows in
  the order asked, repeats included.

pylance has no close(): a reader drops its dataset and waits until Lance's I/O threads have closed its
files (wait_until_closed).

Forked workers: pylance warns at every fork that "lance is not fork-safe ... use spawn or forkserver", and
it is not: in a process forked from one that has read or written a Lance dataset, take crashes (SIGSEGV)
or hangs in about one worker of ten (measured here with pylance 14.0.2, 100 forked workers, each after
the parent had read; one of three when the parent had also written). Only a process that has imported
lance without using it forks safely. reading.py's parallel pattern forks after the same job's sequential
read, and a worker that dies without a word leaves the parent waiting for ever, so a reader refuses to
open in a process forked from one that used Lance (ForkedLanceError), and the parallel row fails with that
message instead. Measuring lance in parallel needs spawned workers (reading.py does not offer them).
"""

import os
import queue
import threading
import time
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec
from imgbench.errors import BenchmarkError

from .._common import check_in_order, empty_batch, fsync_tree
from .._layout import load_layout, save_layout
from .._records import column_method
from ..base import Method
from . import Container

DATASET = "images.lance"
FILE_VERSION = "2.2"
QUEUED_CHUNKS = 2  # chunks handed to the writing thread and not yet written
REQUIRES = ("pylance", "pyarrow")
DONE = None  # end of the stream
CLOSE_WAIT_SECONDS = 5.0
_used_in_process: int | None = None  # the pid of the process that used Lance here, if any (see above)


class ForkedLanceError(BenchmarkError):
    """Lance asked for in a process forked from one that already used it (a clear refusal, not a damaged store)."""


def using_lance() -> None:
    """Record that this process uses Lance; refuse if it is a fork of one that did (see the module docstring)."""
    global _used_in_process
    if _used_in_process not in (None, os.getpid()):
        raise ForkedLanceError(
            f"lance is not fork-safe: this process was forked from process {_used_in_process}, which had "
            "already used Lance, and pylance then crashes or hangs in the child. Measure lance without the "
            "parallel pattern (reading.py forks its workers), or read each store in a fresh process."
        )
    _used_in_process = os.getpid()


def files_open_under(root: Path) -> int:
    """How many of this process's file descriptors are open on files below root (Linux /proc)."""
    prefix, count = str(root.resolve()) + os.sep, 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith(prefix)
        except OSError:  # closed meanwhile
            continue
    return count


def wait_until_closed(root: Path) -> None:
    """pylance has no close(): its I/O threads close a dataset's files a little after the dataset is dropped
    (measured here: under 2 ms, in about one case of five). Wait for that, so that close() leaves no file open."""
    if not os.path.isdir("/proc/self/fd"):
        return
    deadline = time.monotonic() + CLOSE_WAIT_SECONDS
    while files_open_under(root) and time.monotonic() < deadline:
        time.sleep(0.0002)


class Writer:
    """Feeds the chunks to lance.write_dataset running in a thread, through a bounded queue."""

    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *,
                 codec: Codec | None):  # fmt: skip
        from .. import _arrow

        using_lance()
        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.arrow, self.next_start = _arrow, 0
        self.schema = _arrow.schema(image_shape, codec)
        self.chunks: queue.Queue = queue.Queue(maxsize=QUEUED_CHUNKS)
        self.error: BaseException | None = None
        self.ended = False  # the stream's end (DONE) was taken from the queue
        self.thread = threading.Thread(target=self._write_dataset, name="lance-writer", daemon=True)
        self.thread.start()

    def _batches(self):
        while (batch := self.chunks.get()) is not DONE:
            yield batch
        self.ended = True

    def _write_dataset(self) -> None:
        import lance
        import pyarrow as pa

        try:
            stream = pa.RecordBatchReader.from_batches(self.schema, self._batches())
            lance.write_dataset(stream, str(self.path / DATASET), schema=self.schema, mode="create",
                                data_storage_version=FILE_VERSION)  # fmt: skip
        except BaseException as error:  # reported by the next write or close
            self.error = error
            while not self.ended and self.chunks.get() is not DONE:  # write() and close() must not block
                pass

    def _raise_error(self) -> None:
        if self.error is not None:
            raise RuntimeError(f"lance.write_dataset into {self.path / DATASET} failed: {self.error}") from self.error

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        self._raise_error()
        check_in_order(self.next_start, start, "lance")
        self.next_start += len(images)
        self.chunks.put(self.arrow.record_batch(images, labels, self.codec))

    def close(self) -> None:
        if self.thread.is_alive():
            self.chunks.put(DONE)
            self.thread.join()
        wait_until_closed(self.path / DATASET)
        self._raise_error()
        save_layout(self.path, self.image_shape, self.codec and self.codec.name)
        if self.durable:
            fsync_tree(self.path)


class Reader:
    def __init__(self, path: Path, codec: Codec | None):
        import lance

        from .. import _arrow

        using_lance()
        self.image_shape, self.codec, self.arrow = load_layout(path, codec and codec.name), codec, _arrow
        self.root = Path(path) / DATASET
        self.dataset = lance.dataset(str(self.root))

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        images, _ = empty_batch(len(indices), self.image_shape)
        if len(indices) == 0:
            return images, np.empty(0, dtype=np.uint8)
        table = self.dataset.take(indices, columns=[self.arrow.IMAGE, self.arrow.LABEL])
        if table.num_rows != len(indices):
            raise IndexError(f"take of {len(indices)} images from {self.dataset.uri} gave {table.num_rows} rows")
        rows = np.arange(len(indices))
        self.arrow.ImageColumn(table.column(self.arrow.IMAGE), self.codec).fill(rows, rows, images)
        return images, self.arrow.labels_of(table.column(self.arrow.LABEL))

    def close(self) -> None:
        self.dataset = None  # pylance has no close: dropping the dataset releases its files
        wait_until_closed(self.root)


def lance_method(codec: Codec | None, description: str) -> Method:
    """The method for a codec's bytes (codec) or for raw pixels as fixed-size binary (None)."""
    # disk bytes per image beyond its own: label byte, and an offset and page metadata per image
    return column_method(codec, description, Writer, Reader, 1 + 8, requires=REQUIRES)


def method(codec: Codec) -> Method:
    return lance_method(codec, CONTAINER.description.format(codec=codec.name))


CONTAINER = Container("one Lance dataset (pylance, file format 2.2): {codec} bytes in a binary column + uint8 labels, "
                      "read with take", method)  # fmt: skip
