"""Figures and the markdown summary, drawn from tables the project's own code measured and summarised.

A tiny benchmark runs through the harness (store, read with every pattern, single image), so the CSVs
have the shapes and values a real run gives; no result number is typed in here.
"""

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from conftest import make_job
from imgbench import aggregate, comparing, environment, plots, reading, report, stats, storing, usage
from imgbench import rows as timing_rows
from imgbench.fsutil import read_csv, write_csv_atomic

REPO = Path(__file__).resolve().parents[1]
METHODS = ["disk", "hdf5", "lmdb", "npy"]
CUTOFFS = [10, 40]
PATTERNS = [reading.Pattern(), reading.Pattern("random"), reading.Pattern("batch", batch_size=4),
            reading.Pattern("parallel", workers=2), reading.Pattern("single_latency", reads=10)]  # fmt: skip


def measure(source, stores: Path, raw: Path) -> tuple[list[Path], list[Path]]:
    """Raw timing and usage CSVs of a tiny run; the extra patterns at the largest cutoff only."""
    timings, used = [], []
    for method in METHODS:
        job = make_job(method, source, min_repeats=2, max_repeats=2, warmup_runs=1, chunk_images=8)
        rows = []
        for n in CUTOFFS:
            path = stores / method / str(n)
            rows += storing.measure_store(job, "store_many", n, path)
            patterns = PATTERNS if n == max(CUTOFFS) else PATTERNS[:1]
            rows += reading.measure_reads(job, "read_many", n, path, patterns)
            used.append(raw / f"{method}-{n}-usage.csv")
            usage.write_usage(used[-1], method, n, path, source.image_bytes)
        single = stores / method / "single"
        rows += storing.measure_store(job, "store_single", 1, single)
        rows += reading.measure_reads(job, "read_single", 1, single, PATTERNS[:1])
        timings.append(raw / f"{method}.csv")
        timing_rows.write_rows(timings[-1], rows)
    return timings, used


def compare(source, stores: Path, out: Path) -> Path:
    """Paired rounds of warm reads of the tiny run's stores at the largest cutoff, npy the reference."""
    n = max(CUTOFFS)
    contestants = {
        method: comparing.Contestant(make_job(method, source), stores / method / str(n)) for method in METHODS
    }
    # A budget of 0.03 s of timed work stops at min_rounds, 6 (enough for a 95% interval); with 5 s, the
    # tiny reads ran rounds (a process each) for 113 s of CI.
    settings = {"reference": "npy", "operations": ["read_warm"], "max_seconds": 0.03, "min_rounds": 6,
                "precision": 0.05, "seed": 0}  # fmt: skip
    rows = comparing.Comparison(contestants, "npy", n, stores / "compare-work", settings).run()
    write_csv_atomic(out, rows, comparing.COLUMNS)
    return out


@pytest.fixture(scope="module")
def tables(source, tmp_path_factory, monkeypatch_module) -> dict:
    """summary.csv, disk_usage.csv, scaling.csv and environment.json of the tiny run."""
    out = tmp_path_factory.mktemp("results")
    # The real threshold (1000 images) is beyond this tiny run; lowered so the fit lines get drawn too.
    monkeypatch_module.setattr(stats, "SCALING_MIN_IMAGES", min(CUTOFFS))
    paths = {name: out / name for name in ("timings.csv", "disk_usage.csv", "summary.csv", "scaling.csv",
                                           "environment.json", "comparisons.csv")}  # fmt: skip
    timings, used = measure(source, out / "stores", out / "raw")
    rounds = compare(source, out / "stores", out / "raw" / "compare.csv")
    aggregate.aggregate(timings, used, paths["timings.csv"], paths["disk_usage.csv"], paths["summary.csv"],
                        paths["scaling.csv"], 0.05, [rounds], paths["comparisons.csv"])  # fmt: skip
    config = {
        "methods": METHODS,
        "cutoffs": CUTOFFS,
        "min_repeats": 2,
        "max_repeats": 2,
        "warmup_runs": 1,
        "durability": "none",
    }
    record = environment.environment_record(out, REPO, config)
    paths["environment.json"].write_text(json.dumps(record, default=str))
    return paths


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def assert_valid_png(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert 600 <= width <= 2500 and 250 <= height <= 2000, (path.name, image.size)
        low, high = image.convert("L").getextrema()
        assert low < 100 and high > 200, f"{path.name} looks blank"


def test_every_figure_has_a_drawer_and_a_caption():
    assert list(plots.DRAW) == list(plots.FIGURES)
    for name in plots.FIGURES:
        assert (REPO / "workflow" / "report" / f"{name}.rst").is_file(), name


def test_draw_all_writes_every_figure(tables, tmp_path):
    assert read_csv(tables["scaling.csv"]), "the fit lines should be exercised"
    outputs = {name: tmp_path / f"{name}.png" for name in plots.FIGURES}
    inputs = {name: tables[f"{name}.csv"] for name in ("summary", "scaling", "comparisons")}
    plots.draw_all(inputs | {"usage": tables["disk_usage.csv"]}, outputs)
    for path in outputs.values():
        assert_valid_png(path)


def test_pattern_figures_say_when_patterns_were_not_measured(tables, tmp_path):
    """Without pattern rows the same files are written, as placeholders (the rule's outputs are fixed)."""
    loaded = plots.load_tables(*(tables[name] for name in ("summary.csv", "disk_usage.csv", "scaling.csv",
                                                           "comparisons.csv")))  # fmt: skip
    sequential = dataclasses.replace(loaded, summary=[row for row in loaded.summary if row["pattern"] == "sequential"])
    for name in ("access_patterns", "read_latency"):
        full, empty = tmp_path / f"{name}.png", tmp_path / f"{name}-empty.png"
        plots.DRAW[name](full, loaded)
        plots.DRAW[name](empty, sequential)
        assert_valid_png(empty)
        with Image.open(full) as drawn, Image.open(empty) as placeholder:
            assert placeholder.size != drawn.size  # the placeholder is a smaller, single-panel figure


def test_method_colours_are_fixed_and_deterministic_for_new_methods():
    assert plots.method_style("disk") == plots.METHOD_STYLES["disk"]
    colours = {plots.method_style(m)[0] for m in plots.METHOD_STYLES}
    assert len(colours) == len(plots.METHOD_STYLES)
    code = "from imgbench import plots; print(plots.method_style('zarr_new'))"
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       cwd=REPO / "workflow" / "scripts", env={"PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }  # fmt: skip
    assert runs == {f"{plots.method_style('zarr_new')}\n"}


def test_summary_markdown_names_every_method_and_the_fastest(tables, tmp_path):
    out = {name: tmp_path / name for name in ("summary.md", "summary.html", "environment.html")}
    inputs = {name: tables[f"{name}.csv"] for name in ("summary", "comparisons")}
    inputs |= {"usage": tables["disk_usage.csv"], "environment": tables["environment.json"]}
    report.write_summary(inputs, out["summary.md"], out["summary.html"], out["environment.html"])
    text = out["summary.md"].read_text()
    record = json.loads(tables["environment.json"].read_text())
    head_to_head = text.split("## Head to head")[1].split("Measured")[0]
    for method in (m for m in METHODS if m != "npy"):
        assert re.search(rf"At 40 images, {method} reads \(warm\) in [0-9.]+× the time of npy \(95% CI [0-9.]+–[0-9.]+",
                         head_to_head), head_to_head  # fmt: skip
    for method in METHODS:
        assert f"| {method}" in text
    for section in ("### Store many", "### Read many, warm page cache", "### Read many, cold page cache"):
        table = text.split(section)[1].split("###")[0]
        assert table.count("(fastest)") == 1, section
    summary = read_csv(tables["summary.csv"])
    fastest_store = min(
        (
            r
            for r in summary
            if (r["operation"], r["pattern"], r["n_images"]) == ("store_many", "sequential", str(max(CUTOFFS)))
        ),
        key=lambda r: float(r["median"]),
    )
    assert f"| {fastest_store['method']} (fastest) |" in text
    assert record["cpu_model"] in text and "durability none" in text
    page = out["summary.html"].read_text()
    assert "<th>median (s)</th>" in page and "Every group of summary.csv" in page
    assert record["cpu_model"] in out["environment.html"].read_text()
