"""Memory priming happens outside the job's own memory; each row's peaks are its own measurement's."""

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import make_job
from imgbench import cache, memory, reading, storing
from imgbench.child import module_command
from imgbench.measurement import Measurement
from imgbench.memory import PRIME_BELOW_SECONDS, PRIME_MIN_BYTES, worth_priming


def test_prime_touches_the_asked_size_in_a_helper_process_and_not_in_this_one():
    primer = memory.Primer()
    memory.reset_resident_peak()
    before = memory.resident_peak_bytes()
    primed = primer.prime(256 << 20)
    assert primed == (256 << 20) + memory.PRIME_SLACK
    assert memory.resident_peak_bytes() - before < 64 << 20  # the helper's fill is not this job's memory
    assert primer.peak_bytes >= 256 << 20  # but it happened
    helper = primer._process
    primer.prime(32 << 20)
    assert primer._process is helper and helper.poll() is None  # one helper for all of a job's primes
    primer.close()
    assert helper.poll() == 0  # and it leaves when the job closes it


def test_a_primer_whose_helper_was_killed_starts_a_new_one(capsys):
    primer = memory.Primer()
    primer.prime(16 << 20)
    first = primer._process
    first.kill()
    first.wait()
    assert primer.prime(16 << 20) == (16 << 20) + memory.PRIME_SLACK
    assert primer._process is not first and primer._process.poll() is None
    assert "helper was gone" in capsys.readouterr().err
    primer.close()


def test_prime_is_capped_by_available_memory(monkeypatch):
    """At most a quarter of what was available; compared with the total, which other processes cannot move.
    Available memory is read as usual but seen as 1 GiB at most: a quarter of a development machine's (21 GB
    free) took 12-18 s to fill, 256 MiB takes well under one."""
    seen, available = [], memory.available_bytes

    def at_most_1_gib() -> int:
        seen.append(min(available(), 1 << 30))
        return seen[-1]

    monkeypatch.setattr(memory, "available_bytes", at_most_1_gib)
    primer = memory.Primer()
    primed = primer.prime(1 << 50)
    primer.close()
    assert 0 < primed <= os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4
    assert primed == seen[-1] // 4


def test_private_memory_counts_what_the_job_holds():
    before = memory.private_rss_bytes()
    held = np.ones(64 << 20, dtype=np.uint8)
    assert memory.private_rss_bytes() - before >= 60 << 20
    del held


def test_a_measurements_peak_is_its_own_not_the_jobs_so_far():
    """A big allocation before a measurement must not show in that measurement's peaks."""
    baseline = memory.private_rss_bytes()  # what the libraries earlier tests imported hold (200 MiB or more)
    earlier = np.ones(256 << 20, dtype=np.uint8)
    del earlier
    measurement = Measurement()
    held = np.ones(16 << 20, dtype=np.uint8)
    resident, private = measurement.memory.result()
    assert private >= memory.private_rss_bytes() - (1 << 20) and private < baseline + (128 << 20)
    if not measurement.memory.reset_worked:
        pytest.skip("this kernel refuses /proc/self/clear_refs: the resident peak is the process's so far")
    # resident counts the pages of mapped libraries too (over 200 MiB once pyarrow and lance are loaded),
    # so it is bounded by the process's resident size now, not by its private memory
    assert resident < memory.kib_field("/proc/self/status", "VmRSS") + (128 << 20)  # not the 256 MiB of before
    del held


def test_private_peak_is_sampled_at_most_every_interval(monkeypatch):
    """Between two samples closer than SAMPLE_INTERVAL the peak is not re-read; the end result is."""
    monkeypatch.setattr(memory, "SAMPLE_INTERVAL", 3600.0)
    peak = memory.PeakMemory()
    start = peak.private_peak
    held = np.ones(64 << 20, dtype=np.uint8)
    peak.sample()
    assert peak.private_peak == start  # within the interval: the first sample stands
    assert peak.result()[1] >= start + (60 << 20)
    del held


def test_store_and_read_rows_record_private_memory(source, tmp_path):
    job = make_job("npy", source, min_repeats=1, max_repeats=1, warmup_runs=0, chunk_images=50)
    path = tmp_path / "s"
    rows = storing.measure_store(job, "store_many", 100, path)
    rows += reading.measure_reads(job, "read_many", 100, path, [reading.Pattern()])
    assert all(0 < row.peak_private_bytes <= row.peak_rss_bytes for row in rows)


def test_priming_is_kept_for_short_operations_that_need_fresh_memory():
    big = PRIME_MIN_BYTES
    assert worth_priming(True, None, big)  # the warm-up
    assert worth_priming(True, 0.5, big)
    assert not worth_priming(True, PRIME_BELOW_SECONDS + 1, big)  # long: the memory goes back anyway
    assert not worth_priming(True, None, big - 1)  # small: the fork would cost more
    assert not worth_priming(False, None, big)


def test_a_cold_read_needs_the_store_in_memory_and_a_warm_read_only_its_chunks():
    chunk = 1000 * 3072
    assert memory.read_need(False, 5 << 30, chunk) == chunk
    assert memory.read_need(True, 5 << 30, chunk) == chunk + (5 << 30)


def test_a_method_declares_how_much_memory_its_store_touches(source):
    raw = 1000 * source.image_bytes
    lmdb, hdf5 = make_job("lmdb", source), make_job("hdf5", source)
    assert storing.store_need(lmdb, 1000) == int(3.0 * raw) == int(lmdb.method.store_memory_factor * raw)
    assert storing.store_need(hdf5, 1000) == int(1.5 * raw)


def test_a_store_known_to_be_long_skips_the_warm_up_prime(source, tmp_path, monkeypatch):
    """at_least (the encoding's time) stands in for the warm-up's previous time; later repeats use their own."""
    primes = []
    job = make_job("npy", source, min_repeats=1, max_repeats=1, warmup_runs=1, chunk_images=50)
    monkeypatch.setattr(job.primer, "prime_rest", lambda need, released: primes.append(need))
    # This small store would not be primed at all: treat it as one needing PRIME_MIN_BYTES.
    monkeypatch.setattr(
        storing, "worth_priming", lambda on, previous, _need: worth_priming(on, previous, PRIME_MIN_BYTES)
    )
    storing.measure_store(job, "store_many", 100, tmp_path / "a")
    assert len(primes) == 2  # the warm-up and the repeat
    primes.clear()
    storing.measure_store(job, "store_many", 100, tmp_path / "b", at_least=PRIME_BELOW_SECONDS + 1)
    assert len(primes) == 1  # the repeat only: the warm-up took well under PRIME_BELOW_SECONDS


def test_of_a_samples_loops_only_the_first_and_those_after_a_pause_are_primed(monkeypatch):
    assert memory.prime_due(None)  # the first loop
    assert not memory.prime_due(time.perf_counter())  # right after the previous loop: its memory is still ours
    assert memory.prime_due(time.perf_counter() - memory.RECENT_SECONDS)


def test_reads_of_one_image_at_a_time_prime_nothing_and_reads_of_many_do(source, tmp_path, monkeypatch):
    job = make_job("npy", source, chunk_images=10000)
    n = 10000  # 30 MB of chunk buffers: over PRIME_MIN_BYTES
    store = (list(tmp_path.iterdir()), 0)
    needs = {
        name: reading.ReadSample(job, tmp_path, n, cache.CacheMode.COLD, reading.Pattern(name), store).need
        for name in ("sequential", "first_image", "single_latency")
    }
    assert needs["sequential"] >= PRIME_MIN_BYTES
    assert needs["first_image"] == needs["single_latency"] == 0


def test_a_killed_jobs_primer_helper_leaves_too(tmp_path):
    """SIGKILL runs no cleanup: the helper must leave on its own, at the end of its input."""
    script = (
        "import os, sys\n"
        "from imgbench.memory import Primer\n"
        "primer = Primer()\n"
        "primer.prime(16 << 20)\n"
        "print(primer._process.pid, flush=True)\n"
        "sys.stdin.read()\n"  # wait to be killed
    )
    argv, env = module_command("imgbench.memory")  # the package on PYTHONPATH, as for any child
    job = subprocess.Popen([argv[0], "-c", script], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    helper = int(job.stdout.readline())
    os.kill(helper, 0)  # alive while its job is
    job.send_signal(signal.SIGKILL)
    job.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{helper}").exists() and not zombie(helper):
        time.sleep(0.05)
    assert not Path(f"/proc/{helper}").exists() or zombie(helper), "the primer's helper outlived its killed job"


def zombie(pid: int) -> bool:
    """Whether pid has exited and waits only to be reaped (its parent, killed, left it to init)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
