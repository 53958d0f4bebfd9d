"""Cold really means cold: eviction drops a just-written file's pages, and residency is measured."""

import os

from imgbench import cache


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
    path.read_bytes()
    state = cache.ensure(cache.CacheMode.COLD, tmp_path, files, 8 << 20)
    assert state.resident_fraction < 0.05 and state.verified
    assert state.released_bytes > (8 << 20) * 0.95  # the whole file was cached, and its pages were freed
    state = cache.ensure(cache.CacheMode.WARM, tmp_path, files, 8 << 20)
    assert state.resident_fraction > 0.95 and state.verified and state.released_bytes == 0


def test_release_counts_only_what_was_cached(tmp_path):
    path = tmp_path / "data.bin"
    write_file(path)
    cache.evict(tmp_path)
    with open(path, "rb") as handle:
        handle.read(2 << 20)  # readahead may cache somewhat more than these 2 MiB
    released, after = cache.release(tmp_path)
    assert (2 << 20) <= released < (8 << 20) and after < 0.05
    assert cache.release(tmp_path) == (0, 0.0)  # nothing left to free


def test_cachestat_and_mincore_count_the_same_half_cached_file(tmp_path):
    """Both ways of counting resident pages see exactly the first half of a file whose second half was dropped."""
    path = tmp_path / "half.bin"
    write_file(path)
    path.read_bytes()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 4 << 20, 4 << 20, os.POSIX_FADV_DONTNEED)
        half = (4 << 20) // cache.PAGE
        assert cache.mincore_pages(fd, 8 << 20, path) == half
        assert cache.cached_pages(fd) in (half, None)  # None: a kernel before 6.5, which has no cachestat
    finally:
        os.close(fd)
    assert cache.resident_fraction(tmp_path) == 0.5
