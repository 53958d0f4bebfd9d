"""arrow: raw pixels as a fixed-size binary column and uint8 labels in one Arrow IPC stream read through a
memory map, as Hugging Face datasets keeps a dataset. Layout, settings and their sources:
containers/arrow.py, which also makes arrow+CODEC."""

from .containers.arrow import arrow_method

METHOD = arrow_method(None, "one Arrow IPC stream (pyarrow, as Hugging Face datasets): raw pixels as fixed-size "
                            "binary + uint8 labels, batches of 100, read through a memory map")  # fmt: skip
