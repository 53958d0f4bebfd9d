"""Figures, one PNG per question, drawn from the aggregated tables (summary, disk usage, scaling).

Points are medians over the timed samples; error bars are the medians' confidence intervals (ci_low to
ci_high of summary.csv). A method keeps
one colour and marker in every figure. Read-many rows are drawn per page-cache state (warm, cold), never
mixed. The list of figures is fixed (FIGURES): a figure whose rows were not measured says so instead of
being left out, so the rule's outputs never depend on the data.
"""

from .codecs import codec_tradeoff
from .disk import disk_usage
from .patterns import access_patterns, read_latency
from .style import METHOD_STYLES, method_style
from .timing import cold_vs_warm, read_many_time, single_image, store_many_time, throughput, time_per_image

__all__ = ["DRAW", "FIGURES", "METHOD_STYLES", "draw_all", "load_tables", "method_style"]

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
    "codec_tradeoff": ("Codecs", "Size vs store time"),
}

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
    "codec_tradeoff": codec_tradeoff,
}


def load_tables(summary_csv, usage_csv, scaling_csv) -> tuple[list[dict], list[dict], list[dict]]:
    """The three tables as lists of rows with typed values (None where a value does not apply)."""
    import pandas as pd  # here: the Snakefile imports this package for FIGURES, and pandas takes 0.3 s

    from imgbench import stats

    summary = stats.records(stats.load_summary(summary_csv))
    return summary, stats.records(pd.read_csv(usage_csv)), stats.records(pd.read_csv(scaling_csv))


def draw_all(summary_csv, usage_csv, scaling_csv, outputs: dict) -> None:
    """Draw every figure in FIGURES; outputs maps figure name to PNG path."""
    summary, usage, scaling = load_tables(summary_csv, usage_csv, scaling_csv)
    for name in FIGURES:
        DRAW[name](outputs[name], summary, usage, scaling)
