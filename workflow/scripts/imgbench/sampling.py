"""Adaptive sampling of one measurement, and loop calibration for operations too short to time alone.

- ``AdaptiveSampler``: one measurement's samples, told one at a time, until the median's interval is
  within ``precision`` of the median, or the timed-work budget or the repeat limit ends it.
- ``loops_for`` / ``calibrate_loops``: how many loops make one sample of a short operation last at least
  ``target_seconds`` (pyperf's ``min_time``, 100 ms by default); ``loops_per_sample`` also leaves
  operations unlooped whose preparation costs more than they do.
- ``StoppingRule``: when a measurement (samples) or a comparison (rounds, comparison.py) stops.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from imgbench.confidence import (
    DEFAULT_CONFIDENCE,
    DEFAULT_PRECISION,
    Estimate,
    check_confidence,
    check_precision,
    median_estimate,
)

DEFAULT_MIN_REPEATS = 3
DEFAULT_MAX_REPEATS = 200  # past this the interval narrows only as 1/sqrt(n); the budget usually ends first
DEFAULT_TARGET_SECONDS = 0.1  # pyperf's default --min-time
MAX_LOOPS = 2**32  # pyperf's limit on loops per value


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
        check_precision(self.precision)
        check_confidence(self.confidence)
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
    when, after at least ``min_repeats`` samples, the median's interval, at the confidence asked for, is
    within ``precision`` of the median (``StopReason.PRECISION``; at 95% that needs 6 samples or more),
    ``max_repeats`` samples are in (``MAX_REPEATS``), or one more sample, expected to last as long as the
    median one, would take the timed work (seconds x loops, summed) past ``max_seconds`` (``BUDGET``).
    ``min_repeats`` wins over the budget: a row always has that many samples.
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
        """The relative half-width of the median's interval so far; inf while the interval does not yet have
        the confidence asked for (at 95%, fewer than 6 samples), so that "precise" always means a 95%
        statement, never the range of three samples (75%)."""
        if not self._samples:
            return math.inf
        estimate = self.estimate()
        return estimate.relative_half_width if estimate.confidence >= self.rule.confidence else math.inf

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


def loops_per_sample(seconds_per_run: float, target_seconds: float, preparation_seconds: float = 0.0) -> int:
    """Loops per sample for an operation of seconds_per_run, each run prepared outside the timer in
    preparation_seconds: loops_for the target (none for a target of 0), except that an operation whose
    preparation takes longer than itself is not looped. Looping multiplies the preparation by the loops
    and leaves its share of the time unchanged: a cold first-image read of disk's 1,000 files, 0.66 ms
    after 14 ms of evicting them, looped 210 times per sample, spent 93 s of its read job outside the
    timers (2026-12-01). One run per sample costs a few more samples instead."""
    if target_seconds <= 0 or preparation_seconds > seconds_per_run:
        return 1
    return loops_for(seconds_per_run, target_seconds)


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
