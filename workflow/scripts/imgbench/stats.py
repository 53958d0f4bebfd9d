"""Statistics over the timing rows, with fixed definitions, so every summary number can be recomputed.

- Warm-up rows (warmup=1) are left out.
- median, q1, q3: linear interpolation between order statistics (numpy.percentile's and pandas' default);
  iqr = q3 - q1.
- stdev: sample standard deviation (ddof=1; 0 for a single repeat); cv = stdev / mean.
- noisy: cv > 0.10.
- ci_low, ci_high, ci_confidence: the distribution-free order-statistic interval of the median
  (confidence.median_ci) and its exact coverage (0.95 or more from 6 samples; less below).
- precision_reached: max(median - ci_low, ci_high - median) / median, inf while the interval has less than
  95% confidence; precise: 1 when that is within the run's precision (the config's ``precision``).
- us_per_image = median / op_images * 1e6; mb_per_s = raw pixel bytes of the operation / median / 1e6.
- ratio_to_npy: this median over the npy method's median for the same operation, count, pattern, cache.
- p50, p95, p99 (single_latency reads): the median over repeats of each repeat's percentile.
- cache_verified: 1 when every row of the group found the cache state it asked for.
- host_steal_max: the largest share of the machine's CPU time the hypervisor took during any of the group's
  samples (host.py; empty where the kernel does not count steal).
- psnr_min_db, psnr_median_db (lossy codecs' reads): the lowest of the rows' minimum PSNR, and the median
  of their median PSNR, of the images read against the source.
- ceiling_seconds: the time the machine's ceilings (ceilings.py, measured in the same run) allow for the same
  work: a warm read, the raw bytes at the page-cache read bandwidth; a store, the raw bytes at the memory
  copy bandwidth plus, for a store of one file per image, the files at the small-file create time.
  ceiling_fraction = ceiling_seconds / median (1 is as fast as the machine allows); empty for cold reads,
  encodings and decodings.
- scaling: least-squares fit of log(median) = log(a) + b * log(n) over cutoffs >= SCALING_MIN_IMAGES.

Tables are pandas DataFrames read once with declared dtypes (``load_timings``, ``load_summary``); the
presentation modules (tables.py, plots/) read them and never compute statistics themselves.
"""

import math

import numpy as np
import pandas as pd

from imgbench.confidence import median_ci

GROUP = ["method", "operation", "n_images", "pattern", "batch_size", "workers", "concurrency", "round_trip_ms", "cache",
         "durability"]  # fmt: skip
STATS = ["n_repeats", "median", "min", "max", "mean", "stdev", "q1", "q3", "iqr", "cv", "noisy", "ci_low", "ci_high",
         "ci_confidence", "precision_reached", "precise", "loops"]  # fmt: skip
DERIVED = ["us_per_image", "mb_per_s", "peak_rss_bytes", "peak_private_bytes", "ratio_to_npy", "p50", "p95", "p99",
           "cache_verified", "psnr_min_db", "psnr_median_db", "ceiling_seconds", "ceiling_fraction",
           "host_steal_max"]  # fmt: skip
SUMMARY_COLUMNS = GROUP + STATS + DERIVED
SCALING_COLUMNS = ["method", "operation", "pattern", "cache", "durability", "a", "b", "n_points", "n_min", "n_max"]
NOISY_CV = 0.10
SCALING_MIN_IMAGES = 1000

TEXT = {"method": str, "operation": str, "pattern": str, "cache": str, "durability": str}
TIMING_DTYPES = TEXT | {
    "n_images": "int64", "batch_size": "int64", "workers": "int64", "concurrency": "int64",
    "round_trip_ms": "float64", "repeat": "int64", "warmup": "int64",
    "loops": "int64",
    "seconds": "float64", "p50_seconds": "float64", "p95_seconds": "float64", "p99_seconds": "float64",
    "started_ns": "int64", "ended_ns": "int64", "op_images": "int64", "resident_fraction": "float64",
    "cache_verified": "Int64", "peak_rss_bytes": "int64", "peak_private_bytes": "int64", "raw_bytes": "int64",
    "psnr_min_db": "float64", "psnr_median_db": "float64", "host_steal": "float64", "measured_at": str,
    "machine_id": str,
}  # fmt: skip
SUMMARY_DTYPES = TEXT | {"n_images": "int64", "batch_size": "int64", "workers": "int64", "concurrency": "int64",
                         "round_trip_ms": "float64", "n_repeats": "int64",
                         "noisy": "int64", "precise": "int64", "loops": "int64", "cache_verified": "Int64"}  # fmt: skip


def _read(path, dtypes: dict) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in dtypes
                                                                             if dtypes[c] is not str})  # fmt: skip
    return frame


def load_timings(path) -> pd.DataFrame:
    """timings.csv with its declared dtypes (empty text cells stay "", empty numbers are NaN / <NA>)."""
    return _read(path, TIMING_DTYPES)


def load_summary(path) -> pd.DataFrame:
    return _read(path, SUMMARY_DTYPES | {c: "float64" for c in SUMMARY_COLUMNS if c not in SUMMARY_DTYPES})


def describe(samples) -> dict:
    """The statistics of one group's samples, by the definitions above."""
    values = np.asarray(samples, dtype=float)
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    mean = float(values.mean())
    stdev = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    cv = stdev / mean if mean > 0 else 0.0
    return {"n_repeats": len(values), "median": float(median), "min": float(values.min()), "max": float(values.max()),
            "mean": mean, "stdev": stdev, "q1": float(q1), "q3": float(q3), "iqr": float(q3 - q1), "cv": cv,
            "noisy": int(cv > NOISY_CV)}  # fmt: skip


def interval(samples: pd.Series) -> pd.Series:
    """The median's interval and its confidence (confidence.median_ci), and the precision it reaches."""
    low, high, achieved = median_ci(samples.to_numpy())
    median = float(np.median(samples))
    reached = max(median - low, high - median) / median if achieved >= 0.95 and median > 0 else math.inf
    return pd.Series({"ci_low": low, "ci_high": high, "ci_confidence": achieved, "precision_reached": reached})


def summarise(timings: pd.DataFrame, precision: float = 0.05) -> pd.DataFrame:
    """One row per GROUP of the timed (non-warm-up) rows, with STATS and DERIVED columns; precise says whether
    a group reached ``precision``."""
    timed = timings[timings["warmup"] != 1]
    grouped = timed.groupby(GROUP, sort=True, dropna=False)
    seconds = grouped["seconds"]
    summary = pd.DataFrame({
        "n_repeats": seconds.size(), "median": seconds.quantile(0.5), "min": seconds.min(), "max": seconds.max(),
        "mean": seconds.mean(), "stdev": seconds.std(ddof=1).fillna(0.0), "q1": seconds.quantile(0.25),
        "q3": seconds.quantile(0.75),
    })  # fmt: skip
    summary["iqr"] = summary["q3"] - summary["q1"]
    summary["cv"] = (summary["stdev"] / summary["mean"]).where(summary["mean"] > 0, 0.0)
    summary["noisy"] = (summary["cv"] > NOISY_CV).astype("int64")
    summary = summary.join(seconds.apply(interval).unstack())
    summary["precise"] = (summary["precision_reached"] <= precision).astype("int64")
    summary["loops"] = grouped["loops"].max()
    first = grouped[["op_images", "raw_bytes"]].first()
    summary["us_per_image"] = summary["median"] / first["op_images"] * 1e6
    summary["mb_per_s"] = (first["raw_bytes"] / summary["median"] / 1e6).where(summary["median"] > 0)
    summary["peak_rss_bytes"] = grouped["peak_rss_bytes"].max()
    summary["peak_private_bytes"] = grouped["peak_private_bytes"].max()
    for p in ("p50", "p95", "p99"):
        summary[p] = grouped[f"{p}_seconds"].median()
    summary["cache_verified"] = grouped["cache_verified"].agg(_all_verified).astype("Int64")
    summary["psnr_min_db"] = grouped["psnr_min_db"].min()
    summary["psnr_median_db"] = grouped["psnr_median_db"].median()
    # Timings written before host steal was recorded have no such column: their groups get NaN.
    summary["host_steal_max"] = grouped["host_steal"].max() if "host_steal" in timed else np.nan
    summary = summary.reset_index()
    summary["ratio_to_npy"] = ratio_to_npy(summary)
    summary["ceiling_seconds"] = summary["ceiling_fraction"] = np.nan
    return summary[SUMMARY_COLUMNS]


def against_ceilings(summary: pd.DataFrame, usage: pd.DataFrame, ceilings: dict) -> pd.DataFrame:
    """summary with ceiling_seconds and ceiling_fraction filled in where a ceiling bounds the operation."""
    from imgbench.ceilings import read_ceiling_bytes_per_second

    files = usage.set_index(["method", "n_images"])["n_files"].to_dict()
    raw = summary["mb_per_s"] * summary["median"] * 1e6  # the raw pixel bytes of each group's operation
    out = summary.copy()
    for index, row in summary.iterrows():
        if row["pattern"] in ("encode_only", "decode_only"):
            continue
        if row["operation"] in ("read_many", "read_single") and row["cache"] == "warm":
            seconds = raw[index] / read_ceiling_bytes_per_second(ceilings, raw[index])
        elif row["operation"] in ("store_many", "store_single"):
            n_files = files.get((row["method"], row["n_images"]), 1)
            per_file = ceilings["create_seconds_per_file"] if n_files > row["n_images"] else 0.0
            seconds = raw[index] / ceilings["copy_bytes_per_second"] + row["n_images"] * per_file
        else:
            continue
        out.loc[index, "ceiling_seconds"] = seconds
        out.loc[index, "ceiling_fraction"] = seconds / row["median"]
    return out


def _all_verified(values: pd.Series):
    present = values.dropna()
    return pd.NA if present.empty else int((present == 1).all())


def ratio_to_npy(summary: pd.DataFrame) -> pd.Series:
    """Each median over npy's median for the same operation, count, pattern and cache (NaN without npy)."""
    key = GROUP[1:]
    floor = summary[summary["method"] == "npy"].set_index(key)["median"].rename("npy_median")
    joined = summary.join(floor, on=key)
    return joined["median"] / joined["npy_median"]


def fit_power_law(counts, seconds) -> tuple[float, float]:
    """a, b of seconds = a * n**b by least squares on logs."""
    b, log_a = np.polyfit(np.log(counts), np.log(seconds), 1)
    return math.exp(log_a), float(b)


def scaling(summary: pd.DataFrame) -> pd.DataFrame:
    """A power-law fit per method, operation, cache and durability, over the sequential many-image rows."""
    rows = summary[summary["operation"].str.endswith("_many") & (summary["pattern"] == "sequential")]
    rows = rows[rows["n_images"] >= SCALING_MIN_IMAGES]
    fits = []
    for key, points in rows.groupby(SCALING_COLUMNS[:5], sort=True, dropna=False):
        if len(points) < 2:
            continue
        points = points.sort_values("n_images")
        a, b = fit_power_law(points["n_images"].to_numpy(), points["median"].to_numpy())
        fits.append(dict(zip(SCALING_COLUMNS[:5], key, strict=True)) | {
            "a": a, "b": b, "n_points": len(points), "n_min": int(points["n_images"].iloc[0]),
            "n_max": int(points["n_images"].iloc[-1]),
        })  # fmt: skip
    return pd.DataFrame(fits, columns=SCALING_COLUMNS)


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows as dicts of plain Python values, None where a value is missing (for plotting and tables)."""
    return [{key: (None if _missing(value) else value) for key, value in row.items()}
            for row in frame.astype(object).to_dict("records")]  # fmt: skip


def _missing(value) -> bool:
    return value is pd.NA or (isinstance(value, float) and math.isnan(value))


COMPARISON_COLUMNS = ["cutoff", "operation", "cache", "method", "reference", "ratio", "ci_low", "ci_high", "rounds",
                      "precision_reached", "within_noise", "aa_ratio", "aa_ci_low", "aa_ci_high",
                      "aa_contains_one"]  # fmt: skip


def comparisons(rounds: pd.DataFrame) -> pd.DataFrame:
    """Per store size and operation, each method's time over the reference's of the same round: the median of
    the per-round ratios with its order-statistic interval (comparison.paired_ratio), and the reference's A/A
    ratio (its second turn of each round over its first), whose interval must contain 1. within_noise: the
    method's interval contains 1 (no difference shown)."""
    from imgbench.comparison import paired_ratio

    lines = []
    for (n, operation, cache_state), turns in rounds.groupby(["n_images", "operation", "cache"], sort=True):
        reference = turns.loc[turns["copy"] == 1, "method"].iloc[0]
        by_arm = turns.pivot_table(index="round", columns=["method", "copy"], values="seconds")
        first, second = by_arm[(reference, 0)], by_arm[(reference, 1)]
        aa = paired_ratio(second, first)
        for method in sorted(m for m in turns["method"].unique() if m != reference):
            ratio = paired_ratio(by_arm[(method, 0)], first)
            lines.append({
                "cutoff": n, "operation": operation, "cache": cache_state, "method": method, "reference": reference,
                "ratio": ratio.value, "ci_low": ratio.low, "ci_high": ratio.high, "rounds": ratio.n,
                "precision_reached": ratio.relative_half_width, "within_noise": int(ratio.contains(1.0)),
                "aa_ratio": aa.value, "aa_ci_low": aa.low, "aa_ci_high": aa.high,
                "aa_contains_one": int(aa.contains(1.0)),
            })  # fmt: skip
    return pd.DataFrame(lines, columns=COMPARISON_COLUMNS)
