"""Memory priming: the scratch data really goes through the page cache and leaves nothing behind."""

import numpy as np

from imgbench import harness, memory, methods


def cached_bytes() -> int:
    with open("/proc/meminfo") as handle:
        fields = dict(line.split(":", 1) for line in handle)
    return int(fields["Cached"].split()[0]) * 1024


def test_prime_writes_the_asked_size_and_removes_its_scratch_file(tmp_path):
    primed = memory.prime(32 << 20, tmp_path)
    assert primed == (32 << 20) + memory.PRIME_SLACK
    assert list(tmp_path.iterdir()) == []


def test_prime_is_capped_by_available_memory(tmp_path):
    primed = memory.prime(1 << 50, tmp_path)
    assert 0 < primed <= memory.available_bytes() // 4 + (64 << 20)


def test_prime_frees_what_it_touched(tmp_path):
    """Deleted before writeback, the scratch pages leave the page cache at once (the point of priming)."""
    before = cached_bytes()
    memory.prime(256 << 20, tmp_path)
    assert cached_bytes() - before < 128 << 20


def test_private_memory_counts_what_the_job_holds():
    before = memory.private_rss_bytes()
    held = np.ones(64 << 20, dtype=np.uint8)
    assert memory.private_rss_bytes() - before >= 60 << 20
    assert memory.note_private_peak() >= before + (60 << 20)
    del held


def test_store_and_read_rows_record_private_memory(source, tmp_path):
    settings = harness.Settings(repeats=1, warmup_runs=0, chunk_images=50, machine_id="test")
    module = methods.load("npy")
    path, sequential = tmp_path / "s", [harness.Pattern()]
    rows = harness.measure_store("npy", module, "store_many", 100, path, source, settings)
    rows += harness.measure_reads("npy", module, "read_many", 100, path, source, settings, sequential)
    assert all(0 < int(row["peak_private_bytes"]) <= int(row["peak_rss_bytes"]) for row in rows)
