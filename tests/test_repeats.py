"""Store repeats: each into its own new directory; stores of few files free the previous repeat first."""

from pathlib import Path

import pytest

from imgbench import harness, methods


def siblings_seen_by_each_repeat(method: str, n_images: int, source, tmp_path: Path) -> list[list[str]]:
    """Run measure_store with a real Writer that notes which repeat directories exist when it opens."""
    module = methods.load(method)
    seen = []

    class Noting(module.Writer):
        def __init__(self, path, *args, **kwargs):
            seen.append(sorted(p.name for p in Path(path).parent.iterdir() if ".repeat-" in p.name))
            super().__init__(path, *args, **kwargs)

    class Module:  # the method's module with the noting Writer (encode_only etc. are not needed here)
        Writer = Noting

    settings = harness.Settings(repeats=3, warmup_runs=1, chunk_images=64, machine_id="test")
    rows = harness.measure_store(method, Module, "store_many", n_images, tmp_path / "store", source, settings)
    assert [row["repeat"] for row in rows] == [0, 1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"], "superseded repeats were left behind"
    return seen


@pytest.mark.parametrize("method", ["npy", "hdf5", "lmdb"])
def test_few_file_stores_delete_the_previous_repeat_first(method, source, tmp_path):
    seen = siblings_seen_by_each_repeat(method, 200, source, tmp_path)
    assert seen == [[".store.repeat-0"], [".store.repeat-1"], [".store.repeat-2"], [".store.repeat-3"]]


def test_many_file_stores_keep_earlier_repeats_until_the_end(source, tmp_path):
    seen = siblings_seen_by_each_repeat("disk", harness.RECYCLE_MAX_FILES + 5, source, tmp_path)
    assert seen[-1] == [".store.repeat-0", ".store.repeat-1", ".store.repeat-2", ".store.repeat-3"]
