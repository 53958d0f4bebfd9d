"""arrayrecord: arrayrecord+raw under its own name: one ArrayRecord record per image (label byte + raw
pixels), group_size 1, uncompressed, read with the random-access reader options. Layout, settings and their
sources: containers/arrayrecord.py."""

from imgbench import codecs

from .containers.arrayrecord import method

METHOD = method(codecs.load("raw"))
