"""jpeg75: JPEG at quality 75, lossy (see _jpeg); reads must keep every image at 25 dB PSNR or more."""

from imgbench.codecs._jpeg import jpeg_codec

CODEC = jpeg_codec(quality=75, min_psnr_db=25.0)
