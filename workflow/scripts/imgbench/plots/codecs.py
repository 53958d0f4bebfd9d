"""The codec trade-off: bytes per image against store time, one colour per container, one marker per codec."""

from . import style

SEPARATOR = "+"  # as methods.SEPARATOR; not imported, so that drawing does not load every method
CONTAINER_COLOURS = {"files": "#1f77b4", "lmdb": "#ff7f0e", "hdf5": "#2ca02c", "tar": "#bcbd22"}
CODEC_MARKERS = {"raw": "s", "png": "o", "png1": "D", "qoi": "^", "webp": "P", "webp0": "X", "jpeg90": "v",
                 "jpeg75": "<"}  # fmt: skip


def codec_tradeoff(path, tables) -> None:
    summary, usage = tables.summary, tables.usage
    from matplotlib.lines import Line2D

    title = "Codecs: bytes per image against store time"
    stores = [
        r for r in style.select(summary, operation="store_many", pattern="sequential") if SEPARATOR in r["method"]
    ]
    if not stores:
        return style.placeholder(path, title, "no CONTAINER+CODEC method in this run (e.g. files+qoi)")
    n = max(row["n_images"] for row in stores)
    fig, axes = style.new_figure(1, 1, 10, 6, f"{title}, {n:,} images")
    ax = axes[0][0]
    containers, codecs = set(), set()
    for row in style.select(stores, n_images=n):
        used = style.select(usage, method=row["method"], n_images=n)
        if not used:
            continue
        container, codec = row["method"].split(SEPARATOR, 1)
        containers.add(container), codecs.add(codec)
        x, low, high = row["median"], row["ci_low"], row["ci_high"]
        y = used[0]["bytes_apparent"] / used[0]["raw_bytes"]
        colour, marker = CONTAINER_COLOURS.get(container, "#7f7f7f"), CODEC_MARKERS.get(codec, "*")
        ax.errorbar(x, y, xerr=[[x - low], [high - x]], color=colour, marker=marker, markersize=9, capsize=3)
    ax.axhline(1, color="black", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("store time, median (s; bars: its confidence interval)")
    ax.set_ylabel("bytes on disk / raw pixel bytes (apparent)")
    ax.grid(True, which="major", alpha=0.3)
    handles = [
        Line2D([], [], color=CONTAINER_COLOURS.get(c, "#7f7f7f"), linewidth=6, label=c) for c in sorted(containers)
    ]
    handles += [
        Line2D([], [], color="grey", marker=CODEC_MARKERS.get(c, "*"), linestyle="", label=c) for c in sorted(codecs)
    ]
    fig.legend(handles=handles, loc="outside right upper", title="container / codec")
    style.save(fig, path)
