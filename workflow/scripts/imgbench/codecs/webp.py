"""webp: lossless WebP, with imagecodecs (libwebp) at libwebp's own defaults (quality 75, method 4).

Pillow calls the same libwebp and encoded as fast at equal settings; imagecodecs decoded faster here and
writes straight into the slot. Grayscale goes through RGB (see _grey).
"""

from imgbench.codecs._webp import lossless_webp

QUALITY, METHOD = 75, 4  # libwebp's defaults for lossless WebP (cwebp -lossless uses these)
CODEC = lossless_webp("webp", quality=QUALITY, method=METHOD, effort="")
