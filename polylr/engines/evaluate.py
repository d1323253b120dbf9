"""Evaluation mode: the t-step loss at given learning rates, for t where the η-polynomial is too big.

At t = 5 or 10 the limit loss has degree in the thousands to millions (:func:`polylr.limit_degree`),
so instead of coefficients we compute values at a grid of η:

- :func:`limit_loss_values` runs the same Tensor-Programs interpreter as :func:`polylr.limit_polys`
  with numbers (vectorised over η) in place of polynomials;
- :func:`finite_loss_values` runs full-batch gradient descent at width n in JAX (float64, jit,
  vmapped over η and seeds), on the same weight draws as :func:`polylr.finite_width_polys`;
- :func:`argmin_on_grid` brackets the minima on the grid and refines each by a vectorised
  bracketing zoom on the evaluation function, returning the same :class:`~polylr.Argmin` as the
  certified polynomial argmin.

Values that overflow float64 (very large η at large t) are returned as ``+inf``.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

from .bounds import check_dense_memory
from .coeffs import CHUNK_BYTES, draw_dense, gram_weights
from . import program
from .program import Values
from .samplers import DenseNet, master_key, resolve_sampler, scales_of, width_key
from ..core.errors import PolylrError, check_int
from .limit import check_supported
from ..core.precision import float64
from ..core.setup import Setup, check_width
from .tp import ValueRing, interpret, krylov, moments


def check_etas(etas, *, ndim=(1,)) -> np.ndarray:
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
    e = check_etas(etas)
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
    return loss_from_outputs(f, setup.data.y)


def loss_from_outputs(f: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        loss = np.sum((f - y) ** 2, axis=-1) / (2 * y.shape[0])
    return np.where(np.isfinite(loss), loss, np.inf)


# -- finite width: gradient descent -------------------------------------------------------------


def _gd_outputs(X, y, net, etas, lrs, L, t, train_all):
    """f^(t)(x_i) at each η of ``etas`` (shape ``(E, m)``) after t steps of full-batch GD from the
    network ``net``: the training program of :mod:`polylr.engines.program` on the
    :class:`~polylr.engines.program.Values` algebra (the weights are kept as ``W^(0)`` plus the
    rank-one terms, in fixed buffers of t slots, steps in a ``lax.fori_loop``: the compiled program
    does not grow with t)."""
    return program.outputs(Values(etas), net, X, y, lrs, L, t, train_all)[1]


@functools.partial(jax.jit, static_argnames=("d", "n", "L"))
def _draw_batch(keys, stds, *, d, n, L):
    """The initial weights of a batch of seeds: the same draws as :func:`polylr.draw_weights`."""
    return jax.vmap(lambda k: draw_dense(k, d, n, L, *stds))(keys)


@functools.partial(jax.jit, static_argnames=("L", "t", "train_all"))
def _gd_batch(weights, etas, X, y, lrs, *, L, t, train_all):
    """Outputs ``(seeds, E, m)`` for a batch of networks (explicit weights); ``etas`` has shape ``(seeds, E)``."""

    def one(W0, Ws, V, es):
        return _gd_outputs(X, y, DenseNet(W0, Ws, V), es, lrs, L, t, train_all)

    return jax.vmap(one)(*weights, etas)


def _check_seeds(seeds) -> tuple[int, ...]:
    seeds = tuple(check_int("seed", s, lo=0) for s in np.atleast_1d(np.asarray(seeds)).tolist())
    if not seeds:
        raise PolylrError("seeds must be a non-empty list of non-negative integers")
    return seeds


def gd_networks(setup: Setup, width: int, seeds, master_seed: int, key=None, sampler="dense"):
    """Check the arguments, then yield ``(chunk of seeds, gd)`` where ``gd(etas (S, E))`` gives the
    outputs ``(S, E, m)`` of those seeds' networks, drawn once per chunk (chunks bound the memory).

    On the Gram path each network is the Gram network of the t-step polynomial program written out
    in coordinates of its span (:func:`polylr.gram_weights`): every η sees the same network, and
    gradient descent at any η stays in that span, so it is the network of
    :func:`polylr.finite_width_polys` with the same ``sampler``."""
    width = check_width(width)
    master = master_key(master_seed, key)
    seeds = _check_seeds(seeds)
    chosen = resolve_sampler(sampler, setup, width)
    stds, lrs = scales_of(setup, width)
    X, y = setup.data.X, setup.data.y
    L, d = setup.depth, setup.data.d
    if chosen.name == "dense":
        check_dense_memory(setup, [width])
        chunk = max(1, min(len(seeds), CHUNK_BYTES // chosen.bytes_per_network(d, width, L)))
    else:
        chunk = min(len(seeds), 256)
    for start in range(0, len(seeds), chunk):
        part = seeds[start : start + chunk]
        with jax.enable_x64(True):
            if chosen.name == "dense":
                wkey = width_key(master, width)
                keys = jnp.stack([jax.random.fold_in(wkey, sd) for sd in part])
                weights = _draw_batch(keys, stds, d=d, n=width, L=L)
            else:
                weights = gram_weights(setup, width, part, key=master, sampler=chosen)

        @float64
        def gd(etas, weights=weights):
            f = _gd_batch(weights, jnp.asarray(etas), jnp.asarray(X), jnp.asarray(y), lrs, L=L, t=setup.steps,
                          train_all=setup.train == "all")
            return np.asarray(f)

        yield part, gd


def finite_output_values(
    setup: Setup, width: int, seeds, etas, *, master_seed: int = 0, key=None, sampler: str = "dense"
) -> np.ndarray:
    """``f_n^(t)(x_i)`` by gradient descent at width ``n``: shape ``(len(seeds), E, m)``.

    ``etas`` is one grid shared by all seeds (shape ``(E,)``) or one grid per seed (``(S, E)``).
    The weights of seed ``s`` are ``draw_weights(weight_key(master_seed, width, s), setup, width)``,
    the same networks as :func:`polylr.finite_width_polys` (with the same ``key`` / ``sampler``).
    Any parametrization and trained layers.
    """
    seeds = _check_seeds(seeds)
    e = check_etas(etas, ndim=(1, 2))
    if e.ndim == 1:
        e = np.broadcast_to(e, (len(seeds), e.size))
    elif e.shape[0] != len(seeds):
        raise PolylrError(f"a per-seed eta grid must have one row per seed ({len(seeds)}), got shape {e.shape}")
    out, done = [], 0
    for part, gd in gd_networks(setup, width, seeds, master_seed, key, sampler):
        out.append(gd(e[done : done + len(part)]))
        done += len(part)
    f = np.concatenate(out)
    return np.where(np.isfinite(f), f, np.nan)


def finite_loss_values(
    setup: Setup, width: int, seeds, etas, *, master_seed: int = 0, key=None, sampler: str = "dense"
) -> np.ndarray:
    """``L_n^(t)(η)`` by gradient descent at width ``n`` for each seed and η: shape ``(len(seeds), E)``
    (see :func:`finite_output_values`); ``+inf`` where float64 overflows."""
    f = finite_output_values(setup, width, seeds, etas, master_seed=master_seed, key=key, sampler=sampler)
    return loss_from_outputs(f, setup.data.y)
