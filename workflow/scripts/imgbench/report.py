"""The headline summary (results/summary.md) and the two HTML pages the Snakemake report embeds.

Both open with tables.headline_tables (the same tables the README shows); the HTML summary page then lists
every row of summary.csv, and the machine page shows environment.json and the config.
"""

import html
import json

import pandas as pd
import yaml

from imgbench import stats
from imgbench.fsutil import write_text_atomic
from imgbench.sentences import comparison_sentences, floor_sentences
from imgbench.tables import (
    Table,
    headline_tables,
    machine_line,
    number,
    timing_line,
)


def markdown_table(table: Table) -> str:
    lines = [f"### {table.title}", "", "| " + " | ".join(table.columns) + " |",
             "|" + "---|" * len(table.columns)]  # fmt: skip
    lines += ["| " + " | ".join(row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def markdown(summary, usage, environment, comparisons) -> str:
    parts = ["# Image storage benchmark: summary", ""]
    sentences = comparison_sentences(comparisons)
    if sentences:
        parts += ["## Head to head (paired, interleaved rounds)", "", *(f"- {line}" for line in sentences), ""]
    parts += [machine_line(environment), "", timing_line(summary, environment), ""]
    parts += ["## Against the floor", "", *(f"- {line}" for line in floor_sentences(summary)), ""]
    parts += [markdown_table(table) for table in headline_tables(summary, usage)]
    return "\n".join(parts)


# ------------------------------------------------------------------ HTML pages for the Snakemake report

STYLE = """body{font-family:sans-serif;margin:1em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#eee;position:sticky;top:0}
td:first-child,th:first-child,.record td,.record th{text-align:left}
pre{background:#f6f6f6;padding:1em;font-size:13px}"""


def html_table(table: Table, css_class: str = "") -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>\n" for row in table.rows)
    return f"<h2>{html.escape(table.title)}</h2>\n<table class='{css_class}'><tr>{head}</tr>\n{body}</table>\n"


def html_page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head>\n<body>\n<h1>{html.escape(title)}</h1>\n{body}</body></html>\n"
    )


def summary_page(summary, usage, environment, comparisons) -> str:
    sentences = "".join(f"<li>{html.escape(line)}</li>" for line in comparison_sentences(comparisons))
    intro = f"<h2>Head to head (paired, interleaved rounds)</h2><ul>{sentences}</ul>" if sentences else ""
    intro += f"<p>{html.escape(machine_line(environment))}</p><p>{html.escape(timing_line(summary, environment))}</p>"
    floor = "".join(f"<li>{html.escape(line)}</li>" for line in floor_sentences(summary))
    intro += f"<h2>Against the floor</h2><ul>{floor}</ul>"
    every = Table(
        "Every group of summary.csv", stats.SUMMARY_COLUMNS,
        [[row[c] if c in stats.TEXT else number(row[c]) for c in stats.SUMMARY_COLUMNS]
         for row in stats.records(summary)],
    )  # fmt: skip
    tables = "".join(html_table(t) for t in [*headline_tables(summary, usage), every])
    return html_page("Image storage benchmark: summary", intro + tables)


def flatten(record: dict, prefix: str = "") -> list[list[str]]:
    rows = []
    for key, value in record.items():
        if isinstance(value, dict):
            rows += flatten(value, f"{prefix}{key}.")
        else:
            rows.append([f"{prefix}{key}", str(value)])
    return rows


def environment_page(environment: dict) -> str:
    machine = {key: value for key, value in environment.items() if key != "config"}
    table = Table("Machine record (environment.json)", ["key", "value"], flatten(machine))
    config = yaml.safe_dump(environment.get("config", {}), sort_keys=False)
    body = html_table(table, "record")
    body += f"<h2>Config used for the run</h2>\n<pre>{html.escape(config)}</pre>\n"
    return html_page("Machine and config", body)


def write_summary(inputs, out_markdown, out_summary_html, out_environment_html):
    """inputs: the paths of summary.csv, disk_usage.csv, environment.json and comparisons.csv (by those names)."""
    summary, usage = stats.load_summary(inputs["summary"]), pd.read_csv(inputs["usage"])
    comparisons = pd.read_csv(inputs["comparisons"], keep_default_na=False, na_values={"ratio": [""]})
    with open(inputs["environment"]) as handle:
        environment = json.load(handle)
    write_text_atomic(out_markdown, markdown(summary, usage, environment, comparisons))
    write_text_atomic(out_summary_html, summary_page(summary, usage, environment, comparisons))
    write_text_atomic(out_environment_html, environment_page(environment))
