"""Starting a module of this package in a fresh Python process (``python -m imgbench.<module>``).

Children that must not share the parent's state (a comparison round, compare_round.py) or that are a
separate service (the latency proxy) run this way; the child finds the package through PYTHONPATH.
"""

import os
import sys
from pathlib import Path

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])  # the directory holding imgbench/


def module_command(module: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run ``python -m module args`` with this interpreter and package."""
    python_path = os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
    return [sys.executable, "-m", module, *args], dict(os.environ, PYTHONPATH=python_path)
