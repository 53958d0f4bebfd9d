"""Memory around a timed operation: priming (and when it is worth it), and the operation's own peak memory.

Priming (docs/measuring.md explains it in full). On a VM with free page reporting, memory the guest frees
goes back to the host after about a second and the next touch of each page costs a host fault, so whether
a short store or cold read finds fresh memory depends on what the machine did a second before, not on the
method. A ``Primer``'s helper process fills about the memory the operation will touch and frees it; the
operation, started at once, reuses those pages. Page cache freed just before counts: the previous repeat's
evicted files, a cold read's own eviction (``Primer.prime_rest``). Priming is done only where it helps
(``worth_priming``): operations that need at least PRIME_MIN_BYTES, at the warm-up and then while the
previous repeat took under PRIME_BELOW_SECONDS; of a sample's loops, only the first and those that follow
a pause (``prime_due``). The helper's memory is not the job's peak.

Peaks. A row's peak memory is its own measurement's (``PeakMemory``): the resident high-water mark is reset
when the measurement starts (``/proc/self/clear_refs``), and private memory (RssAnon) is sampled between
the timed pieces from that moment on.
"""

import resource
import subprocess
import sys
import time
import weakref

from imgbench.child import module_command

PRIME_SLACK = 64 << 20  # chunk buffers and encoder scratch on top of the data itself
PRIME_BELOW_SECONDS = 2.0  # freed memory goes back to the host after 1-2 s: longer operations gain nothing
# Below this much fresh memory, priming's fork costs more than it saves: after it the job's pages are
# copy-on-write, which added 0.1-0.25 ms to a 0.4-0.9 ms single-image store (A/B of 4 x 9 repeats).
PRIME_MIN_BYTES = 16 << 20
RECENT_SECONDS = 0.5  # memory freed this recently has not gone back to the host (that takes 1-2 s)
SAMPLE_INTERVAL = 0.005  # s; reading /proc/self/status takes about 40 us, and batch-1 reads sample per image


def kib_field(path: str, name: str) -> int:
    """A "Name:   123 kB" field of a /proc file, in bytes (0 when absent)."""
    with open(path) as handle:
        for line in handle:
            if line.startswith(f"{name}:"):
                return int(line.split()[1]) * 1024
    return 0


def available_bytes() -> int:
    return kib_field("/proc/meminfo", "MemAvailable")


class Primer:
    """Fills and frees memory just before a timed operation, in a helper process started once (primer.py)
    and kept until close() or the end of its job.

    Not a child forked at each prime, as before: after a fork, every page the job then writes costs a
    copy-on-write fault, and those landed in the timers. In an alternated A/B (benchmarks/prime_loops.py,
    10,000 images, warm), npy's first-image read took 0.947 ms with a fork before each loop against
    0.115 ms without priming; its sequential read 4.1 against 2.4 ms.
    """

    def __init__(self):
        self._process: subprocess.Popen | None = None
        self._stop = None  # weakref.finalize that ends the helper, once started
        self.peak_bytes = 0  # the helper's resident peak so far (what priming touched, outside the job)

    def prime(self, nbytes: int) -> int:
        """Touch and free about nbytes (+ slack, at most a quarter of available memory); return bytes primed."""
        size = max(min(nbytes + PRIME_SLACK, available_bytes() // 4), 0)
        try:
            answer = self._ask(size)
        except BrokenPipeError:
            answer = []
        if answer[:1] != ["ok"]:  # the helper died (killed from outside, out of memory): one more, new one
            print(f"note: the memory primer's helper was gone ({answer or 'no answer'}); starting a new one",
                  file=sys.stderr)  # fmt: skip
            self.close()
            answer = self._ask(size)
        if answer[:1] != ["ok"]:
            raise RuntimeError(f"the memory primer (python -m imgbench.primer) failed: {answer or 'no answer'}")
        self.peak_bytes = int(answer[1])
        return size

    def _ask(self, size: int) -> list[str]:
        """Have the helper (started if need be) fill and free size bytes; its answer's words."""
        if self._process is None:
            argv, env = module_command("imgbench.primer")
            self._process = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self._stop = weakref.finalize(self, stop_helper, self._process)
        self._process.stdin.write(f"{size}\n")
        self._process.stdin.flush()
        return self._process.stdout.readline().split()

    def prime_rest(self, need_bytes: int, released_bytes: int) -> None:
        """Prime what page cache freed just before (released_bytes, host-backed) does not already cover."""
        if need_bytes - released_bytes >= PRIME_MIN_BYTES:
            self.prime(need_bytes - released_bytes)

    def close(self) -> None:
        if self._stop is not None:
            self._stop()
        self._process = self._stop = None


def stop_helper(process: subprocess.Popen) -> None:
    """End a Primer's helper: end of input makes it leave (one already gone is only reaped)."""
    try:
        process.stdin.close()
    except BrokenPipeError:
        pass
    process.wait()
    process.stdout.close()


def worth_priming(enabled: bool, previous_seconds: float | None, need_bytes: int) -> bool:
    """Prime only where it helps: operations that need at least PRIME_MIN_BYTES of fresh memory, at the
    first repeat (the warm-up), and later when the same operation's previous repeat took under
    PRIME_BELOW_SECONDS. Measured: priming before a 33 s PNG store made it 42-75 s (the host reclaiming the
    primed memory while 100,000 files were created), while 0.1 s stores went from up to 0.9 s to 0.08-0.16 s.
    """
    short = previous_seconds is None or previous_seconds < PRIME_BELOW_SECONDS
    return enabled and need_bytes >= PRIME_MIN_BYTES and short


def prime_due(freed_at: float | None) -> bool:
    """Within one sample's (or turn's) loops: prime before the first (freed_at None) and before a later one
    only if the previous loop ended at least RECENT_SECONDS ago (time.perf_counter()): until then the memory
    it freed is still the guest's. Priming 30 MB before each of the 4,387 loops of lmdb's warm first-image
    read at 10,000 took most of its job's 59 s of priming."""
    return freed_at is None or time.perf_counter() - freed_at >= RECENT_SECONDS


def read_need(cold: bool, store_bytes: int, chunk_bytes: int) -> int:
    """Fresh memory a read touches: its chunk buffers, and when cold the store's pages in the page cache."""
    return chunk_bytes + (store_bytes if cold else 0)


def private_rss_bytes() -> int:
    """This process's resident anonymous memory (RssAnon): what it holds, unlike pages of mapped files."""
    return kib_field("/proc/self/status", "RssAnon")


def reset_resident_peak() -> bool:
    """Reset this process's resident high-water mark (VmHWM) to its current RSS (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def resident_peak_bytes() -> int:
    """The resident high-water mark since the last reset (VmHWM), or ru_maxrss where /proc lacks it."""
    return kib_field("/proc/self/status", "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class PeakMemory:
    """The peak memory of one measurement, from its start.

    resident: VmHWM after a reset at the start (where the kernel refuses the reset, the process's peak so
    far); it counts pages of files the process maps, e.g. an LMDB reader's database, and the peaks reported
    by parallel read workers (``add_worker``). private: RssAnon, sampled by ``sample()`` between the timed
    pieces at most every SAMPLE_INTERVAL, and once more at the end: what the process itself holds.
    """

    def __init__(self):
        self.reset_worked = reset_resident_peak()
        self.worker_peak = 0
        self.private_peak = private_rss_bytes()
        self._last_sample = time.monotonic()

    def sample(self) -> None:
        now = time.monotonic()
        if now - self._last_sample >= SAMPLE_INTERVAL:
            self._last_sample = now
            self.private_peak = max(self.private_peak, private_rss_bytes())

    def add_worker(self, resident_bytes: int) -> None:
        self.worker_peak = max(self.worker_peak, resident_bytes)

    def result(self) -> tuple[int, int]:
        """(resident peak, private peak) in bytes."""
        self.private_peak = max(self.private_peak, private_rss_bytes())
        return max(resident_peak_bytes(), self.worker_peak), self.private_peak
