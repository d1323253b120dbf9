"""The Gram path's float64 precision check (polylr.analysis.precision) and the claims that use it.

- The extended-precision recomputation is independent of the float64 polynomial: plain gradient
  descent on the Gram network's matrices (polylr.gram_weights) in numpy clongdouble, complex-step
  slope. Checked against the float64 polynomial's own slope at a point away from the minimum.
- It measures what it claims: η_n moved by a known relative amount (a stand-in for an arithmetic
  error) is measured back to within 10 % of that amount (one Newton step from 5 % away), and the
  check then fails and the claim refuses (negative control); the unmoved sweep passes.
- Under SP at n = 2^20 (coordinates of size √n) float64 resolves η_n (tolerance: relative error
  < 1e-13; the default `polylr check sp` run measured at most 1.4e-15 over widths 2^6…2^20), far
  below 1 % of the Monte Carlo error.
"""

import dataclasses

import numpy as np
import pytest

import polylr
from polylr.analysis.precision import SHARE, check_precision, eta_errors, gd_loss_extended, require_precision
from polylr.analysis.rows import SweepRows
from polylr.engines.samplers import scales_of

DATA = polylr.Data.synthetic(8, 4, seed=0)
SP = polylr.Setup(DATA, depth=3, steps=1, param=polylr.SP)
INTERVAL = (0.0, 4 * polylr.eta_inf_t1(polylr.Setup(DATA, depth=3, steps=1)))


@pytest.fixture(scope="module")
def sp_sweep():
    return polylr.sweep(SP, [2**10, 2**20], 16, INTERVAL, order=-1.0, sampler="gram")


def test_extended_slope_equals_the_float64_polynomial_slope(sp_sweep):
    """At η = 0.7·η_n (away from the minimum, where the slope is O(1) relative to the loss) the
    complex-step slope of gradient descent on the Gram matrices equals the derivative of the Gram
    polynomial. Tolerance 1e-12 relative: the float64 slope errs by ~ε·√n ≈ 2e-13 at most under
    SP's cancellation at 2^20, so the margin is ≥ 5×; a wrong network or scale errs by O(1)."""
    w = 2**20
    W0, Ws, V = polylr.gram_weights(SP, w, range(4), sampler=polylr.GramSampler.for_setup(SP, w))
    _, lrs = scales_of(SP, w)
    eta = 0.7 * sp_sweep.etas(w)[:4]
    h = 1e-40
    vals = gd_loss_extended(DATA.X, DATA.y, W0, Ws, V, eta.astype(np.longdouble) + 1j * h, 1, lrs)
    slope = np.asarray(vals.imag / np.longdouble(h), dtype=float)
    c = np.asarray(sp_sweep.loss[w])[:4]
    k = np.arange(1, c.shape[1])
    poly_slope = np.sum(c[:, 1:] * k * eta[:, None] ** (k - 1), axis=1)
    assert np.all(np.abs(slope - poly_slope) <= 1e-12 * np.abs(poly_slope)), (slope, poly_slope)


def test_sp_at_2_20_is_resolved(sp_sweep):
    report = check_precision(sp_sweep)
    assert set(report) == {2**10, 2**20}
    for p in report.values():
        assert p.ok and p.checked == 8, p
        assert p.relative < 1e-13, p
    require_precision(report, "sp")  # no refusal


def test_a_moved_eta_is_measured_and_refused(sp_sweep):
    """Negative control: every η_n moved by 5 % (relative) — of the order of the Monte Carlo error
    of the mean at 16 seeds, far above the allowed 1 % of it — is measured back (Δη within 10 % of
    the shift: one Newton step from 5 % away errs by the loss's cubic term) and refused."""
    sw = sp_sweep
    shift = 0.05
    rows = dataclasses.replace(sw.rows, eta=sw.rows.eta * (1 + shift))
    moved = dataclasses.replace(sw, rows=SweepRows(**{f.name: getattr(rows, f.name) for f in dataclasses.fields(rows)}))
    w = 2**20
    d = eta_errors(moved, w, range(8))
    true = shift * sw.etas(w)[:8]
    assert np.all(np.abs(d - true) <= 0.1 * true), (d, true)
    report = check_precision(moved, [w])
    assert not report[w].ok and report[w].error > SHARE * report[w].scale
    with pytest.raises(polylr.NotResolved, match="does not resolve"):
        require_precision(report, "sp")


def test_sp_claim_reports_precision_and_the_split():
    res = polylr.get_claim("sp").check("tiny", setup=polylr.Setup(DATA), widths=(2**6, 2**12, 2**20), seeds=16)
    doc = res.to_json()
    assert set(doc["precision"]) == {"64", "4096", "1048576"}
    assert all(p["ok"] for p in doc["precision"].values())
    assert {"mean", "random_limit", "bias", "fluctuation"} <= set(doc["fits"])


def test_ball_arithmetic_fallback_measures_what_long_double_measures(sp_sweep, monkeypatch):
    """Where long double is double (macOS arm64, Windows) the check runs the same recursion in
    python-flint's 128-bit balls. Forced here: its Δη equals the clongdouble path's to 1e-6 relative
    plus 1e-19 absolute (both resolve Δη far below float64's eps·η; the two differ only by long
    double's 64-bit mantissa, ~1e-19 of η), on the unmoved sweep and on η_n moved by 5 % (where
    Δη ≈ 0.05·η: an O(1) disagreement would show a wrong fallback). Measured: unmoved 1.0858e-19 vs
    1.0876e-19 (difference 2e-22, 500× inside the absolute term), moved 8.8224e-05 both (9 digits)."""
    import polylr.analysis.precision as precision

    moved = dataclasses.replace(sp_sweep, rows=dataclasses.replace(sp_sweep.rows, eta=sp_sweep.rows.eta * 1.05))
    for sw in (sp_sweep, moved):
        ld = eta_errors(sw, 2**10, [0, 1])
        monkeypatch.setattr(precision, "EXTENDED_EPS", 1.0)
        arb = eta_errors(sw, 2**10, [0, 1])
        monkeypatch.undo()
        assert np.all(np.abs(arb - ld) <= 1e-6 * np.abs(ld) + 1e-19), (arb, ld)
    assert np.all(arb > 0.01 * moved.etas(2**10)[:2])  # the moved sweep's Δη is of the move's size


def test_precision_report_checks_the_networks_the_sweep_drew():
    """claims.width_free.precision_report checks the widths where the sweep's own sampler drew Gram
    networks, on those networks: at n = 24 (above this setup's K = 16, below the width 32 from which
    "auto" takes the Gram path) a "gram" sweep is checked (it was skipped when the check asked "auto"),
    and a "dense" sweep at n = 64 is not (its networks are not the Gram ones; checking the Gram
    networks' η_n against it refused, since they are other networks)."""
    from polylr.claims.width_free import precision_report

    setup = polylr.Setup(DATA, depth=3, steps=1)
    gram = polylr.sweep(setup, [24], 8, INTERVAL, sampler="gram")
    report = precision_report(gram, "test")
    assert set(report) == {"24"} and report["24"]["checked"] == 8 and report["24"]["ok"], report
    assert check_precision(gram, sampler="auto") == {}  # what the report checked before: nothing
    dense = polylr.sweep(setup, [64], 8, INTERVAL, sampler="dense")
    assert precision_report(dense, "test") == {}
    with pytest.raises(polylr.NotResolved, match="does not resolve"):  # the Gram networks are other networks
        require_precision(check_precision(dense, sampler="auto"), "test")
