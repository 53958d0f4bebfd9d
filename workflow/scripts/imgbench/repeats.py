"""Where a store job's repeats go, and what unfinished store jobs leave behind.

Each repeat of a store is written into its own hidden directory beside the store (see
storing.py for why repeats do not reuse one directory). The name carries the job's PID, so two
runs of the same job never write into, or delete, each other's directories.
"""

import os
import re
from pathlib import Path

from imgbench.fsutil import remove_trees

# .<store>.run-<pid>.repeat-<k>: the store's name, and the job's PID (a run) and repeat that wrote it
REPEAT_DIR = re.compile(r"^\.(?P<store>.+)\.run-(?P<run>\d+)\.repeat-(?P<repeat>\d+)$")


def repeat_dir(path: Path, repeat: int) -> Path:
    """Where one repeat of the store at path goes: beside it, hidden, named after this process."""
    return path.parent / f".{path.name}.run-{os.getpid()}.repeat-{repeat}"


def leftover_repeats(stores: Path) -> list[Path]:
    """Repeat directories of store jobs that did not finish (killed, failed), under stores/<method>/."""
    return sorted(p for p in Path(stores).glob("*/.*") if p.is_dir() and REPEAT_DIR.match(p.name))


def remove_leftover_repeats(stores: Path) -> None:
    """Delete what killed or failed store jobs left under stores/. Only while holding the timing lock: then
    no other store job is running, so every repeat directory left is stale."""
    leftovers = leftover_repeats(stores)
    if leftovers:
        print(f"note: removing {len(leftovers)} repeat directories left by unfinished store jobs", flush=True)
        remove_trees(leftovers)
