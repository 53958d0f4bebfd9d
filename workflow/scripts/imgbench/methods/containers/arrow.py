"""arrow+CODEC (and plain arrow): every image and label in one Arrow IPC file read through a memory map, the
layout Hugging Face ``datasets`` keeps a dataset in.

Layout: ``images.arrow``, an Arrow IPC stream of record batches with the columns ``image`` (the codec's
bytes as binary; for plain ``arrow`` the raw pixels as fixed-size binary, methods/_arrow.py) and ``label``
(uint8), uncompressed; ``layout.json`` gives the image shape and codec.

Settings, and why:
- The IPC *stream* format in record batches of at most 100 rows, as ``datasets`` writes its ``.arrow``
  files (``pa.RecordBatchStreamWriter``, ``writer_batch_size`` lowered to 100 rows for image datasets:
  https://github.com/huggingface/datasets/blob/main/src/datasets/arrow_writer.py), and reads them
  (``pa.memory_map`` then ``pa.ipc.open_stream(...).read_all()``, ``_memory_mapped_arrow_table_from_file``
  in https://github.com/huggingface/datasets/blob/main/src/datasets/table.py). Uncompressed, every buffer
  of the table is a slice of the memory map, so opening reads only the batches' metadata and a lookup is
  zero-copy (https://huggingface.co/docs/datasets/about_arrow, and pyarrow's "Efficiently Writing and
  Reading Arrow Data": https://arrow.apache.org/docs/python/ipc.html). With a memory map the IPC file
  format (with a footer) reads the same way; the stream format is what ``datasets`` writes.
- Reads index the map directly: at open, every image's offset (and, for a codec, size) in the file comes
  from the record batches' buffers, so reading image i is one copy (or one decode) from the map, with no
  per-read search over batches (``datasets`` adds its own Python formatting on top, which is not the
  format's cost).
"""

import math
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec

from .._common import check_in_order, empty_batch, fsync_tree
from .._layout import load_layout, save_layout
from .._records import column_method
from ..base import Method
from . import Container

FILE = "images.arrow"
RECORD_BATCH_ROWS = 100  # datasets' writer_batch_size for image datasets
REQUIRES = ("pyarrow",)


class Writer:
    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *,
                 codec: Codec | None):  # fmt: skip
        import pyarrow as pa

        from .. import _arrow

        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.arrow, self.next_start = _arrow, 0
        self.sink = pa.OSFile(str(self.path / FILE), "wb")
        self.writer = pa.ipc.new_stream(self.sink, _arrow.schema(image_shape, codec))

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        import pyarrow as pa

        check_in_order(self.next_start, start, "arrow")
        self.next_start += len(images)
        batch = self.arrow.record_batch(images, labels, self.codec)
        self.writer.write_table(pa.Table.from_batches([batch]), max_chunksize=RECORD_BATCH_ROWS)

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.sink.close()
        save_layout(self.path, self.image_shape, self.codec and self.codec.name)
        if self.durable:
            fsync_tree(self.path)


class Reader:
    def __init__(self, path: Path, codec: Codec | None):
        import pyarrow as pa

        from .. import _arrow

        self.image_shape, self.codec = load_layout(path, codec and codec.name), codec
        self.map = pa.memory_map(str(Path(path) / FILE), "r")
        table = pa.ipc.open_stream(self.map).read_all()
        self.labels = _arrow.labels_of(table.column(_arrow.LABEL))
        self.map.seek(0)
        self.whole = self.map.read_buffer()  # the whole file, zero-copy: every table buffer is a slice of it
        chunks = [chunk for chunk in table.column(_arrow.IMAGE).chunks if len(chunk)]
        self.starts, self.sizes = self._locate(chunks)
        self.file_bytes = memoryview(self.whole).cast("B")
        self.image_rows = self._rows_view() if codec is None and len(self.labels) else None

    def _offset_in_file(self, buffer) -> int:
        offset = buffer.address - self.whole.address
        if not 0 <= offset <= self.whole.size - buffer.size:
            raise ValueError(
                f"{FILE}: a record batch is not a slice of the memory map (compressed IPC?); store it again"
            )
        return offset

    def _locate(self, chunks) -> tuple[np.ndarray, np.ndarray]:
        """Per image: where its value starts in the file and how many bytes it has."""
        starts, sizes = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for chunk in chunks:
            first, count = chunk.offset, len(chunk)
            if self.codec is None:
                width = chunk.type.byte_width
                base = self._offset_in_file(chunk.buffers()[1]) + first * width
                starts.append(base + width * np.arange(count, dtype=np.int64))
                sizes.append(np.full(count, width, dtype=np.int64))
            else:
                offsets = np.frombuffer(chunk.buffers()[1], np.int32)[first : first + count + 1].astype(np.int64)
                starts.append(self._offset_in_file(chunk.buffers()[2]) + offsets[:-1])
                sizes.append(np.diff(offsets))
        return np.concatenate(starts), np.concatenate(sizes)

    def _rows_view(self) -> np.ndarray:
        """Every byte offset of the file as the start of an image-sized row (read-only, overlapping), so
        that one fancy index gathers the images at any offsets."""
        width = math.prod(self.image_shape)
        flat = np.frombuffer(self.whole, np.uint8)
        return np.lib.stride_tricks.as_strided(flat, (len(flat) - width + 1, width), (1, 1), writeable=False)

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        images, _ = empty_batch(len(indices), self.image_shape)
        labels = self.labels[indices]  # raises for an index beyond the store
        starts = self.starts[indices]
        if self.image_rows is not None and len(indices):
            images.reshape(len(indices), -1)[:] = self.image_rows[starts]
        else:
            for slot, (start, size) in enumerate(zip(starts.tolist(), self.sizes[indices].tolist(), strict=True)):
                self.codec.decode_into(self.file_bytes[start : start + size], images[slot])
        return images, labels

    def close(self) -> None:
        self.image_rows = self.file_bytes = self.whole = None  # release the map's buffers, then the map
        self.map.close()


def arrow_method(codec: Codec | None, description: str) -> Method:
    """The method for a codec's bytes (codec) or for raw pixels as fixed-size binary (None)."""
    # disk bytes per image beyond its own: label byte, an offset, batch metadata
    return column_method(codec, description, Writer, Reader, 1 + 4 + 2, requires=REQUIRES)


def method(codec: Codec) -> Method:
    return arrow_method(codec, CONTAINER.description.format(codec=codec.name))


CONTAINER = Container("one Arrow IPC stream (pyarrow, as Hugging Face datasets): {codec} bytes in a binary column "
                      "+ uint8 labels, batches of 100, read through a memory map", method)  # fmt: skip
