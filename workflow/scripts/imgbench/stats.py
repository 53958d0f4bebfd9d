"""Statistics over raw timing rows: fixed definitions, so every summary number can be recomputed.

- Warm-up rows (warmup=1) are left out.
- median, q1, q3: numpy.percentile with linear interpolation; iqr = q3 - q1.
- stdev: sample standard deviation (ddof=1; 0 for a single repeat); cv = stdev / mean.
- noisy: cv > 0.10.
- us_per_image = median / op_images * 1e6; mb_per_s = raw pixel bytes / median / 1e6.
- ratio_to_npy: this median over the npy method's median for the same operation, count, pattern, cache.
- scaling: least-squares fit of log(median) = log(a) + b * log(n) over cutoffs >= 1000.
"""

import math
from collections import defaultdict

import numpy as np

GROUP = ["method", "operation", "n_images", "pattern", "batch_size", "workers", "cache", "durability"]
STATS = ["n_repeats", "median", "min", "max", "mean", "stdev", "q1", "q3", "iqr", "cv", "noisy"]
DERIVED = [
    "us_per_image",
    "mb_per_s",
    "peak_rss_bytes",
    "peak_private_bytes",
    "ratio_to_npy",
    "p50",
    "p95",
    "p99",
    "cache_verified",
]
SUMMARY_COLUMNS = GROUP + STATS + DERIVED
SCALING_COLUMNS = [
    "method",
    "operation",
    "pattern",
    "cache",
    "durability",
    "a",
    "b",
    "n_points",
    "n_min",
    "n_max",
]
NOISY_CV = 0.10
SCALING_MIN_IMAGES = 1000


def describe(samples: list[float]) -> dict:
    values = np.asarray(samples, dtype=float)
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    mean = float(values.mean())
    stdev = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    cv = stdev / mean if mean > 0 else 0.0
    return {
        "n_repeats": len(values),
        "median": float(median),
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": mean,
        "stdev": stdev,
        "q1": float(q1),
        "q3": float(q3),
        "iqr": float(q3 - q1),
        "cv": cv,
        "noisy": int(cv > NOISY_CV),
    }


def group_key(row: dict) -> tuple:
    return tuple(str(row[column]) for column in GROUP)


def summarise(rows: list[dict]) -> list[dict]:
    groups = defaultdict(list)
    for row in rows:
        if str(row["warmup"]) != "1":
            groups[group_key(row)].append(row)
    summary = [summarise_group(key, members) for key, members in sorted(groups.items(), key=_sort_key)]
    add_ratio_to_npy(summary)
    return summary


def _sort_key(item):
    key = item[0]
    return (key[0], key[1], int(key[2]), *key[3:])


def summarise_group(key: tuple, members: list[dict]) -> dict:
    stats = describe([float(row["seconds"]) for row in members])
    images = int(members[0]["op_images"])
    out = dict(zip(GROUP, key, strict=True)) | stats
    out["us_per_image"] = stats["median"] / images * 1e6 if images else ""
    out["mb_per_s"] = images * 3072 / stats["median"] / 1e6 if stats["median"] > 0 else ""
    out["peak_rss_bytes"] = max(int(row["peak_rss_bytes"]) for row in members)
    out["peak_private_bytes"] = max(int(row.get("peak_private_bytes") or 0) for row in members)
    for p in ("p50", "p95", "p99"):
        values = [float(row[f"{p}_seconds"]) for row in members if row.get(f"{p}_seconds") not in ("", None)]
        out[p] = float(np.median(values)) if values else ""
    verified = [row["cache_verified"] for row in members if str(row.get("cache_verified", "")) != ""]
    out["cache_verified"] = int(all(str(v) == "1" for v in verified)) if verified else ""
    out["ratio_to_npy"] = ""
    return out


def add_ratio_to_npy(summary: list[dict]) -> None:
    floor = {group_key(row)[1:]: row["median"] for row in summary if row["method"] == "npy"}
    for row in summary:
        npy_median = floor.get(group_key(row)[1:])
        if npy_median:
            row["ratio_to_npy"] = row["median"] / npy_median


def fit_power_law(counts: list[int], seconds: list[float]) -> tuple[float, float]:
    """a, b of seconds = a * n**b by least squares on logs."""
    b, log_a = np.polyfit(np.log(counts), np.log(seconds), 1)
    return math.exp(log_a), float(b)


def scaling(summary: list[dict]) -> list[dict]:
    series = defaultdict(list)
    for row in summary:
        if row["operation"].endswith("_many") and row["pattern"] == "sequential":
            if int(row["n_images"]) >= SCALING_MIN_IMAGES:
                key = (row["method"], row["operation"], row["pattern"], row["cache"], row["durability"])
                series[key].append((int(row["n_images"]), row["median"]))
    fits = []
    for key, points in sorted(series.items()):
        if len(points) < 2:
            continue
        counts, medians = zip(*sorted(points), strict=True)
        a, b = fit_power_law(list(counts), list(medians))
        fits.append(dict(zip(SCALING_COLUMNS[:5], key, strict=True)) | {
            "a": a, "b": b, "n_points": len(points), "n_min": counts[0], "n_max": counts[-1],
        })  # fmt: skip
    return fits
