"""EtaPoly: one type, two domains, consistent arithmetic and views."""

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from polylr import EtaPoly, PolylrError
from tolerances import ROUNDING_REL

fractions = st.fractions(min_value=-100, max_value=100, max_denominator=1000)


@given(st.lists(fractions, min_size=1, max_size=6), st.lists(fractions, min_size=1, max_size=6), fractions)
def test_exact_arithmetic_matches_sympy(a, b, at):
    eta = sp.Symbol("eta")
    p, q = EtaPoly(a), EtaPoly(b)
    assert p.domain == q.domain == "QQ"
    for ours, theirs in [(p + q, lambda u, v: u + v), (p - q, lambda u, v: u - v), (p * q, lambda u, v: u * v)]:
        expected = sp.expand(theirs(p.to_sympy(eta), q.to_sympy(eta)))
        assert ours == EtaPoly.from_sympy(expected, eta) if expected != 0 else ours.degree == -1
        assert ours(at) == sp.Rational(expected.subs(eta, sp.Rational(at.numerator, at.denominator))) if expected != 0 else True
    assert p.deriv().to_sympy(eta) == sp.diff(p.to_sympy(eta), eta) or p.degree <= 0


def test_float_and_exact_agree():
    p = EtaPoly([Fraction(1, 3), Fraction(-2, 7), Fraction(5, 11)])
    f = p.to_float()
    assert f.domain == "float64"
    assert f(0.7) == pytest.approx(float(p(Fraction(7, 10))), rel=ROUNDING_REL)
    assert (p * f).domain == "float64"  # mixed arithmetic falls back to float64
    assert f.to_exact().max_rel_diff(p) < ROUNDING_REL


def test_degree_and_latex():
    assert EtaPoly([0.0, 0.0]).degree == -1
    assert EtaPoly([1, 0, -2]).degree == 2
    assert EtaPoly([1, 0, -2]).latex() == r"1 - 2\,\eta^{2}"
    assert EtaPoly([Fraction(1, 2), 1]).latex() == r"\frac{1}{2} + \eta"


def test_bad_coefficients():
    with pytest.raises(PolylrError, match="finite"):
        EtaPoly([1.0, np.nan])
    with pytest.raises(PolylrError, match="domain"):
        EtaPoly([1.0], domain="RR")
