"""Paired, interleaved comparisons of every method's store at one size against the reference (comparing.py)."""

from pathlib import Path

from imgbench import comparing, environment, lock, methods
from imgbench.fsutil import write_csv_atomic
from imgbench.job import logged
from imgbench.measurement import Job
from imgbench.repeats import repeat_dir
from imgbench.settings import Settings
from imgbench.source import Source
from imgbench.timer import Overhead

n_images = int(snakemake.wildcards.n_images)
params = snakemake.params
# The lock before the log: a job that waits must not write into the log of the job it waits for.
with lock.held(params.timing_lock, f"compare {n_images}") as waited, logged(snakemake):
    if waited:
        print(waited)
    source, overhead, machine = Source(Path(snakemake.input.images).parent), Overhead(), environment.machine_id()
    contestants = {}
    for name, store in zip(params.methods, snakemake.input.stores, strict=True):
        method = methods.load(name)
        options = method.with_defaults(params.options.get(name, {}))
        settings = Settings.from_params(params.settings | {"options": options}, machine)
        contestants[name] = comparing.Contestant(Job(name, method, source, settings, overhead), Path(store))
    work = repeat_dir(Path(snakemake.input.stores[0]).parents[1] / "compare" / str(n_images), 0)
    comparison = comparing.Comparison(contestants, params.compare["reference"], n_images, work, params.compare)
    write_csv_atomic(snakemake.output.rounds, comparison.run(), comparing.COLUMNS)
    print(overhead.summary())
