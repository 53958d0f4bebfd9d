"""gc_paused: garbage is collected before an operation, collection is off during it, and survivors are frozen."""

import gc
import weakref

from imgbench import timer
from imgbench.timer import Stopwatch, gc_paused


class Node:
    pass


def cycle() -> weakref.ref:
    """A reference cycle that only the garbage collector can free; returns a weak reference to it."""
    node = Node()
    node.self = node
    return weakref.ref(node)


def test_gc_paused_collects_before_and_disables_during():
    garbage = cycle()
    with gc_paused():
        assert garbage() is None
        assert not gc.isenabled()
    assert gc.isenabled()


def test_gc_paused_freezes_survivors_and_still_collects_new_cycles():
    with gc_paused():
        pass
    assert gc.get_freeze_count() > 0
    garbage = cycle()  # made after the freeze: a later collection must still find it
    with gc_paused():
        assert garbage() is None


def test_stopwatch_counts_only_timed_pieces():
    watch = Stopwatch()
    for _ in range(3):
        with watch.timed():
            pass
    assert watch.started_ns <= watch.ended_ns
    assert 0 < watch.elapsed_ns <= watch.ended_ns - watch.started_ns


def test_outside_work_is_counted_by_kind_and_summarised():
    overhead = timer.Overhead()
    assert overhead.summary() == "outside the timers: nothing counted"
    with overhead("sync"):
        sum(range(10_000))
    items = list(overhead.each("chunks", iter([1, 2, 3])))
    assert items == [1, 2, 3]
    assert set(overhead.seconds) == {"sync", "chunks"} and all(s > 0 for s in overhead.seconds.values())
    assert overhead.summary().startswith("outside the timers: ") and "chunks" in overhead.summary()
    assert timer.Overhead().seconds == {}  # each job has its own
