"""Store one image into an empty store and read it back (the tutorial's store_single / read_single)."""

from pathlib import Path

from imgbench import reading, repeats, storing
from imgbench.job import timed_job
from imgbench.rows import Operation, write_rows

with timed_job(snakemake, f"single {snakemake.wildcards.method}") as job:
    store = Path(snakemake.output.store)
    with job.overhead("delete"):
        repeats.remove_leftover_repeats(store.parents[1])
    rows = storing.measure_store(job, Operation.STORE_SINGLE, 1, store)
    rows += reading.measure_reads(job, Operation.READ_SINGLE, 1, store, [reading.Pattern()])
    write_rows(snakemake.output.timings, rows)
