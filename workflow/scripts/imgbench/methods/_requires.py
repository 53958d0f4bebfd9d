"""Whether a method's extra distributions (Method.requires) are installed, and what to install if not.

Checked when the config is validated (methods.name_problem), not when a method is loaded: a job loads a
method the config already accepted, and importlib.metadata alone costs about 30 ms to import.
"""

import re
from pathlib import Path

ENVS = Path(__file__).resolve().parents[4] / "envs"  # the repository's pinned requirements


def canonical(name: str) -> str:
    """A distribution name as pip compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def missing(requires: tuple[str, ...]) -> list[str]:
    """The distributions of requires that are not installed."""
    from importlib import metadata

    absent = []
    for name in requires:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            absent.append(name)
    return absent


def pinning_file(name: str, envs: Path = ENVS) -> Path | None:
    """The envs/requirements*.txt that pins distribution name (``name==version``), if any."""
    wanted = canonical(name)
    for file in sorted(envs.glob("requirements*.txt")):
        for line in file.read_text().splitlines():
            pinned = line.split("==", 1)[0].split("[", 1)[0].strip()
            if "==" in line and canonical(pinned) == wanted:
                return file
    return None


def install_hint(names: list[str], envs: Path = ENVS) -> str:
    """The pip command that installs these distributions as the project pins them."""
    files = {pinning_file(name, envs) for name in names}
    if None in files or len(files) != 1:
        return "pip install " + " ".join(names)
    return f"pip install -r {envs.name}/{files.pop().name}"


def requirement_problem(method_name: str, requires: tuple[str, ...]) -> str | None:
    """Why the method cannot run here (a distribution it needs is not installed), or None."""
    absent = missing(requires)
    if not absent:
        return None
    verb = "is" if len(absent) == 1 else "are"
    return f"method {method_name} needs {', '.join(absent)}, which {verb} not installed: {install_hint(absent)}"
