"""A run killed part-way leaves nothing that a later step would trust, and resuming completes it."""

import os
import signal
import time

import numpy as np
import pytest
import yaml

from conftest import copy_workflow, run_snakemake, start_snakemake
from imgbench import cifar_archive, methods
from imgbench.repeats import leftover_repeats
from imgbench.source import Source

pytestmark = pytest.mark.slow


def test_killed_run_resumes_to_complete_results(tmp_path, archive):
    workdir = copy_workflow(tmp_path / "wf")
    (workdir / "resources").mkdir()
    (workdir / "resources" / "cifar-10-python.tar.gz").write_bytes(archive.read_bytes())
    dataset_config = {"source": "download", "url": "http://127.0.0.1:9/x", "md5": cifar_archive.md5_of(archive)}
    config = {
        "methods": ["disk"],
        "cutoffs": [10, 4000],
        "min_repeats": 2,
        "max_repeats": 2,
        "min_sample_seconds": 0,
        "cache": ["warm"],
        "dataset": dataset_config,
    }
    (workdir / "test.yaml").write_text(yaml.safe_dump(config))
    run = start_snakemake(workdir, "--configfile", "test.yaml")
    store = workdir / "results" / "stores" / "disk" / "4000"
    deadline = time.monotonic() + 300
    # Mid-store: a repeat directory of the 4,000-image store half full (the store itself appears at the end).
    while not any(p.name.startswith(".4000.") and len(os.listdir(p)) > 500 for p in leftover_repeats(store.parents[1])):
        assert run.poll() is None and time.monotonic() < deadline, "the big store job never started"
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)  # Snakemake and its job die at once, as on a power cut
    run.wait()

    assert not (workdir / "results" / "raw" / "store" / "disk" / "4000.csv").exists()
    assert not (workdir / "results" / "timings.csv").exists()

    run_snakemake(workdir, "--unlock", "--configfile", "test.yaml")
    run_snakemake(workdir, "--configfile", "test.yaml")
    rows = (workdir / "results" / "timings.csv").read_text().splitlines()
    assert sum(",store_many,4000,sequential," in row for row in rows) == 3  # warm-up + 2 repeats
    reader = methods.load("disk").reader(store)
    images, labels = reader.read(np.arange(4000))
    expected_images, expected_labels = Source(workdir / "results" / "source").take(np.arange(4000))
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
