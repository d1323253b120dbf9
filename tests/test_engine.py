"""The numeric engine against plain gradient descent, the degree formula, and seed bookkeeping."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import gd_loss, gd_outputs

import polylr
from polylr.engines import coeffs
from tolerances import POLY_VS_GD_REL, SAME_QUANTITY_REL, WEIGHT_SD_REL_HIDDEN, WEIGHT_SD_REL_INPUT, WEIGHT_SD_REL_OUTPUT


def _weights(rng, setup, n):
    """Weights drawn by numpy (independently of polylr's sampler) at the parametrization's scales."""
    s = setup.param.scales(n, setup.data.d)
    return (
        s.in_std * rng.standard_normal((n, setup.data.d)),
        s.hidden_std * rng.standard_normal((setup.depth, n, n)),
        s.out_std * rng.standard_normal(n),
    )


def _lrs(setup, n):
    s = setup.param.scales(n, setup.data.d)
    return s.lrs


def _assert_matches_gd(coeffs, ref, eta):
    """|p(η) − GD(η)| <= 1e-10 · max(|GD(η)|, Σ_k |c_k η^k|): relative error, measured against the scale
    at which float64 evaluation of the polynomial can be exact (they agree when nothing cancels)."""
    coeffs = np.atleast_2d(np.asarray(coeffs).T).T if np.ndim(coeffs) == 1 else coeffs
    powers = eta ** np.arange(coeffs.shape[0])
    value = np.tensordot(powers, coeffs, axes=1)
    scale = np.maximum(np.abs(ref), np.tensordot(powers, np.abs(coeffs), axes=1))
    assert np.all(np.abs(value - ref) <= POLY_VS_GD_REL * scale), (value, ref)


shapes = dict(
    width=st.integers(1, 9),
    d=st.integers(1, 4),
    m=st.integers(1, 5),
    depth=st.integers(1, 3),
    param=st.sampled_from(["mup", "sp", "ntp"]),
    seed=st.integers(0, 2**31),
    eta=st.floats(0.0, 2.0),
)


@settings(max_examples=25)
@given(steps=st.integers(1, 3), train=st.just("hidden"), **shapes)
def test_polynomial_equals_gradient_descent(width, d, m, depth, steps, param, train, seed, eta):
    _check_against_gd(width, d, m, depth, steps, param, train, seed, eta)


@settings(max_examples=10)
@given(steps=st.integers(1, 2), train=st.just("all"), **shapes)
def test_polynomial_equals_gradient_descent_all_layers_trained(width, d, m, depth, steps, param, train, seed, eta):
    _check_against_gd(width, d, m, depth, steps, param, train, seed, eta)


def _check_against_gd(width, d, m, depth, steps, param, train, seed, eta):
    rng = np.random.default_rng(seed)
    data = polylr.Data(rng.standard_normal((m, d)), rng.standard_normal(m))
    setup = polylr.Setup(data=data, depth=depth, steps=steps, param=param, train=train)
    W0, Ws, V = _weights(rng, setup, width)
    f, loss = polylr.polys_from_weights(setup, W0, Ws, V)
    ref_f = gd_outputs(data.X, data.y, W0, Ws, V, eta, steps, _lrs(setup, width), train == "all")
    ref_l = gd_loss(data.X, data.y, W0, Ws, V, eta, steps, _lrs(setup, width), train == "all")
    _assert_matches_gd(f, ref_f, eta)
    _assert_matches_gd(loss, ref_l, eta)


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("steps", [1, 2, 3])
def test_degree_matches_formula(depth, steps):
    setup = polylr.Setup(data=polylr.Data.synthetic(3, 2, seed=1), depth=depth, steps=steps)
    formula = polylr.degree_formula(depth, steps)
    assert polylr.output_degree(setup) == formula
    polys = polylr.finite_width_polys(setup, 6, [0])
    assert polys.outputs.shape[1] == formula + 1
    top = polys.outputs[0, -1, :]
    assert np.all(top != 0), "the leading coefficient must not vanish for random weights"
    assert polys.loss_poly(0).degree == 2 * formula


def test_degree_formula_values():
    # d_1 = 1, d_2 = 1 + 5 = 6, d_3 = 1 + 5*6 = 31 at L = 3 (MISSION.md): 3, 18, 93.
    assert [polylr.degree_formula(3, t) for t in (1, 2, 3)] == [3, 18, 93]


def test_seeds_are_reproducible_and_chunking_is_invisible(monkeypatch):
    setup = polylr.Setup(data=polylr.Data.synthetic(4, 3, seed=2), depth=2, steps=2)
    a = polylr.finite_width_polys(setup, 16, [0, 1, 2, 3, 4], master_seed=7)
    monkeypatch.setattr(coeffs, "CHUNK_BYTES", 1)  # one seed per chunk
    b = polylr.finite_width_polys(setup, 16, [3, 0], master_seed=7)
    # Same keys, same weights; batched and single matmuls may differ in the last bit.
    np.testing.assert_allclose(a.loss[[3, 0]], b.loss, rtol=SAME_QUANTITY_REL, atol=0)
    assert not np.array_equal(a.loss[0], a.loss[1])
    # The recorded key reproduces the draw.
    W0, Ws, V = polylr.draw_weights(polylr.weight_key(7, 16, 4), setup, 16)
    _, loss = polylr.polys_from_weights(setup, W0, Ws, V)
    np.testing.assert_allclose(loss, a.loss[4], rtol=SAME_QUANTITY_REL, atol=0)


def test_engine_draws_at_the_parametrization_scales():
    setup = polylr.Setup(param="sp", depth=2)
    W0, Ws, V = polylr.draw_weights(polylr.weight_key(0, 256, 0), setup, 256)
    assert np.std(np.asarray(W0)) == pytest.approx((1 / setup.data.d) ** 0.5, rel=WEIGHT_SD_REL_INPUT)
    assert np.std(np.asarray(Ws)) == pytest.approx(256**-0.5, rel=WEIGHT_SD_REL_HIDDEN)
    assert np.std(np.asarray(V)) == pytest.approx(256**-0.5, rel=WEIGHT_SD_REL_OUTPUT)


def test_scales_are_a_named_tuple_with_the_closed_form_values():
    s = polylr.MUP.scales(64, 4)
    assert isinstance(s, polylr.Scales)
    # μP: W_0 ~ N(0, 1/d), W_l ~ N(0, 1/n), V ~ N(0, 1/n²); rates n, 1, 1/n (exact powers of two).
    assert s == polylr.Scales(in_std=0.5, hidden_std=0.125, out_std=1 / 64, in_lr=64.0, hidden_lr=1.0, out_lr=1 / 64)
    assert s.stds == (0.5, 0.125, 1 / 64) and s.lrs == (64.0, 1.0, 1 / 64)
