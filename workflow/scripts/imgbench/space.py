"""Will the run fit on disk? An estimate of the dataset and the stores not yet made, checked before any job."""

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from imgbench import datasets, methods
from imgbench.errors import BenchmarkError
from imgbench.objectstore.remote import LOCAL

# The CIFAR-10 archive is about 170 MB (the synthetic stand-in in that layout: 177,042,779 bytes, measured here).
ARCHIVE_BYTES = 180 * 10**6
MARGIN = 1.2


@dataclass(frozen=True)
class SourcePlan:
    """What the source will take: count images of image_shape, plus the archive (None when the dataset needs
    none) unless it is already there."""

    image_shape: tuple[int, int, int]
    count: int
    archive: Path | None = None

    @property
    def image_bytes(self) -> int:
        return math.prod(self.image_shape)

    @property
    def source_bytes(self) -> int:
        return self.count * (self.image_bytes + 1)  # images and their labels


def source_plan(dataset_config: dict, archive: Path) -> SourcePlan:
    """The plan for config["dataset"]; `archive` is where a dataset that needs the archive expects it."""
    needs_archive = "archive" in datasets.rule_inputs(dataset_config)
    shape, count = datasets.image_shape(dataset_config), datasets.planned_count(dataset_config)
    return SourcePlan(shape, count, Path(archive) if needs_archive else None)


@dataclass(frozen=True)
class Planned:
    """Bytes still to be written, margin included: the dataset (archive and source arrays) and the stores."""

    dataset_bytes: int
    stores_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.dataset_bytes + self.stores_bytes


def bytes_per_image(method: str, image_bytes: int) -> int:
    """The method's own estimate of the bytes one image of image_bytes raw bytes takes in its store."""
    return methods.load(method).bytes_per_image(image_bytes)


def planned_usage(
    results: Path, method_names: list[str], cutoffs: list[int], passes: int, source: SourcePlan
) -> Planned:
    """What is not on disk yet: the dataset unless results/source holds it (the archive too, when the dataset
    needs one that is not in place), and each store, plus the other passes (warm-up and repeats) of the
    largest one, which a store job keeps until it ends."""
    results = Path(results)
    dataset = 0
    if not (results / "source" / "images.npy").exists():
        archive_missing = source.archive is not None and not source.archive.exists()
        dataset = source.source_bytes + (ARCHIVE_BYTES if archive_missing else 0)
    stores, largest = 0, 0
    for method in method_names:
        for n_images in cutoffs:
            if not (results / "stores" / method / str(n_images)).exists():
                store = n_images * bytes_per_image(method, source.image_bytes)
                stores, largest = stores + store, max(largest, store)
    return Planned(int(dataset * MARGIN), int((stores + (passes - 1) * largest) * MARGIN))


def on_this_disk(method_names: list[str], s3_endpoint: str) -> list[str]:
    """The methods whose stores take this disk: every one with the pipeline's own S3 server (its data is
    under results/stores), and only those without a service with storage.s3.endpoint set to an existing
    service, which holds their objects (the store directory keeps s3.json alone)."""
    if s3_endpoint == LOCAL:
        return list(method_names)
    return [name for name in method_names if methods.load(name).service is None]


def planned_bytes(results: Path, method_names: list[str], cutoffs: list[int], passes: int, source: SourcePlan) -> int:
    return planned_usage(results, method_names, cutoffs, passes, source).total_bytes


def check_free_space(
    results: Path, method_names: list[str], cutoffs: list[int], passes: int, source: SourcePlan
) -> None:
    results = Path(results)
    existing = next(p for p in [results, *results.resolve().parents] if p.exists())
    free = shutil.disk_usage(existing).free
    planned = planned_usage(results, method_names, cutoffs, passes, source)
    if planned.total_bytes > free:
        raise BenchmarkError(shortage_message(planned, free, existing, method_names, cutoffs))


def shortage_message(planned: Planned, free: int, where: Path, method_names: list[str], cutoffs: list[int]) -> str:
    """What does not fit and what to do, advising fewer methods or cutoffs only when the stores are most of it."""
    need, have, dataset, stores = amounts(planned.total_bytes, free, planned.dataset_bytes, planned.stores_bytes)
    parts = []
    if planned.dataset_bytes:
        parts.append(f"{dataset} for the dataset (its download, if any, and the source arrays)")
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
