"""The results in words, for the top of summary.md and the report: where every method stands against the
floor (npy), and the paired comparisons with their noise and the A/A control said. Presentation only."""

import pandas as pd

from imgbench.tables import label

# In the order the sentences come: what the headline tables show first.
PATTERN_WORDS = {"sequential": "in order", "random": "in random order", "batch": "in random batches",
                 "single_latency": "one random image at a time", "parallel": "by worker processes",
                 "concurrency": "in random order", "first_image": "open and read the first image"}  # fmt: skip
CACHE_ORDER = {"": 0, "warm": 1, "cold": 2}
FLOOR = "npy"


def floor_sentences(summary: pd.DataFrame) -> list[str]:
    """Where every method stands against the floor (npy), in words: for each store and read (pattern, cache,
    batch and workers) at the largest count npy was measured at, every method's median as a multiple of
    npy's, fastest first."""
    timed = summary[summary["operation"].isin(["store_many", "read_many"])
                    & ~summary["pattern"].isin(["encode_only", "decode_only"])]  # fmt: skip
    keys = ["operation", "pattern", "cache", "batch_size", "workers", "concurrency"]
    groups = sorted(timed.groupby(keys), key=lambda group: (
        group[0][0] != "store_many", list(PATTERN_WORDS).index(group[0][1]) if group[0][1] in PATTERN_WORDS else 99,
        CACHE_ORDER.get(group[0][2], 3), group[0][3], group[0][4], group[0][5]))  # fmt: skip
    lines = []
    for (operation, pattern, cache, batch, workers, concurrency), rows in groups:
        floor_counts = rows.loc[rows["method"] == FLOOR, "n_images"]
        if floor_counts.empty or rows["method"].nunique() < 2:
            continue
        n = int(floor_counts.max())
        at_n = rows[(rows["n_images"] == n) & (rows["method"] != FLOOR)].sort_values("ratio_to_npy")
        what = "Stores" if operation == "store_many" else f"Reads, {cache} cache, {PATTERN_WORDS.get(pattern, pattern)}"
        if batch:
            what += f" of {batch}"
        if pattern == "parallel":
            what += f", {workers} worker{'s' if workers > 1 else ''}"
        if pattern == "concurrency":
            what += f", {concurrency} in flight"
        ratios = ", ".join(f"{label(r.method)} {r.ratio_to_npy:.3g}×" for r in at_n.itertuples())
        lines.append(f"{what}, {n:,} images, in multiples of {FLOOR}'s time: {ratios}.")
    return lines


OPERATION_WORDS = {"read_warm": "reads (warm)", "read_cold": "reads (cold)", "store": "stores"}


def comparison_sentences(comparisons: pd.DataFrame) -> list[str]:
    """The paired comparisons in words, one sentence per method and operation, noise and the A/A control said."""
    lines = []
    for (n, operation), rows in comparisons.groupby(["cutoff", "operation"], sort=True):
        first = rows.iloc[0]
        aa = ""
        if not first["aa_contains_one"]:
            aa = (
                f" UNTRUSTWORTHY: the A/A control ({first['reference']} against itself) came out at "
                f"{first['aa_ratio']:.3f}, its interval excluding 1: differences this small are not to be believed."
            )
        for row in rows.sort_values("ratio").itertuples():
            noise = " (within noise: the interval contains 1)" if row.within_noise else ""
            lines.append(f"At {n:,} images, {row.method} {OPERATION_WORDS.get(operation, operation)} in "
                         f"{row.ratio:.3g}× the time of {row.reference} (95% CI {row.ci_low:.3g}–{row.ci_high:.3g}, "
                         f"{row.rounds} rounds){noise}.{aa}")  # fmt: skip
    return lines
