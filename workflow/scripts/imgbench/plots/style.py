"""What every figure shares: one colour and marker per method, row selection, spreads, matplotlib helpers.

Only the Agg backend is used (pyplot() selects it on first use), so figures are written to files on any
machine, with or without a display.
"""

import zlib
from pathlib import Path

METHOD_STYLES = {
    "disk": ("#1f77b4", "o"),
    "lmdb": ("#ff7f0e", "s"),
    "hdf5": ("#2ca02c", "D"),
    "npy": ("#7f7f7f", "^"),
    "lmdb_raw": ("#d62728", "v"),
    "hdf5_chunked": ("#9467bd", "P"),
    "png_lmdb": ("#8c564b", "X"),
    "png_hdf5": ("#e377c2", "*"),
    "tar_shards": ("#bcbd22", "h"),
}
# Methods added later get a style from their name's CRC32 (not hash(), which changes per process).
EXTRA_COLOURS = ["#17becf", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]
EXTRA_MARKERS = ["<", ">", "p", "d", "H", "8"]
CACHES = ["warm", "cold"]
FIGURE_DPI = 110


def method_style(method: str) -> tuple[str, str]:
    """(colour, marker) of a method, the same in every figure."""
    if method in METHOD_STYLES:
        return METHOD_STYLES[method]
    code = zlib.crc32(method.encode())
    return EXTRA_COLOURS[code % len(EXTRA_COLOURS)], EXTRA_MARKERS[code % len(EXTRA_MARKERS)]


def select(rows, **match) -> list[dict]:
    return [row for row in rows if all(row[key] == value for key, value in match.items())]


def methods_in(rows) -> list[str]:
    return sorted({row["method"] for row in rows})


def caches_in(rows) -> list[str]:
    """Cache states present, warm first; stores have the empty cache ""."""
    present = {row["cache"] for row in rows}
    return [cache for cache in [*CACHES, ""] if cache in present]


def spread(row: dict, unit: str) -> tuple[float, float, float]:
    """(low, median, high) of a summary row in a unit: the median and its 95% interval (ci_low, ci_high;
    where fewer samples give the interval less confidence, ci_confidence in summary.csv says how much)."""
    q1, median, q3 = row["ci_low"], row["median"], row["ci_high"]
    if unit == "s":
        return q1, median, q3
    if unit == "ms":
        return q1 * 1e3, median * 1e3, q3 * 1e3
    if unit == "us_per_image":
        scale = row["us_per_image"] / median
        return q1 * scale, median * scale, q3 * scale
    if unit == "mb_per_s":  # bytes / time: the slow quartile (q3) gives the low throughput
        work = row["mb_per_s"] * median
        return work / q3, work / median, work / q1
    raise ValueError(f"unknown unit {unit!r}")


# ------------------------------------------------------------------ matplotlib helpers


def pyplot():
    """pyplot with the file-only Agg backend, imported on first use so the Snakefile can read FIGURES cheaply."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_figure(nrows: int, ncols: int, width: float, height: float, title: str):
    fig, axes = pyplot().subplots(nrows, ncols, figsize=(width, height), layout="constrained", squeeze=False)
    fig.suptitle(title, fontsize="large")
    return fig, axes


def save(fig, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=FIGURE_DPI)
    pyplot().close(fig)


def placeholder(path, title: str, message: str) -> None:
    """A figure that says what is missing, so the list of outputs stays fixed."""
    fig, axes = new_figure(1, 1, 8, 3, title)
    axes[0][0].axis("off")
    axes[0][0].text(0.5, 0.5, message, ha="center", va="center", fontsize="large", wrap=True)
    save(fig, path)


def method_legend(fig, methods: list[str], extra=()) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=method_style(m)[0], marker=method_style(m)[1], label=m) for m in methods]
    fig.legend(handles=handles + list(extra), loc="outside right upper", title="method")


def thousands(ax) -> None:
    """Plain tick labels with thousands separators on a linear x axis (no 1e5 offset text)."""
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))


def plain_log_ticks(ax) -> None:
    """Plain numbers (20, 300) instead of 2×10^1 on a log y axis spanning few decades."""
    from matplotlib.ticker import LogFormatter

    ax.yaxis.set_major_formatter(LogFormatter())
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.4)))


def line_with_spread(ax, method: str, rows: list[dict], unit: str) -> None:
    """Medians joined by a line, with their confidence intervals as error bars."""
    rows = sorted(rows, key=lambda row: row["n_images"])
    lows, mids, highs = (list(v) for v in zip(*(spread(row, unit) for row in rows), strict=True))
    below = [m - lo for m, lo in zip(mids, lows, strict=True)]
    above = [hi - m for m, hi in zip(mids, highs, strict=True)]
    colour, marker = method_style(method)
    xs = [row["n_images"] for row in rows]
    ax.errorbar(xs, mids, yerr=[below, above], color=colour, marker=marker, capsize=3, label=method)


def fit_line(ax, method: str, fit: dict) -> None:
    """The least-squares fit seconds = a * n**b of scaling.csv, dotted, over the cutoffs it used."""
    a, b = float(fit["a"]), float(fit["b"])
    n_min, n_max = int(fit["n_min"]), int(fit["n_max"])
    ax.plot([n_min, n_max], [a * n_min**b, a * n_max**b], ":", color=method_style(method)[0], linewidth=1.5)


def cutoff_ticks(ax, rows: list[dict]) -> None:
    """On a log x axis, one plain tick per cutoff (10, 2,000) instead of 2×10^1-style minor labels."""
    from matplotlib.ticker import NullLocator

    counts = sorted({row["n_images"] for row in rows})
    ax.set_xticks(counts, [f"{n:,}" for n in counts])
    ax.xaxis.set_minor_locator(NullLocator())


def method_ticks(ax, methods: list[str]) -> None:
    """Method names under bar groups, slanted when there are enough of them to collide."""
    slanted = len(methods) > 4
    ax.set_xticks(range(len(methods)), methods, rotation=30 if slanted else 0, ha="right" if slanted else "center")


def ratio_ticks(ax) -> None:
    """A log y axis for ratios, ticked at 1-2-5 steps with plain labels (0.5, 1, 2, 5, 10)."""
    from matplotlib.ticker import NullLocator

    ax.set_yscale("log")
    low, high = ax.get_ylim()
    steps = [m * 10**e for e in range(-3, 5) for m in (1, 2, 5)]
    ticks = [t for t in steps if low <= t <= high]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_locator(NullLocator())


def grouped_bars(ax, groups: list[str], methods: list[str], value) -> None:
    """Bars per group (x) and method (colour); value(group, method) gives (low, median, high) or None."""
    width = 0.8 / max(len(methods), 1)
    for i, method in enumerate(methods):
        for j, group in enumerate(groups):
            triple = value(group, method)
            if triple is None:
                continue
            low, mid, high = triple
            x = j - 0.4 + width * (i + 0.5)
            ax.bar(x, mid, width, color=method_style(method)[0])
            ax.errorbar(x, mid, yerr=[[mid - low], [high - mid]], color="black", capsize=3, linewidth=1)
    ax.set_xticks(range(len(groups)), groups)
