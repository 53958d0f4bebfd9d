"""Give the kernel host-backed free memory just before a timed operation (README, "VM effects").

On a VM with free page reporting (virtio-balloon; this machine's kernel has page_reporting_order=11),
memory the guest frees goes back to the host after about a second, and the next touch of each page
costs a host fault. Measured here: a 300 MB np.save took 0.7-1.1 s when the memory it needed had
been freed 4 s earlier, and 0.05-0.10 s right after 450 MB were written to a scratch file that was
then deleted. Without this, which of the two a timed store or cold read gets depends on timing, not
on the storage method.

prime() writes nbytes to a scratch file and deletes it before writeback: the kernel faults the pages
in and frees them, and the timed operation that follows at once reuses them. Page cache, unlike an
anonymous buffer, does not count in the job's peak RSS. (An in-memory memfd or an anonymous mmap did
not help here: the np.save after them stayed at 0.8-1.1 s.) On bare metal it only costs a copy.
"""

import os
from pathlib import Path

PRIME_BLOCK = 8 << 20
PRIME_SLACK = 64 << 20  # chunk buffers and encoder scratch on top of the data itself


def available_bytes() -> int:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def prime(nbytes: int, scratch_dir: Path) -> int:
    """Touch and free about nbytes (+ slack, at most a quarter of available memory); return bytes primed."""
    size = max(min(nbytes + PRIME_SLACK, available_bytes() // 4), 0)
    block = b"\x01" * PRIME_BLOCK
    scratch = Path(scratch_dir) / f".prime-{os.getpid()}"
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        written = 0
        while written < size:
            written += os.write(fd, block[: min(PRIME_BLOCK, size - written)])
    finally:
        os.close(fd)
        os.unlink(scratch)  # before writeback, so its dirty pages are dropped without disk I/O
    return size


_peak_private = [0]


def private_rss_bytes() -> int:
    """This process's resident anonymous memory (RssAnon): what it holds, unlike pages of mapped files."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def note_private_peak() -> int:
    """Sample RssAnon (between chunks, outside the timer) and return the highest value seen in this job.

    ru_maxrss also counts the pages of files a process maps: an LMDB reader maps its whole database,
    so its ru_maxrss grows with the store although the kernel can drop those pages at any time.
    """
    _peak_private[0] = max(_peak_private[0], private_rss_bytes())
    return _peak_private[0]
