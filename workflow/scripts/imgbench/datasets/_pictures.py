"""One image file to an RGB uint8 array of the source's size: decoding, orientation, modes, resizing.

- Any format Pillow reads (PNG, JPEG, WebP, BMP, TIFF, GIF...); of an animation, the first frame.
- The EXIF orientation is applied (as a viewer shows the photo), before the image is measured or resized.
- Modes to RGB: grey, bilevel, palette, CMYK (Pillow's conversion, no colour profile), YCbCr; 16-bit grey
  scaled to 8 bits (value / 257); transparency (RGBA, LA, PA, a palette or grey with a transparent colour)
  composited on BACKGROUND, black, which is what a transparent pixel is once its colour is multiplied by its
  alpha.
- Resizing with Pillow's LANCZOS filter, its sharpest, with reducing_gap=3.0 (a JPEG is decoded at a reduced
  scale and an image shrunk by whole factors first, then LANCZOS does the last step, at most 3x: Pillow
  documents the result as close to full LANCZOS at a fraction of the cost; preparation is done once).
  center_crop scales the image to cover the target (the short side, for a square target) and keeps the
  centre; pad scales it to fit inside and centres it on PAD_COLOUR, black (as torchvision's Pad).
"""

import math
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, ImageOps

RESIZE_MODES = ("center_crop", "pad", "none")
RESAMPLING = Image.Resampling.LANCZOS
REDUCING_GAP = 3.0
BACKGROUND = (0, 0, 0)
PAD_COLOUR = (0, 0, 0)
TRANSPARENT_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
SIXTEEN_BIT_GREY = {"I;16", "I;16L", "I;16B", "I;16N"}
ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
# What Pillow raises for a file it cannot identify, decode or convert (UnidentifiedImageError is an OSError;
# DecompressionBombError, for images over 2 x Image.MAX_IMAGE_PIXELS, is an Exception).
DECODE_ERRORS = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, Image.DecompressionBombError)


class Unreadable(Exception):
    """Pillow cannot read or convert the file; the message says why (the caller names the file)."""


@dataclass(frozen=True)
class Picture:
    array: np.ndarray  # H x W x 3 uint8
    mode: str  # the file's mode before conversion to RGB
    upscaled: bool


def oriented_size(path) -> tuple[int, int]:
    """(width, height) of the image as shown, from its header (nothing decoded)."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except DECODE_ERRORS as error:
        raise Unreadable(f"{type(error).__name__}: {error}") from error
    return (height, width) if orientation in ROTATED else (width, height)


def to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in TRANSPARENT_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (*BACKGROUND, 255)), rgba).convert("RGB")
    if image.mode in SIXTEEN_BIT_GREY or (image.mode == "I" and image.getextrema()[1] > 255):
        grey = np.asarray(image).astype(np.float32) / 257
        return Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8)).convert("RGB")
    if image.mode in ("I", "F"):
        return Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def scale_for(size: tuple[int, int], target_height: int, target_width: int, resize: str) -> float:
    """How much resizing multiplies the image's sides by (1 for none)."""
    width, height = size
    if resize == "center_crop":
        return max(target_width / width, target_height / height)
    if resize == "pad":
        return min(target_width / width, target_height / height)
    return 1.0


def fitted(image: Image.Image, target_height: int, target_width: int, resize: str) -> Image.Image:
    """image brought to target_width x target_height by resize (center_crop or pad; none is the caller's)."""
    width, height = image.size
    if (width, height) == (target_width, target_height):
        return image
    scale = scale_for(image.size, target_height, target_width, resize)
    if resize == "center_crop":
        box_width, box_height = min(width, target_width / scale), min(height, target_height / scale)
        left, top = max(0.0, (width - box_width) / 2), max(0.0, (height - box_height) / 2)  # no -1e-14
        box = (left, top, left + box_width, top + box_height)
        return image.resize((target_width, target_height), RESAMPLING, box=box, reducing_gap=REDUCING_GAP)
    inner_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    inner = image.resize(inner_size, RESAMPLING, reducing_gap=REDUCING_GAP)
    canvas = Image.new("RGB", (target_width, target_height), PAD_COLOUR)
    canvas.paste(inner, ((target_width - inner_size[0]) // 2, (target_height - inner_size[1]) // 2))
    return canvas


def load(path, target_height: int, target_width: int, resize: str) -> Picture:
    """The file as target_height x target_width x 3 uint8. Raises Unreadable, or SizeMismatch for resize none
    when the image is another size."""
    try:
        with Image.open(path) as image:
            mode = image.mode
            if image.format == "JPEG" and resize != "none":
                # the larger of the scales for either orientation: the EXIF one is applied after decoding
                scale = REDUCING_GAP * max(
                    scale_for(image.size, target_height, target_width, resize),
                    scale_for(image.size[::-1], target_height, target_width, resize),
                )
                if scale < 1:  # decode at a reduced scale (a JPEG's DCT allows 1/2, 1/4, 1/8)
                    image.draft(image.mode, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            image.load()
            oriented = ImageOps.exif_transpose(image)
            rgb = to_rgb(oriented)
    except DECODE_ERRORS as error:
        raise Unreadable(f"{type(error).__name__}: {error}") from error
    if resize == "none":
        if rgb.size != (target_width, target_height):
            raise SizeMismatch(rgb.size)
        return Picture(np.asarray(rgb), mode, upscaled=False)
    upscaled = scale_for(rgb.size, target_height, target_width, resize) > 1
    return Picture(np.asarray(fitted(rgb, target_height, target_width, resize)), mode, upscaled)


class SizeMismatch(Exception):
    def __init__(self, size: tuple[int, int]):
        super().__init__(size)
        self.size = size
