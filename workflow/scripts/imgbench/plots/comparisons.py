"""The paired comparisons: each method's time as a ratio to the reference's, with its 95% interval."""

from . import style

PANELS = {"read_warm": "read, warm page cache", "read_cold": "read, cold page cache", "store": "store"}


def comparisons(path, tables) -> None:
    rows = tables.comparisons
    title = "Head to head: time as a ratio to the reference, paired interleaved rounds"
    if not rows:
        return style.placeholder(path, title, "no paired comparison in this run (see compare.cutoffs)")
    n = max(row["cutoff"] for row in rows)
    operations = [op for op in PANELS if style.select(rows, cutoff=n, operation=op)]
    methods = sorted({row["method"] for row in rows if row["cutoff"] == n})
    aa_row = len(methods)  # the reference against itself, drawn in grey on the last row
    fig, axes = style.new_figure(1, len(operations), 5 * len(operations) + 2, 0.5 * len(methods) + 3,
                                 f"{title}, {n:,} images")  # fmt: skip
    for ax, operation in zip(axes[0], operations, strict=True):
        found = style.select(rows, cutoff=n, operation=operation)
        for y, method in enumerate(methods):
            row = next((r for r in found if r["method"] == method), None)
            if row is None:
                continue
            colour, marker = style.method_style(method)
            ax.errorbar(row["ratio"], y, xerr=[[row["ratio"] - row["ci_low"]], [row["ci_high"] - row["ratio"]]],
                        color=colour, marker=marker, capsize=3, linestyle="")  # fmt: skip
        first = found[0]
        reference = first["reference"]
        ax.errorbar(first["aa_ratio"], aa_row, xerr=[[first["aa_ratio"] - first["aa_ci_low"]],
                    [first["aa_ci_high"] - first["aa_ratio"]]], color="grey", marker="o", capsize=3)  # fmt: skip
        aa = "" if first["aa_contains_one"] else " (A/A FAILED: untrustworthy)"
        ax.axvline(1, color="black", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_yticks(range(len(methods) + 1), [*methods, f"{reference} (A/A)"])
        ax.set_xlabel(f"time / {reference}'s time (95% interval)")
        ax.set_title(PANELS[operation] + aa)
        ax.grid(True, axis="x", which="major", alpha=0.3)
    style.save(fig, path)
