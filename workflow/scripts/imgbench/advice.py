"""When to use each method and container: the README's "when to use it" column (readme.methods_table).

Written by hand from measured runs, not computed, on this project's 2-core VM, 2026-12-01, 32 x 32 images
unless said: the formats run (`snakemake --configfile config/formats.yaml`, 10,000 and 100,000 images), the
codecs grid (`config/codecs.yaml`) and benchmarks/formats.py; their figures are in the issues' closing notes
and docs/results-history.md. Change an entry only from a run.
"""

METHODS: dict[str, str] = {
    "npy": "the floor: one array in a file, the fastest store and in-order read; no encoding, no appends",
    "hdf5": "runs of raw images at npy's speed (1.2x); single random reads 3.7x slower than npy's (37,000/s)",
    "hdf5_chunked": "HDF5 when you want compression (lzf, gzip) per image",
    "lmdb": "the tutorial's LMDB (pickled objects): prefer lmdb_raw, which skips pickling",
    "lmdb_raw": "random single reads from one file: 125,000/s warm, the best cold single reads with arrow",
    "disk": "the tutorial's PNG files: the slowest store and read of the default methods; a file per image is "
    "what other tools expect",
    "arrow": "the fastest random reads measured (180,000/s warm); opening reads the whole stream (0.33 s cold "
    "at 100,000): the Hugging Face datasets layout",
    "parquet": "interchange and the Hub; a single random read decodes a whole row group: 17,000/s, 8x npy's time",
    "s3parquet": "a Parquet file in S3 read by pyarrow: a random image costs a GET of its whole row group; see "
    "config/object-storage.yaml",
    "lance": "versioned datasets; batches of 256 read well (94,000 images/s), single random reads slowly (2,600/s)",
    "zarr": "N-d arrays in chunks and shards for other tools; slowest here: stores 100x npy, 1,500 single reads/s",
    "sqlite": "one file, standard library only: 51,000 single random reads/s warm; stores 6x npy",
    "arrayrecord": "Grain pipelines: 87,000 single random reads/s warm; stores 7x npy",
}

CONTAINERS: dict[str, str] = {  # methods CONTAINER+CODEC
    "files": "a file per image, as other tools expect; the file system's per-file cost dominates small images",
    "lmdb": "any codec in LMDB: fast random reads; lmdb+qoi stored 12x faster than PNG files",
    "hdf5": "any codec in one HDF5 file; hdf5+qoi was the fastest lossless non-raw store (16x PNG files)",
    "tar": "WebDataset shards for streaming; our indexed reader does 59,000 single reads/s, 3.8x wids's",
    "wids": "tar shards through WebDataset's own indexed reader: 15,800 single reads/s, a quarter of tar's",
    "s3": "an object per image in S3: every image costs a request; see config/object-storage.yaml",
    "s3tar": "tar shards as S3 objects, read by ranged GETs: fewer requests than an object per image",
    "parquet": "encoded bytes in Parquet; at 32 x 32, QOI saves no bytes and makes stores 6x slower than raw",
    "arrow": "encoded bytes in Arrow; at 32 x 32, QOI saves no bytes and makes stores 12x slower than raw",
    "lance": "encoded bytes in Lance; at 32 x 32, QOI saves no bytes and makes stores 3x slower than raw",
    "sqlite": "encoded BLOBs in SQLite: 38,000 single random reads/s warm with qoi",
    "arrayrecord": "encoded records in ArrayRecord: 53,000 single random reads/s warm with qoi",
}
