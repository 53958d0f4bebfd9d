"""Memory priming: the scratch data really goes through the page cache and leaves nothing behind."""

from imgbench import memory


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
