"""Give the kernel host-backed free memory just before a timed operation (README, "VM effects").

On a VM with free page reporting (virtio-balloon; this machine's kernel has page_reporting_order=11),
memory the guest frees goes back to the host after about a second, and the next touch of each page
costs a host fault. Measured here: a 300 MB np.save took 0.79-0.91 s when the memory it needed had
been freed 4 s earlier, and 0.08-0.16 s right after a child process had touched 450 MB and exited.
Without this, which of the two a timed store or cold read gets depends on timing, not on the method.

prime() forks a child that fills nbytes of anonymous memory and exits; the kernel frees those pages
and the timed operation that follows at once reuses them. The child's memory is not the job's, so it
is kept out of peak_rss_bytes (harness.peak_rss_bytes counts this process and its read workers only).
What did not work here: an in-memory memfd or an anonymous mmap (the save after them stayed at
0.8-1.1 s), and a scratch file written and deleted, which helped np.save but made two of four PNG
stores of 100,000 files take 71-76 s (unprimed: 31-35 s). On bare metal priming only costs a memory fill.
"""

import os
import time

import numpy as np

PRIME_SLACK = 64 << 20  # chunk buffers and encoder scratch on top of the data itself


def kib_field(path: str, name: str) -> int:
    """A "Name:   123 kB" field of a /proc file, in bytes (0 when absent)."""
    with open(path) as handle:
        for line in handle:
            if line.startswith(f"{name}:"):
                return int(line.split()[1]) * 1024
    return 0


def available_bytes() -> int:
    return kib_field("/proc/meminfo", "MemAvailable")


def prime(nbytes: int) -> int:
    """Touch and free about nbytes (+ slack, at most a quarter of available memory); return bytes primed."""
    size = max(min(nbytes + PRIME_SLACK, available_bytes() // 4), 0)
    pid = os.fork()
    if pid == 0:  # child: fill the memory, then leave without running any of the parent's cleanup
        try:
            np.ones(size, dtype=np.uint8)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return size


_peak_private = [0]
_last_sample = [0.0]
SAMPLE_INTERVAL = 0.005  # s; reading /proc/self/status takes about 40 us, and batch-1 reads call this per image


def private_rss_bytes() -> int:
    """This process's resident anonymous memory (RssAnon): what it holds, unlike pages of mapped files."""
    return kib_field("/proc/self/status", "RssAnon")


def note_private_peak(force: bool = False) -> int:
    """Sample RssAnon (between chunks, outside the timer) and return the highest value seen in this job.

    Samples at most every SAMPLE_INTERVAL unless forced (at the end of each operation).

    ru_maxrss also counts the pages of files a process maps: an LMDB reader maps its whole database,
    so its ru_maxrss grows with the store although the kernel can drop those pages at any time.
    """
    now = time.monotonic()
    if force or now - _last_sample[0] >= SAMPLE_INTERVAL:
        _last_sample[0] = now
        _peak_private[0] = max(_peak_private[0], private_rss_bytes())
    return _peak_private[0]
