"""Gram networks beyond the polynomial program: the span discovered by gradient descent
(polylr/engines/gram_gd.py), against the lazy network itself, the dense sampler and the limit.

- Same network: GD at fresh η on the *lazy* network after discovery (its state kept) draws no new
  direction and gives the outputs GD on the explicit matrices gives (the evaluation path).
- Same law as the dense sampler: two-sample KS and AD on the loss at fixed η, with a negative
  control (a deliberately wrong Gram sampler) that must fail at the same sample size.
- The limit: at n = 2^40 the loss values at t = 5 equal polylr.limit_loss_values to 1e-5.
- The certificate: a deliberately truncated discovery is refused (NotResolved naming η).
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import polylr
from polylr.engines import program
from polylr.engines.gram_gd import CERT_TOL, SpanSampler, span_gd_batch, span_weights
from polylr.engines.program import Values
from polylr.engines.samplers import master_key, resolve_sampler, scales_of, width_key

# L = 3, t = 4: output degree 468 > 250, so beyond the polynomial program; small data keeps K small.
SMALL = polylr.Setup(polylr.Data.synthetic(4, 2, seed=1), depth=3, steps=4)
P_MIN = 1e-3


def _eta_max(setup):
    return 2 * polylr.eta_inf_t1(setup)


def test_small_setup_is_beyond_the_polynomial_program():
    with pytest.raises(polylr.TooLarge):
        polylr.finite_width_polys(SMALL, 2**20, [0], sampler="gram")
    assert isinstance(resolve_sampler("gram", SMALL, 2**20), SpanSampler)


@pytest.mark.slow  # two compilations of the lazy program: ~75 s under load
def test_discovered_network_is_the_lazy_network():
    """Discovery re-done here by hand on the lazy network (probes, then verification batches until
    one adds nothing), which then answers GD at 5 fresh η without a new direction, with the outputs
    of the explicit matrices. Measured: max relative difference of the outputs 3e-14 (tolerance
    1e-10), of the matrices 0 to 1e-16 (tolerance 1e-12)."""
    setup, width, seed = SMALL, 2**20, 2
    hi = _eta_max(setup)
    sampler = SpanSampler()
    tight, _ = sampler.capacities(setup, width, hi)
    probes, checks = sampler.schedule(hi)
    stds, lrs = scales_of(setup, width)
    L, t, d = setup.depth, setup.steps, setup.data.d
    fresh = np.random.default_rng(3).uniform(0.0, hi, checks.shape[1])  # a check batch's shape: one compilation
    with jax.enable_x64(True):
        X, y = jnp.asarray(setup.data.X), jnp.asarray(setup.data.y)
        run = jax.jit(lambda net, e: program.outputs(Values(e), net, X, y, lrs, L, t, False))
        mats = span_weights(setup, width, [seed], master_key(0), hi, sampler)
        f_explicit, residual = span_gd_batch(
            tuple(jnp.asarray(a) for a in mats), jnp.asarray(fresh[None]), X, y, lrs, L=L, t=t, train_all=False,
        )
        assert float(np.max(residual)) <= CERT_TOL
        net = tight.network(jax.random.fold_in(width_key(master_key(0), width), seed), stds, d=d, n=jnp.float64(width), L=L)
        net, _ = run(net, jnp.asarray(probes))
        for e in checks:
            new, _ = run(net, jnp.asarray(e))
            grew = int(new.k) > int(net.k)
            net = new
            if not grew:
                break
        assert not bool(net.overflow)
        for a, b in zip(net.dense(), mats[:3]):
            np.testing.assert_allclose(np.asarray(a), b[0], rtol=0, atol=1e-12 * np.max(np.abs(b[0])))
        k = int(net.k)
        net, f_lazy = run(net, jnp.asarray(fresh))
        assert int(net.k) == k  # no new direction at any fresh η
        f_lazy = np.asarray(f_lazy)
        scale = np.max(np.abs(f_lazy), axis=1, keepdims=True)
        assert np.max(np.abs(f_lazy - np.asarray(f_explicit)[0]) / scale) < 1e-10


def _losses(setup, width, seeds, etas, sampler):
    return polylr.finite_loss_values(setup, width, seeds, etas, master_seed=5, sampler=sampler)


def _p_values(a, b):
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anderson_ksamp caps its p-value to [0.001, 0.25] and warns
        for j in range(a.shape[1]):
            out.append((scipy.stats.ks_2samp(a[:, j], b[:, j]).pvalue, scipy.stats.anderson_ksamp([a[:, j], b[:, j]]).pvalue))
    return out


def _same_law(setup, width, networks, fractions, defect):
    etas = _eta_max(setup) * np.asarray(fractions)
    dense = _losses(setup, width, range(networks), etas, "dense")
    gram = _losses(setup, width, range(networks, 2 * networks), etas, SpanSampler())
    ps = _p_values(gram, dense)
    assert all(ks > P_MIN and ad > P_MIN for ks, ad in ps), ps
    bad = _p_values(_losses(setup, width, range(networks, 2 * networks), etas, SpanSampler(defect=defect)), dense)
    assert min(min(p) for p in bad) <= P_MIN, (defect, bad)
    return ps, bad


def test_same_law_as_dense_default_run():
    """SMALL (t = 4, L = 3) at n = 64, 800 networks per sampler, the loss at 0.5 and 1.0 of
    2 η_∞^(1). Measured at 640 networks: p-values (KS, AD) 0.53, 0.25 and 0.13, 0.08; the negative
    control "chi-n" (χ²_n instead of χ²_{n−j}) gave KS p = 1.1e-8 at the same size."""
    _same_law(SMALL, 64, 800, (0.5, 1.0), "chi-n")


@pytest.mark.slow
def test_same_law_as_dense_20000():
    """The issue's sample size: 20 000 networks per sampler at n = 128, three η, control "chi-n"
    (passes; 416 s on the loaded 2-core machine).
    (The "no-projection" control is refused earlier, by the certificate: its query directions are
    not orthogonal to the span, residual 0.24 measured; tests/test_gram_gd.py checks that below.)"""
    _same_law(SMALL, 128, 20000, (0.25, 0.5, 1.0), "chi-n")


@pytest.mark.slow  # its own compilation (~50 s under load)
def test_no_projection_defect_is_refused_by_the_certificate():
    etas = _eta_max(SMALL) * np.array([0.5, 1.0])
    with pytest.raises(polylr.NotResolved, match="leaves its discovered span"):
        polylr.finite_loss_values(SMALL, 64, range(8), etas, sampler=SpanSampler(defect="no-projection"))


@pytest.mark.slow  # its own setup (t = 5): ~145 s under load, mostly compilation
def test_loss_values_at_width_2_40_equal_the_limit():
    """t = 5, L = 3 (degree 2 343: beyond the polynomial program) at n = 2^40: the Gram networks'
    loss at 5 η on [0, 2 η_∞^(1)] equals the limit's (evaluation mode): the mean of 8 seeds to 1e-5
    relative, each seed to 1e-4 (its own fluctuation is ~n^-1/2 times the dynamics' amplification).
    Measured: mean 3.9e-6, each seed 2.3e-5 (at n = 2^32: 5.3e-5 and 5.3e-4, the n^-1/2 law)."""
    setup = polylr.Setup(polylr.Data.synthetic(4, 2, seed=1), depth=3, steps=5)
    etas = _eta_max(setup) * np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    want = polylr.limit_loss_values(setup, etas)
    got = polylr.finite_loss_values(setup, 2**40, range(8), etas, sampler="gram")
    rel = (got - want) / np.abs(want)
    assert np.max(np.abs(rel)) < 1e-4, rel
    assert np.max(np.abs(rel.mean(axis=0))) < 1e-5, rel.mean(axis=0)
    small = polylr.finite_loss_values(setup, 2**24, range(8), etas, sampler="gram")  # power: n = 2^24 is far off
    assert np.max(np.abs((small - want) / want).mean(axis=0)) > 1e-5


def test_certificate_refuses_a_truncated_span():
    """Discovery at one small η only (no verification): GD at larger η leaves the span, and the
    evaluation refuses naming η; the default discovery passes the same call."""
    setup, width = SMALL, 64  # the law test's width and η shape: its compilations are reused
    etas = _eta_max(setup) * np.array([0.3, 1.0])
    ok = polylr.finite_loss_values(setup, width, [0, 1], etas, sampler=SpanSampler())
    assert np.all(np.isfinite(ok))
    truncated = SpanSampler(probes=(0.02,), batches=0)
    with pytest.raises(polylr.NotResolved, match=r"leaves its discovered span \(relative residual"):
        polylr.finite_loss_values(setup, width, [0, 1], etas, sampler=truncated)


def test_samplers_and_errors_beyond_the_polynomial_program():
    setup = polylr.Setup(steps=5)  # built-in data, L = 3
    assert isinstance(resolve_sampler("gram", setup, 2**20), SpanSampler)
    assert isinstance(resolve_sampler("auto", setup, 2**20), SpanSampler)
    assert resolve_sampler("auto", setup, 128).name == "dense"
    with pytest.raises(polylr.InvalidInput, match="needs eta_max"):
        polylr.gram_weights(SMALL, 2**20, [0])
    with pytest.raises(polylr.InvalidInput, match="too small for the Gram sampler"):
        polylr.finite_loss_values(SMALL, 16, [0], [0.1, 0.2], sampler="gram")
    with pytest.raises(polylr.TooLarge, match="beyond the Gram sampler's range"):
        polylr.finite_loss_values(SMALL, 2**41, [0], [0.1], sampler="gram")
    W0, Ws, V = polylr.gram_weights(SMALL, 2**20, [0], eta_max=_eta_max(SMALL))
    assert Ws.shape[1:] == (3, W0.shape[1], W0.shape[1])


def test_network_does_not_depend_on_its_batch():
    """A seed's discovered network (and so its values) is the same alone and in a batch of others
    (each seed stops at its own first empty verification batch). Measured: identical to 1e-15."""
    hi = _eta_max(SMALL)
    etas = hi * np.array([0.6, 1.0])
    a = polylr.finite_loss_values(SMALL, 2**20, [7], etas, sampler="gram")
    b = polylr.finite_loss_values(SMALL, 2**20, [3, 5, 7, 9], etas, sampler="gram")
    np.testing.assert_allclose(a[0], b[2], rtol=1e-12, atol=0)
