"""The access-pattern figures: throughput per pattern, and single-image read latency percentiles."""

from . import style


def pattern_label(row: dict) -> str:
    if row["pattern"] == "batch":
        return f"batch of {row['batch_size']}"
    if row["pattern"] == "parallel":
        return f"parallel\n{row['workers']} worker{'s' if row['workers'] > 1 else ''}"
    if row["pattern"] == "concurrency":
        return f"{row['concurrency']} in flight"
    return row["pattern"]


def pattern_rows(summary, latency: bool) -> tuple[int, list[dict]]:
    """(n, read-many rows at the largest n that has extra patterns), with sequential as the reference."""
    # Not the time to first image (one image: no throughput) nor a read's decoding alone (in memory).
    skip = ("sequential", "first_image", "decode_only")
    extra = [r for r in summary if r["operation"] == "read_many" and r["pattern"] not in skip]
    extra = [r for r in extra if (r["pattern"] == "single_latency") == latency]
    if not extra:
        return 0, []
    n = max(row["n_images"] for row in extra)
    reference = [] if latency else style.select(summary, operation="read_many", pattern="sequential", n_images=n)
    return n, reference + style.select(extra, n_images=n)


def access_patterns(path, tables) -> None:
    summary = tables.summary
    title = "Read access patterns: throughput"
    n, rows = pattern_rows(summary, latency=False)
    if not rows:
        return style.placeholder(
            path, title, "pattern not measured in this run\n(random, batch, parallel: see patterns.kinds)"
        )
    order = {"sequential": 0, "random": 1, "batch": 2, "parallel": 3, "concurrency": 4}
    keyed = sorted(rows, key=lambda r: (order.get(r["pattern"], 9), r["batch_size"], r["workers"], r["concurrency"]))
    groups = list(dict.fromkeys(pattern_label(row) for row in keyed))
    caches = style.caches_in(rows)
    fig, axes = style.new_figure(len(caches), 1, 13, 4.4 * len(caches) + 0.6, f"{title}, {n:,} images")
    for ax, cache in zip(axes[:, 0], caches, strict=True):

        def value(group, method, cache=cache):
            found = [r for r in style.select(rows, method=method, cache=cache) if pattern_label(r) == group]
            return style.spread(found[0], "mb_per_s") if found else None

        style.grouped_bars(ax, groups, style.methods_in(rows), value)
        ax.set_yscale("log")
        ax.set_ylabel("throughput (raw pixel MB/s)")
        ax.set_title(f"{cache} page cache")
        ax.grid(True, axis="y", which="major", alpha=0.3)
    style.method_legend(fig, style.methods_in(rows))
    style.save(fig, path)


def read_latency(path, tables) -> None:
    summary = tables.summary
    from matplotlib.patches import Patch

    title = "Single-image read latency in an open store"
    n, rows = pattern_rows(summary, latency=True)
    if not rows:
        return style.placeholder(path, title, "pattern not measured in this run\n(single_latency: see patterns.kinds)")
    methods, caches = style.methods_in(rows), style.caches_in(rows)
    hatches = {"p50": None, "p95": "//", "p99": "xx"}
    fig, axes = style.new_figure(1, len(caches), 6 * len(caches) + 1.5, 4.8, f"{title}, store of {n:,} images")
    for ax, cache in zip(axes[0], caches, strict=True):
        for i, method in enumerate(methods):
            row = style.select(rows, method=method, cache=cache)[0]
            for k, (p, hatch) in enumerate(hatches.items()):
                x = i + (k - 1) * 0.27
                ax.bar(x, row[p] * 1e6, 0.25, color=style.method_style(method)[0], hatch=hatch, edgecolor="white")
        style.method_ticks(ax, methods)
        ax.set_yscale("log")
        ax.set_ylabel("latency of one read (µs)")
        style.plain_log_ticks(ax)
        ax.set_title(f"{cache} page cache")
        ax.grid(True, axis="y", which="major", alpha=0.3)
    percentiles = [Patch(facecolor="grey", hatch=h, edgecolor="white", label=p) for p, h in hatches.items()]
    style.method_legend(fig, methods, percentiles)
    style.save(fig, path)
