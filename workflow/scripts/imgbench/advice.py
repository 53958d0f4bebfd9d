"""When to use each method and container: the README's "when to use it" column (readme.methods_table).

Written by hand from measured runs, not computed, on this project's 2-core VM, 2026-12-01, 32 x 32 images
unless said: the formats run (`snakemake --configfile config/formats.yaml`, 10,000 and 100,000 images), the
codecs grid (`config/codecs.yaml`) and benchmarks/formats.py; their figures are in the issues' closing notes
and docs/results-history.md. Change an entry only from a run.
"""

METHODS: dict[str, str] = {
    "npy": "the floor: one array in a file; nothing reads a run of images faster. No labels beyond an array, "
    "no encoding, no appends",
    "hdf5": "the tutorial's HDF5: whole runs of raw images fast; single random reads cost a call each",
    "hdf5_chunked": "HDF5 when you want compression (lzf, gzip) per image",
    "lmdb": "the tutorial's LMDB (pickled objects): prefer lmdb_raw, which skips pickling",
    "lmdb_raw": "fast random single-image reads from one file, with the transactions of a database",
    "disk": "the tutorial's PNG files: slowest to store and read at every size measured; a file per image is "
    "what other tools expect",
    "arrow": "random and batched reads from a memory map at npy's speed or better; the Hugging Face datasets layout",
    "parquet": "interchange and the Hub: compact and columnar, but every read decodes whole row groups",
    "lance": "versioned datasets with take by index; slower single reads than arrow or lmdb here",
    "zarr": "N-d arrays in chunks and shards (cloud-friendly); the slowest single-image reads measured here",
    "sqlite": "one file, standard library only, fast single reads by row id",
    "arrayrecord": "Grain pipelines: fast single reads; one file of records",
}

CONTAINERS: dict[str, str] = {  # methods CONTAINER+CODEC
    "files": "a file per image, as other tools expect; the file system's per-file cost dominates small images",
    "lmdb": "any codec in LMDB: fast random reads; with qoi, 10x faster stores than PNG files",
    "hdf5": "any codec in one HDF5 file; with qoi the fastest lossless store measured here",
    "tar": "WebDataset shards: sequential streaming and shard-level shuffling",
    "wids": "the same tar shards read by WebDataset's indexed reader (random access)",
    "s3": "an object per image in S3: every image costs a request; see config/object-storage.yaml",
    "s3tar": "tar shards as S3 objects, read by ranged GETs: fewer requests than an object per image",
}
