"""Read back what one store job wrote, in every configured cache state and pattern; verify every image."""

from pathlib import Path

from imgbench import harness, lock, methods, timer
from imgbench.fsutil import write_csv_atomic
from imgbench.job import logged
from imgbench.source import Source

method, n_images = snakemake.wildcards.method, int(snakemake.wildcards.n_images)
# The lock before the log: a job that waits must not write into the log of the job it waits for.
with lock.held(snakemake.params.timing_lock, f"read {method} {n_images}") as waited, logged(snakemake):
    print(waited) if waited else None
    settings = harness.Settings(**snakemake.params.settings)
    patterns = [harness.Pattern(**pattern) for pattern in snakemake.params.patterns]
    source = Source(Path(snakemake.input.images).parent)
    rows = harness.measure_reads(
        method, methods.load(method), "read_many", n_images, snakemake.input.store, source, settings, patterns
    )
    write_csv_atomic(snakemake.output.timings, rows, harness.COLUMNS)
    print(timer.outside_summary())
