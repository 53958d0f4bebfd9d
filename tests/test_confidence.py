"""imgbench.confidence on known inputs and in seeded simulations with a known truth (medians, ratios, drift).

The simulations draw every random number at once with numpy and loop only over trials for the interval
calls, so the file runs in seconds. Their coverage functions are importable, to print the figures:
``python -c "import sys; sys.path[:0] = ['tests', 'workflow/scripts']; import test_confidence as t; ..."``.
"""

import math

import numpy as np
import pytest

from imgbench import comparison as pairs
from imgbench import confidence as ci
from imgbench import sampling

TRIALS = 400
ROUNDS = 15
TRUE_RATIO = 0.62
NOISE_SIGMA = 0.05  # independent lognormal noise of each run
ARMS = 3  # method, reference, the reference's A/A copy: the order of the last axis of interleaved_times


# --- the median's interval on known inputs -------------------------------------------------------------


def test_n9_uses_the_2nd_and_8th_order_statistics():
    # by hand: P(2 <= B <= 7) for B ~ Binomial(9, 1/2) = 1 - 2 * (C(9,0) + C(9,1)) / 2^9 = 1 - 20/512
    assert ci.median_ranks(9) == (2, 8, 492 / 512)
    assert 492 / 512 == pytest.approx(0.9609, abs=5e-5)
    low, high, achieved = ci.median_ci([9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0])  # unsorted on purpose
    assert (low, high, achieved) == (2.0, 8.0, 492 / 512)


def test_n9_one_rank_narrower_would_not_reach_95_percent():
    # both spans of 5 around the middle: P(2 <= B <= 6) = P(3 <= B <= 7) = (36+84+126+126+84)/512 = 0.89
    assert sum(math.comb(9, i) for i in range(2, 7)) / 512 < 0.95
    assert ci.median_ranks(9, confidence=0.89).upper_rank - ci.median_ranks(9, confidence=0.89).lower_rank == 5


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_too_few_samples_give_the_full_range_and_the_coverage_reached(n):
    samples = [float(x) for x in range(10, 10 + n)][::-1]
    low, high, achieved = ci.median_ci(samples)
    assert (low, high) == (10.0, 10.0 + n - 1)
    assert achieved == (0.0 if n == 1 else 1 - 2 / 2**n)  # 0.5, 0.75, 0.875, 0.9375: all below 0.95
    assert achieved < 0.95


def test_six_samples_reach_95_percent_with_the_full_range():
    assert ci.median_ranks(6) == (1, 6, 1 - 2 / 64)


def test_ties_give_an_interval_on_the_tied_value():
    assert ci.median_ci([5.0] * 9)[:2] == (5.0, 5.0)
    assert ci.median_ci([1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.0])[:2] == (2.0, 2.0)
    assert ci.median_ci([3.0, 1.0, 1.0, 2.0, 3.0, 1.0, 2.0, 2.0, 3.0])[:2] == (1.0, 3.0)


def _smallest_span_by_exhaustion(n: int, confidence: float) -> tuple[int, int, float]:
    best = None
    for j in range(1, n + 1):
        for k in range(j + 1, n + 1):
            coverage = sum(math.comb(n, i) for i in range(j, k)) / 2**n
            key = (k - j, -coverage, j)  # fewest ranks apart, then highest coverage, then the lower one
            if coverage >= confidence and (best is None or key < best[0]):
                best = (key, (j, k, coverage))
    return best[1] if best else (1, n, 1 - 2 / 2**n)


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
def test_ranks_are_the_smallest_span_found_by_trying_every_pair(confidence):
    for n in range(2, 31):
        assert ci.median_ranks(n, confidence) == _smallest_span_by_exhaustion(n, confidence), n


def test_large_samples_keep_exact_coverage():
    ranks = ci.median_ranks(5000)  # 2^5000 is far past a float; the comparison stays in integers
    assert 0.95 <= ranks.coverage < 0.955
    assert ranks.lower_rank < 2500 < ranks.upper_rank


@pytest.mark.parametrize(
    ("samples", "confidence", "message"),
    [
        ([], 0.95, "non-empty"),
        ([1.0, float("nan"), 2.0], 0.95, "not finite"),
        ([1.0, float("inf")], 0.95, "not finite"),
        ([[1.0, 2.0]], 0.95, "one-dimensional"),
        ([1.0, 2.0], 1.0, "between 0 and 1"),
        ([1.0, 2.0], 95, "between 0 and 1"),
    ],
)
def test_bad_input_is_refused_with_a_message(samples, confidence, message):
    with pytest.raises(ValueError, match=message):
        ci.median_ci(samples, confidence)


def test_relative_half_width_takes_the_farther_end():
    samples = [14.0, 10.0, 10.0, 13.0, 10.0, 10.0, 11.0, 12.0, 10.0]  # sorted: x(2) = 10, x(8) = 13, median 10
    assert ci.relative_half_width(samples) == pytest.approx(0.3)
    assert ci.precision_reached(samples, 0.3)
    assert not ci.precision_reached(samples, 0.29)
    assert ci.relative_half_width(list(range(1, 10))) == pytest.approx(3 / 5)


def test_one_sample_has_no_precision():
    assert ci.relative_half_width([2.0]) == math.inf
    assert not ci.precision_reached([2.0], 0.5)
    with pytest.raises(ValueError, match="positive fraction"):
        ci.precision_reached([1.0, 2.0], 0.0)


# --- coverage of the median's interval -----------------------------------------------------------------


def median_coverage(n: int, trials: int = TRIALS, seed: int = 1) -> float:
    """Share of trials whose interval contains the true median of lognormal(log 0.2, 0.5) times."""
    true_median = 0.2
    samples = np.random.default_rng(seed).lognormal(math.log(true_median), 0.5, size=(trials, n))
    hits = [ci.median_ci(row).low <= true_median <= ci.median_ci(row).high for row in samples]
    return float(np.mean(hits))


@pytest.mark.parametrize("n", [6, 9, 15, 30])
def test_median_interval_covers_the_true_median(n):
    coverage = median_coverage(n)
    assert 0.90 <= coverage <= 0.99
    exact = ci.median_ranks(n).coverage
    assert abs(coverage - exact) <= 3 * math.sqrt(exact * (1 - exact) / TRIALS)  # within 3 binomial sd


# --- ratios of paired, interleaved rounds under drift --------------------------------------------------


def random_walk(rng: np.random.Generator, trials: int, turns: int, step: float = 0.03) -> np.ndarray:
    """log of a slowly wandering machine speed, one value per turn (one run of one arm)."""
    return np.cumsum(rng.normal(0.0, step, size=(trials, turns)), axis=1)


def sine(rng: np.random.Generator, trials: int, turns: int, amplitude: float = 0.3, period: int = 60) -> np.ndarray:
    """log of a machine speed swinging by +-30% with a period of 60 turns, from a random phase."""
    phase = rng.uniform(0.0, 2 * math.pi, size=(trials, 1))
    return amplitude * np.sin(2 * math.pi * np.arange(turns) / period + phase)


DRIFTS = {"random_walk": random_walk, "sine": sine}


def interleaved_times(rng, drift, trials=TRIALS, rounds=ROUNDS, ratio=TRUE_RATIO) -> np.ndarray:
    """Times of (method, reference, A/A copy), shape (trials, rounds, 3), each round in an order from
    ``pairs.shuffled``; a run's time is its true time x the drift at its turn x its own lognormal noise."""
    orders = np.array([[pairs.shuffled(range(ARMS), rng) for _ in range(rounds)] for _ in range(trials)])
    turn_in_round = np.argsort(orders, axis=2)  # orders[..., p] is the arm at position p; this inverts it
    log_drift = drift(rng, trials, rounds * ARMS).reshape(trials, rounds, ARMS)
    drift_at_turn = np.take_along_axis(log_drift, turn_in_round, axis=2)
    noise = rng.normal(0.0, NOISE_SIGMA, size=(trials, rounds, ARMS))
    return np.array([ratio, 1.0, 1.0]) * np.exp(drift_at_turn + noise)


def paired_coverage(drift_name: str, seed: int = 2) -> tuple[float, float]:
    """Share of trials whose 95% interval contains the true ratio, and whose A/A interval contains 1."""
    times = interleaved_times(np.random.default_rng(seed), DRIFTS[drift_name])
    ratio_hits = [pairs.paired_ratio(t[:, 0], t[:, 1]).contains(TRUE_RATIO) for t in times]
    aa_hits = [pairs.aa_control(t[:, 1], t[:, 2])[1] for t in times]
    return float(np.mean(ratio_hits)), float(np.mean(aa_hits))


def bootstrap_ratio_of_medians(method, reference, rng, resamples=1000) -> tuple[float, float]:
    """The unpaired approach: a percentile-bootstrap 95% interval of median(method) / median(reference),
    each sample resampled on its own, as if the two were measured independently."""
    n = len(method)
    method_medians = np.median(method[rng.integers(0, n, size=(resamples, n))], axis=1)
    reference_medians = np.median(reference[rng.integers(0, n, size=(resamples, n))], axis=1)
    low, high = np.percentile(method_medians / reference_medians, [2.5, 97.5])
    return float(low), float(high)


def unpaired_coverage(drift_name: str, seed: int = 3) -> float:
    """Today's design: each method in its own job, one after the other, analysed as independent samples."""
    rng = np.random.default_rng(seed)
    log_drift = DRIFTS[drift_name](rng, TRIALS, 2 * ROUNDS)  # the method's runs, then the reference's
    noise = rng.normal(0.0, NOISE_SIGMA, size=(TRIALS, 2 * ROUNDS))
    method = TRUE_RATIO * np.exp(log_drift[:, :ROUNDS] + noise[:, :ROUNDS])
    reference = np.exp(log_drift[:, ROUNDS:] + noise[:, ROUNDS:])
    intervals = [bootstrap_ratio_of_medians(m, r, rng) for m, r in zip(method, reference, strict=True)]
    return float(np.mean([low <= TRUE_RATIO <= high for low, high in intervals]))


def half_widths(drift_name: str, seed: int = 4) -> tuple[float, float]:
    """Median relative half-width of the paired interval, and of the unpaired one on the same interleaved
    runs: pairing removes the drift from the ratio, ignoring the pairs leaves it in the spread."""
    rng = np.random.default_rng(seed)
    times = interleaved_times(rng, DRIFTS[drift_name])
    paired = [pairs.paired_ratio(t[:, 0], t[:, 1]).relative_half_width for t in times]
    unpaired = []
    for t in times:
        low, high = bootstrap_ratio_of_medians(t[:, 0], t[:, 1], rng)
        estimate = np.median(t[:, 0]) / np.median(t[:, 1])
        unpaired.append(max(estimate - low, high - estimate) / estimate)
    return float(np.median(paired)), float(np.median(unpaired))


@pytest.mark.parametrize("drift_name", sorted(DRIFTS))
def test_paired_ratio_covers_the_true_ratio_under_drift(drift_name):
    ratio_coverage, aa_coverage = paired_coverage(drift_name)
    assert 0.90 <= ratio_coverage <= 0.99
    assert 0.90 <= aa_coverage <= 0.99  # the A/A control contains 1.0 about as often


@pytest.mark.parametrize("drift_name", sorted(DRIFTS))
def test_unpaired_ratio_of_separate_medians_misses_under_the_same_drift(drift_name):
    paired, _ = paired_coverage(drift_name)
    unpaired = unpaired_coverage(drift_name)
    assert unpaired < 0.75
    assert paired - unpaired > 0.2


@pytest.mark.parametrize("drift_name", sorted(DRIFTS))
def test_pairing_narrows_the_interval_of_interleaved_runs(drift_name):
    paired, unpaired = half_widths(drift_name)
    assert paired < 0.75 * unpaired


def test_paired_ratio_on_known_rounds():
    reference = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]  # a drift of 2x per round
    ratios = [0.5, 0.55, 0.6, 0.62, 0.62, 0.64, 0.7, 0.75, 0.8]
    estimate = pairs.paired_ratio([r * t for r, t in zip(ratios, reference, strict=True)], reference)
    assert estimate.value == pytest.approx(0.62)
    assert (estimate.low, estimate.high) == pytest.approx((0.55, 0.75))  # the 2nd and 8th of 9 ratios
    assert estimate.confidence == 492 / 512 and estimate.n == 9


def test_paired_ratio_refuses_unmatched_or_non_positive_times():
    with pytest.raises(ValueError, match="one time of each per round"):
        pairs.paired_ratio([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="positive times"):
        pairs.paired_ratio([1.0, 0.0], [1.0, 1.0])


def test_aa_control_flags_an_interval_that_excludes_one():
    first = [1.0] * 9
    estimate, contains_one = pairs.aa_control(first, [1.2, 1.25, 1.3, 1.22, 1.28, 1.24, 1.26, 1.21, 1.27])
    assert not contains_one and estimate.low > 1.0
    assert pairs.aa_control(first, [0.98, 1.03, 1.0, 0.99, 1.02, 1.01, 0.97, 1.04, 1.0])[1]


# --- the round schedule and the stopping rule of a comparison ------------------------------------------


def test_shuffled_is_seeded_and_gives_every_position_alike():
    items = ["hdf5", "lmdb", "npy"]
    orders = [pairs.shuffled(items, np.random.default_rng(7)) for _ in range(2)]
    assert orders[0] == orders[1]  # the same seed, the same schedule
    rng = np.random.default_rng(8)
    rounds = [pairs.shuffled(items, rng) for _ in range(3000)]
    assert all(sorted(order) == items for order in rounds)
    assert items == ["hdf5", "lmdb", "npy"]  # the input is left alone
    first_share = {item: np.mean([order[0] == item for order in rounds]) for item in items}
    assert all(0.30 < share < 0.37 for share in first_share.values())
    assert len({tuple(order) for order in rounds}) == 6  # every order of three occurs


def run_comparison(rounds: pairs.PairedRounds, noise: float, seed: int, drift_step: float = 0.03) -> None:
    """Drive a comparison as the harness will: each round in the order it asks for, times drifting."""
    true_seconds = {"hdf5": 0.62, "lmdb": 1.5, "npy": 1.0}
    rng = np.random.default_rng(seed)
    log_speed = 0.0
    while not rounds.done:
        times = {}
        for arm in rounds.next_order():
            log_speed += rng.normal(0.0, drift_step)
            times[arm] = true_seconds[arm.method] * math.exp(log_speed + rng.normal(0.0, noise))
        rounds.add_round(times)


def comparison(max_seconds=1000.0, seed=5, **options) -> pairs.PairedRounds:
    return pairs.PairedRounds(["hdf5", "lmdb", "npy"], "npy", max_seconds, np.random.default_rng(seed), **options)


def stopped_coverage(trials: int = TRIALS, noise: float = 0.03, drift_step: float = 0.02) -> dict[str, float]:
    """Coverage when each comparison stops by the precision rule: stopping on the interval's width must not
    bias where the interval lies (optional stopping), and the A/A interval must still contain 1."""
    hits = {"hdf5": [], "lmdb": [], "A/A": [], "mean_rounds": []}
    for trial in range(trials):
        rounds = comparison(seed=100 + trial)
        run_comparison(rounds, noise=noise, seed=trial, drift_step=drift_step)
        ratios = rounds.ratios()
        hits["hdf5"].append(ratios["hdf5"].contains(0.62))
        hits["lmdb"].append(ratios["lmdb"].contains(1.5))
        hits["A/A"].append(rounds.aa_contains_one)
        hits["mean_rounds"].append(rounds.rounds)
    return {key: float(np.mean(values)) for key, values in hits.items()}


def test_rounds_include_the_aa_arm_and_stop_at_nine_when_precise():
    rounds = comparison()
    assert sorted(map(str, rounds.next_order())) == ["hdf5", "lmdb", "npy", "npy (A/A)"]
    run_comparison(rounds, noise=0.005, seed=1, drift_step=0.003)
    assert rounds.rounds == pairs.MIN_ROUNDS and rounds.stop_reason == sampling.StopReason.PRECISION
    ratios = rounds.ratios()
    assert sorted(ratios) == ["hdf5", "lmdb"]
    assert ratios["hdf5"].contains(0.62) and ratios["lmdb"].contains(1.5)
    assert rounds.aa_contains_one and rounds.precision_reached <= 0.05


def test_noisier_rounds_continue_until_precise():
    rounds = comparison()
    run_comparison(rounds, noise=0.08, seed=2)
    assert rounds.rounds > pairs.MIN_ROUNDS and rounds.stop_reason == sampling.StopReason.PRECISION
    assert all(estimate.within(0.05) for estimate in [*rounds.ratios().values(), rounds.aa()])


def test_intervals_keep_their_coverage_when_rounds_stop_by_precision():
    coverage = stopped_coverage()
    assert coverage["mean_rounds"] > pairs.MIN_ROUNDS + 2  # the rule did stop at different counts
    assert all(0.90 <= coverage[arm] <= 0.99 for arm in ["hdf5", "lmdb", "A/A"])


def test_rounds_stop_at_the_budget_with_the_precision_reached():
    rounds = comparison(max_seconds=60.0)  # a round takes about 4.1 s
    run_comparison(rounds, noise=0.3, seed=3)
    assert rounds.stop_reason == sampling.StopReason.BUDGET and rounds.rounds > pairs.MIN_ROUNDS
    per_round = np.sum([rounds.seconds(arm) for arm in rounds.arms], axis=0)
    # the rule: stop once one more round, as long as the median round so far, would pass max_seconds
    assert per_round.sum() + np.median(per_round) > 60.0
    assert per_round[:-1].sum() + np.median(per_round[:-1]) <= 60.0
    assert rounds.precision_reached > 0.05 and math.isfinite(rounds.precision_reached)


def test_min_rounds_win_over_the_budget_and_max_rounds_end_it():
    rounds = comparison(max_seconds=1.0)
    run_comparison(rounds, noise=0.3, seed=4)
    assert rounds.rounds == pairs.MIN_ROUNDS and rounds.stop_reason == sampling.StopReason.BUDGET
    rounds = comparison(max_rounds=12)
    run_comparison(rounds, noise=0.3, seed=5)
    assert rounds.rounds == 12 and rounds.stop_reason == sampling.StopReason.MAX_REPEATS


def test_a_round_needs_every_arm_and_the_reference_must_be_compared():
    rounds = comparison()
    with pytest.raises(ValueError, match=r"missing \['npy \(A/A\)'\]"):
        rounds.add_round({pairs.Arm("hdf5"): 1.0, pairs.Arm("lmdb"): 1.0, pairs.Arm("npy"): 1.0})
    with pytest.raises(ValueError, match="must be finite and positive"):
        rounds.add_round({arm: -1.0 for arm in rounds.arms})
    assert rounds.rounds == 0 and not rounds.done
    with pytest.raises(ValueError, match="must be one of the methods"):
        pairs.PairedRounds(["hdf5"], "npy", 10.0, np.random.default_rng(0))


# --- the adaptive sampler of one measurement -----------------------------------------------------------


def feed(sampler: sampling.AdaptiveSampler, values) -> int:
    for count, value in enumerate(values, start=1):
        sampler.add(value)
        if sampler.done:
            return count
    raise AssertionError("the sampler never said done")


def test_constant_samples_stop_once_the_interval_has_95_percent():
    """Three equal samples are within any precision, but their range has only 75% confidence: a precise
    measurement needs the 6 samples a 95% interval needs (min_repeats 3 is what a budget-stopped one has)."""
    sampler = sampling.AdaptiveSampler(max_seconds=100.0)
    assert feed(sampler, [0.5] * 50) == 6
    assert sampler.stop_reason == sampling.StopReason.PRECISION and sampler.precision_reached == 0.0
    assert sampler.estimate().confidence >= 0.95
    short = sampling.AdaptiveSampler(max_seconds=1.0)  # budget for 2: min_repeats 3 win, then it stops
    assert feed(short, [0.5] * 50) == 3 and short.stop_reason == sampling.StopReason.BUDGET


def test_noisy_samples_continue_until_the_interval_is_within_precision():
    values = np.random.default_rng(6).lognormal(math.log(0.5), 0.1, size=500)
    sampler = sampling.AdaptiveSampler(max_seconds=1000.0)
    count = feed(sampler, values)
    assert count > 3 and sampler.stop_reason == sampling.StopReason.PRECISION
    assert sampler.precision_reached <= 0.05 and sampler.estimate().confidence >= 0.95
    assert not ci.precision_reached(values[: count - 1], 0.05)  # one sample earlier it was not


def test_sampler_stops_before_the_budget_would_be_passed():
    sampler = sampling.AdaptiveSampler(max_seconds=10.0)
    count = feed(sampler, [1.0, 2.0] * 50)  # never within 5%: the budget ends it
    assert sampler.stop_reason == sampling.StopReason.BUDGET
    assert sampler.timed_seconds <= 10.0 and sampler.timed_seconds + 1.5 > 10.0
    assert count == 6 and sampler.precision_reached == pytest.approx(0.5 / 1.5)


def test_min_repeats_win_over_the_budget():
    sampler = sampling.AdaptiveSampler(max_seconds=60.0)
    assert feed(sampler, [30.0, 33.0, 36.0, 39.0]) == 3  # 99 s: the row still has its three samples
    assert sampler.stop_reason == sampling.StopReason.BUDGET


def test_max_repeats_end_a_noisy_measurement():
    sampler = sampling.AdaptiveSampler(max_seconds=1e9, max_repeats=10)
    assert feed(sampler, [1.0, 2.0] * 50) == 10
    assert sampler.stop_reason == sampling.StopReason.MAX_REPEATS


def test_samples_of_loops_count_their_whole_time():
    sampler = sampling.AdaptiveSampler(max_seconds=1.0)
    sampler.add(0.002, loops=50)
    assert sampler.loops == 50 and sampler.timed_seconds == pytest.approx(0.1)
    assert sampler.samples == (0.002,) and not sampler.done
    with pytest.raises(ValueError, match="same loop count"):
        sampler.add(0.002, loops=40)
    with pytest.raises(ValueError, match="finite, positive"):
        sampler.add(float("nan"), loops=50)


def test_sampler_refuses_bad_settings():
    with pytest.raises(ValueError, match="max_seconds"):
        sampling.AdaptiveSampler(max_seconds=0)
    with pytest.raises(ValueError, match="minimum <= maximum"):
        sampling.AdaptiveSampler(max_seconds=1.0, min_repeats=0)


# --- loop calibration ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [1e-6, 3e-4, 0.003, 0.01, 0.033, 0.0999, 0.1, 0.7])
def test_loops_make_a_sample_last_the_target(seconds):
    loops = sampling.loops_for(seconds)
    assert loops * seconds >= 0.1
    assert loops == 1 or (loops - 1) * seconds < 0.1  # and no loop more than needed


def test_loop_calibration_predicts_then_checks():
    calls = []

    def time_loops(k):  # an operation of 3 ms per run whose first run is slower (a cold cache)
        calls.append(k)
        return 0.05 if k == 1 else 0.003 * k

    calibration = sampling.calibrate_loops(time_loops)
    assert calibration.loops * 0.003 >= 0.1 and calibration.seconds >= 0.1
    assert calls == [1, 2, 34]  # 1 run said 50 ms (2 loops), 2 runs said 3 ms each (34 loops)


def test_loop_calibration_of_a_real_operation_reaches_its_target():
    def time_loops(k):
        import time

        start = time.perf_counter()
        for _ in range(k):
            sum(range(2000))
        return time.perf_counter() - start

    calibration = sampling.calibrate_loops(time_loops, target_seconds=0.01)
    assert calibration.loops > 1 and calibration.seconds >= 0.01


def test_loop_calibration_gives_up_on_an_operation_that_takes_no_time():
    with pytest.raises(ValueError, match="too short to time"):
        sampling.calibrate_loops(lambda k: 0.0, max_loops=64)


def test_an_operation_prepared_longer_than_it_runs_is_not_looped():
    assert sampling.loops_per_sample(0.001, 0.1) == sampling.loops_for(0.001, 0.1) == 100
    assert sampling.loops_per_sample(0.001, 0.1, preparation_seconds=0.0009) == 100
    assert sampling.loops_per_sample(0.001, 0.1, preparation_seconds=0.014) == 1  # disk's cold first image
    assert sampling.loops_per_sample(0.001, 0.0) == 1  # no target: a method with a service
