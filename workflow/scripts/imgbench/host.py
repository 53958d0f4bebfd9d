"""CPU steal: time the hypervisor gave this machine's CPUs to other guests, from /proc/stat.

A virtual machine's CPUs are shared with other guests of its host; the time they ran someone else's work
while ours was ready is counted as steal. Every timing row and comparison round records the share of the
machine's CPU time stolen while it ran (``StealWatch``), so that a slow sample can be checked against it.
Counted in clock ticks (usually 10 ms per CPU): over a 0.1 s sample on 2 CPUs the resolution is 5%. On this
project's 2-core VM the share stolen per 30 s went from 0.1% to 28% within minutes during a default run
(2026-12-02); samples in 30 s windows of high steal were not slower against their own row's median than
those in quiet ones (docs/statistics.md), so it is recorded, not acted on.
"""

import os
import time
from pathlib import Path

PROC_STAT = Path("/proc/stat")
STEAL_FIELD = 8  # the first line: "cpu" user nice system idle iowait irq softirq steal guest guest_nice
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
# Below this much machine CPU time (in ticks) a share is too coarse to mean anything: one tick stolen in a
# 2 ms sample on 2 CPUs would read as 250% (seen as 1.0, clamped, in a smoke run). 20 ticks: 5% steps.
MIN_TICKS = 20


def steal_ticks(stat: Path = PROC_STAT) -> int | None:
    """Clock ticks stolen from all CPUs since boot; None where the kernel does not say (not Linux)."""
    try:
        with open(stat) as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if len(fields) <= STEAL_FIELD or fields[0] != "cpu":
        return None
    return int(fields[STEAL_FIELD])


class StealWatch:
    """The share of the machine's CPU time stolen since this watch was made (read twice: about 20 us each)."""

    def __init__(self, stat: Path = PROC_STAT):
        self.stat, self.ticks, self.started = stat, steal_ticks(stat), time.monotonic()

    def fraction(self) -> float | None:
        """Stolen CPU time over elapsed time times CPUs, in [0, 1]; None where steal is not known, or the
        interval is shorter than MIN_TICKS of the machine's CPU time (0.1 s on 2 CPUs)."""
        ticks = steal_ticks(self.stat)
        machine_seconds = (time.monotonic() - self.started) * (os.cpu_count() or 1)
        if ticks is None or self.ticks is None or machine_seconds * TICKS_PER_SECOND < MIN_TICKS:
            return None
        return min(max((ticks - self.ticks) / TICKS_PER_SECOND / machine_seconds, 0.0), 1.0)
