# Config validation, wildcard constraints and the input functions that turn config into file lists.
import dataclasses
import re
import sys
from pathlib import Path

# No __pycache__ from this process in the source tree (jobs' own imports may still write one: setting
# PYTHONDONTWRITEBYTECODE for them would need an envvars declaration that users must then provide).
sys.dont_write_bytecode = True

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from imgbench import config as imgbench_config
from imgbench import datasets as imgbench_datasets
from imgbench import methods as imgbench_methods
from imgbench.errors import BenchmarkError
from imgbench import repeats as imgbench_repeats
from imgbench import lock as imgbench_lock
from imgbench.objectstore import remote as imgbench_remote
from imgbench.space import check_free_space, on_this_disk, source_plan

# The default config file is read here rather than with `configfile:`, so that a YAML mistake is
# reported with its line and column; --configfile/--config values (already in `config`) win over it.
try:
    loaded = imgbench_config.load_file(
        Path(workflow.basedir) / "config" / "config.yaml"
    )
    merged = imgbench_config.validate(
        imgbench_config.numbers_from_text(imgbench_config.merge(loaded, config))
    )
    config.clear()
    config.update(merged)
    if config["patterns"]["kinds"] and not imgbench_config.pattern_cutoffs(config):
        print(
            f"note: no extra read patterns are measured: none of patterns.cutoffs "
            f"{config['patterns']['cutoffs']} is in cutoffs {config['cutoffs']}",
            file=sys.stderr,
        )
except BenchmarkError as error:
    sys.exit(
        f"ERROR: {error}\nEdit config/config.yaml (or the --configfile you passed) and run again."
    )

RESULTS = "results"
LOGS = f"{RESULTS}/logs"
TIMING_LOCK = f"{RESULTS}/.timing.lock"
SCRIPTS = str(Path(workflow.basedir) / "workflow" / "scripts")


wildcard_constraints:
    method="|".join(re.escape(name) for name in imgbench_methods.available()),
    n_images=r"\d+",


DOWNLOADED_ARCHIVE = "resources/cifar-10-python.tar.gz"
# The files a dataset may ask prepare_source for (imgbench.datasets.base.RULE_INPUTS), by name.
DATASET_INPUT_PATHS = {"archive": DOWNLOADED_ARCHIVE}
# What determines the source (for a folder, a fingerprint of its files): prepare_source's params.
DATASET_PARAMS = imgbench_datasets.rerun_params(config["dataset"], config["seed"])


def dataset_inputs(wildcards):
    names = imgbench_datasets.rule_inputs(config["dataset"])
    return {name: DATASET_INPUT_PATHS[name] for name in names}


def settings_for(n_images, caches=None):
    """Harness settings for one job (imgbench.settings.Settings); only what that job uses, so that
    unrelated edits do not rerun it."""
    return {
        "durability": config["durability"],
        **{key: config[key] for key in imgbench_config.SAMPLING_KEYS},
        "warmup_runs": config["warmup_runs"],
        "chunk_images": config["chunk_images"],
        "chunk_bytes": config["chunk_bytes"],
        "caches": config["cache"] if caches is None else caches,
        "seed": config["seed"],
        "prime_memory": config["prime_memory"],
    }


def method_options(method):
    """The method's writer options as the config gives them (the job fills in the declared defaults: loading
    every method here would import h5py, lmdb and Pillow before every run)."""
    return config["method_options"].get(method, {})


def network_settings(*method_names):
    """storage.s3.round_trip_ms (Settings.round_trip_ms) and, for an existing S3 service,
    its endpoint, bucket, prefix and region (Settings.s3_remote), when one of the methods
    has a service (an S3 server): only their jobs rerun when these change (and with a
    local server, not when the bucket or prefix do)."""
    if not any(imgbench_methods.load(name).service for name in method_names):
        return {}
    s3 = config["storage"]["s3"]
    remote = imgbench_remote.Remote.from_config(s3)
    return {"round_trip_ms": s3["round_trip_ms"]} | (
        {"s3_remote": dataclasses.asdict(remote)} if remote else {}
    )


def concurrency_levels(method, operation, n_images):
    """patterns.concurrency where the concurrency pattern runs (patterns.kinds, at patterns.cutoffs) and
    the method varies its requests in flight for operation (Method.concurrency); else none.
    """
    extra = config["patterns"]
    measured_here = n_images in imgbench_config.pattern_cutoffs(config)
    if "concurrency" not in extra["kinds"] or not measured_here:
        return []
    if not imgbench_methods.load(method).varies_concurrency(operation):
        return []
    return list(extra["concurrency"])


def store_concurrency(method, n_images):
    """The store's levels other than its own concurrency option (its store_many rows measure that one)."""
    levels = concurrency_levels(method, "store", n_images)
    if not levels:
        return {}
    options = imgbench_methods.load(method).with_defaults(method_options(method))
    return {"store_concurrency": [c for c in levels if c != options["concurrency"]]}


def store_settings(wildcards):
    """Stores do not depend on the read cache modes: an edit of `cache` must not rerun them."""
    return (
        settings_for(int(wildcards.n_images), caches=[])
        | {"options": method_options(wildcards.method)}
        | network_settings(wildcards.method)
        | store_concurrency(wildcards.method, int(wildcards.n_images))
    )


def read_settings(wildcards):
    return settings_for(int(wildcards.n_images)) | network_settings(wildcards.method)


def single_settings(wildcards):
    return (
        settings_for(1)
        | {"options": method_options(wildcards.method)}
        | network_settings(wildcards.method)
    )


def runtime_minutes(wildcards):
    """A generous wall-clock limit for a cluster scheduler: a job holds up to 20 measurements of at most
    max_seconds each, and min_repeats (plus warm-ups) of passes that take up to about 2 ms per image
    (PNG, the slowest method, takes about 1 ms per image to store)."""
    n_images = int(wildcards.get("n_images", 1))
    passes = 4 * (config["warmup_runs"] + config["min_repeats"])
    return 10 + int(20 * config["max_seconds"] + passes * n_images * 0.002) // 60


def read_patterns(wildcards):
    """Sequential and the time to the first image always; the extra patterns only at patterns.cutoffs."""
    patterns = [{"name": "sequential"}, {"name": "first_image"}]
    extra = config["patterns"]
    if int(wildcards.n_images) not in imgbench_config.pattern_cutoffs(config):
        return patterns
    for kind in extra["kinds"]:
        if kind == "batch":
            patterns += [
                {"name": "batch", "batch_size": b} for b in extra["batch_sizes"]
            ]
        elif kind == "parallel":
            patterns += [{"name": "parallel", "workers": k} for k in extra["workers"]]
        elif kind == "concurrency":
            n_images = int(wildcards.n_images)
            levels = concurrency_levels(wildcards.method, "read", n_images)
            patterns += [{"name": "concurrency", "concurrency": c} for c in levels]
        elif kind == "single_latency":
            patterns.append({"name": "single_latency", "reads": extra["latency_reads"]})
        else:
            patterns.append({"name": kind})
    return patterns


def raw_timings():
    files = [
        f"{RESULTS}/raw/{step}/{method}/{n}.csv"
        for method in config["methods"]
        for n in config["cutoffs"]
        for step in ("store", "read")
    ]
    return files + [
        f"{RESULTS}/raw/single/{method}.csv" for method in config["methods"]
    ]


def raw_comparisons():
    return [
        f"{RESULTS}/raw/compare/{n}.csv"
        for n in imgbench_config.compare_cutoffs(config)
    ]


def compare_stores(wildcards):
    return [f"{RESULTS}/stores/{m}/{wildcards.n_images}" for m in config["methods"]]


def compare_settings(wildcards):
    """Every method's settings but its options (in compare_options), and the comparison's own."""
    return settings_for(int(wildcards.n_images)) | network_settings(*config["methods"])


def raw_usage():
    return [
        f"{RESULTS}/raw/usage/{m}/{n}.csv"
        for m in config["methods"]
        for n in config["cutoffs"]
    ]


def final_outputs():
    return [
        f"{RESULTS}/timings.csv",
        f"{RESULTS}/comparisons.csv",
        f"{RESULTS}/summary.csv",
        f"{RESULTS}/scaling.csv",
        f"{RESULTS}/disk_usage.csv",
        f"{RESULTS}/environment.json",
        *rules.summary_markdown.output,  # summary.md, summary.html, environment.html
        *rules.figures.output,  # one PNG per name in plots.FIGURES
    ]


def before_run():
    """Before the first job of a real run (not -n, --lint or --report): clear what killed or failed store
    jobs left behind (only when no timed job holds the lock: one orphaned by a killed Snakemake may still
    be writing), then check that the missing stores fit on the disk."""
    passes = (
        config["warmup_runs"] + config["min_repeats"] + 1
    )  # the repeats a store job keeps at most
    try:  # deleting a leftover store in an existing S3 service may fail too
        with imgbench_lock.held_if_free(TIMING_LOCK, "snakemake start") as free:
            if free:
                imgbench_repeats.remove_leftover_repeats(Path(RESULTS) / "stores")
        source = source_plan(config["dataset"], Path(DOWNLOADED_ARCHIVE))
        local_methods = on_this_disk(
            config["methods"], config["storage"]["s3"]["endpoint"]
        )
        check_free_space(
            Path(RESULTS), local_methods, config["cutoffs"], passes, source
        )
    except BenchmarkError as error:
        sys.exit(f"ERROR: {error}")


def print_summary():
    summary = Path(RESULTS) / "summary.md"
    if summary.exists():
        print(summary.read_text())
