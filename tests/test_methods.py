"""The contract every storage method must keep, run against every registered method."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from imgbench import harness, methods, usage
from imgbench.errors import RetryStore

ALL_METHODS = methods.available()


def store(module, path: Path, source, n_images: int, durable=False, chunk=64) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    writer = module.Writer(path, n_images, durable)
    for start, images, labels in source.chunks(n_images, chunk):
        writer.write(start, images, labels)
    writer.close()
    return path


def read(module, path: Path, indices) -> tuple[np.ndarray, np.ndarray]:
    reader = module.Reader(path)
    try:
        return reader.read(np.asarray(indices))
    finally:
        reader.close()


def open_fds_under(path: Path) -> list[str]:
    fds = Path("/proc/self/fd")
    targets = []
    for fd in fds.iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue
    return [t for t in targets if t.startswith(str(path))]


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("durable", [False, True])
def test_round_trip_equals_source(method, durable, source, tmp_path):
    module = methods.load(method)
    n_images = 250  # more than the 200 source images: the tail repeats the dataset
    path = store(module, tmp_path / "store", source, n_images, durable)
    expected_images, expected_labels = source.take(np.arange(n_images))
    images, labels = read(module, path, np.arange(n_images))
    assert images.dtype == np.uint8 and images.shape == (n_images, 32, 32, 3)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    shuffled = np.random.default_rng(1).permutation(n_images)[:50]
    images, labels = read(module, path, shuffled)
    np.testing.assert_array_equal(images, source.take(shuffled)[0])
    np.testing.assert_array_equal(labels, source.take(shuffled)[1])


@pytest.mark.parametrize("method", ALL_METHODS)
def test_single_image_store(method, source, tmp_path):
    module = methods.load(method)
    path = store(module, tmp_path / "one", source, 1)
    images, labels = read(module, path, [0])
    np.testing.assert_array_equal(images[0], source.take([0])[0][0])
    assert labels[0] == source.take([0])[1][0]


@pytest.mark.parametrize("method", ALL_METHODS)
def test_every_file_is_closed(method, source, tmp_path):
    module = methods.load(method)
    path = store(module, tmp_path / "store", source, 120)
    assert open_fds_under(path) == []
    reader = module.Reader(path)
    reader.read(np.arange(10))
    reader.close()
    assert open_fds_under(path) == []


@pytest.mark.parametrize("method", ALL_METHODS)
def test_cutoffs_do_not_share_files(method, source, tmp_path):
    """Each (method, cutoff) has its own directory; no file (inode) is shared or reused."""
    module = methods.load(method)
    settings = harness.Settings(repeats=2, warmup_runs=1, chunk_images=64, machine_id="test")
    inodes = {}
    for n_images in (10, 100):
        path = tmp_path / method / str(n_images)
        harness.measure_store(method, module, "store_many", n_images, path, source, settings)
        inodes[n_images] = {(p.stat().st_dev, p.stat().st_ino) for p in path.rglob("*") if p.is_file()}
        assert inodes[n_images], "a store wrote no files"
    assert inodes[10].isdisjoint(inodes[100])
    assert sorted(p.name for p in (tmp_path / method).iterdir()) == ["10", "100"]  # earlier repeats removed
    images, _ = read(module, tmp_path / method / "10", np.arange(10))
    np.testing.assert_array_equal(images, source.take(np.arange(10))[0])


@pytest.mark.parametrize("method", ALL_METHODS)
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


def test_lmdb_map_grows_instead_of_failing(source, tmp_path, monkeypatch):
    """A map far too small first raises RetryStore, then the harness retries with a larger one."""
    lmdb_method = methods.load("lmdb")
    monkeypatch.setattr(lmdb_method, "map_headroom", 0.05)
    path = tmp_path / "store"
    with pytest.raises(RetryStore):
        store(lmdb_method, path, source, 400)
    settings = harness.Settings(repeats=1, warmup_runs=0, chunk_images=100, machine_id="test")
    harness.measure_store("lmdb", lmdb_method, "store_many", 400, path, source, settings)
    assert lmdb_method.map_headroom > 0.1
    images, _ = read(lmdb_method, path, np.arange(400))
    np.testing.assert_array_equal(images, source.take(np.arange(400))[0])


def test_unknown_method_lists_known_ones():
    with pytest.raises(methods.UnknownMethodError, match="known methods: .*disk.*hdf5.*lmdb"):
        methods.load("tiff")


@pytest.mark.parametrize("method", ALL_METHODS)
def test_encoding_is_timed_apart_where_a_method_encodes(method, source):
    """Methods that encode (PNG, pickle, records) expose encode_only; its rows split a store's time."""
    module = methods.load(method)
    settings = harness.Settings(repeats=2, warmup_runs=1, chunk_images=64, machine_id="test")
    rows = harness.measure_encoding(method, module, 100, source, settings)
    if not hasattr(module, "encode_only"):
        assert rows == [] and method in {"npy", "hdf5", "hdf5_chunked"}
        return
    assert [(r["operation"], r["pattern"], r["warmup"]) for r in rows] == [("store_many", "encode_only", 1)] + [
        ("store_many", "encode_only", 0)
    ] * 2
    assert all(float(r["seconds"]) > 0 for r in rows)
    encoded = module.encode_only(*source.take(np.arange(5)))
    assert len(encoded) == 5 and all(len(bytes(item)) > 0 for item in encoded)
