"""The workflow runs through SLURM with profiles/slurm and gives the same results as a local run.

Needs a SLURM cluster that answers on this machine (`bash .ci/slurm-up` starts a one-node one on
localhost) and snakemake-executor-plugin-slurm in the running Python; otherwise every test here is
skipped, saying why. On a multi-node cluster, run pytest with `--basetemp` on a filesystem that the
compute nodes share (pytest's default temporary directory is under /tmp).

The workflow under test is the project's own, on a small synthetic configuration.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import copy_workflow
from imgbench.fsutil import read_csv

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "profiles" / "slurm" / "config.yaml"
RUN_TIMEOUT = 600  # seconds for one whole snakemake run
CLUSTER_WAIT = 10  # seconds to wait for `sinfo` to show a usable node
# Directories that are snakemake's or the test's own, never workflow outputs.
NOT_OUTPUTS = (".snakemake", ".cache", "profiles", "workflow", "config", "envs", "tests", ".ci")

# A small benchmark: every rule of the real workflow runs, on the synthetic archive.
SMALL_CONFIG = """\
methods: [npy, disk]
cutoffs: [10]
min_repeats: 1
max_repeats: 1
min_sample_seconds: 0
warmup_runs: 1
dataset:
  source: synthetic
  count: 200
"""


@dataclass
class Workflow:
    """What the tests need to know about the workflow that `workflow_dir` laid out."""

    args: list[str] = field(default_factory=list)  # extra snakemake arguments (targets, --config ...)
    volatile: tuple[str, ...] = ()  # globs of outputs whose contents differ from run to run (timings)


def workflow_dir(dest: Path) -> Workflow:
    """Lay the project's workflow out in `dest` (a fresh directory), as a user's clone would be."""
    copy_workflow(dest)
    (dest / "test.yaml").write_text(SMALL_CONFIG)
    # Timings, and everything drawn or summarised from them, differ between any two runs.
    volatile = ("results/raw/*", "results/timings.csv", "results/summary.*", "results/scaling.csv",
                "results/figures/*", "results/environment.*", "results/logs/*")  # fmt: skip
    return Workflow(args=["--configfile", "test.yaml"], volatile=volatile)


# ----------------------------------------------------------------------------- helpers


def cluster_problem() -> str | None:
    """None if a SLURM cluster answers with a usable node, else why not."""
    if shutil.which("sinfo") is None:
        return "sinfo is not on PATH (no SLURM here; start one with: bash .ci/slurm-up)"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return f"snakemake-executor-plugin-slurm is not installed for {sys.executable}"
    deadline = time.monotonic() + CLUSTER_WAIT
    answer = ""
    while True:
        try:
            proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=5)
            answer = (proc.stdout + proc.stderr).strip()
            states = {s.strip().rstrip("*~#!%$@^-") for s in proc.stdout.split()}
            if proc.returncode == 0 and states & {"idle", "mixed"}:
                return None
        except subprocess.TimeoutExpired:
            answer = "sinfo timed out"
        if time.monotonic() > deadline:
            return f"SLURM cluster has no idle/mixed node within {CLUSTER_WAIT} s (sinfo: {answer or 'no output'!r})"
        time.sleep(1)


def snakemake_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE_")}  # no user profile
    env["XDG_CACHE_HOME"] = str(workdir / ".cache")
    return env


def run_snakemake(workdir: Path, args: list[str], log: Path) -> None:
    """Run snakemake in `workdir`; fail the test with the log's tail if it fails or hangs."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=snakemake_env(workdir), stdout=out, stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # snakemake cancels its SLURM jobs on Ctrl-C
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            pytest.fail(f"snakemake did not finish within {RUN_TIMEOUT} s: {cmd}\n{tail(log)}")
    if proc.returncode != 0:
        pytest.fail(f"snakemake exited {proc.returncode} in {workdir}: {cmd}\n{tail(log)}")


def tail(log: Path, lines: int = 60) -> str:
    text = log.read_text(errors="replace").splitlines()
    return f"--- last {lines} lines of {log} ---\n" + "\n".join(text[-lines:])


def files_under(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] not in NOT_OUTPUTS
    }


@dataclass
class Run:
    workdir: Path
    log: Path
    outputs: set[str]  # files the run made, relative to workdir


def do_run(base: Path, name: str, args: list[str], profile: bool) -> tuple[Run, Workflow]:
    workdir = base / name
    wf = workflow_dir(workdir)
    if profile:
        shutil.copy(PROFILE, workdir / "profiles" / "slurm" / "config.yaml")
    before = files_under(workdir)
    log = base / f"{name}.log"
    run_snakemake(workdir, [*args, *wf.args], log)
    return Run(workdir, log, files_under(workdir) - before), wf


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Run, Run, Workflow]:
    """The same workflow run once through SLURM (profiles/slurm) and once locally."""
    problem = cluster_problem()
    if problem:
        pytest.skip(problem)
    base = tmp_path_factory.mktemp("slurm_vs_local")
    slurm, wf = do_run(
        base,
        "slurm",
        [
            "--workflow-profile",
            "profiles/slurm",
            # keep every job's SLURM log, so the test can see the jobs. The first status check comes 8 s
            # after a submission, by when the test's jobs have ended (4-6 s here); a job still running then
            # is checked 10 s later than the first check (the plugin's back-off): at 2 s, every job took 14 s.
            "--slurm-keep-successful-logs",
            "--slurm-init-seconds-before-status-checks",
            "8",
        ],
        profile=True,
    )
    local, _ = do_run(base, "local", ["--cores", "1"], profile=False)
    return slurm, local, wf


# ----------------------------------------------------------------------------- tests


def test_same_outputs_as_local_run(runs):
    slurm, local, wf = runs
    assert slurm.outputs, f"the SLURM run made no files\n{tail(slurm.log)}"
    assert slurm.outputs == local.outputs, (
        f"only in the SLURM run: {sorted(slurm.outputs - local.outputs)}; "
        f"only in the local run: {sorted(local.outputs - slurm.outputs)}"
    )
    compared = [p for p in sorted(slurm.outputs) if not any(fnmatch.fnmatch(p, g) for g in wf.volatile)]
    assert compared, "every output is volatile: nothing was compared"
    differ = [p for p in compared if (slurm.workdir / p).read_bytes() != (local.workdir / p).read_bytes()]
    assert not differ, f"contents differ between the SLURM and the local run: {differ}"


def test_jobs_went_through_slurm(runs):
    slurm, local, _ = runs
    text = slurm.log.read_text(errors="replace")
    job_ids = re.findall(r"submitted with SLURM jobid (\d+)", text)
    assert job_ids, f"no 'submitted with SLURM jobid' in the snakemake log\n{tail(slurm.log)}"
    assert len(set(job_ids)) == len(job_ids), f"SLURM job ids repeat: {job_ids}"
    # one SLURM log per job, named <jobid>.log, with the rule's snakemake output in it
    logdir = slurm.workdir / ".snakemake" / "slurm_logs"
    assert logdir.is_dir(), f"{logdir} is missing"
    logs = {p.stem: p for p in logdir.rglob("*.log")}
    missing = [j for j in job_ids if j not in logs]
    assert not missing, f"no SLURM log for jobs {missing} in {logdir}: {sorted(logs)}"
    for j in job_ids:
        assert "Finished jobid" in logs[j].read_text(errors="replace"), f"job {j} did not finish: {logs[j]}"
    # SLURM itself knows the jobs as completed (while it keeps them: MinJobAge)
    proc = subprocess.run(
        ["squeue", "--states=all", "-h", "-o", "%i|%T", "-j", ",".join(job_ids)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    states = dict(line.split("|", 1) for line in proc.stdout.split())
    not_done = {j: s for j, s in states.items() if s != "COMPLETED"}
    assert not not_done, f"SLURM jobs not COMPLETED: {not_done}"
    # and the local run used no SLURM at all
    assert "SLURM jobid" not in local.log.read_text(errors="replace")
    assert not (local.workdir / ".snakemake" / "slurm_logs").exists()


def test_timing_jobs_do_not_overlap(runs):
    """Each timed job's rows span [first start, last end] (CLOCK_MONOTONIC of the one node)."""
    slurm, _, _ = runs
    spans = []
    for path in sorted((slurm.workdir / "results" / "raw").rglob("*.csv")):
        if "usage" not in path.parts:
            rows = read_csv(path)
            spans.append((min(int(r["started_ns"]) for r in rows), max(int(r["ended_ns"]) for r in rows)))
    assert len(spans) >= 2, f"need two timing jobs to check for overlap, found {spans}"
    for (s1, e1), (s2, e2) in itertools.pairwise(sorted(spans)):
        assert e1 <= s2, f"timing jobs overlapped: [{s1}, {e1}] and [{s2}, {e2}]"
