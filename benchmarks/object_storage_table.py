"""The object-storage table: remote methods beside local ones, one results directory per network delay.

Usage: python benchmarks/object_storage_table.py RESULTS_DIR [RESULTS_DIR ...] [--cutoff 10000]

Each RESULTS_DIR is one run of config/object-storage.yaml at one storage.s3.round_trip_ms (the delay is
read from its rows). Prints, as Markdown, per run: for every method at --cutoff images, the median seconds
and images/s of its store (at its own options, then at each level of requests in flight it was stored at:
a remote method's concurrency option and the run's other levels where it varies them), of its cold reads
in order, at random and at each concurrency in the run (1, 8, 32 by default), and its time to first image
(cold: opening the store and decoding one image). A value whose interval did not reach the run's precision
is marked *, one with fewer than 6 samples (no 95% interval) †. Stores and reads come from the same run,
so the local methods beside the remote ones met the same machine.
"""

import argparse
import json
from pathlib import Path

import pandas as pd

MIN_SAMPLES_FOR_95 = 6  # a 95% order-statistic interval of the median needs 6 samples (docs/statistics.md)


def load(results: Path, cutoff: int) -> pd.DataFrame:
    summary = pd.read_csv(results / "summary.csv", keep_default_na=False)
    summary = summary[summary["n_images"] == cutoff].copy()
    for column in ("median", "precise", "n_repeats", "concurrency"):
        summary[column] = pd.to_numeric(summary[column])
    return summary


def delay_of(summary: pd.DataFrame) -> str:
    """The run's round trip in ms, from its remote methods' rows (local methods' rows say 0: they do not
    depend on it, so that another delay reruns only the s3 jobs)."""
    remote = summary[summary["method"].str.startswith("s3")]
    delays = sorted({float(d) for d in remote["round_trip_ms"] if d != ""})
    return ", ".join(f"{d:g}" for d in delays) or "?"


def mark(row) -> str:
    return "†" if row["n_repeats"] < MIN_SAMPLES_FOR_95 else ("" if row["precise"] == 1 else "*")


def cell(rows: pd.DataFrame, n_images: int) -> str:
    """Median seconds and images/s of one measurement, with its precision mark; a dash where none."""
    if rows.empty:
        return "–"
    seconds = float(rows.iloc[0]["median"])
    return f"{seconds:.3g} s, {n_images / seconds:,.0f}/s{mark(rows.iloc[0])}"


def columns(summary: pd.DataFrame) -> list[tuple[str, dict]]:
    """(heading, selection) of every column the run measured."""
    levels = sorted(int(c) for c in summary.loc[summary["pattern"] == "concurrency", "concurrency"].unique())
    # "store" is every method's store at its own options; a remote one's level is also its own column
    # (the store job's sequential row for its concurrency option, pattern concurrency for the others).
    stores = [("store", {"operation": "store_many", "pattern": "sequential"})]
    stores += [(f"store, {c} in flight", {"operation": "store_many", "concurrency": c}) for c in levels]
    cold = {"operation": "read_many", "cache": "cold"}
    reads = [("read in order", cold | {"pattern": "sequential"}), ("read at random", cold | {"pattern": "random"})]
    reads += [(f"random, {c} in flight", cold | {"pattern": "concurrency", "concurrency": c}) for c in levels]
    return stores + reads


def selected(summary: pd.DataFrame, method: str, selection: dict) -> pd.DataFrame:
    rows = summary[summary["method"] == method]
    for column, value in selection.items():
        rows = rows[rows[column] == value]
    return rows


def first_image(summary: pd.DataFrame, method: str) -> str:
    rows = selected(summary, method, {"operation": "read_many", "cache": "cold", "pattern": "first_image"})
    if rows.empty:
        return "–"
    return f"{float(rows.iloc[0]['median']) * 1000:.3g} ms{mark(rows.iloc[0])}"


def table(results: Path, cutoff: int) -> list[str]:
    summary = load(results, cutoff)
    if summary.empty:
        return [f"{results}: no rows at {cutoff:,} images"]
    commit = results.parent / "commit.txt"
    environment_file = results / "environment.json"
    environment = json.loads(environment_file.read_text()) if environment_file.exists() else {}
    heading = f"### Round trip {delay_of(summary)} ms: {results}"
    if commit.exists():
        heading += f" (commit {commit.read_text().strip()})"
    methods = sorted(summary["method"].unique(), key=lambda m: (not m.startswith("s3"), m))
    wanted = [(name, sel) for name, sel in columns(summary) if any(len(selected(summary, m, sel)) for m in methods)]
    lines = [heading, "", f"{cutoff:,} images; cold reads; machine: {environment.get('hostname', '?')}", ""]
    lines.append("| method | " + " | ".join(name for name, _ in wanted) + " | first image (cold) |")
    lines.append("|---|" + "---|" * (len(wanted) + 1))
    for method in methods:
        cells = [cell(selected(summary, method, selection), cutoff) for _, selection in wanted]
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {first_image(summary, method)} |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--cutoff", type=int, default=10_000)
    args = parser.parse_args()
    for results in args.results:
        print("\n".join(table(results, args.cutoff)))
    print("* interval not within the run's precision; † fewer than 6 samples, no 95% interval")


if __name__ == "__main__":
    main()
