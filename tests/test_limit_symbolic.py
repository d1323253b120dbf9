"""The closed-form limit over the data moments (polylr.limit_symbolic) and its documents.

Independent references: the numeric exact limit engine (polylr.limit_polys, exact=True; it runs the
same Tensor-Programs program but on one data set's numbers), the depth-1 closed form
(2m)^-1 yᵀ(I − ηK/m)^{2t} y expanded by sympy, the hand-derived t = 2 low-order terms (any depth),
and numpy's float64 moments.
"""

import re
import time
from math import comb
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from test_limit import rational_data
from typer.testing import CliRunner

import polylr
from polylr.cli import app
from polylr.report.derive import proof_files
from polylr.report.expand_grouped import grouped_proof_files
from polylr.report.limit_derivation import limit_proof_files
from tolerances import SAME_QUANTITY_REL

ROOT = Path(__file__).resolve().parents[1]

# A hang guard, not a timing: refusals measured 0.01-0.3 s on 2 idle cores (1.03 s once on a machine loaded
# 6x), where the old size estimate hung for minutes. Timings belong in benchmarks/, not in unit tests.
HANG_GUARD_S = 10.0


# -- exact agreement with the numeric limit engine -------------------------------------------


def _agree(data, L, t):
    setup = polylr.Setup(data, L, t)
    closed = polylr.limit_symbolic(L, t).limit(setup)
    engine = polylr.limit_polys(setup, exact=True)
    assert closed.loss.domain == engine.loss.domain == "QQ"
    assert closed.loss == engine.loss
    assert all(a == b for a, b in zip(closed.outputs, engine.outputs, strict=True))
    mu = polylr.data_moments(data, 2 * t + 1)
    assert polylr.limit_symbolic(L, t).loss_at(mu) == engine.loss


@pytest.mark.parametrize("L, t, examples", [(1, 5, 15), (2, 3, 15), (3, 2, 15), (3, 3, 4)])
def test_closed_form_equals_numeric_limit_exactly(L, t, examples):
    """Random rational data (hypothesis): the moments substituted give the engine's polynomial."""

    @settings(max_examples=examples)
    @given(data=rational_data(max_m=5, max_d=3))
    def check(data):
        _agree(data, L, t)

    check()


def test_closed_form_on_float_data_is_exact_too():
    """Float data are exact binary rationals: equality holds on the built-in synthetic data."""
    _agree(polylr.Data.synthetic(7, 3, seed=4), 2, 3)


def test_a_wrong_moment_changes_the_loss():
    """Negative control: perturbing one moment by 1/1000 breaks the equality."""
    data = polylr.Data.synthetic(6, 3, seed=1)
    engine = polylr.limit_polys(polylr.Setup(data, 2, 3), exact=True)
    mu = list(polylr.data_moments(data, 7))
    mu[5] += mu[5] / 1000
    assert polylr.limit_symbolic(2, 3).loss_at(mu) != engine.loss


# -- symbolic checks ----------------------------------------------------------------------------


@pytest.mark.parametrize("t", range(1, 7))
def test_depth1_closed_form_recovered_symbolically(t):
    """L_∞^(t) = (2m)^-1 yᵀ(I − ηK/m)^{2t} y: expand the binomial in the commuting matrix k = K/m
    (sympy), map k^j -> m·μ_j (yᵀk^j y = m μ_j), and compare with the engine's sympy expression."""
    eta, k = sympy.symbols("eta k")
    mus = sympy.symbols(polylr.limit_symbolic(1, t).moment_names)
    expanded = sympy.Poly(sympy.expand((1 - eta * k) ** (2 * t)), k)
    want = sum(c * mus[j] for (j,), c in expanded.terms()) / 2
    got = polylr.limit_symbolic(1, t).loss_sympy()  # same symbol names: eta, mu_0, ...
    assert sympy.expand(got - want) == 0
    # outputs: f = (I − (I − ηK/m)^t) y, so φ_j = −C(t, j)(−η)^j
    outs = polylr.limit_symbolic(1, t).output_coefficients()
    zero = (0,) * (2 * t + 1)
    for j in range(1, t + 1):
        assert {p: c for p, c in enumerate(outs[j]) if c} == {j: {zero: -comb(t, j) * (-1) ** j}}


@pytest.mark.parametrize("L", range(1, 6))
def test_t2_low_orders_match_the_hand_derivation(L):
    """proofs/limit_t2.md (appendix, by hand): f = 2Lη k_1 − L²η² k_2 + L²(L²−1)/3 κ η³ k_1 + O(η⁴),
    κ = μ_1, k_j = (K/m)^j y."""
    phi = polylr.limit_symbolic(L, 2).output_coefficients()
    e = lambda *ks: tuple(1 if i in ks else 0 for i in range(5))  # noqa: E731
    low1 = {p: c for p, c in enumerate(phi[1][:4]) if c}
    low2 = {p: c for p, c in enumerate(phi[2][:4]) if c}
    assert low1 == {1: {e(): 2 * L}, **({3: {e(1): L * L * (L * L - 1) // 3}} if L > 1 else {})}
    assert low2 == {2: {e(): -L * L}}


def test_degree_and_term_counts():
    s = polylr.limit_symbolic(3, 3)
    assert s.degree == polylr.limit_degree(polylr.Setup(depth=3, steps=3)) == 86
    assert s.output_degree == 43 and s.terms == 12889


def test_data_moments_match_float64():
    data = polylr.Data.synthetic(9, 4, seed=2)
    mu = polylr.data_moments(data, 7)
    Km = data.K / data.m
    ref = [data.y @ np.linalg.matrix_power(Km, k) @ data.y / data.m for k in range(7)]
    np.testing.assert_allclose([float(q) for q in mu], ref, rtol=SAME_QUANTITY_REL)  # float64 matrix powers: ~1e-15


# -- size bounds: refused fast -------------------------------------------------------------


@pytest.mark.parametrize("L, t", [(3, 4), (5, 3), (43, 2), (2, 5), (2, 10**6), (1, 41), (10**6, 2), (10**9, 10**9)])
def test_symbolic_limit_refuses_fast(L, t):
    start = time.perf_counter()
    with pytest.raises(polylr.PolylrError, match=r"symbolic limit|must be in"):
        polylr.limit_symbolic(L, t)
    with pytest.raises(polylr.PolylrError):
        polylr.limit_document(L, t)
    assert time.perf_counter() - start < HANG_GUARD_S


@pytest.mark.parametrize("L, t", [(2, 10), (2, 20), (1, 10**6), (10**9, 1), (100, 100)])
def test_finite_width_estimate_is_cheap_and_saturates(L, t):
    start = time.perf_counter()
    assert polylr.estimate_terms(L, t) == 10**30
    with pytest.raises(polylr.PolylrError, match=r"more than 1\.00e30 raw terms"):
        polylr.derive(L, t)
    assert time.perf_counter() - start < HANG_GUARD_S


def test_estimate_is_exact_below_the_cap_and_monotone():
    """3^L at t = 1; nondecreasing in L and t (what makes clipping the depth at 64 sound)."""
    assert [polylr.estimate_terms(L, 1) for L in range(1, 12)] == [3**L for L in range(1, 12)]
    assert polylr.estimate_terms(3, 2) == 16581375
    E = {(L, t): polylr.estimate_terms(L, t) for L in range(1, 9) for t in range(1, 6)}
    assert all(E[L, t] <= E[L + 1, t] for L in range(1, 8) for t in range(1, 6))
    assert all(E[L, t] <= E[L, t + 1] for L in range(1, 9) for t in range(1, 5))


@pytest.mark.parametrize("args", [["--steps", "10"], ["--steps", "20"], ["--limit", "--depth", "3", "--steps", "10"]])
def test_cli_derive_refuses_fast(args):
    start = time.perf_counter()
    res = CliRunner().invoke(app, ["derive", *args])
    assert res.exit_code == 2 and "error" in res.output
    assert time.perf_counter() - start < HANG_GUARD_S


def test_cli_derive_limit(tmp_path):
    res = CliRunner().invoke(app, ["derive", "--limit", "--depth", "2", "--steps", "2"])
    assert res.exit_code == 0, res.output
    assert res.output == polylr.limit_document(2, 2)
    assert r"\eta_\infty^{(2)} = 1.383650008" in res.output  # as in proofs/limit_t2.md
    res = CliRunner().invoke(app, ["derive", "--limit", "--depth", "1", "--steps", "3", "--latex", "--out", str(tmp_path / "l.tex")])
    assert res.exit_code == 0, res.output
    assert polylr.latex_balance_errors((tmp_path / "l.tex").read_text()) == []


# -- documents ---------------------------------------------------------------------------------


def test_limit_proofs_are_up_to_date(tmp_path):
    """Regenerating the limit documents must not change proofs/ (run polylr.write_limit_proofs('proofs'))."""
    written = polylr.write_limit_proofs(tmp_path)
    assert {p.name for p in written} == set(limit_proof_files())
    for p in written:
        assert (ROOT / "proofs" / p.name).read_text(encoding="utf-8") == p.read_text(encoding="utf-8"), (
            f"proofs/{p.name} is stale: run polylr.write_limit_proofs('proofs') and review the diff"
        )


def test_every_proof_file_has_a_generator():
    generated = set(proof_files()) | set(limit_proof_files()) | set(grouped_proof_files()) | {"limit_law.md"}  # tests/test_law.py
    assert {p.name for p in (ROOT / "proofs").iterdir()} == generated


def test_committed_latex_is_balanced_and_ascii():
    for p in sorted((ROOT / "proofs").glob("*.tex")):
        text = p.read_text(encoding="utf-8")
        assert polylr.latex_balance_errors(text) == [], p.name
        assert all(ord(c) < 128 for c in text), f"{p.name}: non-ASCII character outside LaTeX commands"
    for p in sorted((ROOT / "proofs").glob("limit_*.md")):  # the Markdown's math too
        assert polylr.latex_balance_errors(p.read_text(encoding="utf-8")) == [], p.name


@pytest.mark.parametrize(
    "bad, what",
    [
        (r"\begin{align*} x \end{aligned}", "does not close"),
        (r"\begin{document} x", "unclosed environments"),
        (r"$\frac{1}{2$", "unclosed"),
        (r"a } b {", "without its"),
        ("$$ x", "odd number of \\$\\$"),
        (r"\[ x", r"\\\[ and \\\] counts"),
        ("one $x paragraph", "inline"),
        (r"$\left( x$", r"\\left and \\right"),
    ],
)
def test_balance_check_catches_errors(bad, what):
    """Negative controls for the pure-Python LaTeX check."""
    errors = polylr.latex_balance_errors(bad)
    assert errors and any(re.search(what, e) for e in errors), errors


def test_documents_state_the_argmin_and_the_cross_check():
    doc = (ROOT / "proofs" / "limit_t3.md").read_text(encoding="utf-8")
    assert r"\eta_\infty^{(3)} = 0.9227507835" in doc  # L = 3: docs/claims/theorem3.md has 0.922751
    assert "coefficient by coefficient" in doc
    doc1 = (ROOT / "proofs" / "limit_L1.md").read_text(encoding="utf-8")
    assert r"y^\top \Big(I - \eta\frac{K}{m}\Big)^{2t} y" in doc1


def test_bad_input_names_the_value():
    with pytest.raises(polylr.PolylrError, match="steps t must be >= 1, got 0"):
        polylr.limit_symbolic(2, 0)
    with pytest.raises(polylr.PolylrError, match="fmt must be one of"):
        polylr.limit_document(1, 1, "html")
    with pytest.raises(polylr.PolylrError, match="need the moments mu_0..mu_4"):
        polylr.limit_symbolic(2, 2).loss_at([1, 2])
    with pytest.raises(polylr.PolylrError, match="the setup has depth 3"):
        polylr.limit_symbolic(2, 2).limit(polylr.Setup(depth=3, steps=2))
    with pytest.raises(polylr.PolylrError, match="supports"):
        polylr.limit_symbolic(2, 2).limit(polylr.Setup(depth=2, steps=2, param="sp"))


def test_document_on_a_given_data_set():
    data = polylr.Data.synthetic(5, 2, seed=3)
    doc = polylr.limit_document(1, 2, data=data)
    assert data.source in doc and "built-in" not in doc
    lim = polylr.limit_polys(polylr.Setup(data, 1, 2), exact=True)
    am = polylr.argmin(lim.loss, 0.0, 2 * polylr.eta_inf_t1(polylr.Setup(data, 1, 1)))
    assert rf"\eta_\infty^{{(2)}} = {am.eta:.10g}" in doc  # independent: the numeric engine's argmin
    zero = polylr.Data(np.eye(2), np.zeros(2))
    with pytest.raises(polylr.PolylrError, match="K y = 0"):
        polylr.limit_document(2, 2, data=zero)
