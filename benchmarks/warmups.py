"""Do warm-up runs change the result? For every measurement whose timed samples take over --min-seconds,
the warm-up run's time against the median of the timed samples, from a finished run's timings.csv.

Usage: python benchmarks/warmups.py RESULTS_DIR [--min-seconds 2]
Prints one line per measurement (method, operation, pattern, cache, n_images): the warm-up's seconds, the
timed samples' median, their min and max, and warm-up / median; then how many warm-ups fall outside the
timed samples' range, against how many would by chance alone if the warm-up were one more sample like the
others (2 / (n + 1) for n timed samples), and the median of warm-up / median. A warm-up that is no more often
outside the range than chance changes nothing a timed sample would not have.
"""

import argparse
import csv
import statistics
from collections import defaultdict
from pathlib import Path

KEY = ("method", "operation", "pattern", "cache", "n_images", "batch_size", "workers", "concurrency")


def samples(results: Path) -> dict[tuple, tuple[list[float], list[float]]]:
    """Per measurement: the warm-up seconds and the timed seconds, per loop (seconds / loops)."""
    found: dict[tuple, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    with open(results / "timings.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            seconds = float(row["seconds"]) / int(row.get("loops") or 1)
            found[tuple(row[k] for k in KEY)][0 if row["warmup"] == "1" else 1].append(seconds)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--min-seconds", type=float, default=2.0)
    args = parser.parse_args()
    outside, by_chance, ratios = 0, 0.0, []
    columns = ["method", "operation", "pattern", "cache", "images", "warm-up (s)", "median (s)", "min–max (s)",
               "warm-up / median"]  # fmt: skip
    print("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns))
    for key, (warmups, timed) in sorted(samples(args.results).items()):
        if not warmups or not timed or statistics.median(timed) < args.min_seconds:
            continue
        median, warmup = statistics.median(timed), warmups[0]
        ratios.append(warmup / median)
        outside += not min(timed) <= warmup <= max(timed)
        by_chance += 2 / (len(timed) + 1)
        method, operation, pattern, cache, n_images, *_ = key
        print(f"| {method} | {operation} | {pattern} | {cache or '–'} | {int(n_images):,} | {warmup:.3f} | "
              f"{median:.3f} | {min(timed):.3f}–{max(timed):.3f} | {warmup / median:.3f} |")  # fmt: skip
    if not ratios:
        print(f"\nNo measurement with a warm-up takes over {args.min_seconds} s.")
        return
    beyond = sum(not 0.9 <= r <= 1.1 for r in ratios)
    print(f"\n{outside} of {len(ratios)} warm-ups (measurements over {args.min_seconds} s) lie outside their timed "
          f"range; {by_chance:.1f} would by chance. Median warm-up / median {statistics.median(ratios):.3f}; "
          f"{beyond} beyond ±10%.")  # fmt: skip


if __name__ == "__main__":
    main()
