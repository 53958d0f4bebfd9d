"""Registry of storage methods.

- Every module in this package not starting with "_" is one method, named by its file, and defines
  ``METHOD = Method(...)``; methods/base.py is the contract it keeps.
- ``CONTAINER+CODEC`` is a method for every container in methods/containers/ and every codec in
  imgbench/codecs/ (``files+qoi``, ``lmdb+png1``, ``hdf5+jpeg90``, ``tar+webp``, ...).
- ALIASES keeps the names of methods that became container+codec pairs working (for now).
- A method whose extra distributions (Method.requires) are not installed is refused by name_problem (the
  config's check), with the command that installs them; load() still returns it, so that listing every
  method (README, config docs) works where some library is missing.
"""

import importlib
import pkgutil
from functools import cache

from imgbench import codecs
from imgbench.methods import containers
from imgbench.methods._requires import requirement_problem
from imgbench.methods.base import Method, contract_problems

NOT_METHODS = {"base"}  # modules of the package that are not methods
SEPARATOR = "+"
# Earlier names of methods that are now a container with the png codec; they store the same layout.
ALIASES = {"png_lmdb": "lmdb+png", "png_hdf5": "hdf5+png", "tar_shards": "tar+png"}


class UnknownMethodError(ValueError):
    pass


class BrokenMethodError(TypeError):
    """A method module that does not keep the contract of methods/base.py."""


def plain() -> list[str]:
    """The methods that are modules of this package."""
    modules = pkgutil.iter_modules(__path__)
    return sorted(m.name for m in modules if not m.ispkg and not m.name.startswith("_") and m.name not in NOT_METHODS)


def paired() -> list[str]:
    """Every container+codec pair."""
    return [f"{container}{SEPARATOR}{codec}" for container in containers.available() for codec in codecs.available()]


def available() -> list[str]:
    """Every method name the config accepts, aliases included."""
    return sorted([*plain(), *paired(), *ALIASES])


def name_problem(name: str) -> str | None:
    """Why name is not a method that can run here, in one sentence naming what is known or what to install;
    None for a method whose distributions are installed."""
    problem = unknown_name_problem(name)
    if problem is None:
        problem = requirement_problem(name, _build(ALIASES.get(name, name)).requires)
    return problem


def unknown_name_problem(name: str) -> str | None:
    """Why name is not a method, in one sentence naming what is known; None for a method."""
    if name in available():
        return None
    if SEPARATOR in name:
        container, codec = name.split(SEPARATOR, 1)
        if container not in containers.available():
            return f"unknown container {container!r} in {name!r}; known containers: {', '.join(containers.available())}"
        return f"unknown codec {codec!r} in {name!r}; known codecs: {', '.join(codecs.available())}"
    return (
        f"unknown storage method {name!r}; known methods: {', '.join(plain())}, or CONTAINER+CODEC with a container "
        f"of {', '.join(containers.available())} and a codec of {', '.join(codecs.available())}"
    )


def load(name: str) -> Method:
    """The method called name, checked against the contract; an unknown name gets the list of known ones."""
    problem = unknown_name_problem(name)
    if problem:
        raise UnknownMethodError(problem)
    return _build(ALIASES.get(name, name))


@cache  # a method is a constant: built once per process, whoever asks
def _build(name: str) -> Method:
    if SEPARATOR in name:
        container, codec = name.split(SEPARATOR, 1)
        method = containers.load(container).method(codecs.load(codec))
    else:
        method = getattr(importlib.import_module(f"{__name__}.{name}"), "METHOD", None)
    problems = contract_problems(name, method)
    if problems:
        raise BrokenMethodError("; ".join(problems))
    return method
