"""Registry of datasets: every module in this package is one dataset, named by its file (dataset.source in the
config), except base.py, which holds the contract each one fulfils, and the helpers whose names start with _.

The functions below take config["dataset"] (validated, defaults filled in) and dispatch to its module.
"""

import importlib
import json
import pkgutil
from pathlib import Path
from types import ModuleType

from imgbench.datasets.base import SOURCE_FILES, missing_members

ALIASES = {"download": "cifar10"}  # old names still accepted in dataset.source
NOT_DATASETS = {"base"}


class UnknownDatasetError(ValueError):
    pass


def available() -> list[str]:
    """Names of all datasets, from the modules in this package."""
    modules = pkgutil.iter_modules(__path__)
    return sorted(m.name for m in modules if not m.name.startswith("_") and m.name not in NOT_DATASETS)


def accepted_names() -> list[str]:
    """What dataset.source may say: the datasets' names and the old names kept as aliases."""
    return [*available(), *ALIASES]


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


def load(name: str) -> ModuleType:
    """The dataset module called name (or an alias of it), or an error listing the known ones."""
    name = canonical(name)
    if name not in available():
        known = ", ".join(available())
        raise UnknownDatasetError(f"unknown dataset {name!r} (dataset.source); known datasets: {known}")
    module = importlib.import_module(f"{__name__}.{name}")
    missing = missing_members(module)
    if missing:
        raise TypeError(f"dataset module {module.__name__} does not define {', '.join(missing)} (see base.py)")
    return module


def of(dataset_config: dict) -> ModuleType:
    return load(dataset_config["source"])


def config_problems(dataset_config: dict) -> list[str]:
    return of(dataset_config).config_problems(dataset_config)


def image_shape(dataset_config: dict) -> tuple[int, int, int]:
    """(H, W, C) of every image of the source, cheaply, without building it (parse time)."""
    return tuple(int(n) for n in of(dataset_config).image_shape(dataset_config))


def planned_count(dataset_config: dict) -> int:
    return of(dataset_config).planned_count(dataset_config)


def rule_inputs(dataset_config: dict) -> tuple[str, ...]:
    """The names of the files the prepare_source rule needs (see base.RULE_INPUTS)."""
    return tuple(of(dataset_config).INPUTS)


def rerun_params(dataset_config: dict, seed: int) -> dict:
    """The dataset's name and what determines its content: the prepare_source rule's params."""
    return {"source": canonical(dataset_config["source"]), **of(dataset_config).rerun_params(dataset_config, seed)}


def prepare(dataset_config: dict, inputs: dict[str, Path], out_dir: Path, seed: int) -> dict:
    """Build the source in out_dir; returns what its source.json holds."""
    inputs = {name: Path(path) for name, path in inputs.items()}
    return of(dataset_config).prepare(dataset_config, inputs, Path(out_dir), seed)


def read_info(source_dir: Path) -> dict:
    """source.json of a prepared source."""
    return json.loads((Path(source_dir) / SOURCE_FILES["info"]).read_text())
