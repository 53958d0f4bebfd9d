"""Write the README's results table from a run's timings.csv, disk_usage.csv and environment.json.

Usage: PYTHONPATH=workflow/scripts python -m imgbench.readme results README.md
It replaces what stands between the two RESULTS markers, so the README's numbers are never typed in.
"""

import json
import sys
from pathlib import Path

from imgbench import stats
from imgbench.fsutil import read_csv

START, END = "<!-- RESULTS:START -->", "<!-- RESULTS:END -->"


def cell(row: dict | None) -> str:
    if row is None:
        return "–"
    return f"{row['median']:.4g} ({row['q1']:.4g}–{row['q3']:.4g})"


def results_table(results: Path) -> str:
    summary = stats.summarise(read_csv(results / "timings.csv"))
    usage = {(r["method"], int(r["n_images"])): r for r in read_csv(results / "disk_usage.csv")}
    machine = json.loads((results / "environment.json").read_text())
    largest = max(int(r["n_images"]) for r in summary)
    index = {(r["method"], r["operation"], int(r["n_images"]), r["cache"]): r for r in summary
             if r["pattern"] == "sequential"}  # fmt: skip
    methods = sorted({r["method"] for r in summary})
    lines = [
        f"Median seconds (q1–q3) at {largest:,} images; single-image operations in milliseconds.",
        "",
        "| method | store many | read many, warm | read many, cold | store one (ms) | read one, warm (ms) "
        "| disk / raw pixels | files |",
        "|---|---|---|---|---|---|---|---|",
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
            f"| {single_ms[0]} | {single_ms[1]} | {ratio} | {used['n_files'] if used else '–'} |"
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


def update_readme(results: Path, readme: Path) -> None:
    text = readme.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{results_table(results)}\n{END}{after}")


if __name__ == "__main__":
    update_readme(Path(sys.argv[1]), Path(sys.argv[2]))
