"""Defaults live in one place, the schema: config/config.yaml shows the same values, and config/README.md is
generated from the schema."""

from pathlib import Path

from imgbench import config, config_docs

REPO = Path(__file__).resolve().parents[1]


def flat(mapping: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_config_yaml_shows_exactly_the_schemas_defaults():
    """Every key config.yaml sets has the schema's default, and every key with a default is in config.yaml, set
    or (for keys of one dataset only) in a comment."""
    text = (REPO / "config" / "config.yaml").read_text()
    shown = flat(config.load_file(REPO / "config" / "config.yaml"))
    defaults = flat(config.validate({}))
    assert {key: defaults.get(key) for key in shown} == shown
    unset = [key for key in defaults if key not in shown and f"# {key.rsplit('.', 1)[-1]}:" not in text]
    assert unset == [], "keys with a schema default that config/config.yaml does not show"


def test_config_readme_is_generated_from_the_schema():
    assert (REPO / "config" / "README.md").read_text() == config_docs.markdown(), (
        "config/README.md is stale: PYTHONPATH=workflow/scripts python -m imgbench.config_docs config/README.md"
    )


def test_every_schema_key_has_a_description():
    def walk(properties: dict, prefix: str = ""):
        for key, rule in properties.items():
            assert rule.get("description"), f"{prefix}{key} has no description"
            walk(rule.get("properties", {}), f"{prefix}{key}.")

    walk(config.load_schema()["properties"])
