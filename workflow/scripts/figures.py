"""Draw every figure from the aggregated tables."""

from imgbench import plots
from imgbench.job import logged

with logged(snakemake):
    plots.draw_all(snakemake.input.summary, snakemake.input.usage, snakemake.output.done)
