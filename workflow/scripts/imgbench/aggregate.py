"""Gather the per-job raw CSVs into the tidy tables: timings, disk usage, summary, scaling."""

import json
import sys
from pathlib import Path

import pandas as pd

from imgbench import comparing, stats, usage
from imgbench import rows as timing_rows
from imgbench.errors import BenchmarkError
from imgbench.fsutil import read_csv, write_csv_atomic, write_frame_atomic


def gather(paths: list[Path], columns: list[str]) -> list[dict]:
    """All rows of the given CSVs, after checking each has the expected header and at least one row."""
    rows = []
    for path in paths:
        part = read_csv(path)
        if not part or list(part[0]) != columns:
            raise BenchmarkError(f"{path} is empty or has unexpected columns; delete it and rerun to remeasure")
        rows.extend(part)
    return rows


def check_timings(rows: list[dict]) -> None:
    for row in rows:
        try:
            if float(row["seconds"]) < 0:
                raise ValueError
        except ValueError as error:
            raise BenchmarkError(f"a timing row has an invalid seconds value: {row}") from error
    machines = sorted({row["machine_id"] for row in rows})
    if len(machines) > 1:
        print(
            f"warning: timings come from {len(machines)} machine/software states {machines}; "
            "compare only rows with the same machine_id (see environment.json)",
            file=sys.stderr,
        )


def aggregate(timing_files, usage_files, out_timings, out_usage, out_summary, out_scaling, precision=0.05,
              comparison_files=(), out_comparisons=None, ceilings_json=None) -> None:  # fmt: skip
    rows = gather(timing_files, timing_rows.COLUMNS)
    check_timings(rows)
    write_csv_atomic(out_timings, rows, timing_rows.COLUMNS)
    write_csv_atomic(out_usage, gather(usage_files, usage.COLUMNS), usage.COLUMNS)
    summary = stats.summarise(stats.load_timings(out_timings), precision)
    if ceilings_json is not None:
        measured = json.loads(Path(ceilings_json).read_text())
        summary = stats.against_ceilings(summary, pd.read_csv(out_usage), measured)
    write_frame_atomic(out_summary, summary)
    write_frame_atomic(out_scaling, stats.scaling(summary))
    if out_comparisons is not None:
        rounds = pd.DataFrame(gather(comparison_files, comparing.COLUMNS), columns=comparing.COLUMNS)
        rounds = rounds.astype({"n_images": int, "copy": int, "round": int, "loops": int, "seconds": float})
        write_frame_atomic(out_comparisons, stats.comparisons(rounds))
