"""The infinite-width limit engine (Tensor-Programs interpreter): closed forms, exact vs float,
degrees, errors, and Monte Carlo means at finite width."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import polylr
from polylr.engines import tp
from tolerances import CLOSED_FORM_REL, EVALUATION_REL, POLY_VS_GD_REL, SAME_QUANTITY_REL

# -- strategies: data sets with small dyadic entries (exact binary rationals) -------------------


@st.composite
def rational_data(draw, max_m=6, max_d=4):
    m = draw(st.integers(1, max_m))
    d = draw(st.integers(1, max_d))
    X = np.array(draw(st.lists(st.integers(-6, 6), min_size=m * d, max_size=m * d)), dtype=float).reshape(m, d) / 4
    y = np.array(draw(st.lists(st.integers(-6, 6), min_size=m, max_size=m)), dtype=float) / 2
    assume(np.any(X != 0))  # polylr.Data refuses an all-zero X (its scale underflows every polynomial)
    return polylr.Data(X, y)


def _nonzero_Ky(data):
    return np.any(data.X.T @ data.y != 0)


# -- t = 1: the closed form ----------------------------------------------------------------------


@settings(max_examples=30)
@given(data=rational_data(), depth=st.integers(1, 4))
def test_t1_engine_equals_closed_form_exactly(data, depth):
    assume(_nonzero_Ky(data))
    setup = polylr.Setup(data, depth, 1)
    engine = polylr.limit_polys(setup, exact=True)
    closed = polylr.limit_t1(setup, exact=True)
    assert engine.loss.domain == "QQ"
    assert engine.loss == closed.loss
    assert all(a == b for a, b in zip(engine.outputs, closed.outputs, strict=True))


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_t1_float_engine_matches_closed_form(depth):
    setup = polylr.Setup(polylr.Data.synthetic(200, 8, seed=3), depth, 1)
    engine, closed = polylr.limit_polys(setup), polylr.limit_t1(setup)
    assert engine.loss.max_rel_diff(closed.loss) <= SAME_QUANTITY_REL
    assert max(a.max_rel_diff(b) for a, b in zip(engine.outputs, closed.outputs)) <= SAME_QUANTITY_REL


# -- exact versus float ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depth", "steps", "m"), [(1, 3, 8), (2, 2, 64), (3, 2, 300), (2, 3, 32), (3, 3, 16), (4, 3, 8)]
)
def test_exact_and_float_modes_agree(depth, steps, m):
    setup = polylr.Setup(polylr.Data.synthetic(m, 8, seed=m), depth, steps)
    exact, flt = polylr.limit_polys(setup, exact=True), polylr.limit_polys(setup)
    assert exact.loss.domain == "QQ" and flt.loss.domain == "float64"
    assert exact.loss.max_rel_diff(flt.loss) <= POLY_VS_GD_REL
    for a, b in zip(exact.outputs, flt.outputs, strict=True):
        assert a.max_rel_diff(b) <= POLY_VS_GD_REL


def test_krylov_moments_match_numpy():
    data = polylr.Data.synthetic(7, 3, seed=5)
    us = tp.krylov(data.X, data.y, 4)
    M = tp.moments(us)
    A = data.K / data.m
    u = data.y.copy()
    for j, uj in enumerate(us):
        assert np.allclose([float(uj[i, 0]) for i in range(data.m)], u, rtol=CLOSED_FORM_REL, atol=0)
        u = A @ u
    for j, Mj in enumerate(M):
        assert float(Mj) == pytest.approx(data.y @ np.linalg.matrix_power(A, j) @ data.y, rel=SAME_QUANTITY_REL)


@settings(max_examples=15)
@given(data=rational_data(max_m=5), depth=st.integers(1, 3), steps=st.integers(1, 3), perm_seed=st.integers(0, 99))
def test_permuting_the_data_permutes_the_outputs(data, depth, steps, perm_seed):
    perm = np.random.default_rng(perm_seed).permutation(data.m)
    a = polylr.limit_polys(polylr.Setup(data, depth, steps), exact=True)
    b = polylr.limit_polys(polylr.Setup(polylr.Data(data.X[perm], data.y[perm]), depth, steps), exact=True)
    assert a.loss == b.loss
    assert all(b.outputs[k] == a.outputs[i] for k, i in enumerate(perm))


# -- degrees -----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_limit_degree_recursion_and_reported_degrees(depth):
    data = polylr.Data.synthetic(5, 3, seed=0)
    D = 2  # D_1 = 2, D_{t+1} = (2L - 1) D_t + 2L
    for steps in range(1, 4):
        setup = polylr.Setup(data, depth, steps)
        assert polylr.limit_degree(setup) == D
        if steps <= 3 and D <= 400:
            lim = polylr.limit_polys(setup, exact=True)
            assert lim.degree == D  # generic data: no cancellation
            assert lim.output_degree == D // 2
            # the limit keeps fewer coefficients than finite width (equal only at L = 1)
            assert lim.degree <= 2 * polylr.degree_formula(depth, steps)
            assert (lim.degree == 2 * polylr.degree_formula(depth, steps)) == (depth == 1)
        D = (2 * depth - 1) * D + 2 * depth


def test_zero_targets_give_zero_limit():
    data = polylr.Data(np.ones((3, 2)), np.zeros(3))
    lim = polylr.limit_polys(polylr.Setup(data, 2, 3), exact=True)
    assert lim.loss.degree == -1 and all(p.degree == -1 for p in lim.outputs)


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "train"), [("sp", "hidden"), ("ntp", "hidden"), ("v=1.5,c=0.5", "hidden"), ("mup", "all")]
)
def test_unsupported_setups_name_what_is_supported(param, train):
    setup = polylr.Setup(polylr.Data.synthetic(4, 2), 2, 2, param=param, train=train)
    for call in (
        lambda: polylr.limit_polys(setup),
        lambda: polylr.limit_polys(setup, exact=True),
        lambda: polylr.limit_loss_values(setup, [0.1]),
        lambda: polylr.limit_degree(setup),
    ):
        with pytest.raises(polylr.PolylrError) as err:
            call()
        msg = str(err.value)
        assert "μP ('mup')" in msg and "train='hidden'" in msg
        assert setup.param.name in msg


def test_too_large_exact_request_points_to_float_and_evaluation_mode():
    setup = polylr.Setup(polylr.Data.synthetic(4, 2), 3, 5)
    with pytest.raises(polylr.PolylrError) as err:
        polylr.limit_polys(setup, exact=True)
    msg = str(err.value)
    assert "t = 5" in msg and "2186" in msg and "1200" in msg
    assert "exact=False" in msg and "limit_loss_values" in msg
    big = polylr.Setup(polylr.Data.synthetic(4, 2), 3, 10)
    with pytest.raises(polylr.PolylrError, match="evaluation mode.*limit_loss_values"):
        polylr.limit_polys(big)
    with pytest.raises(polylr.PolylrError, match="exact must be True or False"):
        polylr.limit_polys(polylr.Setup(polylr.Data.synthetic(4, 2), 2, 2), exact="yes")


# -- Monte Carlo: finite width converges to the limit ---------------------------------------------

# Targets scaled by 3 so that the feature-learning terms (η³κ k_1, ...) are many standard errors
# large at these η: the lazy (kernel) prediction must be rejected, or the test could not fail.
MC_ETAS = (0.25, 0.5, 0.75)


def _mc_data():
    base = polylr.Data.synthetic(4, 3, seed=1)
    return polylr.Data(base.X, 3 * base.y, source="synthetic(m=4, d=3, seed=1) with y scaled by 3")


def _lazy_outputs(data, depth, steps, eta):
    """Kernel gradient descent with the kernel L K / m (the t = 1 limit, iterated): what the limit
    would be without feature learning."""
    f = np.zeros(data.m)
    for _ in range(steps):
        f = f + eta * depth * data.K @ (data.y - f) / data.m
    return f


def mc_z_scores(depth, steps, width, n_seeds, *, check_gd=False):
    """z = (MC mean − limit) / SE of f^(t)(x_i) at MC_ETAS, for the limit and the lazy alternative."""
    data = _mc_data()
    setup = polylr.Setup(data, depth, steps)
    fw = polylr.finite_width_polys(setup, width, range(n_seeds))
    etas = np.array(MC_ETAS)
    powers = etas[:, None] ** np.arange(fw.outputs.shape[1])
    # Control variate: f^(0) = Vᵀ⋯W_0 x has mean exactly 0 (V is symmetric) and carries much of the
    # fluctuation, so f^(t) − f^(0) has the same mean and a smaller standard error.
    coeffs = fw.outputs.copy()
    coeffs[:, 0, :] = 0.0
    vals = np.einsum("ski,ek->sei", coeffs, powers)
    # η small enough that the finite-width polynomial is well conditioned at these η
    cond = np.einsum("ski,ek->sei", np.abs(coeffs), powers) / np.abs(vals)
    assert cond.max() < 1e6
    mean, se = vals.mean(0), vals.std(0, ddof=1) / np.sqrt(n_seeds)
    lim = polylr.limit_polys(setup, exact=True)
    exact_lim = np.array([[float(p(Fraction(e))) for p in lim.outputs] for e in MC_ETAS])
    lazy = np.array([_lazy_outputs(data, depth, steps, e) for e in MC_ETAS])
    if check_gd:  # the same networks by gradient descent (evaluation mode) give the same values
        _assert_gd_matches(setup, width, n_seeds, etas, fw, powers)
    return (mean - exact_lim) / se, (mean - lazy) / se


def _assert_gd_matches(setup, width, n_seeds, etas, fw, powers):
    gd = np.moveaxis(polylr.finite_output_values(setup, width, range(n_seeds), etas), 1, 0)  # (E, S, m)
    poly_all = np.einsum("ski,ek->esi", fw.outputs, powers)
    scale = np.einsum("ski,ek->esi", np.abs(fw.outputs), powers)
    assert np.all(np.abs(gd - poly_all) <= EVALUATION_REL * scale)


MC_CASES = [(2, 2), (3, 2), (2, 3), (3, 3)]


# The CI version: t = 2 and t = 3, depths 3 and 2, width 2048 with 32 seeds (~20 s for both); the
# slow version adds (2, 2) and (3, 3), 128 seeds, and the gradient-descent cross-check.
@pytest.mark.parametrize(("depth", "steps"), [(3, 2), (2, 3)])
def test_monte_carlo_mean_matches_limit_width_2048_32_seeds(depth, steps):
    z, z_lazy = mc_z_scores(depth, steps, 2048, 32)
    assert np.abs(z).max() < 4, z
    assert np.abs(z_lazy).max() > 4, z_lazy


@pytest.mark.slow
@pytest.mark.parametrize(("depth", "steps"), MC_CASES)
def test_monte_carlo_mean_matches_limit_width_2048(depth, steps):
    z, z_lazy = mc_z_scores(depth, steps, 2048, 128, check_gd=True)
    assert np.abs(z).max() < 4, z
    assert np.abs(z_lazy).max() > 4, z_lazy
