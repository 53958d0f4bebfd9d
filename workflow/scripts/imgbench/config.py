"""Config validation: the JSON schema plus the method registry; messages name key, value and rule."""

import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, validators

from imgbench import datasets, methods
from imgbench.errors import BenchmarkError
from imgbench.objectstore import remote

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.yaml"


class ConfigError(BenchmarkError):
    pass


def _is_integer(_checker, instance) -> bool:
    # JSON Schema 2020-12 counts 10.0 as an integer; a job given 10.0 would ask for ".../10.0.csv".
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictIntegerValidator = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
)


def load_file(path: Path) -> dict:
    """The YAML config file as a dict, or a ConfigError that names the file, line and column."""
    path = Path(path)
    try:
        loaded = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{path} is not valid YAML{where}: {problem}") from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path} must hold a mapping of keys to values, not {type(loaded).__name__}")
    return loaded


def merge(base: dict, overrides: dict) -> dict:
    """base updated by overrides, nested mappings merged key by key (as Snakemake merges config files)."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def numbers_from_text(config: dict, schema: dict | None = None) -> dict:
    """Text where the schema wants a number, integer or boolean, converted in place (anything else is left
    for validate to report). Snakemake's --config reads nested values with YAML's BaseLoader, as text:
    ``--config storage='{s3: {round_trip_ms: 5}}'`` gives '5'."""
    schema = load_schema() if schema is None else schema
    for key, rule in schema.get("properties", {}).items():
        value = config.get(key)
        if isinstance(value, dict):
            numbers_from_text(value, rule)
        elif isinstance(value, list) and isinstance(rule.get("items"), dict):
            config[key] = [_scalar_from_text(item, rule["items"]) for item in value]
        elif key in config:
            config[key] = _scalar_from_text(value, rule)
    return config


def _scalar_from_text(value, rule: dict):
    if not isinstance(value, str):
        return value
    kind = rule.get("type")
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    try:
        if kind == "integer" or (kind == "number" and re.fullmatch(r"-?\d+", value)):
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        pass
    return value


def load_schema() -> dict:
    schema = yaml.safe_load(SCHEMA.read_text())
    schema["properties"]["dataset"]["properties"]["source"]["enum"] = datasets.accepted_names()
    return schema


def fill_defaults(config: dict, schema: dict) -> dict:
    """Missing keys take the schema's defaults, recursively through nested objects."""
    for key, rule in schema.get("properties", {}).items():
        if key not in config and "default" in rule:
            config[key] = _copy(rule["default"])
        if rule.get("type") == "object" and isinstance(config.get(key), dict):
            fill_defaults(config[key], rule)
    return config


def _copy(value):
    return yaml.safe_load(yaml.safe_dump(value))


def _key_path(error) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _description(schema: dict, error) -> str:
    """The description of the key the error is about, which says what is allowed."""
    rule, description = schema, ""
    for part in error.absolute_path:
        rule = rule.get("items", {}) if isinstance(part, int) else rule.get("properties", {}).get(part, {})
        description = rule.get("description", description)  # list items fall back to their list's
    return description


def _problem(schema: dict, error) -> str:
    """One line naming the key: a missing key by its own name and description, not its parent's."""
    if error.validator == "required":
        missing = re.match(r"'(.+)' is a required property", error.message)
        if missing:
            error.path.append(missing.group(1))
            allowed = _description(schema, error)
            return f"config key '{_key_path(error)}' is required here" + (f" ({allowed})" if allowed else "")
    allowed = _description(schema, error)
    return f"config key '{_key_path(error)}': {error.message}" + (f" ({allowed})" if allowed else "")


def validate(config: dict) -> dict:
    """Raise ConfigError listing every problem; return the config with defaults filled in."""
    if not isinstance(config, dict):
        raise ConfigError(f"the config must be a mapping of keys to values, got {type(config).__name__}")
    schema = load_schema()
    problems = renamed_keys(config)  # alone: the schema would add that the old keys are unexpected
    for error in (
        [] if problems else sorted(StrictIntegerValidator(schema).iter_errors(config), key=lambda e: list(e.path))
    ):
        problems.append(_problem(schema, error))
    problems += method_name_problems(config.get("methods"))
    if not problems and config.get("min_repeats", 0) > config.get("max_repeats", float("inf")):
        problems.append(f"config key 'min_repeats': {config['min_repeats']} is more than max_repeats")
    if not problems:
        fill_defaults(config, schema)
        problems += option_problems(config["method_options"])
        problems += datasets.config_problems(config["dataset"])
        problems += remote.config_problems(config["storage"]["s3"])
        if compare_cutoffs(config) and config["compare"]["reference"] not in config["methods"]:
            problems.append(
                f"config key 'compare.reference': {config['compare']['reference']!r} is not one of methods "
                f"{config['methods']}: add it to methods, choose another reference, or set compare.cutoffs: []"
            )
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config


def method_name_problems(names) -> list[str]:
    """Every name in methods must be a registered method or a container+codec pair (the schema cannot
    list them: they come from the registries)."""
    if not isinstance(names, list):
        return []  # the schema reports it
    found = [(index, methods.name_problem(name)) for index, name in enumerate(names) if isinstance(name, str)]
    return [f"config key 'methods[{index}]': {problem}" for index, problem in found if problem]


def renamed_keys(config: dict) -> list[str]:
    """Keys an earlier version accepted, with what replaced them (the schema alone would only say unexpected)."""
    removed = [
        f"config key '{key}' is no longer used: see {REMOVED_KEYS[key]}" for key in config if key in REMOVED_KEYS
    ]
    if removed:
        return removed
    dataset = config.get("dataset")
    if isinstance(dataset, dict) and "synthetic_batch_images" in dataset:
        value = dataset["synthetic_batch_images"]
        count = 5 * value if isinstance(value, int) else "5 x that value"
        return [
            "config key 'dataset.synthetic_batch_images' was replaced by dataset.count, the number of synthetic "
            f"images (the old archive held five training batches: count: {count})"
        ]
    return []


def option_problems(method_options: dict) -> list[str]:
    """Options must name a known method and be options it declares, with allowed values (methods/base.py)."""
    problems = []
    for method, options in method_options.items():
        key = f"config key 'method_options.{method}'"
        if (problem := methods.name_problem(method)) is not None:
            problems.append(f"{key}: {problem}")
            continue
        problems += [f"{key}: {problem}" for problem in methods.load(method).option_problems(options)]
    return problems


def compare_cutoffs(config: dict) -> list[int]:
    """The cutoffs at which the paired comparisons run: those of compare.cutoffs that are also cutoffs."""
    if not config["compare"]["operations"]:
        return []
    return [n for n in config["compare"]["cutoffs"] if n in config["cutoffs"]]


def pattern_cutoffs(config: dict) -> list[int]:
    """The cutoffs at which the extra read patterns run: those of patterns.cutoffs that are also cutoffs."""
    if not config["patterns"]["kinds"]:
        return []
    return [n for n in config["patterns"]["cutoffs"] if n in config["cutoffs"]]


SAMPLING_KEYS = ["precision", "min_repeats", "max_repeats", "max_seconds", "min_sample_seconds"]
REMOVED_KEYS = {  # keys of earlier versions, and what replaced them
    "repeats": "min_repeats, max_repeats, max_seconds and precision (measurements now repeat until precise)",
    "repeats_large": "max_seconds (long measurements stop at their time budget)",
    "large_cutoff": "max_seconds (long measurements stop at their time budget)",
}
