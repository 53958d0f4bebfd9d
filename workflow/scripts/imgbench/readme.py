"""Write the README's results table from a run's summary.csv, disk_usage.csv and environment.json.

Usage: PYTHONPATH=workflow/scripts python -m imgbench.readme RESULTS_DIR README.md [BLOCK]
It replaces what stands between the <!-- BLOCK:START --> and <!-- BLOCK:END --> markers (BLOCK defaults to
RESULTS), so the README's numbers are never typed in; the METHODS block lists the registry's methods.
BLOCK TUTORIAL sets RESULTS_DIR/tutorial_baseline.csv (benchmarks/tutorial_baseline.py) beside the run.
"""

import json
import statistics
import sys
from pathlib import Path

import pandas as pd

from imgbench import advice, codecs, methods, stats
from imgbench.fsutil import read_csv
from imgbench.methods import containers
from imgbench.report import markdown_table
from imgbench.tables import headline_tables, machine_line, mib, timing_line


def load(results: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    summary = stats.load_summary(results / "summary.csv")
    usage = pd.read_csv(results / "disk_usage.csv")
    return summary, usage, json.loads((results / "environment.json").read_text())


def methods_table() -> str:
    """The registry in three tables: the plain methods, the containers (each with every codec), the codecs;
    each method and container with its advice (imgbench/advice.py)."""
    lines = ["| method | what it stores | when to use it |", "|---|---|---|"]
    lines += [f"| `{name}` | {methods.load(name).description} | {advice.METHODS.get(name, '')} |"
              for name in methods.plain()]  # fmt: skip
    lines += ["", "| container (method `CONTAINER+CODEC`) | what it stores | when to use it |", "|---|---|---|"]
    lines += [f"| `{name}` | {containers.load(name).description.format(codec='CODEC')} | "
              f"{advice.CONTAINERS.get(name, '')} |" for name in containers.available()]  # fmt: skip
    lines += ["", "| codec | lossless | library | what it does |", "|---|---|---|---|"]
    for name in codecs.available():
        codec = codecs.load(name)
        lines.append(f"| `{name}` | {'yes' if codec.lossless else 'no'} | {codec.library} | {codec.description} |")
    aliases = ", ".join(f"`{old}` = `{new}`" for old, new in methods.ALIASES.items())
    return "\n".join([*lines, "", f"Old names still accepted: {aliases}."])


def results_table(results: Path) -> str:
    """The overview table of summary.md (tables.headline_tables), the machine and the settings."""
    summary, usage, environment = load(results)
    overview = headline_tables(summary, usage)[0]
    table = markdown_table(overview).split("\n", 2)[2]  # its title as a sentence, not a heading
    lines = [f"{overview.title}.", "", table, machine_line(environment), "", timing_line(summary, environment)]
    return "\n".join(lines)


def sequential_index(summary: pd.DataFrame) -> dict:
    """Summary rows of sequential reads and stores, by (method, operation, n_images, cache)."""
    rows = stats.records(summary[summary["pattern"] == "sequential"])
    return {(r["method"], r["operation"], int(r["n_images"]), r["cache"]): r for r in rows}


def peak_cells(index: dict, method: str, n: int) -> list[str]:
    """Peak resident memory (and, in brackets, private memory) of the store job and the read job at n images."""
    rows = [index.get((method, "store_many", n, "")), index.get((method, "read_many", n, "warm"))]
    return [f"{mib(row['peak_rss_bytes'])} ({mib(row['peak_private_bytes'])})" if row else "–" for row in rows]


def scale_table(results: Path) -> str:
    """Seconds and peak memory at the two largest cutoffs, and the fitted exponent b of seconds ≈ a·nᵇ."""
    summary = stats.load_summary(results / "summary.csv")
    index = sequential_index(summary)
    fits = {(r["method"], r["operation"], r["cache"]): float(r["b"]) for r in stats.records(stats.scaling(summary))}
    small, large = sorted(int(n) for n in summary["n_images"].unique())[-2:]
    operations = (("store_many", ""), ("read_many", "warm"), ("read_many", "cold"))
    lines = [
        f"Median seconds at {small:,} → {large:,} images, exponent b of seconds ≈ a·nᵇ fitted over cutoffs "
        f"≥ {stats.SCALING_MIN_IMAGES:,}, and peak memory (private) of the jobs at {large:,} in MiB.",
        "",
        "| method | store (s) | b | read warm (s) | b | read cold (s) | b | peak store | peak read |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method in sorted(summary["method"].unique()):
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
    index = sequential_index(stats.load_summary(results / "summary.csv"))
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
