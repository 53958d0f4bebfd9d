"""Statistics on known inputs: the definitions in imgbench.stats, checked by hand-computable cases."""

import math

import pandas as pd
import pytest

from imgbench import sentences, stats


def row(seconds, method="disk", n=100, warmup=0, operation="store_many", cache="", op_images=None):
    return {
        "method": method, "operation": operation, "n_images": n, "pattern": "sequential", "batch_size": 0,
        "workers": 1, "concurrency": 0, "round_trip_ms": 0.0, "cache": cache, "durability": "none", "repeat": 0,
        "warmup": warmup, "seconds": seconds,
        "loops": 1, "op_images": op_images or n, "raw_bytes": (op_images or n) * 3072, "peak_rss_bytes": 1000,
        "peak_private_bytes": 600, "p50_seconds": None, "p95_seconds": None, "p99_seconds": None,
        "cache_verified": None, "psnr_min_db": None, "psnr_median_db": None,
    }  # fmt: skip


def summary_frame(rows) -> pd.DataFrame:
    """stats.summarise on a timings table built from these rows."""
    floats = ("p50_seconds", "p95_seconds", "p99_seconds", "psnr_min_db", "psnr_median_db")
    return stats.summarise(pd.DataFrame(rows).astype({name: float for name in floats} | {"cache_verified": "Int64"}))


def summarise(rows) -> list[dict]:
    """summary_frame as plain dicts."""
    return stats.records(summary_frame(rows))


def test_describe_known_values():
    d = stats.describe([1.0, 2.0, 3.0, 4.0, 5.0])
    assert d["median"] == 3.0 and d["min"] == 1.0 and d["max"] == 5.0 and d["mean"] == 3.0
    assert d["q1"] == 2.0 and d["q3"] == 4.0 and d["iqr"] == 2.0
    assert d["stdev"] == pytest.approx(math.sqrt(2.5))
    assert d["cv"] == pytest.approx(math.sqrt(2.5) / 3)
    assert d["noisy"] == 1 and d["n_repeats"] == 5


def test_single_sample_has_zero_spread():
    d = stats.describe([0.5])
    assert d["stdev"] == 0.0 and d["cv"] == 0.0 and d["noisy"] == 0


def test_warmup_rows_are_left_out():
    rows = [row(100.0, warmup=1), row(1.0), row(1.02), row(0.98)]
    (summary,) = summarise(rows)
    assert summary["n_repeats"] == 3 and summary["max"] == 1.02 and summary["noisy"] == 0
    assert summary["us_per_image"] == pytest.approx(1.0 / 100 * 1e6)
    assert summary["mb_per_s"] == pytest.approx(100 * 3072 / 1.0 / 1e6)


def test_groups_are_kept_apart_and_ratio_to_npy():
    rows = [row(2.0), row(4.0, method="npy"), row(3.0, cache="cold", operation="read_many")]
    rows += [row(1.0, method="npy", cache="cold", operation="read_many")]
    summary = {(r["method"], r["operation"]): r for r in summarise(rows)}
    assert len(summary) == 4
    assert summary[("disk", "store_many")]["ratio_to_npy"] == pytest.approx(0.5)
    assert summary[("disk", "read_many")]["ratio_to_npy"] == pytest.approx(3.0)
    assert summary[("npy", "read_many")]["ratio_to_npy"] == pytest.approx(1.0)


def test_scaling_recovers_a_power_law():
    a, b = 2e-5, 1.1
    rows = [row(a * n**b, n=n) for n in (10, 1000, 10000, 100000)]
    (fit,) = stats.records(stats.scaling(pd.DataFrame(summarise(rows))))
    assert fit["b"] == pytest.approx(b) and fit["a"] == pytest.approx(a)
    assert fit["n_points"] == 3 and fit["n_min"] == 1000  # the 10-image point is left out of the fit


def test_summary_columns_and_missing_values_are_typed(tmp_path):
    """Through the CSV and back: stores have an empty cache, percentiles only where measured."""
    summary = pd.DataFrame(summarise([row(1.0), row(2.0, cache="warm", operation="read_many")]))
    path = tmp_path / "summary.csv"
    summary.to_csv(path, index=False)
    loaded = stats.load_summary(path)
    assert list(loaded.columns) == stats.SUMMARY_COLUMNS
    assert loaded["cache"].tolist() == ["warm", ""] and loaded["p50"].isna().all()
    assert loaded["n_repeats"].dtype == "int64" and loaded["median"].dtype == "float64"


def test_floor_sentences_rank_every_method_against_npy_at_its_largest_count():
    rows = [row(4.0, method="npy", n=1000), row(2.0, method="arrow", n=1000), row(80.0, method="parquet", n=1000)]
    rows += [row(1.0, method="npy", n=10), row(9.0, method="parquet", n=10), row(5.0, method="sqlite", n=100000)]
    rows += [row(0.5, method="arrow", operation="read_many", cache="warm")]  # no npy read: no sentence
    assert sentences.floor_sentences(summary_frame(rows)) == [
        "Stores, 1,000 images, in multiples of npy's time: arrow 0.5×, parquet 20×."
    ]
