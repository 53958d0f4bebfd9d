"""Stores in an existing S3 service (``storage.s3.endpoint: URL``): nothing is started; this module checks
the service before any timed work, says where each store's objects go, and deletes them with the store.

Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, the
shared files, an instance role); nothing here reads, writes or prints them. The config (and so
environment.json) and each store's s3.json hold the URL, region, bucket and key prefix only, and a URL
with a user or password in it is refused.

A store's objects go under its root, ``<storage.s3.prefix>/<parent>-<digest>/<store>/``: the names of the
store's directory and of its parent, and a digest of the parent's absolute path. Stores in two
directories, two results directories or two checkouts never share a key, and a key still says whose it is
(``imgbench/s3+png-1f2e3d4c5b6a/.1000.run-4242.repeat-0/images/00000000.png``). The root is written into
the store's s3.json before its first object (``place``), so every object belongs to a directory that
says where it is:

- when the harness deletes a store directory (fsutil.remove_trees: older repeats, a failed store, the store
  a new one replaces, a comparison's stores, what a killed job left), the objects its s3.json names go
  first (``delete_stores``);
- Snakemake deletes a store directory itself before it reruns the job (a directory() output), so a store
  job's first repeat (``.N.run-P.repeat-0``, repeats.py) deletes what other runs of store N left beside it
  (``place``); the timing lock keeps two runs of one store from overlapping.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from imgbench.errors import BenchmarkError
from imgbench.fsutil import write_text_atomic
from imgbench.objectstore import MANIFEST
from imgbench.repeats import REPEAT_DIR

LOCAL = "local"  # storage.s3.endpoint for a SeaweedFS of the pipeline's own per store
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")  # S3's rule (weed mini skips a bad name)
PREFIX = re.compile(r"[^/]+(/[^/]+)*")  # names between slashes, none empty
CHECK_TIMEOUT_SECONDS = 5  # to connect, then to answer, when a job starts: a dead endpoint fails fast
DIGEST_CHARS = 12
CREDENTIALS = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
REFUSED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
TLS_ROUND_TRIP = (
    "a round trip needs an http:// endpoint: the proxy that adds it forwards plain TCP from 127.0.0.1, where "
    "TLS would check the service's certificate against 127.0.0.1 (a remote service has a round trip of its own: "
    "set storage.s3.round_trip_ms: 0)"
)
WRONG_REGION = {"301", "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}


@dataclass(frozen=True)
class Remote:
    """storage.s3 for an existing service: its URL, the bucket, the key prefix of every store, and the region
    (None: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1)."""

    endpoint: str
    bucket: str
    prefix: str
    region: str | None = None

    @classmethod
    def from_config(cls, s3: dict) -> "Remote | None":
        """The service storage.s3 names, or None for endpoint: local."""
        if s3["endpoint"] == LOCAL:
            return None
        return cls(s3["endpoint"], s3["bucket"], s3["prefix"], s3.get("region"))

    def client_endpoint(self):
        """The client.Endpoint its clients sign for (credentials: boto3's chain)."""
        from imgbench.objectstore.client import remote_endpoint

        return remote_endpoint(self.endpoint, self.region)

    def address(self) -> tuple[str, int]:
        """The host and port the URL names: the latency proxy's upstream."""
        parts = urlsplit(self.endpoint)
        return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def bucket_problem(name: str) -> str | None:
    if BUCKET_NAME.fullmatch(name):
        return None
    return f"{name!r} is not a valid S3 bucket name (3-63 of a-z, 0-9, '.' and '-', a letter or digit at each end)"


def endpoint_problem(url: str) -> str | None:
    if "@" in url:  # said without the URL: what stands before the @ may be a password
        return f"the URL holds a user or password, which environment.json would record: set {CREDENTIALS} instead"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is neither 'local' nor the http:// or https:// URL of an S3 service"
    try:
        port = parts.port  # None when the scheme's default; raises unless a number up to 65535
    except ValueError:
        port = 0
    if port == 0:
        return f"{url!r} has no valid port"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{url!r} must be the service's address alone, scheme://host[:port] (the bucket is storage.s3.bucket)"
    return None


def config_problems(s3: dict) -> list[str]:
    """What is wrong with storage.s3 once the schema has passed it, one line per key."""
    found = {"bucket": bucket_problem(s3["bucket"])}
    if not PREFIX.fullmatch(s3["prefix"]):
        found["prefix"] = f"{s3['prefix']!r} must be names separated by '/', with no '/' at either end (e.g. imgbench)"
    if s3["endpoint"] != LOCAL:
        found["endpoint"] = endpoint_problem(s3["endpoint"])
        if s3["endpoint"].startswith("https://") and s3["round_trip_ms"] > 0:
            found["round_trip_ms"] = TLS_ROUND_TRIP
    return [f"config key 'storage.s3.{key}': {problem}" for key, problem in found.items() if problem]


def check(remote: Remote) -> None:
    """Raise one BenchmarkError unless the bucket answers, created if missing, within seconds: a wrong URL,
    a refused connection or bad credentials stop a job before any timed work. The message names the
    endpoint and the bucket, never a secret."""
    from botocore.exceptions import BotoCoreError, ClientError

    from imgbench.objectstore.bucket import ensure_bucket
    from imgbench.objectstore.client import make_client

    timeout = CHECK_TIMEOUT_SECONDS
    client = make_client(remote.client_endpoint(), 1, connect_timeout_seconds=timeout, read_timeout_seconds=timeout)
    try:
        ensure_bucket(client, remote.bucket)
        return
    except (BotoCoreError, ClientError) as error:
        reason = _reason(error)
    finally:
        client.close()
    raise BenchmarkError(
        f"the S3 service at {remote.endpoint} (storage.s3.endpoint) cannot hold the stores in bucket "
        f"{remote.bucket!r}: {reason}"
    )


def _reason(error) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(error, NoCredentialsError):
        return f"no credentials were found: set {CREDENTIALS}"
    if not isinstance(error, ClientError):
        return str(error)  # connection refused, unknown host, timeout, TLS: botocore's message names the URL
    code = str(error.response.get("Error", {}).get("Code") or error.response["ResponseMetadata"]["HTTPStatusCode"])
    if code in REFUSED:
        return f"it refused the credentials ({code}): check {CREDENTIALS}, and that they may use this bucket"
    if code in WRONG_REGION:
        return f"the bucket is in another region than the client's ({code}): set storage.s3.region"
    return f"{code}: {error}"


def store_root(prefix: str, path: Path) -> str:
    """Where the objects of the store at path go (the module docstring): one root per directory."""
    return _parent_root(prefix, path) + Path(path).resolve().name + "/"


def _parent_root(prefix: str, path: Path) -> str:
    parent = Path(path).resolve().parent
    return f"{prefix}/{parent.name}-{hashlib.sha256(str(parent).encode()).hexdigest()[:DIGEST_CHARS]}/"


def place(remote: Remote, path: Path) -> str:
    """The root of the store at path, once the service answers (``check``): the one its s3.json records (a
    store to read), or a new one written into s3.json before any object, with what an earlier attempt left
    under it and other runs of the same store left beside it deleted."""
    check(remote)
    manifest = Path(path) / MANIFEST
    if manifest.exists():
        return json.loads(manifest.read_text()).get("root", "")  # open_store checks where the store is
    root = store_root(remote.prefix, path)
    endpoint = remote.client_endpoint()
    claim = {"endpoint": remote.endpoint, "region": endpoint.region, "bucket": remote.bucket, "root": root}
    write_text_atomic(manifest, json.dumps(claim) + "\n")
    from imgbench.objectstore.bucket import delete_prefix
    from imgbench.objectstore.client import make_client

    client = make_client(endpoint)
    try:
        for earlier in [*_other_runs(client, remote, Path(path)), root]:
            delete_prefix(client, remote.bucket, earlier)
    finally:
        client.close()
    return root


def _other_runs(client, remote: Remote, path: Path) -> list[str]:
    """Roots of other runs' repeats of the store whose first repeat this run stores into path, if it does."""
    from imgbench.objectstore.bucket import folders

    repeat = REPEAT_DIR.match(path.name)
    if repeat is None or repeat["repeat"] != "0":
        return []
    beside = f"{_parent_root(remote.prefix, path)}.{repeat['store']}.run-"
    mine = f"{beside}{repeat['run']}."
    return [root for root in folders(client, remote.bucket, beside) if not root.startswith(mine)]


def _external(manifests) -> list[tuple[Path, dict]]:
    """The manifests (paths of s3.json files) of stores in an existing service, read: a local server's
    objects are files in its store's directory."""
    found = []
    for path in map(Path, manifests):
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            print(f"note: {path} cannot be read ({error}): objects it may name in an S3 service stay", flush=True)
            continue
        if manifest.get("endpoint", LOCAL) != LOCAL:
            found.append((path, manifest))
    return found


def held(manifests) -> tuple[int, int]:
    """Objects and bytes that stores hold in existing services, as their s3.json counted them at close."""
    stores = [manifest for _path, manifest in _external(manifests)]
    return sum(m.get("bucket_objects", 0) for m in stores), sum(m.get("bucket_bytes", 0) for m in stores)


def delete_stores(manifests) -> None:
    """Delete the objects of every store whose s3.json names an existing service, before its directory goes
    (fsutil.remove_trees). A failure raises, naming the objects, and leaves every directory in place."""
    stores = _external(manifests)
    if not stores:
        return
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # Snakemake itself may run where the jobs' environment is not
        raise BenchmarkError(f"deleting the store {stores[0][0].parent} deletes its objects in an S3 service, "
                             "which needs boto3: pip install -r envs/requirements-s3.txt") from None  # fmt: skip
    from imgbench.objectstore.bucket import delete_prefix
    from imgbench.objectstore.client import make_client, remote_endpoint

    clients = {}
    try:
        for path, manifest in stores:
            where, bucket, root = (manifest["endpoint"], manifest.get("region")), manifest["bucket"], manifest["root"]
            if where not in clients:
                clients[where] = make_client(remote_endpoint(*where))
            try:
                delete_prefix(clients[where], bucket, root)
            except (BotoCoreError, ClientError, RuntimeError) as error:
                raise BenchmarkError(
                    f"could not delete the objects of the store {path.parent} at {where[0]} (s3://{bucket}/{root}): "
                    f"{_reason(error)}. The directory stays: fix the service or the credentials ({CREDENTIALS}) and "
                    f"run again, or delete them (aws s3 rm --recursive s3://{bucket}/{root}) and the directory"
                ) from error
    finally:
        for client in clients.values():
            client.close()
