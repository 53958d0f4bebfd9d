"""The headline tables, built once from summary.csv and disk_usage.csv for summary.md, the report and the
README, and the lines that say which machine and which settings they come from. Presentation only: every
number is read from the summary (stats.py computes them)."""

from dataclasses import dataclass

import pandas as pd

from imgbench import methods

HEADLINE = [("store_many", "", "Store many"), ("read_many", "warm", "Read many, warm page cache"),
            ("read_many", "cold", "Read many, cold page cache")]  # fmt: skip
RANKING_COLUMNS = ["method", "median (s)", "95% interval", "µs / image", "MB/s", "× npy", "of ceiling", "precise"]
DISK_COLUMNS = ["allocated / raw", "apparent / raw"]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]


def number(value, digits: int = 4) -> str:
    if value is None or pd.isna(value):
        return "–"
    value = float(value)
    return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"


def ratio(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.2f}"


def mib(value) -> str:
    return f"{int(value or 0) / 2**20:.0f}"


def largest_cutoff(summary: pd.DataFrame) -> int:
    return int(summary.loc[summary["operation"].str.endswith("_many"), "n_images"].max())


def sequential(summary: pd.DataFrame, operation: str, cache: str, n_images: int) -> pd.DataFrame:
    """The sequential-pattern rows of one operation, cache state and count, fastest first."""
    mask = (summary["operation"] == operation) & (summary["cache"] == cache) & (summary["pattern"] == "sequential")
    return summary[mask & (summary["n_images"] == n_images)].sort_values("median")


def disk_ratios(usage: pd.DataFrame, method: str, n_images: int) -> list[str]:
    """Allocated and apparent bytes of the store over its raw pixel bytes."""
    used = usage[(usage["method"] == method) & (usage["n_images"] == n_images)]
    if used.empty:
        return ["–", "–"]
    row = used.iloc[0]
    return [ratio(row["bytes_allocated"] / row["raw_bytes"]), ratio(row["bytes_apparent"] / row["raw_bytes"])]


def label(method: str) -> str:
    """The method's name, marked when its codec is lossy (its reads cannot give the source back exactly)."""
    return f"{method} (lossy)" if method in methods.available() and methods.load(method).lossy else method


def rankings(summary: pd.DataFrame, usage: pd.DataFrame) -> list[Table]:
    """One table per headline operation at the largest cutoff; the lowest median is marked fastest."""
    n, tables = largest_cutoff(summary), []
    for operation, cache, title in HEADLINE:
        rows, lines = sequential(summary, operation, cache, n), []
        for rank, row in enumerate(rows.itertuples()):
            reached = "–" if row.precision_reached == float("inf") else f"±{row.precision_reached:.1%}"
            precise = f"{'yes' if row.precise else 'no'} ({reached}, {row.n_repeats} samples)"
            name = label(row.method) + (" (fastest)" if rank == 0 else "")
            ceiling = "–" if pd.isna(row.ceiling_fraction) else f"{row.ceiling_fraction:.1%}"
            line = [name, number(row.median), f"{number(row.ci_low)}–{number(row.ci_high)}",
                    number(row.us_per_image, 3), number(row.mb_per_s), ratio(row.ratio_to_npy), ceiling,
                    precise]  # fmt: skip
            lines.append(line + (disk_ratios(usage, row.method, n) if operation == "store_many" else []))
        if lines:
            columns = RANKING_COLUMNS + (DISK_COLUMNS if operation == "store_many" else [])
            tables.append(Table(f"{title}, {n:,} images", columns, lines))
    return tables


def encoding_split(summary: pd.DataFrame) -> list[Table]:
    """Store-many time split into encoding alone (pattern encode_only) and the rest (container and I/O)."""
    n = largest_cutoff(summary)
    stores = summary[(summary["operation"] == "store_many") & (summary["n_images"] == n)]
    whole = stores[stores["pattern"] == "sequential"].set_index("method")["median"]
    lines = []
    for row in stores[stores["pattern"] == "encode_only"].sort_values("method").itertuples():
        if row.method in whole:
            total = whole[row.method]
            lines.append([row.method, number(total), number(row.median), f"{row.median / total:.0%}",
                          number(total - row.median)])  # fmt: skip
    columns = ["method", "store (s)", "encoding alone (s)", "encoding share", "rest: container and I/O (s)"]
    return [Table(f"Store many, encoding vs the rest, {n:,} images", columns, lines)] if lines else []


def codec_grid(summary: pd.DataFrame, usage: pd.DataFrame) -> list[Table]:
    """Every container+codec method at the largest cutoff: store and warm read, the codec's share of each
    (encode_only, decode_only), bytes per image against raw, and for lossy codecs the PSNR of what is read."""
    n = largest_cutoff(summary)
    at_n = summary[summary["n_images"] == n]
    paired = sorted(m for m in at_n["method"].unique() if methods.SEPARATOR in m)

    def median(method, operation, pattern, cache):
        rows = at_n[(at_n["method"] == method) & (at_n["operation"] == operation) & (at_n["pattern"] == pattern)
                    & (at_n["cache"] == cache)]  # fmt: skip
        return None if rows.empty else rows.iloc[0]

    lines = []
    for method in paired:
        store, read = median(method, "store_many", "sequential", ""), median(method, "read_many", "sequential", "warm")
        encode, decode = median(method, "store_many", "encode_only", ""), median(method, "read_many", "decode_only", "")
        used = usage[(usage["method"] == method) & (usage["n_images"] == n)]
        per_image = used.iloc[0]["bytes_apparent"] / n if not used.empty else None
        raw = used.iloc[0]["raw_bytes"] / n if not used.empty else None
        psnr = "–" if read is None or pd.isna(read["psnr_min_db"]) else (
            f"{read['psnr_min_db']:.1f} / {read['psnr_median_db']:.1f}")  # fmt: skip
        container, codec = method.split(methods.SEPARATOR, 1)
        times = [number(r["median"]) if r is not None else "–" for r in (store, encode, read, decode)]
        lines.append([container, codec, *times, number(per_image), ratio(per_image / raw) if raw else "–", psnr])
    columns = ["container", "codec", "store (s)", "encode alone (s)", "read warm (s)", "decode alone (s)",
               "bytes / image", "× raw", "PSNR min / median (dB)"]  # fmt: skip
    return [Table(f"Containers × codecs, {n:,} images", columns, lines)] if lines else []


def spread(row) -> str:
    if row is None:
        return "–"
    flag = "" if row["precise"] else " *"  # did not reach the run's precision
    return f"{row['median']:.4g} ({row['ci_low']:.4g}–{row['ci_high']:.4g}){flag}"


def at_pattern(summary: pd.DataFrame, method: str, n: int, pattern: str, cache: str):
    """The read_many row of a method in one pattern and cache state at n images, or None."""
    rows = summary[(summary["method"] == method) & (summary["operation"] == "read_many") & (summary["n_images"] == n)
                   & (summary["pattern"] == pattern) & (summary["cache"] == cache)]  # fmt: skip
    return None if rows.empty else rows.iloc[0]


def overview(summary: pd.DataFrame, usage: pd.DataFrame) -> Table:
    """Per method at the largest cutoff: medians (q1–q3) of store and reads, single-image times, disk and
    files, and peak memory of the store and warm-read jobs."""
    n = largest_cutoff(summary)

    def pick(method, operation, cache, count):
        rows = sequential(summary, operation, cache, count)
        rows = rows[rows["method"] == method]
        return None if rows.empty else rows.iloc[0]

    lines = []
    for method in sorted(summary["method"].unique()):
        store, warm, cold = (pick(method, op, cache, n) for op, cache, _ in HEADLINE)
        singles = [pick(method, "store_single", "", 1), pick(method, "read_single", "warm", 1)]
        first = at_pattern(summary, method, n, "first_image", "cold")
        used = usage[(usage["method"] == method) & (usage["n_images"] == n)]
        peaks = [f"{mib(r['peak_rss_bytes'])} ({mib(r['peak_private_bytes'])})" if r is not None else "–"
                 for r in (store, warm)]  # fmt: skip
        lines.append([
            method, spread(store), spread(warm), spread(cold),
            *(f"{r['median'] * 1e3:.3g}" if r is not None else "–" for r in [*singles, first]),
            disk_ratios(usage, method, n)[0], str(used.iloc[0]["n_files"]) if not used.empty else "–",
            " / ".join(peaks),
        ])  # fmt: skip
    columns = ["method", "store many", "read many, warm", "read many, cold", "store one (ms)", "read one, warm (ms)",
               "first image, cold (ms)", "disk / raw pixels", "files",
               "peak memory (private), store / read (MiB)"]  # fmt: skip
    title = (f"Median seconds (95% interval; * where it did not reach the run's precision) at {n:,} images; "
             "single-image operations in milliseconds")  # fmt: skip
    return Table(title, columns, lines)


def headline_tables(summary: pd.DataFrame, usage: pd.DataFrame) -> list[Table]:
    """What summary.md, the report's summary page and the README open with, in this order."""
    return [overview(summary, usage), *rankings(summary, usage), *codec_grid(summary, usage), *encoding_split(summary)]


def machine_line(environment: dict) -> str:
    fs = environment.get("filesystem") or {}
    where = f"{fs.get('type', '?')} ({fs.get('device', '?')} at {fs.get('mount_point', '?')})"
    thp = environment.get("transparent_hugepages")  # warm reads depend on it (environment.transparent_hugepages)
    pages = f"transparent huge pages {thp['enabled']} (defrag {thp['defrag']}); " if thp else ""
    return (
        f"Measured {environment.get('recorded_at', 'at an unrecorded time')} on: "
        f"{environment['cpu_model']}, {environment['cpu_cores']} cores, "
        f"{int(environment['memory_bytes']) / 2**30:.1f} GiB memory, filesystem {where}; {pages}"
        f"{environment.get('os_name', '')} ({environment.get('os', '')}), Python {environment['python']}; "
        f"machine_id {environment['machine_id']}, commit {environment.get('git_commit', 'unknown')}."
    )


def timing_line(summary: pd.DataFrame, environment: dict) -> str:
    """Repeats and durability as measured (from the summary rows), warm-up runs and dataset from the config."""
    n = largest_cutoff(summary)
    counts = summary.loc[summary["n_images"] == n, "n_repeats"]
    repeats = f"{counts.min()}-{counts.max()}" if counts.min() != counts.max() else str(counts.min())
    durability = "/".join(sorted(summary["durability"].unique()))
    config = environment.get("config", {})
    dataset = (config.get("dataset") or {}).get("source", "?")
    return (
        f"Timing: {repeats} timed samples per measurement at {n:,} images (plus {config.get('warmup_runs', '?')} "
        f"warm-up run(s), discarded); durability {durability}; dataset {dataset}; values are medians with the "
        f"distribution-free 95% interval of each; precise = that interval within ±{config.get('precision', '?')} "
        f"of the median; MB/s counts raw pixel bytes; × npy = median / npy's median; of ceiling = the time the "
        f"machine's measured ceiling allows (page-cache read, memory copy, file creation) over the median."
    )
