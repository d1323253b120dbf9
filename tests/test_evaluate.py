"""Evaluation mode: limit values against the exact polynomials, gradient descent against the
coefficient engine and the numpy reference, and the grid argmin against the certified argmin."""

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import polylr
from polylr.analysis.argmin import argmin
from polylr.testing import assert_polynomial_matches

sys.path.insert(0, str(Path(__file__).parent))
from reference import gd_loss  # noqa: E402
from tolerances import ARGMIN_ABS, EVALUATION_FLOOR_REL, EVALUATION_REL, GD_ARGMIN_TOL, GRID_ARGMIN_ABS, POLY_VS_GD_REL, ROUNDING_REL, SAME_QUANTITY_REL

# -- the limit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("depth", "steps"), [(1, 3), (2, 2), (3, 2), (2, 3), (3, 3)])
def test_limit_values_equal_exact_polynomial(depth, steps):
    setup = polylr.Setup(polylr.Data.synthetic(12, 5, seed=depth + steps), depth, steps)
    lim = polylr.limit_polys(setup, exact=True)
    etas = np.linspace(0.0, 2.0, 17)
    exact_loss = np.array([float(lim.loss(Fraction(e))) for e in etas])
    exact_out = np.array([[float(p(Fraction(e))) for p in lim.outputs] for e in etas])
    np.testing.assert_allclose(polylr.limit_loss_values(setup, etas), exact_loss, rtol=EVALUATION_REL, atol=0)
    out = polylr.limit_output_values(setup, etas)
    assert out.shape == (etas.size, setup.data.m)
    np.testing.assert_allclose(out, exact_out, rtol=EVALUATION_REL, atol=EVALUATION_FLOOR_REL * np.abs(exact_out).max())


def test_limit_values_at_large_t_run_and_start_at_the_initial_loss():
    data = polylr.Data.synthetic(16, 8, seed=0)
    etas = np.linspace(0.0, 1.0, 11)
    for steps in (5, 10):
        v = polylr.limit_loss_values(polylr.Setup(data, 3, steps), etas)
        assert v.shape == etas.shape and np.all(np.isfinite(v))
        assert v[0] == pytest.approx(np.sum(data.y**2) / (2 * data.m), rel=ROUNDING_REL)
        assert v[1:].min() < v[0]  # small steps decrease the loss


def test_limit_values_overflow_to_inf_without_warnings():
    setup = polylr.Setup(polylr.Data.synthetic(4, 2, seed=0), 3, 10)
    v = polylr.limit_loss_values(setup, [0.1, 1e30])
    assert np.isfinite(v[0]) and v[1] == np.inf


# -- finite width: gradient descent -----------------------------------------------------------


def _poly_values_and_scale(coeffs, etas):
    powers = np.asarray(etas)[:, None] ** np.arange(coeffs.shape[-1])
    return coeffs @ powers.T, np.abs(coeffs) @ powers.T


@pytest.mark.parametrize(("depth", "steps"), [(3, 3)])  # more cases in the Monte Carlo tests
def test_finite_values_match_coefficient_engine_at_same_seeds(depth, steps):
    setup = polylr.Setup(polylr.Data.synthetic(6, 3, seed=2), depth, steps)
    seeds, width = [0, 3, 7], 48
    etas = np.linspace(0.0, 1.5, 13)
    fw = polylr.finite_width_polys(setup, width, seeds)
    values = polylr.finite_loss_values(setup, width, seeds, etas)
    assert values.shape == (3, etas.size)
    poly, scale = _poly_values_and_scale(fw.loss, etas)
    # relative to the scale at which float64 evaluation of the polynomial is meaningful
    assert np.all(np.abs(values - poly) <= EVALUATION_REL * np.maximum(scale, np.abs(values)))
    out = polylr.finite_output_values(setup, width, seeds, etas)
    opoly, oscale = _poly_values_and_scale(np.moveaxis(fw.outputs, 1, 2), etas)  # (S, m, E)
    assert np.all(np.abs(np.moveaxis(out, 1, 2) - opoly) <= EVALUATION_REL * oscale + 1e-300)
    # one grid per seed (same shapes: no recompilation): row s is seed s's own grid
    grids = np.stack([etas, etas[::-1], etas + 0.01])
    per_seed = polylr.finite_loss_values(setup, width, seeds, grids)
    np.testing.assert_array_equal(per_seed[0], values[0])
    np.testing.assert_array_equal(per_seed[1], values[1][::-1])
    assert not np.array_equal(per_seed[2], values[2])


@pytest.mark.parametrize(
    ("param", "train", "depth", "steps"), [("ntp", "all", 2, 3), ("sp", "hidden", 3, 2)]
)
@settings(max_examples=10, deadline=None)
@given(eta=st.floats(0.0, 1.0))
def test_finite_values_match_plain_numpy_gradient_descent(param, train, depth, steps, eta):
    setup = polylr.Setup(polylr.Data.synthetic(5, 3, seed=4), depth, steps, param=param, train=train)
    width, seed = 16, 5
    W0, Ws, V = (np.asarray(a) for a in polylr.draw_weights(polylr.weight_key(0, width, seed), setup, width))
    s = setup.param.scales(width, setup.data.d)
    lrs = s.lrs
    ref = gd_loss(setup.data.X, setup.data.y, W0, Ws, V, eta, steps, lrs, train == "all")
    got = polylr.finite_loss_values(setup, width, [seed], [eta])[0, 0]
    assert got == pytest.approx(ref, rel=POLY_VS_GD_REL, abs=1e-300)


def test_finite_values_bad_input():
    setup = polylr.Setup(polylr.Data.synthetic(4, 2, seed=0), 2, 2)
    with pytest.raises(polylr.PolylrError, match="one row per seed"):
        polylr.finite_loss_values(setup, 8, [0, 1, 2], np.ones((2, 2)))
    with pytest.raises(polylr.PolylrError, match="width n must be >= 1"):
        polylr.finite_loss_values(setup, 0, [0], [0.1])
    with pytest.raises(polylr.PolylrError, match="etas must be finite"):
        polylr.finite_loss_values(setup, 8, [0], [np.nan])
    with pytest.raises(polylr.PolylrError, match="seeds must be a non-empty"):
        polylr.finite_loss_values(setup, 8, [], [0.1])


# -- argmin on a grid ------------------------------------------------------------------------------


def _quartic():
    """(η − 0.3)²(η − 1.4)² + (η − 0.3)/20: minima near 0.29 and 1.39, the left one lower."""
    eta = sympy.Symbol("eta")
    r = sympy.Rational
    return polylr.EtaPoly.from_sympy((eta - r(3, 10)) ** 2 * (eta - r(14, 10)) ** 2 + (eta - r(3, 10)) / 20, eta)


@pytest.mark.parametrize(("lo", "hi"), [(0.0, 2.0), (0.5, 2.0), (0.0, 1.0), (0.35, 1.2)])
def test_grid_argmin_matches_certified_argmin(lo, hi):
    p = _quartic()
    etas = np.linspace(lo, hi, 41)
    got = polylr.argmin_on_grid(etas, p(etas), lambda e: p(e))
    want = argmin(p, lo, hi)
    assert got.eta == pytest.approx(want.eta, abs=GD_ARGMIN_TOL)
    assert got.on_boundary == want.on_boundary
    assert got.interval == (lo, hi)
    assert len(got.local_minima) == len(want.local_minima)
    for a, b in zip(got.local_minima, want.local_minima):
        assert a.eta == pytest.approx(b.eta, abs=GD_ARGMIN_TOL) and a.on_boundary == b.on_boundary


def test_grid_argmin_without_refinement_and_flat_and_errors():
    etas = np.linspace(0, 1, 11)
    a = polylr.argmin_on_grid(etas, (etas - 0.42) ** 2)
    assert a.eta == pytest.approx(0.4) and not a.on_boundary
    assert polylr.argmin_on_grid(etas, np.ones(11)).flat
    assert polylr.argmin_on_grid(etas, -etas).on_boundary
    with pytest.raises(polylr.PolylrError, match="strictly increasing"):
        polylr.argmin_on_grid(etas[::-1], etas)
    with pytest.raises(polylr.PolylrError, match="shape"):
        polylr.argmin_on_grid(etas, etas[:-1])
    with pytest.raises(polylr.PolylrError, match="non-finite"):
        polylr.argmin_on_grid(etas, np.full(11, np.inf))


@pytest.mark.parametrize(("depth", "steps"), [(2, 2), (3, 3)])
def test_grid_argmin_of_limit_values_matches_certified_argmin_of_limit_polynomial(depth, steps):
    setup = polylr.Setup(polylr.Data.synthetic(16, 8, seed=0), depth, steps)
    lo, hi = 0.0, 1.5
    want = argmin(polylr.limit_polys(setup, exact=True).loss, lo, hi)
    etas = np.linspace(lo, hi, 31)
    got = polylr.argmin_on_grid(etas, polylr.limit_loss_values(setup, etas), lambda e: polylr.limit_loss_values(setup, e))
    assert got.eta == pytest.approx(want.eta, rel=GD_ARGMIN_TOL)
    assert got.value == pytest.approx(want.value, rel=SAME_QUANTITY_REL)
    assert got.on_boundary == want.on_boundary


# -- Monte Carlo at large t: evaluation mode of the limit against gradient descent ---------------


def _large_t_z_scores(depth, steps, width, n_seeds):
    """z = (MC mean of f_n^(t) − f_∞^(t)) / SE at three η, by gradient descent and by the
    interpreter on values; also for the lazy (kernel GD) alternative, which must be rejected."""
    base = polylr.Data.synthetic(4, 3, seed=1)
    data = polylr.Data(base.X, 3 * base.y)
    setup = polylr.Setup(data, depth, steps)
    etas = np.array([0.25, 0.5, 0.75])
    f = polylr.finite_output_values(setup, width, range(n_seeds), etas)  # (S, E, m)
    # control variate: f^(0) (the output at η = 0, same networks) has mean exactly 0
    f0 = polylr.finite_output_values(setup, width, range(n_seeds), np.zeros(3))[:, :1, :]
    g = f - f0
    mean, se = g.mean(0), g.std(0, ddof=1) / np.sqrt(n_seeds)
    lazy = np.zeros((etas.size, data.m))
    for _ in range(steps):
        lazy = lazy + etas[:, None] * depth * (data.y - lazy) @ data.K / data.m
    return (mean - polylr.limit_output_values(setup, etas)) / se, (mean - lazy) / se


def test_monte_carlo_mean_matches_limit_values_at_t5_width_256():
    z, z_lazy = _large_t_z_scores(3, 5, 256, 32)
    assert np.abs(z).max() < 4, z
    assert np.abs(z_lazy).max() > 4, z_lazy


@pytest.mark.slow
@pytest.mark.parametrize(("depth", "steps"), [(3, 5), (2, 10)])
def test_monte_carlo_mean_matches_limit_values_at_large_t_width_2048(depth, steps):
    z, z_lazy = _large_t_z_scores(depth, steps, 2048, 64)
    assert np.abs(z).max() < 4, z
    assert np.abs(z_lazy).max() > 4, z_lazy


# -- sweeps in evaluation mode --------------------------------------------------------------


def test_batched_grid_argmins_equal_one_function_at_a_time():
    etas = np.linspace(0.0, 2.0, 41)
    centres = np.array([0.3, 1.234567, 1.97])
    funcs = lambda x: (x - centres[:, None]) ** 2 * (1 + x)  # noqa: E731
    batch = polylr.argmins_on_grid(etas, funcs(np.broadcast_to(etas, (3, etas.size))), funcs)
    for k, c in enumerate(centres):
        one = polylr.argmin_on_grid(etas, funcs(np.broadcast_to(etas, (3, etas.size)))[k], lambda x: ((x - c) ** 2) * (1 + x))
        assert batch[k].eta == pytest.approx(one.eta, abs=ARGMIN_ABS) and batch[k].eta == pytest.approx(c, abs=GRID_ARGMIN_ABS)


def test_sweep_by_gradient_descent_equals_the_polynomial_argmin():
    setup = polylr.Setup(steps=2, data=polylr.Data.synthetic(8, 3, seed=1))
    interval = (0.0, 2 * polylr.eta_inf_t1(setup))
    a = polylr.sweep(setup, [64, 128], 6, interval, method="polynomial")
    b = polylr.sweep(setup, [64, 128], 6, interval, method="gd")
    assert {r["method"] for r in a.rows} == {"polynomial"} and {r["method"] for r in b.rows} == {"gd"}
    np.testing.assert_allclose(b.etas(64), a.etas(64), rtol=GD_ARGMIN_TOL)
    np.testing.assert_allclose(b.etas(128), a.etas(128), rtol=GD_ARGMIN_TOL)
    etas, curve = b.mean_loss_curve(64)
    assert_polynomial_matches(a.mean_loss(64), dict(zip(etas.tolist(), curve)).__getitem__, etas, rtol=SAME_QUANTITY_REL)


def test_auto_sweep_uses_gradient_descent_where_float64_cannot_resolve_the_polynomial():
    """At t = 3, L = 3 the loss polynomial (degree 186) cancels by ~18 orders of magnitude near
    η ≈ 1.8, so on [0, 2 η_∞^(1)] its float64 values are noise: every seed falls back to GD; at
    t = 2 float64 resolves it for most seeds and the polynomial is used there."""
    setup = polylr.Setup(steps=3)
    interval = (0.0, 2 * polylr.eta_inf_t1(setup))
    sw = polylr.sweep(setup, [32], 4, interval)
    assert {r["method"] for r in sw.rows} == {"gd"}
    exact = polylr.limit_polys(setup, exact=True).loss
    assert not polylr.analysis.sweep.float_resolves(exact.to_float().coeffs, *interval, polylr.argmin(exact, *interval).value)
    two = polylr.sweep(setup.replace(steps=2), [32], 4, interval)
    assert [r["method"] for r in two.rows].count("polynomial") >= 3


def test_sweep_beyond_the_polynomial_degree_limit():
    setup = polylr.Setup(steps=4, data=polylr.Data.synthetic(6, 2, seed=0))
    with pytest.raises(polylr.PolylrError, match="allows output degree"):
        polylr.sweep(setup, [16], 2, (0.0, 1.0), method="polynomial")
    sw = polylr.sweep(setup, [16], 2, (0.0, 1.0))
    assert {r["method"] for r in sw.rows} == {"gd"} and 16 in sw.curves
    with pytest.raises(polylr.PolylrError, match="method must be one of"):
        polylr.sweep(setup, [16], 2, (0.0, 1.0), method="grid")
