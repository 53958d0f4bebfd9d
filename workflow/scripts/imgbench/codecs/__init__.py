"""Registry of image codecs: every module in this package is one codec, named by its file.

The contract a codec module fulfils (``CODEC = Codec(...)``) is written down in ``base.py``; modules
whose names start with an underscore hold shared helpers and are not codecs.
"""

import importlib
import pkgutil

from imgbench.codecs.base import Codec, UnknownCodecError

NOT_CODECS = {"base"}


def available() -> list[str]:
    """Names of all codecs, from the modules in this package."""
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in NOT_CODECS
    )


def load(name: str) -> Codec:
    """The codec called name, or an error listing the known ones."""
    known = available()
    if name not in known:
        raise UnknownCodecError(f"unknown codec {name!r}; known codecs: {', '.join(known)}")
    return importlib.import_module(f"{__name__}.{name}").CODEC


def library_versions(names: list[str] | None = None) -> dict[str, dict[str, str]]:
    """For each codec (all by default): the pip distribution doing its work and that distribution's version,
    as the machine record (environment.json) shows them."""
    codecs = [load(name) for name in (available() if names is None else names)]
    return {codec.name: {"library": codec.library, "version": codec.library_version()} for codec in codecs}
