"""Registry of storage methods: every module in this package is one method, named by its file.

A method module defines:

- ``DESCRIPTION``: one line for the README and the report;
- ``Writer(path, n_images, durable, **options)`` with ``write(start, images, labels)`` and ``close()``;
- ``Reader(path)`` with ``read(indices) -> (images, labels)`` and ``close()``; the arrays returned are the
  caller's (a later read must not reuse them: small reads are verified in batches).

``path`` is an empty directory the method owns; everything it writes goes below it, so disk usage and
cache eviction simply walk that directory. ``images`` are uint8 arrays of shape (n, 32, 32, 3) and
``labels`` uint8 arrays of shape (n,). ``close()`` must leave every file closed and, when ``durable``,
every byte on stable storage (fsync of files and their directory).
"""

import importlib
import pkgutil
from types import ModuleType


class UnknownMethodError(ValueError):
    pass


def available() -> list[str]:
    """Names of all methods, from the modules in this package."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load(name: str) -> ModuleType:
    """The method module called name, or an error listing the known ones."""
    known = available()
    if name not in known:
        raise UnknownMethodError(f"unknown storage method {name!r}; known methods: {', '.join(known)}")
    return importlib.import_module(f"{__name__}.{name}")
