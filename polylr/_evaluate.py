"""Evaluation mode: the t-step loss at given learning rates, for t where the η-polynomial is too big.

At t = 5 or 10 the limit loss has degree in the thousands to millions (:func:`polylr.limit_degree`),
so instead of coefficients we compute values at a grid of η:

- :func:`limit_loss_values` runs the same Tensor-Programs interpreter as :func:`polylr.limit_polys`
  with numbers (vectorised over η) in place of polynomials;
- :func:`finite_loss_values` runs full-batch gradient descent at width n in JAX (float64, jit,
  vmapped over η and seeds), on the same weight draws as :func:`polylr.finite_width_polys`;
- :func:`argmin_on_grid` brackets the minima on the grid and refines each by a vectorised
  bracketing zoom on the evaluation function, returning the same :class:`~polylr._argmin.Argmin` as the
  certified polynomial argmin.

Values that overflow float64 (very large η at large t) are returned as ``+inf``.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._argmin import NEAR_TOL, Argmin, LocalMin
from ._coeffs import _CHUNK_BYTES, _draw, _lr_args, weight_key
from ._errors import PolylrError, check_int
from ._limit import check_supported
from ._setup import Setup, check_width
from ._tp import ValueRing, interpret, krylov, moments

jax.config.update("jax_enable_x64", True)


def _check_etas(etas, *, ndim=(1,)) -> np.ndarray:
    a = np.asarray(etas, dtype=np.float64)
    if a.ndim == 0:
        a = a[None]
    if a.ndim not in ndim or a.size == 0:
        raise PolylrError(f"etas must be a non-empty array with ndim in {ndim}, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise PolylrError(f"etas must be finite, got {a[~np.isfinite(a)][:3]}")
    return a


# -- the limit --------------------------------------------------------------------------------


def limit_output_values(setup: Setup, etas) -> np.ndarray:
    """``f_∞^(t)(x_i)`` at each η: an array of shape ``(len(etas), m)``.

    The Tensor-Programs interpreter of :func:`polylr.limit_polys` run on float64 numbers (one
    array entry per η) instead of polynomials, so any t is affordable: the cost is
    O(L³ t³ · len(etas)) plus the exact data moments ``yᵀ(K/m)^j y``, j ≤ 2t + 1.
    """
    check_supported(setup)
    e = _check_etas(etas)
    data, t = setup.data, setup.steps
    us = krylov(data.X, data.y, t + 2)
    M = moments(us)
    U = np.array([[float(Fraction(int(u[i, 0].p), int(u[i, 0].q))) for i in range(data.m)] for u in us[: t + 1]])
    with np.errstate(over="ignore", invalid="ignore"):
        phi, _ = interpret(ValueRing(e), setup.depth, t, M, data.m)
        f = np.stack(phi[1:], axis=1) @ U[1:]  # (E, m); phi[0] = 0
    return np.where(np.isfinite(f), f, np.nan)


def limit_loss_values(setup: Setup, etas) -> np.ndarray:
    """``L_∞^(t)(η) = (1/2m) Σ_i (f_∞^(t)(x_i) − y_i)²`` at each η (shape ``(len(etas),)``); ``+inf``
    where float64 overflows."""
    f = limit_output_values(setup, etas)
    return _loss_from_outputs(f, setup.data.y)


def _loss_from_outputs(f: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        loss = np.sum((f - y) ** 2, axis=-1) / (2 * y.shape[0])
    return np.where(np.isfinite(loss), loss, np.inf)


# -- finite width: gradient descent -------------------------------------------------------------


def _gd_outputs(X, y, W0, Ws, V, eta, lrs, L, t, train_all):
    """f^(t)(x_i) after t steps of full-batch GD with learning rate ``eta`` (one network).

    The weights are kept as ``W^(s) = W^(0) + Σ_{r<s} β_r a_rᵀ`` (the gradients of a scalar-output
    linear net are rank one, and GD only adds them up), which is exactly GD but costs
    matrix-vector products instead of n×n updates. Forward features: ``H_{l−1}χ/m`` is one forward
    chain from ``Xᵀχ/m``; outputs: ``f(x_i) = x_i · W_0ᵀ⋯W_Lᵀ V``, one backward chain. The factors
    live in fixed buffers of t slots (unused slots are zero) and the steps run in a
    ``lax.fori_loop``, so the compiled program does not grow with t.
    """
    m, n, d = X.shape[0], W0.shape[0], X.shape[1]
    in_lr, hidden_lr, out_lr = lrs

    def backward(state):
        """g[l] = ∂f/∂h_l (g[L] = V, g[l−1] = W_lᵀ g[l]) and f = X W_0ᵀ g[0]."""
        Bh, Ah, B0, C0, Vt = state
        g = [None] * (L + 1)
        g[L] = Vt
        for l in range(L, 0, -1):
            g[l - 1] = Ws[l - 1].T @ g[l] + Ah[l - 1].T @ (Bh[l - 1] @ g[l])
        w0 = W0.T @ g[0] + C0.T @ (B0 @ g[0])
        return g, X @ w0

    def step(s, state):
        Bh, Ah, B0, C0, Vt = state
        g, f = backward(state)
        c = X.T @ (f - y) / m
        h = [None] * (L + 1)  # h[l] = H_l χ / m = W_l ⋯ W_0 c
        h[0] = W0 @ c + B0.T @ (C0 @ c)
        for l in range(1, L + 1):
            h[l] = Ws[l - 1] @ h[l - 1] + Bh[l - 1].T @ (Ah[l - 1] @ h[l - 1])
        # ∇W_l = g[l] h[l−1]ᵀ, ∇W_0 = g[0] cᵀ, ∇V = h[L]: every factor from step s.
        Bh = Bh.at[:, s].set(jnp.stack([-eta * hidden_lr * g[l] for l in range(1, L + 1)]))
        Ah = Ah.at[:, s].set(jnp.stack(h[:L]))
        if train_all:
            B0 = B0.at[s].set(-eta * in_lr * g[0])
            C0 = C0.at[s].set(c)
            Vt = Vt - eta * out_lr * h[L]
        return Bh, Ah, B0, C0, Vt

    zeros = jnp.zeros((L, t, n), X.dtype)
    state = (zeros, zeros, jnp.zeros((t, n), X.dtype), jnp.zeros((t, d), X.dtype), V)
    state = jax.lax.fori_loop(0, t, step, state)
    return backward(state)[1]


@functools.partial(jax.jit, static_argnames=("d", "n", "L"))
def _draw_batch(keys, stds, *, d, n, L):
    """The initial weights of a batch of seeds: the same draws as :func:`polylr.draw_weights`."""
    return jax.vmap(lambda k: _draw(k, d, n, L, *stds))(keys)


@functools.partial(jax.jit, static_argnames=("L", "t", "train_all"))
def _gd_batch(weights, etas, X, y, lrs, *, L, t, train_all):
    """Outputs ``(seeds, E, m)`` for a batch of drawn networks; ``etas`` has shape ``(seeds, E)``."""

    def one(W0, Ws, V, es):
        return jax.vmap(lambda e: _gd_outputs(X, y, W0, Ws, V, e, lrs, L, t, train_all))(es)

    return jax.vmap(one)(*weights, etas)


def _check_seeds(seeds) -> tuple[int, ...]:
    seeds = tuple(check_int("seed", s, lo=0) for s in np.atleast_1d(np.asarray(seeds)).tolist())
    if not seeds:
        raise PolylrError("seeds must be a non-empty list of non-negative integers")
    return seeds


def _networks(setup: Setup, width: int, seeds, master_seed: int):
    """Check the arguments, then yield ``(chunk of seeds, gd)`` where ``gd(etas (S, E))`` gives the
    outputs ``(S, E, m)`` of those seeds' networks, drawn once per chunk (chunks bound the memory)."""
    width = check_width(width)
    master_seed = check_int("master seed", master_seed, lo=0)
    seeds = _check_seeds(seeds)
    s = setup.param.scales(width, setup.data.d)
    stds = (s["in_std"], s["hidden_std"], s["out_std"])
    lrs = _lr_args(setup, width)
    X, y = jnp.asarray(setup.data.X), jnp.asarray(setup.data.y)
    L, d = setup.depth, setup.data.d
    chunk = max(1, min(len(seeds), _CHUNK_BYTES // (8 * (L * width * width + width * (d + 1)))))
    for start in range(0, len(seeds), chunk):
        part = seeds[start : start + chunk]
        keys = jnp.stack([weight_key(master_seed, width, sd) for sd in part])
        weights = _draw_batch(keys, stds, d=d, n=width, L=L)

        def gd(etas, weights=weights):
            f = _gd_batch(weights, jnp.asarray(etas), X, y, lrs, L=L, t=setup.steps, train_all=setup.train == "all")
            return np.asarray(f)

        yield part, gd


def finite_output_values(setup: Setup, width: int, seeds, etas, *, master_seed: int = 0) -> np.ndarray:
    """``f_n^(t)(x_i)`` by gradient descent at width ``n``: shape ``(len(seeds), E, m)``.

    ``etas`` is one grid shared by all seeds (shape ``(E,)``) or one grid per seed (``(S, E)``).
    The weights of seed ``s`` are ``draw_weights(weight_key(master_seed, width, s), setup, width)``,
    the same networks as :func:`polylr.finite_width_polys`. Any parametrization and trained layers.
    """
    seeds = _check_seeds(seeds)
    e = _check_etas(etas, ndim=(1, 2))
    if e.ndim == 1:
        e = np.broadcast_to(e, (len(seeds), e.size))
    elif e.shape[0] != len(seeds):
        raise PolylrError(f"a per-seed eta grid must have one row per seed ({len(seeds)}), got shape {e.shape}")
    out, done = [], 0
    for part, gd in _networks(setup, width, seeds, master_seed):
        out.append(gd(e[done : done + len(part)]))
        done += len(part)
    f = np.concatenate(out)
    return np.where(np.isfinite(f), f, np.nan)


def finite_argmins(
    setup: Setup, width: int, seeds, etas, *, master_seed: int = 0, xtol: float = 1e-9, return_values: bool = False
):
    """Per seed, the minimiser of ``L_n^(t)`` on ``[etas[0], etas[-1]]`` by gradient descent
    (evaluation mode: :func:`argmins_on_grid` on the grid ``etas``, refined to ``xtol·max(1, η)``).

    Each chunk of seeds is drawn once and every refinement round is one batched gradient descent;
    the networks are those of :func:`polylr.finite_width_polys`. For any t and parametrization.
    With ``return_values`` also the loss on the grid, shape ``(len(seeds), len(etas))``.
    """
    grid = _check_etas(etas)
    y = setup.data.y
    found, values = [], []
    for part, gd in _networks(setup, width, seeds, master_seed):
        def loss(x, gd=gd):
            return _loss_from_outputs(gd(x), y)

        values.append(loss(np.broadcast_to(grid, (len(part), grid.size))))
        found += argmins_on_grid(grid, values[-1], loss, xtol=xtol)
    return (found, np.concatenate(values)) if return_values else found


def finite_loss_values(setup: Setup, width: int, seeds, etas, *, master_seed: int = 0) -> np.ndarray:
    """``L_n^(t)(η)`` by gradient descent at width ``n`` for each seed and η: shape ``(len(seeds), E)``
    (see :func:`finite_output_values`); ``+inf`` where float64 overflows."""
    f = finite_output_values(setup, width, seeds, etas, master_seed=master_seed)
    return _loss_from_outputs(f, setup.data.y)


# -- argmin on a grid ------------------------------------------------------------------------------

def argmin_on_grid(
    etas,
    values,
    func: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    xtol: float = 1e-10,
    points: int = 16,
    max_iter: int = 100,
) -> Argmin:
    """Minimiser of a function known on an increasing grid ``etas`` (``values`` = its values there),
    on the interval ``[etas[0], etas[-1]]``.

    Every grid point lower than its neighbours brackets a local minimum; with ``func`` (vectorised:
    an array of η to an array of values) each bracket is refined, all brackets in one call per
    round, by sampling ``points`` equispaced points inside it and keeping the lowest with its two
    neighbours (a bracketing zoom: like golden-section search, but with ``points`` evaluations per
    round, which suits vectorised evaluation; the bracket shrinks by ``(points + 1)/2`` a round),
    to ``xtol · max(1, |η|)``. A minimum at an end of the grid is checked on 8
    points of the first (last) grid interval: if none is lower it is reported on the boundary
    (``on_boundary=True``), otherwise refined as an interior bracket. Minima narrower than the grid
    spacing can be missed: the grid must resolve the function. Returns the same :class:`Argmin` as
    the certified polynomial :func:`polylr.argmin` (local minima by increasing η, near minima within
    1 %); non-finite values count as ``+inf``. :func:`argmins_on_grid` does the same for many
    functions at once.

    Example (the limit at t = 10, and one seed at width 1024)::

        etas = np.linspace(0.0, 2.0, 81)
        f = lambda e: polylr.limit_loss_values(setup, e)
        eta_inf = polylr.argmin_on_grid(etas, f(etas), f).eta
        g = lambda e: polylr.finite_loss_values(setup, 1024, [seed], e)[0]
        eta_n = polylr.argmin_on_grid(etas, g(etas), g).eta
    """
    e = _check_etas(etas)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != e.shape:
        raise PolylrError(f"values must have the shape of etas {e.shape}, got {v.shape}")
    batch = None if func is None else (lambda x: np.asarray(func(x[0]), dtype=np.float64).reshape(1, -1))
    return argmins_on_grid(e, v[None], batch, xtol=xtol, points=points, max_iter=max_iter)[0]


def argmins_on_grid(
    etas,
    values,
    func: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    xtol: float = 1e-10,
    points: int = 16,
    max_iter: int = 100,
) -> list[Argmin]:
    """:func:`argmin_on_grid` for S functions on one grid at once: ``values`` has shape ``(S, E)``
    and ``func`` maps an ``(S, k)`` array of η (row s for function s) to their ``(S, k)`` values, so
    each refinement round is one call for all functions (one batched gradient descent)."""
    e = _check_etas(etas)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[1:] != e.shape:
        raise PolylrError(f"values must have the shape of etas {e.shape} (one row per function), got {v.shape}")
    if e.size < 3:
        raise PolylrError(f"the grid needs at least 3 points, got {e.size}")
    if not np.all(np.diff(e) > 0):
        raise PolylrError("etas must be strictly increasing")
    points = check_int("points", points, lo=2)
    v = np.where(np.isfinite(v), v, np.inf)
    if not np.all(np.any(np.isfinite(v), axis=1)):
        raise PolylrError("every value on the grid is non-finite: choose a smaller eta range")
    S, n = v.shape
    interval = (float(e[0]), float(e[-1]))

    def call(x: np.ndarray) -> np.ndarray:
        out = np.asarray(func(x), dtype=np.float64).reshape(x.shape)
        return np.where(np.isfinite(out), out, np.inf)

    left = np.concatenate([np.full((S, 1), np.inf), v[:, :-1]], axis=1)
    right = np.concatenate([v[:, 1:], np.full((S, 1), np.inf)], axis=1)
    is_min = (v < left) & (v <= right) & np.isfinite(v)
    found = [[] for _ in range(S)]  # per function: (eta, value, on_boundary)
    brackets = [[] for _ in range(S)]  # per function: (a, b, c, f(b)) with f(b) <= f(a), f(c)
    for s, i in zip(*np.nonzero(is_min[:, 1:-1])):
        brackets[s].append((e[i], e[i + 1], e[i + 2], v[s, i + 1]))
    ends = [(0, 0, 1), (n - 1, n - 2, n - 1)]  # (end index, grid interval next to it)
    if func is not None and is_min[:, [0, n - 1]].any():  # 8 points inside each end interval, all functions in one call
        xs = np.concatenate([np.linspace(e[a], e[b], 10)[1:-1] for _, a, b in ends])
        fx = call(np.broadcast_to(xs, (S, xs.size)).copy())
    for s in range(S):
        for k, (i, a, b) in enumerate(ends):
            if not is_min[s, i]:
                continue
            if func is None:
                found[s].append((e[i], v[s, i], True))
                continue
            f8 = fx[s, 8 * k : 8 * k + 8]
            j = int(np.argmin(f8))
            if f8[j] < v[s, i]:
                pts = np.concatenate([[e[a]], xs[8 * k : 8 * k + 8], [e[b]]])
                brackets[s].append((pts[j], pts[j + 1], pts[j + 2], f8[j]))
            else:
                found[s].append((e[i], v[s, i], True))
    B = max(len(b) for b in brackets)
    if B:
        # Pad every function to B brackets (repeating its first, or a dummy) so the rounds stay rectangular.
        rows = [b + [b[0] if b else (e[0], e[0], e[0], np.inf)] * (B - len(b)) for b in brackets]
        a, b, c, fb = (np.array([[r[q] for r in row] for row in rows], dtype=np.float64) for q in range(4))
        if func is not None:
            # Zoom: sample `points` equispaced interior points of every bracket in one call, keep
            # the lowest sample and its two neighbours; the bracket shrinks by (points + 1) / 2.
            frac = np.arange(1, points + 1) / (points + 1)
            for _ in range(max_iter):
                if np.all(c - a <= xtol * np.maximum(1.0, np.abs(b))):
                    break
                xs = a[..., None] + (c - a)[..., None] * frac  # (S, B, points)
                fx = call(xs.reshape(S, B * points)).reshape(xs.shape)
                grid = np.concatenate([a[..., None], xs, c[..., None]], axis=-1)  # sorted per bracket
                inf = np.full((S, B, 1), np.inf)
                vals = np.concatenate([inf, fx, inf], axis=-1)
                k = np.argmin(vals, axis=-1)[..., None]
                fk = np.take_along_axis(vals, k, -1)[..., 0]
                keep = fk >= fb  # the old centre is still the lowest
                below = np.argmax(grid >= b[..., None], axis=-1)[..., None] - 1  # last point < b
                above = np.argmax(grid > b[..., None], axis=-1)[..., None]  # first point > b
                at = lambda idx: np.take_along_axis(grid, idx, -1)[..., 0]  # noqa: E731
                new_a = np.where(keep, at(below), at(k - 1))
                new_c = np.where(keep, at(above), at(k + 1))
                b = np.where(keep, b, at(k))
                fb = np.where(keep, fb, fk)
                a, c = new_a, new_c
        for s in range(S):
            found[s] += [(float(b[s, j]), float(fb[s, j]), False) for j in range(len(brackets[s]))]
    return [_as_argmin(f, interval) if np.any(np.isfinite(v[s])) and np.any(v[s] != v[s, 0]) else _flat(v[s], interval)
            for s, f in enumerate(found)]


def _flat(v: np.ndarray, interval) -> Argmin:
    only = LocalMin(interval[0], float(v[0]), True)
    return Argmin(interval[0], float(v[0]), interval, True, (only,), (), flat=True)


def _as_argmin(found: list, interval) -> Argmin:
    mins = tuple(LocalMin(float(x), float(fx), bool(bd)) for x, fx, bd in sorted(found))
    best = min(range(len(mins)), key=lambda i: mins[i].value)
    vmin = mins[best].value
    near = tuple(mm for i, mm in enumerate(mins) if i != best and mm.value - vmin <= abs(vmin) * NEAR_TOL)
    return Argmin(
        eta=mins[best].eta,
        value=vmin,
        interval=interval,
        on_boundary=mins[best].on_boundary,
        local_minima=mins,
        near_minima=near,
    )
