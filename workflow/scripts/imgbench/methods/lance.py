"""lance: raw pixels as a fixed-size binary column and uint8 labels in one Lance dataset (pylance), read with
take. Layout, settings and their sources: containers/lance.py, which also makes lance+CODEC."""

from .containers.lance import lance_method

METHOD = lance_method(None, "one Lance dataset (pylance, file format 2.2): raw pixels as fixed-size binary + uint8 "
                            "labels, read with take")  # fmt: skip
