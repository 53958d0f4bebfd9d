"""The per-job reference workload: measured once, in a child, and recorded on every row."""

from imgbench import harness, memory, methods, reference


def test_reference_is_measured_once_in_a_child_and_kept():
    private_before = memory.private_rss_bytes()
    first = reference.measure()
    assert set(first) == set(reference.COLUMNS)
    assert all(0 < float(value) < 10 for value in first.values())
    assert reference.measure() == first  # the same numbers for every row of a job
    # Its two 32 MiB buffers live in the child: the job's own memory grows by far less.
    assert memory.private_rss_bytes() - private_before < reference.COPY_BYTES


def test_every_row_carries_the_reference(source, tmp_path):
    settings = harness.Settings(repeats=1, warmup_runs=0, chunk_images=50, machine_id="test")
    rows = harness.measure_store("npy", methods.load("npy"), "store_many", 100, tmp_path / "s", source, settings)
    assert all(row[column] == reference.measure()[column] for row in rows for column in reference.COLUMNS)
    assert set(reference.COLUMNS) <= set(harness.COLUMNS)
