"""Figures, one PNG per question, drawn from the aggregated tables (summary, disk usage, scaling).

Points are medians over the timed repeats; error bars span q1 to q3 of the same repeats. A method keeps
one colour and marker in every figure. Read-many rows are drawn per page-cache state (warm, cold), never
mixed. The list of figures is fixed (FIGURES): a figure whose rows were not measured says so instead of
being left out, so the rule's outputs never depend on the data.
"""

import zlib
from pathlib import Path

from imgbench.fsutil import read_csv

# name: (report category, report subcategory); the rule `figures` makes results/figures/<name>.png each.
FIGURES = {
    "store_many_time": ("Time", "Many images"),
    "read_many_time": ("Time", "Many images"),
    "time_per_image": ("Time", "Per image"),
    "single_image": ("Time", "Single image"),
    "throughput": ("Throughput", "Many images"),
    "cold_vs_warm": ("Page cache", "Cold vs warm"),
    "disk_usage": ("Disk usage", "Bytes and files"),
    "access_patterns": ("Access patterns", "Throughput"),
    "read_latency": ("Access patterns", "Single-image latency"),
}

# Fixed per method so a method looks the same in every figure and every run (tab10 colours).
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
INT_COLUMNS = ["n_images", "batch_size", "workers", "n_repeats", "noisy"]
FLOAT_COLUMNS = ["median", "q1", "q3", "cv", "us_per_image", "mb_per_s", "ratio_to_npy", "p50", "p95", "p99"]
FIGURE_DPI = 110


def method_style(method: str) -> tuple[str, str]:
    """(colour, marker) of a method, the same in every figure."""
    if method in METHOD_STYLES:
        return METHOD_STYLES[method]
    code = zlib.crc32(method.encode())
    return EXTRA_COLOURS[code % len(EXTRA_COLOURS)], EXTRA_MARKERS[code % len(EXTRA_MARKERS)]


def load_summary(path) -> list[dict]:
    """summary.csv with numbers as numbers (None where a column does not apply)."""
    rows = read_csv(path)
    for row in rows:
        for key in INT_COLUMNS:
            row[key] = int(row[key])
        for key in FLOAT_COLUMNS:
            row[key] = float(row[key]) if row[key] != "" else None
    return rows


def load_usage(path) -> list[dict]:
    return [{k: (v if k == "method" else int(v)) for k, v in row.items()} for row in read_csv(path)]


def load_scaling(path) -> list[dict]:
    return read_csv(path)


def select(rows, **match) -> list[dict]:
    return [row for row in rows if all(row[key] == value for key, value in match.items())]


def methods_in(rows) -> list[str]:
    return sorted({row["method"] for row in rows})


def caches_in(rows) -> list[str]:
    """Cache states present, warm first; stores have the empty cache ""."""
    present = {row["cache"] for row in rows}
    return [cache for cache in [*CACHES, ""] if cache in present]


def spread(row: dict, unit: str) -> tuple[float, float, float]:
    """(low, median, high) of a summary row in a unit; the q1..q3 band is converted with the median."""
    q1, median, q3 = row["q1"], row["median"], row["q3"]
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
    """Medians joined by a line, with q1..q3 error bars."""
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


# ------------------------------------------------------------------ the figures


def time_vs_images(path, summary, scaling, operation: str, what: str) -> None:
    """Median time against number of images, one row per cache state, linear and log-log columns.

    The legend of each log-log panel gives the slope b of that row's power-law fit, where one exists.
    """
    rows = select(summary, operation=operation, pattern="sequential")
    if not rows:
        return placeholder(path, f"{what}: time", f"{operation} not measured in this run")
    caches = caches_in(rows)
    fig, axes = new_figure(len(caches), 2, 12.5, 4.2 * len(caches) + 0.6, f"{what}: median time vs number of images")
    for r, cache in enumerate(caches):
        suffix = f", {cache} page cache" if cache else ""
        for c, scale in enumerate(["linear", "log"]):
            ax = axes[r][c]
            labels = []
            for method in methods_in(rows):
                line_with_spread(ax, method, select(rows, method=method, cache=cache), "s")
                fits = select(scaling, method=method, operation=operation, pattern="sequential", cache=cache)
                if scale == "log" and fits:
                    fit_line(ax, method, fits[0])
                labels.append(f"{method}, b = {float(fits[0]['b']):.2f}" if fits else method)
            ax.set_xscale(scale)
            ax.set_yscale(scale)
            if scale == "linear":
                thousands(ax)
            else:
                cutoff_ticks(ax, rows)
                ax.legend(ax.get_legend_handles_labels()[0], labels, loc="upper left", bbox_to_anchor=(1.02, 1),
                          title="method, fit slope b" if fits_in(scaling, operation) else "method")  # fmt: skip
            ax.set_title(("linear axes" if scale == "linear" else "log-log axes") + suffix)
            ax.set_xlabel("number of images")
            ax.set_ylabel("time (s)")
            ax.grid(True, which="major", alpha=0.3)
    save(fig, path)


def fits_in(scaling, operation: str) -> bool:
    return any(row["operation"] == operation for row in scaling)


def store_many_time(path, summary, usage, scaling) -> None:
    time_vs_images(path, summary, scaling, "store_many", "Store many images")


def read_many_time(path, summary, usage, scaling) -> None:
    time_vs_images(path, summary, scaling, "read_many", "Read many images")


def many_panels(summary) -> list[tuple[str, list[dict]]]:
    """(panel title, rows) for store-many and read-many per cache, sequential pattern only."""
    panels = [("store many", select(summary, operation="store_many", pattern="sequential"))]
    reads = select(summary, operation="read_many", pattern="sequential")
    panels += [(f"read many, {cache} cache", select(reads, cache=cache)) for cache in caches_in(reads)]
    return [(title, rows) for title, rows in panels if rows]


def per_image_figure(path, summary, unit: str, ylabel: str, title: str) -> None:
    panels = many_panels(summary)
    if not panels:
        return placeholder(path, title, "store_many / read_many not measured in this run")
    fig, axes = new_figure(1, len(panels), 5 * len(panels) + 1.5, 4.6, title)
    for ax, (panel, rows) in zip(axes[0], panels, strict=True):
        for method in methods_in(rows):
            line_with_spread(ax, method, select(rows, method=method), unit)
        ax.set_xscale("log")
        ax.set_yscale("log")
        cutoff_ticks(ax, rows)
        ax.set_title(panel)
        ax.set_xlabel("number of images")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
    method_legend(fig, methods_in(summary))
    save(fig, path)


def time_per_image(path, summary, usage, scaling) -> None:
    per_image_figure(path, summary, "us_per_image", "time per image (µs)", "Time per image (median time / images)")


def throughput(path, summary, usage, scaling) -> None:
    per_image_figure(path, summary, "mb_per_s", "throughput (MB/s of raw pixels)", "Throughput (raw pixel MB/s)")


def single_image(path, summary, usage, scaling) -> None:
    groups = {
        "store 1 image": ("store_single", ""),
        "read 1 image\nwarm cache": ("read_single", "warm"),
        "read 1 image\ncold cache": ("read_single", "cold"),
    }
    rows = [row for row in summary if row["operation"] in ("store_single", "read_single")]
    groups = {k: v for k, v in groups.items() if select(rows, operation=v[0], cache=v[1])}
    title = "Single image: store one into an empty store, read one back"
    if not groups:
        return placeholder(path, title, "store_single / read_single not measured in this run")

    def value(group, method):
        found = select(rows, method=method, operation=groups[group][0], cache=groups[group][1])
        return spread(found[0], "ms") if found else None

    fig, axes = new_figure(1, 1, 10, 4.8, title)
    grouped_bars(axes[0][0], list(groups), methods_in(rows), value)
    axes[0][0].set_ylabel("time (ms)")
    axes[0][0].grid(True, axis="y", alpha=0.3)
    method_legend(fig, methods_in(rows))
    save(fig, path)


def cold_vs_warm(path, summary, usage, scaling) -> None:
    from matplotlib.patches import Patch

    reads = select(summary, operation="read_many", pattern="sequential")
    title = "Read many: warm vs cold page cache"
    if len(caches_in(reads)) < 2:
        return placeholder(path, title, "warm and cold reads were not both measured in this run")
    n = max(row["n_images"] for row in reads)
    methods = methods_in(reads)
    fig, axes = new_figure(1, 2, 13, 4.8, title)
    ax = axes[0][0]
    for i, method in enumerate(methods):
        for k, cache in enumerate(CACHES):
            low, mid, high = spread(select(reads, method=method, n_images=n, cache=cache)[0], "s")
            x = i + (k - 0.5) * 0.38
            hatch = "//" if cache == "cold" else None
            ax.bar(x, mid, 0.36, color=method_style(method)[0], hatch=hatch, edgecolor="white")
            ax.errorbar(x, mid, yerr=[[mid - low], [high - mid]], color="black", capsize=3, linewidth=1)
    method_ticks(ax, methods)
    ax.set_yscale("log")
    ax.set_ylabel("time (s)")
    ax.set_title(f"{n:,} images: warm (plain) and cold (hatched)")
    ax.grid(True, axis="y", which="major", alpha=0.3)
    ratio_ax = axes[0][1]
    for method in methods:
        median = {(row["n_images"], row["cache"]): row["median"] for row in select(reads, method=method)}
        xs = sorted(n for n, cache in median if cache == "cold" and (n, "warm") in median)
        colour, marker = method_style(method)
        ratio_ax.plot(xs, [median[x, "cold"] / median[x, "warm"] for x in xs], color=colour, marker=marker)
    ratio_ax.axhline(1, color="black", linewidth=0.8)
    ratio_ticks(ratio_ax)
    ratio_ax.set_xscale("log")
    cutoff_ticks(ratio_ax, reads)
    ratio_ax.set_xlabel("number of images")
    ratio_ax.set_ylabel("cold median / warm median")
    ratio_ax.set_title("cold-cache slowdown")
    ratio_ax.grid(True, which="major", alpha=0.3)
    caches = [Patch(facecolor="grey", label="warm"), Patch(facecolor="grey", hatch="//", edgecolor="white",
                                                           label="cold")]  # fmt: skip
    method_legend(fig, methods, caches)
    save(fig, path)


def disk_usage(path, summary, usage, scaling) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    title = "Disk usage of one store"
    if not usage:
        return placeholder(path, title, "disk usage not measured in this run")
    methods = methods_in(usage)
    n = max(row["n_images"] for row in usage)
    fig, axes = new_figure(1, 3, 16, 4.8, title)
    bars_ax, ratio_ax, files_ax = axes[0]
    for i, method in enumerate(methods):
        row = select(usage, method=method, n_images=n)[0]
        colour = method_style(method)[0]
        bars_ax.bar(i - 0.19, row["bytes_apparent"] / 1e6, 0.36, color=colour)
        bars_ax.bar(i + 0.19, row["bytes_allocated"] / 1e6, 0.36, color=colour, hatch="//", edgecolor="white")
    bars_ax.axhline(n * 3072 / 1e6, color="black", linestyle="--", linewidth=1)
    method_ticks(bars_ax, methods)
    bars_ax.set_ylabel("size (MB)")
    bars_ax.set_title(f"{n:,} images")
    for method in methods:
        rows = sorted(select(usage, method=method), key=lambda row: row["n_images"])
        xs = [row["n_images"] for row in rows]
        colour, marker = method_style(method)
        ratio_ax.plot(xs, [r["bytes_allocated"] / r["raw_bytes"] for r in rows], color=colour, marker=marker)
        ratio_ax.plot(xs, [r["bytes_apparent"] / r["raw_bytes"] for r in rows], "--", color=colour)
        files_ax.plot(xs, [r["n_files"] for r in rows], color=colour, marker=marker)
    ratio_ax.axhline(1, color="black", linestyle="--", linewidth=1)
    ratio_ticks(ratio_ax)
    ratio_ax.set_xscale("log")
    cutoff_ticks(ratio_ax, usage)
    ratio_ax.set_xlabel("number of images")
    ratio_ax.set_ylabel("size / raw pixel bytes")
    ratio_ax.set_title("overhead over raw pixels")
    files_ax.set_xscale("log")
    files_ax.set_yscale("log")
    cutoff_ticks(files_ax, usage)
    files_ax.set_xlabel("number of images")
    files_ax.set_ylabel("files in the store")
    files_ax.set_title("files per store")
    for ax in axes[0]:
        ax.grid(True, axis="y", which="major", alpha=0.3)
    kinds = [
        Patch(facecolor="grey", label="apparent (bar)"),
        Patch(facecolor="grey", hatch="//", edgecolor="white", label="allocated (bar)"),
        Line2D([], [], color="grey", label="allocated (line)"),
        Line2D([], [], color="grey", linestyle="--", label="apparent (line)"),
        Line2D([], [], color="black", linestyle="--", label="raw pixels\n(n × 3072 B)"),
    ]
    method_legend(fig, methods, kinds)
    save(fig, path)


def pattern_label(row: dict) -> str:
    if row["pattern"] == "batch":
        return f"batch of {row['batch_size']}"
    if row["pattern"] == "parallel":
        return f"parallel\n{row['workers']} worker{'s' if row['workers'] > 1 else ''}"
    return row["pattern"]


def pattern_rows(summary, latency: bool) -> tuple[int, list[dict]]:
    """(n, read-many rows at the largest n that has extra patterns), with sequential as the reference."""
    extra = [r for r in summary if r["operation"] == "read_many" and r["pattern"] != "sequential"]
    extra = [r for r in extra if (r["pattern"] == "single_latency") == latency]
    if not extra:
        return 0, []
    n = max(row["n_images"] for row in extra)
    reference = [] if latency else select(summary, operation="read_many", pattern="sequential", n_images=n)
    return n, reference + select(extra, n_images=n)


def access_patterns(path, summary, usage, scaling) -> None:
    title = "Read access patterns: throughput"
    n, rows = pattern_rows(summary, latency=False)
    if not rows:
        return placeholder(
            path, title, "pattern not measured in this run\n(random, batch, parallel: see patterns.kinds)"
        )
    order = {"sequential": 0, "random": 1, "batch": 2, "parallel": 3}
    keyed = sorted(rows, key=lambda r: (order.get(r["pattern"], 9), r["batch_size"], r["workers"]))
    groups = list(dict.fromkeys(pattern_label(row) for row in keyed))
    caches = caches_in(rows)
    fig, axes = new_figure(len(caches), 1, 13, 4.4 * len(caches) + 0.6, f"{title}, {n:,} images")
    for ax, cache in zip(axes[:, 0], caches, strict=True):

        def value(group, method, cache=cache):
            found = [r for r in select(rows, method=method, cache=cache) if pattern_label(r) == group]
            return spread(found[0], "mb_per_s") if found else None

        grouped_bars(ax, groups, methods_in(rows), value)
        ax.set_yscale("log")
        ax.set_ylabel("throughput (raw pixel MB/s)")
        ax.set_title(f"{cache} page cache")
        ax.grid(True, axis="y", which="major", alpha=0.3)
    method_legend(fig, methods_in(rows))
    save(fig, path)


def read_latency(path, summary, usage, scaling) -> None:
    from matplotlib.patches import Patch

    title = "Single-image read latency in an open store"
    n, rows = pattern_rows(summary, latency=True)
    if not rows:
        return placeholder(path, title, "pattern not measured in this run\n(single_latency: see patterns.kinds)")
    methods, caches = methods_in(rows), caches_in(rows)
    hatches = {"p50": None, "p95": "//", "p99": "xx"}
    fig, axes = new_figure(1, len(caches), 6 * len(caches) + 1.5, 4.8, f"{title}, store of {n:,} images")
    for ax, cache in zip(axes[0], caches, strict=True):
        for i, method in enumerate(methods):
            row = select(rows, method=method, cache=cache)[0]
            for k, (p, hatch) in enumerate(hatches.items()):
                x = i + (k - 1) * 0.27
                ax.bar(x, row[p] * 1e6, 0.25, color=method_style(method)[0], hatch=hatch, edgecolor="white")
        method_ticks(ax, methods)
        ax.set_yscale("log")
        ax.set_ylabel("latency of one read (µs)")
        plain_log_ticks(ax)
        ax.set_title(f"{cache} page cache")
        ax.grid(True, axis="y", which="major", alpha=0.3)
    percentiles = [Patch(facecolor="grey", hatch=h, edgecolor="white", label=p) for p, h in hatches.items()]
    method_legend(fig, methods, percentiles)
    save(fig, path)


DRAW = {
    "store_many_time": store_many_time,
    "read_many_time": read_many_time,
    "time_per_image": time_per_image,
    "single_image": single_image,
    "throughput": throughput,
    "cold_vs_warm": cold_vs_warm,
    "disk_usage": disk_usage,
    "access_patterns": access_patterns,
    "read_latency": read_latency,
}


def draw_all(summary_csv, usage_csv, scaling_csv, outputs: dict) -> None:
    """Draw every figure in FIGURES; outputs maps figure name to PNG path."""
    summary, usage, scaling = load_summary(summary_csv), load_usage(usage_csv), load_scaling(scaling_csv)
    for name in FIGURES:
        DRAW[name](outputs[name], summary, usage, scaling)
