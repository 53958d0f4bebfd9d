"""Paired store rounds free the disk as they go: a long comparison of fast stores once filled 47 GB."""

from pathlib import Path

from conftest import make_job, write_synthetic_source
from imgbench import comparing, storing
from imgbench.source import Source
from imgbench.storing import holds_few_files


class Watched(comparing.Comparison):
    """A comparison that notes, before every turn, which rounds still hold stores on disk."""

    def turn(self, operation, name, directory):
        rounds = sorted(self.work.glob(f"{operation}/round-*"), key=lambda p: int(p.name.split("-")[1]))
        held = {r.name: sorted(store.parent.name for turn in r.iterdir() for store in turn.iterdir()) for r in rounds}
        self.seen.append(held)
        return super().turn(operation, name, directory)


def test_store_rounds_delete_the_previous_rounds_small_stores_and_keep_stores_of_many_files(tmp_path):
    source = Source(write_synthetic_source(tmp_path / "source", 8, 8, 1000))
    stores = tmp_path / "stores"
    contestants = {}
    for method in ("npy", "disk"):  # disk at 1,000 images: 1,001 files, more than storing.FEW_FILES
        job = make_job(method, source, min_repeats=1, max_repeats=1, warmup_runs=0)
        storing.measure_store(job, "store_many", 1000, stores / method / "1000")
        contestants[method] = comparing.Contestant(job, stores / method / "1000")
    assert not holds_few_files(stores / "disk" / "1000") and holds_few_files(stores / "npy" / "1000")
    settings = {"reference": "npy", "operations": ["store"], "max_seconds": 0.5, "min_rounds": 4, "precision": 0.01,
                "seed": 0}  # fmt: skip
    comparison = Watched(contestants, "npy", 1000, tmp_path / "work", settings)
    comparison.seen = []
    rows = comparison.run()
    assert {row["round"] for row in rows} >= {0, 1, 2, 3}
    last = comparison.seen[-1]  # before the last turn of the last round
    assert len(last) >= 4, last
    *older, previous, current = last
    for name in older:  # only disk's stores are left in rounds before the previous one
        assert last[name] == ["disk-0"], (name, last)
    assert "npy-0" in last[previous] and "npy-1" in last[previous]
    assert not (tmp_path / "work" / "store").exists()  # and nothing once the operation ends
    assert Path(stores / "npy" / "1000").is_dir()  # the compared stores themselves stay
