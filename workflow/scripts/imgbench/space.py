"""Will the planned stores fit? An estimate from the methods and cutoffs, checked before any job runs."""

import shutil
from pathlib import Path

from imgbench import IMAGE_BYTES, methods
from imgbench.errors import BenchmarkError

# Allocated bytes per image when a method does not say (a PNG file in a 4 KiB block, plus slack).
DEFAULT_BYTES_PER_IMAGE = 8192
SOURCE_BYTES = 50_000 * IMAGE_BYTES + 200 * 2**20  # unpickled array plus the archive
MARGIN = 1.2


def bytes_per_image(method: str) -> int:
    return getattr(methods.load(method), "BYTES_PER_IMAGE", DEFAULT_BYTES_PER_IMAGE)


def planned_bytes(results: Path, method_names: list[str], cutoffs: list[int], passes: int = 1) -> int:
    """Bytes the stores not yet on disk will need: each kept store, plus the other passes (warm-up and
    repeats) of the largest one, which a store job keeps until it ends."""
    needed = 0 if (results / "source" / "images.npy").exists() else SOURCE_BYTES
    largest = 0
    for method in method_names:
        for n_images in cutoffs:
            if not (results / "stores" / method / str(n_images)).exists():
                store = n_images * bytes_per_image(method)
                needed, largest = needed + store, max(largest, store)
    return int((needed + (passes - 1) * largest) * MARGIN)


def check_free_space(results: Path, method_names: list[str], cutoffs: list[int], passes: int = 1) -> None:
    results = Path(results)
    existing = next(p for p in [results, *results.resolve().parents] if p.exists())
    free = shutil.disk_usage(existing).free
    needed = planned_bytes(results, method_names, cutoffs, passes)
    if needed > free:
        raise BenchmarkError(
            f"not enough disk space in {existing}: the planned stores need about {needed / 1e9:.1f} GB "
            f"({', '.join(method_names)} at cutoffs {cutoffs}), but only {free / 1e9:.1f} GB is free. "
            "Free space, remove methods or large cutoffs from the config, or run from a larger filesystem."
        )
