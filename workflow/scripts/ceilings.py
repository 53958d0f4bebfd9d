"""Measure the machine's ceilings (imgbench.ceilings) for this run's image size and cutoffs."""

from pathlib import Path

from imgbench import ceilings, lock
from imgbench.datasets import read_info
from imgbench.job import logged

# The lock before the log: a job that waits must not write into the log of the job it waits for.
with lock.held(snakemake.params.timing_lock, "ceilings") as waited, logged(snakemake):
    if waited:
        print(waited)
    info = read_info(Path(snakemake.input.info).parent)
    image_bytes = int(info["image_shape"][0] * info["image_shape"][1] * info["image_shape"][2])
    # Scratch files beside results/raw, not among the stores (results/stores may be another filesystem).
    measured = ceilings.measure(Path(snakemake.output.ceilings).parent / ".ceilings-work", image_bytes)
    ceilings.write(snakemake.output.ceilings, measured)
    print(measured)
