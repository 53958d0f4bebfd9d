"""Cold really means cold: eviction drops a just-written file's pages, and residency is measured."""

import os

from imgbench import cache, harness


def write_file(path, size=8 << 20):
    with open(path, "wb") as handle:
        handle.write(os.urandom(size))
        handle.flush()
        os.fsync(handle.fileno())


def test_evict_drops_a_just_written_file(tmp_path):
    path = tmp_path / "data.bin"
    write_file(path)
    path.read_bytes()
    assert cache.resident_fraction(tmp_path) > 0.95
    cache.evict(tmp_path)
    assert cache.resident_fraction(tmp_path) < 0.05
    path.read_bytes()
    assert cache.resident_fraction(tmp_path) > 0.95


def test_dirty_pages_are_written_back_before_eviction(tmp_path):
    """Without a sync, dirty pages would stay cached; evict() syncs first."""
    path = tmp_path / "dirty.bin"
    path.write_bytes(os.urandom(4 << 20))  # no fsync
    cache.evict(tmp_path)
    assert cache.resident_fraction(tmp_path) < 0.05


def test_prepare_cache_reports_state(tmp_path):
    path = tmp_path / "data.bin"
    write_file(path)
    files = [path]
    fraction, verified = harness.prepare_cache("cold", tmp_path, files)
    assert fraction < 0.05 and verified == 1
    fraction, verified = harness.prepare_cache("warm", tmp_path, files)
    assert fraction > 0.95 and verified == 1
