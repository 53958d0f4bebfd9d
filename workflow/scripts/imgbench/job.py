"""Glue for the Snakemake scripts: log to the job's log file, and turn expected errors into one message."""

import sys
from contextlib import contextmanager

from imgbench.errors import BenchmarkError


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
