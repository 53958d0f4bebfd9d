"""Generate the synthetic stand-in archive (CIFAR-10 python layout, fixed seed)."""

from imgbench import dataset
from imgbench.job import logged

with logged(snakemake):
    params = snakemake.params
    dataset.write_synthetic_archive(snakemake.output.archive, seed=params.seed, batch_images=params.batch_images)
