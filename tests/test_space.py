"""The free-space check: what is counted (dataset and stores apart), the advice, and numbers that differ."""

import re

import pytest

from imgbench import methods, space
from imgbench.errors import BenchmarkError
from imgbench.space import ARCHIVE_BYTES, MARGIN, Planned, SourcePlan

CIFAR = SourcePlan((32, 32, 3), 50_000)  # without the archive
SOURCE_BYTES = 50_000 * (3072 + 1)

NPY_BYTES = methods.load("npy").bytes_per_image(3072)  # a CIFAR image in npy's own estimate


def test_a_run_that_does_not_fit_stops_with_both_parts_named(tmp_path):
    huge = [10**12]  # a trillion images
    with pytest.raises(BenchmarkError) as failure:
        space.check_free_space(tmp_path / "results", ["npy"], huge, 1, CIFAR)
    message = str(failure.value)
    assert re.match(r"not enough disk space in .+: this run needs about [\d.]+ GB, [\d.]+ GB for the dataset", message)
    assert "GB for the stores (npy at cutoffs [1000000000000])" in message
    assert "planned stores" not in message
    assert "remove methods or large cutoffs" in message
    space.check_free_space(tmp_path / "results", ["npy"], [10], 1, CIFAR)


def test_the_dataset_and_the_archive_are_counted_only_when_missing(tmp_path):
    results, archive = tmp_path / "results", tmp_path / "resources" / "cifar-10-python.tar.gz"
    cifar = SourcePlan((32, 32, 3), 50_000, archive)
    assert space.planned_usage(results, ["npy"], [10], 1, cifar).dataset_bytes == int(
        (SOURCE_BYTES + ARCHIVE_BYTES) * MARGIN
    )
    archive.parent.mkdir()
    archive.write_bytes(b"placed")
    assert space.planned_usage(results, ["npy"], [10], 1, cifar).dataset_bytes == int(SOURCE_BYTES * MARGIN)
    (results / "source").mkdir(parents=True)
    (results / "source" / "images.npy").write_bytes(b"unpickled")
    planned = space.planned_usage(results, ["npy"], [1000], 1, cifar)
    assert planned == Planned(dataset_bytes=0, stores_bytes=int(1000 * NPY_BYTES * MARGIN))
    assert space.planned_bytes(results, ["npy"], [1000], 1, cifar) == planned.total_bytes


def test_stores_count_the_extra_passes_of_the_largest_store(tmp_path):
    three = space.planned_usage(tmp_path, ["npy"], [10, 1000], 3, CIFAR).stores_bytes
    assert three == int((10 + 1000 + 2 * 1000) * NPY_BYTES * MARGIN)


def test_the_image_size_sizes_the_source_and_the_stores(tmp_path):
    """The source's bytes and each method's estimate come from the image size (256 x 256 x 3 here)."""
    large = SourcePlan((256, 256, 3), 10_000)
    planned = space.planned_usage(tmp_path, ["npy"], [1000], 1, large)
    assert planned.dataset_bytes == int(10_000 * (256 * 256 * 3 + 1) * MARGIN)
    assert planned.stores_bytes == int(1000 * methods.load("npy").bytes_per_image(256 * 256 * 3) * MARGIN)
    assert planned.stores_bytes > 60 * space.planned_usage(tmp_path, ["npy"], [1000], 1, CIFAR).stores_bytes


def test_stores_in_an_existing_s3_service_take_no_local_disk():
    """With storage.s3.endpoint set to a service, s3 methods' objects go there: only local methods count."""
    chosen = ["s3+png", "s3tar+png", "s3parquet", "files+png", "npy"]
    assert space.on_this_disk(chosen, "https://s3.example.org") == ["files+png", "npy"]
    assert space.on_this_disk(chosen, "local") == chosen  # the pipeline's own server keeps them in results/


def test_the_plan_comes_from_the_dataset_config(tmp_path):
    archive = tmp_path / "archive.tar.gz"
    synthetic = space.source_plan({"source": "synthetic", "image_size": [48, 80], "count": 700}, archive)
    assert synthetic == SourcePlan((48, 80, 3), 700, None)  # nothing to download
    cifar = space.source_plan({"source": "download", "url": "https://x/y", "md5": "0" * 32}, archive)
    assert cifar == SourcePlan((32, 32, 3), 50_000, archive)


def message(dataset_bytes: int, stores_bytes: int, free: int) -> str:
    return space.shortage_message(Planned(dataset_bytes, stores_bytes), free, "/data", ["npy", "lmdb"], [10, 100])


def test_when_the_dataset_alone_does_not_fit_fewer_methods_are_not_advised():
    text = message(dataset_bytes=400_000_000, stores_bytes=1_000_000, free=300_000_000)
    assert text == (
        "not enough disk space in /data: this run needs about 401.0 MB, 400.0 MB for the dataset (its download, "
        "if any, and the source arrays) and 1.0 MB for the stores (npy, lmdb at cutoffs [10, 100]), but only "
        "300.0 MB is free. The dataset alone does not fit: free space or run from a larger filesystem."
    )


def test_when_the_dataset_is_most_of_it_fewer_methods_are_not_advised():
    text = message(dataset_bytes=400_000_000, stores_bytes=10_000_000, free=405_000_000)
    assert text.endswith("The dataset is most of it: free space or run from a larger filesystem.")
    assert "remove methods" not in text


def test_when_the_stores_are_most_of_it_fewer_methods_are_advised():
    text = message(dataset_bytes=0, stores_bytes=30_000_000_000, free=2_000_000_000)
    assert "needs about 30.0 GB, 30.0 GB for the stores (npy, lmdb at cutoffs [10, 100]), but" in text
    assert "for the dataset" not in text
    assert text.endswith(
        "Free space, remove methods or large cutoffs from the config, or run from a larger filesystem."
    )


@pytest.mark.parametrize(
    ("needed", "free", "shown_needed", "shown_free"),
    [
        (520_000_000, 480_000_000, "520.0 MB", "480.0 MB"),  # once "need about 0.5 GB ... only 0.5 GB is free"
        (1_234_560_000, 1_234_490_000, "1.235 GB", "1.234 GB"),
        (40_000_100, 40_000_000, "40.0001 MB", "40.0000 MB"),
    ],
)
def test_needed_and_free_are_printed_with_enough_digits_to_differ(needed, free, shown_needed, shown_free):
    text = message(dataset_bytes=0, stores_bytes=needed, free=free)
    assert f"needs about {shown_needed}," in text and f"but only {shown_free} is free" in text
