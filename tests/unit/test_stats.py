"""`mean_ci` and `p_better` against scipy on known data, and the properties a reader of the report
relies on: the interval is Student-t's, P(A beats B) is symmetric and follows the metric's direction."""

import numpy as np
import pytest
from scipy import stats

from socialsim.stats import mean_ci, p_better

DATA = [3.1, 2.4, 5.0, 4.2, 3.3]


def test_mean_ci_is_the_student_t_interval():
    mean, (lo, hi) = mean_ci(DATA)
    expected = stats.t.interval(0.95, df=len(DATA) - 1, loc=np.mean(DATA), scale=stats.sem(DATA))
    assert mean == pytest.approx(3.6)
    assert (lo, hi) == pytest.approx(expected, rel=1e-12)


def test_mean_ci_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    samples = rng.normal(10.0, 2.0, size=(2000, 4))  # 2000 studies of 4 replications
    covered = [lo <= 10.0 <= hi for lo, hi in (mean_ci(s)[1] for s in samples)]
    assert np.mean(covered) == pytest.approx(0.95, abs=0.015)


def test_mean_ci_of_one_value_or_no_spread_is_a_point():
    assert mean_ci([2.5]) == (2.5, (2.5, 2.5))
    assert mean_ci([1.0, 1.0, 1.0]) == (1.0, (1.0, 1.0))


def test_p_better_is_the_t_probability_that_the_mean_difference_favours_a():
    d = np.array([0.5, -0.1, 0.8, 0.3])
    expected = stats.t.cdf(d.mean() / stats.sem(d), len(d) - 1)
    assert p_better(d, higher_is_better=True) == pytest.approx(expected, rel=1e-12)
    assert 0.5 < p_better(d, True) < 1.0


def test_p_better_is_symmetric_and_flips_with_the_direction():
    d = np.array([0.5, -0.1, 0.8, 0.3])
    assert p_better(d, True) + p_better(-d, True) == pytest.approx(1.0)
    assert p_better(d, False) == pytest.approx(p_better(-d, True))
    assert p_better(d, False) == pytest.approx(1.0 - p_better(d, True))


def test_p_better_is_one_half_at_zero_mean_difference():
    assert p_better(np.array([1.0, -1.0, 2.0, -2.0]), True) == pytest.approx(0.5)
    assert p_better(np.zeros(3), True) == 0.5
    # no spread at all (0.25 is exact in binary, so the standard error is exactly 0): certainty
    assert p_better(np.full(3, 0.25), True) == 1.0 and p_better(np.full(3, 0.25), False) == 0.0
