"""s3+CODEC through the harness against a real SeaweedFS: the service starts and stops around every writer
and reader (no server is ever left behind), concurrent GETs read back what was stored, and timed reads in
both cache states verify every image."""

import json
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import make_job, needs_weed
from imgbench import methods, reading, storing
from imgbench.cache import CacheMode
from imgbench.errors import BenchmarkError
from imgbench.measurement import Measurement
from imgbench.objectstore import service
from imgbench.objectstore.server import weed_binary
from imgbench.objectstore.subprocesses import process_running
from imgbench.rows import Operation

pytestmark = needs_weed


def weed_processes(store: Path) -> list[int]:
    """Live processes running the weed binary on this store's data directory (from /proc)."""
    binary, data_dir = str(weed_binary()).encode(), f"-dir={(store / service.DATA_DIR).resolve()}".encode()
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:  # ended meanwhile
            continue
        if argv and argv[0] == binary and data_dir in argv:
            found.append(int(cmdline.parent.name))
    return [pid for pid in found if process_running(pid)]


def test_no_server_outlives_a_store_or_a_read(source, tmp_path):
    job = make_job("s3+png", source)
    store = tmp_path / "store"
    store.mkdir()
    storing.store_once(job, store, 30, job.settings.options, Measurement())
    assert weed_processes(store) == []
    assert (store / service.DATA_DIR).is_dir() and (store / "s3.json").is_file()
    after_store = job.overhead.seconds["server"]  # its start and stop, outside the timers
    assert after_store > 0.1
    reading.read_once(job, store, reading.Pattern(), 30, "test", Measurement())
    assert weed_processes(store) == []
    assert job.overhead.seconds["server"] > after_store + 0.1


class Failing:
    """A source whose second chunk raises, as a store that breaks mid-way."""

    def __init__(self, source):
        self.source, self.image_shape, self.image_bytes = source, source.image_shape, source.image_bytes

    def chunks(self, n_images, chunk_images):
        for number, chunk in enumerate(self.source.chunks(n_images, chunk_images)):
            if number == 1:
                raise RuntimeError("the source broke")
            yield chunk


def test_no_server_outlives_a_store_that_fails_midway(source, tmp_path):
    job = make_job("s3+png", source, chunk_images=10)
    job.source = Failing(source)
    store = tmp_path / "store"
    store.mkdir()
    with pytest.raises(RuntimeError, match="the source broke"):
        storing.store_once(job, store, 30, job.settings.options, Measurement())
    assert weed_processes(store) == []
    assert service._live == {}
    assert job.overhead.seconds["server"] > 0.1  # the stop after the failure is counted too


def test_concurrent_gets_read_back_exactly_what_was_stored(source, tmp_path):
    method = methods.load("s3+png")
    store = tmp_path / "store"
    store.mkdir()
    with method.serving(store):
        writer = method.writer(store, 250, source.image_shape, True, concurrency=8)
        for start, images, labels in source.chunks(250, 64):
            writer.write(start, images, labels)
        writer.close()
    order = np.random.default_rng(3).permutation(250)
    indices = np.r_[order, [7, 7, 249]]  # any order, repeats
    with method.serving(store):
        reader = method.reader(store)
        try:
            assert reader.concurrency == 8 and reader.pool is not None
            images, labels = reader.read(indices)
        finally:
            reader.close()
    expected_images, expected_labels = source.take(indices)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)


def test_the_store_says_what_its_bucket_holds_and_no_file_holds_the_secret(source, tmp_path):
    method, store = methods.load("s3+raw"), tmp_path / "store"
    store.mkdir()
    with method.serving(store) as server:
        secret = server.credentials.secret_access_key.encode()
        writer = method.writer(store, 40, source.image_shape, True, concurrency=1)
        for start, images, labels in source.chunks(40, 16):
            writer.write(start, images, labels)
        writer.close()
    manifest = json.loads((store / "s3.json").read_text())
    assert manifest["bucket_objects"] == 41  # the images and the labels object
    assert manifest["bucket_bytes"] == 40 * source.image_bytes + 40
    assert manifest["codec"] == "raw" and manifest["image_shape"] == list(source.image_shape)
    for file in (p for p in store.rglob("*") if p.is_file()):
        assert secret not in file.read_bytes(), file


def test_a_writer_or_reader_without_its_server_says_so(source, tmp_path):
    method = methods.load("s3+png")
    with pytest.raises(RuntimeError, match="no S3 server serves the store"):
        method.writer(tmp_path, 1, source.image_shape, False, concurrency=1)


def test_timed_reads_in_both_cache_states_verify_every_image(source, tmp_path):
    """The harness's reads: a fresh server for every read, the store's files listed again for each cache
    state (the server rewrites some at every start), the cold state verified."""
    job = make_job("s3+png", source, min_repeats=1, max_repeats=1, warmup_runs=0, caches=["cold", "warm"])
    store = tmp_path / "store"
    storing.measure_store(job, Operation.STORE_MANY, 40, store)
    rows = reading.measure_reads(job, Operation.READ_MANY, 40, store, [reading.Pattern()])
    assert {row.cache for row in rows} == {CacheMode.COLD.value, CacheMode.WARM.value}
    assert all(row.cache_verified == 1 for row in rows), [(r.cache, r.resident_fraction) for r in rows]
    assert weed_processes(store) == []


def test_a_round_trip_puts_the_proxy_between_client_and_server_and_the_stores_record_it(source, tmp_path):
    """Settings.round_trip_ms reaches the service: clients talk to the proxy (every GET pays the delay), the
    store's s3.json says at which delay it was written, and the proxy stops with the server."""
    job = make_job("s3tar+png", source, round_trip_ms=20)
    store = tmp_path / "store"
    store.mkdir()
    storing.store_once(job, store, 30, job.settings.options, Measurement())
    assert json.loads((store / "s3.json").read_text())["round_trip_ms"] == 20
    with job.method.serving(store, 20) as server:
        served, upstream = service.served(store), f"--upstream 127.0.0.1:{server.ports['s3.port']} "
        assert served.endpoint.url != server.endpoint.url and served.endpoint.credentials == server.credentials
        assert len(proxies(upstream)) == 1
        reader = job.method.reader(store)
        try:
            started = time.perf_counter()
            reader.read(np.arange(3) * 2)  # three runs: three GETs
            assert time.perf_counter() - started >= 3 * 0.020
        finally:
            reader.close()
        with pytest.raises(RuntimeError, match="served at 20 ms, not 0"):
            with job.method.serving(store, 0):
                pass
    assert weed_processes(store) == []
    assert proxies(upstream) == []


def proxies(upstream: str) -> list[str]:
    """Command lines of live latency proxies in front of this upstream."""
    return [argv for argv in command_lines() if "imgbench.objectstore.proxy" in argv and upstream in argv]


def command_lines() -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


def measure_levels(job, store: Path, n_images: int, own: int, other: int, read_levels: tuple[int, ...]) -> None:
    """Store at the job's own level and at another, then read at read_levels: the rows say their level, the
    store at another level leaves no directory (the job's store stays, its s3.json at its own level), and
    every read verified every image."""
    rows = storing.measure_store(job, Operation.STORE_MANY, n_images, store)
    rows += storing.measure_store(job, Operation.STORE_MANY, n_images, store, concurrency=other)
    assert [(r.pattern, r.concurrency) for r in rows] == [("sequential", own), ("concurrency", other)]
    assert sorted(p.name for p in store.parent.iterdir()) == [store.name]
    assert json.loads((store / "s3.json").read_text())["concurrency"] == own
    patterns = [reading.Pattern("concurrency", concurrency=c) for c in read_levels]
    reads = reading.measure_reads(job, Operation.READ_MANY, n_images, store, patterns)
    assert [(r.pattern, r.concurrency, r.cache_verified) for r in reads] == [("concurrency", c, 1) for c in read_levels]


def test_the_concurrency_pattern_reads_at_each_level_and_stores_at_another(source, tmp_path):
    """Rows of pattern concurrency say their requests in flight; the reader really runs that many (its pool),
    every image is verified, and a store at another level leaves no directory: the job's store stays."""
    job = make_job("s3+raw", source, min_repeats=1, max_repeats=1, warmup_runs=0, caches=["warm"])
    store = tmp_path / "10"
    measure_levels(job, store, 40, own=1, other=8, read_levels=(1, 8))
    with job.method.serving(store):
        reader = job.method.reader(store, concurrency=8)
        assert reader.concurrency == 8 and reader.pool._max_workers == 8
        reader.close()
    assert weed_processes(store) == []


def test_only_methods_that_vary_their_requests_in_flight_take_the_concurrency_pattern(source, tmp_path):
    assert methods.load("s3tar+raw").concurrency == ("read",)  # a store PUTs one shard after another
    job = make_job("npy", source, min_repeats=1, max_repeats=1, warmup_runs=0)
    storing.measure_store(job, Operation.STORE_MANY, 20, tmp_path / "npy")
    assert "server" not in job.overhead.seconds  # a method without a service counts none
    with pytest.raises(BenchmarkError, match="npy cannot vary its requests in flight"):
        reading.measure_reads(
            job, Operation.READ_MANY, 20, tmp_path / "npy", [reading.Pattern("concurrency", concurrency=8)]
        )


def test_a_method_with_a_service_times_one_operation_per_sample(source, tmp_path):
    """Each operation starts its own server (outside the timers): looping a short read would start one per
    loop, so remote rows never loop, where a local method's short reads do. Warm reads only: the rule is the
    job's (Job.sampled), the same in every cache state, and the cold reads started two more servers (5 s)."""
    rows = {}
    for method in ("s3+raw", "npy"):
        job = make_job(
            method, source, min_repeats=1, max_repeats=1, warmup_runs=1, min_sample_seconds=0.1, caches=["warm"]
        )
        storing.measure_store(job, Operation.STORE_MANY, 5, tmp_path / method)
        reads = reading.measure_reads(job, Operation.READ_MANY, 5, tmp_path / method, [reading.Pattern()])
        rows[method] = {r.loops for r in reads if not r.warmup}
    assert rows["s3+raw"] == {1} and max(rows["npy"]) > 1, rows
