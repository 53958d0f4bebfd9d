"""How well do synthetic images compress, against photographs, at each size? PNG bytes (Pillow's defaults, as
the disk method writes them) over raw bytes, for the synthetic generator and, with --photos, for a folder of
real photographs brought to each size the way the folder dataset does it (center_crop, LANCZOS).

    .venv/bin/python benchmarks/synthetic_compression.py --sizes 32 64 256 --photos /data/photos

The photographs may lie in any layout below --photos (every file Pillow reads is used). Without them the
reference is the figure measured on real CIFAR-10 (0.74 of raw at 32 px, 5,085 images) and the usual range
for photographs at 256 px (roughly 0.4-0.6).
"""

import argparse
import datetime
import io
import platform
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))

from imgbench.datasets import _pictures  # noqa: E402
from imgbench.datasets.synthetic import synthetic_images  # noqa: E402

BUDGET_PIXELS = 16 * 2**20  # synthetic images per size: about this many pixels (at least 16 images)


def png_ratios(images) -> np.ndarray:
    ratios = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        ratios.append(len(buffer.getvalue()) / image.size)
    return np.array(ratios)


def photographs(root: Path, size: int) -> list[np.ndarray]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            found.append(_pictures.load(path, size, size, "center_crop").array)
        except _pictures.Unreadable:
            continue
    return found


def describe(ratios: np.ndarray) -> str:
    q1, median, q3 = np.percentile(ratios, [25, 50, 75])
    return f"{ratios.mean():.3f} | {median:.3f} | {q1:.3f}-{q3:.3f} | {len(ratios)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 256])
    parser.add_argument("--photos", type=Path, help="a folder of photographs to compare with")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, Pillow {Image.__version__}")
    print("PNG bytes / raw bytes (Pillow defaults), for synthetic images and photographs (center_crop)\n")
    columns = ["mean", "median", "q1-q3", "images"]
    header = ["size", *(f"synthetic {c}" for c in columns), *(f"photographs {c}" for c in columns)]
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    for size in args.sizes:
        count = max(16, BUDGET_PIXELS // (size * size))
        synthetic = png_ratios(synthetic_images(count, np.random.default_rng(args.seed), size, size))
        photos = describe(png_ratios(photographs(args.photos, size))) if args.photos else " | ".join("-" * 4)
        print(f"| {size} x {size} | {describe(synthetic)} | {photos} |")


if __name__ == "__main__":
    main()
