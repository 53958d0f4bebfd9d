"""webp0: lossless WebP at libwebp's least effort (quality 0, method 0), with imagecodecs.

Decodes as webp does; encoding spends the least effort on compression. On 2,000 synthetic 32x32 images
(2026-12-01, this project's 2-core VM): 16,855 images/s against webp's 1,094, for 2,226 bytes per image
against 2,112. Grayscale goes through RGB (see _grey).
"""

from imgbench.codecs._webp import lossless_webp

CODEC = lossless_webp("webp0", quality=0, method=0, effort=" (least effort)")
