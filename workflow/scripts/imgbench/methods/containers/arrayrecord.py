"""arrayrecord+CODEC (and plain arrayrecord, = arrayrecord+raw): one ArrayRecord record per image (array-record,
the format Google's Grain reads), record = label byte + the codec's bytes, as in lmdb+CODEC.

Layout: ``images.array_record``, records in index order; ``layout.json`` gives the image shape and codec.

Settings for random access of small records, and why (ArrayRecord's performance guide,
https://github.com/google/array_record/blob/main/docs/performance.md, and the reader's own documentation):
- Writer ``group_size:1`` by default (the option group_size): a group is compressed and read as a unit;
  "Use group_size:1 for applications requiring ultra-fast random access", which Grain requires ("Grain
  requires group size 1 for good performance", array_record_data_source.py).
- Writer ``uncompressed``: the guide's fastest setting ("Maximum speed"); pixel noise and a codec's bytes
  gain nothing from a second compressor.
- Reader ``readahead_buffer_size:0,max_parallelism:0``: "To optimize the random access performance, set the
  options to readahead_buffer_size:0,max_parallelism:0" (ArrayRecordReader's docstring; the guide's
  "Random Access" reader options). A contiguous run is one range read (``read(start, stop)``), any other
  indices one ``read(list)``.
"""

from functools import partial
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec
from imgbench.source import contiguous_range

from .._common import check_in_order, empty_batch, fsync_tree
from .._layout import load_layout, save_layout
from .._records import encoded_bytes
from ..base import Method, Option
from . import Container
from .lmdb import record_encoder, values_decoder

FILE = "images.array_record"
READER_OPTIONS = "readahead_buffer_size:0,max_parallelism:0"
RECORD_OVERHEAD_BYTES = 48  # a chunk header per record at group_size 1, and its index entry (measured: 43)
REQUIRES = ("array-record",)


class Writer:
    def __init__(self, path: Path, n_images: int, image_shape: tuple[int, ...], durable: bool, *,
                 group_size: int, codec: Codec):  # fmt: skip
        from array_record.python.array_record_module import ArrayRecordWriter

        self.path, self.durable, self.image_shape, self.codec = Path(path), durable, image_shape, codec
        self.encode, self.next_start = record_encoder(codec), 0
        self.writer = ArrayRecordWriter(str(self.path / FILE), f"group_size:{group_size},uncompressed")

    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None:
        check_in_order(self.next_start, start, "arrayrecord")
        self.next_start += len(images)
        for record in self.encode(images, labels):
            self.writer.write(record)

    def close(self) -> None:
        self.writer.close()
        save_layout(self.path, self.image_shape, self.codec.name)
        if self.durable:
            fsync_tree(self.path)


class Reader:
    def __init__(self, path: Path, codec: Codec):
        from array_record.python.array_record_module import ArrayRecordReader

        self.image_shape, self.decode_values = load_layout(path, codec.name), values_decoder(codec)
        file = Path(path) / FILE
        if not file.exists():
            raise FileNotFoundError(f"{file} is missing")
        self.reader = ArrayRecordReader(str(file), READER_OPTIONS)
        self.n_records = self.reader.num_records()

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        indices = np.asarray(indices, dtype=np.int64)
        images, labels = empty_batch(len(indices), self.image_shape)
        if len(indices) and (indices.min() < 0 or indices.max() >= self.n_records):
            raise IndexError(f"images {indices.min()}..{indices.max()} asked of a store of {self.n_records}")
        span = contiguous_range(indices)
        records = self.reader.read(*span) if span is not None else self.reader.read(indices.tolist())
        self.decode_values(records, images, labels)
        return images, labels

    def close(self) -> None:
        self.reader.close()


def method(codec: Codec) -> Method:
    encode = record_encoder(codec)
    decode_values = values_decoder(codec)

    def decode(records, image_shape: tuple[int, ...]) -> np.ndarray:
        images, labels = empty_batch(len(records), image_shape)
        decode_values(records, images, labels)
        return images

    return Method(
        description=CONTAINER.description.format(codec=codec.name),
        writer=partial(Writer, codec=codec),
        reader=partial(Reader, codec=codec),
        bytes_per_image=lambda image_bytes: 1 + encoded_bytes(codec, image_bytes) + RECORD_OVERHEAD_BYTES,
        encode=encode,
        decode=decode,
        codec=codec,
        options={"group_size": Option(1, "records per ArrayRecord group, the unit a read decodes", minimum=1)},
        requires=REQUIRES,
    )


CONTAINER = Container("one ArrayRecord file (array-record, uncompressed): a record per image, label byte + {codec} "
                      "bytes, groups of group_size", method)  # fmt: skip
