"""Adaptive sampling in the harness: short operations are looped within a sample, measurements repeat until
their median's 95% interval is within the precision, and stop at their budget otherwise."""

import pandas as pd

from conftest import make_job
from imgbench import reading, stats, storing
from imgbench import rows as timing_rows


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame([row.csv_values() for row in rows]).astype({"seconds": float, "loops": int, "warmup": int})


def test_a_short_store_is_looped_and_its_rows_say_how_often(source, tmp_path):
    job = make_job("npy", source, min_sample_seconds=0.02, min_repeats=3, max_repeats=3, warmup_runs=1)
    rows = frame(storing.measure_store(job, "store_many", 10, tmp_path / "store"))
    warmup, samples = rows[rows["warmup"] == 1], rows[rows["warmup"] == 0]
    assert list(warmup["loops"]) == [1] and len(samples) == 3
    assert samples["loops"].nunique() == 1 and samples["loops"].iloc[0] > 1  # a 10-image npy store: well under 20 ms
    assert (tmp_path / "store" / "images.npy").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_samples_continue_until_precise_or_the_budget_ends(source, tmp_path):
    job = make_job("npy", source, min_sample_seconds=0.01, min_repeats=3, max_repeats=40, max_seconds=60,
                   precision=0.5, warmup_runs=0)  # fmt: skip
    path = tmp_path / "store"
    storing.measure_store(job, "store_many", 100, path)
    reads = frame(reading.measure_reads(job, "read_many", 100, path, [reading.Pattern()]))
    warm = reads[(reads["cache"] == "warm") & (reads["warmup"] == 0)]
    assert 6 <= len(warm) < 40  # 6 samples make a 95% interval, and ±50% is soon reached
    tight = make_job("npy", source, min_sample_seconds=0.0, min_repeats=3, max_repeats=40, max_seconds=1e-6,
                     precision=1e-9, warmup_runs=0)  # fmt: skip
    budget = frame(reading.measure_reads(tight, "read_many", 100, path, [reading.Pattern()]))
    assert len(budget[budget["cache"] == "warm"]) == 3  # min_repeats, then the budget stops it


def test_the_summary_says_which_rows_reached_their_precision(source, tmp_path):
    job = make_job("npy", source, min_sample_seconds=0.0, min_repeats=3, max_repeats=3, warmup_runs=0)
    rows = storing.measure_store(job, "store_many", 100, tmp_path / "store")
    timing_rows.write_rows(tmp_path / "timings.csv", rows)
    summary = stats.summarise(stats.load_timings(tmp_path / "timings.csv"), precision=0.05).iloc[0]
    assert summary["n_repeats"] == 3 and summary["ci_confidence"] == 0.75  # three samples: their range, at 75%
    steal = [row.host_steal for row in rows]  # the host's CPU steal in each sample; None if too short to say
    known = [s for s in steal if s is not None]
    assert all(0.0 <= s <= 1.0 for s in known)
    assert abs(summary["host_steal_max"] - max(known)) < 1e-4 if known else pd.isna(summary["host_steal_max"])
    assert summary["precise"] == 0 and summary["precision_reached"] == float("inf")
    assert summary["ci_low"] <= summary["median"] <= summary["ci_high"]


def test_chunks_are_bounded_in_bytes_whatever_the_image_size(source, wide_source):
    """chunk_images at most, and no more raw bytes than chunk_bytes: big images make smaller chunks."""
    assert make_job("npy", source, chunk_images=1000, chunk_bytes=1 << 30).chunk_images == 1000
    assert make_job("npy", source, chunk_images=1000, chunk_bytes=30_720).chunk_images == 10  # 10 x 3,072 bytes
    wide = make_job("npy", wide_source, chunk_images=1000, chunk_bytes=1 << 20)
    assert wide.chunk_images == (1 << 20) // (48 * 80 * 3)
    assert make_job("npy", wide_source, chunk_images=1000, chunk_bytes=1).chunk_images == 1


def test_cache_states_are_measured_one_after_the_other_and_patterns_interleaved(source, tmp_path):
    """A warm sample after a cold one would read the whole store back into the cache (9 s for 100,000 files)."""
    job = make_job("npy", source, caches=("cold", "warm"), min_repeats=3, max_repeats=3, warmup_runs=1)
    path = tmp_path / "store"
    storing.measure_store(job, "store_many", 100, path)
    patterns = [reading.Pattern(), reading.Pattern(timing_rows.PatternName.RANDOM.value)]
    reads = frame(reading.measure_reads(job, "read_many", 100, path, patterns))
    assert list(reads["cache"]) == ["cold"] * 8 + ["warm"] * 8  # a warm-up and 3 samples per pattern and state
    for state in ("cold", "warm"):
        assert list(reads[reads["cache"] == state]["pattern"]) == ["sequential", "random"] * 4


def test_a_read_whose_preparation_outlasts_it_is_not_looped(source, tmp_path):
    """Evicting disk's 300 files (an os.sync and 300 fadvise calls) takes longer than opening the store and
    reading its first image, so looping that cold read would multiply the eviction; a warm sequential read
    of an npy store (one file to check) is looped to the sample target as before."""
    first_image = [reading.Pattern(timing_rows.PatternName.FIRST_IMAGE.value)]
    disk = make_job("disk", source, caches=("cold",), min_sample_seconds=0.05, min_repeats=3, max_repeats=3)
    storing.measure_store(disk, "store_many", 300, tmp_path / "disk")
    cold = frame(reading.measure_reads(disk, "read_many", 300, tmp_path / "disk", first_image))
    assert list(cold["loops"]) == [1] * 4 and list(cold["warmup"]) == [1, 0, 0, 0]
    npy = make_job("npy", source, caches=("warm",), min_sample_seconds=0.05, min_repeats=3, max_repeats=3)
    storing.measure_store(npy, "store_many", 300, tmp_path / "npy")
    warm = frame(reading.measure_reads(npy, "read_many", 300, tmp_path / "npy", [reading.Pattern()]))
    samples = warm[warm["warmup"] == 0]
    assert samples["loops"].nunique() == 1 and samples["loops"].iloc[0] > 1
