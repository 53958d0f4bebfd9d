"""Memory priming happens outside the job's own memory; private memory is what the job holds."""

import os
import resource

import numpy as np

from imgbench import harness, memory, methods


def test_prime_touches_the_asked_size_in_a_child_and_not_in_this_process():
    before = harness.peak_rss_bytes()
    primed = memory.prime(256 << 20)
    assert primed == (256 << 20) + memory.PRIME_SLACK
    assert harness.peak_rss_bytes() - before < 64 << 20  # the child's fill is not this job's memory
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 >= 256 << 20  # but it happened


def test_prime_is_capped_by_available_memory():
    """At most a quarter of what was available; compared with the total, which other processes cannot move."""
    primed = memory.prime(1 << 50)
    assert 0 < primed <= os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4


def test_private_memory_counts_what_the_job_holds():
    before = memory.private_rss_bytes()
    held = np.ones(64 << 20, dtype=np.uint8)
    assert memory.private_rss_bytes() - before >= 60 << 20
    assert memory.note_private_peak(force=True) >= before + (60 << 20)
    del held


def test_private_peak_is_sampled_at_most_every_interval(monkeypatch):
    """Between two samples closer than SAMPLE_INTERVAL the peak is not re-read; a forced sample is."""
    monkeypatch.setattr(memory, "SAMPLE_INTERVAL", 3600.0)
    peak = memory.note_private_peak(force=True)  # the highest in this test process so far
    held = np.ones(peak - memory.private_rss_bytes() + (64 << 20), dtype=np.uint8)  # beyond that peak
    assert memory.note_private_peak() == peak  # within the interval: the last sample stands
    assert memory.note_private_peak(force=True) >= peak + (60 << 20)
    del held


def test_store_and_read_rows_record_private_memory(source, tmp_path):
    settings = harness.Settings(repeats=1, warmup_runs=0, chunk_images=50, machine_id="test")
    module = methods.load("npy")
    path, sequential = tmp_path / "s", [harness.Pattern()]
    rows = harness.measure_store("npy", module, "store_many", 100, path, source, settings)
    rows += harness.measure_reads("npy", module, "read_many", 100, path, source, settings, sequential)
    assert all(0 < int(row["peak_private_bytes"]) <= int(row["peak_rss_bytes"]) for row in rows)


def test_priming_is_kept_for_short_operations_that_need_fresh_memory():
    settings, big = harness.Settings(machine_id="test"), harness.PRIME_MIN_BYTES
    assert harness.worth_priming(settings, None, big)  # the warm-up
    assert harness.worth_priming(settings, 0.5, big)
    assert not harness.worth_priming(settings, harness.PRIME_BELOW_SECONDS + 1, big)  # long: memory goes back anyway
    assert not harness.worth_priming(settings, None, big - 1)  # small: the fork would cost more
    assert not harness.worth_priming(harness.Settings(prime_memory=False, machine_id="test"), None, big)


def test_a_cold_read_needs_the_store_in_memory_and_a_warm_read_only_its_chunks():
    settings = harness.Settings(chunk_images=1000, machine_id="test")
    chunk = 1000 * harness.IMAGE_BYTES
    assert harness.read_memory_need("warm", 5 << 30, 100_000, settings) == chunk
    assert harness.read_memory_need("cold", 5 << 30, 100_000, settings) == chunk + (5 << 30)
    assert harness.read_memory_need("warm", 0, 10, settings) == 10 * harness.IMAGE_BYTES


def test_a_method_can_declare_how_much_memory_its_store_touches():
    raw = 1000 * harness.IMAGE_BYTES
    assert harness.store_prime_bytes(methods.load("lmdb"), 1000) == int(methods.load("lmdb").PRIME_FACTOR * raw)
    assert harness.store_prime_bytes(methods.load("hdf5"), 1000) == int(harness.STORE_PRIME_FACTOR * raw)


def test_a_store_known_to_be_long_skips_the_warm_up_prime(source, tmp_path, monkeypatch):
    """at_least (the encoding's time) stands in for the warm-up's previous time; later repeats use their own."""
    monkeypatch.setattr(harness, "PRIME_MIN_BYTES", 0)  # so that this small store would be primed
    primes = []
    monkeypatch.setattr(memory, "prime", lambda nbytes: primes.append(nbytes))
    settings, module = (
        harness.Settings(repeats=1, warmup_runs=1, chunk_images=50, machine_id="test"),
        methods.load("npy"),
    )
    harness.measure_store("npy", module, "store_many", 100, tmp_path / "a", source, settings)
    assert len(primes) == 2  # the warm-up and the repeat
    primes.clear()
    long = harness.PRIME_BELOW_SECONDS + 1
    harness.measure_store("npy", module, "store_many", 100, tmp_path / "b", source, settings, at_least=long)
    assert len(primes) == 1  # the repeat only: the warm-up took well under PRIME_BELOW_SECONDS
