"""A folder of real image files through the real workflow (Snakemake in a temporary copy): the dry run, the
source alone, the whole pipeline at 32 x 32 (the shape every method takes today), a rerun when the folder
changes and only then, and bad input stopped with one message, before any job or in the prepare job."""

import json
import re
import shutil

import pytest
import yaml
from image_folders import mixed_folder, photo, save

from conftest import copy_workflow, run_snakemake

pytestmark = pytest.mark.slow
SOURCE = "results/source/source.json"


def folder_run_config(root, **dataset_keys) -> dict:
    return {
        "methods": ["npy"],
        "cutoffs": [10, 40],  # 40 is more than the folder's 30 images: they repeat
        "min_repeats": 1,
        "max_repeats": 1,
        "min_sample_seconds": 0,
        "cache": ["warm"],
        "patterns": {"kinds": []},
        "dataset": {"source": "folder", "path": str(root), "image_size": [32, 32], **dataset_keys},
    }


def write_config(workdir, config: dict) -> str:
    (workdir / "test.yaml").write_text(yaml.safe_dump(config))
    return "test.yaml"


def said(result) -> str:
    return result.stdout + result.stderr


def jobs(dry_run_output: str) -> set[str]:
    table = dry_run_output.split("Job stats:")[1].split("total")[0]
    return {match.group(1) for match in re.finditer(r"^(\w+)\s+\d+$", table, re.M)}


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    mixed_folder(root)
    return root


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("workflow") / "wf")


def test_the_dry_run_prepares_the_folder_and_downloads_nothing(workdir, photos):
    name = write_config(workdir, folder_run_config(photos))
    result = run_snakemake(workdir, "-n", "--configfile", name)
    assert {"prepare_source", "store", "read", "single"} <= jobs(said(result)) and "download" not in said(result)
    assert not (workdir / "results").exists()


def test_the_source_alone(workdir, photos):
    name = write_config(workdir, folder_run_config(photos))
    result = run_snakemake(workdir, SOURCE, "--configfile", name)
    assert jobs(said(result)) == {"prepare_source"}
    info = json.loads((workdir / SOURCE).read_text())
    assert info["dataset"] == "folder" and info["count"] == 30 and info["image_shape"] == [32, 32, 3]
    assert info["classes"] == ["cats", "dogs", "zebras"] and info["origin"]["path"] == str(photos)
    log = (workdir / "results" / "logs" / "prepare_source.log").read_text()
    assert f"{photos}: 30 files in 3 classes -> 30 images of 32 x 32" in log
    assert "prepared the folder source: 30 images of 32 x 32 x 3" in log
    assert "Nothing to be done" in said(run_snakemake(workdir, "-n", SOURCE, "--configfile", name))


def test_the_whole_pipeline_on_a_folder(workdir, photos):
    name = write_config(workdir, folder_run_config(photos))
    run_snakemake(workdir, "--configfile", name)
    rows = (workdir / "results" / "timings.csv").read_text().splitlines()
    assert sum(",store_many,40,sequential," in row for row in rows) == 2  # warm-up and one repeat
    environment = json.loads((workdir / "results" / "environment.json").read_text())
    assert environment["source"] == json.loads((workdir / SOURCE).read_text())
    assert "Nothing to be done" in said(run_snakemake(workdir, "-n", "--configfile", name))


def test_a_changed_folder_is_prepared_again(workdir, photos):
    """Only what the folder holds counts: a new file reruns the source; an unrelated key (the download's speed
    floor) does not."""
    name = write_config(workdir, folder_run_config(photos, download_speed_limit=5))
    assert "Nothing to be done" in said(run_snakemake(workdir, "-n", "--configfile", name))
    save(photo(50, 40, 99), photos / "zebras" / "z99.png")
    result = run_snakemake(workdir, "-n", "--configfile", name)
    assert "prepare_source" in jobs(said(result)) and "Params have changed" in said(result)


def test_an_unreadable_file_stops_the_prepare_job_with_its_name(workdir, photos):
    """The message names the file; nothing half-written is left and the earlier results stay."""
    (photos / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    stores = workdir / "results" / "stores" / "npy" / "40"
    assert stores.exists()
    name = write_config(workdir, folder_run_config(photos))
    result = run_snakemake(workdir, "--configfile", name, check=False)
    assert result.returncode != 0
    assert f"ERROR: Pillow cannot read {photos}/dogs/broken.jpg as an image (UnidentifiedImageError" in result.stderr
    assert "Traceback" not in result.stderr
    leftovers = [p.name for p in (workdir / "results").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    assert stores.exists() and (workdir / "results" / "timings.csv").exists()

    skipping = write_config(workdir, folder_run_config(photos, skip_unreadable=True))
    run_snakemake(workdir, SOURCE, "--configfile", skipping)
    info = json.loads((workdir / SOURCE).read_text())
    assert info["count"] == 31 and info["origin"]["skipped_files"] == ["dogs/broken.jpg"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: None, "does not exist; set dataset.path to a folder with one subfolder of images per class"),
        (lambda root: root.mkdir(), "is empty; put the images in it as a folder with one subfolder"),
        (lambda root: save(photo(8, 8, 0), root / "loose.png"), "has no class subfolders, only files (such as"),
    ],
    ids=["missing", "empty", "no_class_folders"],
)
def test_a_bad_folder_stops_before_any_job(tmp_path, make, message):
    workdir = copy_workflow(tmp_path / "wf")
    root = tmp_path / "photos"
    make(root)
    result = run_snakemake(workdir, "-n", "--configfile", write_config(workdir, folder_run_config(root)), check=False)
    assert result.returncode != 0
    assert f"ERROR: invalid configuration:\n  config key 'dataset.path': {root} " in result.stderr
    assert message in result.stderr and "Job stats" not in result.stderr + result.stdout
    assert not (workdir / "results").exists()
    shutil.rmtree(workdir)
