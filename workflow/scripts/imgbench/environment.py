"""The machine record: hardware, OS, filesystem, library versions, commit, config."""

import hashlib
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

PACKAGES = ["numpy", "pillow", "lmdb", "h5py", "imagecodecs", "simplejpeg", "pandas", "snakemake", "matplotlib",
            "tqdm"]  # fmt: skip


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def mount_of(path: Path) -> dict:
    """Filesystem type, device and options of the mount holding path (longest matching mount point)."""
    path, best = str(Path(path).resolve()), {}
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        device, point, fstype, options, *_ = line.split()
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best.get("mount_point", "")):
            best = {"mount_point": point, "device": device, "type": fstype, "options": options}
    return best


def library_versions() -> dict:
    """The C libraries the Python packages wrap."""
    import h5py
    import lmdb
    from PIL import features

    return {
        "liblmdb": ".".join(map(str, lmdb.version())),
        "libhdf5": h5py.version.hdf5_version,
        "zlib (Pillow)": features.version("zlib") or "unknown",
    }


def codec_libraries() -> dict:
    """Each codec's library and version (imgbench.codecs)."""
    from imgbench import codecs

    return codecs.library_versions()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def package_versions(names: list[str]) -> dict:
    """Installed versions, from the names of the *.dist-info directories on sys.path (pip and conda write
    them), first match winning as in importlib.metadata; that module only for packages not found so.

    Every timing job records these (machine_id): importing importlib.metadata and parsing each METADATA
    file took 40 ms of a job that may take 0.3 s in all.
    """
    wanted, found = {canonical(name): name for name in names}, {}
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for item in listing:
            dist, _, version = item.removesuffix(".dist-info").rpartition("-")
            name = wanted.get(canonical(dist)) if item.endswith(".dist-info") else None
            if name and name not in found:
                found[name] = version
    return {name: found.get(name) or version_from_metadata(name) for name in names}


def version_from_metadata(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def hardware_and_software() -> dict:
    """What the timings depend on; its hash is the machine_id stored in every timing row.

    Package versions come from metadata, without importing h5py/lmdb, so every job can afford it.
    """
    uname = platform.uname()
    return {
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "memory_bytes": memory_bytes(),
        "os": f"{uname.system} {uname.release}",
        "python": platform.python_version(),
        "packages": package_versions(PACKAGES),
    }


THP_SETTINGS = Path("/sys/kernel/mm/transparent_hugepage")


def transparent_hugepages(settings: Path = THP_SETTINGS) -> dict | None:
    """The kernel's transparent huge page mode and defrag policy (the bracketed choice of each file), or None
    where the kernel has none. Recorded because memory first touched costs a page fault per page: reads of a
    30 MB npy store into arrays fresh to the process took 2.3 ms with huge pages and 10.7 ms without; in the
    steady state, where glibc reuses the freed arrays, 1.7-1.8 against 2.0-2.1 ms (2026-12-01)."""
    found = {}
    for name in ("enabled", "defrag"):
        try:
            text = (settings / name).read_text()
        except OSError:
            return None
        chosen = [word[1:-1] for word in text.split() if word.startswith("[") and word.endswith("]")]
        found[name] = chosen[0] if chosen else text.strip()
    return found


def machine_id(record: dict | None = None) -> str:
    record = record or hardware_and_software()
    return hashlib.sha1(json.dumps(record, sort_keys=True).encode()).hexdigest()[:12]


def git_commit(directory: Path) -> str:
    import subprocess  # here: only the environment job asks

    try:
        out = subprocess.run(
            ["git", "-C", str(directory), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"


def environment_record(results_dir: Path, workflow_dir: Path, config: dict, source: dict | None = None) -> dict:
    """The machine record, with `source`: the source.json of the images measured (its shape, count, classes and
    origin)."""
    record = hardware_and_software()
    os_release = _os_release()
    return {
        "machine_id": machine_id(record),
        **record,
        "libraries": library_versions(),
        "codecs": codec_libraries(),
        "os_name": os_release,
        "hostname": platform.node(),
        "recorded_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "filesystem": mount_of(results_dir),
        "transparent_hugepages": transparent_hugepages(),
        "git_commit": git_commit(workflow_dir),
        "source": source,
        "config": config,
    }


def _os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()
