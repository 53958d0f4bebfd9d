"""What a folder dataset costs Snakemake at parse time: the check of the folder's top level (config validation)
and the fingerprint of every file's path, size and modification time (prepare_source's params), on a generated
folder of --files small files, warm caches; then `snakemake -n` on that folder against a synthetic dataset.

    .venv/bin/python benchmarks/folder_fingerprint.py --files 10000 --classes 10

Every figure is the median of --repeats runs, after one untimed run.
"""

import argparse
import datetime
import io
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

from imgbench import config, datasets  # noqa: E402
from imgbench.datasets import folder  # noqa: E402


def make_folder(root: Path, files: int, classes: int) -> None:
    """files copies of one small PNG (the listing and stat cost does not depend on what they hold)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 100, 50)).save(buffer, format="PNG")
    for k in range(files):
        path = root / f"class_{k % classes:03}" / f"image_{k:07}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())


def median_seconds(function, repeats: int) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def dry_run_seconds(workdir: Path, dataset: dict, repeats: int) -> float:
    (workdir / "bench.yaml").write_text(yaml.safe_dump({"methods": ["npy"], "cutoffs": [10], "dataset": dataset}))
    command = [sys.executable, "-m", "snakemake", "-n", "--configfile", "bench.yaml"]
    return median_seconds(lambda: subprocess.run(command, cwd=workdir, capture_output=True, check=True), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root, workdir = Path(scratch) / "photos", Path(scratch) / "wf"
        make_folder(root, args.files, args.classes)
        dataset = config.validate({"dataset": {"source": "folder", "path": str(root), "image_size": [32, 32]}})
        dataset = dataset["dataset"]
        shutil.copytree(REPO, workdir, ignore=shutil.ignore_patterns(".snakemake", "results", "resources", ".git"))
        figures = {
            "config check (top level of the folder)": median_seconds(
                lambda: folder.config_problems(dataset), args.repeats
            ),
            "fingerprint (rerun_params: every file listed and stat'ed)": median_seconds(
                lambda: datasets.rerun_params(dataset, 0), args.repeats
            ),
            "snakemake -n, this folder": dry_run_seconds(
                workdir, {"source": "folder", "path": str(root), "image_size": [32, 32]}, args.repeats
            ),  # fmt: skip
            "snakemake -n, synthetic (no folder)": dry_run_seconds(workdir, {"source": "synthetic"}, args.repeats),
        }
    print(f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, {args.files} files in "
          f"{args.classes} class folders, median of {args.repeats} (warm caches)")  # fmt: skip
    for name, seconds in figures.items():
        print(f"  {name}: {seconds * 1000:.2f} ms")


if __name__ == "__main__":
    main()
