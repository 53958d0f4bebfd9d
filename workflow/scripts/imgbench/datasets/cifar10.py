"""CIFAR-10's 50,000 training images (32 x 32 RGB, 10 classes), from the python archive at dataset.url.

The download rule fetches the archive to resources/ (only while it is absent, so a placed archive is never
deleted); preparing the source checks its md5 and unpickles it (imgbench.cifar_archive). `download` is the
old name of this dataset and still accepted in dataset.source.
"""

from pathlib import Path

from imgbench import cifar_archive
from imgbench.download import remove_stale_partial

DESCRIPTION = "CIFAR-10's 50,000 training images (32 x 32 RGB), downloaded from dataset.url and md5-checked"
INPUTS = ("archive",)
TRAINING_IMAGES = 50_000


def config_problems(dataset_config: dict) -> list[str]:
    size = dataset_config.get("image_size")
    if size is not None and list(size) != list(cifar_archive.IMAGE_SHAPE[:2]):
        return [
            f"config key 'dataset.image_size': {size} cannot apply to cifar10, whose images are 32 x 32; remove it, "
            "or use dataset.source: synthetic or folder for other sizes"
        ]
    return []


def image_shape(dataset_config: dict) -> tuple[int, int, int]:
    return cifar_archive.IMAGE_SHAPE


def planned_count(dataset_config: dict) -> int:
    return TRAINING_IMAGES


def rerun_params(dataset_config: dict, seed: int) -> dict:
    # The md5 says what the data is; the URL only where to get it (a new mirror must not redo the source).
    return {"md5": dataset_config["md5"].lower()}


def prepare(dataset_config: dict, inputs: dict[str, Path], out_dir: Path, seed: int) -> dict:
    archive = inputs["archive"]
    remove_stale_partial(archive)
    cifar_archive.check_md5(archive, dataset_config["md5"])
    origin = {"archive": str(archive), "url": dataset_config["url"], "md5": dataset_config["md5"].lower()}
    return cifar_archive.unpickle_archive(archive, out_dir, origin)
