"""Figures, one PNG per question, drawn from the aggregated tables (summary, disk usage, scaling).

Points are medians over the timed samples; error bars are the medians' confidence intervals (ci_low to
ci_high of summary.csv). A method keeps
one colour and marker in every figure. Read-many rows are drawn per page-cache state (warm, cold), never
mixed. The list of figures is fixed (FIGURES): a figure whose rows were not measured says so instead of
being left out, so the rule's outputs never depend on the data.
"""

from dataclasses import dataclass

from .codecs import codec_tradeoff
from .comparisons import comparisons
from .disk import disk_usage
from .patterns import access_patterns, read_latency
from .style import METHOD_STYLES, method_style
from .timing import cold_vs_warm, read_many_time, single_image, store_many_time, throughput, time_per_image

__all__ = ["DRAW", "FIGURES", "METHOD_STYLES", "Tables", "draw_all", "load_tables", "method_style"]

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
    "comparisons": ("Head to head", "Ratios to the reference"),
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
    "comparisons": comparisons,
}


@dataclass
class Tables:
    """What the figures are drawn from: the rows of summary.csv, disk_usage.csv, scaling.csv and
    comparisons.csv, with typed values (None where a value does not apply)."""

    summary: list[dict]
    usage: list[dict]
    scaling: list[dict]
    comparisons: list[dict]


def load_tables(summary_csv, usage_csv, scaling_csv, comparisons_csv) -> Tables:
    import pandas as pd  # here: the Snakefile imports this package for FIGURES, and pandas takes 0.3 s

    from imgbench import stats

    return Tables(*(stats.records(frame) for frame in (
        stats.load_summary(summary_csv), pd.read_csv(usage_csv), pd.read_csv(scaling_csv), pd.read_csv(comparisons_csv),
    )))  # fmt: skip


def draw_all(inputs, outputs: dict) -> None:
    """Draw every figure in FIGURES from inputs (the tables' paths: summary, usage, scaling, comparisons);
    outputs maps figure name to PNG path."""
    tables = load_tables(inputs["summary"], inputs["usage"], inputs["scaling"], inputs["comparisons"])
    for name in FIGURES:
        DRAW[name](outputs[name], tables)
