"""imgbench: store and read lots of images with several methods, and time it honestly.

The package holds everything the pipeline's scripts share; each Snakemake script is a thin wrapper
around one function here, so tests can call the same code directly.
"""
