"""Numeric engine: exact η-polynomial coefficients of f^(t) and L^(t) for sampled weights (JAX, float64).

Every vector is a *coefficient stack*: an array of shape ``(deg + 1, dim)`` whose row ``k`` is
the coefficient of η^k. Degrees are static, so every shape is known when JAX traces.

Full-batch gradient descent on a deep linear network gives rank-one updates (MISSION.md):
``W_l^(s) = W_l^(0) + η Σ_{r<s} β_l^(r) a_l^(r)ᵀ`` with ``β = -lr·b`` (the backward vector) and
``a`` (the averaged features), both coefficient stacks. No n×n matrix is ever formed per
coefficient: ``W_l^(s) u = W_l^(0) u + η Σ_r β_r (a_r · u)``, where ``a_r · u`` is a Cauchy
product. One step is one backward chain (which also gives the outputs, because
``f(x_i) = x_iᵀ W_0ᵀ W_1ᵀ ⋯ W_Lᵀ V``) and one forward chain started from ``Xᵀχ / m``; so the work
per seed does not grow with the number of data points beyond two ``(m, d)`` products, and the
unavoidable cost is drawing the ``L·n²`` Gaussian weights.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..core.errors import NotResolved, PolylrError, TooLarge, check_int
from ..core.poly import EtaPoly
from ..core.precision import float64
from ..core.setup import Setup, check_width

# Weight memory (bytes) per vmapped chunk of seeds.
CHUNK_BYTES = 256 * 2**20


# -- degrees -------------------------------------------------------------------------------


def degree_formula(depth: int, steps: int) -> int:
    """Degree of f^(t) in η when the hidden layers are trained: ``L·d_t`` with ``d_0 = 0`` and
    ``d_{s+1} = 1 + (2L - 1)·d_s`` (the degree of ``W^(t)``). The loss has twice this degree."""
    depth = check_int("depth L", depth, lo=1)
    steps = check_int("steps t", steps, lo=0)
    d = 0
    for _ in range(steps):
        d = 1 + (2 * depth - 1) * d
    return depth * d


@float64
def output_degree(setup: Setup) -> int:
    """Degree of f^(t) for this setup (any trained layers), read off the engine's static shapes."""
    return _output_degree(setup.depth, setup.steps, setup.train == "all")


@functools.lru_cache(maxsize=None)
def _output_degree(L: int, t: int, train_all: bool) -> int:
    f64 = jnp.float64
    shapes = [(1, 1), (1,), (2, 1), (L, 2, 2), (2,)]
    out = jax.eval_shape(
        lambda X, y, W0, Ws, V: _outputs(X, y, W0, Ws, V, (1.0, 1.0, 1.0), L, t, train_all),
        *[jax.ShapeDtypeStruct(s, f64) for s in shapes],
    )
    return out.shape[0] - 1


# -- random weights ------------------------------------------------------------------------


KEY_SCHEME = "jax.random.fold_in(jax.random.fold_in(jax.random.key(master_seed), width), seed)"


def weight_key(master_seed: int, width: int, seed) -> jax.Array:
    """The key of one network: ``fold_in(fold_in(key(master_seed), width), seed)``."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.key(master_seed), width), seed)


@float64
def draw_weights(key: jax.Array, setup: Setup, width: int):
    """Initial weights ``(W_0, W_hidden, V)`` (float64 NumPy arrays) with shapes ``(n, d)``, ``(L, n, n)``, ``(n,)``."""
    s = setup.param.scales(width, setup.data.d)
    W0, Ws, V = draw_dense(key, setup.data.d, width, setup.depth, s["in_std"], s["hidden_std"], s["out_std"])
    return np.asarray(W0), np.asarray(Ws), np.asarray(V)


def draw_dense(key, d, n, L, in_std, hidden_std, out_std):
    # One flat standard-normal draw, sliced: it compiles ~10x faster than three split draws.
    z = jax.random.normal(key, (L * n * n + n * d + n,), dtype=jnp.float64)
    Ws = hidden_std * z[: L * n * n].reshape(L, n, n)
    W0 = in_std * z[L * n * n : L * n * n + n * d].reshape(n, d)
    V = out_std * z[L * n * n + n * d :]
    return W0, Ws, V


# -- coefficient-stack algebra (static degrees) --------------------------------------------


def _shift(u):
    """η·u."""
    return jnp.concatenate([jnp.zeros((1,) + u.shape[1:], u.dtype), u], axis=0)


def _add(u, v):
    if u.shape[0] < v.shape[0]:
        u, v = v, u
    return u.at[: v.shape[0]].add(v)


@functools.lru_cache(maxsize=None)
def _antidiag_index(p1: int, q1: int) -> np.ndarray:
    return (np.arange(p1)[:, None] + np.arange(q1)[None, :]).ravel()


def _dot(a, b):
    """Cauchy product of two stacks contracted over the vector axis: (p+1, k)·(q+1, k) -> (p+q+1,)."""
    G = a @ b.T
    idx = _antidiag_index(a.shape[0], b.shape[0])
    return jnp.zeros(a.shape[0] + b.shape[0] - 1, G.dtype).at[idx].add(G.ravel())


def _scale(c, v):
    """Scalar polynomial times a stack: (p+1,)·(q+1, k) -> (p+q+1, k), via a Toeplitz matrix."""
    p1, q1 = c.shape[0], v.shape[0]
    i = np.arange(p1 + q1 - 1)[:, None] - np.arange(q1)[None, :]
    mask = (i >= 0) & (i < p1)
    T = jnp.where(mask, c[np.clip(i, 0, p1 - 1)], 0.0)
    return T @ v


def _rank_one_apply(base, terms, u):
    """``(M + η Σ β aᵀ) u`` given ``base = M u``: terms are (β, a) stacks."""
    out = base
    for beta, a in terms:
        out = _add(out, _shift(_scale(_dot(a, u), beta)))
    return out


# -- the engine ----------------------------------------------------------------------------


def lr_factors(setup: Setup, width: int):
    s = setup.param.scales(width, setup.data.d)
    return (s["in_lr"], s["hidden_lr"], s["out_lr"])


def _outputs(X, y, W0, Ws, V, lrs, L, t, train_all):
    """Coefficients of f^(t)(x_i), shape (deg + 1, m), for one network."""
    m = X.shape[0]
    in_lr, hidden_lr, out_lr = lrs
    hidden = [[] for _ in range(L)]  # per hidden layer: rank-one terms (β, a), W = W^(0) + η Σ β aᵀ
    first = []  # terms of W_0
    Vs = V[None, :]
    for s in range(t + 1):
        # Backward chain: g_L = V, g_{l-1} = W_lᵀ g_l; then f = X W_0ᵀ g_0.
        g = [None] * (L + 1)
        g[L] = Vs
        for l in range(L, 0, -1):
            terms = [(a, beta) for beta, a in hidden[l - 1]]  # transpose swaps the factors
            g[l - 1] = _rank_one_apply(g[l] @ Ws[l - 1], terms, g[l])
        w_eff = _rank_one_apply(g[0] @ W0, [(c, beta) for beta, c in first], g[0])
        f = w_eff @ X.T
        if s == t:
            return f
        # Forward chain: c = Xᵀχ/m, a_1 = W_0 c, a_{l+1} = W_l a_l.
        chi = f.at[0].add(-y)
        c = chi @ X / m
        a = [None] * (L + 2)
        a[1] = _rank_one_apply(c @ W0.T, first, c)
        for l in range(1, L + 1 if train_all else L):
            a[l + 1] = _rank_one_apply(a[l] @ Ws[l - 1].T, hidden[l - 1], a[l])
        # Gradients: ∇W_l = g_l a_lᵀ, ∇W_0 = g_0 cᵀ, ∇V = a_{L+1}; all from step-s quantities.
        for l in range(1, L + 1):
            hidden[l - 1].append((-hidden_lr * g[l], a[l]))
        if train_all:
            first.append((-in_lr * g[0], c))
            Vs = _add(Vs, _shift(-out_lr * a[L + 1]))
    raise AssertionError("unreachable")


def _loss(f, y):
    chi = f.at[0].add(-y)
    return _dot(chi, chi) / (2 * y.shape[0])


@functools.partial(jax.jit, static_argnames=("d", "n", "L", "t", "train_all"))
def _batch(master_seed, seeds, X, y, stds, lrs, *, d, n, L, t, train_all):
    def one(seed):
        W0, Ws, V = draw_dense(weight_key(master_seed, n, seed), d, n, L, *stds)
        f = _outputs(X, y, W0, Ws, V, lrs, L, t, train_all)
        return f, _loss(f, y)

    return jax.vmap(one)(seeds)


@functools.partial(jax.jit, static_argnames=("L", "t", "train_all"))
def _from_weights(W0, Ws, V, X, y, lrs, *, L, t, train_all):
    f = _outputs(X, y, W0, Ws, V, lrs, L, t, train_all)
    return f, _loss(f, y)


@dataclass(frozen=True, eq=False)
class FiniteWidthPolys:
    """Exact η-coefficients for one width and a batch of seeds.

    ``outputs[s, k, i]`` is the η^k coefficient of f^(t)(x_i) for seed ``seeds[s]``;
    ``loss[s, k]`` the η^k coefficient of L^(t). Keys are ``weight_key(master_seed, width, seed)``.
    """

    setup: Setup
    width: int
    seeds: tuple[int, ...]
    master_seed: int
    outputs: np.ndarray
    loss: np.ndarray

    def loss_poly(self, i: int) -> EtaPoly:
        return EtaPoly(self.loss[i], "float64", label=f"L_{{{self.width}}}^{{({self.setup.steps})}}")



MAX_OUTPUT_DEGREE = 250


@float64
def finite_width_polys(
    setup: Setup,
    width: int,
    seeds,
    *,
    master_seed: int = 0,
    max_degree: int = MAX_OUTPUT_DEGREE,
) -> FiniteWidthPolys:
    """Coefficients of f^(t) and L^(t) for each seed at one width (vmapped over seeds in chunks)."""
    width = check_width(width)
    master_seed = check_int("master seed", master_seed, lo=0, hi=2**63 - 1)
    seeds = tuple(check_int("seed", s, lo=0, hi=2**32 - 1) for s in np.atleast_1d(np.asarray(seeds)).tolist())
    if not seeds:
        raise PolylrError("seeds must be a non-empty list of non-negative integers")
    check_degree_allowed(setup, max_degree)
    s = setup.param.scales(width, setup.data.d)
    stds = (s["in_std"], s["hidden_std"], s["out_std"])
    lrs = lr_factors(setup, width)
    X, y = jnp.asarray(setup.data.X), jnp.asarray(setup.data.y)
    per_seed = 8 * (setup.depth * width * width + width * (setup.data.d + 1))
    chunk = max(1, min(len(seeds), CHUNK_BYTES // per_seed))
    fs, ls = [], []
    for start in range(0, len(seeds), chunk):
        part = jnp.asarray(seeds[start : start + chunk], dtype=jnp.uint32)
        f, loss = _batch(
            master_seed, part, X, y, stds, lrs, d=setup.data.d, n=width, L=setup.depth, t=setup.steps,
            train_all=setup.train == "all",
        )
        fs.append(np.asarray(f))
        ls.append(np.asarray(loss))
    outputs, loss = np.concatenate(fs), np.concatenate(ls)
    _check_finite(setup, width, outputs, loss)
    return FiniteWidthPolys(setup, width, seeds, master_seed, outputs, loss)


def check_degree_allowed(setup: Setup, max_degree: int) -> None:
    # The hidden-only formula is cheap and a lower bound when every layer is trained; the engine's
    # static shapes (output_degree) are read only once it is small, since tracing costs degree².
    deg = degree_formula(setup.depth, setup.steps)
    exact = deg <= max_degree or setup.train == "hidden"
    if deg <= max_degree:
        deg = output_degree(setup)
    if deg > max_degree:
        raise TooLarge(
            f"f^({setup.steps}) has degree {'' if exact else 'at least '}{deg} in η at depth {setup.depth} with "
            f"train={setup.train!r} (loss degree {2 * deg}); the exact engine allows output degree <= {max_degree}: "
            "use fewer steps or a smaller depth, or evaluate the loss on an η grid (evaluation mode)"
        )


def _check_finite(setup: Setup, width: int, outputs, loss) -> None:
    if not (np.all(np.isfinite(outputs)) and np.all(np.isfinite(loss))):
        raise NotResolved(
            f"the exact η-coefficients overflow float64 at width {width} (t = {setup.steps}, depth "
            f"{setup.depth}, train={setup.train!r}): the polynomial is too high-degree to represent; use "
            "fewer steps or evaluation mode"
        )


@float64
def polys_from_weights(
    setup: Setup, W0, Ws, V, *, max_degree: int = MAX_OUTPUT_DEGREE
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``(outputs (deg+1, m), loss (2 deg+1,))`` for given initial weights."""
    width = int(np.shape(W0)[0])
    check_degree_allowed(setup, max_degree)
    f, loss = _from_weights(
        jnp.asarray(W0), jnp.asarray(Ws), jnp.asarray(V), jnp.asarray(setup.data.X), jnp.asarray(setup.data.y),
        lr_factors(setup, width), L=setup.depth, t=setup.steps, train_all=setup.train == "all",
    )
    f, loss = np.asarray(f), np.asarray(loss)
    _check_finite(setup, width, f, loss)
    return f, loss

