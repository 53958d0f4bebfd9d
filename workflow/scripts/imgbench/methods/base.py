"""The contract every storage method keeps: what a method module declares, and what its writer and reader do.

A method is one module in this package (its file name is its name) that imports ``from .base import Method,
Option`` and defines ``METHOD = Method(...)`` (helpers that several methods share, such as fsync_tree,
empty_batch and gather_runs, are in _common.py):

- ``description``: one line for the README and the report.
- ``writer(path, n_images, image_shape, durable, **options) -> Writer``: ``path`` is an empty directory the
  method owns (everything it writes goes below it, so disk usage and cache eviction walk that directory);
  ``image_shape`` is (height, width, channels) of every image; ``options`` are the method's declared
  ``options``, as given in the config's ``method_options`` (defaults filled in).
  ``Writer.write(start, images, labels)`` receives images ``start .. start + len(images) - 1`` as uint8
  arrays (k, *image_shape) and labels as uint8 (k,), in increasing order of start; ``Writer.close()`` leaves
  every file closed and, when ``durable``, every byte on stable storage (fsync of files and directories);
  it may come after no write at all (an empty store).
  A writer that must start again larger (an LMDB map) raises ``RetryStore(reason, options)`` from write or
  close, after releasing what it holds; the store is redone from empty with those options.
- ``reader(path) -> Reader``: ``Reader.read(indices)`` returns (images, labels) for any indices (any order,
  repeats allowed) as uint8 arrays (len(indices), *image_shape) and (len(indices),). The arrays are the
  caller's: a later read must not reuse them. The reader learns the shape from the store itself.
  ``Reader.close()`` closes every file.
- ``bytes_per_image(image_bytes) -> int``: about how many bytes of disk one image takes in this method's
  store, given the raw bytes of one image (the free-space check before a run uses it).
- ``encode`` (optional): the method's encoding alone, in memory: ``encode(images, labels)`` returns one
  bytes-like record per image. The harness times it apart (storing.measure_encoding), so a store splits
  into encoding and the rest. It takes no options: it is the encoding with the default options. Declare it
  whenever a store encodes or packs images (a codec, pickling, records); only methods that write the pixel
  array as it is have none. ``decode`` (required with encode) is its inverse for reads:
  ``decode(records, image_shape)`` returns the images (n, *image_shape), timed apart as decode_only.
- ``codec`` (optional): the image codec (imgbench.codecs) the method stores with. With a lossy codec a
  read cannot return the source exactly: it must return what decoding the codec's bytes gives
  (``expected``), and the read-back check also holds those to the codec's PSNR floor.
- ``store_memory_factor``: fresh memory a store touches, in units of the raw pixel bytes it stores (its
  page cache plus anything the method holds until close); memory priming uses it (see memory.py).
- ``options``: the keyword options of ``writer``, each an ``Option`` with its default and what is allowed;
  the config is checked against them before any job runs (``check_options``, optional, checks rules that
  span several options, e.g. a gzip level only with gzip).
- ``requires``: the pip distributions the method needs beyond the pipeline's own (``("pyarrow",)``). The
  config refuses a method whose distributions are not installed, naming what to install
  (``imgbench.methods.name_problem``); so that listing and loading methods stays cheap everywhere, a method
  imports its libraries inside its writer and reader, never at module level.
- ``service`` (optional): a process the store needs while it is written or read, such as an object-store
  server: ``service(path, round_trip_ms, remote)`` is a context manager the harness enters around each
  writer (creation to close) and each reader (open to close), outside the timers, with the store directory,
  the network round trip its clients must see and the existing S3 service to use instead of starting one,
  or None (``Method.serving``, Settings.round_trip_ms and s3_remote). A reader or writer finds what the
  service started from ``path`` (imgbench.objectstore.service); a method without one needs nothing around
  its writer and reader.
- ``concurrency`` (optional): the operations, of ``("store", "read")``, whose requests in flight the method
  can vary, through its ``concurrency`` option (declare it in ``options``). For "read", the reader takes
  ``reader(path, concurrency=c)`` (the store's own value when omitted); for "store", the writer takes the
  option as any other. The ``concurrency`` read pattern (patterns.concurrency) measures each level; a
  store job measures its stores at each level too, as rows of pattern ``concurrency``.

The registry (``imgbench.methods.load``) checks each module against this contract when it loads it, and
tests/test_methods.py runs every method through the same round trip, single-image, closed-files,
separate-stores and disk-usage tests.
"""

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from imgbench.codecs.base import Codec


class Writer(Protocol):
    def write(self, start: int, images: np.ndarray, labels: np.ndarray) -> None: ...

    def close(self) -> None: ...


class Reader(Protocol):
    def read(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Option:
    """One keyword option of a method's writer: its default, what it means and which values are allowed."""

    default: int | float | str | bool | None
    description: str
    kind: type | None = None  # the value's type; the default's type when not given (needed for a None default)
    choices: tuple = ()
    minimum: float | None = None

    @property
    def value_type(self) -> type:
        return self.kind or type(self.default)

    def problem(self, value: Any) -> str | None:
        """Why value is not allowed, or None."""
        if value is None and self.default is None:
            return None
        wanted = self.value_type
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            return f"{value!r} is not of type {wanted.__name__}"
        if self.choices and value not in self.choices:
            return f"{value!r} is not one of {', '.join(map(repr, self.choices))}"
        if self.minimum is not None and value < self.minimum:
            return f"{value!r} is less than the minimum of {self.minimum}"
        return None


@dataclass(frozen=True)
class Method:
    """What a storage method provides (see the module docstring for each field's contract)."""

    description: str
    writer: Callable[..., Writer]
    reader: Callable[[Path], Reader]
    bytes_per_image: Callable[[int], int]
    encode: Callable[[np.ndarray, np.ndarray], Sequence] | None = None
    decode: Callable[[Sequence, tuple[int, ...]], np.ndarray] | None = None
    codec: Codec | None = None
    store_memory_factor: float = 1.5  # raw pixels plus the largest container overhead seen (1.34)
    options: Mapping[str, Option] = field(default_factory=dict)
    check_options: Callable[[Mapping[str, Any]], list[str]] | None = None  # rules that span several options
    requires: tuple[str, ...] = ()  # pip distributions beyond envs/requirements.txt
    service: Callable[[Path], AbstractContextManager] | None = None  # e.g. an S3 server, outside the timers
    concurrency: tuple[str, ...] = ()  # "store", "read": operations whose requests in flight can vary

    @property
    def lossy(self) -> bool:
        return self.codec is not None and not self.codec.lossless

    def expected(self, images: np.ndarray) -> np.ndarray:
        """What reading these source images back must give: the images, or for a lossy codec their decode."""
        if not self.lossy:
            return images
        out = np.empty_like(images)
        for slot, image in enumerate(images):
            self.codec.decode_into(self.codec.encode(image), out[slot])
        return out

    def serving(self, path: Path, round_trip_ms: float = 0.0, remote=None) -> AbstractContextManager:
        """The method's service for the store at path, its clients round_trip_ms away, in the existing S3
        service remote (objectstore.remote.Remote) if given, or nothing (enter it around a writer or reader)."""
        return self.service(path, round_trip_ms, remote) if self.service is not None else nullcontext()

    def varies_concurrency(self, operation: str) -> bool:
        """Whether this method's requests in flight can vary for operation ("store" or "read")."""
        return operation in self.concurrency

    def option_problems(self, given: Mapping[str, Any]) -> list[str]:
        """What is wrong with these options (unknown names, disallowed values), one sentence each."""
        problems = []
        for name, value in given.items():
            if name not in self.options:
                allowed = ", ".join(self.options) or "none"
                problems.append(f"unknown option {name!r}; this method accepts: {allowed}")
            elif (problem := self.options[name].problem(value)) is not None:
                problems.append(f"option {name!r}: {problem} ({self.options[name].description})")
        if not problems and self.check_options is not None:
            problems += self.check_options(self.with_defaults(given))
        return problems

    def with_defaults(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The writer's options: the given ones, the declared defaults for the rest."""
        return {name: given.get(name, option.default) for name, option in self.options.items()}


def contract_problems(name: str, method: Any) -> list[str]:
    """Ways in which a module's METHOD breaks the contract (empty if it keeps it)."""
    if not isinstance(method, Method):
        return [f"method module {name!r} must define METHOD = Method(...), found {type(method).__name__}"]
    problems = []
    if not method.description or "\n" in method.description:
        problems.append("description must be one non-empty line")
    for field_name in ("writer", "reader", "bytes_per_image"):
        if not callable(getattr(method, field_name)):
            problems.append(f"{field_name} must be callable")
    for field_name in ("encode", "decode", "check_options", "service"):
        if getattr(method, field_name) is not None and not callable(getattr(method, field_name)):
            problems.append(f"{field_name} must be callable or None")
    if not set(method.concurrency) <= {"store", "read"} or (method.concurrency and "concurrency" not in method.options):
        problems.append('concurrency lists operations of ("store", "read") and needs a "concurrency" option')
    if (method.encode is None) != (method.decode is None):
        problems.append("encode and decode come together: a method that encodes must say how to decode")
    if not isinstance(method.requires, tuple) or not all(isinstance(r, str) and r for r in method.requires):
        problems.append("requires must be a tuple of pip distribution names")
    if not method.store_memory_factor > 0:
        problems.append("store_memory_factor must be positive")
    for option_name, option in method.options.items():
        if not isinstance(option, Option):
            problems.append(f"option {option_name!r} must be an Option")
        elif option.default is not None and option.problem(option.default) is not None:
            problems.append(f"option {option_name!r}: its default {option.problem(option.default)}")
    return [f"method {name!r}: {problem}" for problem in problems]
