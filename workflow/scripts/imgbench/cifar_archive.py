"""The CIFAR-10 python archive: its md5, a synthetic stand-in of the same layout (tests serve it as the
download), and unpickling its training batches (checked) into a source."""

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from imgbench.datasets._writer import SourceWriter
from imgbench.datasets.synthetic import synthetic_images
from imgbench.errors import BenchmarkError

CIFAR_ROW_BYTES = 32 * 32 * 3  # one image in CIFAR-10's channel-planar rows
BATCH_DIR = "cifar-10-batches-py"
IMAGE_SHAPE = (32, 32, 3)
TRAIN_BATCHES = [f"data_batch_{k}" for k in range(1, 6)]
LABEL_NAMES = [
    b"airplane",
    b"automobile",
    b"bird",
    b"cat",
    b"deer",
    b"dog",
    b"frog",
    b"horse",
    b"ship",
    b"truck",
]


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_md5(path: Path, expected: str) -> None:
    """An archive already in place (downloaded or placed by hand) must match dataset.md5; it is never deleted."""
    found = md5_of(path)
    if found != expected.lower():
        raise BenchmarkError(
            f"checksum mismatch for {path}: expected md5 {expected} (dataset.md5), found {found}; the file was "
            "kept. Replace it with the CIFAR-10 python archive, delete it so that the next run downloads it from "
            f"dataset.url, or set dataset.md5 to {found} if this is the archive you mean to use."
        )


# ---------------------------------------------------------------- synthetic stand-in


def to_rows(images: np.ndarray) -> np.ndarray:
    """N x 32 x 32 x 3 RGB to CIFAR's N x 3072 rows: 1024 red, then 1024 green, then 1024 blue, row-major."""
    return images.transpose(0, 3, 1, 2).reshape(len(images), -1)


def from_rows(rows: np.ndarray) -> np.ndarray:
    """CIFAR's N x 3072 channel-planar rows to N x 32 x 32 x 3 RGB."""
    return rows.reshape(len(rows), 3, 32, 32).transpose(0, 2, 3, 1)


def _batch(name: str, label: bytes, rng: np.random.Generator, size: int) -> bytes:
    images = synthetic_images(size, rng)
    labels = rng.integers(0, 10, size=size).tolist()
    batch = {
        b"batch_label": label,
        b"labels": labels,
        b"data": np.ascontiguousarray(to_rows(images)),
        b"filenames": [f"synthetic_{name}_{i:05}.png".encode() for i in range(size)],
    }
    return pickle.dumps(batch, protocol=4)


def write_synthetic_archive(target: Path, seed: int = 0, batch_images: int = 10_000) -> None:
    """A byte-for-byte repeatable archive in the CIFAR-10 python layout (fixed seed and timestamps)."""
    rng = np.random.default_rng(seed)
    members = {
        name: _batch(name, f"training batch {k} of 5".encode(), rng, batch_images)
        for k, name in enumerate(TRAIN_BATCHES, start=1)
    }
    members["test_batch"] = _batch("test", b"testing batch 1 of 1", rng, batch_images)
    meta = {b"num_cases_per_batch": batch_images, b"label_names": LABEL_NAMES, b"num_vis": 3072}
    members["batches.meta"] = pickle.dumps(meta, protocol=4)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with open(partial, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name, payload in members.items():
                info = tarfile.TarInfo(f"{BATCH_DIR}/{name}")
                info.size, info.mtime, info.mode = len(payload), 0, 0o644
                tar.addfile(info, io.BytesIO(payload))
    os.replace(partial, target)


# ---------------------------------------------------------------- unpickle

LABELS = range(10)
REPLACE_ARCHIVE = (
    "Replace it with an intact copy of the CIFAR-10 python archive and set dataset.md5 to that archive's md5 "
    "(or delete it, and the next run downloads it again)."
)
# What a truncated or corrupted gzip/tar stream raises while it is read.
DAMAGED_STREAM = (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error)


def unpickle_archive(archive: Path, out_dir: Path, origin: dict | None = None) -> dict:
    """Write the five training batches as the cifar10 source in out_dir (see datasets/_writer.py); returns what
    source.json holds, whose origin is `origin` (default: the archive's path).

    Every batch is checked first (rows, labels and their count; 150 MB of rows for CIFAR-10 are held while
    writing), then converted and written one at a time, so the converted array is never in memory. Nothing
    but the four finished files is left in out_dir, whatever fails.
    """
    batches = [checked_batch(archive, name, batch) for name, batch in load_training_batches(archive).items()]
    total = sum(len(rows) for rows, _ in batches)
    classes = [name.decode() for name in LABEL_NAMES]
    with SourceWriter(out_dir, "cifar10", IMAGE_SHAPE, total, classes) as writer:
        for rows, labels in batches:
            writer.append(from_rows(rows), labels)
        return writer.commit(origin or {"archive": str(archive)})


def checked_batch(archive: Path, name: str, batch) -> tuple[np.ndarray, np.ndarray]:
    """The batch's image rows (N x 3072 uint8) and labels (N uint8, 0 to 9), or a BenchmarkError naming the
    batch and what is wrong with it (a mismatch once gave zero-filled images and shifted labels)."""

    def bad(problem: str) -> BenchmarkError:
        return BenchmarkError(
            f"the archive {archive} is not an intact CIFAR-10 python archive: {name} {problem}. " + REPLACE_ARCHIVE
        )

    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise bad("has no data or no labels")
    try:
        rows, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    except ValueError as error:  # ragged nested lists
        raise bad(f"has data or labels that are not arrays ({error})") from error
    if rows.ndim != 2 or rows.shape[1] != CIFAR_ROW_BYTES or len(rows) == 0:
        raise bad(f"has image data of shape {rows.shape}, not (N, {CIFAR_ROW_BYTES})")
    if rows.dtype != np.uint8:
        if rows.dtype.kind not in "iu":
            raise bad(f"has image data of type {rows.dtype}, not uint8")
        if rows.min() < 0 or rows.max() > 255:
            raise bad("has image values outside 0 to 255")
    if labels.ndim != 1 or len(labels) != len(rows):
        raise bad(f"has {len(rows)} image rows but {labels.size} labels")
    if labels.dtype.kind not in "iu":
        raise bad("has labels that are not whole numbers")
    outside = labels[(labels < LABELS.start) | (labels >= LABELS.stop)]
    if outside.size:
        raise bad(f"has label {outside[0]} (CIFAR-10 labels are {LABELS.start} to {LABELS.stop - 1})")
    return rows.astype(np.uint8, copy=False), labels.astype(np.uint8)


def load_training_batches(archive: Path) -> dict[str, object]:
    """The five training batches, unpickled, by name, in order; one pass over the compressed archive in whatever
    order it holds them (random access decompressed it twice: 2.4 s against 1.3 s for the synthetic archive).

    The stream is read to its end through gzip, which checks the CRC (tarfile's own gzip reader does not):
    measured here, 0.1-0.2 s more for the 177 MB synthetic archive."""
    wanted, found = {f"{BATCH_DIR}/{name}" for name in TRAIN_BATCHES}, {}
    try:
        with gzip.open(archive, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.name in wanted:
                    found[member.name] = _unpickle_member(archive, tar, member)
            while stream.read(1 << 20):
                pass
    except DAMAGED_STREAM as error:
        raise BenchmarkError(
            f"the archive {archive} is truncated or damaged ({type(error).__name__}: {error}). " + REPLACE_ARCHIVE
        ) from error
    missing = sorted(wanted - found.keys())
    if missing:
        raise BenchmarkError(
            f"the archive {archive} has no {missing[0]}: it is not the CIFAR-10 python archive. " + REPLACE_ARCHIVE
        )
    return {name: found[f"{BATCH_DIR}/{name}"] for name in TRAIN_BATCHES}


def _unpickle_member(archive: Path, tar: tarfile.TarFile, member: tarfile.TarInfo):
    with tar.extractfile(member) as handle:
        try:
            return pickle.load(handle, encoding="bytes")
        except DAMAGED_STREAM:
            raise
        except Exception as error:  # damaged pickle bytes fail in many ways (bad opcode, overflow, decoding)
            name = member.name.rsplit("/", 1)[-1]
            raise BenchmarkError(
                f"the archive {archive} is not an intact CIFAR-10 python archive: {name} cannot be unpickled "
                f"({type(error).__name__}: {error}). " + REPLACE_ARCHIVE
            ) from error
