"""Read back what one store job wrote, in every configured cache state and pattern; verify every image."""

from pathlib import Path

from imgbench import harness, methods, timer
from imgbench.fsutil import write_csv_atomic
from imgbench.job import logged
from imgbench.source import Source

with logged(snakemake):
    method, n_images = snakemake.wildcards.method, int(snakemake.wildcards.n_images)
    settings = harness.Settings(**snakemake.params.settings)
    patterns = [harness.Pattern(**pattern) for pattern in snakemake.params.patterns]
    source = Source(Path(snakemake.input.images).parent)
    rows = harness.measure_reads(
        method, methods.load(method), "read_many", n_images, snakemake.input.store, source, settings, patterns
    )
    write_csv_atomic(snakemake.output.timings, rows, harness.COLUMNS)
    print(timer.outside_summary())
