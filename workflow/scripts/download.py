"""Fetch the CIFAR-10 python archive, check its md5, and move it into place only when it is right."""

from imgbench.download import download
from imgbench.job import logged

with logged(snakemake):
    params = snakemake.params
    download(
        params.url,
        snakemake.output.archive,
        params.md5,
        speed_limit=params.speed_limit,
        speed_time=params.speed_time,
    )
