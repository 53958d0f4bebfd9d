"""Write the README's results table from a run's timings.csv, disk_usage.csv and environment.json.

Usage: PYTHONPATH=workflow/scripts python -m imgbench.readme RESULTS_DIR README.md [BLOCK]
It replaces what stands between the <!-- BLOCK:START --> and <!-- BLOCK:END --> markers (BLOCK defaults to
RESULTS), so the README's numbers are never typed in; the METHODS block lists the registry's methods.
BLOCK TUTORIAL sets RESULTS_DIR/tutorial_baseline.csv (benchmarks/tutorial_baseline.py) beside the run.
"""

import json
import statistics
import sys
from pathlib import Path

from imgbench import methods, stats
from imgbench.fsutil import read_csv


def cell(row: dict | None) -> str:
    if row is None:
        return "–"
    return f"{row['median']:.4g} ({row['q1']:.4g}–{row['q3']:.4g})"


def peak_cells(index: dict, method: str, n: int) -> list[str]:
    """Peak resident memory (and, in brackets, private memory) of the store job and the read job at n images."""
    rows = [index.get((method, "store_many", n, "")), index.get((method, "read_many", n, "warm"))]
    return [f"{mib(row['peak_rss_bytes'])} ({mib(row['peak_private_bytes'])})" if row else "–" for row in rows]


def mib(value) -> str:
    return f"{int(value or 0) / 2**20:.0f}"


def sequential_index(summary: list[dict]) -> dict:
    """Summary rows of sequential reads and stores, by (method, operation, n_images, cache)."""
    return {(r["method"], r["operation"], int(r["n_images"]), r["cache"]): r for r in summary
            if r["pattern"] == "sequential"}  # fmt: skip


def methods_table() -> str:
    lines = ["| method | what it stores |", "|---|---|"]
    lines += [f"| `{name}` | {methods.load(name).DESCRIPTION} |" for name in methods.available()]
    return "\n".join(lines)


def results_table(results: Path) -> str:
    summary = stats.summarise(read_csv(results / "timings.csv"))
    usage = {(r["method"], int(r["n_images"])): r for r in read_csv(results / "disk_usage.csv")}
    machine = json.loads((results / "environment.json").read_text())
    largest = max(int(r["n_images"]) for r in summary)
    index = sequential_index(summary)
    methods = sorted({r["method"] for r in summary})
    lines = [
        f"Median seconds (q1–q3) at {largest:,} images; single-image operations in milliseconds.",
        "",
        "| method | store many | read many, warm | read many, cold | store one (ms) | read one, warm (ms) "
        "| disk / raw pixels | files | peak memory (private), store / read (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method in methods:
        used = usage.get((method, largest))
        ratio = f"{int(used['bytes_allocated']) / int(used['raw_bytes']):.2f}" if used else "–"
        single = [index.get((method, op, 1, cache)) for op, cache in (("store_single", ""), ("read_single", "warm"))]
        single_ms = [f"{row['median'] * 1e3:.3g}" if row else "–" for row in single]
        lines.append(
            f"| {method} | {cell(index.get((method, 'store_many', largest, '')))} "
            f"| {cell(index.get((method, 'read_many', largest, 'warm')))} "
            f"| {cell(index.get((method, 'read_many', largest, 'cold')))} "
            f"| {single_ms[0]} | {single_ms[1]} | {ratio} | {used['n_files'] if used else '–'} "
            f"| {' / '.join(peak_cells(index, method, largest))} |"
        )
    config = machine["config"]
    lines += [
        "",
        f"Machine: {machine['cpu_model']}, {machine['cpu_cores']} cores, {machine['memory_bytes'] / 2**30:.1f} GiB, "
        f"{machine['os_name']} ({machine['os']}), {machine['filesystem'].get('type', '?')} filesystem; "
        f"Python {machine['python']}, commit {machine['git_commit']}. Durability `{config['durability']}`, "
        f"{config['repeats']} repeats (≤{config['large_cutoff']:,} images) / {config['repeats_large']} above, "
        f"plus {config['warmup_runs']} warm-up; dataset `{config['dataset']['source']}`.",
    ]
    return "\n".join(lines)


def scale_table(results: Path) -> str:
    """Seconds and peak memory at the two largest cutoffs, and the fitted exponent b of seconds ≈ a·nᵇ."""
    summary = stats.summarise(read_csv(results / "timings.csv"))
    index = sequential_index(summary)
    fits = {(r["method"], r["operation"], r["cache"]): float(r["b"]) for r in stats.scaling(summary)}
    small, large = sorted({int(r["n_images"]) for r in summary})[-2:]
    operations = (("store_many", ""), ("read_many", "warm"), ("read_many", "cold"))
    lines = [
        f"Median seconds at {small:,} → {large:,} images, exponent b of seconds ≈ a·nᵇ fitted over cutoffs "
        f"≥ {stats.SCALING_MIN_IMAGES:,}, and peak memory (private) of the jobs at {large:,} in MiB.",
        "",
        "| method | store (s) | b | read warm (s) | b | read cold (s) | b | peak store | peak read |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method in sorted({r["method"] for r in summary}):
        cells = []
        for operation, cache in operations:
            at = [index.get((method, operation, n, cache)) for n in (small, large)]
            cells.append(" → ".join(f"{row['median']:.3g}" if row else "–" for row in at))
            b = fits.get((method, operation, cache))
            cells.append(f"{b:.2f}" if b is not None else "–")
        lines.append(f"| {method} | {' | '.join(cells + peak_cells(index, method, large))} |")
    return "\n".join(lines)


def tutorial_table(results: Path) -> str:
    """Median seconds of the tutorial's code (tutorial_baseline.csv) beside ours (warm reads) at the same n."""
    tutorial = read_csv(results / "tutorial_baseline.csv")
    index = sequential_index(stats.summarise(read_csv(results / "timings.csv")))
    n = int(tutorial[0]["n_images"])
    theirs = {}
    for row in tutorial:
        theirs.setdefault((row["method"], row["operation"]), []).append(float(row["seconds"]))
    repeats = len(theirs[tutorial[0]["method"], tutorial[0]["operation"]])
    lines = [
        f"Median seconds at {n:,} images: the tutorial's code ({repeats} repeats) and ours (warm reads).",
        "",
        "| method | store: tutorial | store: ours | read: tutorial | read: ours |",
        "|---|---|---|---|---|",
    ]
    for method in dict.fromkeys(row["method"] for row in tutorial):
        cells = []
        for operation, cache in (("store_many", ""), ("read_many", "warm")):
            cells.append(f"{statistics.median(theirs[method, operation]):.3g}")
            mine = index.get((method, operation, n, cache))
            cells.append(f"{mine['median']:.3g}" if mine else "–")
        lines.append(f"| {method} | {' | '.join(cells)} |")
    return "\n".join(lines)


TABLES = {"RESULTS": results_table, "SCALE": scale_table, "TUTORIAL": tutorial_table}


def replace_block(text: str, block: str, content: str) -> str:
    start, end = f"<!-- {block}:START -->", f"<!-- {block}:END -->"
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{content}\n{end}{after}"


def update_readme(results: Path, readme: Path, block: str = "RESULTS") -> None:
    table = TABLES[block](results)
    text = replace_block(readme.read_text(), block, table)
    readme.write_text(replace_block(text, "METHODS", methods_table()))


if __name__ == "__main__":
    update_readme(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:4])
