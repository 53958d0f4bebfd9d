"""The time figures: time against number of images, per image and throughput, single image, cold vs warm."""

from . import style


def time_vs_images(path, summary, scaling, operation: str, what: str) -> None:
    """Median time against number of images, one row per cache state, linear and log-log columns.

    The legend of each log-log panel gives the slope b of that row's power-law fit, where one exists.
    """
    rows = style.select(summary, operation=operation, pattern="sequential")
    if not rows:
        return style.placeholder(path, f"{what}: time", f"{operation} not measured in this run")
    caches = style.caches_in(rows)
    title = f"{what}: median time vs number of images"
    fig, axes = style.new_figure(len(caches), 2, 12.5, 4.2 * len(caches) + 0.6, title)
    for r, cache in enumerate(caches):
        suffix = f", {cache} page cache" if cache else ""
        for c, scale in enumerate(["linear", "log"]):
            ax = axes[r][c]
            labels = []
            for method in style.methods_in(rows):
                style.line_with_spread(ax, method, style.select(rows, method=method, cache=cache), "s")
                fits = style.select(scaling, method=method, operation=operation, pattern="sequential", cache=cache)
                if scale == "log" and fits:
                    style.fit_line(ax, method, fits[0])
                labels.append(f"{method}, b = {float(fits[0]['b']):.2f}" if fits else method)
            ax.set_xscale(scale)
            ax.set_yscale(scale)
            if scale == "linear":
                style.thousands(ax)
            else:
                style.cutoff_ticks(ax, rows)
                ax.legend(ax.get_legend_handles_labels()[0], labels, loc="upper left", bbox_to_anchor=(1.02, 1),
                          title="method, fit slope b" if fits_in(scaling, operation) else "method")  # fmt: skip
            ax.set_title(("linear axes" if scale == "linear" else "log-log axes") + suffix)
            ax.set_xlabel("number of images")
            ax.set_ylabel("time (s)")
            ax.grid(True, which="major", alpha=0.3)
    style.save(fig, path)


def fits_in(scaling, operation: str) -> bool:
    return any(row["operation"] == operation for row in scaling)


def store_many_time(path, tables) -> None:
    summary, scaling = tables.summary, tables.scaling
    time_vs_images(path, summary, scaling, "store_many", "Store many images")


def read_many_time(path, tables) -> None:
    summary, scaling = tables.summary, tables.scaling
    time_vs_images(path, summary, scaling, "read_many", "Read many images")


def many_panels(summary) -> list[tuple[str, list[dict]]]:
    """(panel title, rows) for store-many and read-many per cache, sequential pattern only."""
    panels = [("store many", style.select(summary, operation="store_many", pattern="sequential"))]
    reads = style.select(summary, operation="read_many", pattern="sequential")
    panels += [(f"read many, {cache} cache", style.select(reads, cache=cache)) for cache in style.caches_in(reads)]
    return [(title, rows) for title, rows in panels if rows]


def per_image_figure(path, summary, unit: str, ylabel: str, title: str) -> None:
    panels = many_panels(summary)
    if not panels:
        return style.placeholder(path, title, "store_many / read_many not measured in this run")
    fig, axes = style.new_figure(1, len(panels), 5 * len(panels) + 1.5, 4.6, title)
    for ax, (panel, rows) in zip(axes[0], panels, strict=True):
        for method in style.methods_in(rows):
            style.line_with_spread(ax, method, style.select(rows, method=method), unit)
        ax.set_xscale("log")
        ax.set_yscale("log")
        style.cutoff_ticks(ax, rows)
        ax.set_title(panel)
        ax.set_xlabel("number of images")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
    style.method_legend(fig, style.methods_in(summary))
    style.save(fig, path)


def time_per_image(path, tables) -> None:
    summary = tables.summary
    per_image_figure(path, summary, "us_per_image", "time per image (µs)", "Time per image (median time / images)")


def throughput(path, tables) -> None:
    summary = tables.summary
    per_image_figure(path, summary, "mb_per_s", "throughput (MB/s of raw pixels)", "Throughput (raw pixel MB/s)")


def single_image(path, tables) -> None:
    summary = tables.summary
    groups = {
        "store 1 image": ("store_single", ""),
        "read 1 image\nwarm cache": ("read_single", "warm"),
        "read 1 image\ncold cache": ("read_single", "cold"),
    }
    rows = [row for row in summary if row["operation"] in ("store_single", "read_single")]
    groups = {k: v for k, v in groups.items() if style.select(rows, operation=v[0], cache=v[1])}
    title = "Single image: store one into an empty store, read one back"
    if not groups:
        return style.placeholder(path, title, "store_single / read_single not measured in this run")

    def value(group, method):
        found = style.select(rows, method=method, operation=groups[group][0], cache=groups[group][1])
        return style.spread(found[0], "ms") if found else None

    fig, axes = style.new_figure(1, 1, 10, 4.8, title)
    style.grouped_bars(axes[0][0], list(groups), style.methods_in(rows), value)
    axes[0][0].set_ylabel("time (ms)")
    axes[0][0].grid(True, axis="y", alpha=0.3)
    style.method_legend(fig, style.methods_in(rows))
    style.save(fig, path)


def cold_vs_warm(path, tables) -> None:
    summary = tables.summary
    from matplotlib.patches import Patch

    reads = style.select(summary, operation="read_many", pattern="sequential")
    title = "Read many: warm vs cold page cache"
    if len(style.caches_in(reads)) < 2:
        return style.placeholder(path, title, "warm and cold reads were not both measured in this run")
    n = max(row["n_images"] for row in reads)
    methods = style.methods_in(reads)
    fig, axes = style.new_figure(1, 2, 13, 4.8, title)
    ax = axes[0][0]
    for i, method in enumerate(methods):
        for k, cache in enumerate(style.CACHES):
            low, mid, high = style.spread(style.select(reads, method=method, n_images=n, cache=cache)[0], "s")
            x = i + (k - 0.5) * 0.38
            hatch = "//" if cache == "cold" else None
            ax.bar(x, mid, 0.36, color=style.method_style(method)[0], hatch=hatch, edgecolor="white")
            ax.errorbar(x, mid, yerr=[[mid - low], [high - mid]], color="black", capsize=3, linewidth=1)
    style.method_ticks(ax, methods)
    ax.set_yscale("log")
    ax.set_ylabel("time (s)")
    ax.set_title(f"{n:,} images: warm (plain) and cold (hatched)")
    ax.grid(True, axis="y", which="major", alpha=0.3)
    ratio_ax = axes[0][1]
    for method in methods:
        median = {(row["n_images"], row["cache"]): row["median"] for row in style.select(reads, method=method)}
        xs = sorted(n for n, cache in median if cache == "cold" and (n, "warm") in median)
        colour, marker = style.method_style(method)
        ratio_ax.plot(xs, [median[x, "cold"] / median[x, "warm"] for x in xs], color=colour, marker=marker)
    ratio_ax.axhline(1, color="black", linewidth=0.8)
    style.ratio_ticks(ratio_ax)
    ratio_ax.set_xscale("log")
    style.cutoff_ticks(ratio_ax, reads)
    ratio_ax.set_xlabel("number of images")
    ratio_ax.set_ylabel("cold median / warm median")
    ratio_ax.set_title("cold-cache slowdown")
    ratio_ax.grid(True, which="major", alpha=0.3)
    caches = [Patch(facecolor="grey", label="warm"), Patch(facecolor="grey", hatch="//", edgecolor="white",
                                                           label="cold")]  # fmt: skip
    style.method_legend(fig, methods, caches)
    style.save(fig, path)
