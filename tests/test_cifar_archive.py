"""The CIFAR-10 archive: layout and orientation, the synthetic stand-in, and unpickling (checked) into a source."""

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from conftest import archive_with_batch
from imgbench import cifar_archive
from imgbench.errors import BenchmarkError


def test_rows_are_channel_planar_and_row_major():
    """A CIFAR row is 1024 red values (row by row), then green, then blue; check against known content."""
    red = np.zeros((32, 32), np.uint8)
    red[0, :] = 255  # top row red
    green = np.zeros((32, 32), np.uint8)
    green[:, 0] = 200  # left column green
    blue = np.zeros((32, 32), np.uint8)
    blue[31, 31] = 100  # bottom-right pixel blue
    row = np.concatenate([red.ravel(), green.ravel(), blue.ravel()])[None, :]
    image = cifar_archive.from_rows(row)[0]
    assert image.shape == (32, 32, 3)
    assert tuple(image[0, 5]) == (255, 0, 0)
    assert tuple(image[5, 0]) == (0, 200, 0)
    assert tuple(image[0, 0]) == (255, 200, 0)
    assert tuple(image[31, 31]) == (0, 0, 100)
    np.testing.assert_array_equal(cifar_archive.to_rows(cifar_archive.from_rows(row)), row)


def test_synthetic_archive_has_cifar_layout(archive):
    with tarfile.open(archive, "r:gz") as tar:
        names = set(tar.getnames())
        members = [*cifar_archive.TRAIN_BATCHES, "test_batch", "batches.meta"]
        expected = {f"cifar-10-batches-py/{name}" for name in members}
        assert names == expected
        batch = pickle.load(tar.extractfile("cifar-10-batches-py/data_batch_1"), encoding="bytes")
        meta = pickle.load(tar.extractfile("cifar-10-batches-py/batches.meta"), encoding="bytes")
    assert set(batch) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert batch[b"data"].dtype == np.uint8 and batch[b"data"].shape[1] == 3072
    assert len(batch[b"labels"]) == len(batch[b"filenames"]) == len(batch[b"data"])
    assert set(batch[b"labels"]) <= set(range(10))
    assert meta[b"label_names"][0] == b"airplane"


def test_synthetic_archive_is_repeatable(archive, tmp_path):
    again = tmp_path / "again.tar.gz"
    cifar_archive.write_synthetic_archive(again, seed=0, batch_images=40)
    assert cifar_archive.md5_of(again) == cifar_archive.md5_of(archive)
    other = tmp_path / "other.tar.gz"
    cifar_archive.write_synthetic_archive(other, seed=1, batch_images=40)
    assert cifar_archive.md5_of(other) != cifar_archive.md5_of(archive)


def test_unpickle_gives_training_images_in_order(archive, source_dir):
    images = np.load(source_dir / "images.npy", mmap_mode="r")
    labels = np.load(source_dir / "labels.npy")
    assert images.shape == (200, 32, 32, 3) and images.dtype == np.uint8 and len(labels) == 200
    assert (source_dir / "classes.txt").read_text().splitlines()[:2] == ["airplane", "automobile"]
    with tarfile.open(archive, "r:gz") as tar:
        second = pickle.load(tar.extractfile("cifar-10-batches-py/data_batch_2"), encoding="bytes")
    np.testing.assert_array_equal(images[40:80], cifar_archive.from_rows(second[b"data"]))
    np.testing.assert_array_equal(labels[40:80], second[b"labels"])


def repacked(archive, tmp_path, order) -> Path:
    """The archive's members rewritten in another order (names from order; others dropped)."""
    with tarfile.open(archive, "r:gz") as tar:
        contents = {member.name.rsplit("/", 1)[-1]: tar.extractfile(member).read() for member in tar if member.isfile()}
    path = tmp_path / "repacked.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name in order:
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(contents[name])
            tar.addfile(info, io.BytesIO(contents[name]))
    return path


def test_unpickle_does_not_depend_on_the_order_of_members(archive, source_dir, tmp_path):
    """The real CIFAR-10 archive holds its batches out of order; one pass must still put them in order."""
    real_order = ["data_batch_4", "test_batch", "data_batch_3", "batches.meta", "data_batch_2", "data_batch_5",
                  "data_batch_1"]  # fmt: skip
    cifar_archive.unpickle_archive(repacked(archive, tmp_path, real_order), tmp_path / "out")
    for name in ("images.npy", "labels.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / "out" / name), np.load(source_dir / name))


def test_an_archive_without_a_training_batch_is_refused(archive, tmp_path):
    order = ["data_batch_1", "data_batch_2", "data_batch_4", "data_batch_5", "test_batch"]
    with pytest.raises(BenchmarkError, match="has no cifar-10-batches-py/data_batch_3: it is not the CIFAR-10"):
        cifar_archive.unpickle_archive(repacked(archive, tmp_path, order), tmp_path / "out")
    assert not (tmp_path / "out" / "images.npy").exists()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda b: b | {b"labels": b[b"labels"] + [1, 2, 3, 4]}, "has 40 image rows but 44 labels"),
        (lambda b: b | {b"labels": b[b"labels"][:36]}, "has 40 image rows but 36 labels"),
        (lambda b: b | {b"labels": [10] + b[b"labels"][1:]}, "has label 10 (CIFAR-10 labels are 0 to 9)"),
        (lambda b: b | {b"labels": b[b"labels"][:-1] + [-1]}, "has label -1 (CIFAR-10 labels are 0 to 9)"),
        (lambda b: b | {b"labels": [0.5] * 40}, "has labels that are not whole numbers"),
        (lambda b: b | {b"data": b[b"data"][:, :3000]}, "has image data of shape (40, 3000), not (N, 3072)"),
        (lambda b: b | {b"data": b[b"data"][0]}, "has image data of shape (3072,), not (N, 3072)"),
        (lambda b: b | {b"data": b[b"data"].astype(np.int16) + 200}, "has image values outside 0 to 255"),
        (lambda b: b | {b"data": b[b"data"].astype(np.float32)}, "has image data of type float32, not uint8"),
        (lambda b: {b"labels": b[b"labels"]}, "has no data or no labels"),
        (lambda b: b"not a pickle", "cannot be unpickled"),
    ],
    ids=["more_labels", "fewer_labels", "label_10", "label_minus_1", "float_labels", "short_rows", "one_row",
         "values_over_255", "float_data", "no_data", "not_a_pickle"],
)  # fmt: skip
def test_a_bad_batch_is_named_and_leaves_nothing(archive, tmp_path, change, problem):
    """More labels than rows once gave zero-filled images; fewer gave a numpy traceback and a .tmp file."""
    bad = archive_with_batch(archive, tmp_path / "bad.tar.gz", "data_batch_3", change)
    out = tmp_path / "out"
    with pytest.raises(BenchmarkError) as failure:
        cifar_archive.unpickle_archive(bad, out)
    message = str(failure.value)
    assert f"the archive {bad} is not an intact CIFAR-10 python archive: data_batch_3 {problem}" in message
    assert "Replace it" in message
    assert not out.exists() or list(out.iterdir()) == []


def test_no_temporary_file_is_left_when_writing_fails(archive, tmp_path):
    out = tmp_path / "out"
    (out / "images.npy").mkdir(parents=True)  # os.replace cannot put the new file over a directory
    with pytest.raises(OSError):
        cifar_archive.unpickle_archive(archive, out)
    assert [p.name for p in out.iterdir()] == ["images.npy"]


def damaged_copies(archive: Path) -> dict[str, bytes]:
    data = archive.read_bytes()
    crc = len(data) - 8  # gzip ends with the CRC-32 of the content, then its length
    return {
        "truncated": data[: len(data) // 2],
        "wrong_crc": data[:crc] + bytes([data[crc] ^ 0xFF]) + data[crc + 1 :],
        "not_gzip": b"<html>Not Found</html>",
        "empty": b"",
    }


@pytest.mark.parametrize("damage", ["truncated", "wrong_crc", "not_gzip", "empty"])
def test_a_damaged_archive_is_named(archive, tmp_path, damage):
    """A damaged archive whose md5 was set to match must give a message, not a tarfile/gzip traceback."""
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(damaged_copies(archive)[damage])
    with pytest.raises(BenchmarkError, match=rf"the archive {damaged} is truncated or damaged \(.+\)\. Replace it"):
        cifar_archive.unpickle_archive(damaged, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_placed_archive_is_still_checked(archive):
    with pytest.raises(BenchmarkError, match="checksum mismatch"):
        cifar_archive.check_md5(archive, "c58f30108f718f92721af3b95e74349a")
    cifar_archive.check_md5(archive, cifar_archive.md5_of(archive))
