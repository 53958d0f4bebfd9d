"""The headline summary (results/summary.md) and the two HTML pages the Snakemake report embeds.

The headline is taken at the largest cutoff, sequential pattern: store-many, read-many warm and read-many
cold, one table each, the fastest method (lowest median) marked. The same tables open the HTML summary
page, followed by every row of summary.csv; the machine page shows environment.json and the config.
"""

import html
import json
from dataclasses import dataclass

import yaml

from imgbench import IMAGE_BYTES
from imgbench.fsutil import read_csv, write_text_atomic
from imgbench.stats import NOISY_CV, SUMMARY_COLUMNS

HEADLINE = [("store_many", "", "Store many"), ("read_many", "warm", "Read many, warm page cache"),
            ("read_many", "cold", "Read many, cold page cache")]  # fmt: skip
COLUMNS = ["method", "median (s)", "µs / image", "MB/s", "× npy", "noisy (cv)"]
DISK_COLUMNS = ["allocated / raw", "apparent / raw"]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]


def number(value, digits: int = 4) -> str:
    if value in ("", None):
        return "–"
    value = float(value)
    return f"{value:.{digits}g}" if abs(value) < 10**digits else f"{value:,.0f}"


def ratio(value) -> str:
    return "–" if value in ("", None) else f"{float(value):.2f}"


def disk_ratios(used: dict | None) -> list[str]:
    """Allocated and apparent bytes of the store over its raw pixel bytes."""
    if not used:
        return ["–", "–"]
    raw = int(used["raw_bytes"])
    return [ratio(int(used["bytes_allocated"]) / raw), ratio(int(used["bytes_apparent"]) / raw)]


def largest_cutoff(summary: list[dict]) -> int:
    return max(int(row["n_images"]) for row in summary if row["operation"].endswith("_many"))


def headline_tables(summary: list[dict], usage: list[dict]) -> list[Table]:
    """One table per headline operation at the largest cutoff; the lowest median is marked fastest."""
    n = largest_cutoff(summary)
    disk = {row["method"]: row for row in usage if int(row["n_images"]) == n}
    tables = []
    for operation, cache, title in HEADLINE:
        rows = [r for r in summary if (r["operation"], r["cache"], r["pattern"]) == (operation, cache, "sequential")]
        rows = sorted((r for r in rows if int(r["n_images"]) == n), key=lambda r: float(r["median"]))
        if not rows:
            continue
        store = operation == "store_many"
        lines = []
        for rank, row in enumerate(rows):
            cv = float(row["cv"])
            line = [
                row["method"] + (" (fastest)" if rank == 0 else ""),
                number(row["median"]),
                number(row["us_per_image"], 3),
                number(row["mb_per_s"]),
                ratio(row["ratio_to_npy"]),
                f"{'yes' if row['noisy'] == '1' else 'no'} ({cv:.1%})",
            ]
            if store:
                line += disk_ratios(disk.get(row["method"]))
            lines.append(line)
        tables.append(Table(f"{title}, {n:,} images", COLUMNS + (DISK_COLUMNS if store else []), lines))
    return tables


def split_table(summary: list[dict]) -> list[Table]:
    """Store-many time split into encoding alone (pattern encode_only) and the rest (container and I/O)."""
    n = largest_cutoff(summary)
    at_n = {
        (r["method"], r["pattern"]): r for r in summary if r["operation"] == "store_many" and int(r["n_images"]) == n
    }
    lines = []
    for (method, pattern), encoding in sorted(at_n.items()):
        store = at_n.get((method, "sequential"))
        if pattern != "encode_only" or store is None:
            continue
        total, encode = float(store["median"]), float(encoding["median"])
        lines.append([method, number(total), number(encode), f"{encode / total:.0%}", number(total - encode)])
    columns = ["method", "store (s)", "encoding alone (s)", "encoding share", "rest: container and I/O (s)"]
    return [Table(f"Store many, encoding vs the rest, {n:,} images", columns, lines)] if lines else []


def gib(n_bytes) -> str:
    return f"{int(n_bytes) / 2**30:.1f} GiB"


def machine_line(environment: dict) -> str:
    fs = environment.get("filesystem") or {}
    where = f"{fs.get('type', '?')} ({fs.get('device', '?')} at {fs.get('mount_point', '?')})"
    return (
        f"Machine: {environment['cpu_model']}, {environment['cpu_cores']} cores, "
        f"{gib(environment['memory_bytes'])} memory, filesystem {where}; {environment.get('os_name', '')}, "
        f"Python {environment['python']}; machine_id {environment['machine_id']}, "
        f"commit {environment.get('git_commit', 'unknown')}."
    )


def timing_line(summary: list[dict], environment: dict) -> str:
    """Repeats and durability as measured (from the summary rows), warm-up runs from the recorded config."""
    n = largest_cutoff(summary)
    at_n = [row for row in summary if int(row["n_images"]) == n]
    repeats = "/".join(sorted({row["n_repeats"] for row in at_n}, key=int))
    durability = "/".join(sorted({row["durability"] for row in summary}))
    warmup = environment.get("config", {}).get("warmup_runs", "?")
    return (
        f"Timing: {repeats} timed repeats per measurement at {n:,} images (plus {warmup} warm-up run(s), "
        f"discarded); durability {durability}; values are medians; noisy = cv > {NOISY_CV:.0%}; "
        f"MB/s counts raw pixel bytes ({IMAGE_BYTES} per image); × npy = median / npy's median."
    )


def markdown_table(table: Table) -> str:
    lines = [f"### {table.title}", "", "| " + " | ".join(table.columns) + " |",
             "|" + "---|" * len(table.columns)]  # fmt: skip
    lines += ["| " + " | ".join(row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def markdown(summary, usage, environment) -> str:
    parts = ["# Image storage benchmark: summary", "", machine_line(environment), "",
             timing_line(summary, environment), ""]  # fmt: skip
    parts += [markdown_table(table) for table in headline_tables(summary, usage) + split_table(summary)]
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


def summary_page(summary, usage, environment) -> str:
    intro = f"<p>{html.escape(machine_line(environment))}</p><p>{html.escape(timing_line(summary, environment))}</p>"
    every = Table(
        "Every group of summary.csv", SUMMARY_COLUMNS,
        [[row[c] if c in ("method", "operation", "pattern", "cache", "durability") else number(row[c])
          for c in SUMMARY_COLUMNS] for row in summary],
    )  # fmt: skip
    tables = "".join(html_table(t) for t in [*headline_tables(summary, usage), *split_table(summary), every])
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


def write_summary(summary_csv, usage_csv, environment_json, out_markdown, out_summary_html, out_environment_html):
    summary, usage = read_csv(summary_csv), read_csv(usage_csv)
    with open(environment_json) as handle:
        environment = json.load(handle)
    write_text_atomic(out_markdown, markdown(summary, usage, environment))
    write_text_atomic(out_summary_html, summary_page(summary, usage, environment))
    write_text_atomic(out_environment_html, environment_page(environment))
