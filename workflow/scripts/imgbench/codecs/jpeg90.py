"""jpeg90: JPEG at quality 90, lossy (see _jpeg); reads must keep every image at 30 dB PSNR or more."""

from imgbench.codecs._jpeg import jpeg_codec

CODEC = jpeg_codec(quality=90, min_psnr_db=30.0)
