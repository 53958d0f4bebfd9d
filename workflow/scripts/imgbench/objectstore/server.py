"""A real S3 server on 127.0.0.1 for the benchmark: SeaweedFS's one-process ``weed mini``.

``weed mini`` runs SeaweedFS's master, volume server, filer (metadata in LevelDB), S3 gateway and admin
server in one process. Every listener is bound to 127.0.0.1 on a port the OS handed out just before,
so two servers (or a developer's own SeaweedFS) never collide; WebDAV, Iceberg, Lance and the admin UI
are off, and so is its telemetry, which would otherwise post to the internet. Only the S3 port checks
credentials: weed's own master, volume and filer ports (127.0.0.1) answer anyone on this machine
(its gRPC sockets in /tmp only their owner), which suits benchmark images, not private data.

Credentials are generated per start (``secrets``) and reach the server only through its environment
(the AWS_* fallback admin identity of ``weed s3``), never its command line, which every user can read
in /proc. SeaweedFS logs the access key id (an identifier, sent in every request) but not the secret.

What a restart makes cold, and what it does not: the process holds the needle index of every volume
(``-volume.index=memory``, reloaded from the .idx files at start), LevelDB's block cache of the filer's
metadata (32 MiB), the S3 gateway's bucket and IAM caches and its reader buffers; its chunk cache for
GETs is off by default (``-s3.cacheCapacityMB=0``). All of that dies with the process. The kernel's
page cache of the data files (.dat, .idx, filerldb2/) survives it: ``restart(evict_page_cache=True)``
drops it between stop and start, and the start then reads back only the indexes and metadata.

What stays on disk between starts: the volumes and the filer's LevelDB (``filerldb2/``) under data_dir.
The master keeps its Raft state in ``data_dir/m<master port>/``, a new directory for every start on new
ports; it holds only the topology id and the highest volume id, which a fresh master learns again from
the volume server's first heartbeat, so it is removed when the server stops (and any left by a killed
one when the next starts). It cannot simply go to the runtime dir: ``-master.dir`` also moves the
filer's LevelDB. The log keeps the current start's output and, in ``<log>.1``, the previous start's, so
a store read hundreds of times does not grow it.
"""

import os
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from imgbench import cache
from imgbench.errors import BenchmarkError
from imgbench.objectstore.client import DEFAULT_REGION, Credentials, Endpoint, make_client
from imgbench.objectstore.remote import bucket_problem
from imgbench.objectstore.subprocesses import process_running, signals_raise_exit, spawn, stop_group
from imgbench.objectstore.weed import (  # noqa: F401 (HOST, PORT_NAMES: also this module's interface)
    GRPC_PORT_OFFSET,
    HOST,
    PORT_NAMES,
    allocate_ports,
    generate_credentials,
    listening,
    weed_binary,
)

# gRPC sockets weed mini creates in /tmp whatever it is told, and leaves behind.
GRPC_SOCKETS = {"master": "master.port.grpc", "volume": "volume.port.grpc", "filer": "filer.port.grpc"}
GRPC_SOCKETS |= {"s3": "s3.port.grpc", "admin": "admin.port.grpc"}
# Variables the server would read as configuration (AWS_* credentials, WEED_* settings, S3_BUCKET):
# the caller's are dropped so only ours apply.
SERVER_ENV_PREFIXES = ("AWS_", "WEED_", "S3_")
VOLUME_SIZE_LIMIT_MB = 1024  # pinned: weed mini would derive it from the disk's size
# Connections between weed's own parts that stay idle this long are closed. Its Go HTTP client opens
# spare connections under concurrency that never carry a request, and at shutdown the volume server
# waits for those until they time out: 30 s by default (measured here: 29 s to stop right after 128
# concurrent PUTs and GETs, 1.2-3.0 s with 3 s).
IDLE_TIMEOUT_SECONDS = 3
START_ATTEMPTS = 3  # a free port can be taken between asking the OS and the server's bind
# What the log says then: the bind's own error, or weed mini's check of its flags' ports before binding.
PORT_TAKEN_SIGNS = ("address already in use", "Port allocation failed")
LOG_TAIL_LINES = 15
RUNTIME_DIR_PREFIX = "imgbench-weed-"  # then the parent's pid: sockets and HOME of one server


class LocalS3Server:
    """SeaweedFS serving S3 on 127.0.0.1, its data below data_dir, its output appended to log_path.

    Use it as a context manager: the server is stopped when the block ends, raises, or the process gets
    SIGTERM, SIGHUP or SIGINT; if the parent dies by SIGKILL the kernel stops the server (see
    subprocesses.py). ``endpoint`` carries the URL and this start's credentials for ``make_client``.
    """

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        bucket: str = "imgbench",
        region: str = DEFAULT_REGION,
        ready_timeout_seconds: float = 60,
        stop_timeout_seconds: float = 30,
    ):
        if problem := bucket_problem(bucket):  # weed mini would skip a bad name
            raise ValueError(problem)
        self.data_dir, self.log_path = Path(data_dir), Path(log_path)
        self.bucket, self.region = bucket, region
        self.ready_timeout_seconds, self.stop_timeout_seconds = ready_timeout_seconds, stop_timeout_seconds
        self.ports: dict[str, int] | None = None
        self.credentials: Credentials | None = None
        self._process = None
        self._runtime_dir: Path | None = None
        self._signals = ExitStack()

    # -- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> "LocalS3Server":
        self._signals.enter_context(signals_raise_exit())
        try:
            self.start()
        except BaseException:
            self.stop()
            self._signals.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.stop()
        finally:
            self._signals.close()

    def start(self) -> None:
        """Start with new credentials on new free ports; returns once the bucket answers."""
        if self._process is not None:
            raise RuntimeError("the server is already running")
        self.credentials = generate_credentials()
        self._rotate_log()
        for attempt in range(1, START_ATTEMPTS + 1):
            self.ports = allocate_ports()
            try:
                self._launch()
                return
            except _PortTaken:
                self.stop()
                if attempt == START_ATTEMPTS:
                    raise BenchmarkError(
                        f"SeaweedFS could not bind its ports in {START_ATTEMPTS} attempts; see {self.log_path}"
                    ) from None

    def restart(self, evict_page_cache: bool = False) -> None:
        """Stop and start again on the same ports with the same credentials (clients stay valid).

        evict_page_cache: drop the data files from the page cache while the server is down (cold reads).
        """
        if self.ports is None or self.credentials is None:
            raise RuntimeError("restart() needs a server that was started")
        self.stop()
        if evict_page_cache:
            cache.evict(self.data_dir)
        try:
            self._launch()
        except _PortTaken:
            self.stop()
            raise BenchmarkError(
                f"SeaweedFS could not get its ports back on restart (another process took one); see {self.log_path}"
            ) from None

    def stop(self) -> None:
        """Terminate the server's process group and wait for it; safe to call at any time."""
        if self._process is not None:
            stop_group(self._process, self.stop_timeout_seconds)
            self._process = None
            self._remove_grpc_sockets()
            self._remove_master_state()
        if self._runtime_dir is not None:
            shutil.rmtree(self._runtime_dir, ignore_errors=True)
            self._runtime_dir = None

    # -- what clients need ---------------------------------------------------------------------------

    @property
    def endpoint(self) -> Endpoint:
        if self.ports is None or self.credentials is None:
            raise RuntimeError("the server has not been started")
        return Endpoint(f"http://{HOST}:{self.ports['s3.port']}", self.region, self.credentials)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and process_running(self._process.pid)

    def __repr__(self) -> str:
        url = "not started" if self.ports is None else self.endpoint.url
        return f"LocalS3Server({url}, data_dir={str(self.data_dir)!r}, bucket={self.bucket!r})"

    # -- internals -----------------------------------------------------------------------------------

    def _argv(self, binary: Path) -> list[str]:
        run = self._runtime_dir
        flags = {
            **{name: str(port) for name, port in self.ports.items()},
            "dir": str(self.data_dir),
            "ip": HOST,
            "ip.bind": HOST,
            "bucket": self.bucket,
            "master.telemetry": "false",
            "master.volumeSizeLimitMB": str(VOLUME_SIZE_LIMIT_MB),
            "volume.preStopSeconds": "0",  # no grace period for other nodes to notice: there are none
            "idleTimeout": str(IDLE_TIMEOUT_SECONDS),
            "filer.localSocket": str(run / "filer.sock"),  # default /tmp/seaweedfs-*-<port>.sock stays behind
            "s3.localSocket": str(run / "s3.sock"),
            "s3.port.iceberg": "0",
            "s3.port.lance": "0",
            "webdav": "false",
            "admin.ui": "false",
        }
        # -logtostderr: everything goes to our log file, none to /tmp/weed.* files.
        return [str(binary), "-logtostderr", "mini", *(f"-{name}={value}" for name, value in flags.items())]

    def _environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(SERVER_ENV_PREFIXES)}
        env["HOME"] = str(self._runtime_dir)  # so no ~/.seaweedfs/*.toml of the user's changes the server
        env["AWS_ACCESS_KEY_ID"] = self.credentials.access_key_id
        env["AWS_SECRET_ACCESS_KEY"] = self.credentials.secret_access_key
        return env

    def _launch(self) -> None:
        binary = weed_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        remove_orphaned_runtime_dirs()
        self._remove_master_state()  # a killed server's; no other server runs on data_dir (its LevelDB lock)
        # In the temp dir, not data_dir: a socket's path may be 107 bytes at most.
        self._runtime_dir = Path(tempfile.mkdtemp(prefix=f"{RUNTIME_DIR_PREFIX}{os.getpid()}-"))
        argv = self._argv(binary)
        with open(self.log_path, "ab") as log:
            log.write(f"imgbench: {time.strftime('%Y-%m-%d %H:%M:%S')} starting {' '.join(argv)}\n".encode())
            log_start = log.tell()
        self._process = spawn(argv, env=self._environment(), cwd=self._runtime_dir, log_path=self.log_path)
        self._wait_until_ready(log_start)

    def _wait_until_ready(self, log_start: int) -> None:
        """Return once the bucket answers signed requests and the admin server (started last) listens."""
        client = make_client(self.endpoint, 1, connect_timeout_seconds=1, read_timeout_seconds=5)
        deadline = time.monotonic() + self.ready_timeout_seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                if any(sign in self._log_since(log_start) for sign in PORT_TAKEN_SIGNS):
                    raise _PortTaken
                raise BenchmarkError(
                    f"SeaweedFS exited with code {self._process.returncode} while starting; "
                    f"its log {self.log_path} ends with:\n{self._log_tail(log_start)}"
                )
            if _bucket_answers(client, self.bucket) and listening(self.ports["admin.port"]):
                return
            time.sleep(0.05)
        self.stop()
        raise BenchmarkError(
            f"SeaweedFS's S3 endpoint {self.endpoint.url} did not answer within {self.ready_timeout_seconds} s; "
            f"its log {self.log_path} ends with:\n{self._log_tail(log_start)}"
        )

    def _rotate_log(self) -> None:
        """The previous start's log becomes <log>.1 (replacing the one before): two starts' output at most."""
        if self.log_path.exists():
            self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))

    def _remove_master_state(self) -> None:
        """Remove the master's Raft directories m<port>/ (module docstring: nothing a start needs)."""
        for path in self.data_dir.glob("m[0-9]*"):
            if path.is_dir() and path.name[1:].isdigit():
                shutil.rmtree(path, ignore_errors=True)

    def _remove_grpc_sockets(self) -> None:
        for service, port_name in GRPC_SOCKETS.items():
            path = Path(f"/tmp/seaweedfs-{service}-grpc-{self.ports[port_name]}.sock")
            if path.is_socket():
                path.unlink(missing_ok=True)

    def _log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def _log_tail(self, offset: int) -> str:
        return "\n".join(self._log_since(offset).splitlines()[-LOG_TAIL_LINES:])


def remove_orphaned_runtime_dirs() -> None:
    """Remove the runtime dirs of servers whose parent died without stopping them (SIGKILL)."""
    for path in Path(tempfile.gettempdir()).glob(f"{RUNTIME_DIR_PREFIX}*-*"):
        owner = path.name.removeprefix(RUNTIME_DIR_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not process_running(int(owner)):
            shutil.rmtree(path, ignore_errors=True)


class _PortTaken(Exception):
    """The server lost a race for one of its ports."""


def _bucket_answers(client, bucket: str) -> bool:
    try:
        client.head_bucket(Bucket=bucket)
        return True
    except (BotoCoreError, ClientError):
        return False
