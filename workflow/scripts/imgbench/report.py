"""summary.md (placeholder)."""

from pathlib import Path

from imgbench.fsutil import read_csv


def write_summary(summary_csv, usage_csv, environment_json, out):
    rows = read_csv(summary_csv)
    n = max(int(r["n_images"]) for r in rows)
    lines = ["| method | operation | cache | median s |", "|---|---|---|---|"]
    for r in rows:
        if int(r["n_images"]) == n:
            lines.append(f"| {r['method']} | {r['operation']} | {r['cache']} | {float(r['median']):.4f} |")
    Path(out).write_text("\n".join(lines) + "\n")
