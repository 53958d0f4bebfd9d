"""The local S3 server as a store's service (methods/base.py ``Method.service``): a SeaweedFS process whose
data directory is the store directory, started around each writer and each reader, outside the timers.

The store directory is the server's: its files are under ``<store>/weed/`` and its log is
``<store>/weed.log``, so deleting the store deletes its objects and no object leaks into a shared bucket.

Why a registry keyed by the store's path: the method contract hands a writer and a reader only the path,
and the parallel read pattern forks workers inside a reader's service. ``serving(path)`` records the live
server under the path; a writer or reader asks ``endpoint(path)``. A forked worker inherits the record and
uses its parent's server (entering ``serving`` again there is a no-op), where a second server on the same
directory would fight the first for its database lock. The credentials stay in memory (and the server's
environment): nothing here writes them to a file or a log.

A fresh server per opened reader means every read starts with the server's own caches empty (its needle
index is reloaded from the .idx files at start, its metadata cache is cold); the page cache is whatever
the harness's cache state made it (cache.ensure runs while no server is up).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATA_DIR = "weed"
LOG = "weed.log"
BUCKET = "imgbench"

_live: dict[Path, object] = {}  # store path (resolved) -> its running LocalS3Server


def _key(path: Path) -> Path:
    return Path(path).resolve()


@contextmanager
def serving(path: Path) -> Iterator[object]:
    """A LocalS3Server on ``path/weed`` for the block (the one already serving path, if any)."""
    key = _key(path)
    if key in _live:  # a forked parallel worker, or a nested entry: the running server serves it
        yield _live[key]
        return
    from imgbench.objectstore.server import LocalS3Server  # boto3 only where a store needs it

    with LocalS3Server(key / DATA_DIR, key / LOG, bucket=BUCKET) as server:
        _live[key] = server
        try:
            yield server
        finally:
            del _live[key]


def server(path: Path):
    """The server serving the store at path; a clear error when nobody entered ``serving(path)``."""
    try:
        return _live[_key(path)]
    except KeyError:
        raise RuntimeError(
            f"no S3 server serves the store {path}: open its writer or reader inside method.serving(path) "
            "(storing.py and reading.py do)"
        ) from None
