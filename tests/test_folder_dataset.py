"""The folder dataset on real image files written with Pillow: every format and mode to RGB, the sorted order,
center_crop and pad geometry, resize none, the fingerprint, and one clear message for each bad input."""

import os
import re

import numpy as np
import pytest
from image_folders import halves, mixed_folder, photo, save
from PIL import Image

from imgbench import config, datasets
from imgbench.config import ConfigError
from imgbench.datasets import _pictures, folder
from imgbench.errors import BenchmarkError


def folder_config(root, **keys) -> dict:
    """config["dataset"] for a folder, validated as the Snakefile does (defaults filled in)."""
    return config.validate({"dataset": {"source": "folder", "path": str(root), **keys}})["dataset"]


def problem(root, **keys) -> str:
    with pytest.raises(ConfigError) as failure:
        folder_config(root, **keys)
    return str(failure.value)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    return root, mixed_folder(root)


@pytest.fixture(scope="module")
def prepared(mixed, tmp_path_factory):
    root, files = mixed
    out = tmp_path_factory.mktemp("source")
    info = datasets.prepare(folder_config(root, image_size=[40, 56]), {}, out, seed=0)
    return out, info


def test_every_file_becomes_one_rgb_image_labelled_by_its_sorted_class_folder(mixed, prepared):
    root, files = mixed
    out, info = prepared
    images, labels = np.load(out / "images.npy", mmap_mode="r"), np.load(out / "labels.npy")
    assert images.shape == (30, 40, 56, 3) and info["count"] == 30 and info["image_shape"] == [40, 56, 3]
    assert (out / "classes.txt").read_text() == "cats\ndogs\nzebras\n" and info["classes"] == ["cats", "dogs", "zebras"]
    assert list(labels) == [0] * 12 + [1] * 9 + [2] * 9  # .DS_Store and .hidden/ are ignored
    assert info["origin"]["modes"] == {"1": 1, "CMYK": 2, "I;16": 1, "L": 1, "LA": 1, "P": 2, "RGB": 21, "RGBA": 1}
    assert info["origin"]["upscaled"] == 5  # 45 x 60, 20 x 16, 50 x 50, 40 x 90 and 50 x 85 to cover 56 x 40
    assert info["origin"]["resize"] == "center_crop" and info["origin"]["path"] == str(root)


def test_files_are_taken_in_the_sorted_order_of_their_paths(mixed, prepared):
    root, files = mixed
    out, _ = prepared
    listed = [file.path for file in folder.image_files(root, folder.class_names(root))]
    assert listed[:12] == ["cats/bilevel.png", *[f"cats/cat_{k}.jpg" for k in range(8)], "cats/cmyk.jpg",
                           "cats/grey.png", "cats/more/deep.png"]  # fmt: skip
    assert listed[12] == "dogs/animated.gif" and listed[-1] == "zebras/z08.png"
    images = np.load(out / "images.npy", mmap_mode="r")
    for index in (1, 20, 29):  # a JPEG, a WebP, a PNG: each where its path sorts
        expected = _pictures.load(root / listed[index], 40, 56, "center_crop").array
        np.testing.assert_array_equal(images[index], expected)


def loaded(path, resize="none", size=None):
    with Image.open(path) as image:
        width, height = size or image.size
    return _pictures.load(path, height, width, resize).array.astype(int)


def test_modes_are_converted_to_rgb(mixed):
    _, files = mixed
    rgba = loaded(files["rgba"])
    assert rgba[:, :30].max() == 0  # fully transparent: the black background
    with Image.open(files["rgba"]) as image:
        np.testing.assert_array_equal(rgba[:, 30:], np.asarray(image.convert("RGB"))[:, 30:])
    grey16 = loaded(files["grey16"])
    with Image.open(files["grey16"]) as image:
        np.testing.assert_array_equal(grey16[..., 1], np.rint(np.asarray(image) / 257))  # scaled, not clipped
    assert grey16.max() > 200
    with Image.open(files["cmyk_tiff"]) as image:
        np.testing.assert_array_equal(loaded(files["cmyk_tiff"]), np.asarray(image.convert("RGB")))
    grey = loaded(files["grey"])
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 1] == grey[..., 2]).all()
    with Image.open(files["gif"]) as image:
        first_frame = np.asarray(image.convert("RGB"))
    np.testing.assert_array_equal(loaded(files["gif"]), first_frame)


def test_the_exif_orientation_is_applied(mixed):
    _, files = mixed
    assert _pictures.oriented_size(files["rotated"]) == (120, 80)  # stored 80 wide and 120 high
    assert loaded(files["rotated"], size=(120, 80)).shape == (80, 120, 3)


def test_center_crop_keeps_the_centre_of_the_image(tmp_path):
    """100 x 50, red left half: cropped to 50 x 50, the left 25 columns are red and the right 25 green."""
    path = save(halves(100, 50), tmp_path / "halves.png")
    square = loaded(path, "center_crop", (50, 50))
    assert square.shape == (50, 50, 3)
    assert (square[:, :24] == (255, 0, 0)).all() and (square[:, 26:] == (0, 255, 0)).all()
    smaller = loaded(path, "center_crop", (20, 20))  # scaled by 0.4 first: 40 x 20, then the middle 20 columns
    assert (smaller[:, :8, 0] > 250).all() and (smaller[:, 12:, 1] > 250).all()


def test_pad_fits_the_whole_image_on_black(tmp_path):
    """100 x 50 into 50 x 50: scaled to 50 x 25, rows 12 to 36, black above and below."""
    path = save(halves(100, 50), tmp_path / "halves.png")
    padded = loaded(path, "pad", (50, 50))
    assert padded[:12].max() == 0 and padded[37:].max() == 0
    assert (padded[13:36, :23, 0] > 250).all() and (padded[13:36, 27:, 1] > 250).all()
    wide = loaded(path, "pad", (200, 50))  # 4:1, wider than the image's 2:1: black bars left and right
    assert wide.shape == (50, 200, 3) and wide[:, :50].max() == 0 and wide[:, 150:].max() == 0
    assert (wide[:, 50:99] == (255, 0, 0)).all() and (wide[:, 101:150] == (0, 255, 0)).all()


@pytest.mark.parametrize("resize", ["center_crop", "pad"])
def test_any_size_goes_to_any_size(resize):
    """160 x 107 (a 640 x 427 JPEG decoded at 1/4) to 32 x 32 once put a box edge at -1e-14, which Pillow refuses."""
    for width, height in [(160, 107), (640, 427), (1, 1), (3, 500), (500, 3), (33, 32)]:
        for target_height, target_width in [(32, 32), (17, 64), (224, 224)]:
            fitted = _pictures.fitted(Image.new("RGB", (width, height)), target_height, target_width, resize)
            assert fitted.size == (target_width, target_height)


def test_a_large_jpeg_decoded_at_a_reduced_scale_looks_the_same(tmp_path):
    path = save(photo(640, 427, 7), tmp_path / "large.jpg", quality=95)
    reduced = _pictures.load(path, 32, 32, "center_crop").array.astype(int)
    with Image.open(path) as image:  # decoded in full, then resized
        full = np.asarray(_pictures.fitted(image.convert("RGB"), 32, 32, "center_crop")).astype(int)
    assert np.abs(reduced - full).mean() < 3


def test_upscaling_is_allowed_and_counted(tmp_path):
    root = tmp_path / "photos"
    save(photo(20, 10, 0), root / "a" / "small.png")
    save(photo(200, 100, 1), root / "a" / "large.png")
    info = datasets.prepare(folder_config(root, image_size=[30, 30]), {}, tmp_path / "out", seed=0)
    assert info["count"] == 2 and info["origin"]["upscaled"] == 1


def test_resize_none_takes_the_size_of_the_first_file(tmp_path):
    root = tmp_path / "photos"
    for k, name in enumerate(["b", "a"]):
        save(photo(30, 20, k), root / name / f"{k}.png")
    dataset_config = folder_config(root, resize="none")
    assert datasets.image_shape(dataset_config) == (20, 30, 3)
    datasets.prepare(dataset_config, {}, tmp_path / "out", seed=0)
    with Image.open(root / "a" / "1.png") as image:
        np.testing.assert_array_equal(np.load(tmp_path / "out" / "images.npy")[0], np.asarray(image))


def test_resize_none_with_two_sizes_names_two_files(tmp_path):
    root = tmp_path / "photos"
    save(photo(30, 20, 0), root / "a" / "1.png")
    save(photo(30, 20, 1), root / "a" / "2.png")
    save(photo(31, 20, 2), root / "b" / "3.png")
    with pytest.raises(BenchmarkError) as failure:
        datasets.prepare(folder_config(root, resize="none"), {}, tmp_path / "out", seed=0)
    assert str(failure.value) == (
        f"dataset.resize is none, but {root}/a/1.png is 30 x 20 and {root}/b/3.png is 31 x 20 (width x "
        "height); set dataset.resize to center_crop or pad (with a dataset.image_size) or make all images one size"
    )
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------- bad input: one message each


def test_a_path_that_does_not_exist(tmp_path):
    assert problem(tmp_path / "nowhere", image_size=[8, 8]) == (
        f"invalid configuration:\n  config key 'dataset.path': {tmp_path}/nowhere does not exist; set dataset.path "
        "to a folder with one subfolder of images per class (root/<class>/<image file>)"
    )


def test_a_file_instead_of_a_folder(tmp_path):
    save(photo(8, 8, 0), tmp_path / "one.png")
    assert f"{tmp_path}/one.png is a file, not a folder" in problem(tmp_path / "one.png", image_size=[8, 8])


def test_an_empty_folder(tmp_path):
    (tmp_path / ".DS_Store").write_bytes(b"")  # hidden files do not count
    message = problem(tmp_path, image_size=[8, 8])
    assert f"config key 'dataset.path': {tmp_path} is empty; put the images in it as" in message


def test_a_folder_without_class_subfolders(tmp_path):
    save(photo(8, 8, 0), tmp_path / "b.png")
    save(photo(8, 8, 0), tmp_path / "a.png")
    assert f"{tmp_path} has no class subfolders, only files (such as a.png)" in problem(tmp_path, image_size=[8, 8])


def test_more_classes_than_uint8_labels(tmp_path):
    for k in range(257):
        (tmp_path / f"class{k:03}").mkdir()
    assert "has 257 class subfolders; labels are uint8, so at most 256 classes" in problem(tmp_path, image_size=[8, 8])


@pytest.mark.parametrize(
    ("image_size", "expected"),
    [
        ([0, 32], r"'dataset.image_size\[0\]': 0 is less than the minimum of 1"),
        ([32], r"'dataset.image_size': \[32\] is too short"),
        ([32, 32, 3], r"'dataset.image_size': \[32, 32, 3\] is too long"),
        ([32.0, 32], r"'dataset.image_size\[0\]': 32.0 is not of type 'integer'"),
        ("32x32", r"'dataset.image_size': '32x32' is not of type 'array'"),
    ],
)
def test_an_image_size_that_is_not_two_positive_integers(tmp_path, image_size, expected):
    save(photo(8, 8, 0), tmp_path / "a" / "1.png")
    message = problem(tmp_path, image_size=image_size)
    assert re.search(expected, message), message
    assert "[height, width] of every image, two positive integers" in message


def test_center_crop_needs_an_image_size(tmp_path):
    save(photo(8, 8, 0), tmp_path / "a" / "1.png")
    assert "config key 'dataset.image_size' is required here" in problem(tmp_path)


def test_an_unreadable_file_is_named(tmp_path):
    root, out = tmp_path / "photos", tmp_path / "out"
    save(photo(30, 20, 0), root / "a" / "1.png")
    (root / "a" / "notes.txt").write_text("not an image")
    truncated = save(photo(300, 200, 1), root / "b" / "cut.jpg")
    truncated.write_bytes(truncated.read_bytes()[:2000])
    dataset_config = folder_config(root, image_size=[16, 16])
    with pytest.raises(BenchmarkError) as failure:
        datasets.prepare(dataset_config, {}, out, seed=0)
    message = str(failure.value)
    assert message.startswith(f"Pillow cannot read {root}/a/notes.txt as an image (UnidentifiedImageError: ")
    assert message.endswith("fix or remove it, or set dataset.skip_unreadable: true to skip such files (they are "
                            "counted in source.json)")  # fmt: skip
    (root / "a" / "notes.txt").unlink()
    with pytest.raises(BenchmarkError, match=rf"Pillow cannot read {root}/b/cut.jpg as an image \(OSError: "):
        datasets.prepare(dataset_config, {}, out, seed=0)
    assert not out.exists() or list(out.iterdir()) == []


def test_unreadable_files_can_be_skipped_and_are_counted(tmp_path):
    root = tmp_path / "photos"
    save(photo(30, 20, 0), root / "a" / "1.png")
    (root / "a" / "0-notes.txt").write_text("not an image")
    (root / "b" / "empty.png").parent.mkdir()
    (root / "b" / "empty.png").write_bytes(b"")
    dataset_config = folder_config(root, resize="none", skip_unreadable=True)
    assert datasets.image_shape(dataset_config) == (20, 30, 3)  # from the first readable file
    info = datasets.prepare(dataset_config, {}, tmp_path / "out", seed=0)
    assert info["count"] == 1 and info["classes"] == ["a", "b"]
    assert info["origin"]["skipped_unreadable"] == 2
    assert info["origin"]["skipped_files"] == ["a/0-notes.txt", "b/empty.png"]
    assert np.load(tmp_path / "out" / "images.npy", mmap_mode="r").shape == (1, 20, 30, 3)


def test_resize_none_with_an_unreadable_first_file_is_a_config_problem(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.png").write_bytes(b"\x89PNG broken")
    assert f"Pillow cannot read {tmp_path}/a/1.png as an image" in problem(tmp_path, resize="none")


def test_a_class_folder_without_files(tmp_path):
    root = tmp_path / "photos"
    save(photo(8, 8, 0), root / "a" / "1.png")
    (root / "b" / ".hidden").mkdir(parents=True)
    with pytest.raises(BenchmarkError, match=rf"the class folder {root}/b holds no file; add images to it or"):
        datasets.prepare(folder_config(root, image_size=[8, 8]), {}, tmp_path / "out", seed=0)


def test_a_failed_preparation_keeps_the_source_already_there(tmp_path):
    save(photo(30, 20, 0), tmp_path / "photos" / "a" / "1.png")
    out = tmp_path / "out"
    datasets.prepare(folder_config(tmp_path / "photos", image_size=[8, 8]), {}, out, seed=0)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (tmp_path / "photos" / "a" / "2.png").write_bytes(b"broken")
    with pytest.raises(BenchmarkError, match="Pillow cannot read"):
        datasets.prepare(folder_config(tmp_path / "photos", image_size=[8, 8]), {}, out, seed=0)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ---------------------------------------------------------------- what makes Snakemake prepare it again


def test_the_fingerprint_follows_the_files_and_nothing_else(tmp_path):
    first = save(photo(30, 20, 0), tmp_path / "a" / "1.png")
    dataset_config = folder_config(tmp_path, image_size=[8, 8])
    params = datasets.rerun_params(dataset_config, seed=0)
    assert params == datasets.rerun_params(dataset_config, seed=5)  # the seed does not change a folder
    assert set(params) == {"source", "path", "files", "image_size", "resize", "skip_unreadable"}

    def changed() -> bool:
        nonlocal params
        new = datasets.rerun_params(dataset_config, seed=0)
        was, params = params, new
        return new != was

    assert not changed()
    save(photo(30, 20, 1), tmp_path / "a" / "2.png")
    assert changed()  # a file added
    os.utime(first, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns + 10**9))
    assert changed()  # a file rewritten
    first.rename(tmp_path / "a" / "0.png")
    assert changed()  # a file renamed
    (tmp_path / "a" / ".DS_Store").write_bytes(b"x")
    assert not changed()  # hidden files do not count
    assert datasets.rerun_params(dataset_config | {"resize": "pad"}, 0) != params
