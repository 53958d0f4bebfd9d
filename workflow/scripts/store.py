"""Store n images with one method: warm-up plus timed repeats, each into an empty directory; disk usage.

Run by rule store as `python -m store --method ... --n-images ...` (see rules/benchmark.smk).
"""

import json
from pathlib import Path

from imgbench import harness, methods, timer, usage
from imgbench.fsutil import write_csv_atomic
from imgbench.job import arguments, logged
from imgbench.source import Source

args = arguments(__doc__, "method", "n-images", "images", "settings", "store", "timings", "usage", "log")
with logged(args.log):
    method, n_images = args.method, int(args.n_images)
    settings = harness.Settings(**json.loads(args.settings))
    module = methods.load(method)
    source = Source(Path(args.images).parent)
    rows = harness.measure_store(method, module, "store_many", n_images, args.store, source, settings)
    rows += harness.measure_encoding(method, module, n_images, source, settings)
    with timer.outside("disk usage"):
        used = usage.disk_usage(args.store)
    write_csv_atomic(args.usage, [{"method": method, "n_images": n_images, **used, "raw_bytes": n_images * 3072}],
                     usage.COLUMNS)  # fmt: skip
    write_csv_atomic(args.timings, rows, harness.COLUMNS)
    print(timer.outside_summary())
