"""Confidence intervals for timings: the median of one measurement, and ratios of paired, interleaved runs.

Everything here is distribution-free and needs numpy only. docs/statistics.md gives the definitions, the
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

Objects hold the state of one measurement or one comparison; the module holds none.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from itertools import accumulate
from typing import NamedTuple, TypeVar

import numpy as np

DEFAULT_CONFIDENCE = 0.95
DEFAULT_PRECISION = 0.05
DEFAULT_MIN_REPEATS = 3
DEFAULT_MAX_REPEATS = 200  # past this the interval narrows only as 1/sqrt(n); the budget usually ends first
DEFAULT_TARGET_SECONDS = 0.1  # pyperf's default --min-time
MIN_ROUNDS = 9  # Google Benchmark's compare.py: "Lowest reasonable number, More is better."
DEFAULT_MAX_ROUNDS = 1000
MAX_LOOPS = 2**32  # pyperf's limit on loops per value

T = TypeVar("T")


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
    _check_confidence(confidence)
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
    values = _finite(samples, "median_ci")
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
    values = _finite(samples, "median_estimate")
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
    _check_precision(precision)
    return median_estimate(samples, confidence).within(precision)


class StopReason(StrEnum):
    PRECISION = "precision"  # the interval is within the precision asked for
    BUDGET = "budget"  # the next sample or round would take the timed work past max_seconds
    MAX_REPEATS = "max_repeats"  # the repeat (or round) limit was reached


@dataclass(frozen=True)
class StoppingRule:
    """When a measurement (samples) or a comparison (rounds) stops; shared by both, validated once.

    Nothing stops before ``min_count``; then, in this order: the interval is within ``precision``
    (``PRECISION``), ``max_count`` is reached (``MAX_REPEATS``), or one more step, expected to cost
    ``next_cost`` seconds, would take the timed work past ``max_seconds`` (``BUDGET``).
    """

    max_seconds: float
    precision: float
    min_count: int
    max_count: int
    confidence: float

    def __post_init__(self):
        _check_precision(self.precision)
        _check_confidence(self.confidence)
        if not self.max_seconds > 0:
            raise ValueError(f"max_seconds must be positive, got {self.max_seconds}")
        if not 1 <= self.min_count <= self.max_count:
            raise ValueError(
                f"need 1 <= minimum <= maximum count of repeats or rounds, got {self.min_count} and {self.max_count}"
            )

    def reason(self, count: int, precision_reached: float, spent: float, next_cost: float) -> StopReason | None:
        if count < self.min_count:
            return None
        if precision_reached <= self.precision:
            return StopReason.PRECISION
        if count >= self.max_count:
            return StopReason.MAX_REPEATS
        if spent + next_cost > self.max_seconds:
            return StopReason.BUDGET
        return None


class AdaptiveSampler:
    """The samples of one measurement, told one at a time; ``done`` says when to stop and ``stop_reason`` why.

    A sample is the time of ``loops`` runs of the operation, given as seconds per loop; all samples of a
    measurement use the same loop count (calibrate first, see ``calibrate_loops``). The measurement is done
    when, after at least ``min_repeats`` samples, the median's interval is within ``precision`` of the median
    (``StopReason.PRECISION``), ``max_repeats`` samples are in (``MAX_REPEATS``), or one more sample, expected
    to last as long as the median one, would take the timed work (seconds x loops, summed) past
    ``max_seconds`` (``BUDGET``). ``min_repeats`` wins over the budget: a row always has that many samples.
    """

    def __init__(
        self,
        max_seconds: float,
        precision: float = DEFAULT_PRECISION,
        min_repeats: int = DEFAULT_MIN_REPEATS,
        max_repeats: int = DEFAULT_MAX_REPEATS,
        confidence: float = DEFAULT_CONFIDENCE,
    ):
        self.rule = StoppingRule(max_seconds, precision, min_repeats, max_repeats, confidence)
        self.loops: int | None = None
        self._samples: list[float] = []

    def add(self, seconds_per_loop: float, loops: int = 1) -> None:
        """Record one sample: ``loops`` runs took ``seconds_per_loop * loops`` seconds in all."""
        if not (math.isfinite(seconds_per_loop) and seconds_per_loop > 0):
            raise ValueError(f"a sample must be a finite, positive time, got {seconds_per_loop}")
        if loops < 1 or (self.loops is not None and loops != self.loops):
            raise ValueError(
                f"every sample of a measurement needs the same loop count >= 1: got {loops} after {self.loops}; "
                "calibrate the loops once, before the first sample"
            )
        self.loops = loops
        self._samples.append(float(seconds_per_loop))

    @property
    def samples(self) -> tuple[float, ...]:
        """Seconds per loop, in the order they were added."""
        return tuple(self._samples)

    @property
    def timed_seconds(self) -> float:
        return sum(self._samples) * (self.loops or 0)

    def estimate(self) -> Estimate:
        """The median (seconds per loop) with its interval; needs at least one sample."""
        return median_estimate(self._samples, self.rule.confidence)

    @property
    def precision_reached(self) -> float:
        """The relative half-width of the median's interval so far (inf before two samples)."""
        return self.estimate().relative_half_width if self._samples else math.inf

    @property
    def stop_reason(self) -> StopReason | None:
        if not self._samples:
            return None
        next_cost = float(np.median(self._samples)) * self.loops
        return self.rule.reason(len(self._samples), self.precision_reached, self.timed_seconds, next_cost)

    @property
    def done(self) -> bool:
        return self.stop_reason is not None


class LoopCalibration(NamedTuple):
    loops: int
    seconds: float  # the calibration's last run of ``loops`` loops, in all (a warm-up, not a sample)


def loops_for(seconds_per_run: float, target_seconds: float = DEFAULT_TARGET_SECONDS) -> int:
    """The fewest loops k with k * seconds_per_run >= target_seconds (1 if one run is long enough)."""
    if not target_seconds > 0:
        raise ValueError(f"target_seconds must be positive, got {target_seconds}")
    if not (math.isfinite(seconds_per_run) and seconds_per_run > 0):
        raise ValueError(f"the time of one run must be finite and positive, got {seconds_per_run}")
    loops = max(1, math.ceil(target_seconds / seconds_per_run))
    while loops > 1 and (loops - 1) * seconds_per_run >= target_seconds:  # ceil of a rounded quotient
        loops -= 1
    return loops


def calibrate_loops(
    time_loops: Callable[[int], float], target_seconds: float = DEFAULT_TARGET_SECONDS, max_loops: int = MAX_LOOPS
) -> LoopCalibration:
    """Find loops such that one sample of that many runs lasts at least ``target_seconds``, as pyperf does.

    ``time_loops(k)`` runs the operation k times and returns the seconds they took. Starting at one loop,
    each step predicts the loops from the time per run so far (at least one more than before) and measures
    them, until a run of k loops lasts the target. pyperf doubles instead; predicting needs fewer steps when
    one run is far below the target. The runs made here are warm-ups: discard them.
    """
    loops, seconds = 1, time_loops(1)
    while seconds < target_seconds:
        if loops >= max_loops:
            raise ValueError(
                f"{loops} loops took {seconds:.3g} s, still under the {target_seconds} s target: "
                "the operation is too short to time, or time_loops does not run it"
            )
        per_run = seconds / loops
        loops = min(max_loops, max(loops + 1, loops_for(per_run, target_seconds) if per_run > 0 else 2 * loops))
        seconds = time_loops(loops)
    return LoopCalibration(loops, seconds)


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
    method = _positive(seconds, "paired_ratio (method times)")
    reference = _positive(reference_seconds, "paired_ratio (reference times)")
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


def _finite(samples: Sequence[float], what: str) -> np.ndarray:
    values = np.asarray(samples, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{what} needs a non-empty, one-dimensional sequence of numbers, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} got a value that is not finite (nan or inf): {values[~np.isfinite(values)][:3]}")
    return values


def _positive(samples: Sequence[float], what: str) -> np.ndarray:
    values = _finite(samples, what)
    if np.any(values <= 0):
        raise ValueError(f"{what} needs positive times, got {values[values <= 0][:3]}")
    return values


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (0.95 for 95%), got {confidence}")


def _check_precision(precision: float) -> None:
    if not precision > 0:
        raise ValueError(f"precision must be a positive fraction of the median (0.05 for 5%), got {precision}")
