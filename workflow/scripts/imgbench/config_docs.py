"""config/README.md, generated from the schema, so that every key is documented once (in the schema).

Usage: PYTHONPATH=workflow/scripts python -m imgbench.config_docs config/README.md
tests/test_defaults.py checks that the file is up to date.
"""

import sys
from pathlib import Path

from imgbench import config, methods

INTRO = """# Configuration

`config/config.yaml` holds the default settings, with comments; every key below is validated by
`workflow/schemas/config.schema.yaml` before any job runs, and a bad value stops the run naming the key, the
value and what is allowed. Override keys with a file of your own (`snakemake --configfile my.yaml`): its keys
win, nested sections merge key by key. Snakemake then reruns only what the change affects.

Ready-made files: `quick.yaml` (a first run in about a minute), `synthetic.yaml` (the defaults on generated
images, offline), `imagenet-like.yaml` (10,000 generated images of 256 x 256), `all-methods.yaml` (every
method), `scale.yaml` (up to a million images).

This file is generated from the schema (`python -m imgbench.config_docs config/README.md`); edit the
schema's descriptions, not this file.
"""


def shown(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    return f"`{value}`".replace("'", "")


def allowed(rule: dict) -> str:
    """What a key accepts, from its schema rule."""
    kind = rule.get("type", "")
    items = rule.get("items", {})
    if "enum" in rule:
        return " or ".join(f"`{v}`" for v in rule["enum"])
    if kind == "array":
        inner = " / ".join(f"`{v}`" for v in items["enum"]) if "enum" in items else items.get("type", "")
        return f"list of {inner}" + (f" ≥ {items['minimum']}" if "minimum" in items else "")
    if "minimum" in rule:
        return f"{kind} ≥ {rule['minimum']}"
    return kind


def rows(properties: dict, prefix: str = "") -> list[str]:
    lines = []
    for key, rule in properties.items():
        if rule.get("type") == "object" and "properties" in rule:
            lines += rows(rule["properties"], f"{prefix}{key}.")
            continue
        description = " ".join(str(rule.get("description", "")).split())
        lines.append(f"| `{prefix}{key}` | {allowed(rule)} | {shown(rule.get('default'))} | {description} |")
    return lines


def markdown() -> str:
    schema = config.load_schema()
    table = ["| key | allowed | default | what it does |", "|---|---|---|---|", *rows(schema["properties"])]
    options = ["| method | option | default | what it does |", "|---|---|---|---|"]
    for name in methods.available():
        for option_name, option in methods.load(name).options.items():
            options.append(f"| `{name}` | `{option_name}` | {shown(option.default)} | {option.description} |")
    return "\n".join([INTRO, *table, "", "## `method_options`", "", "Each method's own options "
                      "(`method_options: {METHOD: {OPTION: VALUE}}`), declared by the method module itself:", "",
                      *options, ""])  # fmt: skip


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(markdown())
