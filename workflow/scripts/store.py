"""Store n images with one method: warm-up plus timed repeats, each into an empty directory; disk usage."""

from pathlib import Path

from imgbench import harness, lock, methods, repeats, timer, usage
from imgbench.fsutil import write_csv_atomic
from imgbench.job import logged
from imgbench.source import Source

method, n_images = snakemake.wildcards.method, int(snakemake.wildcards.n_images)
# The lock before the log: a job that waits must not write into the log of the job it waits for.
with lock.held(snakemake.params.timing_lock, f"store {method} {n_images}") as waited, logged(snakemake):
    print(waited) if waited else None
    repeats.remove_leftover_repeats(Path(snakemake.output.store).parents[1])
    settings = harness.Settings(**snakemake.params.settings)
    module = methods.load(method)
    source = Source(Path(snakemake.input.images).parent)
    # Encoding first: a store takes at least as long as its encoding, which tells whether priming can help.
    encoding = harness.measure_encoding(method, module, n_images, source, settings)
    fastest = min((float(row["seconds"]) for row in encoding), default=None)
    rows = harness.measure_store(method, module, "store_many", n_images, snakemake.output.store, source, settings,
                                 at_least=fastest) + encoding  # fmt: skip
    with timer.outside("disk usage"):
        used = usage.disk_usage(snakemake.output.store)
    write_csv_atomic(snakemake.output.usage, [{"method": method, "n_images": n_images, **used,
                     "raw_bytes": n_images * 3072}], usage.COLUMNS)  # fmt: skip
    write_csv_atomic(snakemake.output.timings, rows, harness.COLUMNS)
    print(timer.outside_summary())
