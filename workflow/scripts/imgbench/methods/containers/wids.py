"""wids+CODEC: the tar+CODEC store (tar.py's writer and layout, WebDataset shards), read through ``wids``, the
indexed WebDataset reader, so that the standard library's reader (tar+CODEC: index.npy, then os.pread) and
the format's own library are compared on the same files.

How wids reads (https://github.com/webdataset/webdataset, wids/wids.py and wids/wids_mmtar.py): a dataset
is a list of shards with their sample counts (``ShardListDataset``); image i is found by the cumulative
counts (``get_shard``), its shard is opened once and memory-mapped, and opening walks every tar header to
index the members (``MMIndexedTar``); members are grouped into samples by key, the name up to the first
dot (``IndexedTarSamples``), and a sample is a dict from extension (".png", ".cls") to a file-like object
of the member's bytes. This reader does the same with wids's own MMIndexedTar: the sample counts come from
the store's index.npy (in wids, from the dataset's JSON descriptor), shards are opened on first use and
stay open (wids keeps an LRU of 10), the label is parsed from the ".cls" member as WebDataset users do, and
every sample's key is checked against the index asked for.

Why not ``wids.ShardListDataset`` itself: ``import wids`` runs wids/__init__.py, which imports
``torch.distributed`` (for wids's DistributedChunkedSampler) although PyTorch is not among wids's
dependencies, and PyTorch from PyPI is a CUDA build of several GB. So the reader loads wids's
``wids_mmtar`` module from the installed wids by its file (it needs only the standard library) and does
the few lines of sample grouping that IndexedTarSamples does; the indexing, memory mapping and member
access are wids's code.
"""

import dataclasses
import importlib.util
import re
from functools import cache, partial
from pathlib import Path

import numpy as np

from imgbench.codecs.base import Codec

from .._common import empty_batch
from .._layout import load_layout
from ..base import Method
from . import Container
from . import tar as tar_container

KEY_AND_EXTENSION = re.compile(r"^((?:.*/)?.*?)(\..*)$")  # wids's splitname: the key ends at the basename's first dot
LABEL_EXTENSION = ".cls"


@cache
def indexed_tar_class():
    """wids's MMIndexedTar, from wids/wids_mmtar.py of the installed wids, without running wids/__init__.py."""
    spec = importlib.util.find_spec("wids")  # a top-level package: found, not imported
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("wids is not installed: pip install -r envs/requirements-formats.txt")
    file = Path(next(iter(spec.submodule_search_locations))) / "wids_mmtar.py"
    module_spec = importlib.util.spec_from_file_location("imgbench_wids_mmtar", file)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.MMIndexedTar


def split_name(name: str) -> tuple[str, str]:
    match = KEY_AND_EXTENSION.match(name)
    if match is None:
        raise ValueError(f"tar member {name!r} has no extension: not a WebDataset sample file")
    return match[1], match[2]


def group_by_key(names: list[str]) -> list[list[int]]:
    """Member positions grouped into samples: consecutive members with the same key (wids's group_by_key)."""
    groups, last_key = [], None
    for position, name in enumerate(names):
        key, _ = split_name(name)
        if key != last_key:
            groups.append([])
            last_key = key
        groups[-1].append(position)
    return groups


class Reader:
    def __init__(self, path: Path, codec: Codec):
        self.path, self.codec, self.image_extension = Path(path), codec, codec.extension
        self.image_shape = load_layout(self.path, codec.name)
        shard_of = np.load(self.path / tar_container.INDEX)["shard"]
        self.shard_numbers = sorted({int(p.stem.split("-")[1]) for p in self.path.glob("shard-*.tar")})
        lengths = [int(np.count_nonzero(shard_of == shard)) for shard in self.shard_numbers]
        self.cumulative = np.cumsum(lengths)  # ShardListDataset's cum_lengths
        self.tars: dict[int, object] = {}  # shard position -> MMIndexedTar, opened on first use
        self.samples: dict[int, list[list[int]]] = {}
        self.indexed_tar = indexed_tar_class()

    def _shard(self, position: int):
        if position not in self.tars:
            file = self.path / tar_container.shard_name(self.shard_numbers[position])
            tar = self.indexed_tar(str(file))  # maps the shard and indexes every member
            self.tars[position], self.samples[position] = tar, group_by_key(list(tar.names()))
            expected = int(self.cumulative[position] - (self.cumulative[position - 1] if position else 0))
            if len(self.samples[position]) != expected:
                raise ValueError(f"{file} holds {len(self.samples[position])} samples, index.npy says {expected}")
        return self.tars[position], self.samples[position]

    def _sample(self, index: int) -> dict:
        """The sample of image index, as wids gives it: extension -> file-like object, and __key__."""
        position = int(np.searchsorted(self.cumulative, index, side="right"))
        if not 0 <= index < (self.cumulative[-1] if len(self.cumulative) else 0):
            raise IndexError(f"image {index} is beyond the {self.path} store")
        tar, samples = self._shard(position)
        inner = index - (int(self.cumulative[position - 1]) if position else 0)
        sample = {}
        for member in samples[inner]:
            name, stream = tar.get_file(member)
            key, extension = split_name(name)
            sample[extension] = stream
        sample["__key__"] = key
        return sample

    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images, labels = empty_batch(len(indices), self.image_shape)
        for slot, index in enumerate(np.asarray(indices, dtype=np.int64).tolist()):
            sample = self._sample(index)
            if int(sample["__key__"]) != index:
                raise ValueError(f"{self.path}: sample {index} has key {sample['__key__']}: shards out of index order")
            with sample[self.image_extension].getbuffer() as data:
                self.codec.decode_into(data, images[slot])
            labels[slot] = int(sample[LABEL_EXTENSION].getvalue())
        return images, labels

    def close(self) -> None:
        for tar in self.tars.values():
            tar.close()
        self.tars, self.samples = {}, {}


def method(codec: Codec) -> Method:
    """tar+CODEC's method (writer, layout, estimate, options), read through wids."""
    return dataclasses.replace(
        tar_container.method(codec),
        description=CONTAINER.description.format(codec=codec.name),
        reader=partial(Reader, codec=codec),
        requires=("wids",),
    )


CONTAINER = Container("tar+{codec}'s shards (WebDataset layout, tar.py's writer) read by wids's indexed, "
                      "memory-mapped tar reader", method)  # fmt: skip
