"""Paired, interleaved comparisons: the ratio of a method's time to a reference's from rounds in which each ran
once, with its order-statistic interval, and the A/A control (docs/statistics.md).

- ``paired_ratio``: the median of the per-round ratios with the order-statistic interval applied to them.
  A common slow drift multiplies both times of a round and cancels in their ratio.
- ``PairedRounds``: the rounds of one comparison, in a fresh random order per round, with the reference run
  twice per round as an A/A control, until every ratio's interval is within ``precision`` or the budget is
  spent, and at least 9 rounds (Google Benchmark's ``UTEST_OPTIMAL_REPETITIONS``).
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from imgbench.confidence import DEFAULT_CONFIDENCE, DEFAULT_PRECISION, Estimate, median_ci, positive
from imgbench.sampling import StoppingRule, StopReason

MIN_ROUNDS = 9  # Google Benchmark's compare.py: "Lowest reasonable number, More is better."
DEFAULT_MAX_ROUNDS = 1000

T = TypeVar("T")


def shuffled(items: Sequence[T], rng: np.random.Generator) -> list[T]:
    """A new list of ``items`` in a random order drawn from ``rng`` (seed it for a reproducible schedule)."""
    return [items[i] for i in rng.permutation(len(items))]


def paired_ratio(
    seconds: Sequence[float], reference_seconds: Sequence[float], confidence: float = DEFAULT_CONFIDENCE
) -> Estimate:
    """The ratio of a method's time to the reference's, from rounds in which each ran once.

    ``seconds[i]`` and ``reference_seconds[i]`` are the two times of round i. The estimate is the median of
    the per-round ratios, exp(median(log ratios)), and its interval the order-statistic interval of that
    median (``median_ranks``) applied to the per-round ratios: the interval of the sign test. It assumes
    only that the rounds' ratios are independent draws with a common median; a drift that multiplies both
    times of a round cancels. Under noise symmetric in the log (both methods alike) the median of the
    ratios is also the ratio of the methods' medians.
    """
    method = positive(seconds, "paired_ratio (method times)")
    reference = positive(reference_seconds, "paired_ratio (reference times)")
    if method.shape != reference.shape:
        raise ValueError(f"paired_ratio needs one time of each per round, got {method.size} and {reference.size}")
    log_ratios = np.log(method) - np.log(reference)
    low, high, achieved = median_ci(log_ratios, confidence)
    return Estimate(math.exp(float(np.median(log_ratios))), math.exp(low), math.exp(high), achieved, method.size)


def aa_control(
    first_seconds: Sequence[float], second_seconds: Sequence[float], confidence: float = DEFAULT_CONFIDENCE
) -> tuple[Estimate, bool]:
    """The A/A check: the reference's second run of each round against its first, and whether the interval
    of that ratio contains 1.0 (it must: a comparison whose A/A interval excludes 1 is untrustworthy)."""
    estimate = paired_ratio(second_seconds, first_seconds, confidence)
    return estimate, estimate.contains(1.0)


@dataclass(frozen=True)
class Arm:
    """One contestant of a round: a method, or (copy=1) the reference's second run, the A/A control."""

    method: str
    copy: int = 0

    def __str__(self) -> str:
        return self.method if self.copy == 0 else f"{self.method} (A/A)"


class PairedRounds:
    """The rounds of one head-to-head comparison, in which every method performs the operation once.

    ``next_order()`` gives the arms in a fresh random order for the coming round: each method once, and the
    reference twice (``Arm(reference, 0)`` and ``Arm(reference, 1)``, the A/A control). ``add_round()``
    takes the round's seconds per arm. The comparison is done, after at least ``min_rounds`` rounds, when
    every ratio's interval, the A/A ratio's included, is within ``precision`` (``StopReason.PRECISION``),
    after ``max_rounds`` (``MAX_REPEATS``), or when one more round, expected to last as long as the median
    round, would take the timed work past ``max_seconds`` (``BUDGET``).
    """

    def __init__(
        self,
        methods: Sequence[str],
        reference: str,
        max_seconds: float,
        rng: np.random.Generator,
        precision: float = DEFAULT_PRECISION,
        min_rounds: int = MIN_ROUNDS,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
        confidence: float = DEFAULT_CONFIDENCE,
    ):
        if len(set(methods)) != len(methods):
            raise ValueError(f"each method may be compared once, got {list(methods)}")
        if reference not in methods:
            raise ValueError(f"the reference {reference!r} must be one of the methods compared: {list(methods)}")
        self.rule = StoppingRule(max_seconds, precision, min_rounds, max_rounds, confidence)
        self.methods = tuple(methods)
        self.reference = reference
        self.arms = (*(Arm(method) for method in methods), Arm(reference, 1))
        self.rng = rng
        self._seconds: dict[Arm, list[float]] = {arm: [] for arm in self.arms}

    def next_order(self) -> list[Arm]:
        return shuffled(self.arms, self.rng)

    def add_round(self, seconds: Mapping[Arm, float]) -> None:
        """Record one round: the seconds of every arm (all of them, each positive and finite)."""
        if set(seconds) != set(self.arms):
            missing = sorted(str(arm) for arm in set(self.arms) - set(seconds))
            extra = sorted(str(arm) for arm in set(seconds) - set(self.arms))
            raise ValueError(f"a round needs one time per arm: missing {missing}, unexpected {extra}")
        for arm, value in seconds.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{arm} took {value} s in a round; times must be finite and positive")
        for arm in self.arms:
            self._seconds[arm].append(float(seconds[arm]))

    @property
    def rounds(self) -> int:
        return len(self._seconds[self.arms[0]])

    def seconds(self, arm: Arm) -> tuple[float, ...]:
        return tuple(self._seconds[arm])

    @property
    def timed_seconds(self) -> float:
        return float(sum(sum(values) for values in self._seconds.values()))

    def ratios(self) -> dict[str, Estimate]:
        """Each method's ratio to the reference (the reference itself left out: see ``aa``)."""
        reference = self._seconds[Arm(self.reference)]
        return {
            method: paired_ratio(self._seconds[Arm(method)], reference, self.rule.confidence)
            for method in self.methods
            if method != self.reference
        }

    def aa(self) -> Estimate:
        """The A/A ratio: the reference's second run of each round over its first."""
        first, second = self._seconds[Arm(self.reference)], self._seconds[Arm(self.reference, 1)]
        return aa_control(first, second, self.rule.confidence)[0]

    @property
    def aa_contains_one(self) -> bool:
        return self.aa().contains(1.0)

    @property
    def precision_reached(self) -> float:
        """The widest relative half-width among the ratios and the A/A ratio (inf before any round)."""
        if self.rounds == 0:
            return math.inf
        return max(estimate.relative_half_width for estimate in [*self.ratios().values(), self.aa()])

    @property
    def stop_reason(self) -> StopReason | None:
        if self.rounds == 0:
            return None
        per_round = np.sum(list(self._seconds.values()), axis=0)
        return self.rule.reason(
            self.rounds, self.precision_reached, float(per_round.sum()), float(np.median(per_round))
        )

    @property
    def done(self) -> bool:
        return self.stop_reason is not None
