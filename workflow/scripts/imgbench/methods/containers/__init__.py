"""Containers of encoded images: each module here is one container, named by its file, that holds any
codec's bytes (imgbench.codecs). The method ``CONTAINER+CODEC`` (for example ``files+qoi``, ``lmdb+png1``)
is the container's ``CONTAINER.method(codec)``; methods/__init__.py registers every pair.

A container module defines ``CONTAINER = Container(...)``: ``method(codec) -> Method`` builds the method
(methods/base.py's contract) for one codec.
"""

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from imgbench.codecs.base import Codec
from imgbench.methods.base import Method


@dataclass(frozen=True)
class Container:
    description: str  # with "{codec}" where the codec's name goes
    method: Callable[[Codec], Method]


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name: str) -> Container:
    """The container module name's CONTAINER (name must be one of available())."""
    return importlib.import_module(f"{__name__}.{name}").CONTAINER
