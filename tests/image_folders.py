"""Folders of real image files written with Pillow, in the ImageFolder layout (root/<class>/<file>), for the
folder dataset's tests: mixed sizes, formats and modes, as a user's own photos would be."""

from pathlib import Path

import numpy as np
from PIL import Image

from imgbench.datasets.synthetic import synthetic_images

ORIENTATION = 0x0112  # the EXIF tag


def photo(width: int, height: int, seed: int) -> Image.Image:
    """A photograph-like RGB image (the synthetic generator's) of width x height."""
    return Image.fromarray(synthetic_images(1, np.random.default_rng(seed), height, width)[0])


def halves(width: int = 100, height: int = 50) -> Image.Image:
    """Red left half, green right half: where a crop or a pad put the image shows in the result."""
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, : width // 2] = (255, 0, 0)
    pixels[:, width // 2 :] = (0, 255, 0)
    return Image.fromarray(pixels)


def save(image: Image.Image, path: Path, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)
    return path


def mixed_folder(root: Path) -> dict[str, Path]:
    """Three classes of 30 files between them: every format and mode the folder dataset converts, sizes from
    20 x 16 (upscaled) to 300 x 200, a nested folder and hidden files (ignored). Returns the notable files."""
    files = {}
    for k in range(8):  # RGB JPEGs of several sizes and aspect ratios
        size = [(120, 80), (80, 120), (64, 64), (300, 200), (45, 60), (20, 16), (200, 90), (100, 100)][k]
        files[f"jpeg{k}"] = save(photo(*size, seed=k), root / "cats" / f"cat_{k}.jpg", quality=90)
    files["grey"] = save(photo(70, 50, 10).convert("L"), root / "cats" / "grey.png")
    files["bilevel"] = save(photo(70, 50, 11).convert("1"), root / "cats" / "bilevel.png")
    files["cmyk_jpeg"] = save(photo(90, 60, 12).convert("CMYK"), root / "cats" / "cmyk.jpg")
    files["nested"] = save(photo(50, 50, 13), root / "cats" / "more" / "deep.png")
    (root / "cats" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    save(photo(10, 10, 14), root / "cats" / ".hidden" / "skipped.png")

    frames = [photo(64, 48, 20 + k).convert("P") for k in range(3)]
    files["gif"] = save(frames[0], root / "dogs" / "animated.gif", save_all=True, append_images=frames[1:])
    rgba = np.dstack([np.asarray(photo(60, 40, 24)), np.full((40, 60), 255, np.uint8)])
    rgba[:, :30, 3] = 0  # the left half fully transparent
    files["rgba"] = save(Image.fromarray(rgba, "RGBA"), root / "dogs" / "rgba.png")
    files["la"] = save(photo(60, 40, 25).convert("LA"), root / "dogs" / "la.png")
    files["grey16"] = save(Image.fromarray((np.arange(40 * 60).reshape(40, 60) * 27).astype(np.uint16)),
                           root / "dogs" / "grey16.png")  # fmt: skip
    files["cmyk_tiff"] = save(photo(80, 60, 26).convert("CMYK"), root / "dogs" / "cmyk.tiff")
    files["bmp"] = save(photo(70, 70, 27), root / "dogs" / "photo.bmp")
    files["webp"] = save(photo(90, 70, 28), root / "dogs" / "photo.webp", lossless=True)
    palette = photo(60, 40, 29).convert("P")
    files["palette_transparent"] = save(palette, root / "dogs" / "palette.png", transparency=0)
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # shown rotated by 90 degrees: 80 wide and 120 high as stored, 120 x 80 as shown
    files["rotated"] = save(photo(80, 120, 30), root / "dogs" / "rotated.jpg", exif=exif)

    for k in range(9):
        files[f"zebra{k}"] = save(photo(40 + 10 * k, 90 - 5 * k, 40 + k), root / "zebras" / f"z{k:02}.png")
    return files
