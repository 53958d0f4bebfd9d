"""Helper processes that never outlive the benchmark: own process group, killed with their parent.

Three layers, because each covers a way the parent can end that the others miss:

- ``stop_group`` on the normal path (and from ``with`` blocks on exceptions): SIGTERM to the whole group,
  a bounded wait, then SIGKILL;
- ``signals_raise_exit`` turns SIGTERM (and SIGHUP) into ``SystemExit`` while a ``with`` block is open,
  so a killed job unwinds through that block's cleanup like Ctrl+C (SIGINT) already does;
- ``PR_SET_PDEATHSIG``: the kernel sends the child SIGTERM when the parent dies, even by SIGKILL.
  It fires when the *thread* that started the child exits, so start children from a thread that lives
  as long as they do (the main thread, in the pipeline's jobs).
"""

import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: after fork only the call runs


def _die_with_parent() -> None:
    """Runs in the forked child before exec: one foreign call, no lock another thread could hold."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(
    argv: list[str], *, env: dict[str, str], cwd: Path, log_path: Path | None, pass_fds=(), stdout_pipe: bool = False
) -> subprocess.Popen:
    """Start argv in a new process group, its output appended to log_path (None: discarded).

    stdout_pipe: keep stdout a pipe to the parent (for a readiness line); stderr still goes to the log.
    """
    with open(log_path if log_path is not None else os.devnull, "ab") as log:
        return subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else log,
            stderr=log if stdout_pipe else subprocess.STDOUT,
            pass_fds=pass_fds,
            process_group=0,  # Ctrl+C in a terminal reaches only the parent, which stops the child in order
            preexec_fn=_die_with_parent,
        )


def stop_group(process: subprocess.Popen, timeout_seconds: float) -> int:
    """Terminate the child's whole process group (SIGKILL after timeout_seconds), reap it; its exit code.

    The child is reaped last: until then its process id, which is the group's id, cannot be reused, so
    the signals never reach an unrelated group.
    """
    if process.returncode is None:
        _signal_group(process.pid, signal.SIGTERM)
        if not _exited(process.pid, timeout_seconds):
            _signal_group(process.pid, signal.SIGKILL)
            _exited(process.pid, None)
        _signal_group(process.pid, signal.SIGKILL)  # whatever the child left running in its group
    return process.wait()


def _exited(pid: int, timeout_seconds: float | None) -> bool:
    """Wait until the child has exited, without reaping it; False if timeout_seconds passed first."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def process_running(pid: int) -> bool:
    """True while pid is a live process (a zombie, which only waits to be reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")  # the state field follows "(comm)"


@contextmanager
def signals_raise_exit(signums=(signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """Inside the block, the given signals raise SystemExit(128 + signal) in the main thread.

    Outside the main thread signal handlers cannot be set; there the block does nothing extra and the
    child still dies with the parent through PR_SET_PDEATHSIG.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_exit(signum, frame):
        raise SystemExit(128 + signum)

    previous = {signum: signal.signal(signum, raise_exit) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
