"""The CIFAR-10 python archive: download (checked), synthetic stand-in (same layout), unpickling."""

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from imgbench.errors import BenchmarkError
from imgbench.progress import progress

BATCH_DIR = "cifar-10-batches-py"
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
HOW_TO_PROCEED = (
    "To proceed, either place the archive by hand at {target} (it is still checked), fix dataset.url / "
    "dataset.md5 in the config, or set dataset.source: synthetic to use the generated stand-in."
)


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_md5(path: Path, expected: str) -> None:
    found = md5_of(path)
    if found != expected.lower():
        raise BenchmarkError(
            f"checksum mismatch for {path}: expected md5 {expected}, found {found}. "
            + HOW_TO_PROCEED.format(target=path)
        )


# ---------------------------------------------------------------- download


def download(url: str, target: Path, md5: str, timeout: float = 60) -> None:
    """Stream url to a temporary file beside target, check its md5, and only then move it into place."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        digest = _fetch(url, partial, timeout)
        if digest != md5.lower():
            raise BenchmarkError(
                f"checksum mismatch for the archive downloaded from {url}: expected md5 {md5}, "
                f"found {digest}; nothing was kept. " + HOW_TO_PROCEED.format(target=target)
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _fetch(url: str, partial: Path, timeout: float) -> str:
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with progress(total=total, desc="download", unit="B", unit_scale=True) as bar:
                while block := response.read(1 << 20):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as error:
        raise BenchmarkError(
            f"download of {url} failed: HTTP {error.code} {error.reason}. " + HOW_TO_PROCEED.format(target=partial)
        ) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise BenchmarkError(
            f"download of {url} failed: {reason} (no network, or the host is unreachable). "
            + HOW_TO_PROCEED.format(target=partial.with_name(partial.name.removesuffix(".part")))
        ) from error
    return digest.hexdigest()


# ---------------------------------------------------------------- synthetic stand-in


def synthetic_images(count: int, rng: np.random.Generator) -> np.ndarray:
    """Photograph-like 32x32 RGB images: smooth gradients, a few shapes with edges, texture and noise."""
    yy, xx = np.mgrid[0:32, 0:32].astype(np.float32) / 31
    corners = rng.uniform(0, 255, size=(count, 4, 3)).astype(np.float32)
    wx, wy = xx[None, :, :, None], yy[None, :, :, None]
    image = (
        corners[:, None, None, 0] * (1 - wx) * (1 - wy)
        + corners[:, None, None, 1] * wx * (1 - wy)
        + corners[:, None, None, 2] * (1 - wx) * wy
        + corners[:, None, None, 3] * wx * wy
    )
    for _shape in range(2):
        centre = rng.uniform(0.1, 0.9, size=(count, 2, 1, 1)).astype(np.float32)
        radius = rng.uniform(0.08, 0.35, size=(count, 2, 1, 1)).astype(np.float32)
        inside = ((xx - centre[:, 0]) / radius[:, 0]) ** 2 + ((yy - centre[:, 1]) / radius[:, 1]) ** 2 < 1
        colour = rng.uniform(0, 255, size=(count, 1, 1, 3)).astype(np.float32)
        image = np.where(inside[..., None], 0.3 * image + 0.7 * colour, image)
    angle = rng.uniform(0, np.pi, size=(count, 1, 1)).astype(np.float32)
    frequency = rng.uniform(2, 12, size=(count, 1, 1)).astype(np.float32)
    phase = (np.cos(angle) * xx + np.sin(angle) * yy) * frequency * 2 * np.pi
    image += (rng.uniform(4, 20, size=(count, 1, 1)).astype(np.float32) * np.sin(phase))[..., None]
    image += 4 * rng.standard_normal(size=image.shape, dtype=np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


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


def unpickle_archive(archive: Path, out_dir: Path) -> int:
    """Write the five training batches as images.npy (N x 32 x 32 x 3 uint8) and labels.npy, for memory maps.

    The batches are unpickled first (their rows, 150 MB for CIFAR-10, are held while writing) to learn the
    total, then converted one at a time into a memory-mapped .npy, so the converted array is never in memory.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    batches = load_training_batches(archive)
    total = sum(len(b[b"labels"]) for b in batches)
    images_tmp, labels_tmp = out_dir / ".images.npy.tmp", out_dir / ".labels.npy.tmp"
    images = np.lib.format.open_memmap(images_tmp, mode="w+", dtype=np.uint8, shape=(total, 32, 32, 3))
    start = 0
    for batch in batches:
        rows = np.asarray(batch[b"data"], dtype=np.uint8)
        images[start : start + len(rows)] = from_rows(rows)
        start += len(rows)
    images.flush()
    del images
    labels = np.concatenate([np.asarray(b[b"labels"], dtype=np.uint8) for b in batches])
    with open(labels_tmp, "wb") as handle:
        np.save(handle, labels)
    os.replace(images_tmp, out_dir / "images.npy")
    os.replace(labels_tmp, out_dir / "labels.npy")
    return total


def load_training_batches(archive: Path) -> list[dict]:
    """The five training batches, unpickled, in one pass over the compressed archive in whatever order it
    holds them (random access decompressed it twice: 2.4 s against 1.3 s for the synthetic archive)."""
    wanted, found = {f"{BATCH_DIR}/{name}" for name in TRAIN_BATCHES}, {}
    with tarfile.open(archive, "r|gz") as tar:
        for member in tar:
            if member.name in wanted:
                with tar.extractfile(member) as handle:
                    found[member.name] = pickle.load(handle, encoding="bytes")
    missing = sorted(wanted - found.keys())
    if missing:
        raise BenchmarkError(f"the archive has no {missing[0]}: it is not the CIFAR-10 python archive")
    return [found[f"{BATCH_DIR}/{name}"] for name in TRAIN_BATCHES]
