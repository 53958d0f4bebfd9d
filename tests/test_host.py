"""CPU steal from /proc/stat: the share of the machine's CPU time its hypervisor gave to other guests."""

import os
import time

from imgbench import host


def write_stat(path, steal):
    path.write_text(f"cpu  100 0 50 900 3 0 1 {steal} 0 0\ncpu0 50 0 25 450 1 0 1 0 0 0\n")


def test_steal_is_the_eighth_count_of_the_cpu_line(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, 250)
    assert host.steal_ticks(stat) == 250
    stat.write_text("cpu  100 0 50 900\n")  # a kernel too old to count steal
    assert host.steal_ticks(stat) is None
    assert host.steal_ticks(tmp_path / "absent") is None
    here = host.steal_ticks()
    assert here is None or here >= 0


def test_the_watch_gives_the_share_of_cpu_time_stolen_since_it_was_made(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, 0)
    watch = host.StealWatch(stat)
    time.sleep(0.2)
    cpus = os.cpu_count() or 1
    write_stat(stat, int(0.1 * host.TICKS_PER_SECOND * cpus))  # 0.1 s of every CPU in at least 0.2 s
    assert 0 < watch.fraction() <= 0.5
    write_stat(stat, 10**9)
    assert watch.fraction() == 1.0  # never more than all of it
    assert host.StealWatch(stat).fraction() is None  # just made: too short to tell 0% from 100%
    assert host.StealWatch(tmp_path / "absent").fraction() is None
    real = host.StealWatch()
    time.sleep(2 * host.MIN_TICKS / (host.TICKS_PER_SECOND * cpus))  # twice the shortest it will answer for
    assert 0.0 <= real.fraction() <= 1.0
