"""The machine's ceilings: measured for real, and each result set against the ceiling of its operation."""

import pandas as pd
import pytest

from imgbench import ceilings, stats


def test_ceilings_are_measured_at_fixed_read_sizes(tmp_path):
    measured = ceilings.measure(tmp_path / "work", 3072)
    assert set(measured["read_bytes_per_second"]) == {str(size) for size in ceilings.READ_SIZES}
    assert all(value > 0 for value in measured["read_bytes_per_second"].values())
    assert measured["copy_bytes_per_second"] > 0 and 0 < measured["create_seconds_per_file"] < 1
    assert not (tmp_path / "work").exists()  # its scratch files are gone
    by_size = measured["read_bytes_per_second"]
    assert ceilings.read_ceiling_bytes_per_second(measured, 5 << 30) == by_size[str(ceilings.READ_SIZES[-1])]
    assert ceilings.read_ceiling_bytes_per_second(measured, 2 << 20) == by_size[str(16 << 20)]  # the next size up


def test_results_are_set_against_their_ceiling():
    """Known numbers: a warm read of 1 MB at 1 GB/s may take 1 ms; a store of 10 files at 1 GB/s copy plus
    1 ms per file may take 10.01 ms; cold reads have no ceiling."""
    measured = {"read_bytes_per_second": {"1000000": 1e9}, "copy_bytes_per_second": 1e9,
                "create_seconds_per_file": 1e-3}  # fmt: skip
    summary = pd.DataFrame([
        {"method": "npy", "operation": "read_many", "pattern": "sequential", "cache": "warm", "n_images": 10,
         "median": 0.002, "mb_per_s": 1e6 / 0.002 / 1e6},
        {"method": "disk", "operation": "store_many", "pattern": "sequential", "cache": "", "n_images": 10,
         "median": 0.02, "mb_per_s": 1e4 / 0.02 / 1e6},
        {"method": "npy", "operation": "read_many", "pattern": "sequential", "cache": "cold", "n_images": 10,
         "median": 0.01, "mb_per_s": 1e6 / 0.01 / 1e6},
    ])  # fmt: skip
    usage = pd.DataFrame([{"method": "disk", "n_images": 10, "n_files": 11}])
    out = stats.against_ceilings(summary.assign(ceiling_seconds=float("nan"), ceiling_fraction=float("nan")),
                                 usage, measured)  # fmt: skip
    assert out["ceiling_seconds"].iloc[0] == pytest.approx(1e-3) and out["ceiling_fraction"].iloc[0] == pytest.approx(
        0.5
    )
    assert out["ceiling_seconds"].iloc[1] == pytest.approx(1e-5 + 10e-3)
    assert pd.isna(out["ceiling_seconds"].iloc[2])
