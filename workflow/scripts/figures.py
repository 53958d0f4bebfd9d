"""Draw every figure in imgbench.plots.FIGURES from the aggregated tables."""

from imgbench import plots
from imgbench.job import logged

with logged(snakemake):
    plots.draw_all(snakemake.input, {name: snakemake.output[name] for name in plots.FIGURES})
