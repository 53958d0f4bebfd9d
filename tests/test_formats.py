"""Today's formats (issue 18): parquet, arrow, lance, zarr, sqlite, arrayrecord and wids, beyond the shared
contract of test_methods.py: every read pattern through the harness, each format's own settings as stored,
append-only writers refusing chunks out of order, wids on the tar store, and methods whose library is
missing refused with what to install."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_method_options import store as store_with

from conftest import REPO, make_job
from imgbench import methods, reading, storing
from imgbench.errors import BenchmarkError
from imgbench.methods import _requires
from imgbench.rows import Operation

PLAIN = ["parquet", "arrow", "lance", "zarr", "sqlite", "arrayrecord"]
CONTAINERS = ["parquet", "arrow", "lance", "sqlite", "arrayrecord", "wids"]
APPEND_ONLY = ["parquet", "arrow", "lance", "zarr", "arrayrecord", "parquet+png1", "lance+qoi"]
HEAVY_LIBRARIES = {"pyarrow", "lance", "zarr", "numcodecs", "array_record", "wids"}
PATTERNS = [reading.Pattern(), reading.Pattern("random"), reading.Pattern("batch", batch_size=7),
            reading.Pattern("parallel", workers=2), reading.Pattern("single_latency", reads=20)]  # fmt: skip


def store(method_name: str, path: Path, source, n_images: int, chunk=64, order=None, **options) -> Path:
    """Store n_images with method_name's defaults and these options (chunks in the given order of positions)."""
    store_with(methods.load(method_name), path, source, n_images, chunk=chunk, order=order, **options)
    return path


def read(method_name: str, path: Path, indices) -> tuple[np.ndarray, np.ndarray]:
    reader = methods.load(method_name).reader(path)
    try:
        return reader.read(np.asarray(indices))
    finally:
        reader.close()


@pytest.mark.parametrize("method", [*PLAIN, "wids+raw"])
def test_every_read_pattern_reads_what_was_stored(method, source, tmp_path):
    """Sequential, random, batch, parallel (workers forked after the parent has read with the same library)
    and single-image latency, warm and cold, each read verified against the source by the harness."""
    patterns = [p for p in PATTERNS if p.name != "parallel"] if method == "lance" else PATTERNS  # not fork-safe
    job = make_job(method, source, min_repeats=1, max_repeats=1, warmup_runs=0, chunk_images=32)
    storing.measure_store(job, Operation.STORE_MANY, 150, tmp_path / "store")
    rows = reading.measure_reads(job, Operation.READ_MANY, 150, tmp_path / "store", patterns)
    assert sorted((row.pattern, row.cache) for row in rows) == sorted(
        (pattern.name, cache) for pattern in patterns for cache in job.settings.caches
    )
    assert all(row.seconds > 0 for row in rows)
    latency = [row for row in rows if row.pattern == "single_latency"]
    assert all(0 < row.p50_seconds <= row.p99_seconds for row in latency)


def test_lance_refuses_workers_forked_after_it_was_used_instead_of_crashing(source, tmp_path):
    """pylance crashes or hangs in some processes forked from one that used it (containers/lance.py): the
    parallel pattern fails at once, saying why, rather than leave a dead worker and a parent waiting."""
    job = make_job("lance", source, min_repeats=1, max_repeats=1, warmup_runs=0, chunk_images=32)
    storing.measure_store(job, Operation.STORE_MANY, 60, tmp_path / "store")
    with pytest.raises(
        BenchmarkError, match="a parallel worker failed: ForkedLanceError: lance is not fork-safe: this process"
    ):
        reading.measure_reads(
            job, Operation.READ_MANY, 60, tmp_path / "store", [reading.Pattern("parallel", workers=2)]
        )


@pytest.mark.parametrize("method", [*PLAIN, *(f"{container}+png1" for container in CONTAINERS)])
def test_scattered_repeated_unsorted_reads(method, source, tmp_path):
    path = store(method, tmp_path / "store", source, 250)
    for indices in ([249, 3, 125, 3, 126], [7], [], np.random.default_rng(5).integers(0, 250, 300)):
        images, labels = read(method, path, indices)
        expected_images, expected_labels = source.take(np.asarray(indices, dtype=np.int64))
        np.testing.assert_array_equal(images, expected_images)
        np.testing.assert_array_equal(labels, expected_labels)


@pytest.mark.parametrize("method", APPEND_ONLY)
def test_append_only_writers_refuse_chunks_out_of_order(method, source, tmp_path):
    with pytest.raises(ValueError, match="must start at image 0, not 64"):
        store(method, tmp_path / "store", source, 192, order=[1, 0, 2])


def test_parquet_row_groups_hold_row_group_size_images_whatever_the_chunks(source, tmp_path):
    import pyarrow.parquet as pq

    for name in ("parquet", "parquet+qoi"):
        path = store(name, tmp_path / name, source, 250, chunk=64)  # default: 100 rows per group
        metadata = pq.ParquetFile(path / "images.parquet").metadata
        assert [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == [100, 100, 50]
        path = store(name, tmp_path / f"{name}-7", source, 30, chunk=64, row_group_size=7)
        metadata = pq.ParquetFile(path / "images.parquet").metadata
        assert [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)] == [7, 7, 7, 7, 2]
        assert metadata.row_group(0).column(0).compression == "UNCOMPRESSED"
        images, _ = read(name, path, [29, 0, 13])
        np.testing.assert_array_equal(images, source.take([29, 0, 13])[0])


def test_arrow_is_an_ipc_stream_of_batches_of_at_most_100_rows(source, tmp_path):
    import pyarrow as pa

    path = store("arrow", tmp_path / "store", source, 250, chunk=128)
    with pa.memory_map(str(path / "images.arrow")) as mapped:
        batches = list(pa.ipc.open_stream(mapped))
    assert [len(batch) for batch in batches] == [100, 28, 100, 22]
    assert batches[0].schema.field("image").type == pa.binary(32 * 32 * 3)


def test_lance_store_is_one_version_and_one_fragment(source, tmp_path):
    import lance

    path = store("lance", tmp_path / "store", source, 250, chunk=32)
    dataset = lance.dataset(str(path / "images.lance"))
    assert (dataset.version, len(dataset.get_fragments()), dataset.count_rows()) == (1, 1, 250)
    assert dataset.data_storage_version == "2.2"


def test_a_failed_lance_write_is_reported_and_does_not_hang(source, tmp_path):
    path = store("lance", tmp_path / "store", source, 20)
    with pytest.raises(RuntimeError, match="lance.write_dataset into .* failed"):
        store("lance", path, source, 20)  # the dataset exists already: write_dataset(mode="create") fails
    images, _ = read("lance", path, np.arange(20))  # the first store is untouched
    np.testing.assert_array_equal(images, source.take(np.arange(20))[0])


def test_zarr_stores_one_image_per_chunk_in_shards_of_shard_images(source, tmp_path):
    path = store("zarr", tmp_path / "store", source, 250, chunk=64, shard_images=40)
    metadata = json.loads((path / "images.zarr" / "images" / "zarr.json").read_text())
    sharding = metadata["codecs"][0]
    assert metadata["chunk_grid"]["configuration"]["chunk_shape"] == [40, 32, 32, 3]  # a shard
    assert sharding["name"] == "sharding_indexed"
    assert sharding["configuration"]["chunk_shape"] == [1, 32, 32, 3]  # an image
    assert sorted(p.name for p in (path / "images.zarr" / "images" / "c").iterdir()) == [str(k) for k in range(7)]
    images, _ = read("zarr", path, [249, 0, 40, 39])
    np.testing.assert_array_equal(images, source.take([249, 0, 40, 39])[0])


def test_arrayrecord_writes_the_group_size_asked_for_uncompressed(source, tmp_path):
    from array_record.python.array_record_module import ArrayRecordReader

    for group_size in (1, 4):
        path = store("arrayrecord+png1", tmp_path / str(group_size), source, 50, group_size=group_size)
        reader = ArrayRecordReader(str(path / "images.array_record"))
        options, count = reader.writer_options_string(), reader.num_records()
        reader.close()
        assert f"group_size:{group_size}," in options and "uncompressed" in options and count == 50
        images, _ = read("arrayrecord+png1", path, [49, 2, 17])
        np.testing.assert_array_equal(images, source.take([49, 2, 17])[0])


def test_sqlite_has_one_row_per_image_in_16_kib_pages(source, tmp_path):
    path = store("sqlite", tmp_path / "store", source, 120)
    with sqlite3.connect(path / "images.sqlite") as connection:
        assert connection.execute("PRAGMA page_size").fetchone() == (16384,)
        assert connection.execute("SELECT count(*), min(id), max(id) FROM images").fetchone() == (120, 0, 119)
    connection.close()
    with pytest.raises(KeyError, match="image 120 is not in"):
        read("sqlite", path, [3, 120])


def test_wids_reads_the_tar_store_as_the_standard_library_reader_does(source, tmp_path):
    path = store("tar+png1", tmp_path / "store", source, 250, shard_images=100)
    indices = np.random.default_rng(7).permutation(250)
    for name in ("tar+png1", "wids+png1"):
        images, labels = read(name, path, indices)
        np.testing.assert_array_equal(images, source.take(indices)[0])
        np.testing.assert_array_equal(labels, source.take(indices)[1])


def test_wids_refuses_shards_whose_samples_are_not_in_index_order(source, tmp_path):
    """wids addresses sample i by position in the shards, the tar reader by its index.npy: chunks written out
    of order put image 64 first in the shard, which only the tar reader can place."""
    path = store("tar+png1", tmp_path / "store", source, 128, order=[1, 0])
    images, _ = read("tar+png1", path, [0, 64])
    np.testing.assert_array_equal(images, source.take([0, 64])[0])
    with pytest.raises(ValueError, match="sample 0 has key 00000064: shards out of index order"):
        read("wids+png1", path, [0])


def test_the_registry_imports_no_format_library():
    """Listing, loading and checking every method imports none of the formats' libraries (they are imported
    by a writer or a reader)."""
    code = (
        "import sys; from imgbench import methods\n"
        "for name in methods.available(): methods.load(name); assert methods.name_problem(name) is None, name\n"
        f"print(sorted(set(sys.modules).intersection({sorted(HEAVY_LIBRARIES)!r})))"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "workflow" / "scripts"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


def site_without(distributions: set[str], target: Path) -> Path:
    """A copy of this interpreter's site-packages made of symlinks, without the given top-level packages and
    their *.dist-info: an environment where those are really not installed."""
    import sysconfig

    target.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        top = entry.name.split("-")[0].split(".")[0].lower()
        if top not in distributions:
            (target / entry.name).symlink_to(entry)
    return target


def test_a_method_whose_library_is_missing_is_refused_with_what_to_install(tmp_path):
    """In an interpreter without pyarrow: the config refuses parquet (and lance, which needs it too), naming
    the requirements file that pins it, while every method can still be listed and loaded."""
    site = site_without({"pyarrow"}, tmp_path / "site")
    code = (
        "from imgbench import config, methods\n"
        "print(methods.name_problem('parquet'))\n"
        "print(methods.name_problem('lance+png1'))\n"
        "print(methods.name_problem('zarr'))\n"
        "print(len([methods.load(name) for name in methods.available()]) == len(methods.available()))\n"
        "try:\n"
        "    config.validate({'methods': ['npy', 'arrow'], 'dataset': {'source': 'synthetic'}})\n"
        "except config.ConfigError as error:\n"
        "    print(error)\n"
    )
    env = dict(os.environ, PYTHONPATH=f"{REPO / 'workflow' / 'scripts'}{os.pathsep}{site}")
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    hint = "pip install -r envs/requirements-formats.txt"
    assert lines[:4] == [
        f"method parquet needs pyarrow, which is not installed: {hint}",
        f"method lance+png1 needs pyarrow, which is not installed: {hint}",
        "None",
        "True",
    ]
    assert f"config key 'methods[1]': method arrow needs pyarrow, which is not installed: {hint}" in result.stdout


def test_a_requirement_pinned_nowhere_is_named_for_pip(tmp_path):
    assert _requires.requirement_problem("x", ()) is None
    assert _requires.requirement_problem("x", ("imgbench-no-such-distribution", "numpy")) == (
        "method x needs imgbench-no-such-distribution, which is not installed: "
        "pip install imgbench-no-such-distribution"
    )
    envs = tmp_path / "envs"
    envs.mkdir()
    (envs / "requirements-extra.txt").write_text("-r requirements.txt\n# a comment\nFancy.Lib[fast]==1.2\n")
    assert _requires.install_hint(["fancy_lib"], envs) == "pip install -r envs/requirements-extra.txt"
    assert _requires.install_hint(["fancy_lib", "other-lib"], envs) == "pip install fancy_lib other-lib"
    assert _requires.install_hint(["pylance", "zarr"]) == "pip install -r envs/requirements-formats.txt"


def test_a_method_declaring_requires_badly_breaks_the_contract():
    from imgbench.methods.base import Method, contract_problems

    broken = Method(description="d", writer=print, reader=print, bytes_per_image=len, requires="pyarrow")
    assert contract_problems("x", broken) == ["method 'x': requires must be a tuple of pip distribution names"]
