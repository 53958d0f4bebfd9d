"""The disk-usage figure: bytes per store (apparent and allocated), overhead over raw pixels, files."""

from . import style


def disk_usage(path, tables) -> None:
    usage = tables.usage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    title = "Disk usage of one store"
    if not usage:
        return style.placeholder(path, title, "disk usage not measured in this run")
    methods = style.methods_in(usage)
    n = max(row["n_images"] for row in usage)
    fig, axes = style.new_figure(1, 3, 16, 4.8, title)
    bars_ax, ratio_ax, files_ax = axes[0]
    for i, method in enumerate(methods):
        row = style.select(usage, method=method, n_images=n)[0]
        colour = style.method_style(method)[0]
        bars_ax.bar(i - 0.19, row["bytes_apparent"] / 1e6, 0.36, color=colour)
        bars_ax.bar(i + 0.19, row["bytes_allocated"] / 1e6, 0.36, color=colour, hatch="//", edgecolor="white")
    raw = style.select(usage, n_images=n)[0]["raw_bytes"]
    bars_ax.axhline(raw / 1e6, color="black", linestyle="--", linewidth=1)
    style.method_ticks(bars_ax, methods)
    bars_ax.set_ylabel("size (MB)")
    bars_ax.set_title(f"{n:,} images")
    for method in methods:
        rows = sorted(style.select(usage, method=method), key=lambda row: row["n_images"])
        xs = [row["n_images"] for row in rows]
        colour, marker = style.method_style(method)
        ratio_ax.plot(xs, [r["bytes_allocated"] / r["raw_bytes"] for r in rows], color=colour, marker=marker)
        ratio_ax.plot(xs, [r["bytes_apparent"] / r["raw_bytes"] for r in rows], "--", color=colour)
        files_ax.plot(xs, [r["n_files"] for r in rows], color=colour, marker=marker)
    ratio_ax.axhline(1, color="black", linestyle="--", linewidth=1)
    style.ratio_ticks(ratio_ax)
    ratio_ax.set_xscale("log")
    style.cutoff_ticks(ratio_ax, usage)
    ratio_ax.set_xlabel("number of images")
    ratio_ax.set_ylabel("size / raw pixel bytes")
    ratio_ax.set_title("overhead over raw pixels")
    files_ax.set_xscale("log")
    files_ax.set_yscale("log")
    style.cutoff_ticks(files_ax, usage)
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
        Line2D([], [], color="black", linestyle="--", label="raw pixels\n(n × image bytes)"),
    ]
    style.method_legend(fig, methods, kinds)
    style.save(fig, path)
