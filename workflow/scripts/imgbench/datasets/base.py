"""What a dataset module provides: the contract the registry checks when it loads one.

A dataset turns config["dataset"] into the source every later step reads (results/source/: images.npy, an
N x H x W x 3 uint8 array; labels.npy, N uint8; classes.txt, one name a line; source.json, what it is and
where it came from; see _writer.py). A module provides:

- ``DESCRIPTION``: one line for the README and the schema's description.
- ``INPUTS``: the names (from RULE_INPUTS) of the files the prepare_source rule needs as inputs; common.smk
  maps each name to its path, prepare() receives them by name. Empty when nothing is fetched first.
- ``config_problems(dataset_config) -> list[str]``: what is wrong with the dataset's keys beyond the schema
  (each message names its key), checked at parse time, so it must be cheap: no image decoded, no walk of a
  whole folder.
- ``image_shape(dataset_config) -> (H, W, C)``: the shape of every image of the source, at parse time without
  building anything (the free-space check and the methods' bytes per image use it).
- ``planned_count(dataset_config) -> int``: about how many images the source will hold (the free-space check).
- ``rerun_params(dataset_config, seed) -> dict``: what determines the source's content, as plain values; the
  rule carries it as params, so a change of any of them (and of nothing else) prepares the source again.
- ``prepare(dataset_config, inputs, out_dir, seed) -> dict``: write the source into out_dir through a
  SourceWriter (all four files or none) and return what source.json holds. A bad input raises one
  BenchmarkError that says what is wrong and what to do.

dataset_config is config["dataset"] after validation (schema defaults filled in).
"""

from pathlib import Path
from typing import Protocol

# The files a dataset can ask the prepare_source rule for, by name (common.smk holds their paths).
RULE_INPUTS = {"archive": "the CIFAR-10 python archive, downloaded or placed by hand in resources/"}
CHANNELS = 3  # every source is RGB
# The source in results/source/, by the names of the prepare_source rule's outputs.
SOURCE_FILES = {"images": "images.npy", "labels": "labels.npy", "classes": "classes.txt", "info": "source.json"}


class Dataset(Protocol):
    DESCRIPTION: str
    INPUTS: tuple[str, ...]

    def config_problems(self, dataset_config: dict) -> list[str]: ...

    def image_shape(self, dataset_config: dict) -> tuple[int, int, int]: ...

    def planned_count(self, dataset_config: dict) -> int: ...

    def rerun_params(self, dataset_config: dict, seed: int) -> dict: ...

    def prepare(self, dataset_config: dict, inputs: dict[str, Path], out_dir: Path, seed: int) -> dict: ...


def missing_members(module) -> list[str]:
    """The names of the contract that module does not define (empty when it fulfils it)."""
    members = [*Dataset.__annotations__, *(name for name in vars(Dataset) if not name.startswith("_"))]
    return [name for name in dict.fromkeys(members) if not hasattr(module, name)]
