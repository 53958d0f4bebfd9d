"""The datasets: the registry and its contract, the source files (all four or none), synthetic images of any
size that compress like photographs, cifar10 from the archive, and folders of real image files."""

import io
import json
import types

import numpy as np
import pytest
from PIL import Image

from conftest import write_synthetic_source
from imgbench import cifar_archive, config, datasets
from imgbench.datasets import _writer, base, synthetic
from imgbench.datasets._writer import SourceWriter
from imgbench.errors import BenchmarkError

# ---------------------------------------------------------------- registry and contract


def test_every_dataset_is_listed_and_fulfils_the_contract():
    assert datasets.available() == ["cifar10", "folder", "synthetic"]
    for name in datasets.available():
        module = datasets.load(name)
        assert base.missing_members(module) == [], name
        assert set(module.INPUTS) <= set(base.RULE_INPUTS), name


def test_download_is_the_old_name_of_cifar10():
    assert datasets.load("download") is datasets.load("cifar10")
    assert datasets.rerun_params({"source": "download", "md5": "AB" * 16}, 0) == {"source": "cifar10", "md5": "ab" * 16}
    assert "download" in config.load_schema()["properties"]["dataset"]["properties"]["source"]["enum"]


def test_an_unknown_dataset_is_answered_with_the_known_ones():
    with pytest.raises(datasets.UnknownDatasetError, match=r"unknown dataset 'imagenet'.*: cifar10, folder, synthetic"):
        datasets.load("imagenet")


def test_a_module_missing_part_of_the_contract_is_named():
    partial = types.ModuleType("partial")
    partial.DESCRIPTION, partial.INPUTS = "half a dataset", ()
    partial.prepare = lambda *args: {}
    missing = base.missing_members(partial)
    assert missing == ["config_problems", "image_shape", "planned_count", "rerun_params"]


# ---------------------------------------------------------------- the source files


def test_the_four_files_appear_together_and_read_back(tmp_path):
    images = np.arange(4 * 5 * 6 * 3, dtype=np.uint8).reshape(4, 5, 6, 3)
    with SourceWriter(tmp_path, "test", (5, 6, 3), 4, ["a", "b"]) as writer:
        writer.append(images[:3], [0, 1, 1])
        writer.append(images[3], 0)
        assert sorted(p.name for p in tmp_path.iterdir()) == [".images.npy.tmp"]
        info = writer.commit({"made": "by hand"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classes.txt", "images.npy", "labels.npy", "source.json"]
    np.testing.assert_array_equal(np.load(tmp_path / "images.npy", mmap_mode="r"), images)
    np.testing.assert_array_equal(np.load(tmp_path / "labels.npy"), [0, 1, 1, 0])
    assert (tmp_path / "classes.txt").read_text() == "a\nb\n"
    assert json.loads((tmp_path / "source.json").read_text()) == info == datasets.read_info(tmp_path)
    assert info == {"dataset": "test", "image_shape": [5, 6, 3], "dtype": "uint8", "count": 4,
                    "classes": ["a", "b"], "origin": {"made": "by hand"}}  # fmt: skip


def test_fewer_images_than_planned_shrink_the_array_in_place(tmp_path):
    """Skipped files leave the array shorter than opened for: its header is rewritten, the file truncated."""
    images = np.full((9, 4, 4, 3), 7, np.uint8)
    with SourceWriter(tmp_path, "test", (4, 4, 3), 1000, ["only"]) as writer:
        writer.append(images, np.zeros(9))
        writer.commit({})
    loaded = np.load(tmp_path / "images.npy", mmap_mode="r")
    assert loaded.shape == (9, 4, 4, 3) and loaded.offset % 64 == 0
    np.testing.assert_array_equal(loaded, images)
    assert (tmp_path / "images.npy").stat().st_size == loaded.offset + images.nbytes


def test_a_failure_leaves_what_was_there_and_no_temporary_file(tmp_path):
    write_synthetic_source(tmp_path, 8, 8, 5)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(RuntimeError), SourceWriter(tmp_path, "test", (8, 8, 3), 10, ["x"]) as writer:
        writer.append(np.zeros((2, 8, 8, 3), np.uint8), [0, 0])
        raise RuntimeError("the dataset failed half-way")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ([f"c{k}" for k in range(257)], "257 classes, more than the 256 that uint8 labels can number"),
        (["two\nlines"], "cannot be one line of classes.txt"),
        ([], "at least one class"),
    ],
)
def test_classes_that_labels_or_classes_txt_cannot_hold_are_refused(tmp_path, classes, message):
    with pytest.raises(BenchmarkError, match=message):
        SourceWriter(tmp_path, "test", (4, 4, 3), 1, classes)
    assert list(tmp_path.iterdir()) == []


def test_wrong_images_or_labels_are_refused(tmp_path):
    with SourceWriter(tmp_path, "test", (4, 4, 3), 3, ["a", "b"]) as writer:
        with pytest.raises(ValueError, match="labels must be 0 to 1"):
            writer.append(np.zeros((1, 4, 4, 3), np.uint8), [2])
        with pytest.raises(ValueError, match=r"expected n x \(4, 4, 3\) uint8"):
            writer.append(np.zeros((1, 4, 5, 3), np.uint8), [0])
        with pytest.raises(ValueError, match="more than the 3 images"):
            writer.append(np.zeros((4, 4, 4, 3), np.uint8), [0] * 4)


def test_npy_header_rewritten_shorter_keeps_its_length():
    long = _writer.npy_header((100_000, 224, 224, 3))
    assert len(long) % 64 == 0
    assert len(_writer.npy_header((9, 224, 224, 3), len(long))) == len(long)


# ---------------------------------------------------------------- synthetic


def test_a_synthetic_source_of_any_size(tmp_path):
    dataset_config = config.validate({"dataset": {"source": "synthetic", "image_size": [48, 64], "count": 300}})
    dataset_config = dataset_config["dataset"]
    assert datasets.image_shape(dataset_config) == (48, 64, 3)
    info = datasets.prepare(dataset_config, {}, tmp_path, seed=3)
    images, labels = np.load(tmp_path / "images.npy", mmap_mode="r"), np.load(tmp_path / "labels.npy")
    assert images.shape == (300, 48, 64, 3) and images.dtype == np.uint8
    assert labels.dtype == np.uint8 and set(labels) == set(range(10))
    assert (tmp_path / "classes.txt").read_text().splitlines() == synthetic.CLASSES
    assert info["image_shape"] == [48, 64, 3] and info["count"] == 300
    assert info["origin"] == {"generator": "imgbench.datasets.synthetic", "seed": 3, "image_size": [48, 64],
                              "count": 300}  # fmt: skip


def test_synthetic_defaults_to_cifar_size_and_count():
    dataset_config = config.validate({"dataset": {"source": "synthetic"}})["dataset"]
    assert datasets.image_shape(dataset_config) == (32, 32, 3)
    assert datasets.planned_count(dataset_config) == 50_000


def test_synthetic_images_depend_on_the_seed_and_a_larger_count_only_adds_images(tmp_path):
    """Batches come from their own generators, so count 100 is the start of count 1200 (three batches)."""
    per_batch = synthetic.batch_images(64, 64)
    assert 2 * per_batch < 1200
    small = write_synthetic_source(tmp_path / "small", 64, 64, 100)
    large = write_synthetic_source(tmp_path / "large", 64, 64, 1200)
    again = write_synthetic_source(tmp_path / "again", 64, 64, 1200)
    other = write_synthetic_source(tmp_path / "other", 64, 64, 100, seed=1)
    load = lambda d, name="images.npy": np.load(d / name)  # noqa: E731
    np.testing.assert_array_equal(load(large)[:100], load(small))
    np.testing.assert_array_equal(load(large, "labels.npy")[:100], load(small, "labels.npy"))
    assert (large / "images.npy").read_bytes() == (again / "images.npy").read_bytes()
    assert not np.array_equal(load(other), load(small))
    assert not np.array_equal(load(large)[:per_batch], load(large)[per_batch : 2 * per_batch])


def png_ratio(images: np.ndarray) -> float:
    """Mean PNG size (Pillow's defaults) over raw size."""
    sizes = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        sizes.append(len(buffer.getvalue()))
    return float(np.mean(sizes)) / images[0].size


def test_synthetic_images_compress_like_photographs_at_every_size():
    """Neither flat colour (tiny PNGs) nor noise (incompressible), and, like photographs, better at larger sizes
    (real CIFAR-10 at 32 px: 0.74 of raw; photographs at 256 px: roughly 0.4-0.6)."""
    ratios = {}
    for size, count, band in [(32, 300, (0.65, 0.85)), (64, 80, (0.55, 0.78)), (256, 6, (0.42, 0.65))]:
        images = synthetic.synthetic_images(count, np.random.default_rng(0), size, size)
        ratios[size] = png_ratio(images)
        assert band[0] < ratios[size] < band[1], (size, ratios[size])
        assert images.std(axis=(1, 2, 3)).min() > 10  # no flat images
        assert np.abs(np.diff(images.astype(int), axis=2)).mean() < 40  # smooth regions: noise gives ~85
    assert ratios[32] > ratios[64] > ratios[256]


# ---------------------------------------------------------------- cifar10


def test_cifar10_checks_the_md5_and_records_where_the_archive_came_from(archive, tmp_path):
    md5 = cifar_archive.md5_of(archive)
    dataset_config = {"source": "cifar10", "url": "https://example.invalid/c.tar.gz", "md5": md5.upper()}
    info = datasets.prepare(dataset_config, {"archive": archive}, tmp_path / "ok", seed=0)
    assert info["dataset"] == "cifar10" and info["image_shape"] == [32, 32, 3] and info["count"] == 200
    assert info["classes"][0] == "airplane" and len(info["classes"]) == 10
    assert info["origin"] == {"archive": str(archive), "url": dataset_config["url"], "md5": md5}
    with pytest.raises(BenchmarkError, match="checksum mismatch"):
        datasets.prepare(dataset_config | {"md5": "0" * 32}, {"archive": archive}, tmp_path / "bad", seed=0)
    assert not (tmp_path / "bad").exists()


def test_cifar10_refuses_another_image_size():
    dataset_config = config.load_file(config.SCHEMA.parents[2] / "config" / "config.yaml")
    dataset_config["dataset"]["image_size"] = [64, 64]
    with pytest.raises(config.ConfigError, match=r"'dataset.image_size': \[64, 64\] cannot apply to cifar10"):
        config.validate(dataset_config)
