"""Where did a run's time go? Each job's wall time against the time inside its timers.

Usage: python benchmarks/overhead.py WORKDIR [--wall SECONDS] [--top N]

WORKDIR is where snakemake ran (it holds .snakemake/ and results/); use it on a fresh run, since
Snakemake's metadata keeps the last job of every output. A job's wall time is Snakemake's own record
(.snakemake/metadata: start and end of the job). Its timed time is the sum of `seconds` times `loops` over
every row of its raw timings CSV (the rounds CSV of a compare job), warm-ups included. The rest is outside
the timers: interpreter start and imports, building input chunks, deleting superseded repeats, os.sync,
memory priming, cache eviction, read-back verification, and the jobs that time nothing (prepare_source,
aggregate, figures).
--wall is the run's wall time as measured by `time`; without it the run is counted from the creation
of Snakemake's log (after Snakemake has started up) to the last job's end.
"""

import argparse
import csv
import json
from base64 import urlsafe_b64decode
from datetime import datetime
from pathlib import Path


def jobs_of(workdir: Path) -> dict:
    """(rule, job_hash) -> {start, end, outputs} from Snakemake's per-output metadata."""
    jobs = {}
    for record in (workdir / ".snakemake" / "metadata").iterdir():
        meta = json.loads(record.read_text())
        if meta.get("starttime") is None or meta.get("endtime") is None:
            continue
        job = jobs.setdefault((meta["rule"], meta["job_hash"]), {"outputs": []})
        job.update(rule=meta["rule"], start=meta["starttime"], end=meta["endtime"])
        job["outputs"].append(urlsafe_b64decode(record.name).decode())
    return jobs


def timed_seconds(workdir: Path, outputs: list[str]) -> float:
    """Seconds inside the timers, from the job's raw CSV (results/raw/{store,read,single,compare}/...): a
    row's seconds are per operation, and it timed loops of them."""
    total = 0.0
    for output in outputs:
        parts = Path(output).parts
        if "raw" in parts and parts[parts.index("raw") + 1] in ("store", "read", "single", "compare"):
            with open(workdir / output, newline="") as handle:
                total += sum(float(row["seconds"]) * int(row["loops"]) for row in csv.DictReader(handle))
    return total


def log_started(workdir: Path) -> float | None:
    """When the newest Snakemake log was opened: its name is the local start time, to the microsecond."""
    logs = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    if not logs:
        return None
    return datetime.strptime(logs[-1].name.split(".snakemake")[0], "%Y-%m-%dT%H%M%S.%f").timestamp()


def label(job: dict) -> str:
    """The job's shortest output path, which names its method and cutoff."""
    return min(job["outputs"], key=len)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--wall", type=float, help="the run's wall time in seconds, measured with `time`")
    parser.add_argument("--top", type=int, default=15, help="how many jobs to list, most outside time first")
    args = parser.parse_args()
    jobs = list(jobs_of(args.workdir).values())
    for job in jobs:
        job["wall"] = job["end"] - job["start"]
        job["timed"] = timed_seconds(args.workdir, job["outputs"])
        job["outside"] = job["wall"] - job["timed"]
    first, last = min(job["start"] for job in jobs), max(job["end"] for job in jobs)
    wall = args.wall if args.wall else last - min(log_started(args.workdir) or first, first)
    in_jobs = sum(job["wall"] for job in jobs)
    timed = sum(job["timed"] for job in jobs)
    print(f"{'rule':10} {'job (shortest output)':44} {'wall s':>8} {'timed s':>8} {'outside s':>9}")
    for job in sorted(jobs, key=lambda job: -job["outside"])[: args.top]:
        print(f"{job['rule']:10} {label(job):44} {job['wall']:8.1f} {job['timed']:8.1f} {job['outside']:9.1f}")
    outside = wall - timed
    print(f"\n{len(jobs)} jobs. wall {wall:.1f} s: inside timers {timed:.1f} s, outside {outside:.1f} s "
          f"({outside / wall:.1%}).")  # fmt: skip
    print(f"outside: in jobs {in_jobs - timed:.1f} s, between jobs {last - first - in_jobs:.1f} s, "
          f"before the first job and after the last {wall - (last - first):.1f} s.")  # fmt: skip


if __name__ == "__main__":
    main()
