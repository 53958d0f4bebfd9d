"""Write results/summary.md: the headline table at the largest cutoff."""

from imgbench import report
from imgbench.job import logged

with logged(snakemake):
    report.write_summary(snakemake.input.summary, snakemake.input.usage, snakemake.input.environment,
                         snakemake.output.markdown)  # fmt: skip
