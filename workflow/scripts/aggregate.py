"""Gather every job's raw timings and disk usage into results/*.csv, with statistics and scaling fits."""

from imgbench.aggregate import aggregate
from imgbench.job import logged

with logged(snakemake):
    out = snakemake.output
    aggregate(snakemake.input.timings, snakemake.input.usage, out.timings, out.usage, out.summary, out.scaling,
              snakemake.params.precision, snakemake.input.comparisons, out.comparisons,
              snakemake.input.ceilings)  # fmt: skip
