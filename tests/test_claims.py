"""The claim registry: expected verdicts at the CI budget, false claims fail, weak evidence is
inconclusive; the SP/NTP random limit; the phase map; reports."""

import numpy as np
import pytest

import polylr
from polylr.report import render
from polylr.engines.limit import random_limit_law, random_limit_t1
from polylr.analysis.phasemap import PhaseMap, phase_map
from tolerances import CLOSED_FORM_REL, POLY_VS_GD_REL

EXPECTED = {
    "theorem1": {"theorem1.limit": "holds", "theorem1.rate": "holds"},
    "sp": {"sp.order": "holds", "sp.random_limit": "holds"},
    "ntp": {"ntp.order": "holds", "ntp.random_limit": "holds"},
    "theorem3": {"theorem3.unique": "holds", "theorem3.limit": "holds"},
    "degree": {"degree": "holds"},
    "fast-transfer": {"fast-transfer.fast": "holds", "fast-transfer.ratio": "holds", "fast-transfer.c_b2": "holds"},
    "rf-ridge": {"rf-ridge.a": "holds", "rf-ridge.b": "holds", "rf-ridge.c": "holds", "rf-ridge.fast": "holds",
                 "rf-ridge.monte_carlo": "holds"},
}


# Claims checked by training networks (tests/test_nonlinear.py): minutes even at the tiny budget.
EVALUATION_CLAIMS = {"hayou-fig4", "hayou-fig5", "gwb-relu-kindex", "gwb-relu-ball", "gwb-decomposition"}  # decomposition: tests/test_decompose.py
# Lingle's ablations (tests/test_lingle.py): minutes each at the quick budget.
EVALUATION_CLAIMS |= {"lingle-mup", "lingle-gains", "lingle-decay", "lingle-sp", "lingle-lion", "lingle-swiglu", "lingle-relu2",
                      "lingle-zero-query"}
# The finite-width law claims (tests/test_law.py): derivatives of the Gram program, minutes at t = 2.
LAW_CLAIMS = {"theorem1.law", "theorem3.law"}


def test_every_registered_claim_is_expected_here():
    assert set(polylr.REGISTRY) == set(EXPECTED) | EVALUATION_CLAIMS | LAW_CLAIMS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_claim_returns_its_expected_verdict_at_the_ci_budget(name):
    result = polylr.get_claim(name).check("tiny")
    assert {v.claim: v.status for v in result.verdicts} == EXPECTED[name], [v.reason for v in result.verdicts]


def test_a_false_claim_fails():
    # "Under SP the optimal learning rate converges to the μP limit η_∞": false (η_n ~ 1/n → 0).
    r = polylr.check_theorem1(setup=polylr.Setup(param="sp"), budget=polylr.BUDGETS["tiny"])
    assert r.verdicts[0].claim == "theorem1.limit" and r.verdicts[0].status == "fails"
    # "Under NTP η_n = Θ(n^-1)" (SP's order claimed for NTP): false. The interval is compact in
    # n·η and must hold NTP's η_n ≈ 1 at every width: [0, 8192]/n.
    # (widths to 1024: the width-free tiny budget reaches 2^14, where [0, 8192]/n no longer holds η_n ≈ 1)
    r = polylr.check_parametrization(polylr.NTP, -1.0, "ntp-as-sp", budget=polylr.BUDGETS["tiny"], interval=(0.0, 8192.0),
                                     widths=(64, 128, 256, 512, 1024))
    assert {v.claim: v.status for v in r.verdicts}["ntp-as-sp.order"] == "fails"


@pytest.mark.parametrize("name", ["theorem1", "sp", "ntp", "theorem3"])
def test_an_underpowered_budget_is_inconclusive(name):
    result = polylr.get_claim(name).check("tiny", widths=(64, 128), seeds=3)
    decided = [v for v in result.verdicts if v.claim != "theorem3.unique"]  # a property of the limit alone
    assert all(v.status == "inconclusive" for v in decided)
    assert all("needed" in v.reason for v in decided)


def test_boundary_guard_makes_a_decided_verdict_inconclusive():
    # An interval far below η_∞: every minimiser sits on its upper end.
    r = polylr.check_theorem1(interval=(0.0, 0.2), budget=polylr.BUDGETS["tiny"], widths=(64, 128, 256), seeds=8)
    assert all(v.status == "inconclusive" and "interval's end" in v.reason for v in r.verdicts)


def test_random_limit_reduces_to_eta_inf_when_the_initial_output_vanishes():
    setup = polylr.Setup()
    assert random_limit_t1(setup, np.zeros(setup.data.m)) == pytest.approx(polylr.eta_inf_t1(setup), rel=CLOSED_FORM_REL)


def test_random_limit_predicts_each_seed_at_large_width():
    """Under SP, n·η_n of each seed approaches ν*(its own f^(0)): the prediction explains most of the
    seed-to-seed variation at n = 1024 (correlation > 0.7 over 32 seeds)."""
    setup = polylr.Setup(param="sp")
    sw = polylr.sweep(setup, [1024], 32, (0.0, 4.0), order=-1.0)
    nu = 1024 * sw.etas(1024)
    pred = random_limit_t1(setup, sw.outputs[1024][:, 0, :])
    assert np.corrcoef(nu, pred)[0, 1] > 0.7
    law = random_limit_law(setup, draws=20_000, seed=1)
    assert np.std(law) > 0.05  # the limit is random: its law has a spread


def test_claims_can_be_registered_by_users():
    claim = polylr.Claim("mine", "me", "statement", "hypotheses", "prediction", polylr.check_degree)
    try:
        polylr.register(claim)
        assert polylr.get_claim("mine") is claim
    finally:
        polylr.REGISTRY.pop("mine")
    with pytest.raises(polylr.PolylrError, match="unknown claim 'nope'"):
        polylr.get_claim("nope")
    with pytest.raises(polylr.PolylrError, match="unknown budget"):
        polylr.get_claim("degree").check("enormous")


def test_phase_map_recovers_the_order_exponent():
    pm = phase_map(vs=(1.5, 2.0), cs=(0.0, 0.5), widths=(64, 128, 256, 512), seeds=12, n_boot=200)
    for i, v in enumerate(pm.vs):
        for j, c in enumerate(pm.cs):
            assert abs(pm.order[i, j] - PhaseMap.predicted_order(v, c)) < 0.2, (v, c, pm.order[i, j])
    assert np.all(pm.boundary == 0)
    png = polylr.report.plots.plot_phase_map(pm)
    assert png.startswith(b"\x89PNG")
    with pytest.raises(polylr.PolylrError, match="v must be >= 1"):
        phase_map(vs=(0.5,), cs=(0.0,))


def test_markdown_and_latex_reports_list_every_verdict():
    results = [polylr.check_degree(), polylr.get_claim("sp").check("tiny", widths=(64, 128, 256), seeds=8)]
    figures = {r.name: render.figure_names(render.render(r)) for r in results}
    md = render.markdown_report(results, "tiny", figures)
    tex = render.latex_table(results)
    for r in results:
        for v in r.verdicts:
            assert f"`{v.claim}`" in md and v.status in md
    assert "![loss_curves.png](sp/loss_curves.png)" in md
    assert tex.startswith(r"\begin{tabular}") and tex.rstrip().endswith(r"\end{tabular}")
    assert tex.count(r"\\") == 1 + sum(len(r.verdicts) for r in results)


def test_theorem3_is_for_mu_p_and_says_so():
    with pytest.raises(polylr.PolylrError, match="μP with the hidden layers trained"):
        polylr.check_theorem3(setup=polylr.Setup(steps=2, param="sp"), budget=polylr.BUDGETS["tiny"])


def test_theorem3_limit_with_near_equal_minima_is_not_unique_and_the_verdict_is_inconclusive():
    """At t = 10 the default data's limit loss on [0, 4 η_∞^(1)] has several minima within 1 % of
    each other (evaluation mode), so the theorem's uniqueness assumption fails there."""
    setup = polylr.Setup(steps=10)
    interval = (0.0, 4 * polylr.eta_inf_t1(setup))
    a, lim, how = polylr.limit_argmin(setup, interval)
    assert how == "evaluation" and lim is None and not a.unique
    values = polylr.limit_loss_values(setup, np.array([m.eta for m in a.near_minima]))
    assert np.all(values <= a.value * 1.01)  # the near minima are near, re-evaluated
    r = polylr.check_theorem3(setup=setup, interval=interval, widths=(16, 32, 64), seeds=8, budget=polylr.BUDGETS["tiny"])
    unique, limit = r.verdicts
    assert unique.status == "fails" and limit.status == "inconclusive" and "not unique" in limit.reason
    assert all(row["method"] == "gd" for row in r.sweep.rows)


def test_theorem3_exact_limit_argmin_matches_the_closed_form_at_t2():
    setup = polylr.Setup(steps=2)
    interval = (0.0, 2 * polylr.eta_inf_t1(setup))
    a, lim, how = polylr.limit_argmin(setup, interval)
    assert how == "exact" and lim.loss.domain == "QQ"
    b = polylr.argmin(polylr.limit_t2_closed_form(setup, exact=True).loss, *interval)
    assert b.eta == pytest.approx(a.eta, rel=POLY_VS_GD_REL)
