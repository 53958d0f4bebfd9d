"""Confidence intervals for timings: the median of one measurement (here), the adaptive sampling that uses
it (sampling.py) and ratios of paired, interleaved runs (comparison.py).

Everything is distribution-free and needs numpy only. docs/statistics.md gives the definitions, the
reasons and the references; in short:

- ``median_ci``: the order-statistic interval of the median, with exact binomial coverage: the interval
  that inverts the sign test (Conover, *Practical Nonparametric Statistics*, 3rd ed., 1999, the quantile
  test; Hollander, Wolfe & Chicken, *Nonparametric Statistical Methods*, 3rd ed., 2014, the sign test).
- ``AdaptiveSampler``: one measurement's samples, told one at a time, until the median's interval is
  within ``precision`` of the median, or the timed-work budget or the repeat limit ends it.
- ``loops_for`` / ``calibrate_loops``: how many loops make one sample of a short operation last at least
  ``target_seconds`` (pyperf's ``min_time``, 100 ms by default).
- ``paired_ratio``: the ratio of a method's time to the reference's, from rounds in which both ran once:
  the median of the per-round ratios with the same order-statistic interval applied to them. A common
  slow drift multiplies both times of a round and cancels in their ratio.
- ``PairedRounds``: the rounds of one comparison, in a fresh random order per round, with the reference run
  twice per round as an A/A control, until every ratio's interval is within ``precision`` or the budget is
  spent, and at least 9 rounds (Google Benchmark's ``UTEST_OPTIMAL_REPETITIONS``).

Objects hold the state of one measurement or one comparison; the modules hold none.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate
from typing import NamedTuple

import numpy as np

DEFAULT_CONFIDENCE = 0.95
DEFAULT_PRECISION = 0.05


class OrderStatistics(NamedTuple):
    """Ranks (1-based) of the interval's ends among n sorted samples, and the interval's exact coverage."""

    lower_rank: int
    upper_rank: int
    coverage: float


class MedianCI(NamedTuple):
    """An interval for the median: ``low``, ``high`` and the confidence it actually has."""

    low: float
    high: float
    confidence: float


def median_ranks(n: int, confidence: float = DEFAULT_CONFIDENCE) -> OrderStatistics:
    """The pair of order statistics (x_(j), x_(k)) with the fewest ranks between them whose coverage of the
    median is at least ``confidence``.

    For a continuous distribution with median m, the number B of samples below m is Binomial(n, 1/2) and
    P(x_(j) <= m <= x_(k)) = P(j <= B <= k - 1) = sum_{i=j}^{k-1} C(n, i) / 2^n, whatever the distribution;
    with ties (a discrete distribution) the closed interval covers at least that often. Among pairs of
    equal span the one of highest coverage is kept (the most central one), and of two mirror images the
    lower. When no pair reaches ``confidence`` (n <= 5 at 95%) the full range is returned with the coverage
    it has, 1 - 2 / 2^n; for n = 1 that is 0. The coverage is exact: integer binomial coefficients.
    """
    if n < 1:
        raise ValueError(f"median_ranks needs at least one sample, got n={n}")
    check_confidence(confidence)
    if n == 1:
        return OrderStatistics(1, 1, 0.0)
    # cumulative[i] = sum of C(n, 0..i-1); an interval (j, k) covers the counts j..k-1
    cumulative = [0, *accumulate(_binomial_row(n))]
    total = cumulative[-1]

    def covered(j: int, k: int) -> int:
        return cumulative[k] - cumulative[j]

    wanted = Fraction(confidence)  # exact comparisons: 2^n overflows a float past n = 1023
    for span in range(1, n):
        # the binomial weights are symmetric and unimodal, so the best window of a span is the centred one
        centre = (n - span + 1) / 2
        candidates = {min(max(rank, 1), n - span) for rank in (math.floor(centre), math.ceil(centre))}
        j = max(sorted(candidates), key=lambda rank: covered(rank, rank + span))
        if covered(j, j + span) * wanted.denominator >= wanted.numerator * total:
            return OrderStatistics(j, j + span, covered(j, j + span) / total)
    return OrderStatistics(1, n, covered(1, n) / total)


def _binomial_row(n: int) -> list[int]:
    """C(n, 0), C(n, 1), ..., C(n, n), each from the one before."""
    row = [1]
    for i in range(n):
        row.append(row[-1] * (n - i) // (i + 1))
    return row


def median_ci(samples: Sequence[float], confidence: float = DEFAULT_CONFIDENCE) -> MedianCI:
    """The distribution-free interval of the median of ``samples`` (any order), see ``median_ranks``.

    Returns ``(low, high, achieved_confidence)``; achieved_confidence >= confidence unless the samples are
    too few to reach it, in which case (low, high) is the sample range.
    """
    values = finite(samples, "median_ci")
    ranks = median_ranks(values.size, confidence)
    ordered = np.sort(values)
    return MedianCI(float(ordered[ranks.lower_rank - 1]), float(ordered[ranks.upper_rank - 1]), ranks.coverage)


@dataclass(frozen=True)
class Estimate:
    """A point estimate (a median or a ratio) with its interval and the interval's achieved confidence."""

    value: float
    low: float
    high: float
    confidence: float
    n: int

    @property
    def relative_half_width(self) -> float:
        """max(value - low, high - value) / value: the farther end's distance, as a fraction of the value.

        The farther end, not (high - low) / 2, because order-statistic intervals are asymmetric and "within
        5%" should hold on both sides. Infinite for a single sample, whose interval has no confidence.
        """
        if self.confidence == 0.0:
            return math.inf
        if self.value <= 0:
            raise ValueError(f"a relative width needs a positive estimate, got {self.value}")
        return max(self.value - self.low, self.high - self.value) / self.value

    def within(self, precision: float) -> bool:
        return self.relative_half_width <= precision

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def median_estimate(samples: Sequence[float], confidence: float = DEFAULT_CONFIDENCE) -> Estimate:
    """The median of ``samples`` (numpy's: the mean of the middle two for even n) with ``median_ci``."""
    values = finite(samples, "median_estimate")
    low, high, achieved = median_ci(values, confidence)
    return Estimate(float(np.median(values)), low, high, achieved, values.size)


def relative_half_width(samples: Sequence[float], confidence: float = DEFAULT_CONFIDENCE) -> float:
    """max(median - low, high - median) / median of the median's interval (inf for one sample)."""
    return median_estimate(samples, confidence).relative_half_width


def precision_reached(samples: Sequence[float], precision: float, confidence: float = DEFAULT_CONFIDENCE) -> bool:
    """Whether the median's interval lies within ``precision`` (a fraction, 0.05 = 5%) of the median.

    With fewer samples than the confidence needs (n <= 5 at 95%) the interval is the sample range and its
    confidence is lower (75% at n = 3); ``median_estimate(...).confidence`` says how much.
    """
    check_precision(precision)
    return median_estimate(samples, confidence).within(precision)


def finite(samples: Sequence[float], what: str) -> np.ndarray:
    values = np.asarray(samples, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{what} needs a non-empty, one-dimensional sequence of numbers, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} got a value that is not finite (nan or inf): {values[~np.isfinite(values)][:3]}")
    return values


def positive(samples: Sequence[float], what: str) -> np.ndarray:
    values = finite(samples, what)
    if np.any(values <= 0):
        raise ValueError(f"{what} needs positive times, got {values[values <= 0][:3]}")
    return values


def check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (0.95 for 95%), got {confidence}")


def check_precision(precision: float) -> None:
    if not precision > 0:
        raise ValueError(f"precision must be a positive fraction of the median (0.05 for 5%), got {precision}")
