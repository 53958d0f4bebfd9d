"""Glue for the job scripts: arguments, logging to the job's log file, and expected errors as one message."""

import argparse
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


def arguments(description: str, *names: str) -> argparse.Namespace:
    """Required --name value options, for the timing jobs that run as `python -m` (rules/benchmark.smk)."""
    parser = argparse.ArgumentParser(description=description)
    for name in names:
        parser.add_argument(f"--{name}", required=True)
    return parser.parse_args()


@contextmanager
def logged(log_path: str):
    """Run a script body with output copied to the job's log; a BenchmarkError exits with its message."""
    with open(log_path, "w") as log:
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
