"""Read back what one store job wrote, in every configured cache state and pattern; verify every image.

Run by rule read as `python -m read --method ... --n-images ...` (see rules/benchmark.smk).
"""

import json
from pathlib import Path

from imgbench import harness, methods, timer
from imgbench.fsutil import write_csv_atomic
from imgbench.job import arguments, logged
from imgbench.source import Source

args = arguments(__doc__, "method", "n-images", "images", "store", "settings", "patterns", "timings", "log")
with logged(args.log):
    method, n_images = args.method, int(args.n_images)
    settings = harness.Settings(**json.loads(args.settings))
    patterns = [harness.Pattern(**pattern) for pattern in json.loads(args.patterns)]
    source = Source(Path(args.images).parent)
    rows = harness.measure_reads(
        method, methods.load(method), "read_many", n_images, args.store, source, settings, patterns
    )
    write_csv_atomic(args.timings, rows, harness.COLUMNS)
    print(timer.outside_summary())
