"""parquet+CODEC (and plain parquet): every image and label in one Parquet file, written and read with pyarrow.

Layout: ``images.parquet`` with the columns ``image`` (the codec's bytes as binary; for plain ``parquet`` the
raw pixels as fixed-size binary, methods/_arrow.py) and ``label`` (uint8), in row groups of
``row_group_size`` images; ``layout.json`` gives the image shape and codec.

Settings for random access of small records, and why:
- Row groups of 100 images by default. A row group is Parquet's unit of reading ("accessing 1 row requires
  to read its entire row group"), which is why Hugging Face ``datasets`` lowers its row groups from 1,000 to
  100 rows for image datasets, "to optimize random access" (``get_writer_batch_size`` and
  ``PARQUET_ROW_GROUP_SIZE_FOR_IMAGE_DATASETS``:
  https://github.com/huggingface/datasets/blob/main/src/datasets/arrow_writer.py,
  https://github.com/huggingface/datasets/blob/main/src/datasets/config.py). pyarrow's own default is up to
  1Mi rows per group, one group per write_table call
  (https://arrow.apache.org/docs/python/generated/pyarrow.parquet.write_table.html). The writer regroups
  the harness's chunks so every row group but the last holds exactly ``row_group_size`` images.
- No compression, no dictionary, no statistics (pyarrow.parquet.ParquetWriter's ``compression``,
  ``use_dictionary``, ``write_statistics``): pixel noise and a codec's bytes do not compress, every image is
  distinct, and minimum/maximum of image bytes serve no query; each would only add work to every read.
- Reading through ``ParquetFile(memory_map=True, pre_buffer=False)``
  (https://arrow.apache.org/docs/python/generated/pyarrow.parquet.ParquetFile.html): pre_buffer coalesces
  reads for high-latency filesystems through a background I/O pool, which a local random read does not
  need. A read decodes only the row groups holding the images asked for (``read_row_group``, one thread);
  a contiguous run is one ``read_row_groups`` call. The labels (1 byte per image) are read at open.
"""

from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec
from imgbench.source import contiguous_range

from .._common import check_in_order, empty_batch, fsync_tree
from .._layout import load_layout, save_layout
from .._records import column_method
from ..base import Method, Option
from . import Container

FILE = "images.parquet"
REQUIRES = ("pyarrow",)
OPTIONS = {"row_group_size": Option(100, "images per Parquet row group, the unit a read decodes", minimum=1)}


class RowGroupWriter:
    """Images and labels into a Parquet sink (a path or a writable pyarrow file) in row groups of exactly
    row_group_size images but the last: fewer than row_group_size images wait between writes, so the row
    groups do not follow the harness's chunks. Shared by parquet and s3parquet."""

    def __init__(self, sink, image_shape: tuple[int, ...], row_group_size: int, codec: Codec | None, where: str):
        import pyarrow.parquet as pq

        from .. import _arrow

        self.arrow, self.row_group_size, self.codec, self.where = _arrow, row_group_size, codec, where
        self.schema = _arrow.schema(image_shape, codec)
        self.writer = pq.ParquetWriter(
            sink, self.schema, compression="none", use_dictionary=False, write_statistics=False
        )
        self.pending, self.pending_rows, self.next_start = [], 0, 0

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        import pyarrow as pa

        check_in_order(self.next_start, start, self.where)
        self.next_start += len(images)
        self.pending.append(self.arrow.record_batch(images, labels, self.codec))
        self.pending_rows += len(images)
        if self.pending_rows < self.row_group_size:
            return
        table = pa.Table.from_batches(self.pending, self.schema)
        whole = self.pending_rows - self.pending_rows % self.row_group_size
        self.writer.write_table(table.slice(0, whole), row_group_size=self.row_group_size)
        self.pending, self.pending_rows = table.slice(whole).to_batches(), self.pending_rows - whole

    def close(self) -> None:
        """The last, shorter row group and the footer; the sink is closed even if writing them fails."""
        import pyarrow as pa

        try:
            if self.pending_rows:
                self.writer.write_table(pa.Table.from_batches(self.pending, self.schema))
        finally:
            self.writer.close()


def row_group_starts(metadata) -> np.ndarray:
    """The first image of every row group, and the number of images after the last (pyarrow FileMetaData)."""
    sizes = [metadata.row_group(group).num_rows for group in range(metadata.num_row_groups)]
    return np.cumsum([0, *sizes])


class Writer:
    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *,
                 row_group_size: int, codec: Codec | None):  # fmt: skip
        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.groups = RowGroupWriter(self.path / FILE, image_shape, row_group_size, codec, "parquet")

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        self.groups.write(start, images, labels)

    def close(self) -> None:
        self.groups.close()
        save_layout(self.path, self.image_shape, self.codec and self.codec.name)
        if self.durable:
            fsync_tree(self.path)


class Reader:
    def __init__(self, path: Path, codec: Codec | None):
        import pyarrow.parquet as pq

        from .. import _arrow

        self.arrow, self.codec = _arrow, codec
        self.image_shape = load_layout(path, codec and codec.name)
        self.file = pq.ParquetFile(Path(path) / FILE, memory_map=True, pre_buffer=False)
        self.group_starts = row_group_starts(self.file.metadata)
        labels = self.file.read(columns=[_arrow.LABEL], use_threads=False).column(_arrow.LABEL)
        self.labels = _arrow.labels_of(labels)

    def _column(self, groups: list[int]):
        table = self.file.read_row_groups(groups, columns=[self.arrow.IMAGE], use_threads=False)
        return self.arrow.ImageColumn(table.column(self.arrow.IMAGE), self.codec)

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        images, _ = empty_batch(len(indices), self.image_shape)
        labels = self.labels[indices]  # raises for an index beyond the store
        groups = np.searchsorted(self.group_starts, indices, side="right") - 1
        slots = np.arange(len(indices))
        if contiguous_range(indices) is not None:  # one call for the run of row groups it covers
            first, last = int(groups[0]), int(groups[-1])
            self._column(list(range(first, last + 1))).fill(indices - self.group_starts[first], slots, images)
        else:
            for group in np.unique(groups).tolist():
                here = groups == group
                self._column([group]).fill(indices[here] - self.group_starts[group], slots[here], images)
        return images, labels

    def close(self) -> None:
        self.file.close()


def parquet_method(codec: Codec | None, description: str) -> Method:
    """The method for a codec's bytes (codec) or for raw pixels as fixed-size binary (None)."""
    # disk bytes per image beyond its own: label byte, and an offset and page headers per image
    return column_method(codec, description, Writer, Reader, 1 + 8, options=OPTIONS, requires=REQUIRES)


def method(codec: Codec) -> Method:
    return parquet_method(codec, CONTAINER.description.format(codec=codec.name))


CONTAINER = Container("one Parquet file (pyarrow): {codec} bytes in a binary column + uint8 labels, row groups of "
                      "row_group_size, read by row group", method)  # fmt: skip
