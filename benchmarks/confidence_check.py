"""Do several runs of one config agree? The confidence issue's acceptance check, on results directories.

Usage: python benchmarks/confidence_check.py RESULTS_DIR RESULTS_DIR [...] [--max-half-width 0.10]

Prints, as Markdown: every method x operation of comparisons.csv with each run's ratio to the reference and
its 95% interval side by side, whether the intervals overlap (one value lies in all of them), and each
interval's farther end from its ratio (its relative half-width); the A/A control of every run; the rounds
each operation needed; and the share of summary.csv rows that did not reach their precision. Then a
verdict line per criterion:
- the intervals of every method x operation overlap across the runs;
- every run's A/A interval contains 1.0;
- half-widths at most --max-half-width for warm reads and stores at --cutoff;
- at most --max-flagged of summary.csv rows flagged as not precise, over all runs.
Exit status 0 when every criterion holds, 1 otherwise.
"""

import argparse
import sys
from pathlib import Path

import pandas as pd

STRICT_OPERATIONS = ("read_warm", "store")  # where the half-width criterion applies


def load(results: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    comparisons = pd.read_csv(results / "comparisons.csv")
    comparisons["half_width"] = (
        pd.concat([comparisons["ratio"] - comparisons["ci_low"], comparisons["ci_high"] - comparisons["ratio"]],
                  axis=1).max(axis=1) / comparisons["ratio"]
    )  # fmt: skip
    return comparisons, pd.read_csv(results / "summary.csv", keep_default_na=False)


def overlap(intervals: list[tuple[float, float]]) -> bool:
    """Whether one value lies in every interval."""
    return max(low for low, _ in intervals) <= min(high for _, high in intervals)


def side_by_side(runs: list[pd.DataFrame], names: list[str], cutoff: int, limit: float) -> tuple[list[str], list]:
    """The Markdown table, and the failures: (what, why) pairs."""
    keys = ["cutoff", "operation", "method"]
    header = "| operation | method | " + " | ".join(names) + " | overlap |"
    lines, failures = [header, "|" + "---|" * (len(names) + 3)], []
    indexed = [run.set_index(keys) for run in runs]
    common = sorted(set.intersection(*(set(run.index) for run in indexed)))
    for key in common:
        found = [run.loc[key] for run in indexed]
        cells = [f"{r.ratio:.3g} [{r.ci_low:.3g}–{r.ci_high:.3g}] ±{r.half_width:.1%}" for r in found]
        agree = overlap([(r.ci_low, r.ci_high) for r in found])
        lines.append(f"| {key[0]:,} {key[1]} | {key[2]} | " + " | ".join(cells) + f" | {'yes' if agree else 'NO'} |")
        if not agree:
            failures.append((f"{key}", "intervals do not overlap"))
        if key[0] == cutoff and key[1] in STRICT_OPERATIONS:
            failures += [(f"{key} in {name}", f"half-width {r.half_width:.1%} > {limit:.0%}")
                         for name, r in zip(names, found, strict=True) if r.half_width > limit]  # fmt: skip
    return lines, failures


def controls(runs: list[pd.DataFrame], names: list[str]) -> tuple[list[str], list]:
    lines = ["", "| run | operation | A/A ratio [95% CI] | contains 1 | rounds |", "|---|---|---|---|---|"]
    failures = []
    for name, run in zip(names, runs, strict=True):
        for (cutoff, operation), group in run.groupby(["cutoff", "operation"]):
            first = group.iloc[0]
            contains = bool(first.aa_contains_one)
            lines.append(f"| {name} | {cutoff:,} {operation} | {first.aa_ratio:.3f} "
                         f"[{first.aa_ci_low:.3f}–{first.aa_ci_high:.3f}] | {'yes' if contains else 'NO'} | "
                         f"{first.rounds} |")  # fmt: skip
            if not contains:
                failures.append((f"{name} {cutoff} {operation}", "A/A interval excludes 1"))
    return lines, failures


def flagged(summaries: list[pd.DataFrame], names: list[str], limit: float) -> tuple[list[str], list]:
    lines, total, imprecise = ["", "| run | summary rows | not precise |", "|---|---|---|"], 0, 0
    for name, summary in zip(names, summaries, strict=True):
        rows, bad = len(summary), int((summary["precise"].astype(int) == 0).sum())
        total, imprecise = total + rows, imprecise + bad
        lines.append(f"| {name} | {rows} | {bad} ({bad / rows:.0%}) |")
    share = imprecise / total
    lines.append(f"| all | {total} | {imprecise} ({share:.0%}) |")
    return lines, [("summary rows", f"{share:.0%} not precise > {limit:.0%}")] if share > limit else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--cutoff", type=int, default=10000)
    parser.add_argument("--max-half-width", type=float, default=0.10)
    parser.add_argument("--max-flagged", type=float, default=0.20)
    args = parser.parse_args()
    loaded = [load(path) for path in args.results]
    names = [path.resolve().parent.name if path.name == "results" else path.name for path in args.results]
    comparisons, summaries = [c for c, _ in loaded], [s for _, s in loaded]
    table, failures = side_by_side(comparisons, names, args.cutoff, args.max_half_width)
    aa_lines, aa_failures = controls(comparisons, names)
    flag_lines, flag_failures = flagged(summaries, names, args.max_flagged)
    print("\n".join(table + aa_lines + flag_lines))
    print()
    for what, why in failures + aa_failures + flag_failures:
        print(f"FAILS: {what}: {why}")
    print("all criteria hold" if not failures + aa_failures + flag_failures else "some criteria fail")
    return 0 if not failures + aa_failures + flag_failures else 1


if __name__ == "__main__":
    sys.exit(main())
