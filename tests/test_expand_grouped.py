"""The finite-width expansion grouped by contraction (data sums folded into c^(s) = Xᵀχ^(s)/m):
against the numeric engine (polys_from_weights) and the index-expanded engine, sizes, documents."""

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_limit import rational_data
from typer.testing import CliRunner

import polylr
from polylr.cli import app
from polylr.report.expand_grouped import GroupedExpansion, grouped_proof_files
from tolerances import DIRECT_GD_REL, POLY_VS_GD_REL

ROOT = Path(__file__).resolve().parents[1]


def _weights(L, t, param, width=7, m=4, d=3, seed=1):
    setup = polylr.Setup(polylr.Data.synthetic(m=m, d=d, seed=seed), depth=L, steps=t, param=param)
    return setup, polylr.draw_weights(polylr.weight_key(seed, width, 0), setup, width)


def _rel_err(got, ref):
    """Largest error per power of η, relative to that power's largest |coefficient|."""
    assert got.shape == ref.shape
    return float((np.abs(got - ref).max(axis=1) / np.abs(ref).max(axis=1).clip(1e-300)).max())


def _numpy_weights(setup, width, seed):
    s = setup.param.scales(width, setup.data.d)
    rng = np.random.default_rng(seed)
    W0 = s.in_std * rng.standard_normal((width, setup.data.d))
    Ws = s.hidden_std * rng.standard_normal((setup.depth, width, width))
    V = s.out_std * rng.standard_normal(width)
    return W0, Ws, V


def _gradient_descent(setup, W0, Ws, V, eta):
    """f^(t)(x_i) by t full-batch GD steps on the hidden layers, in numpy (independent of both engines)."""
    X, y, m, L = setup.data.X, setup.data.y, setup.data.m, setup.depth
    lam = setup.param.scales(W0.shape[0], setup.data.d).hidden_lr
    Ws = [W.copy() for W in Ws]
    for _ in range(setup.steps):
        hs = [W0 @ X.T]
        for W in Ws:
            hs.append(W @ hs[-1])
        chi = V @ hs[-1] - y
        bs = [V]
        for W in reversed(Ws[1:]):
            bs.insert(0, W.T @ bs[0])
        grads = [np.outer(bs[l], hs[l] @ chi / m) for l in range(L)]
        Ws = [W - eta * lam * G for W, G in zip(Ws, grads)]
    h = W0 @ X.T
    for W in Ws:
        h = W @ h
    return V @ h


@pytest.mark.parametrize("L, t", [(3, 2), (2, 3), (1, 3)])
@pytest.mark.parametrize("param", ["mup", "sp", "ntp"])
def test_grouped_expansion_equals_gradient_descent(L, t, param):
    """The coefficients evaluated at a few η against direct GD. Measured error <= 9e-16 relative to
    max(1, |f|); tolerance 1e-9 (margin ~1e6)."""
    setup = polylr.Setup(polylr.Data.synthetic(m=4, d=3, seed=2), depth=L, steps=t, param=param)
    W0, Ws, V = _numpy_weights(setup, 6, seed=L + 10 * t)
    coeffs = polylr.expand_grouped(L, t).evaluate(setup, W0, Ws, V)
    scale = 1.0 if param != "sp" else 1.0 / 6  # SP: η is per-width (λ = 1); keep the steps small
    for eta in (0.05 * scale, 0.2 * scale):
        poly = np.polynomial.polynomial.polyval(eta, coeffs)  # (m,)
        direct = _gradient_descent(setup, W0, Ws, V, eta)
        assert np.max(np.abs(poly - direct)) <= DIRECT_GD_REL * max(1.0, np.max(np.abs(direct)))


@pytest.mark.parametrize(
    "L, t, params",
    [
        pytest.param(3, 2, ("mup", "sp", "ntp"), marks=pytest.mark.slow),  # each shape compiles the engine (~5-15 s)
        pytest.param(2, 3, ("mup", "sp", "ntp"), marks=pytest.mark.slow),
    ],
)
def test_grouped_expansion_equals_numeric_engine(L, t, params):
    """Measured: at most 1.3e-14 (float64 round-off); tolerance 1e-10 (margin ~1e4)."""
    exp = polylr.expand_grouped(L, t)
    for param in params:
        setup, (W0, Ws, V) = _weights(L, t, param)
        ref, _ = polylr.polys_from_weights(setup, W0, Ws, V)
        assert _rel_err(exp.evaluate(setup, W0, Ws, V), ref) <= POLY_VS_GD_REL


def test_a_wrong_term_is_detected():
    """Negative control: one term coefficient of f^(2) off by one breaks the agreement with GD."""
    exp = polylr.expand_grouped(3, 2)
    coeffs = [list(c) for c in exp.steps_coefficients[2]]
    words, c = coeffs[1][0]
    coeffs[1][0] = (words, c + 1)
    bad = GroupedExpansion(3, 2, exp.steps_coefficients[:2] + (tuple(tuple(c) for c in coeffs),))
    setup = polylr.Setup(polylr.Data.synthetic(m=4, d=3, seed=2), depth=3, steps=2)
    W0, Ws, V = _numpy_weights(setup, 6, seed=1)
    ref = exp.evaluate(setup, W0, Ws, V)
    direct = _gradient_descent(setup, W0, Ws, V, 0.2)
    good = np.polynomial.polynomial.polyval(0.2, ref)
    bad_val = np.polynomial.polynomial.polyval(0.2, bad.evaluate(setup, W0, Ws, V))
    assert np.max(np.abs(good - direct)) <= DIRECT_GD_REL * max(1.0, np.max(np.abs(direct)))
    assert np.max(np.abs(bad_val - direct)) > 1e-6  # what the GD test would catch


@pytest.mark.parametrize("L, t, param", [(1, 1, "mup"), (2, 1, "sp"), (1, 2, "ntp"), (2, 2, "mup"), (2, 2, "sp"), (2, 2, "ntp"), (3, 1, "mup")])
def test_grouped_equals_index_expanded(L, t, param):
    """Same weights, both symbolic engines (no JAX compile): equal to round-off (measured <= 1e-14)."""
    setup = polylr.Setup(polylr.Data.synthetic(m=4, d=3, seed=3), depth=L, steps=t, param=param)
    W0, Ws, V = _numpy_weights(setup, 5, seed=3)
    ref = polylr.expand(L, t).evaluate(setup, W0, Ws, V)
    assert _rel_err(polylr.expand_grouped(L, t).evaluate(setup, W0, Ws, V), ref) <= POLY_VS_GD_REL


def test_term_counts():
    assert polylr.expand_grouped(1, 1).term_counts == ((1,), (1, 1))
    assert [sum(c) for c in polylr.expand_grouped(2, 2).term_counts] == [1, 4, 15]
    assert [sum(c) for c in polylr.expand_grouped(3, 2).term_counts] == [1, 8, 144]
    assert [sum(c) for c in polylr.expand_grouped(2, 3).term_counts] == [1, 4, 15, 55]
    assert polylr.estimate_grouped_terms(3, 2) == 216 and polylr.estimate_terms(3, 2) == 16581375


@pytest.mark.parametrize("L, t", [(5, 2), (3, 4), (2, 10**6), (10**9, 1), (10**9, 10**9)])
def test_oversized_grouped_request_is_refused_fast(L, t):
    start = time.perf_counter()
    with pytest.raises(polylr.PolylrError, match="raw terms, beyond its limit"):
        polylr.expand_grouped(L, t)
    with pytest.raises(polylr.PolylrError):
        polylr.derive_grouped(L, t)
    assert time.perf_counter() - start < 1.0


def test_grouped_proofs_are_up_to_date(tmp_path):
    written = polylr.write_grouped_proofs(tmp_path)
    assert {p.name for p in written} == set(grouped_proof_files())
    for p in written:
        committed = (ROOT / "proofs" / p.name).read_text(encoding="utf-8")
        assert committed == p.read_text(encoding="utf-8"), f"proofs/{p.name} is stale: run polylr.write_grouped_proofs('proofs')"
        assert polylr.latex_balance_errors(committed) == [], p.name


def test_cli_derive_grouped():
    res = CliRunner().invoke(app, ["derive", "--grouped", "--depth", "3", "--steps", "2"])
    assert res.exit_code == 0, res.output
    assert res.output == polylr.derive_grouped(3, 2)
    res = CliRunner().invoke(app, ["derive", "--grouped", "--limit"])
    assert res.exit_code == 2 and "not both" in res.output


def test_bad_input():
    with pytest.raises(polylr.PolylrError, match="fmt must be one of"):
        polylr.derive_grouped(2, 2, "html")
    with pytest.raises(polylr.PolylrError, match="steps t must be >= 1"):
        polylr.expand_grouped(2, 0)
    setup = polylr.Setup(polylr.Data.synthetic(m=4, d=3, seed=3), depth=2, steps=2)
    W0, Ws, V = _numpy_weights(setup, 5, seed=3)
    with pytest.raises(polylr.PolylrError, match="the setup has depth 2, steps 2"):
        polylr.expand_grouped(3, 2).evaluate(setup, W0, Ws, V)


# -- the μP limit read off word by word ------------------------------------------------------


@settings(max_examples=8)
@given(data=rational_data(max_m=5, max_d=3), case=st.sampled_from([(3, 2), (2, 3), (2, 2), (1, 3)]))
def test_grouped_limit_equals_the_limit_engine_exactly(data, case):
    """Wick orders and word limits of the finite-width expansion (independent of the Tensor-Programs
    interpreter) give the same exact rational polynomials."""
    setup = polylr.Setup(data, *case)
    g, ref = polylr.grouped_limit(setup), polylr.limit_polys(setup, exact=True)
    assert g.loss == ref.loss
    assert all(a == b for a, b in zip(g.outputs, ref.outputs, strict=True))


def test_grouped_limit_negative_control():
    """Dropping the order-0 terms of one power breaks the agreement."""
    from polylr.report import expand_grouped as eg

    setup = polylr.Setup(polylr.Data.synthetic(6, 3, seed=5), 3, 2)
    ref = polylr.limit_polys(setup, exact=True)
    exp = polylr.expand_grouped(3, 2)
    coeffs = list(exp.steps_coefficients[2])
    coeffs[3] = ()
    bad = eg.GroupedExpansion(3, 2, exp.steps_coefficients[:2] + (tuple(coeffs),))
    original = eg.expand_grouped
    try:
        eg.expand_grouped = lambda L, t: bad
        assert eg.grouped_limit(setup).loss != ref.loss
    finally:
        eg.expand_grouped = original
    assert eg.grouped_limit(setup).loss == ref.loss


def test_collected_limit_at_depth_one_is_kernel_gd():
    """L = 1: f_∞^(s) = f_∞^(s−1) − η K(x, c^(s−1)) (kernel GD): the collected limit of step 2 is
    −η(K(x, c^(0)) + K(x, c^(1)))."""
    from polylr.report.expand_grouped import c_end, collected_limit

    lims = collected_limit(polylr.expand_grouped(1, 2), 2)
    assert [p for p, d in enumerate(lims) if d] == [1]
    assert lims[1] == {((0, c_end(0)),): 1, ((0, c_end(1)),): 1}
