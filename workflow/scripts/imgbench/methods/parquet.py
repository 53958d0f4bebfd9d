"""parquet: raw pixels as a fixed-size binary column and uint8 labels in one Parquet file (pyarrow), in row
groups of row_group_size images (100 by default, as Hugging Face datasets writes image datasets). Layout,
settings and their sources: containers/parquet.py, which also makes parquet+CODEC."""

from .containers.parquet import parquet_method

METHOD = parquet_method(None, "one Parquet file (pyarrow): raw pixels as fixed-size binary + uint8 labels, "
                              "row groups of row_group_size, read by row group")  # fmt: skip
