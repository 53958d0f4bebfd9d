"""Store n images with one method: warm-up plus timed repeats, each into an empty directory; disk usage."""

from pathlib import Path

from imgbench import harness, methods, timer, usage
from imgbench.fsutil import write_csv_atomic
from imgbench.job import logged
from imgbench.source import Source

with logged(snakemake):
    method, n_images = snakemake.wildcards.method, int(snakemake.wildcards.n_images)
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
