"""Glue for the Snakemake scripts: log to the job's log file, turn expected errors into one message, and
set up a timed job (its lock, its log, its measuring context)."""

import sys
from contextlib import contextmanager
from pathlib import Path

from imgbench import environment, lock, methods
from imgbench.errors import BenchmarkError
from imgbench.measurement import Job
from imgbench.settings import Settings
from imgbench.source import Source


class Tee:
    """Writes to the terminal's stderr and the job's log at once (progress bars stay visible)."""

    def __init__(self, terminal, log):
        self.terminal, self.log = terminal, log

    def write(self, text):
        self.terminal.write(text)
        self.log.write(text)
        return len(text)

    def flush(self):
        self.terminal.flush()
        self.log.flush()

    def isatty(self):
        return self.terminal.isatty()


@contextmanager
def logged(snakemake):
    """Run a script body with output copied to the rule's log; a BenchmarkError exits with its message."""
    with open(snakemake.log[0], "w") as log:
        terminal_out, terminal_err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = Tee(terminal_out, log), Tee(terminal_err, log)
        try:
            yield
        except BenchmarkError as error:
            print(f"ERROR: {error}", file=sys.stderr)
            sys.stderr.flush()
            sys.stdout, sys.stderr = terminal_out, terminal_err
            sys.exit(1)
        finally:
            sys.stdout, sys.stderr = terminal_out, terminal_err


@contextmanager
def timed_job(snakemake, description: str):
    """A timed job's body: holding the timing lock (taken before the log is opened, so that a job that
    waits never writes into the log of the job it waits for), logged, with its Job; the log's last line
    says where the time outside the timers went."""
    with lock.held(snakemake.params.timing_lock, description) as waited, logged(snakemake):
        if waited:
            print(waited)
        name = snakemake.wildcards.method
        method = methods.load(name)
        params = snakemake.params.settings
        params = params | {"options": method.with_defaults(params.get("options", {}))}
        job = Job(name, method, Source(Path(snakemake.input.images).parent),
                  Settings.from_params(params, environment.machine_id()))  # fmt: skip
        if job.settings.s3_remote is not None:  # an existing S3 service that does not answer fails before any timing
            from imgbench.objectstore.remote import check

            check(job.settings.s3_remote)
        try:
            yield job
        finally:
            job.primer.close()
        print(job.overhead.summary())
