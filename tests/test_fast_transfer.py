"""Fast transfer (Ghosh–Wu–Bietti): the gaps a_n, b_n, c_n, their exponents and verdicts, and the
exact L = 1 cases (Sakai & Imaizumi): closed form, fixed-t rates, the XXᵀ = I counterexample, the
long-horizon limit. Every statistical verdict test has a negative control that must come out the
other way at the same sample size."""

import json
import math
from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from typer.testing import CliRunner

import polylr
from polylr.cli import app

# -- the L = 1 closed form ------------------------------------------------------------------------


def _exact_gd_loss(data, W0, W1, V, steps):
    """Independent exact reference: full-batch GD on W_1 in Q[η], written from the definitions
    (f(x) = Vᵀ W_1 W_0 x, loss (1/2m) Σ (f − y)², W_1 ← W_1 − η ∇), every entry an fmpq_poly."""
    fq = lambda v: flint.fmpq(*float(v).as_integer_ratio())  # noqa: E731
    P = flint.fmpq_poly
    m, n = data.m, W1.shape[0]
    X = [[fq(v) for v in row] for row in data.X]
    y = [fq(v) for v in data.y]
    W0q = [[fq(v) for v in row] for row in W0]
    Vq = [fq(v) for v in V]
    W = [[P([fq(v)]) for v in row] for row in W1]
    h = [[sum((W0q[j][k] * X[i][k] for k in range(data.d)), flint.fmpq(0)) for j in range(n)] for i in range(m)]  # W_0 x_i

    def outputs(W):
        return [sum((Vq[a] * W[a][b] * h[i][b] for a in range(n) for b in range(n)), P([0])) for i in range(m)]

    eta = P([0, 1])
    for _ in range(steps):
        chi = [f - y[i] for i, f in enumerate(outputs(W))]
        # ∂loss/∂W_ab = (1/m) Σ_i χ_i V_a (W_0 x_i)_b
        W = [[W[a][b] - eta * sum((chi[i] * (Vq[a] * h[i][b]) for i in range(m)), P([0])) * flint.fmpq(1, m)
              for b in range(n)] for a in range(n)]
    chi = [f - y[i] for i, f in enumerate(outputs(W))]
    return sum((c * c for c in chi), P([0])) * flint.fmpq(1, 2 * m)


def _weights(setup, t):
    return tuple(np.asarray(a) for a in polylr.draw_weights(polylr.weight_key(0, 4, t), setup, 4))


def test_closed_form_is_exact_gd_for_t_up_to_5():
    data = polylr.Data.synthetic(m=3, d=2, seed=1)
    for t in range(1, 6):
        setup = polylr.Setup(data=data, depth=1, steps=t)
        W0, Ws, V = _weights(setup, t)
        closed = polylr.shallow_loss_closed_form(data, W0, Ws, V, t)
        assert closed.domain == "QQ" and closed.degree == 2 * t
        # exact equality with gradient descent run in rationals
        gd = _exact_gd_loss(data, W0, Ws[0], V, t)
        assert closed.as_fmpq_poly() == gd
        # the float64 closed form (the shallow sampler's eigenbasis formula) against the same exact GD,
        # within its error bound: relative error measured <= 2.9e-15 for t <= 5 (bound 1e-13, 34x margin),
        # at most 0.081 of the error bound (margin 12)
        exact = np.array([float(Fraction(int(c.p), int(c.q))) for c in gd.coeffs()])
        fl = polylr.shallow_loss_closed_form(data, W0, Ws, V, t, exact=False)
        assert np.max(np.abs(fl.coeffs - exact) / np.abs(exact)) < 1e-13
        assert np.all(np.abs(fl.coeffs - exact) <= fl.error)
        # the limit engine equals the L = 1 limit closed form (A_n → K, χ₀ → −y), exactly
        assert polylr.limit_polys(setup, exact=True).loss == polylr.shallow_limit_closed_form(data, t)


@pytest.mark.parametrize("t", [1, 2, 3, 4, 5])
def test_closed_form_matches_the_engine(t):
    # polylr's float64 engine on the same weights (each t costs one JAX compilation, 1-3 s).
    # Coefficient-wise relative error measured <= 1.1e-15 for t <= 5
    # (m = 3, d = 2, n = 4..8); bound 1e-13 (90x margin)
    data = polylr.Data.synthetic(m=3, d=2, seed=1)
    setup = polylr.Setup(data=data, depth=1, steps=t)
    W0, Ws, V = _weights(setup, t)
    exact = np.array([float(c) for c in polylr.shallow_loss_closed_form(data, W0, Ws, V, t).coeffs])
    _, loss = polylr.polys_from_weights(setup, W0, Ws, V)
    assert np.max(np.abs(loss - exact) / np.abs(exact)) < 1e-13


def test_negative_control_closed_form_detects_a_wrong_power():
    # the comparison above can fail: (I − ηA/m)^{2t} with t − 1 in place of t differs from GD
    data = polylr.Data.synthetic(m=3, d=2, seed=1)
    setup = polylr.Setup(data=data, depth=1, steps=3)
    W0, Ws, V = (np.asarray(a) for a in polylr.draw_weights(polylr.weight_key(0, 4, 0), setup, 4))
    assert polylr.shallow_loss_closed_form(data, W0, Ws, V, 2).as_fmpq_poly() != _exact_gd_loss(data, W0, Ws[0], V, 3)


# -- gaps per network against an independent mpmath computation ------------------------------------


def _mp_gd_loss(data, W0, W1, V, eta, steps):
    """Loss after ``steps`` GD steps on W_1 (only), in mpmath (25 digits), from the definitions."""
    X = mpmath.matrix(data.X.tolist())
    y = mpmath.matrix(data.y.tolist())
    W0, W1, V = mpmath.matrix(W0.tolist()), mpmath.matrix(W1.tolist()), mpmath.matrix(V.tolist())
    H = W0 * X.T  # n × m
    m = data.m
    for _ in range(steps):
        chi = (V.T * W1 * H).T - y
        W1 = W1 - eta * (V * (H * chi).T) / m
    chi = (V.T * W1 * H).T - y
    return sum(c**2 for c in chi) / (2 * m)


def _mp_argmin(f, lo, hi, points):
    """Dense grid, then golden-section search in the best bracket, to 1e-16 in η."""
    grid = [lo + (hi - lo) * mpmath.mpf(k) / (points - 1) for k in range(points)]
    vals = [f(e) for e in grid]
    k = min(range(points), key=lambda i: vals[i])
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, points - 1)]
    g = (mpmath.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    while b - a > mpmath.mpf("1e-16"):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    e = (a + b) / 2
    return e, f(e)


def test_gaps_of_one_network_match_an_independent_mpmath_dense_grid():
    data = polylr.Data.synthetic(m=3, d=2, seed=3)
    setup = polylr.Setup(data=data, depth=1, steps=2)
    hi = 2 * polylr.eta_inf_t1(setup)
    g = polylr.network_gaps(setup, [6], 1, (0, hi), sampler="dense")
    W0, Ws, V = (np.asarray(a) for a in polylr.draw_weights(polylr.weight_key(0, 6, 0), setup, 6))
    with mpmath.workdps(25):
        eta_n, phi_n = _mp_argmin(lambda e: _mp_gd_loss(data, W0, Ws[0], V, e, 2), mpmath.mpf(0), mpmath.mpf(hi), 41)
        K = mpmath.matrix(data.X.tolist()) * mpmath.matrix(data.X.tolist()).T / data.d
        y = mpmath.matrix(data.y.tolist())

        def limit(e):  # (2m)^-1 ‖(I − ηK/m)^t y‖², the L = 1 limit, written independently
            u = y
            for _ in range(2):
                u = u - e * (K * u) / data.m
            return sum(c**2 for c in u) / (2 * data.m)

        eta_inf, phi_inf = _mp_argmin(limit, mpmath.mpf(0), mpmath.mpf(hi), 41)
        a, b, c = abs(phi_n - phi_inf), abs(eta_n - eta_inf), limit(eta_n) - phi_inf
    assert 0 < eta_n < hi and 0 < eta_inf < hi  # interior minima: the golden section applies
    # polylr: float64 polynomial coefficients (relative error ~1e-15), certified argmins; measured
    # relative differences <= 1e-12 (a), 3e-14 (b), 2e-13 (c); bounds 1e-9 (>= 1000x margin)
    assert float(g.a[6][0]) == pytest.approx(float(a), rel=1e-9)
    assert float(g.b[6][0]) == pytest.approx(float(b), rel=1e-9)
    assert float(g.c[6][0]) == pytest.approx(float(c), rel=1e-9)
    assert g.eta_inf == pytest.approx(float(eta_inf), rel=1e-12)


# -- verdicts on the exact L = 1 cases -----------------------------------------------------------------

WIDTHS = tuple(2**k for k in range(6, 15))  # 64 … 16384 (the shallow sampler's cost does not grow with n)
NETWORKS = 128


def _check(data, t, **kw):
    setup = polylr.Setup(data=data, depth=1, steps=t)
    opts = polylr.CheckOptions(setup=setup, budget=polylr.BUDGETS["tiny"], widths=WIDTHS, seeds=NETWORKS, **kw)
    return polylr.check_fast_transfer(opts)


@pytest.fixture(scope="module")
def generic():
    return _check(polylr.Data.synthetic(), 1)


def _status(result, key):
    return next(v.status for v in result.verdicts if v.claim == f"fast-transfer.{key}")


def test_generic_l1_fixed_t_is_fast_with_the_predicted_rates(generic):
    # Sakai–Imaizumi: a_n, b_n = Θ_p(n^-1/2), c_n = Θ_p(n^-1) at fixed t, ≥ 2 active directions.
    # Measured (256 networks): 2β − α = 0.506 [0.468, 0.547]; edge 0.1
    r = generic
    f = r.fits.fits
    assert _status(r, "fast") == "holds" and _status(r, "ratio") == "holds" and _status(r, "c_b2") == "holds"
    for q, target in (("b", -0.5), ("c", -1.0)):
        lo, hi = f[q].ci
        assert lo - 0.1 <= target <= hi + 0.1, (q, f[q].exponent, f[q].ci)
    assert f["a"].ci[0] - 0.1 <= -0.5 <= f["a"].ci[1] + 0.1
    # negative control: the same gaps with a_n and c_n swapped must not be fast
    assert {d.key: d.status for d in r.control}["fast"] == "fails"
    assert {d.key: d.status for d in r.control}["ratio"] == "fails"


@pytest.mark.parametrize("t", [1, 2])
def test_identity_gram_counterexample_is_not_fast(t):
    # XXᵀ = I: a_n, c_n = Θ_p(n^-t), b_n = Θ_p(n^-1/2): not fast. Measured (256 networks):
    # 2β − α = 0.008 [-0.033, 0.046] at t = 1 (edge 0.1), -0.968 [-1.017, -0.921] at t = 2
    r = _check(polylr.identity_gram_data(4, 8, seed=0), t)
    f = r.fits.fits
    assert _status(r, "fast") == "fails"
    assert f["a"].ci[0] - 0.1 <= -t <= f["a"].ci[1] + 0.1, (f["a"].exponent, f["a"].ci)
    assert f["b"].ci[0] - 0.1 <= -0.5 <= f["b"].ci[1] + 0.1
    # the limit is flat to order 2t at its minimiser: c ≍ b² at t = 1 only
    assert _status(r, "c_b2") == ("holds" if t == 1 else "fails")
    # where κ = φ_∞''(η_∞)/2 is 0 (t = 2) the table says so instead of printing nan
    _, cols, rows = r.tables()[0]
    cells = [row[cols.index("median c_n/(κb_n²)")] for row in rows]
    assert all(c == "n/a: κ = 0" for c in cells) if t == 2 else all(np.isfinite(float(c)) for c in cells), cells


def test_gram_draw_has_the_law_of_the_vector_draw():
    # the width-free Wishart draw against the O(n·d) draw of W_0, V, u (each exact in law by
    # construction; this checks the Bartlett algebra): η_n at n = 64, 400 networks each, KS.
    # Measured p = 0.42. Negative control at the same size: width 16 must be rejected.
    from scipy.stats import ks_2samp

    from polylr.engines.shallow import shallow_width_polys

    setup = polylr.Setup(depth=1, steps=1)
    hi = 2 * polylr.eta_inf_t1(setup)

    def etas(width, draw):
        return np.array([polylr.argmin(polylr.EtaPoly(c), 0, hi).eta for c in shallow_width_polys(setup, width, range(400), draw=draw)])

    vectors = etas(64, "vectors")
    assert ks_2samp(etas(64, "gram"), vectors).pvalue > 0.001
    assert ks_2samp(etas(16, "gram"), vectors).pvalue < 0.001


def test_verdict_rules_negative_control_flips_fast_to_not_fast(generic):
    g = generic.gaps
    fits = polylr.fit_gaps(g, n_boot=400, boot_seed=3)
    real = {d.key: d.status for d in polylr.transfer_decisions(g, fits)}
    sw = g.swapped()
    swapped = {d.key: d.status for d in polylr.transfer_decisions(sw, polylr.fit_gaps(sw, n_boot=400, boot_seed=3))}
    assert real["fast"] == "holds" and swapped["fast"] == "fails"
    assert real["ratio"] == "holds" and swapped["ratio"] == "fails"
    # too few networks: inconclusive whatever the interval
    setup = polylr.Setup(depth=1, steps=1)
    small = polylr.network_gaps(setup, WIDTHS[:4], 4, (0, 2 * polylr.eta_inf_t1(setup)))
    assert {d.status for d in polylr.transfer_decisions(small, polylr.fit_gaps(small, n_boot=200))} == {"inconclusive"}


@pytest.mark.slow
def test_shallow_sampler_has_the_law_of_the_dense_network():
    # η_n at n = 64 over 300 networks: the width-free draw (Wishart W_0ᵀW_0, chi-square ‖V‖²)
    # against polylr's dense engine (full weights, JAX keys); two-sample KS. Measured p = 0.24
    # (400 networks). Negative control at the same size: the law of width 16 must be rejected.
    from scipy.stats import ks_2samp

    from polylr.engines.shallow import shallow_width_polys

    setup = polylr.Setup(depth=1, steps=1)
    hi = 2 * polylr.eta_inf_t1(setup)

    def etas(coeffs):
        return np.array([polylr.argmin(polylr.EtaPoly(c), 0, hi).eta for c in coeffs])

    dense = etas(polylr.finite_width_polys(setup, 64, range(300)).loss)
    assert ks_2samp(etas(shallow_width_polys(setup, 64, range(300))), dense).pvalue > 0.001
    assert ks_2samp(etas(shallow_width_polys(setup, 64, range(300), draw="vectors")), dense).pvalue > 0.001
    assert ks_2samp(etas(shallow_width_polys(setup, 16, range(300))), dense).pvalue < 0.001


def test_paired_bootstrap_marginals_are_fit_rates():
    setup = polylr.Setup(depth=1, steps=1)
    g = polylr.network_gaps(setup, (64, 256, 1024), 32, (0, 2 * polylr.eta_inf_t1(setup)))
    fits = polylr.fit_gaps(g, n_boot=500, boot_seed=11)
    from polylr.analysis.gaps import paired_slopes

    slopes = paired_slopes(g.widths, {q: g.gap(q) for q in "abc"}, n_boot=500, boot_seed=11)
    for q in "abc":
        lo, hi = np.quantile(slopes[q], [0.025, 0.975])
        # same resamples as fit_rate, so the same percentile interval up to the quantile method
        assert lo == pytest.approx(fits.fits[q].ci[0], abs=0.02) and hi == pytest.approx(fits.fits[q].ci[1], abs=0.02)


# -- the long-horizon limit ---------------------------------------------------------------------------


def test_long_horizon_eta_approaches_two_m_over_extreme_eigenvalues():
    data = polylr.Data.synthetic()
    target = polylr.long_horizon_eta(data)
    lam, U = np.linalg.eigh(data.K)
    assert target == pytest.approx(2 * data.m / (lam[-1] + lam[lam > 1e-12][0]), rel=1e-12)
    hi = 2 * polylr.eta_inf_t1(polylr.Setup(data=data, depth=1))
    # t = 20 from the limit engine (exact rational polynomial, certified argmin)
    e20 = polylr.limit_optimum(polylr.Setup(data=data, depth=1, steps=20), (0, hi), mode="exact").eta
    # t = 50: the closed form evaluated stably in K's eigenbasis (active directions only), Brent
    w = (U.T @ data.y) ** 2
    act = lam > 1e-12

    def loss(e, t):
        return float(np.sum(w[act] * (1 - e * lam[act] / data.m) ** (2 * t)))

    e50 = minimize_scalar(lambda e: loss(e, 50), bounds=(0, hi), method="bounded", options={"xatol": 1e-10}).x
    e20b = minimize_scalar(lambda e: loss(e, 20), bounds=(0, hi), method="bounded", options={"xatol": 1e-10}).x
    assert e20 == pytest.approx(e20b, abs=1e-7)  # engine vs closed form
    g20, g50 = target - e20, target - e50
    # measured: g20 = 0.194, g50 = 0.079, t·gap = 3.89, 3.94: the approach is O(1/t)
    assert 0 < g50 < g20 < 0.25
    assert 50 * g50 == pytest.approx(20 * g20, rel=0.05)


# -- command line ---------------------------------------------------------------------------------------


def test_cli_fast_transfer_writes_results_and_refuses_sp(tmp_path):
    runner = CliRunner()
    out = tmp_path / "o"
    r = runner.invoke(app, ["check", "fast-transfer", "--depth", "1", "--steps", "2", "--widths", "64..1024", "--seeds", "16",
                            "--budget", "tiny", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "fast-transfer" / "summary.json").read_text())
    doc["rows"] = json.loads((out / "fast-transfer" / "results.json").read_text())
    assert {r["sampler"] for r in doc["rows"]} == {"shallow"} and doc["rows"][0]["key_scheme"].startswith("numpy")
    assert doc["setup"]["steps"] == 2 and doc["setup"]["depth"] == 1 and doc["campaign"]["sampler"] == "shallow"
    assert len(doc["rows"]) == 5 * 16 and {v["claim"] for v in doc["verdicts"]} == {
        "fast-transfer.fast", "fast-transfer.ratio", "fast-transfer.c_b2"}
    assert sorted(p.name for p in (out / "fast-transfer").iterdir()) == ["c_vs_b2.png", "gaps_loglog.png", "results.json", "summary.json"]
    assert "## fast-transfer" in (out / "report.md").read_text()
    bad = runner.invoke(app, ["check", "fast-transfer", "--param", "sp", "--depth", "1", "--out", str(tmp_path / "no")])
    assert bad.exit_code == 2 and "error:" in bad.output and "mup" in bad.output and not (tmp_path / "no").exists()


def test_identity_gram_data_is_orthonormal_and_checked():
    data = polylr.identity_gram_data(4, 8, seed=1)
    assert np.allclose(data.X @ data.X.T, np.eye(4), atol=1e-14)
    with pytest.raises(polylr.PolylrError, match="d"):
        polylr.identity_gram_data(5, 4)
    with pytest.raises(polylr.PolylrError, match="sampler"):
        polylr.network_gaps(polylr.Setup(depth=1), [8], 2, (0, 1), sampler="sparse")
    with pytest.raises(polylr.PolylrError, match="L = 1"):
        polylr.network_gaps(polylr.Setup(depth=2), [8], 2, (0, 1), sampler="shallow")
    assert math.isfinite(polylr.long_horizon_eta(data))


# -- Theorem 2 as a calculator --------------------------------------------------------------------------


def test_transfer_budget_matches_theorem_2_and_pays_iff_beta_above_half_alpha():
    tb = polylr.transfer_budget(1.0, 1.0, 2.0, 1)  # RF ridge: α = β = 1, r = 2
    assert tb.direct_error == pytest.approx(2 / 5) and tb.direct_width == pytest.approx(2 / 5)
    assert tb.transfer_error == pytest.approx(1 / 2) and tb.proxy_width == pytest.approx(1 / 3) and tb.final_width == 0.5
    rng = np.random.default_rng(0)
    for _ in range(2000):
        a, b, r = rng.uniform(0.05, 3, 3)
        h = int(rng.integers(1, 5))
        t = polylr.transfer_budget(a, b, r, h)
        assert (t.gain > 0) == (b > a / 2) == t.pays
        # the transfer exponent never exceeds the final model's α/r
        assert t.transfer_error <= a / r + 1e-15
    # XXᵀ = I at t = 2 (α = 2, β = 1/2): transfer is worse than direct tuning
    assert polylr.transfer_budget(2.0, 0.5).gain < 0


def test_transfer_budget_cli(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["transfer-budget", "--alpha", "0.5", "--beta", "0.5", "--r", "2", "--h", "1"])
    assert r.exit_code == 0 and "error ~ F^-0.2222" in r.output and "transfer pays" in r.output
    for args, word in ((["--alpha", "-1", "--beta", "0.5"], "alpha"), (["--alpha", "1"], "--beta"),
                       (["--alpha", "1", "--beta", "1", "--h", "0"], "h"), (["--from", str(tmp_path / "none.json")], "does not exist")):
        bad = runner.invoke(app, ["transfer-budget", *args])
        assert bad.exit_code == 2 and bad.output.count("error:") == 1 and word in bad.output, bad.output
    doc = {"fits": {"alpha": 0.55, "beta": 0.51, "level": 0.95, "combos": {"2β − α": {"point": 0.47, "ci": [0.39, 0.55]}}}}
    (tmp_path / "r.json").write_text(json.dumps(doc))
    r = runner.invoke(app, ["transfer-budget", "--from", str(tmp_path / "r.json"), "--json"])
    out = json.loads(r.output)
    assert r.exit_code == 0 and out["pays"] and "settled" in out["note"]


def test_gaps_do_not_rely_on_the_global_x64_flag():
    import jax

    setup = polylr.Setup(depth=1, steps=1)
    interval = (0, 2 * polylr.eta_inf_t1(setup))
    on = polylr.network_gaps(setup, [8], 3, interval, sampler="dense")
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        off = polylr.network_gaps(setup, [8], 3, interval, sampler="dense")
        assert not jax.config.jax_enable_x64  # the scoped context did not leak
    finally:
        jax.config.update("jax_enable_x64", before)  # leave the process as it was
    assert off.a[8].dtype == np.float64 and np.array_equal(off.a[8], on.a[8]) and np.array_equal(off.c[8], on.c[8])
