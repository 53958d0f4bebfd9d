"""Figures (placeholder: time against images)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from imgbench.fsutil import read_csv  # noqa: E402


def draw_all(summary_csv, usage_csv, done_path):
    rows = read_csv(summary_csv)
    out = Path(done_path).parent
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots()
    for method in sorted({r["method"] for r in rows}):
        pts = sorted(
            (int(r["n_images"]), float(r["median"]))
            for r in rows
            if r["method"] == method and r["operation"] == "store_many"
        )
        ax.plot(*zip(*pts), marker="o", label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend()
    fig.savefig(out / "store_many.png")
    plt.close(fig)
    Path(done_path).write_text("")
