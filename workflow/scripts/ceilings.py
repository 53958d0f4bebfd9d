"""Measure the machine's ceilings (imgbench.ceilings) for this run's image size and cutoffs."""

from pathlib import Path

from imgbench import ceilings, lock
from imgbench.datasets import read_info
from imgbench.job import logged
from imgbench.repeats import repeat_dir

# The lock before the log: a job that waits must not write into the log of the job it waits for.
with lock.held(snakemake.params.timing_lock, "ceilings") as waited, logged(snakemake):
    if waited:
        print(waited)
    info = read_info(Path(snakemake.input.info).parent)
    image_bytes = int(info["image_shape"][0] * info["image_shape"][1] * info["image_shape"][2])
    work = repeat_dir(Path(snakemake.params.stores) / "ceilings" / "work", 0)
    measured = ceilings.measure(work, image_bytes, snakemake.params.cutoffs)
    ceilings.write(snakemake.output.ceilings, measured)
    print(measured)
