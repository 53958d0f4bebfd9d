"""The Snakemake report: run the workflow on a small config in a temporary copy, build report.html, and
render it in headless Chromium (a screenshot and the DOM after its JavaScript ran)."""

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from PIL import Image

from conftest import REPO, copy_workflow, run_snakemake
from imgbench import plots

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
SMALL_CONFIG = {
    "cutoffs": [10, 100, 2000],
    "min_repeats": 2,
    "min_sample_seconds": 0.002,
    "max_repeats": 2,
    "dataset": {"source": "synthetic", "count": 1000},
    # The extra patterns at a small cutoff, so the pattern figures show data rather than placeholders.
    "patterns": {"kinds": ["random", "batch", "parallel", "single_latency"], "cutoffs": [100],
                 "batch_sizes": [1, 32], "workers": [1, 2], "latency_reads": 50},
}  # fmt: skip
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=10000",  # let the report's React app render before the dump/screenshot
]  # fmt: skip
# Opens the summary page inside the report app, as a click on it would (app and results are its globals).
OPEN_SUMMARY = """<script>
window.addEventListener("load", () => setTimeout(() => {
  const path = "results/summary.html";
  app.showCategory("Tables");
  app.setView({content: "html", contentPath: results[path].data_uri, resultPath: path});
}, 200));
</script>"""


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("report") / "wf")
    (workdir / "small.yaml").write_text(yaml.safe_dump(SMALL_CONFIG))
    run_snakemake(workdir, "--configfile", "small.yaml")
    run_snakemake(workdir, "--configfile", "small.yaml", "--report", "results/report.html")
    return workdir


def embedded_results(page: str) -> dict:
    """{path: (entry, file bytes)} of every result the report embeds (base64 data URIs)."""
    found = re.search(r'<script id="results">\s*var results = (.*?);?\s*</script>', page, re.S)
    assert found, "no results in the report"
    results = json.loads(found.group(1))
    return {
        path: (entry, base64.b64decode(entry["data_uri"].split("base64,", 1)[1])) for path, entry in results.items()
    }


def check_embedded(page: str, workdir: Path) -> None:
    results = embedded_results(page)
    for name in plots.FIGURES:
        entry, data = results[f"results/figures/{name}.png"]
        assert entry["mime_type"] == "image/png" and data.startswith(b"\x89PNG"), name
        assert entry["caption"], f"{name} has no caption"
    record = json.loads((workdir / "results" / "environment.json").read_text())
    summary = results["results/summary.html"][1].decode()
    assert "<th>median (s)</th>" in summary and "(fastest)" in summary and "Every group of summary.csv" in summary
    machine = results["results/environment.html"][1].decode()
    assert record["cpu_model"] in machine and "Config used for the run" in machine
    # Captions are templated from the config (durability, repeats).
    caption = results["results/figures/store_many_time.png"][0]["caption"]
    assert "taking 2 to 2 samples" in " ".join(caption.split())


def chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_report_embeds_every_figure_the_summary_and_the_machine(reported):
    page = (reported / "results" / "report.html").read_text()
    assert not re.search(r'<(script|img|link)[^>]+(src|href)="https?:', page), "the report must work offline"
    check_embedded(page, reported)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (Debian package chromium)")
def test_report_renders_in_headless_chromium(reported, tmp_path):
    report = reported / "results" / "report.html"
    dom = chromium(report.as_uri(), tmp_path / "profile-dom", "--dump-dom").stdout
    app = dom.split('<div id="app">', 1)[1].split("<script", 1)[0]
    # Text only the running app puts into #app: the navigation (categories) and the workflow description.
    for category in ("Time", "Disk usage", "Access patterns", "Tables", "Machine and config"):
        assert f">{category}<" in app, category
    assert "Image storage benchmark" in app
    check_embedded(dom, reported)

    shot = tmp_path / "report.png"
    chromium(report.as_uri(), tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1400,2000")
    with Image.open(shot) as image:
        assert image.size == (1400, 2000)
    shutil.copy(shot, reported / "results" / "report-screenshot.png")

    page = report.read_text()
    opened = tmp_path / "open-summary.html"
    opened.write_text(page[: page.rindex("</body>")] + OPEN_SUMMARY + page[page.rindex("</body>") :])
    summary_shot = reported / "results" / "report-summary-screenshot.png"
    chromium(opened.as_uri(), tmp_path / "profile-summary", f"--screenshot={summary_shot}", "--window-size=1400,1000")
    with Image.open(summary_shot) as image:
        assert image.size == (1400, 1000)
    # Kept as CI artifacts in the checkout's own results/ (git-ignored), where the temp copy is not.
    artifacts = REPO / "results" / "ci"
    artifacts.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, artifacts / "report-screenshot.png")
    shutil.copy(summary_shot, artifacts / "report-summary-screenshot.png")
    shutil.copy(report, artifacts / "report.html")
