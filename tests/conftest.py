"""Shared fixtures: a small synthetic archive and its source, synthetic sources of any size, HTTP servers on
127.0.0.1 (one honest, one hostile), and workflow copies."""

import contextlib
import functools
import http.server
import io
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from imgbench import cifar_archive, datasets, methods
from imgbench.measurement import Job
from imgbench.settings import Settings
from imgbench.source import Source

REPO = Path(__file__).resolve().parents[1]
BATCH_IMAGES = 40  # 5 training batches -> 200 source images; cutoffs above 200 exercise repetition
# Not the virtual environment: the README's commands and .ci/run create .venv in the repository, and a copy of
# it per workflow test took 1.9 GB each (and filled this machine's disk).
COPY_IGNORE = shutil.ignore_patterns(".snakemake", "results", "resources", ".git", "__pycache__", ".*cache", ".venv*")


@pytest.fixture(scope="session")
def archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "cifar-10-python.tar.gz"
    cifar_archive.write_synthetic_archive(path, seed=0, batch_images=BATCH_IMAGES)
    return path


@pytest.fixture(scope="session")
def source_dir(archive, tmp_path_factory) -> Path:
    """The archive's 200 training images as a cifar10 source (images.npy, labels.npy, classes.txt, source.json)."""
    out = tmp_path_factory.mktemp("source")
    cifar_archive.unpickle_archive(archive, out)
    return out


def write_synthetic_source(out_dir: Path, height: int, width: int, count: int, seed: int = 0) -> Path:
    """A synthetic source of count images of height x width x 3 in out_dir (as the prepare_source job writes it)."""
    dataset_config = {"source": "synthetic", "image_size": [height, width], "count": count}
    datasets.prepare(dataset_config, {}, out_dir, seed)
    return Path(out_dir)


@pytest.fixture(scope="session")
def source(source_dir) -> Source:
    return Source(source_dir)


@pytest.fixture(scope="session")
def wide_source(tmp_path_factory) -> Source:
    """200 photo-like images of 48x80x3 (non-square, not CIFAR's shape): a synthetic source of that size."""
    return Source(write_synthetic_source(tmp_path_factory.mktemp("wide"), 48, 80, 200, seed=3))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def http_server(archive):
    """Serves the archive's directory on 127.0.0.1; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(archive.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class HostileHandler(http.server.BaseHTTPRequestHandler):
    """/trickle: one byte every 0.5 s of an announced megabyte (40 bytes at most, then it hangs up);
    /silent: headers, then nothing; /mute: no response at all; /short: 10 of 1000 announced bytes, then closes."""

    def do_GET(self):
        stop = self.server.stop
        if self.path == "/mute":
            stop.wait(30)
            return
        self.send_response(200)
        self.send_header("Content-Length", "1000" if self.path == "/short" else str(10**6))
        self.end_headers()
        if self.path == "/short":
            self.wfile.write(b"x" * 10)
            return
        if self.path == "/silent":
            stop.wait(30)
            return
        for _ in range(40):
            if stop.wait(0.5):
                return
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:  # the client gave up
                return

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def hostile_server():
    """A server on 127.0.0.1 that sends too slowly, not at all, or too little; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    server.stop = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.stop.set()
    server.shutdown()
    server.server_close()


def archive_with_batch(archive: Path, target: Path, name: str, change) -> Path:
    """A copy of the archive whose member `name` is change(its unpickled dict), pickled again (or raw bytes)."""
    with tarfile.open(archive, "r:gz") as tar:
        members = {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}
    key = f"{cifar_archive.BATCH_DIR}/{name}"
    changed = change(pickle.loads(members[key], encoding="bytes"))
    members[key] = changed if isinstance(changed, bytes) else pickle.dumps(changed, protocol=4)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as tar:
        for member_name, payload in members.items():
            info = tarfile.TarInfo(member_name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return target


def copy_workflow(target: Path) -> Path:
    """The workflow as a user would clone it (no results, no .snakemake)."""
    shutil.copytree(REPO, target, ignore=COPY_IGNORE)
    return target


def snakemake_env(workdir: Path) -> dict:
    return dict(os.environ, XDG_CACHE_HOME=str(workdir / ".cache"))


def start_snakemake(workdir: Path, *args) -> subprocess.Popen:
    """Snakemake running in the background in its own process group, so that a test can kill it and its jobs."""
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir, env=snakemake_env(workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def run_snakemake(workdir: Path, *args, check=True, timeout=900) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir, env=snakemake_env(workdir), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


@functools.cache
def weed_problem() -> str | None:
    """Why no local S3 server (SeaweedFS's weed) can run here, or None: tests that need one skip with it."""
    try:
        from imgbench.errors import BenchmarkError
        from imgbench.objectstore.server import weed_binary
    except ImportError as error:  # boto3 missing
        return f"{error}: pip install -r envs/requirements-s3.txt"
    try:
        binary = weed_binary()
    except BenchmarkError as error:
        return str(error)
    try:
        subprocess.run([str(binary), "version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        return f"{binary} cannot run here: {error}"
    return None


needs_weed = pytest.mark.skipif(weed_problem() is not None, reason=f"no usable SeaweedFS server: {weed_problem()}")


@contextlib.contextmanager
def running_s3_server(tmp_path_factory, name: str = "s3"):
    """A SeaweedFS of a test module's own (about 2.5 s to start), its data and log in a fresh directory."""
    from imgbench.objectstore.server import LocalS3Server

    root = tmp_path_factory.mktemp(name)
    with LocalS3Server(root / "data", root / "weed.log") as server:
        yield server


# Remote methods (s3+CODEC, s3tar+CODEC, s3parquet: those with a service) start a server per store and per
# read (about 2.5 s each; a method's contract tests took about 60 s in the full suite, and on 2026-12-01
# s3+png's 86 s, s3parquet's 68 s). So their contract tests run in the full suite only, for one each:
# s3+png (the tutorial's PNGs as objects), s3tar+raw and s3parquet; every codec's own contract is tested
# with the local containers. tests/test_s3_methods.py (about 30 s) and tests/test_s3parquet.py (30 s) keep
# S3 in the fast suite.
REMOTE_TESTED = {"s3+png", "s3tar+raw", "s3parquet"}


def remote(name: str) -> bool:
    """Whether the method's stores live in a local S3 server (its service)."""
    return methods.load(name).service is not None


def method_params(names, slow_codecs=()) -> list:
    """Method names as pytest params: pairs of slow_codecs are marked slow; remote methods are left out but
    for REMOTE_TESTED, which are marked slow and skip without a server."""
    params = []
    for name in names:
        codec = name.rpartition("+")[2]
        in_s3 = remote(name)
        if in_s3 and name not in REMOTE_TESTED:
            continue
        marks = [needs_weed, pytest.mark.slow] if in_s3 else []
        if codec in slow_codecs and not in_s3:
            marks.append(pytest.mark.slow)
        params.append(pytest.param(name, marks=marks) if marks else name)
    return params


def make_job(method: str, source: Source, **settings) -> Job:
    """A timed job's context for method on source: the schema's default settings with these changes (the
    method's option defaults filled in unless options are given)."""
    loaded = methods.load(method)
    settings.setdefault("options", loaded.with_defaults({}))
    settings.setdefault("min_sample_seconds", 0.0)  # no loops unless a test asks for them: tests stay fast
    return Job(method, loaded, source, Settings.defaults(**settings))
