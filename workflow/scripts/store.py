"""Store n images with one method: warm-up plus timed repeats, each into an empty directory; disk usage."""

from pathlib import Path

from imgbench import repeats, storing, usage
from imgbench.job import timed_job
from imgbench.rows import Operation, write_rows

n_images = int(snakemake.wildcards.n_images)
with timed_job(snakemake, f"store {snakemake.wildcards.method} {n_images}") as job:
    store = Path(snakemake.output.store)
    with job.overhead("delete"):
        repeats.remove_leftover_repeats(store.parents[1])
    # Encoding first: a store takes at least as long as its encoding, which tells whether priming can help.
    encoding = storing.measure_encoding(job, n_images)
    fastest = min((row.seconds for row in encoding), default=None)
    rows = storing.measure_store(job, Operation.STORE_MANY, n_images, store, at_least=fastest)
    for concurrency in job.settings.store_concurrency:  # remote methods: requests in flight (patterns.concurrency)
        rows += storing.measure_store(job, Operation.STORE_MANY, n_images, store, fastest, concurrency)
    with job.overhead("disk usage"):
        usage.write_usage(snakemake.output.usage, job.method_name, n_images, store, job.source.image_bytes)
    write_rows(snakemake.output.timings, rows + encoding)
