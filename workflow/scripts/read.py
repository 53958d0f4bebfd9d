"""Read back what one store job wrote, in every configured cache state and pattern; verify every image."""

from imgbench import decoding, reading
from imgbench.job import timed_job
from imgbench.rows import Operation, write_rows

n_images = int(snakemake.wildcards.n_images)
with timed_job(snakemake, f"read {snakemake.wildcards.method} {n_images}") as job:
    patterns = [reading.Pattern(**pattern) for pattern in snakemake.params.patterns]
    rows = reading.measure_reads(job, Operation.READ_MANY, n_images, snakemake.input.store, patterns)
    rows += decoding.measure_decoding(job, n_images)  # after the reads: it must not disturb their cache
    write_rows(snakemake.output.timings, rows)
