"""Prepare the source every later step reads (results/source/) from the configured dataset."""

from pathlib import Path

from imgbench import datasets
from imgbench.job import logged

with logged(snakemake):
    info = datasets.prepare(
        snakemake.config["dataset"],
        dict(snakemake.input.items()),
        Path(snakemake.output.info).parent,
        snakemake.config["seed"],  # used by synthetic only, whose params carry it (others do not rerun for it)
    )
    height, width, channels = info["image_shape"]
    print(f"prepared the {info['dataset']} source: {info['count']} images of {height} x {width} x {channels}")
