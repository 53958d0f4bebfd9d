"""The S3 service of a store (methods/base.py ``Method.service``), entered around each writer and each
reader, outside the timers: a local SeaweedFS process whose data directory is the store directory
(``storage.s3.endpoint: local``, the default), or an existing S3 service (a URL, remote.py), of which
nothing is started: entering checks it answers and gives the store its place (its key root) there.

The store directory is the server's: its files are under ``<store>/weed/`` and its log is
``<store>/weed.log``, so deleting the store deletes its objects and no object leaks into a shared bucket.
In an existing service the store's objects are under a key root of its own, which its s3.json records,
and deleting its directory deletes them (remote.py).

Why a registry keyed by the store's path: the method contract hands a writer and a reader only the path,
and the parallel read pattern forks workers inside a reader's service. ``serving(path)`` records the live
server under the path; a writer or reader asks ``endpoint(path)``. A forked worker inherits the record and
uses its parent's server (entering ``serving`` again there is a no-op), where a second server on the same
directory would fight the first for its database lock. The credentials stay in memory (and the server's
environment): nothing here writes them to a file or a log.

A fresh server per opened reader means every read starts with the server's own caches empty (its needle
index is reloaded from the .idx files at start, its metadata cache is cold); the page cache is whatever
the harness's cache state made it (cache.ensure runs while no server is up).

``round_trip_ms`` > 0 (the config's ``storage.s3.round_trip_ms``, Settings.round_trip_ms) puts a
LatencyProxy between clients and the server, started and stopped with it: ``endpoint(path)`` is then the
proxy's URL with the server's credentials, and every request and new connection pays that round trip.
In front of an existing service it forwards to the URL's host and port (http only: config.py refuses
https with a round trip, remote.config_problems says why).
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

DATA_DIR = "weed"
LOG = "weed.log"
BUCKET = "imgbench"
PROXY_LOG = "proxy.log"


@dataclass(frozen=True)
class Served:
    """What serves one store: the server, the endpoint its clients use (direct or through the proxy), and
    where in which bucket the store's objects are."""

    server: object  # LocalS3Server, or None in an existing service
    endpoint: object  # client.Endpoint
    round_trip_ms: float
    bucket: str = BUCKET
    root: str = ""  # the prefix of every key of the store: none in a server of its own
    where: str = "local"  # storage.s3.endpoint, as s3.json records it


_live: dict[Path, Served] = {}  # store path (resolved) -> what serves it


def _key(path: Path) -> Path:
    return Path(path).resolve()


@contextmanager
def serving(path: Path, round_trip_ms: float = 0.0, remote=None) -> Iterator[object]:
    """A LocalS3Server on ``path/weed`` for the block (the one already serving path, if any), or with remote
    (a remote.Remote) the store's place in that existing service; behind a LatencyProxy when round_trip_ms
    > 0. Yields the server (None in an existing service) once the bucket answers (the local server waits
    for it, ``remote.place`` creates it if missing), so a writer opens without a request inside its timer."""
    key = _key(path)
    if key in _live:  # a forked parallel worker, or a nested entry: the running server serves it
        if _live[key].round_trip_ms != round_trip_ms:
            raise RuntimeError(f"{path} is served at {_live[key].round_trip_ms} ms, not {round_trip_ms} ms")
        yield _live[key].server
        return
    from imgbench.objectstore.proxy import LatencyProxy  # boto3 only where a store needs it

    with ExitStack() as stack:
        if remote is None:
            from imgbench.objectstore.server import HOST, LocalS3Server

            server = stack.enter_context(LocalS3Server(key / DATA_DIR, key / LOG, bucket=BUCKET))
            served, upstream = Served(server, server.endpoint, round_trip_ms), (HOST, server.ports["s3.port"])
        else:
            from imgbench.objectstore.remote import TLS_ROUND_TRIP, place

            if round_trip_ms > 0 and remote.endpoint.startswith("https://"):
                raise ValueError(f"{remote.endpoint}: {TLS_ROUND_TRIP}")
            root = place(remote, key)
            served = Served(None, remote.client_endpoint(), round_trip_ms, remote.bucket, root, remote.endpoint)
            upstream = remote.address()
        if round_trip_ms > 0:
            proxy = stack.enter_context(LatencyProxy(upstream, round_trip_ms, key / PROXY_LOG))
            served = replace(served, endpoint=replace(served.endpoint, url=proxy.url))
        _live[key] = served
        try:
            yield served.server
        finally:
            del _live[key]


def server(path: Path):
    """The server serving the store at path (None in an existing service); a clear error when nobody entered
    ``serving(path)``."""
    return served(path).server


def endpoint(path: Path):
    """The endpoint clients of the store at path use: the server's, or the latency proxy's."""
    return served(path).endpoint


def served(path: Path) -> Served:
    try:
        return _live[_key(path)]
    except KeyError:
        raise RuntimeError(
            f"no S3 server serves the store {path}: open its writer or reader inside method.serving(path) "
            "(storing.py and reading.py do)"
        ) from None
