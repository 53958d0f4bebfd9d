"""sqlite: sqlite+raw under its own name: one SQLite row per image (id, label, raw pixels as a BLOB), one
transaction, 16 KiB pages. Layout, settings and their sources: containers/sqlite.py."""

from imgbench import codecs

from .containers.sqlite import method

METHOD = method(codecs.load("raw"))
