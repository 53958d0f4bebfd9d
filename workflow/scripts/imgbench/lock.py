"""One timed job at a time, whatever the scheduler does: an exclusive lock on one file under results/.

Snakemake's timing_slot resource keeps timed jobs apart only when the profile caps it and Snakemake stays
alive: `--workflow-profile none` drops the cap, and a job whose Snakemake was killed keeps running (it is
reparented to PID 1) while a rerun starts the same job again. Every timed job therefore holds this lock
(fcntl.flock) for as long as it measures. The kernel releases it when the holder exits, however it dies, so
a stale lock cannot exist. While held, the file names the holder, so a job that has to wait says for whom.
"""

import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path


def holder_of(path: Path) -> str:
    """What the lock file says about the process that holds the lock."""
    try:
        return Path(path).read_text().strip() or "a process that has not named itself yet"
    except OSError:
        return "an unknown process"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def _locked_file(path: Path, job: str, wait: bool):
    """Yields (acquired, note): note says whom this process waited for, and how long ('' if it did not)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        acquired, note = _try_lock(fd), ""
        if not acquired and wait:
            holder = holder_of(path)
            print(f"note: waiting for the timing lock {path}, held by {holder}", file=sys.stderr, flush=True)
            started = time.monotonic()
            fcntl.flock(fd, fcntl.LOCK_EX)
            acquired = True
            note = (
                f"note: waited {time.monotonic() - started:.1f} s for the timing lock {path}, held by {holder}: "
                "timed jobs never run at the same time"
            )
        if acquired:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"PID {os.getpid()} ({job}), since {time.strftime('%H:%M:%S')}\n".encode(), 0)
        try:
            yield acquired, note
        finally:
            if acquired:
                os.ftruncate(fd, 0)  # an idle lock names nobody
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


@contextmanager
def held(path: Path, job: str):
    """Hold the lock while the block runs, waiting for it if another process holds it. Yields the note
    saying whom it waited for ('' if it did not wait), for the job's log."""
    with _locked_file(path, job, wait=True) as (_acquired, note):
        yield note


@contextmanager
def held_if_free(path: Path, job: str):
    """Hold the lock while the block runs if no other process holds it; yields whether it does."""
    with _locked_file(path, job, wait=False) as (acquired, _note):
        yield acquired
