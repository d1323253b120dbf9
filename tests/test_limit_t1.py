"""The t = 1 infinite-width limit: closed form, Monte Carlo agreement, and the μP coordinate check."""

from fractions import Fraction

import numpy as np
import pytest
from reference import feature_update

import polylr
from polylr.analysis.argmin import argmin
from polylr.engines.limit import eta_inf_t1, limit_t1
from polylr.analysis.rates import fit_rate
from polylr.testing import assert_exponent
from tolerances import CLOSED_FORM_REL, ROUNDING_REL


def test_eta_inf_is_the_argmin_of_the_limit_loss():
    setup = polylr.Setup(data=polylr.Data.synthetic(12, 5, seed=3), depth=2)
    lim = limit_t1(setup, exact=True)
    eta = eta_inf_t1(setup)
    # Exact: the vertex of the exact quadratic is -a1 / (2 a2).
    a0, a1, a2 = lim.loss.coeffs
    assert float(-a1 / (2 * a2)) == eta
    assert argmin(lim.loss, 0, 4 * eta).eta == pytest.approx(eta, rel=ROUNDING_REL)


def test_closed_form_against_direct_linear_algebra():
    data = polylr.Data.synthetic(9, 3, seed=5)
    setup = polylr.Setup(data=data, depth=3)
    K = data.X @ data.X.T / data.d
    Ky = K @ data.y
    assert eta_inf_t1(setup) == pytest.approx((data.m / 3) * data.y @ Ky / (Ky @ Ky), rel=CLOSED_FORM_REL)
    lim = limit_t1(setup)
    np.testing.assert_allclose([p.coeffs[1] for p in lim.outputs], 3 / data.m * Ky, rtol=CLOSED_FORM_REL)
    exact = limit_t1(setup, exact=True)
    assert exact.loss.domain == "QQ" and isinstance(exact.loss.coeffs[0], Fraction)
    assert exact.loss.max_rel_diff(lim.loss) < ROUNDING_REL


def test_mc_eta_coefficient_converges_to_closed_form_at_width_2048():
    """At n = 2048 the seed mean of the η¹ coefficient of f^(1)(x_i) is (L/m)(Ky)_i within 4 SE."""
    setup = polylr.Setup(data=polylr.Data.synthetic(8, 4, seed=0), depth=2)
    seeds = 40
    polys = polylr.finite_width_polys(setup, 2048, range(seeds), master_seed=11)
    c1 = polys.outputs[:, 1, :]
    target = np.array([p.coeffs[1] for p in limit_t1(setup).outputs])
    se = c1.std(axis=0, ddof=1) / np.sqrt(seeds)
    z = (c1.mean(axis=0) - target) / se
    assert np.all(np.abs(z) < 4), z
    # The test has power: the target is far from zero relative to the standard error.
    assert np.all(np.abs(target) > 10 * se)


def test_mc_constant_coefficient_shrinks_like_inverse_sqrt_width():
    """f^(0) = O(n^-1/2): the whole 95 % bootstrap interval (over seeds) of the exponent of the RMS
    output lies within 0.15 of -1/2. Per seed, the RMS over the data points."""
    setup = polylr.Setup(data=polylr.Data.synthetic(8, 4, seed=0), depth=2)
    rms = {
        w: np.sqrt(np.mean(polylr.finite_width_polys(setup, w, range(32), master_seed=3).outputs[:, 0, :] ** 2, axis=1))
        for w in [64, 128, 256, 512, 1024]
    }
    assert_exponent(rms, -0.5, tol=0.15, statistic="rms", n_boot=200, name="f^(0)")


@pytest.mark.parametrize("param, expected", [("mup", 0.0), ("sp", 0.5), ("ntp", -0.5)])
def test_coordinate_check_feature_update(param, expected):
    """Size (RMS coordinate) of the feature update h_L^(1) − h_L^(0) at η = 1: Θ(1) under μP, growing
    like n^{1/2} under SP, vanishing like n^{-1/2} under NTP (hidden learning rate η/n)."""
    setup = polylr.Setup(data=polylr.Data.synthetic(8, 4, seed=1), depth=2, param=param)
    widths = [64, 128, 256, 512, 1024]
    samples = []
    for w in widths:
        sizes = []
        for seed in range(6):
            W0, Ws, V = (np.asarray(a) for a in polylr.draw_weights(polylr.weight_key(0, w, seed), setup, w))
            s = setup.param.scales(w, setup.data.d)
            dh = feature_update(setup.data.X, setup.data.y, W0, Ws, V, 1.0, s.lrs)
            sizes.append(np.sqrt(np.mean(dh**2)))
        samples.append(np.array(sizes))
    fit = fit_rate(widths, samples, statistic="rms", n_boot=200)
    assert abs(fit.exponent - expected) <= 0.15, (param, fit.exponent)


def test_ky_zero_is_a_clear_error():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([1.0, 1.0, -1.0, -1.0])  # Xᵀy = 0
    setup = polylr.Setup(data=polylr.Data(X, y))
    with pytest.raises(polylr.PolylrError, match="K y = 0"):
        eta_inf_t1(setup)
    with pytest.raises(polylr.PolylrError, match="K y = 0"):
        limit_t1(setup)


def test_limit_rejects_other_parametrizations():
    with pytest.raises(polylr.PolylrError, match="supports μP"):
        limit_t1(polylr.Setup(param="sp"))
