"""Issue 10, "never a silent wrong answer": float64 polynomials know their error.

Each test is a bullet of the issue's "Why" and failed on main before the fix (run there once:
see the commit message). The t = 3 / t = 4 cases must give the right answer (checked against the
exact rational limit, exact rational gradient descent, or gradient descent) or NotResolved.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest

import polylr
from polylr import EtaPoly, NotResolved, Setup

from exact_gd import exact_loss_coeffs


def _right_or_refused(poly, lo, hi, truth, tol):
    try:
        a = polylr.argmin(poly, lo, hi)
    except NotResolved as e:
        assert "error bound" in str(e) or "loss" in str(e)
        return None
    assert abs(a.eta - truth) <= tol, (a.eta, truth)
    assert a.eta_bounds[0] <= truth <= a.eta_bounds[1]  # the certified span holds the true minimiser
    assert a.value > 0
    return a


def test_float_limit_t3_is_right_or_refused():
    # main: 0.92202 (exact 0.92275), silently.
    s = Setup(steps=3)
    hi = 2 * polylr.eta_inf_t1(s)
    exact = polylr.argmin(polylr.limit_polys(s, exact=True).loss, 0, hi)
    assert exact.eta == pytest.approx(0.92275, abs=1e-5)
    for h in (hi, 1.0):
        _right_or_refused(polylr.limit_polys(s).loss, 0, h, exact.eta, 1e-3 * exact.eta)


def test_float_limit_t4_knows_its_error():
    # main: argmin(limit_polys(Setup(steps=4)).loss, 0, 1.866) = 1.669 with value -5e122 (exact 0.9227).
    p = polylr.limit_polys(Setup(steps=4)).loss
    assert p.nonnegative
    v = float(p(1.669))
    assert v < 0  # the float64 polynomial is noise there ...
    assert p.error_bound(1.669) > abs(v)  # ... and says so


@pytest.mark.slow
def test_float_limit_t4_argmin_is_refused():  # 30-60 s: complex root isolation at degree 435
    with pytest.raises(NotResolved):
        polylr.argmin(polylr.limit_polys(Setup(steps=4)).loss, 0, 1.866)


def test_float_limit_deep_knows_its_error():
    # main: at L = 8, t = 3 the float limit polynomial is off by up to 1.5e173 (relative), silently;
    # L = 5 (loss degree 262, float interpreter) is the same failure at a third of the cost.
    s = Setup(steps=3, depth=5)
    lf = polylr.limit_polys(s).loss
    le = polylr.limit_polys(s, exact=True).loss
    for eta in (0.3, 0.6, 0.9):
        truth = le(Fraction(eta))
        assert abs(Fraction(float(lf(eta))) - truth) <= Fraction(lf.error_bound(eta)), eta


def test_exact_poly_evaluates_exactly_at_floats():
    # main: a "QQ" polynomial at a float was evaluated in float64 (rel. error 2e-8 at degree 43).
    p = EtaPoly(flint.fmpq_poly([flint.fmpq(-8, 5), 1]) ** 11 * flint.fmpq_poly([1, 1]) ** 32, "QQ")  # degree 43
    x = 1.6  # the float 1.6 is 8/5 + 8.9e-17: p(x) = (8.9e-17)^11 · 2.6^32 > 0, exactly
    want = p(Fraction(x))
    assert p(x) == float(want) and p(x) > 0
    xs = np.array([1.6, 1.5, 0.25])
    assert list(p(xs)) == [float(p(Fraction(v))) for v in xs]


def test_negative_minimum_of_a_loss_is_an_error():
    with pytest.raises(NotResolved, match="is a loss"):
        polylr.argmin(EtaPoly([1.0, -3.0, 1.0], nonnegative=True), 0, 3)
    # the same polynomial, not marked as a loss, has a perfectly good (negative) minimum
    assert polylr.argmin(EtaPoly([1.0, -3.0, 1.0]), 0, 3).eta == 1.5


def test_finite_width_t3_polynomial_is_right_or_refused():
    # main (cheap version of the L = 3 case): depth 2, t = 3, width 4: "certified" minima
    # with negative losses.
    s = Setup(steps=3, depth=2)
    hi = 2 * polylr.eta_inf_t1(s)
    P = polylr.finite_width_polys(s, 4, [0, 1, 2])
    refused = 0
    for i in range(3):
        try:
            a = polylr.argmin(P.loss_poly(i), 0, hi)
        except NotResolved:
            refused += 1
            continue
        assert a.value > 0 and a.eta_bounds[0] <= a.eta <= a.eta_bounds[1]
    assert refused >= 1


def test_finite_width_error_bound_holds_against_exact_gd():
    # The dense engine's loss coefficients against exact rational gradient descent on the same
    # float64 weights: every coefficient's error within its bound, and so every value.
    s = Setup(steps=3, depth=2)
    n = 4
    W0, Ws, V = polylr.draw_weights(polylr.weight_key(0, n, 0), s, n)
    exact = exact_loss_coeffs(s, W0, Ws, V, n)
    p = polylr.finite_width_polys(s, n, [0, 1, 2]).loss_poly(0)  # same shapes as above: one compilation
    err = np.array([abs(Fraction(float(c)) - e) for c, e in zip(p.coeffs, exact)], dtype=float)
    assert np.all(err <= p.error)
    for eta in (0.5, 1.0, 2.0):
        truth = sum(c * Fraction(eta) ** k for k, c in enumerate(exact))
        stored = p.to_exact()(Fraction(eta))  # the stored coefficients, evaluated exactly
        assert abs(stored - truth) <= Fraction(p.error_bound(eta))


@pytest.mark.slow
def test_finite_width_error_bound_holds_at_depth3_t3():  # ~40 s: exact GD at width 8
    s = Setup(steps=3)
    n = 8
    W0, Ws, V = polylr.draw_weights(polylr.weight_key(0, n, 0), s, n)
    exact = exact_loss_coeffs(s, W0, Ws, V, n)
    p = polylr.finite_width_polys(s, n, [0]).loss_poly(0)
    err = np.array([abs(Fraction(float(c)) - e) for c, e in zip(p.coeffs, exact)], dtype=float)
    assert np.all(err <= p.error)  # measured: err <= 0.12 · error (SAFETY = 4 gives margin 8)


def test_huge_interval_keeps_the_certified_argmin():
    # main: --interval 0,1e300: auto mode rejected the right argmin and fell back to an 81-point grid
    # that returned η = 0 on the boundary.
    s = Setup()
    sw = polylr.sweep(s, [64], 2, (0, 1e300))
    ref = polylr.sweep(s, [64], 2, (0, 4 * polylr.eta_inf_t1(s)))
    for a, r in zip(sw.rows, ref.rows):
        assert a["method"] == "polynomial" and not a["on_boundary"]
        assert a["eta"] == r["eta"]
