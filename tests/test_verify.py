"""Read-back verification: what a read returns must equal the source, or the job fails naming the images."""

import numpy as np
import pytest

from conftest import make_job
from imgbench import reading, storing, verify
from imgbench.errors import BenchmarkError
from imgbench.timer import Overhead

N = 300


def test_matching_reads_pass_including_repeated_indices(source):
    indices = np.array([5, len(source) + 5, 17, 0])  # image i is source image i % len(source)
    images, labels = source.take(indices)
    verify.verify(verify.Reference(source), indices, images.copy(), labels.copy(), "test")
    verify.verify(
        verify.Reference(source), indices[:1], images[:1].copy(), labels[:1].copy(), "test"
    )  # smaller after larger


def test_one_changed_pixel_names_the_image(source):
    indices = np.arange(100, 140)
    images, labels = source.take(indices)
    images[7, 31, 0, 2] ^= 1
    with pytest.raises(BenchmarkError, match=r"differ from the source \(first bad images: \[107\]\)"):
        verify.verify(verify.Reference(source), indices, images, labels, "test")


def test_a_wrong_label_fails(source):
    indices = np.arange(10)
    images, labels = source.take(indices)
    labels[3] = (labels[3] + 1) % 10
    with pytest.raises(BenchmarkError, match=r"first bad images: \[3\]"):
        verify.verify(verify.Reference(source), indices, images, labels, "test")


def test_a_wrong_shape_fails(source):
    indices = np.arange(10)
    images, labels = source.take(indices)
    with pytest.raises(BenchmarkError, match=r"read \(10, 32, 32\) uint8, expected \(10, 32, 32, 3\)"):
        verify.verify(verify.Reference(source), indices, images[..., 0].copy(), labels, "test")


def test_a_corrupted_store_fails_the_read(source, tmp_path):
    """A real npy store with one byte flipped on disk: the timed read job must stop with the image's index."""
    job = make_job("npy", source, min_repeats=1, max_repeats=1, warmup_runs=0, chunk_images=64, caches=("cold",))
    path = tmp_path / "store"
    storing.measure_store(job, "store_many", N, path)
    (stored,) = [file for file in path.iterdir() if file.suffix == ".npy" and "label" not in file.name]
    data = bytearray(stored.read_bytes())
    data[-3072 * 10] ^= 0xFF  # a byte of image N - 10
    stored.write_bytes(bytes(data))
    with pytest.raises(BenchmarkError, match=rf"first bad images: \[{N - 10}\]"):
        reading.measure_reads(job, "read_many", N, path, [reading.Pattern()])


SOURCE_IMAGES = 200  # conftest: 5 batches of 40


@pytest.mark.parametrize(
    ("indices", "is_view"),
    [((10, 50), True), ((SOURCE_IMAGES + 4, SOURCE_IMAGES + 9), True), ((SOURCE_IMAGES - 5, SOURCE_IMAGES + 5), False),
     ((3, 0, -1), False), ((7, 8), False)],
    ids=["run", "run-in-second-repetition", "wraps", "descending", "one"],
)  # fmt: skip
def test_expected_equals_take_and_is_a_view_only_for_one_ascending_run(source, indices, is_view):
    """Sequential reads compare against the memory map itself; anything else against a copy."""
    assert len(source) == SOURCE_IMAGES
    indices = np.arange(*indices)
    images, labels = source.expected(indices)
    taken_images, taken_labels = source.take(indices)
    np.testing.assert_array_equal(images, taken_images)
    np.testing.assert_array_equal(labels, taken_labels)
    assert np.shares_memory(images, source.images) == is_view


def test_same_bytes_compares_non_contiguous_arrays_too(source):
    images, _ = source.take(np.arange(20))
    changed = images.copy()
    changed[3, 0, 0, 0] ^= 1
    assert verify.same_bytes(images, images.copy())
    assert not verify.same_bytes(images, changed)
    assert verify.same_bytes(images[::2], images.copy()[::2])  # strided: compared element by element
    assert not verify.same_bytes(images[1::2], changed[1::2])


def test_small_reads_are_verified_in_batches_and_a_bad_one_is_still_named(source):
    """Single-image reads wait for the batch's bytes; the flush at the end checks what is left."""
    verifier = verify.Verifier(verify.Reference(source), "test", Overhead(), batch_bytes=10 * source.image_bytes)
    for index in range(25):
        images, labels = source.take([index])
        if index == 22:
            images[0, 5, 5, 1] ^= 1
        verifier.add([index], images, labels)
    assert len(verifier.pending) == 5  # two batches of ten already compared and passed
    with pytest.raises(BenchmarkError, match=r"first bad images: \[22\]"):
        verifier.flush()


def test_a_read_of_the_wrong_shape_fails_before_batching(source):
    images, labels = source.take(np.arange(3))
    with pytest.raises(BenchmarkError, match=r"read \(3, 32, 32\) uint8"):
        verify.Verifier(verify.Reference(source), "test", Overhead()).add(np.arange(3), images[..., 0].copy(), labels)


def test_a_lossy_read_must_equal_the_decode_of_the_codecs_bytes_and_reach_its_floor(source):
    """jpeg90: the exact source fails (a read cannot give it back), its decode passes with PSNRs recorded."""
    from imgbench import methods

    method = methods.load("files+jpeg90")
    reference = verify.Reference(source, method)
    indices = np.arange(30)
    images, labels = source.take(indices)
    with pytest.raises(BenchmarkError, match="differ from the decode of their codec's bytes"):
        verify.verify(reference, indices, images, labels, "test")
    psnr = verify.verify(reference, indices, method.expected(images), labels, "test")
    assert len(psnr) == 30 and psnr.min() >= method.codec.min_psnr_db


def test_a_codec_under_its_psnr_floor_fails_naming_the_image(source):
    """The same bytes held to a floor these images cannot reach: the read fails with the worst image."""
    import dataclasses

    from imgbench import methods

    method = methods.load("files+jpeg75")
    strict = dataclasses.replace(method, codec=dataclasses.replace(method.codec, min_psnr_db=99.0))
    indices = np.arange(10)
    with pytest.raises(BenchmarkError, match=r"decodes at [0-9.]+ dB PSNR against the source, under jpeg75's floor"):
        verify.verify(verify.Reference(source, strict), indices, method.expected(source.take(indices)[0]),
                      source.take(indices)[1], "test")  # fmt: skip
