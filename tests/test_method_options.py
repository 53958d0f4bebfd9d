"""Method options (declared in each METHOD's options): compression, shards, LMDB batches and map growth."""

import importlib
import math
import subprocess
from pathlib import Path

import lmdb
import numpy as np
import pytest

from conftest import method_params
from imgbench import methods

NEW_METHODS = ["lmdb_raw", "hdf5_chunked", "png_lmdb", "png_hdf5", "tar_shards"]


def store(method, path: Path, source, n_images: int, chunk=64, order=None, **options):
    """Store n_images (chunks in the given order of chunk starts, default increasing)."""
    path.mkdir(parents=True, exist_ok=True)
    writer = method.writer(path, n_images, source.image_shape, False, **method.with_defaults(options))
    chunks = list(source.chunks(n_images, chunk))
    for position in order if order is not None else range(len(chunks)):
        writer.write(*chunks[position])
    writer.close()
    return writer


def assert_round_trip(method, path: Path, source, n_images: int) -> None:
    reader = method.reader(path)
    try:
        for indices in (
            np.arange(n_images),
            np.random.default_rng(2).permutation(n_images)[:77],
            [n_images - 1, 3, n_images // 2, 3, n_images // 2 + 1],  # scattered, repeated, unsorted
        ):
            images, labels = reader.read(np.asarray(indices))
            expected_images, expected_labels = source.take(indices)
            np.testing.assert_array_equal(images, expected_images)
            np.testing.assert_array_equal(labels, expected_labels)
    finally:
        reader.close()


def test_new_methods_are_registered():
    assert set(NEW_METHODS) <= set(methods.available())


@pytest.mark.parametrize("method", methods.available())
def test_unknown_option_is_named_with_what_the_method_accepts(method):
    loaded = methods.load(method)
    accepted = ", ".join(loaded.options) or "none"
    assert loaded.option_problems({"no_such_option": 1}) == [
        f"unknown option 'no_such_option'; this method accepts: {accepted}"
    ]


@pytest.mark.parametrize("method", method_params(methods.available()))
def test_declared_defaults_are_what_the_writer_gets(method, source, tmp_path):
    loaded = methods.load(method)
    with loaded.serving(tmp_path):
        writer = loaded.writer(tmp_path, 10, source.image_shape, False, **loaded.with_defaults({}))
        writer.close()
    assert set(loaded.with_defaults({})) == set(loaded.options)


# ---------------------------------------------------------------- hdf5_chunked


@pytest.mark.parametrize(
    "options",
    [{}, {"compression": "none"}, {"compression": "lzf"}, {"compression": "gzip"},
     {"compression": "gzip", "compression_opts": 9}],
)  # fmt: skip
def test_hdf5_chunked_compression_round_trips(options, source, tmp_path):
    method = methods.load("hdf5_chunked")
    store(method, tmp_path / "store", source, 250, chunk_images=48, **options)
    assert_round_trip(method, tmp_path / "store", source, 250)


class Posterized:
    """The source with the low 4 bits of every pixel cleared: the same pictures, less sensor noise."""

    def __init__(self, source):
        self.source = source
        self.image_shape = source.image_shape

    def take(self, indices):
        images, labels = self.source.take(indices)
        return images & 0xF0, labels

    def chunks(self, n_images, chunk_images):
        for start, images, labels in self.source.chunks(n_images, chunk_images):
            yield start, images & 0xF0, labels


def hdf5_file_sizes(source, root: Path) -> dict[str, int]:
    method = methods.load("hdf5_chunked")
    sizes = {}
    for compression in ("none", "lzf", "gzip"):
        path = root / compression
        store(method, path, source, 400, chunk_images=100, compression=compression)
        sizes[compression] = (path / "images.h5").stat().st_size
        assert_round_trip(method, path, source, 400)
    assert sizes["none"] >= 400 * 32 * 32 * 3
    return sizes


def test_hdf5_chunked_compression_makes_smaller_files(source, tmp_path):
    # The source images carry per-pixel noise (sigma 4), which byte-level LZ coders barely touch:
    # gzip still saves a little, lzf nothing, and HDF5 then keeps its chunks raw (never larger).
    sizes = hdf5_file_sizes(source, tmp_path / "source")
    assert sizes["gzip"] < sizes["none"]
    assert sizes["lzf"] <= sizes["none"]
    # Without the noise bits both really compress.
    sizes = hdf5_file_sizes(Posterized(source), tmp_path / "posterized")
    assert sizes["lzf"] < 0.8 * sizes["none"]
    assert sizes["gzip"] < sizes["lzf"]


def test_hdf5_chunked_chunks_are_whole_images_clamped_to_the_store(source, tmp_path):
    import h5py

    method = methods.load("hdf5_chunked")
    for n_images, chunk_images, expected in ((10, 1024, 10), (300, 64, 64)):
        path = tmp_path / str(n_images)
        store(method, path, source, n_images, chunk_images=chunk_images)
        with h5py.File(path / "images.h5", "r") as file:
            assert file["images"].chunks == (expected, 32, 32, 3)


@pytest.mark.parametrize(
    ("options", "expected"),
    [({"compression": "zstd"}, "option 'compression': 'zstd' is not one of 'none', 'lzf', 'gzip'"),
     ({"compression": "lzf", "compression_opts": 4}, "option 'compression_opts' (a gzip level) needs compression"),
     ({"chunk_images": 0}, "option 'chunk_images': 0 is less than the minimum of 1"),
     ({"chunk_images": 2.0}, "option 'chunk_images': 2.0 is not of type int"),
     ({"compression": "gzip", "compression_opts": 12}, "option 'compression_opts': 12 is not one of 0, 1")],
)  # fmt: skip
def test_hdf5_chunked_rejects_bad_options(options, expected):
    problems = methods.load("hdf5_chunked").option_problems(options)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


# ---------------------------------------------------------------- tar_shards


def test_tar_shards_count_and_members(source, tmp_path):
    method = methods.load("tar_shards")
    n_images, shard_images = 250, 64
    path = tmp_path / "store"
    store(method, path, source, n_images, chunk=100, shard_images=shard_images)
    shards = sorted(path.glob("shard-*.tar"))
    assert len(shards) == math.ceil(n_images / shard_images)
    assert [s.name for s in shards] == [f"shard-{k:06d}.tar" for k in range(len(shards))]
    for k, shard in enumerate(shards):
        listed = subprocess.run(["tar", "-tf", str(shard)], capture_output=True, text=True, check=True).stdout
        images = range(k * shard_images, min((k + 1) * shard_images, n_images))
        assert listed.split() == [f"{i:08d}.{ext}" for i in images for ext in ("png", "cls")]
    extracted = subprocess.run(
        ["tar", "-xOf", str(shards[1]), f"{shard_images + 3:08d}.cls"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(extracted) == source.take([shard_images + 3])[1][0]
    assert_round_trip(method, path, source, n_images)


def test_tar_shards_default_is_one_shard_per_10000(source, tmp_path):
    path = tmp_path / "store"
    store(methods.load("tar_shards"), path, source, 30)
    assert [p.name for p in path.glob("*.tar")] == ["shard-000000.tar"]


def test_tar_shards_read_without_index_and_out_of_order_writes(source, tmp_path):
    method = methods.load("tar_shards")
    path = tmp_path / "store"
    store(method, path, source, 250, chunk=50, order=[3, 0, 4, 1, 2], shard_images=64)
    assert_round_trip(method, path, source, 250)
    (path / importlib.import_module("imgbench.methods.containers.tar").INDEX).unlink()  # rebuilt from the tar headers
    assert_round_trip(method, path, source, 250)


# ---------------------------------------------------------------- lmdb_raw / png_lmdb


def committed_transactions(path: Path) -> int:
    env = lmdb.open(str(path), readonly=True, lock=False)
    try:
        return env.info()["last_txnid"]
    finally:
        env.close()


@pytest.mark.parametrize("method", ["lmdb_raw", "png_lmdb"])
def test_lmdb_map_grows_between_transactions(method, source, tmp_path):
    method = methods.load(method)
    path = tmp_path / "store"
    writer = store(method, path, source, 400, chunk=64, batch_images=50, map_bytes=16 * 1024)
    assert writer.map_grows >= 3  # 16 KiB would hold a handful of images
    assert committed_transactions(path) == 8  # the aborted attempts left nothing behind
    assert_round_trip(method, path, source, 400)


def test_lmdb_raw_one_transaction_per_batch(source, tmp_path):
    method = methods.load("lmdb_raw")
    path = tmp_path / "store"
    writer = store(method, path, source, 250, chunk=64, batch_images=30)
    assert writer.map_grows == 0
    assert committed_transactions(path) == math.ceil(250 / 30)
    assert_round_trip(method, path, source, 250)


def test_lmdb_raw_records_are_label_then_raw_pixels(source, tmp_path):
    path = tmp_path / "store"
    store(methods.load("lmdb_raw"), path, source, 20)
    env = lmdb.open(str(path), readonly=True, lock=False)
    with env.begin() as txn:
        keys = [key for key, _ in txn.cursor()]
        value = txn.get((7).to_bytes(4, "big"))
    env.close()
    assert keys == [i.to_bytes(4, "big") for i in range(20)]
    image, label = source.take([7])
    assert value == bytes([label[0]]) + image[0].tobytes()


def test_lmdb_raw_out_of_order_chunks(source, tmp_path):
    method = methods.load("lmdb_raw")
    path = tmp_path / "store"
    store(method, path, source, 250, chunk=50, order=[2, 0, 4, 1, 3], batch_images=40)
    assert_round_trip(method, path, source, 250)
