"""s3tar+CODEC: tar shards as objects, read by ranged GETs; the runs of a read (no server) and a round trip
against a real SeaweedFS with several shards, concurrent GETs, any order and repeats."""

import json

import numpy as np
import pytest

from conftest import needs_weed
from imgbench import methods
from imgbench.methods.containers.s3tar import runs
from imgbench.methods.containers.tar import INDEX_DTYPE, shard_bytes_per_image


def index(n_images: int, shard_images: int, size: int = 100) -> np.ndarray:
    """An index as the writer makes it: each image's bytes one member pair (1536 + padded size) apart."""
    table = np.zeros(n_images, dtype=INDEX_DTYPE)
    table["shard"] = np.arange(n_images) // shard_images
    table["offset"] = 512 + (np.arange(n_images) % shard_images) * (shard_bytes_per_image(size) - INDEX_DTYPE.itemsize)
    table["size"] = size
    return table


def test_runs_group_consecutive_images_of_one_shard_and_nothing_else():
    table = index(20, 8)
    indices = np.array([0, 1, 2, 7, 8, 9, 5, 5, 4, 12])
    assert runs(table[indices], indices) == [(0, 3), (3, 4), (4, 6), (6, 7), (7, 8), (8, 9), (9, 10)]
    assert runs(table[:0], np.arange(0)) == []


def test_runs_stop_at_the_byte_limit_and_a_large_image_is_a_run_of_its_own():
    table, indices = index(8, 8), np.arange(8)
    pitch = int(table["offset"][1] - table["offset"][0])
    spans = runs(table, indices, limit=2 * pitch)  # two images' pitch: two whole images fit, a third not
    assert spans == [(0, 2), (2, 4), (4, 6), (6, 8)]
    assert runs(table, indices, limit=10) == [(slot, slot + 1) for slot in range(8)]


@needs_weed
def test_a_round_trip_over_several_shards_with_concurrent_ranged_gets(source, tmp_path):
    method, store = methods.load("s3tar+png"), tmp_path / "store"
    store.mkdir()
    with method.serving(store):
        writer = method.writer(store, 250, source.image_shape, True, shard_images=64, concurrency=8)
        for start, images, labels in source.chunks(250, 48):  # chunks that straddle shards
            writer.write(start, images, labels)
        writer.close()
    manifest = json.loads((store / "s3.json").read_text())
    assert manifest["bucket_objects"] == 4 + 1  # four shards and the index
    order = np.random.default_rng(5).permutation(250)
    indices = np.r_[np.arange(250), order, [7, 7, 249, 63, 64]]  # sequential, random, repeats, a shard's edge
    with method.serving(store):
        reader = method.reader(store)
        try:
            assert reader.concurrency == 8
            images, labels = reader.read(indices)
            empty, no_labels = reader.read(np.arange(0))
        finally:
            reader.close()
    expected_images, expected_labels = source.take(indices)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    assert empty.shape == (0, *source.image_shape) and no_labels.shape == (0,)


@needs_weed
def test_a_shard_written_again_after_its_upload_is_refused(source, tmp_path):
    method, store = methods.load("s3tar+raw"), tmp_path / "store"
    store.mkdir()
    with method.serving(store):
        writer = method.writer(store, 20, source.image_shape, False, shard_images=4, concurrency=1)
        images, labels = source.take(np.arange(20))
        writer.write(8, images[8:12], labels[8:12])
        with pytest.raises(ValueError, match="write in order"):
            writer.write(0, images[:4], labels[:4])
        writer.client.close()
