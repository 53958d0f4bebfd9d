"""How repeatable are the medians? Compare summary.csv of several runs of the same config.

Usage: python benchmarks/compare_runs.py RESULTS_DIR RESULTS_DIR [...] [--cutoffs 10000 100000]
Prints, per method, operation, cache and cutoff, each run's median and the spread max/min - 1, how
many groups agree within 15%, and each run's time inside the timers (every row of timings.csv, seconds
times loops, warm-ups included; the compare job's rounds are not in it), to set against the run's wall time.
"""

import argparse
import csv
from pathlib import Path

KEY = ("method", "operation", "pattern", "cache", "n_images")


def medians(results: Path, cutoffs: set[int]) -> dict:
    with open(results / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        tuple(row[k] for k in KEY): float(row["median"])
        for row in rows
        if int(row["n_images"]) in cutoffs and row["pattern"] in ("sequential", "encode_only")
    }


def timed_seconds(results: Path) -> float:
    with open(results / "timings.csv", newline="") as handle:
        return sum(float(row["seconds"]) * int(row["loops"]) for row in csv.DictReader(handle))  # per operation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--cutoffs", nargs="+", type=int, default=[10000, 100000])
    parser.add_argument("--tolerance", type=float, default=0.15)
    args = parser.parse_args()
    runs = [medians(path, set(args.cutoffs)) for path in args.results]
    keys = sorted(set.intersection(*(set(run) for run in runs)), key=lambda k: (k[0], k[1], k[2], k[3], int(k[4])))
    agree = 0
    print(
        "| method | operation | pattern | cache | n | "
        + " | ".join(f"run {i + 1} (s)" for i in range(len(runs)))
        + " | max/min - 1 |"
    )
    print("|---" * (6 + len(runs)) + "|")
    for key in keys:
        values = [run[key] for run in runs]
        spread = max(values) / min(values) - 1
        agree += spread <= args.tolerance
        cells = " | ".join(f"{v:.4g}" for v in values)
        flag = "" if spread <= args.tolerance else " (over)"
        print(f"| {' | '.join(key[:4])} | {int(key[4]):,} | {cells} | {spread:.1%}{flag} |")
    print(f"\n{agree} of {len(keys)} groups agree within {args.tolerance:.0%} across {len(runs)} runs")
    for path in args.results:
        print(f"{path}: {timed_seconds(path):.0f} s inside the timers")


if __name__ == "__main__":
    main()
