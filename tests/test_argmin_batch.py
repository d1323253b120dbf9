"""The batched certified argmin (polylr.analysis.argmin_batch): where it answers, the answer is the
exact path's (polylr.argmin); where it cannot prove it, it hands the polynomial over (None)."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import polylr
from polylr import EtaPoly, NotResolved, Setup
from polylr.analysis.argmin import argmin
from polylr.analysis.argmin_batch import certified_argmins, fast_argmins
from polylr.engines.bounds import loss_error
from polylr.engines.limit import eta_inf_t1
from tolerances import FAST_ARGMIN_ULP

x = sp.Symbol("eta")


def ulps(a: float, b: float) -> float:
    return abs(a - b) / np.spacing(max(abs(a), abs(b), 1e-300))


def assert_same(f, a, tight=False):
    """The fast path's Argmin against the exact one: same minima (η and value to FAST_ARGMIN_ULP
    units in the last place: the exact path rounds the exact root and value once, the fast path's
    compensated evaluation is faithful), same near minima and boundary flags, eta_bounds enclosing."""
    assert len(f.local_minima) == len(a.local_minima)
    assert [m.on_boundary for m in f.local_minima] == [m.on_boundary for m in a.local_minima]
    for m, n in zip(f.local_minima, a.local_minima):
        assert ulps(m.eta, n.eta) <= FAST_ARGMIN_ULP and ulps(m.value, n.value) <= FAST_ARGMIN_ULP
    assert len(f.near_minima) == len(a.near_minima) and f.unique == a.unique
    assert ulps(f.eta, a.eta) <= FAST_ARGMIN_ULP and f.on_boundary == a.on_boundary
    if a.eta_bounds is None:
        assert f.eta_bounds is None
    else:  # an enclosure of the same set (the exact path's ends are isolating balls of exact roots)
        assert f.eta_bounds[0] <= a.eta_bounds[0] and f.eta_bounds[1] >= a.eta_bounds[1]
        if tight:  # on real losses (error bounds >> rounding) the enclosure is as tight: measured <= 1.021x
            assert f.eta_bounds[1] - f.eta_bounds[0] <= 1.1 * (a.eta_bounds[1] - a.eta_bounds[0])


def exact_or_none(p, lo, hi):
    try:
        return argmin(p, lo, hi)
    except NotResolved:
        return None


@pytest.mark.parametrize("steps, width, seeds, factor", [
    (1, 64, 40, 4), (1, 2**20, 40, 4),
    pytest.param(2, 2**20, 8, 4, marks=pytest.mark.slow),  # compiling t = 2 takes ~1 min under load
])
def test_fast_argmins_equal_the_certified_argmins_on_a_batch(steps, width, seeds, factor):
    # t = 2 on [0, 4 η_∞^(1)] has two or three local minima per network: the general certificate.
    setup = Setup().replace(steps=steps)
    hi = factor * eta_inf_t1(Setup())
    P = polylr.finite_width_polys(setup, width, range(seeds), sampler="gram", master_seed=3)
    fast = fast_argmins(P.loss, 0.0, hi, errors=loss_error(P.outputs, setup.data.y), nonnegative=True)
    assert sum(f is not None for f in fast) >= 0.9 * seeds  # measured: all of them (200/200, 197/200 at n = 64, t = 2)
    for i, f in enumerate(fast):
        a = exact_or_none(P.loss_poly(i), 0.0, hi)
        if f is not None:
            assert a is not None  # the fast path never answers where the exact path refuses
            assert_same(f, a, tight=True)


def test_a_near_double_minimum_is_handed_to_the_exact_path():
    # minima near 1 and 2 whose values differ by ~1e-15 (the fast path's value bounds cannot rank
    # them), and a critical point exactly at lo (no certified sign of L' there).
    near = EtaPoly.from_sympy(sp.expand((x - 1) ** 2 * (x - 2) ** 2 + 1 + sp.Rational(1, 10**15) * x), x)
    at_lo = EtaPoly.from_sympy(sp.expand((x - 1) ** 2), x)
    polys = [EtaPoly(p.to_float().coeffs) for p in (near, at_lo)]  # the float64 coefficients, taken as exact
    c = np.stack([np.pad(p.coeffs, (0, 5 - p.degree)) for p in polys])
    assert fast_argmins(c[:1], 0.0, 3.0) == [None]
    assert fast_argmins(c[1:], 1.0, 2.0) == [None]  # L'(lo) = 0: no certified sign at lo
    a = certified_argmins(polys[:1], 0.0, 3.0)[0]
    assert a == argmin(polys[0], 0.0, 3.0) and len(a.near_minima) == 1


def test_well_separated_near_minima_are_certified_and_reported():
    # two minima whose values differ by 0.3 % (within the 1 % "near" band) and 5 % (outside it)
    for gap, n_near in ((sp.Rational(3, 1000), 1), (sp.Rational(5, 100), 0)):
        p = EtaPoly.from_sympy(sp.expand((x - 1) ** 2 * (x - 2) ** 2 + 1 + gap * (x - 1)), x).to_float()
        f = fast_argmins(p.coeffs[None, :], 0.0, 3.0, errors=p.error[None, :])[0]
        assert f is not None and len(f.local_minima) == 2 and len(f.near_minima) == n_near
        assert_same(f, argmin(p, 0.0, 3.0))


def test_an_unresolved_minimum_is_refused_like_the_exact_path():
    # a coefficient error bound that could move the minimiser by more than ETA_RTOL: argmin refuses
    c = np.array([1.0, -2.0, 1.0])  # (η − 1)², minimum 0 at 1
    p = EtaPoly(c, "float64", error=[1e-4, 0.0, 0.0])
    with pytest.raises(NotResolved):
        argmin(p, 0.0, 3.0)
    assert fast_argmins(c[None, :], 0.0, 3.0, errors=np.array([[1e-4, 0.0, 0.0]])) == [None]
    with pytest.raises(NotResolved):
        certified_argmins([p], 0.0, 3.0)
    # a loss whose minimum is negative: the exact path refuses it, so the fast path must not answer
    neg = np.array([-1e-3, -2.0, 1.0])
    assert fast_argmins(neg[None, :], 0.0, 3.0, nonnegative=True) == [None]
    # the same polynomials with a tiny error bound: certified, equal
    ok = EtaPoly(c + [0.5, 0, 0], "float64", error=[1e-16, 1e-16, 1e-16])
    f = fast_argmins(ok.coeffs[None, :], 0.0, 3.0, errors=ok.error[None, :])[0]
    assert_same(f, argmin(ok, 0.0, 3.0))


@settings(max_examples=60)
@given(
    roots=st.lists(st.floats(-1, 3, allow_subnormal=False), min_size=1, max_size=5),
    scale=st.floats(0.1, 10),
    shift=st.floats(0, 2),
    rel_err=st.sampled_from([0.0, 1e-15, 1e-9, 1e-5]),
    hi=st.floats(0.5, 3),
)
def test_property_fast_equals_exact_whenever_it_answers(roots, scale, shift, rel_err, hi):
    # L = scale·∫ Π(η − r_k) dη + shift: any number of interior critical points, boundary minima
    dp = np.polynomial.polynomial.polyfromroots(roots) * scale
    c = np.concatenate([[shift], dp / np.arange(1, dp.size + 1)])
    err = rel_err * np.abs(c)
    p = EtaPoly(c, "float64", error=err if rel_err else None)
    f = fast_argmins(c[None, :], 0.0, hi, errors=err[None, :] if rel_err else None)[0]
    a = exact_or_none(p, 0.0, hi)
    if f is not None:
        assert a is not None
        assert_same(f, a)


def test_sweep_rows_match_the_exact_argmin():
    setup = Setup()
    hi = 4 * eta_inf_t1(setup)
    sw = polylr.sweep(setup, [64, 2**16], 6, (0.0, hi), sampler="gram")
    for w in sw.widths:
        P = polylr.finite_width_polys(setup, w, range(6), sampler="gram")
        for i, r in enumerate(r for r in sw.rows if r["width"] == w):
            a = argmin(P.loss_poly(i), 0.0, hi)
            assert r["method"] == "polynomial" and ulps(r["eta"], a.eta) <= FAST_ARGMIN_ULP
            assert ulps(r["loss_min"], a.value) <= FAST_ARGMIN_ULP and r["unique"] == a.unique


def test_the_chunked_runner_keeps_the_sampler():
    # The results-store runner (what the CLI uses) used to drop `sampler` and compute dense networks.
    from polylr.analysis.distributed import Runner

    setup = Setup()
    hi = 4 * eta_inf_t1(setup)
    direct = polylr.sweep(setup, [2**16], 4, (0.0, hi), sampler="gram")
    chunked = polylr.sweep(setup, [2**16], 4, (0.0, hi), sampler="gram", runner=Runner(chunk_seeds=2))
    assert [r["eta"] for r in chunked.rows] == [r["eta"] for r in direct.rows]
