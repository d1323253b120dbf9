"""Power-law fits with bootstrap intervals, on samples whose exponent is known by construction."""

import numpy as np
import pytest

from polylr import PolylrError
from polylr.analysis.rates import fit_rate

WIDTHS = [64, 128, 256, 512, 1024, 2048]


@pytest.mark.parametrize("statistic", ["mean_abs", "sd"])
@pytest.mark.parametrize("true_exponent", [-0.5, -1.0, 0.0])
def test_bootstrap_interval_covers_the_true_exponent_95_percent_of_the_time(true_exponent, statistic):
    """Over 100 independent campaigns of seeds whose spread scales exactly like n^p, the 95 % interval
    must contain p about 95 times (binomial sd 2.2: accept 88..99)."""
    covered = 0
    for r in range(100):
        rng = np.random.default_rng(1000 + r)
        samples = [3.0 * n**true_exponent * rng.standard_normal(50) for n in WIDTHS]
        fit = fit_rate(WIDTHS, samples, statistic=statistic, n_boot=400, boot_seed=r)
        covered += fit.ci[0] <= true_exponent <= fit.ci[1]
    assert 88 <= covered <= 99, covered


def test_interval_widens_with_fewer_seeds_and_is_reproducible():
    rng = np.random.default_rng(3)
    few = [n**-0.5 * rng.standard_normal(4) for n in WIDTHS]
    many = [n**-0.5 * rng.standard_normal(400) for n in WIDTHS]
    a, b = fit_rate(WIDTHS, few, n_boot=400), fit_rate(WIDTHS, many, n_boot=400)
    assert a.ci[1] - a.ci[0] > 3 * (b.ci[1] - b.ci[0])
    assert fit_rate(WIDTHS, few, n_boot=400).ci == a.ci  # same boot seed, same interval


def test_bad_inputs():
    with pytest.raises(PolylrError, match="at least 2 widths"):
        fit_rate([64], [np.ones(3)])
    with pytest.raises(PolylrError, match="statistic"):
        fit_rate(WIDTHS[:2], [np.ones(3)] * 2, statistic="median")
    with pytest.raises(PolylrError, match="is 0 at width"):
        fit_rate(WIDTHS[:2], [np.zeros(3), np.ones(3)])


@pytest.mark.parametrize(("where", "end"), [(0, 1), (-1, 0)])
def test_resamples_with_a_zero_statistic_are_kept_as_infinite_slopes(where, end):
    """With 2 seeds at one width, half the resamples repeat a seed, so their sd there is 0 and the
    slope is ±∞ (+∞ if that width is the smallest, −∞ if the largest): far more than 2.5 % of the
    resamples, so that end of the 95 % interval is infinite; dropping them would hide this."""
    rng = np.random.default_rng(7)
    samples = [n**-0.5 * rng.standard_normal(40) for n in WIDTHS]
    samples[where] = samples[where][:2]
    fit = fit_rate(WIDTHS, samples, statistic="sd", n_boot=400)
    assert np.isfinite(fit.exponent) and np.isfinite(fit.ci[1 - end])
    assert fit.ci[end] == (np.inf if end == 1 else -np.inf)
