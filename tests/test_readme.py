"""The README's generated tables come from real results: our harness's rows and the tutorial's own code."""

import importlib.util
import json
import statistics
import sys
from pathlib import Path

from conftest import make_job
from imgbench import aggregate, methods, reading, readme, stats, storing, usage
from imgbench import rows as timing_rows
from imgbench.fsutil import read_csv

ROOT = Path(__file__).resolve().parents[1]
N = 100


def tutorial_baseline():
    spec = importlib.util.spec_from_file_location("tutorial_baseline", ROOT / "benchmarks" / "tutorial_baseline.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tutorial_baseline"] = module  # its lmdb store pickles a class of this module
    spec.loader.exec_module(module)
    return module


def our_results(source, tmp_path) -> Path:
    """A tiny run of disk and npy, aggregated into the tables a real run writes (but environment.json)."""
    raw, results = tmp_path / "raw", tmp_path / "results"
    for method in ("disk", "npy"):
        job, store = (
            make_job(method, source, min_repeats=3, max_repeats=3, warmup_runs=1, chunk_images=50),
            tmp_path / "stores" / method,
        )
        rows = storing.measure_store(job, "store_many", N, store)
        rows += reading.measure_reads(job, "read_many", N, store, [reading.Pattern()])
        timing_rows.write_rows(raw / f"{method}.csv", rows)
        usage.write_usage(raw / f"{method}-usage.csv", method, N, store, source.image_bytes)
    names = [results / name for name in ("timings.csv", "disk_usage.csv", "summary.csv", "scaling.csv")]
    aggregate.aggregate([raw / "disk.csv", raw / "npy.csv"], [raw / "disk-usage.csv", raw / "npy-usage.csv"], *names)
    return results


def test_tutorial_block_sets_the_tutorials_medians_beside_ours(source, source_dir, tmp_path):
    results = our_results(source, tmp_path)
    tutorial_baseline().main(source_dir, tmp_path / "tutorial", N, 2, results / "tutorial_baseline.csv")
    tutorial = read_csv(results / "tutorial_baseline.csv")
    assert len(tutorial) == 4 * 2 * 2  # disk, lmdb, hdf5, npy × store, read × 2 repeats
    assert (tmp_path / "tutorial" / "repeat-1" / "disk" / f"{N - 1}.png").exists()

    page = tmp_path / "README.md"
    blocks = "".join(f"<!-- {block}:START -->\nstale\n<!-- {block}:END -->\n" for block in ("TUTORIAL", "METHODS"))
    page.write_text(f"top\n{blocks}")
    readme.update_readme(results, page, "TUTORIAL")
    text = page.read_text()
    assert "stale" not in text and text.startswith("top\n")
    table = {line.split(" | ")[0].strip("| "): line.strip("| ").split(" | ") for line in text.splitlines()
             if line.startswith("| ") and not line.startswith("| method")}  # fmt: skip

    summary = stats.records(stats.load_summary(results / "summary.csv"))
    ours = {(r["method"], r["operation"]): r["median"] for r in summary if r["cache"] in ("", "warm")}
    for method in ("disk", "npy"):
        for column, operation in ((1, "store_many"), (3, "read_many")):
            theirs = [float(r["seconds"]) for r in tutorial if (r["method"], r["operation"]) == (method, operation)]
            assert table[method][column] == f"{statistics.median(theirs):.3g}"
            assert table[method][column + 1] == f"{ours[method, operation]:.3g}"
    assert table["lmdb"][2] == "–"  # the tutorial ran it, our results did not


def test_results_block_has_a_row_per_method_and_the_machine(source, tmp_path):
    results = our_results(source, tmp_path)
    config = {"durability": "none", "min_repeats": 3, "max_repeats": 3, "precision": 0.05, "warmup_runs": 1,
              "dataset": {"source": "synthetic"}}  # fmt: skip
    machine = {"cpu_model": "TestCPU", "cpu_cores": 2, "memory_bytes": 1 << 30, "os_name": "TestOS", "os": "Linux",
               "filesystem": {"type": "ext4"}, "python": "3.11", "git_commit": "abc", "machine_id": "m1",
               "config": config}  # fmt: skip
    (results / "environment.json").write_text(json.dumps(machine))
    text = readme.results_table(results)
    rows = [line for line in text.splitlines() if line.startswith("| disk") or line.startswith("| npy")]
    assert len(rows) == 2 and "at 100 images" in text and "TestCPU, 2 cores, 1.0 GiB" in text
    summary = stats.records(stats.load_summary(results / "summary.csv"))
    disk_store = next(r for r in summary if (r["method"], r["operation"], r["pattern"]) == ("disk", "store_many",
                                                                                           "sequential"))  # fmt: skip
    flag = "" if disk_store["precise"] else " *"
    cell = f"{disk_store['median']:.4g} ({disk_store['ci_low']:.4g}–{disk_store['ci_high']:.4g}){flag}"
    assert rows[0].split(" | ")[1] == cell


def test_methods_block_lists_every_plain_method_container_codec_and_alias():
    from imgbench import codecs
    from imgbench.methods import containers

    table = readme.methods_table()
    names = [*methods.plain(), *containers.available(), *codecs.available(), *methods.ALIASES]
    assert [name for name in names if f"`{name}`" not in table] == []
