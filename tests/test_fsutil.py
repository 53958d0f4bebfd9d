"""Filesystem helpers on real files."""

from imgbench.fsutil import files_under, remove_trees


def test_remove_trees_deletes_nested_files_and_skips_missing_roots(tmp_path):
    roots = [tmp_path / "a", tmp_path / "b"]
    for root in roots:
        (root / "sub").mkdir(parents=True)
        for index in range(50):
            (root / "sub" / f"{index}.png").write_bytes(b"x" * index)
        (root / "labels.csv").write_text("1\n")
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "f").write_text("kept")
    assert len(files_under(tmp_path)) == 103
    remove_trees([*roots, tmp_path / "missing"])
    assert not any(root.exists() for root in roots)
    assert files_under(tmp_path) == [keep / "f"]
