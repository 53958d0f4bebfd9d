"""Check the archive (md5, when one is expected); unpickle its training batches into mappable arrays."""

from pathlib import Path

from imgbench import dataset
from imgbench.download import remove_stale_partial
from imgbench.job import logged

with logged(snakemake):
    archive = Path(snakemake.input.archive)
    remove_stale_partial(archive)
    if snakemake.params.md5:
        dataset.check_md5(archive, snakemake.params.md5)
    count = dataset.unpickle_archive(archive, Path(snakemake.output.images).parent)
    print(f"unpickled {count} images from {archive}")
