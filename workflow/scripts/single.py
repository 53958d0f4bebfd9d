"""Store one image into an empty store and read it back (the tutorial's store_single / read_single)."""

from pathlib import Path

from imgbench import harness, lock, methods, repeats, timer
from imgbench.fsutil import write_csv_atomic
from imgbench.job import logged
from imgbench.source import Source

method = snakemake.wildcards.method
# The lock before the log: a job that waits must not write into the log of the job it waits for.
with lock.held(snakemake.params.timing_lock, f"single {method}") as waited, logged(snakemake):
    print(waited) if waited else None
    repeats.remove_leftover_repeats(Path(snakemake.output.store).parents[1])
    settings = harness.Settings(**snakemake.params.settings)
    module, source, store = (
        methods.load(method),
        Source(Path(snakemake.input.images).parent),
        snakemake.output.store,
    )
    rows = harness.measure_store(method, module, "store_single", 1, store, source, settings)
    rows += harness.measure_reads(method, module, "read_single", 1, store, source, settings, [harness.Pattern()])
    write_csv_atomic(snakemake.output.timings, rows, harness.COLUMNS)
    print(timer.outside_summary())
