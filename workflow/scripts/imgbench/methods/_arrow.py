"""Image and label columns as Arrow arrays, shared by the Arrow-based methods (parquet, arrow, lance).

An image is one value of the ``image`` column: its raw pixels as fixed-size binary (H*W*C bytes, no offsets)
for the plain methods, or a codec's bytes as variable-size binary for CONTAINER+CODEC; ``label`` is uint8.
The methods import this module inside their writers and readers, so that the registry never imports pyarrow.
"""

import math

import numpy as np
import pyarrow as pa

from imgbench.codecs.base import Codec

IMAGE, LABEL = "image", "label"


def schema(image_shape: tuple[int, ...], codec: Codec | None) -> pa.Schema:
    image_type = pa.binary(math.prod(image_shape)) if codec is None else pa.binary()
    return pa.schema([pa.field(IMAGE, image_type, nullable=False), pa.field(LABEL, pa.uint8(), nullable=False)])


def image_array(images: np.ndarray, codec: Codec | None) -> pa.Array:
    """One Arrow value per image; the array owns its bytes (a writer may keep it after write returns)."""
    if codec is None:
        image_type = pa.binary(math.prod(images.shape[1:]))
        return pa.FixedSizeBinaryArray.from_buffers(image_type, len(images), [None, pa.py_buffer(images.tobytes())])
    return pa.array([codec.encode(image) for image in images], type=pa.binary())


def record_batch(images: np.ndarray, labels: np.ndarray, codec: Codec | None) -> pa.RecordBatch:
    columns = [image_array(images, codec), pa.array(np.asarray(labels, dtype=np.uint8), type=pa.uint8())]
    return pa.record_batch(columns, schema=schema(images.shape[1:], codec))


class ImageColumn:
    """An image column (a ChunkedArray) read by row numbers into a preallocated batch.

    The chunks' buffers are used in place: numpy views of fixed-size values, or offsets and a memoryview of
    the data for encoded values, so that a read copies each image once (or decodes it from where it lies).
    """

    def __init__(self, column: pa.ChunkedArray, codec: Codec | None):
        self.codec = codec
        chunks = [chunk for chunk in column.chunks if len(chunk)]
        self.starts = np.cumsum([0, *map(len, chunks)])
        self.views = [self._view(chunk) for chunk in chunks]

    def _view(self, chunk: pa.Array):
        first, last = chunk.offset, chunk.offset + len(chunk)
        if self.codec is None:
            width = chunk.type.byte_width
            return np.frombuffer(chunk.buffers()[1], np.uint8)[first * width : last * width].reshape(-1, width)
        offset_type = np.int64 if pa.types.is_large_binary(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], offset_type)[first : last + 1]
        return offsets, memoryview(chunk.buffers()[2]).cast("B")  # pyarrow exports signed bytes

    def __len__(self) -> int:
        return int(self.starts[-1])

    def fill(self, rows: np.ndarray, slots: np.ndarray, images: np.ndarray) -> None:
        """images[slots[i]] = the image of row rows[i], for every i."""
        rows, slots = np.asarray(rows, dtype=np.int64), np.asarray(slots, dtype=np.int64)
        if len(rows) == 0:
            return
        if rows.min() < 0 or rows.max() >= len(self):
            raise IndexError(f"rows {rows.min()}..{rows.max()} asked of a column of {len(self)} images")
        chunk_of = np.searchsorted(self.starts, rows, side="right") - 1
        for chunk in np.unique(chunk_of).tolist():
            here = chunk_of == chunk
            self._fill_chunk(self.views[chunk], rows[here] - self.starts[chunk], slots[here], images)

    def _fill_chunk(self, view, rows: np.ndarray, slots: np.ndarray, images: np.ndarray) -> None:
        if self.codec is None:
            images.reshape(len(images), -1)[slots] = view[rows]
            return
        offsets, data = view
        for row, slot in zip(rows.tolist(), slots.tolist(), strict=True):
            self.codec.decode_into(data[offsets[row] : offsets[row + 1]], images[slot])


def labels_of(column: pa.ChunkedArray) -> np.ndarray:
    return column.to_numpy().astype(np.uint8, copy=False)
