"""Write results/summary.md (headline at the largest cutoff) and the report's summary and machine pages."""

from imgbench import report
from imgbench.job import logged

with logged(snakemake):
    report.write_summary(
        snakemake.input,
        snakemake.output.markdown,
        snakemake.output.summary_html,
        snakemake.output.environment_html,
    )
