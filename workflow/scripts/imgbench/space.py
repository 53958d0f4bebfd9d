"""Will the run fit on disk? An estimate of the dataset and the stores not yet made, checked before any job."""

import shutil
from dataclasses import dataclass
from pathlib import Path

from imgbench import methods
from imgbench.errors import BenchmarkError

# Either archive: CIFAR-10's is about 170 MB, the synthetic stand-in's 177,042,779 bytes (measured here).
ARCHIVE_BYTES = 180 * 10**6
IMAGE_BYTES = 32 * 32 * 3  # CIFAR-10's
SOURCE_BYTES = 50_000 * (IMAGE_BYTES + 1)  # the unpickled training images and their labels
MARGIN = 1.2


@dataclass(frozen=True)
class Planned:
    """Bytes still to be written, margin included: the dataset (archive and unpickled source) and the stores."""

    dataset_bytes: int
    stores_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.dataset_bytes + self.stores_bytes


def bytes_per_image(method: str) -> int:
    return methods.load(method).bytes_per_image(IMAGE_BYTES)


def planned_usage(
    results: Path, method_names: list[str], cutoffs: list[int], passes: int = 1, archive: Path | None = None
) -> Planned:
    """What is not on disk yet: the dataset unless results/source holds it (the archive too, unless it is at
    `archive`; None counts it), and each store, plus the other passes (warm-up and repeats) of the largest one,
    which a store job keeps until it ends."""
    results = Path(results)
    dataset = 0
    if not (results / "source" / "images.npy").exists():
        dataset = SOURCE_BYTES + (0 if archive is not None and Path(archive).exists() else ARCHIVE_BYTES)
    stores, largest = 0, 0
    for method in method_names:
        for n_images in cutoffs:
            if not (results / "stores" / method / str(n_images)).exists():
                store = n_images * bytes_per_image(method)
                stores, largest = stores + store, max(largest, store)
    return Planned(int(dataset * MARGIN), int((stores + (passes - 1) * largest) * MARGIN))


def planned_bytes(
    results: Path, method_names: list[str], cutoffs: list[int], passes: int = 1, archive: Path | None = None
) -> int:
    return planned_usage(results, method_names, cutoffs, passes, archive).total_bytes


def check_free_space(
    results: Path, method_names: list[str], cutoffs: list[int], passes: int = 1, archive: Path | None = None
) -> None:
    results = Path(results)
    existing = next(p for p in [results, *results.resolve().parents] if p.exists())
    free = shutil.disk_usage(existing).free
    planned = planned_usage(results, method_names, cutoffs, passes, archive)
    if planned.total_bytes > free:
        raise BenchmarkError(shortage_message(planned, free, existing, method_names, cutoffs))


def shortage_message(planned: Planned, free: int, where: Path, method_names: list[str], cutoffs: list[int]) -> str:
    """What does not fit and what to do, advising fewer methods or cutoffs only when the stores are most of it."""
    need, have, dataset, stores = amounts(planned.total_bytes, free, planned.dataset_bytes, planned.stores_bytes)
    parts = []
    if planned.dataset_bytes:
        parts.append(f"{dataset} for the dataset (the archive and its unpickled images)")
    if planned.stores_bytes:
        parts.append(f"{stores} for the stores ({', '.join(method_names)} at cutoffs {cutoffs})")
    if planned.stores_bytes > planned.dataset_bytes:
        advice = "Free space, remove methods or large cutoffs from the config, or run from a larger filesystem."
    elif planned.dataset_bytes > free:
        advice = "The dataset alone does not fit: free space or run from a larger filesystem."
    else:
        advice = "The dataset is most of it: free space or run from a larger filesystem."
    return (
        f"not enough disk space in {where}: this run needs about {need}, {' and '.join(parts)}, "
        f"but only {have} is free. {advice}"
    )


def amounts(needed: int, free: int, *others: int) -> list[str]:
    """needed, free and others in one unit (GB, or MB below 1 GB), with enough digits that needed and free
    differ ("need about 0.5 GB, only 0.5 GB is free" said nothing)."""
    unit, scale = ("GB", 1e9) if max(needed, free) >= 1e9 else ("MB", 1e6)
    for digits in range(1, 10):
        shown = [f"{value / scale:.{digits}f} {unit}" for value in (needed, free, *others)]
        if shown[0] != shown[1]:
            break
    return shown
