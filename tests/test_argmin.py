"""Certified argmin on a compact interval: boundary minima, double roots, near-equal minima, high degree."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from polylr import EtaPoly, PolylrError
from polylr.analysis.argmin import argmin

x = sp.Symbol("eta")


def P(expr):
    return EtaPoly.from_sympy(sp.expand(expr), x)


def test_interior_minimum_exact():
    a = argmin(P((x - sp.Rational(7, 5)) ** 2 + 3), 0, 4)
    assert a.eta == 1.4 and a.value == 3.0 and not a.on_boundary and a.unique


def test_minimum_on_the_left_and_right_boundary():
    a = argmin(P((x - 1) ** 2), 2, 3)
    assert a.eta == 2.0 and a.on_boundary
    b = argmin(P((x - 5) ** 2), 0, 3)
    assert b.eta == 3.0 and b.on_boundary
    # A concave polynomial: both ends are local minima, the lower one wins.
    c = argmin(P(-((x - 1) ** 2)), 0, 3)
    assert c.eta == 3.0 and c.on_boundary and len(c.local_minima) == 2


def test_critical_point_exactly_at_the_boundary():
    a = argmin(P(x**3 - 3 * x), 0, 1)  # L'(1) = 0, L decreasing on [0, 1)
    assert a.eta == 1.0 and a.on_boundary
    b = argmin(P((x - 1) ** 2), 1, 2)  # minimum exactly at lo
    assert b.eta == 1.0 and b.value == 0.0 and b.on_boundary


def test_double_root_of_derivative_is_not_a_minimum():
    # L' = (η − 1)² (η − 2): inflection at 1, minimum at 2.
    L = P(sp.integrate((x - 1) ** 2 * (x - 2), x))
    a = argmin(L, 0, 3)
    assert a.eta == 2.0 and len(a.local_minima) == 1
    # L' = (η − 1)^2: monotone increasing, minimum at lo despite the stationary point.
    b = argmin(P(sp.integrate((x - 1) ** 2, x)), 0, 3)
    assert b.eta == 0.0 and b.on_boundary


def test_double_minimum_from_a_squared_factor():
    a = argmin(P((x - 1) ** 4 * (x - 3) ** 2 + 1), 0, 4)  # L' has a triple root at 1
    assert {round(m.eta, 12) for m in a.local_minima} == {1.0, 3.0}
    assert a.near_minima and not a.unique  # equal values: the other minimum is reported


def test_near_equal_local_minima_are_ranked_exactly_and_reported():
    eps = sp.Rational(1, 10**12)
    L = (x - 1) ** 2 * (x - 2) ** 2 + 1 + eps * x  # minima near 1 and 2, values differ by ~1e-12
    a = argmin(P(L), 0, 3)
    assert abs(a.eta - 1.0) < 1e-9
    assert len(a.near_minima) == 1 and abs(a.near_minima[0].eta - 2.0) < 1e-9
    far = argmin(P((x - 1) ** 2 * (x - 2) ** 2 + x), 0, 3)
    assert far.unique  # second minimum ~ 1.0 above: not within 1 %


def test_degree_limit_is_a_clear_error():
    p = EtaPoly(np.ones(502))
    with pytest.raises(PolylrError, match="degree 501 exceeds the argmin limit 500"):
        argmin(p, 0, 1)


@pytest.mark.parametrize("lo, hi", [(1.0, 1.0), (2.0, 1.0), (-1.0, 1.0), (0.0, float("nan")), (0.0, float("inf"))])
def test_bad_interval(lo, hi):
    with pytest.raises(PolylrError, match="interval"):
        argmin(P(x**2), lo, hi)


@settings(max_examples=60)
@given(
    coeffs=st.lists(st.floats(-10, 10, allow_subnormal=False), min_size=2, max_size=12),
    lo=st.floats(0, 2),
    width=st.floats(0.01, 3),
)
def test_never_worse_than_a_dense_grid(coeffs, lo, width):
    p = EtaPoly(coeffs)
    hi = lo + width
    a = argmin(p, lo, hi)
    grid = np.linspace(lo, hi, 2001)
    values = p(grid)
    scale = np.max(np.abs(coeffs)) * max(1.0, hi) ** (len(coeffs) - 1)
    assert a.value <= values.min() + 1e-12 * scale
    assert lo <= a.eta <= hi
    assert abs(p(a.eta) - a.value) <= 1e-12 * scale


def test_high_degree_loss_polynomial():
    rng = np.random.default_rng(0)
    f = EtaPoly(rng.standard_normal(94) * 0.8 ** np.arange(94))  # degree 93, as f^(3) at L = 3
    # The stored float64 coefficients of f·f, taken as exact (f * f itself carries its rounding error
    # bound, and argmin rightly refuses it: its negative minimum is rounding noise).
    L = EtaPoly((f * f).coeffs)
    a = argmin(L, 0, 2)
    grid = np.linspace(0, 2, 20001)
    assert a.value <= L(grid).min() * (1 - 1e-12)  # the minimum is negative here
    dL = L.deriv()
    scale = EtaPoly(np.abs(dL.coeffs))(a.eta)  # float64 evaluation scale of L'
    assert abs(dL(a.eta)) <= 1e-12 * scale  # a critical point to float precision


def test_minimiser_near_zero_is_found_to_relative_precision():
    # L = η² − 1e-300 η has its minimum at 5e-301: precision must be relative to the root, not to [0, 2].
    a = argmin(EtaPoly([0.0, -1e-300, 1.0]), 0, 2)
    assert a.eta == pytest.approx(5e-301, rel=1e-15)
