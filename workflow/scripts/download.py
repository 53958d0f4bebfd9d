"""Fetch the CIFAR-10 python archive, check its md5, and move it into place only when it is right."""

from imgbench import dataset
from imgbench.job import logged

with logged(snakemake):
    dataset.download(snakemake.params.url, snakemake.output.archive, snakemake.params.md5)
