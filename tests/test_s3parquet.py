"""s3parquet: the parquet method's file as one object, written and read through pyarrow's S3 filesystem
against a real SeaweedFS: a round trip over several row groups, any order, a round trip's delay through the
latency proxy, the parallel pattern's forked workers after the parent used S3, a reader refused in a forked
process, and an interpreter that exits after using S3 (no finalisation hang)."""

import json
import multiprocessing
import subprocess
import sys
import textwrap
import time
from types import SimpleNamespace

import numpy as np
import pytest
from test_s3_methods import measure_levels, weed_processes

from conftest import REPO, make_job, needs_weed
from imgbench import methods, reading, storing
from imgbench.measurement import Measurement
from imgbench.methods.s3parquet import KEY, READ_BYTES, Reader
from imgbench.objectstore import service
from imgbench.rows import PatternName


def test_a_call_reads_row_groups_up_to_the_byte_limit_and_a_larger_group_alone():
    reader = SimpleNamespace(group_bytes=np.array([READ_BYTES // 2] * 4 + [READ_BYTES * 2, 10]))
    calls = Reader._calls(reader, np.array([0, 1, 2, 4, 5]))
    assert [call.tolist() for call in calls] == [[0, 1], [2], [4], [5]]
    assert Reader._calls(reader, np.arange(0)) == []


def stored(source, store, n_images=250, round_trip_ms=0.0, **options):
    method = methods.load("s3parquet")
    store.mkdir()
    with method.serving(store, round_trip_ms):
        writer = method.writer(store, n_images, source.image_shape, True, **method.with_defaults(options))
        for start, images, labels in source.chunks(n_images, 48):  # chunks that straddle the row groups
            writer.write(start, images, labels)
        writer.close()
    return method


@needs_weed
def test_a_round_trip_over_several_row_groups_in_any_order(source, tmp_path):
    store = tmp_path / "store"
    method = stored(source, store, row_group_size=64)
    manifest = json.loads((store / "s3.json").read_text())
    assert manifest["bucket_objects"] == 1 and manifest["key"] == KEY and manifest["codec"] is None
    order = np.random.default_rng(7).permutation(250)
    indices = np.r_[np.arange(250), order, [7, 7, 249, 63, 64]]  # sequential, random, repeats, a group's edge
    with method.serving(store):
        reader = method.reader(store)
        try:
            assert reader.file.metadata.num_row_groups == 4  # 64, 64, 64, 58
            images, labels = reader.read(indices)
            one, one_label = reader.read(np.array([200]))
            empty, no_labels = reader.read(np.arange(0))
            with pytest.raises(IndexError):
                reader.read(np.array([250]))
        finally:
            reader.close()
    expected_images, expected_labels = source.take(indices)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_array_equal(one, source.take(np.array([200]))[0])
    assert one_label.tolist() == source.take(np.array([200]))[1].tolist()
    assert empty.shape == (0, *source.image_shape) and no_labels.shape == (0,)
    assert weed_processes(store) == []


@needs_weed
def test_reads_go_through_the_latency_proxy_and_a_row_group_is_one_round_trip(source, tmp_path):
    store = tmp_path / "store"
    method = stored(source, store, 100, round_trip_ms=20, row_group_size=25)
    with method.serving(store, 20) as server:
        assert service.served(store).endpoint.url != server.endpoint.url
        reader = method.reader(store)
        try:
            indices = np.array([90, 3, 60, 30])  # four row groups: one read, their GETs in flight together
            started = time.perf_counter()
            images, labels = reader.read(indices)
            elapsed = time.perf_counter() - started
        finally:
            reader.close()
    assert 0.020 <= elapsed < 4 * 0.020, elapsed
    np.testing.assert_array_equal(images, source.take(indices)[0])
    np.testing.assert_array_equal(labels, source.take(indices)[1])


@needs_weed
def test_requests_in_flight_are_pyarrows_io_threads_while_a_writer_or_reader_is_open(source, tmp_path):
    """The concurrency option sizes pyarrow's I/O pool (the most GETs or part uploads in flight) while a
    writer or reader is open and gives it back at close; the concurrency pattern's rows say their level and
    verify every image; a store at another level leaves the job's store as it was."""
    import pyarrow as pa

    before = pa.io_thread_count()
    job = make_job("s3parquet", source, min_repeats=1, max_repeats=1, warmup_runs=0, caches=["warm"])
    store = tmp_path / "store"
    measure_levels(job, store, 120, own=8, other=2, read_levels=(1, 3))
    with job.method.serving(store):
        reader = job.method.reader(store, concurrency=3)
        held = pa.io_thread_count()
        reader.close()
        with pytest.raises(ValueError, match="concurrency must be at least 1"):
            job.method.reader(store, concurrency=0)
    assert (held, pa.io_thread_count()) == (3, before)
    assert weed_processes(store) == []


@needs_weed
def test_forked_parallel_workers_read_after_the_parent_used_s3(source, tmp_path):
    """The harness's order within one read job: a sequential read in this process (S3 initialised, a
    filesystem opened and closed), then the parallel pattern's two forked workers, each verified."""
    job = make_job("s3parquet", source, round_trip_ms=2)
    store = tmp_path / "store"
    store.mkdir()
    storing.store_once(job, store, 200, job.settings.options, Measurement())
    reading.read_once(job, store, reading.Pattern(), 200, "test", Measurement())
    parallel = reading.Pattern(PatternName.PARALLEL.value, batch_size=16, workers=2)
    measurement = Measurement()
    reading.read_once(job, store, parallel, 200, "test", measurement)
    assert measurement.watch.elapsed_ns > 0
    assert weed_processes(store) == []


def _read_inherited(reader, queue):
    try:
        reader.read(np.array([0]))
        queue.put("read")
    except RuntimeError as error:
        queue.put(str(error))


@needs_weed
def test_a_reader_is_refused_in_a_process_forked_after_it_opened(source, tmp_path):
    store = tmp_path / "store"
    method = stored(source, store, 20)
    context = multiprocessing.get_context("fork")
    with method.serving(store):
        reader = method.reader(store)
        try:
            queue = context.Queue()
            child = context.Process(target=_read_inherited, args=(reader, queue))
            child.start()
            said = queue.get(timeout=60)
            child.join(10)
            np.testing.assert_array_equal(reader.read(np.array([0]))[0], source.take(np.array([0]))[0])
        finally:
            reader.close()
    assert "a forked process must open its own" in said


@needs_weed
def test_the_interpreter_exits_after_storing_and_reading(source_dir, tmp_path):
    """pyarrow finalises S3 at exit (its atexit hook); no filesystem is left for it to wait on."""
    script = textwrap.dedent(f"""
        import numpy as np
        from imgbench import methods
        from imgbench.source import Source
        source, method, store = Source({str(source_dir)!r}), methods.load("s3parquet"), {str(tmp_path / "store")!r}
        with method.serving(store):
            writer = method.writer(store, 30, source.image_shape, False, row_group_size=10, concurrency=8)
            images, labels = source.take(np.arange(30))
            writer.write(0, images, labels)
            writer.close()
        with method.serving(store):
            reader = method.reader(store)
            assert (reader.read(np.arange(30))[0] == images).all()
            reader.close()
        print("done")
    """)
    (tmp_path / "store").mkdir()
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO / "workflow" / "scripts",
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr[-2000:]
