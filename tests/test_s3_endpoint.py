"""storage.s3.endpoint: URL, against a real S3 service the test starts itself (a SeaweedFS playing "an existing
service": its URL is the endpoint, its credentials reach the pipeline only through AWS_* variables, as a
user's would). The s3 methods store and read there without starting a server, every object under the
store's own root below the prefix; deleting a store deletes its objects; bad input stops with one message."""

import json
import os
import re
import shutil
import socket
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import make_job, needs_weed, running_s3_server
from imgbench import config, methods, reading, storing, usage
from imgbench.errors import BenchmarkError
from imgbench.fsutil import remove_trees
from imgbench.measurement import Measurement
from imgbench.objectstore.remote import Remote, check
from imgbench.rows import Operation

PREFIX = "team/alice"


def problems(**s3) -> str:
    """The message config.validate gives for these storage.s3 keys."""
    with pytest.raises(config.ConfigError) as error:
        config.validate({"dataset": {"source": "synthetic"}, "storage": {"s3": s3}})
    return str(error.value)


def test_the_config_refuses_a_bad_endpoint_bucket_prefix_or_region_naming_the_key():
    assert ("config key 'storage.s3.endpoint': 's3.example.org' is neither 'local' nor the http:// or https:// URL"
            in problems(endpoint="s3.example.org"))  # fmt: skip
    with_password = problems(endpoint="https://alice:hunter2@s3.example.org")
    assert "holds a user or password" in with_password and "hunter2" not in with_password
    assert "has no valid port" in problems(endpoint="http://10.0.0.5:99999")
    assert "address alone" in problems(endpoint="http://10.0.0.5:9000/imgbench")
    assert "config key 'storage.s3.bucket': '' is not a valid S3 bucket name" in problems(bucket="")
    assert "'Team_Bucket' is not a valid S3 bucket name" in problems(bucket="Team_Bucket")
    for prefix in ("", "/team", "team/", "team//alice"):
        assert f"config key 'storage.s3.prefix': {prefix!r} must be names separated by '/'" in problems(prefix=prefix)
    assert "config key 'storage.s3.round_trip_ms': a round trip needs an http:// endpoint" in problems(
        endpoint="https://s3.example.org", round_trip_ms=5
    )
    assert "config key 'storage.s3.region'" in problems(region="")
    both = problems(endpoint="ftp://s3.example.org", bucket="x")
    assert "storage.s3.endpoint" in both and "storage.s3.bucket" in both  # every problem at once


def test_a_valid_existing_service_reaches_the_jobs_settings():
    checked = config.validate({"dataset": {"source": "synthetic"},
                               "storage": {"s3": {"endpoint": "http://10.0.0.5:9000", "prefix": PREFIX}}})  # fmt: skip
    assert Remote.from_config(checked["storage"]["s3"]) == Remote("http://10.0.0.5:9000", "imgbench", PREFIX, None)
    assert Remote.from_config(config.validate({"dataset": {"source": "synthetic"}})["storage"]["s3"]) is None


# -- against a real service ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The "existing service": a SeaweedFS this test starts, with a bucket the pipeline must create."""
    with running_s3_server(tmp_path_factory, "service") as server:
        yield server


@pytest.fixture
def admin(service):
    """A client of the test's own, to look into the service behind the pipeline's back."""
    from imgbench.objectstore.client import make_client

    client = make_client(service.endpoint)
    yield client
    client.close()


@pytest.fixture
def remote(service, monkeypatch, tmp_path) -> Remote:
    """storage.s3 pointing at the service; its credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, no
    other AWS setting of the machine's in the way."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no wait for an instance role that is not there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", service.credentials.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", service.credentials.secret_access_key)
    return Remote(service.endpoint.url, "bench", PREFIX)


def keys(admin, prefix: str) -> list[str]:
    from imgbench.objectstore.bucket import keys as listed

    return listed(admin, "bench", prefix)


def manifest(store: Path) -> dict:
    return json.loads((store / "s3.json").read_text())


def weed_servers_below(root: Path) -> list[str]:
    """Command lines of weed processes whose data directory is below root (the pipeline's own servers)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(arg.startswith(f"-dir={root}") for arg in argv):
            found.append(" ".join(argv))
    return found


def store_into(method_name: str, path: Path, source, remote: Remote, n_images: int, close: bool = True):
    method = methods.load(method_name)
    path.mkdir(parents=True, exist_ok=True)
    with method.serving(path, 0.0, remote):
        writer = method.writer(path, n_images, source.image_shape, False, **method.with_defaults({}))
        for start, images, labels in source.chunks(n_images, 8):
            writer.write(start, images, labels)
        if close:
            writer.close()


@needs_weed
def test_s3_raw_stores_and_reads_in_the_service_under_its_prefix_and_its_objects_go_with_the_store(
    source, remote, admin, tmp_path
):
    job = make_job("s3+raw", source, s3_remote=remote, min_repeats=1, max_repeats=1, warmup_runs=0,
                   caches=["warm", "cold"])  # fmt: skip
    probe = tmp_path / "probe"
    probe.mkdir()
    with job.serving(probe) as server:
        assert server is None and weed_servers_below(tmp_path) == []  # nothing was started
    store = tmp_path / "stores" / "s3+raw" / "30"
    storing.measure_store(job, Operation.STORE_MANY, 30, store)
    assert sorted(os.listdir(store)) == ["s3.json"]  # no server's data directory, no log
    recorded = manifest(store)
    root = recorded["root"]
    assert re.fullmatch(r"team/alice/s3\+raw-[0-9a-f]{12}/\.30\.run-\d+\.repeat-0/", root), root
    assert recorded["endpoint"] == remote.endpoint and recorded["bucket"] == "bench"
    assert recorded["prefix"] == root + "images" and recorded["bucket_objects"] == 31  # images and labels
    stored = keys(admin, PREFIX + "/")
    assert len(stored) == 31 and all(key.startswith(root + "images/") for key in stored)
    assert json.dumps(recorded).find(os.environ["AWS_SECRET_ACCESS_KEY"]) == -1
    used = usage.disk_usage(store)  # the bucket's objects and bytes, and s3.json
    assert used["n_files"] == 1 + 31
    assert used["bytes_apparent"] == (store / "s3.json").stat().st_size + recorded["bucket_bytes"]
    rows = reading.measure_reads(job, Operation.READ_MANY, 30, store, [reading.Pattern()])  # verifies every image
    assert {row.cache for row in rows} == {"warm", "cold"}
    remove_trees([store])
    assert keys(admin, PREFIX + "/") == [] and not store.exists()


@needs_weed
def test_s3tar_raw_round_trips_through_the_round_trip_proxy_to_the_service(source, remote, admin, tmp_path):
    from imgbench.objectstore import service

    job = make_job("s3tar+raw", source, s3_remote=remote, round_trip_ms=20, options={"shard_images": 16,
                   "concurrency": 2})  # fmt: skip
    store = tmp_path / "store"
    store.mkdir()
    storing.store_once(job, store, 40, job.settings.options, Measurement())
    root = manifest(store)["root"]
    assert keys(admin, root) == [f"{root}shards/index.npy"] + [f"{root}shards/shard-{k:06d}.tar" for k in range(3)]
    with job.serving(store):
        assert service.served(store).endpoint.url != remote.endpoint  # the proxy's
        reader = job.method.reader(store)
        try:
            indices = np.array([3, 20, 39, 0])
            started = time.perf_counter()
            images, labels = reader.read(indices)
            assert time.perf_counter() - started >= 0.020
        finally:
            reader.close()
    expected_images, expected_labels = source.take(indices)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    remove_trees([store])
    assert keys(admin, root) == []


def test_https_through_the_round_trip_proxy_is_refused_before_anything_starts(tmp_path):
    secure = Remote("https://s3.example.org", "bench", PREFIX)
    with pytest.raises(ValueError, match="needs an http:// endpoint"):
        with methods.load("s3+raw").serving(tmp_path, 5.0, secure):
            pass
    assert list(tmp_path.iterdir()) == []


@needs_weed
def test_a_rerun_deletes_what_earlier_runs_of_the_store_left_and_nothing_else(source, remote, admin, tmp_path):
    stores = tmp_path / "s3+raw"
    earlier, other, rerun = (stores / f".{name}.repeat-0" for name in ("10.run-111", "100.run-111", "10.run-222"))
    store_into("s3+raw", earlier, source, remote, 10)
    store_into("s3+raw", other, source, remote, 10)
    roots = {path: manifest(path)["root"] for path in (earlier, other)}
    shutil.rmtree(earlier)  # as Snakemake deletes a directory() output before it reruns the job
    store_into("s3+raw", rerun, source, remote, 10)
    assert keys(admin, roots[earlier]) == []
    assert len(keys(admin, roots[other])) == 11 and len(keys(admin, manifest(rerun)["root"])) == 11
    remove_trees([stores])
    assert keys(admin, PREFIX + "/") == []


@needs_weed
def test_a_store_killed_before_its_close_is_no_store_and_deleting_it_deletes_its_objects(
    source, remote, admin, tmp_path
):
    store = tmp_path / "killed"
    store_into("s3+raw", store, source, remote, 10, close=False)
    root = manifest(store)["root"]  # written before the first object
    assert len(keys(admin, root)) == 10
    method = methods.load("s3+raw")
    with method.serving(store, 0.0, remote), pytest.raises(ValueError, match="holds no finished store"):
        method.reader(store)
    remove_trees([store])
    assert keys(admin, root) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@needs_weed
def test_a_refused_port_an_unknown_host_or_wrong_credentials_give_one_message_before_any_timing(
    source, remote, monkeypatch, tmp_path
):
    port = free_port()
    for url in (f"http://127.0.0.1:{port}", "http://no-such-host.invalid:9000"):
        with pytest.raises(BenchmarkError, match=rf"S3 service at {re.escape(url)} \(storage.s3.endpoint\)") as error:
            check(Remote(url, "bench", PREFIX))
        assert "Could not connect" in str(error.value)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-42")
    job = make_job("s3+raw", source, s3_remote=remote)
    measurement = Measurement()
    with pytest.raises(BenchmarkError, match="refused the credentials") as error:
        storing.store_once(job, tmp_path, 10, job.settings.options, measurement)
    assert "not-the-secret-42" not in str(error.value) and remote.endpoint in str(error.value)
    assert measurement.seconds == 0 and list(tmp_path.iterdir()) == []
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(BenchmarkError, match="no credentials were found: set AWS_ACCESS_KEY_ID"):
        check(remote)


@needs_weed
@pytest.mark.slow
def test_the_workflow_stores_in_the_service_and_a_rerun_replaces_the_stores_objects(remote, admin, tmp_path):
    """Every s3 rule against the service; then Snakemake reruns the store job, deleting its directory itself
    first: the rerun deletes the objects the old store left, and the disk usage row counts the bucket's."""
    from conftest import copy_workflow, run_snakemake
    from imgbench.fsutil import read_csv

    workdir = copy_workflow(tmp_path / "wf")
    run_config = {
        "methods": ["s3+raw"], "cutoffs": [10], "min_repeats": 1, "max_repeats": 1, "warmup_runs": 0,
        "min_sample_seconds": 0, "cache": ["warm"], "patterns": {"kinds": []}, "compare": {"cutoffs": []},
        "dataset": {"source": "synthetic", "image_size": [32, 32], "count": 20},
        "storage": {"s3": {"endpoint": remote.endpoint, "bucket": remote.bucket, "prefix": remote.prefix}},
    }  # fmt: skip
    (workdir / "test.yaml").write_text(json.dumps(run_config))
    run_snakemake(workdir, "--cores", "1", "--configfile", "test.yaml")
    stores = workdir / "results" / "stores" / "s3+raw"
    assert sorted(os.listdir(stores / "10")) == [".snakemake_timestamp", "s3.json"]  # no server's files
    assert weed_servers_below(workdir) == []
    old = manifest(stores / "10")["root"]
    assert len(keys(admin, old)) == 11 and len(keys(admin, manifest(stores / "single")["root"])) == 2
    row = read_csv(workdir / "results" / "raw" / "usage" / "s3+raw" / "10.csv")[0]
    assert int(row["n_files"]) == 1 + 11 and int(row["bytes_apparent"]) > 10 * 32 * 32 * 3
    run_snakemake(workdir, "--cores", "1", "--configfile", "test.yaml", "--forcerun", "store")
    new, single = manifest(stores / "10")["root"], manifest(stores / "single")["root"]
    assert new != old and keys(admin, old) == [] and len(keys(admin, new)) == 11
    assert {key.split("/")[3] for key in keys(admin, PREFIX + "/")} == {new.split("/")[3], single.split("/")[3]}
