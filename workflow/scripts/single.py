"""Store one image into an empty store and read it back (the tutorial's store_single / read_single).

Run by rule single as `python -m single --method ...` (see rules/benchmark.smk).
"""

import json
from pathlib import Path

from imgbench import harness, methods, timer
from imgbench.fsutil import write_csv_atomic
from imgbench.job import arguments, logged
from imgbench.source import Source

args = arguments(__doc__, "method", "images", "settings", "store", "timings", "log")
with logged(args.log):
    method, settings = args.method, harness.Settings(**json.loads(args.settings))
    module, source = methods.load(method), Source(Path(args.images).parent)
    rows = harness.measure_store(method, module, "store_single", 1, args.store, source, settings)
    rows += harness.measure_reads(method, module, "read_single", 1, args.store, source, settings, [harness.Pattern()])
    write_csv_atomic(args.timings, rows, harness.COLUMNS)
    print(timer.outside_summary())
