"""Random-features ridge regression (Ghosh–Wu–Bietti Theorem 3): the deterministic equivalent
against the appendix's closed forms, against Monte Carlo ridge fits (with a negative control that
must be rejected), and the rates of the gaps."""

import math

import numpy as np
import pytest

import polylr
from polylr.engines.rf_ridge import RFParams, lam_star, rf_gaps, rf_monte_carlo, risk, risk_inf, stieltjes, teacher, student

P = RFParams()  # ψ₁ = 4, σ_ε = 1/4: the paper's Figure 4


def test_activations_are_normalised_and_the_hermite_coefficients_are_right():
    x, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / math.sqrt(2 * math.pi)
    for f in (student,):
        assert abs(np.sum(w * f(x))) < 1e-14 and np.sum(w * f(x) ** 2) == pytest.approx(1, abs=1e-9)
    # ReLU is not smooth: Monte Carlo with 4e6 draws, tolerance 5 standard errors
    z = np.random.default_rng(0).standard_normal(4_000_000)
    t = teacher(z)
    assert abs(t.mean()) < 5 * t.std() / 2000 and t.var() == pytest.approx(1, abs=5 * 1.6 / 2000)
    assert np.mean(z * t) == pytest.approx(P.mu1s, abs=5 / 2000)  # μ₁* = E σ_*' = E z σ_*(z)
    assert P.mu1 == pytest.approx(np.sum(w * x * student(x)), rel=1e-10)  # Stein: E σ' = E z σ(z)


def test_infinite_width_matches_the_appendix_closed_form():
    for lam in (0.03, 0.2, P.lam_star_inf, 1.5, 8.0):
        assert risk(lam, math.inf, P) == pytest.approx(risk_inf(lam, P), rel=1e-12)
    # λ*(∞) from the closed form (eq. optimal-lambda) against a numerical minimisation
    lam, _ = lam_star(math.inf, P)
    assert lam == pytest.approx(P.lam_star_inf, rel=1e-6)  # Brent on a flat minimum: ~1e-8 measured
    # the fixed point at finite width converges to the ψ₂ = ∞ one, with error O(1/ψ₂)
    d1 = abs(risk(0.3, 1e4, P) - risk_inf(0.3, P))
    d2 = abs(risk(0.3, 1e5, P) - risk_inf(0.3, P))
    assert d2 == pytest.approx(d1 / 10, rel=0.02)


def test_fixed_point_residuals_vanish():
    for lam, psi2 in ((0.1, 4.0), (0.35, 16.0), (2.0, 256.0)):
        (m1, m2), _ = stieltjes(lam, psi2, P)
        a, b, p1 = P.mu1**2, P.mu2sq, P.psi1
        e1 = (m1 - m2) * (b * m1 + a * m2) / p1 + a * m1 * m2 * (lam * m1 - 1)
        e2 = psi2 / p1 * (a * m1 * m2 + (m2 - m1) / p1) + a * m1 * m2 * (lam * m1 - 1)
        assert m1 > 0 and m2 > 0 and abs(e1) < 1e-13 and abs(e2) < 1e-12


def test_deterministic_equivalent_agrees_with_monte_carlo_ridge_fits_at_psi2_16():
    # d = 32 (N = 128, n = 512), 12 fits, 1000 test points each. Allowance: 3 standard errors of the
    # Monte Carlo mean + 1/N for the finite-size bias. Measured (20 fits): |MC − DE| = 0.003, 0.001,
    # 0.002 with se 0.008, 0.007, 0.011 at λ = 0.05, 0.35, 2.
    lams = (0.1, 0.35, 1.0)
    mc = rf_monte_carlo(lams, 16, 32, P, reps=12, test=1000, seed=1)
    de = [risk(x, 16, P) for x in lams]
    for m, s, x in zip(mc.mean, mc.se, de):
        assert abs(m - x) <= 3 * s + 1 / mc.N, (m, s, x)
    # negative control at the same size: the literal reading of the penalty (ridge λ‖a‖² on the raw
    # features, i.e. an effective ridge λ/n) must be rejected at every λ
    ctrl = rf_monte_carlo(tuple(x / mc.n for x in lams), 16, 32, P, reps=12, test=1000, seed=1)
    for m, s, x in zip(ctrl.mean, ctrl.se, de):
        assert abs(m - x) > 3 * s + 1 / mc.N, (m, s, x)


def test_gaps_have_the_theorem_rates_and_transfer_is_fast():
    g = rf_gaps([2.0**k for k in range(6, 13)], P)
    assert g.exponent("a") == pytest.approx(-1, abs=0.02)  # measured -1.000
    assert g.exponent("b") == pytest.approx(-1, abs=0.05)  # measured -0.994
    assert g.exponent("c") == pytest.approx(-2, abs=0.05)  # measured -1.987
    assert all(c > 0 for c in g.c)
    # c ≈ ½ R_∞''(λ*) b² (local strong convexity), R_∞'' by central differences
    h = 1e-3
    curv = (risk_inf(g.lam_inf + h, P) - 2 * risk_inf(g.lam_inf, P) + risk_inf(g.lam_inf - h, P)) / h**2
    assert g.c[-1] == pytest.approx(curv / 2 * g.b[-1] ** 2, rel=0.01)


def test_rf_ridge_claim_runs_with_the_protocol(tmp_path):
    # a small Monte Carlo (the agreement itself is tested above): protocol and the rate verdicts
    r = polylr.check_rf_ridge(polylr.CheckOptions(budget=polylr.BUDGETS["tiny"]), mc=(16, 4, 500))
    status = {v.claim: v.status for v in r.verdicts}
    assert {k: status[k] for k in ("rf-ridge.a", "rf-ridge.b", "rf-ridge.c", "rf-ridge.fast")} == {
        "rf-ridge.a": "holds", "rf-ridge.b": "holds", "rf-ridge.c": "holds", "rf-ridge.fast": "holds"}
    assert "rf-ridge.monte_carlo" in status
    doc = r.to_json()
    assert doc["check"] == "rf-ridge" and len(doc["rows"]) == 11
    assert list(r.figures()) == ["rf_ridge.png"] and r.figures("svg")["rf_ridge.svg"].lstrip().startswith(b"<?xml")
    assert r.markdown().startswith("## rf-ridge") and len(r.tables()) == 3  # the report adds the verdicts


def test_bad_inputs_are_refused():
    with pytest.raises(polylr.PolylrError, match="psi1"):
        RFParams(psi1=0)
    with pytest.raises(polylr.PolylrError, match="ridge"):
        risk(-1.0, 4.0, P)
    with pytest.raises(polylr.PolylrError, match="feature entries"):
        rf_monte_carlo((0.1,), 1e6, 64, P)
