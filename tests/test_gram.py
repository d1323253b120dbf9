"""The Gram sampler (width-free, exact in law) against the dense sampler, the limit and gradient descent.

- Same law: two-sample Kolmogorov–Smirnov and Anderson–Darling tests (scipy) on η_n and on four
  η-coefficients of f^(t)(x_1), Gram against dense, with a negative control (a deliberately wrong
  Gram sampler) that must fail at the same sample size.
- The limit: at n = 2^40 the Gram coefficients equal the exact limit polynomial to 1e-5.
- Same network: the Gram polynomial equals gradient descent (tests/reference.py, numpy) run on the
  Gram network written out as matrices in coordinates of its span (polylr.gram_weights).
"""

import dataclasses
import sys
import warnings
from pathlib import Path

import jax
import numpy as np
import pytest
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import polylr
import polylr.testing

sys.path.insert(0, str(Path(__file__).parent))
from reference import gd_outputs  # noqa: E402

DATA = polylr.Data.synthetic(8, 4, seed=0)
P_MIN = 1e-3  # each test's p-value must exceed this (and a negative control must reach it)


def _horner(c, x):
    """Values of the polynomials (rows of c, increasing powers) at x (one point per row)."""
    out = np.zeros_like(x)
    for k in range(c.shape[1] - 1, -1, -1):
        out = out * x + c[:, k]
    return out


def _eta_n(loss, lo, hi, grid=801):
    """Argmin on [lo, hi] of each loss polynomial (rows of ``loss``): grid, then Newton on L'
    inside the bracket of the best grid point. A deterministic functional equal to polylr.argmin's
    η to 1e-9 (test_eta_functional_equals_certified_argmin); used because it is vectorised (the
    certified argmin costs ~1 ms per seed)."""
    e = np.linspace(lo, hi, grid)
    vals = np.polynomial.polynomial.polyval(e, loss.T)  # (S, grid)
    i = np.argmin(vals, axis=1)
    x = e[i]
    a, b = e[np.maximum(i - 1, 0)], e[np.minimum(i + 1, grid - 1)]
    k = np.arange(loss.shape[1])
    d1 = (loss * k)[:, 1:]
    d2 = (d1 * k[1:])[:, 1:]
    inner = (i > 0) & (i < grid - 1)
    for _ in range(30):
        f1, f2 = _horner(d1, x), _horner(d2, x)
        step = np.where(inner & (f2 > 0), f1 / np.where(f2 > 0, f2, 1.0), 0.0)
        x = np.clip(x - step, a, b)
    return x


def _statistics(setup, width, seeds, sampler, coeffs):
    polys = polylr.finite_width_polys(setup, width, seeds, master_seed=11, sampler=sampler)
    # [0, 2 η_∞^μP], compact in the scaled rate: η_n ~ 1/n under SP
    lo, hi = 0.0, 2 * polylr.eta_inf_t1(setup.replace(param=polylr.MUP)) / (width if setup.param.name == "sp" else 1)
    stats = {"eta_n": _eta_n(polys.loss, lo, hi)}
    for k in coeffs:
        stats[f"f(x_1)[eta^{k}]"] = polys.outputs[:, k, 1]
    return stats


def _p_values(a, b):
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anderson_ksamp warns when its p-value is capped to [0.001, 0.25]
        for name in a:
            ks = scipy.stats.ks_2samp(a[name], b[name]).pvalue
            ad = scipy.stats.anderson_ksamp([a[name], b[name]]).pvalue
            out[name] = (ks, ad)
    return out


def _same_law(setup, width, networks, coeffs, controls):
    gram = polylr.GramSampler.for_setup(setup, width)
    assert gram.K < width
    dense = _statistics(setup, width, range(networks), "dense", coeffs)
    # Disjoint seeds for the Gram sample (the two samplers share keys; independence is not needed
    # for the law, but disjoint seeds make the two samples independent beyond doubt).
    seeds = range(networks, 2 * networks)
    ps = _p_values(_statistics(setup, width, seeds, gram, coeffs), dense)
    for name, (ks, ad) in ps.items():
        assert ks > P_MIN and ad > P_MIN, (name, ks, ad, ps)
    for defect in controls:
        bad = _p_values(_statistics(setup, width, seeds, dataclasses.replace(gram, defect=defect), coeffs), dense)
        assert min(min(p) for p in bad.values()) <= P_MIN, (defect, bad)
    return ps


def test_same_law_as_dense_default_run():
    """t = 1, L = 3, n = 32 (K = 16), 4000 networks per sampler. Measured p-values of the Gram
    sample: smallest 0.024 (KS, η^1 coefficient; AD 0.065), the others 0.24-0.78. Power of the
    same test: the "chi-n" control gives KS p = 1.6e-115 (η^1 coefficient) and the "no-projection"
    control KS p = 3.9e-55 (η^3 coefficient), both far below 0.001 (AD p capped at 0.001)."""
    setup = polylr.Setup(DATA, depth=3, steps=1)
    _same_law(setup, 32, 4000, coeffs=(0, 1, 2, 3), controls=("chi-n",))


def test_same_law_as_dense_under_sp():
    """SP (the claims sp, ntp run on the Gram path to 2^20): t = 1, L = 3, n = 32, 4000 networks
    per sampler, η_n (the same deterministic functional on [0, 2 η_∞^μP]/n) and the η^0..η^3
    coefficients of f^(1)(x_1). Measured p-values (KS, AD): smallest 0.12 (KS, η^2 coefficient;
    AD 0.13), the others 0.15-0.95. Power: the "chi-n" control gives KS p <= 9.4e-10 on every
    statistic (AD capped at 0.001). NTP needs no test of its own at t = 1: with the hidden layers
    trained it is SP with the hidden rate divided by n on the same networks, so η_NTP = n·η_SP and
    every coefficient scales by a power of n seed by seed: measured, the same p-values to the digit."""
    setup = polylr.Setup(DATA, depth=3, steps=1, param=polylr.SP)
    _same_law(setup, 32, 4000, coeffs=(0, 1, 2, 3), controls=("chi-n",))


@pytest.mark.slow
@pytest.mark.parametrize(("depth", "steps"), [(3, 1), (2, 2)])
@pytest.mark.parametrize("width", [32, 128])
def test_same_law_as_dense(depth, steps, width):
    """20 000 networks per sampler; both negative controls must fail at the same size."""
    setup = polylr.Setup(DATA, depth=depth, steps=steps)
    _same_law(setup, width, 20000, coeffs=(0, 1, 2, 3), controls=("chi-n", "no-projection"))


def test_eta_functional_equals_certified_argmin():
    setup = polylr.Setup(DATA, depth=3, steps=1)
    polys = polylr.finite_width_polys(setup, 32, range(50), master_seed=11, sampler="gram")
    lo, hi = 0.0, 2 * polylr.eta_inf_t1(setup)  # [0, 2 η_∞] (μP)
    fast = _eta_n(polys.loss, lo, hi)
    exact = np.array([polylr.argmin(polys.loss_poly(i), lo, hi).eta for i in range(50)])
    np.testing.assert_allclose(fast, exact, rtol=1e-9, atol=1e-12)


def test_gram_at_width_2_40_equals_the_limit():
    """At n = 2^40 each network's η-coefficients deviate from the limit's by its O(n^-1/2)
    fluctuation: measured sd 3e-6 to 7e-6 and max 1.9e-5 over 64 networks, relative to the largest
    limit coefficient (the scale). So: the mean of 64 networks agrees to 1e-5 relative (its sd is
    ~1e-6: margin ~10), and every network to 1e-4 (margin ~5 over the largest seen)."""
    setup = polylr.Setup(DATA, depth=3, steps=1)
    lim = polylr.limit_polys(setup)
    polys = polylr.finite_width_polys(setup, 2**40, range(64), sampler="gram")
    want = np.zeros(polys.outputs.shape[1:])
    for i, p in enumerate(lim.outputs):
        c = p.to_float().coeffs
        want[: c.size, i] = c
    scale = np.abs(want).max()
    assert np.all(np.abs(polys.outputs.mean(axis=0) - want) <= 1e-5 * scale)
    assert np.all(np.abs(polys.outputs - want) <= 1e-4 * scale)
    # and not by accident: at n = 2^10 the same comparison fails (fluctuations ~ n^-1/2 ≈ 3e-2)
    small = polylr.finite_width_polys(setup, 2**10, range(64), sampler="gram")
    assert not np.all(np.abs(small.outputs - want) <= 1e-4 * scale)


def test_samplers_auto_dense_and_errors():
    setup = polylr.Setup(DATA, depth=3, steps=1)
    K = polylr.GramSampler.for_setup(setup, 2**20).K
    assert polylr.finite_width_polys(setup, K, [0], sampler="auto").sampler == "dense"  # K >= n: dense
    assert polylr.finite_width_polys(setup, 2**30, [0], sampler="auto").sampler == "gram"
    with pytest.raises(polylr.PolylrError, match="too small for the Gram sampler"):
        polylr.finite_width_polys(setup, K, [0], sampler="gram")
    with pytest.raises(polylr.PolylrError, match="sampler='gram'"):
        polylr.finite_width_polys(setup, 2**20, [0], sampler="dense")
    with pytest.raises(polylr.PolylrError, match="sampler must be one of"):
        polylr.finite_width_polys(setup, 64, [0], sampler="lazy")
    with pytest.raises(polylr.PolylrError, match="beyond the Gram sampler's range"):
        polylr.finite_width_polys(setup, 2**41, [0], sampler="gram")


def test_key_argument_equals_master_seed_sugar():
    setup = polylr.Setup(DATA, depth=3, steps=1)
    a = polylr.finite_width_polys(setup, 2**20, [3, 4], master_seed=5, sampler="gram")
    b = polylr.finite_width_polys(setup, 2**20, [4], key=jax.random.key(5), sampler="gram")
    np.testing.assert_allclose(a.outputs[1], b.outputs[0], rtol=1e-12, atol=0)  # batching may move the last bit
    assert b.master_seed is None
    with pytest.raises(polylr.PolylrError, match="key must be a scalar JAX key"):
        polylr.finite_width_polys(setup, 64, [0], key=5)


def _check_same_network(setup, width, seeds, etas):
    polys = polylr.finite_width_polys(setup, width, seeds, sampler="gram")
    W0, Ws, V = polylr.gram_weights(setup, width, seeds)
    s = setup.param.scales(width, setup.data.d)
    lrs = s.lrs
    for i in range(len(seeds)):
        for eta in etas:
            ref = gd_outputs(setup.data.X, setup.data.y, W0[i], Ws[i], V[i], eta, setup.steps, lrs, setup.train == "all")
            for j in range(setup.data.m):
                # scale-aware: relative to Σ_k |c_k| η^k, at which float64 evaluation is meaningful
                poly = polylr.EtaPoly(polys.outputs[i, :, j], "float64")
                polylr.testing.assert_polynomial_matches(poly, lambda e, r=ref[j]: r, [eta], rtol=1e-9)


def test_gram_polynomial_equals_gradient_descent_on_the_gram_network():
    _check_same_network(polylr.Setup(DATA, depth=3, steps=1), 2**20, [0, 1], [0.0, 0.3, 0.7, 1.1, 1.9])


def _output_degree_at_most(setup, bound: int) -> bool:
    """The drawn setup's own output degree is <= bound (degree_formula is exact only for train="hidden";
    training every layer raises the degree, e.g. L = 3, t = 3: 93 hidden-only, 455 with train="all")."""
    return polylr.degree_formula(setup.depth, setup.steps) <= bound and polylr.output_degree(setup) <= bound


def test_the_property_tests_degree_assumption_reads_the_setups_own_degree():
    """The assumption of the property test below admits setups by their actual output degree (the
    previous pair of assumptions, formula <= 100 for every train, let L = 3, t = 3, train="all"
    through: degree 455, beyond the exact engine's 250, so the example raised TooLarge)."""
    data = polylr.Data.synthetic(4, 2, seed=0)
    assert _output_degree_at_most(polylr.Setup(data, depth=3, steps=3), 100)  # 93
    assert not _output_degree_at_most(polylr.Setup(data, depth=3, steps=3, train="all"), 100)  # 455
    assert not _output_degree_at_most(polylr.Setup(data, depth=2, steps=3, train="all"), 100)  # 228
    assert _output_degree_at_most(polylr.Setup(data, depth=2, steps=2, train="all"), 100)  # 32
    assert not _output_degree_at_most(polylr.Setup(data, depth=4, steps=3), 100)  # 228 (formula)


@pytest.mark.slow
@settings(max_examples=12)
@given(
    depth=st.integers(1, 4),
    steps=st.integers(1, 3),
    d=st.integers(1, 8),
    param=st.sampled_from(["mup", "sp", "ntp", "v=1.5,c=0.5"]),
    train=st.sampled_from(["hidden", "all"]),
    log_width=st.sampled_from([10, 20, 30]),
    seed=st.integers(0, 2**16),
)
def test_gram_polynomial_equals_gradient_descent_property(depth, steps, d, param, train, log_width, seed):
    data = polylr.Data.synthetic(4, d, seed=seed)
    setup = polylr.Setup(data, depth=depth, steps=steps, param=param, train=train)
    assume(_output_degree_at_most(setup, 100))
    try:
        _check_same_network(setup, 2**log_width, [seed % 7], np.linspace(0.0, 1.0, 5).tolist())
    except polylr.NotResolved as e:  # a refusal is a right answer (e.g. SP, L = 3, t = 3, n = 2^10: the
        assume("overflow float64" not in str(e))  # coefficients overflow float64), not a counterexample
        raise


def test_beyond_the_polynomial_program_gram_is_the_discovered_span():
    """t = 5 at L = 3 (output degree 2343 > 250): the polynomial program is beyond the engine, so
    "gram" (and "auto" from its crossover width on) is the span discovered by gradient descent
    (engines/gram_gd.py, tests/test_gram_gd.py); the exact-coefficient path still refuses at once."""
    from polylr.engines.gram_gd import SPAN_AUTO_MIN_WIDTH, SpanSampler
    from polylr.engines.samplers import resolve_sampler

    setup = polylr.Setup(DATA, depth=3, steps=5)
    assert isinstance(resolve_sampler("gram", setup, 2**20), SpanSampler)
    assert resolve_sampler("auto", setup, SPAN_AUTO_MIN_WIDTH // 2).name == "dense"
    assert isinstance(resolve_sampler("auto", setup, 2**20), SpanSampler)
    with pytest.raises(polylr.TooLarge, match="polynomial program"):
        polylr.GramSampler.for_setup(setup, 2**20)


def _forced_capacities(monkeypatch, tight, upper):
    """The Gram sampler's (tight, upper-bound) capacities for every setup replaced by these."""
    import polylr.engines.gram as gram

    monkeypatch.setattr(gram, "_capacities", lambda *key: (tight, upper))


def test_overflow_of_the_upper_capacities_too_is_refused(monkeypatch):
    """A network that overflows its tight capacities is drawn again with the upper-bound ones; where
    that overflows too, finite_width_polys and gram_weights refuse (NotResolved, naming the width and
    the seeds), never an AssertionError (gone under python -O) nor the overflowed network's numbers.
    The overflow is real: capacities with K = 8 < the 16 directions this setup's networks use."""
    setup = polylr.Setup(DATA, depth=3, steps=1)
    real = polylr.GramSampler.upper(setup)
    assert real.K == 16
    small = dataclasses.replace(real, K=8)
    _forced_capacities(monkeypatch, small, small)
    for call in (lambda: polylr.finite_width_polys(setup, 64, [3, 5], sampler="gram"),
                 lambda: polylr.gram_weights(setup, 64, [3, 5])):
        with pytest.raises(polylr.NotResolved, match=r"seed\(s\) 3, 5 at width n = 64 .*upper-bound ones \(K = 8\)"):
            call()


def test_overflow_of_the_tight_capacities_is_recomputed_with_the_upper_ones(monkeypatch):
    """Control of the test above: with the true upper bound the same seeds are recomputed (listed in
    upper_seeds) and equal the networks the true capacities draw (same K, same draw), in both
    functions, bit for bit: the recompute's batch is padded to the sizes of the first draws' (before,
    its own size moved XLA's last bit: 5e-15 relative), whichever seeds are drawn again with it."""
    setup = polylr.Setup(DATA, depth=3, steps=1)
    real = polylr.GramSampler.upper(setup)
    small = dataclasses.replace(real, K=8)
    _forced_capacities(monkeypatch, small, real)
    P = polylr.finite_width_polys(setup, 64, [3, 5, 6], sampler="gram")
    W = polylr.gram_weights(setup, 64, [3, 5, 6])
    assert P.upper_seeds == (3, 5, 6)
    alone = polylr.finite_width_polys(setup, 64, [5], sampler="gram")  # drawn again alone, not with 3 and 6
    np.testing.assert_array_equal(alone.loss[0], P.loss[1])
    _forced_capacities(monkeypatch, real, real)
    Q = polylr.finite_width_polys(setup, 64, [3, 5, 6], sampler="gram")
    assert Q.upper_seeds == ()
    np.testing.assert_array_equal(P.loss, Q.loss)
    for a, b in zip(W, polylr.gram_weights(setup, 64, [3, 5, 6])):
        np.testing.assert_array_equal(a, b)
