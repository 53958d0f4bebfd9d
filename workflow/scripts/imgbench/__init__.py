"""imgbench: store and read lots of small images with several methods, and time it honestly.

The package holds everything the pipeline's scripts share; each Snakemake script is a thin wrapper
around one function here, so tests can call the same code directly.
"""

IMAGE_SHAPE = (32, 32, 3)
IMAGE_BYTES = 32 * 32 * 3
