"""The contract every storage method must keep (methods/base.py), run against every registered method, every
container+codec pair included, at CIFAR's 32x32x3 and at a non-square shape."""

import dataclasses
import importlib
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import make_job, method_params, needs_weed
from imgbench import codecs, decoding, methods, storing, usage
from imgbench.errors import RetryStore
from imgbench.methods import containers
from imgbench.methods.base import Method, Option, contract_problems
from imgbench.methods.containers import Container
from imgbench.rows import Operation, PatternName
from imgbench.verify import Reference

ALL_METHODS = [name for name in methods.available() if name not in methods.ALIASES]
# Codecs slow enough (webp at libwebp's default effort: about 1,100 images/s) that the contract's heavier
# tests of their pairs run in the full suite only, not in `pytest -m "not slow"`.
SLOW_CODECS = {"webp"}
METHODS = method_params(ALL_METHODS, SLOW_CODECS)
EVERY_METHOD = method_params(ALL_METHODS)  # the light tests: s3 pairs still need a server


def store(method: Method, path: Path, source, n_images: int, durable=False, chunk=64, **options) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    with method.serving(path):  # as storing.store_once does: an s3 method's server
        writer = method.writer(path, n_images, source.image_shape, durable, **method.with_defaults(options))
        for start, images, labels in source.chunks(n_images, chunk):
            writer.write(start, images, labels)
        writer.close()
    return path


def read(method: Method, path: Path, indices) -> tuple[np.ndarray, np.ndarray]:
    return read_each(method, path, [indices])[0]


def read_each(method: Method, path: Path, index_sets) -> list[tuple[np.ndarray, np.ndarray]]:
    """(images, labels) of each index set, each read by a reader of its own, all under one service (an s3
    method's server, started after the store's had stopped)."""
    results = []
    with method.serving(path):
        for indices in index_sets:
            reader = method.reader(path)
            try:
                results.append(reader.read(np.asarray(indices)))
            finally:
                reader.close()
    return results


def open_fds_under(path: Path) -> list[str]:
    targets = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue
    return [t for t in targets if t.startswith(str(path))]


@pytest.fixture(params=["source", "wide_source"])
def any_source(request):
    """The 32x32x3 source and a 48x80x3 one: no method may assume CIFAR's shape."""
    return request.getfixturevalue(request.param)


def test_every_method_keeps_the_contract():
    for name in ALL_METHODS:
        assert contract_problems(name, methods.load(name)) == []


def expected(method: Method, source, indices) -> tuple[np.ndarray, np.ndarray]:
    """What a read must give: the source, or for a lossy codec the decode of its bytes (verify.Reference)."""
    images, labels, psnr = Reference(source, method).expected(np.asarray(indices))
    if method.lossy:
        assert psnr.min() >= method.codec.min_psnr_db, f"{method.codec.name} under its PSNR floor"
    return images, labels


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("durable", "source_name"), [(False, "source"), (True, "source"), (False, "wide_source")])
def test_round_trip_equals_source(method, durable, source_name, request, tmp_path):
    loaded, any_source = methods.load(method), request.getfixturevalue(source_name)
    n_images = 250  # more than the 200 source images: the tail repeats the dataset
    path = store(loaded, tmp_path / "store", any_source, n_images, durable)
    expected_images, expected_labels = expected(loaded, any_source, np.arange(n_images))
    # Both reads under one server (an s3 method's): the first already reads what the store's stopped server left,
    # and a start of its own for the second cost 2.5 s more.
    shuffled = np.random.default_rng(1).permutation(n_images)[:50]
    (images, labels), again = read_each(loaded, path, [np.arange(n_images), shuffled])
    assert images.dtype == np.uint8 and images.shape == (n_images, *any_source.image_shape)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    images, labels = again
    np.testing.assert_array_equal(images, expected(loaded, any_source, shuffled)[0])
    np.testing.assert_array_equal(labels, expected(loaded, any_source, shuffled)[1])


@pytest.mark.parametrize("method", EVERY_METHOD)
def test_single_image_store(method, any_source, tmp_path):
    loaded = methods.load(method)
    path = store(loaded, tmp_path / "one", any_source, 1)
    images, labels = read(loaded, path, [0])
    np.testing.assert_array_equal(images[0], expected(loaded, any_source, [0])[0][0])
    assert labels[0] == any_source.take([0])[1][0]


@pytest.mark.parametrize("method", EVERY_METHOD)
def test_every_file_is_closed(method, source, tmp_path):
    loaded = methods.load(method)
    path = store(loaded, tmp_path / "store", source, 120)
    assert open_fds_under(path) == []
    with loaded.serving(path):
        reader = loaded.reader(path)
        reader.read(np.arange(10))
        reader.close()
    assert open_fds_under(path) == []


@pytest.mark.parametrize("method", METHODS)
def test_cutoffs_do_not_share_files(method, source, tmp_path):
    """Each (method, cutoff) has its own directory; no file (inode) is shared or reused."""
    job = make_job(method, source, min_repeats=2, max_repeats=2, warmup_runs=1, chunk_images=64)
    inodes = {}
    for n_images in (10, 100):
        path = tmp_path / method / str(n_images)
        storing.measure_store(job, Operation.STORE_MANY, n_images, path)
        inodes[n_images] = {(p.stat().st_dev, p.stat().st_ino) for p in path.rglob("*") if p.is_file()}
        assert inodes[n_images], "a store wrote no files"
    assert inodes[10].isdisjoint(inodes[100])
    assert sorted(p.name for p in (tmp_path / method).iterdir()) == ["10", "100"]  # earlier repeats removed
    images, _ = read(job.method, tmp_path / method / "10", np.arange(10))
    np.testing.assert_array_equal(images, expected(job.method, source, np.arange(10))[0])


@pytest.mark.parametrize("method", EVERY_METHOD)
def test_disk_usage_matches_find(method, source, tmp_path):
    """usage.disk_usage agrees with find(1)'s own sizes and block counts for the same files."""
    path = store(methods.load(method), tmp_path / "store", source, 150)
    listing = subprocess.run(
        ["find", str(path), "-type", "f", "-printf", "%s %b\n"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    sizes = [tuple(map(int, line.split())) for line in listing if line]
    measured = usage.disk_usage(path)
    assert measured["n_files"] == len(sizes)
    assert measured["bytes_apparent"] == sum(size for size, _ in sizes)
    assert measured["bytes_allocated"] == sum(blocks * 512 for _, blocks in sizes)


@pytest.mark.parametrize("method", METHODS)
def test_the_space_estimate_is_not_far_below_what_a_store_takes(method, source, tmp_path):
    """bytes_per_image is what the free-space check plans with: at least half of what a store really holds."""
    loaded = methods.load(method)
    path = store(loaded, tmp_path / "store", source, 500, chunk=250)  # enough for fixed overheads to fade
    allocated = usage.disk_usage(path)["bytes_allocated"]
    assert 500 * loaded.bytes_per_image(source.image_bytes) >= allocated / 2


def test_lmdb_map_grows_instead_of_failing(source, tmp_path):
    """A map far too small first raises RetryStore with a larger map; the harness starts again with it."""
    job = make_job(
        "lmdb", source, min_repeats=1, max_repeats=1, warmup_runs=0, chunk_images=100, options={"map_bytes": 256 << 10}
    )
    with pytest.raises(RetryStore) as retry:
        store(job.method, tmp_path / "direct", source, 400, map_bytes=256 << 10)
    assert retry.value.options == {"map_bytes": 512 << 10}
    storing.measure_store(job, Operation.STORE_MANY, 400, tmp_path / "store")
    images, _ = read(job.method, tmp_path / "store", np.arange(400))
    np.testing.assert_array_equal(images, source.take(np.arange(400))[0])


def test_unknown_method_lists_known_ones():
    with pytest.raises(methods.UnknownMethodError, match="known methods: .*disk.*hdf5.*lmdb"):
        methods.load("tiff")


def test_a_module_that_breaks_the_contract_is_refused():
    assert contract_problems("x", object()) == ["method module 'x' must define METHOD = Method(...), found object"]
    broken = Method(description="", writer=None, reader=print, bytes_per_image=len, store_memory_factor=0,
                    options={"level": Option("fast", "a level", kind=int)})  # fmt: skip
    assert contract_problems("x", broken) == [
        "method 'x': description must be one non-empty line",
        "method 'x': writer must be callable",
        "method 'x': store_memory_factor must be positive",
        "method 'x': option 'level': its default 'fast' is not of type int",
    ]


@pytest.mark.parametrize("method", METHODS)
def test_encoding_and_decoding_are_timed_apart_where_a_method_encodes(method, source):
    """Methods that encode (codecs, pickles, records) declare encode and decode; their rows split a store's and
    a read's time into the codec and the rest."""
    job = make_job(method, source, min_repeats=2, max_repeats=2, warmup_runs=1, chunk_images=64)
    rows = storing.measure_encoding(job, 100) + decoding.measure_decoding(job, 100)
    if job.method.encode is None:
        assert rows == []
        return
    kinds = [(r.operation, r.pattern, r.warmup) for r in rows]
    assert kinds == [(op, pattern, warmup) for op, pattern in (("store_many", PatternName.ENCODE_ONLY),
                     ("read_many", PatternName.DECODE_ONLY)) for warmup in (1, 0, 0)]  # fmt: skip
    assert all(r.seconds > 0 and r.cache is None for r in rows)
    images, labels = source.take(np.arange(5))
    encoded = job.method.encode(images, labels)
    assert len(encoded) == 5 and all(len(bytes(item)) > 0 for item in encoded)
    np.testing.assert_array_equal(job.method.decode(encoded, source.image_shape), job.method.expected(images))


def test_aliases_are_the_container_methods():
    for alias, name in methods.ALIASES.items():
        assert methods.load(alias) is methods.load(name)


REMOTE = [pytest.param(container, marks=needs_weed) for container in ("s3", "s3tar")]


@pytest.mark.parametrize("container", ["files", "lmdb", "hdf5", "tar", *REMOTE])
def test_a_store_read_with_another_codec_is_refused(container, source, tmp_path):
    path = store(methods.load(f"{container}+png1"), tmp_path / "store", source, 20)
    with pytest.raises(ValueError, match="encoded with png1, not qoi: store it again"):
        read(methods.load(f"{container}+qoi"), path, [0])


def test_each_method_module_defines_its_method_and_each_container_its_container():
    """Modules of the registry are methods; helper modules start with an underscore (or are base)."""
    for name in methods.plain():
        assert isinstance(importlib.import_module(f"imgbench.methods.{name}").METHOD, Method)
    for name in containers.available():
        assert isinstance(importlib.import_module(f"imgbench.methods.containers.{name}").CONTAINER, Container)
    assert len(methods.paired()) == len(containers.available()) * len(codecs.available())


@pytest.mark.parametrize(("budget", "encodes"), [(512 << 20, 2), (0, 8)], ids=["records kept", "made per sample"])
def test_decoding_alone_within_and_beyond_the_records_budget(source, monkeypatch, budget, encodes):
    """decode_only samples decode the same chunks whether the records were made once (2 chunks) or again for
    each of the 4 samples (warm-up included): the budget decides."""
    monkeypatch.setattr(decoding, "RECORDS_BUDGET_BYTES", budget)
    job = make_job("lmdb+png", source, min_repeats=3, max_repeats=3, warmup_runs=1, chunk_images=64)
    calls = []
    encode = job.method.encode
    job.method = dataclasses.replace(
        job.method, encode=lambda images, labels: calls.append(1) or encode(images, labels)
    )
    rows = decoding.measure_decoding(job, 100)
    assert [(r.pattern, r.warmup) for r in rows] == [(PatternName.DECODE_ONLY, w) for w in (1, 0, 0, 0)]
    assert all(r.seconds > 0 for r in rows) and len(calls) == encodes
