"""Every bad input gets one clear message naming the key, the value and what is allowed."""

import re
from pathlib import Path

import pytest
import yaml

from conftest import copy_workflow, run_snakemake
from imgbench import config
from imgbench.config import ConfigError

REPO = Path(__file__).resolve().parents[1]


def defaults() -> dict:
    return config.load_file(REPO / "config" / "config.yaml")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"methods": ["disk", "tiff"]}, r"'methods\[1\]': unknown storage method 'tiff'; known methods: array"),
        ({"methods": ["files+gif"]}, r"'methods\[0\]': unknown codec 'gif' in 'files\+gif'; known codecs: jpeg75"),
        ({"methods": ["zip+png"]}, r"'methods\[0\]': unknown container 'zip' in 'zip\+png'; known containers: arr"),
        ({"cutoffs": [10, 1.5]}, r"'cutoffs\[1\]': 1.5 is not of type 'integer'"),
        ({"cutoffs": [10, "100"]}, r"'cutoffs\[1\]': '100' is not of type 'integer'"),
        ({"cutoffs": [0, 10]}, r"'cutoffs\[0\]': 0 is less than the minimum of 1"),
        ({"cutoffs": [-5]}, r"'cutoffs\[0\]': -5 is less than the minimum of 1"),
        ({"cutoffs": [10, 100, 10]}, r"'cutoffs': \[10, 100, 10\] has non-unique elements"),
        ({"cutoffs": []}, r"'cutoffs': \[\] should be non-empty"),
        ({"min_repeats": 0}, r"'min_repeats': 0 is less than the minimum of 1"),
        ({"min_repeats": 5, "max_repeats": 4}, r"'min_repeats': 5 is more than max_repeats"),
        ({"precision": 0}, r"'precision': 0 is less than or equal to the minimum of 0"),
        ({"repeats": 5}, r"config key 'repeats' is no longer used: see min_repeats, max_repeats"),
        ({"prime_memory": "yes"}, r"'prime_memory': 'yes' is not of type 'boolean'"),
        ({"cache": ["warm", "hot"]}, r"'cache\[1\]': 'hot' is not one of \['warm', 'cold'\]"),
        ({"durability": "sometimes"}, r"'durability': 'sometimes' is not one of \['none', 'fsync'\]"),
        ({"dataset": {"source": "download", "url": None, "md5": "c58f30108f718f92721af3b95e74349a"}},
         r"'dataset.url': None is not of type 'string'"),
        ({"dataset": {"source": "download", "url": "ftp://x/y", "md5": "c58f30108f718f92721af3b95e74349a"}},
         r"'dataset.url': 'ftp://x/y' does not match"),
        ({"dataset": {"source": "torrent"}}, r"'dataset.source': 'torrent' is not one of"),
        ({"method_options": {"hdf5": {"compression": "lzf"}}}, r"'method_options.hdf5': unknown option 'compression'"),
        ({"method_options": {"zo": {}}}, r"'method_options.zo': unknown storage method 'zo'; known methods: arr"),
        ({"cutoff": [10]}, r"Additional properties are not allowed \('cutoff' was unexpected\)"),
    ],
)  # fmt: skip
def test_bad_values_are_named(change, expected):
    bad = defaults()
    bad.pop("dataset") if "dataset" in change else None
    bad.update(change)
    with pytest.raises(ConfigError, match=expected):
        config.validate(bad)


def integer_keys(schema: dict, prefix=()) -> list[tuple]:
    """Every key path whose value (or whose list items) the schema declares an integer."""
    found = []
    for key, rule in schema.get("properties", {}).items():
        path = (*prefix, key)
        if rule.get("type") == "integer" or rule.get("items", {}).get("type") == "integer":
            found.append(path)
        found += integer_keys(rule, path)
    return found


def with_value(base: dict, path: tuple, value) -> dict:
    changed = yaml.safe_load(yaml.safe_dump(base))
    holder = changed
    for key in path[:-1]:
        holder = holder.setdefault(key, {})
    holder[path[-1]] = value
    return changed


INTEGER_KEYS = integer_keys(config.load_schema())


def test_every_integer_key_is_found():
    assert {("cutoffs",), ("min_repeats",), ("chunk_images",), ("patterns", "latency_reads"),
            ("dataset", "count"), ("dataset", "image_size")} <= set(INTEGER_KEYS)  # fmt: skip


@pytest.mark.parametrize("path", INTEGER_KEYS, ids=".".join)
@pytest.mark.parametrize("bad", [2.0, True], ids=["whole_float", "boolean"])
def test_integer_keys_reject_whole_floats_and_booleans(path, bad):
    """JSON Schema 2020-12 counts 2.0 as an integer; a job would then see a float (or a file named 10.0.csv)."""
    rule = config.load_schema()
    for key in path:
        rule = rule["properties"][key]
    value = [bad] if rule.get("type") == "array" else bad
    with pytest.raises(ConfigError, match=rf"'{re.escape('.'.join(path))}(\[0\])?': {bad} is not of type 'integer'"):
        config.validate(with_value(defaults(), path, value))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"cutoffs": [10.0]}, r"'cutoffs\[0\]': 10.0 is not of type 'integer'"),
        ({"min_repeats": 2.0}, r"'min_repeats': 2.0 is not of type 'integer'"),
        ({"chunk_images": 5.0}, r"'chunk_images': 5.0 is not of type 'integer'"),
        ({"min_repeats": True}, r"'min_repeats': True is not of type 'integer'"),
    ],
)
def test_named_integer_cases(change, expected):
    with pytest.raises(ConfigError, match=expected):
        config.validate(defaults() | change)


def test_snakemake_rejects_whole_floats_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    bad = {"cutoffs": [10.0], "min_repeats": 2.0, "chunk_images": 5.0, "max_repeats": True}
    (workdir / "bad.yaml").write_text(yaml.safe_dump(bad))
    result = run_snakemake(workdir, "-n", "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    for key, value in [("cutoffs[0]", 10.0), ("min_repeats", 2.0), ("chunk_images", 5.0), ("max_repeats", True)]:
        assert f"config key '{key}': {value} is not of type 'integer'" in result.stderr
    assert "Job stats" not in result.stdout + result.stderr
    assert not (workdir / "results").exists() and not (workdir / "resources").exists()


def test_messages_say_what_is_allowed():
    bad = defaults() | {"cutoffs": [0]}
    with pytest.raises(ConfigError, match=r"each a positive integer"):
        config.validate(bad)


def test_cifar10_takes_the_url_and_md5_from_the_schema_when_not_given():
    checked = config.validate({"dataset": {"source": "cifar10"}})
    assert checked["dataset"]["url"].endswith("cifar-10-python.tar.gz") and len(checked["dataset"]["md5"]) == 32


def test_default_config_is_valid_and_defaults_fill_in():
    checked = config.validate(defaults())
    assert checked["methods"] == ["disk", "lmdb", "hdf5", "npy"]
    minimal = config.validate({"dataset": {"source": "synthetic"}})
    assert minimal["cutoffs"] == [10, 100, 1000, 10000, 100000] and minimal["min_repeats"] == 3
    assert minimal["prime_memory"] is True


def test_a_replaced_key_is_named_with_what_replaced_it():
    with pytest.raises(ConfigError) as failure:
        config.validate({"dataset": {"source": "synthetic", "synthetic_batch_images": 40}})
    assert str(failure.value) == (
        "invalid configuration:\n  config key 'dataset.synthetic_batch_images' was replaced by dataset.count, the "
        "number of synthetic images (the old archive held five training batches: count: 200)"
    )


def test_download_speed_floor_has_defaults_and_a_minimum():
    checked = config.validate(defaults())
    assert checked["dataset"]["download_speed_limit"] == 1000 and checked["dataset"]["download_speed_time"] == 60
    bad = defaults()
    bad["dataset"] |= {"download_speed_limit": 0, "download_speed_time": 0}
    with pytest.raises(ConfigError, match=r"'dataset.download_speed_limit': 0 is less than the minimum of 1"):
        config.validate(bad)


def test_malformed_yaml_names_line_and_column(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("cutoffs: [10, 100\nmethods: disk]\n")
    with pytest.raises(ConfigError, match=r"config.yaml is not valid YAML at line 2, column 8"):
        config.load_file(path)


def test_snakemake_stops_before_any_job(tmp_path):
    """A bad config stops the whole run with the message; nothing is computed or written."""
    workdir = copy_workflow(tmp_path / "wf")
    (workdir / "bad.yaml").write_text(yaml.safe_dump({"cutoffs": [10, -5], "methods": ["disk", "tiff"]}))
    result = run_snakemake(workdir, "--configfile", "bad.yaml", check=False)
    assert result.returncode != 0
    assert "config key 'cutoffs[1]': -5 is less than the minimum of 1" in result.stderr
    assert "config key 'methods[1]': unknown storage method 'tiff'" in result.stderr
    assert not (workdir / "results").exists() and not (workdir / "resources").exists()


def test_snakemake_reports_malformed_config_file(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    (workdir / "config" / "config.yaml").write_text("cutoffs: [10, 100\nmethods: disk]\n")
    result = run_snakemake(workdir, "-n", check=False)
    assert result.returncode != 0
    assert "config.yaml is not valid YAML at line 2, column 8" in result.stderr


def test_patterns_run_only_at_listed_cutoffs_that_exist():
    checked = config.validate(
        defaults() | {"cutoffs": [10, 100], "patterns": {"kinds": ["random"], "cutoffs": [100, 500]}}
    )
    assert config.pattern_cutoffs(checked) == [100]
    assert config.pattern_cutoffs(config.validate(defaults() | {"patterns": {"kinds": []}})) == []


@pytest.mark.parametrize("path", sorted((REPO / "config").glob("*.yaml")), ids=lambda path: path.name)
def test_every_shipped_config_is_valid(path):
    """The configs the README and the config files' own comments tell users to run are accepted as they are."""
    checked = config.validate(config.load_file(path))
    assert checked["methods"] and checked["cutoffs"]


def test_text_from_snakemakes_config_option_becomes_the_number_the_schema_wants():
    """--config storage='{s3: {round_trip_ms: 5}}' reaches the config as text (Snakemake's YAML BaseLoader)."""
    given = {"storage": {"s3": {"round_trip_ms": "5"}}, "cutoffs": ["10", "100"], "prime_memory": "false"}
    given |= {"precision": "0.1", "seed": "1.5", "dataset": {"source": "cifar10"}}
    converted = config.numbers_from_text(given)
    assert converted["storage"] == {"s3": {"round_trip_ms": 5}} and converted["cutoffs"] == [10, 100]
    assert converted["prime_memory"] is False and converted["precision"] == 0.1
    assert converted["seed"] == "1.5" and converted["dataset"] == {"source": "cifar10"}  # left for validate
    with pytest.raises(config.ConfigError, match="'seed'"):
        config.validate(converted)
