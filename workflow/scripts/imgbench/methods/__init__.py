"""Registry of storage methods: every module in this package not starting with "_" is one method, named by
its file, and defines ``METHOD = Method(...)``; methods/base.py is the contract it keeps."""

import importlib
import pkgutil

from imgbench.methods.base import Method, contract_problems

NOT_METHODS = {"base"}  # modules of the package that are not methods


class UnknownMethodError(ValueError):
    pass


class BrokenMethodError(TypeError):
    """A method module that does not keep the contract of methods/base.py."""


def available() -> list[str]:
    """Names of all methods, from the modules in this package."""
    names = (m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return sorted(name for name in names if name not in NOT_METHODS)


def load(name: str) -> Method:
    """The method called name, checked against the contract; an unknown name gets the list of known ones."""
    known = available()
    if name not in known:
        raise UnknownMethodError(f"unknown storage method {name!r}; known methods: {', '.join(known)}")
    method = getattr(importlib.import_module(f"{__name__}.{name}"), "METHOD", None)
    problems = contract_problems(name, method)
    if problems:
        raise BrokenMethodError("; ".join(problems))
    return method
