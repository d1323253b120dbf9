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

import jax
import jax.numpy as jnp
import numpy as np

from .bounds import check_dense_memory
from .coeffs import CHUNK_BYTES, draw_dense, gram_weights
from . import program
from .program import Values
from .samplers import DenseNet, master_key, resolve_sampler, scales_of, width_key
from ..core.errors import NotResolved, PolylrError, check_int
from .limit import check_supported
from ..core.precision import float64
from ..core.setup import Setup, check_width
from .tp import ARB_PRECISION, ValueRing, VectorData, arb_value_ring, interpret


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


# Evaluation mode's own accuracy check. The interpreter runs twice: in float64 and in extended
# precision (x86 ``long double``, 64-bit mantissa: ε 2048× smaller; where ``long double`` is no wider
# than float64, in arb ball arithmetic at 128 bits). The extended run's values are returned; its error
# is estimated as ESTIMATE_SAFETY · (ε_ext/ε_64) · |value_64 − value_ext| (the same computation
# amplifies rounding by the same factor in both precisions) and a value whose estimate exceeds
# VALUE_REL_TOL of itself is refused (NotResolved): never a silently wrong number. Measured
# (tests/test_limit_evaluation.py): on the built-in data the float64 runs agree with the extended one
# to 1e-14 relative for t ≤ 10, L ≤ 3 at η ≤ 1.2; at L = 3, t = 50, η = 1.0 to 3e-6 (the
# dynamics there amplify rounding by ~1e10; the extended value is then good to ~1e-9).
VALUE_REL_TOL = 1e-6
ESTIMATE_SAFETY = 16.0


# The reference run's arithmetic: "extended" (``np.longdouble``) where it is wider than float64,
# else "arb" (slower: 0.5 s vs 9 s for 41 η at L = 1, t = 50 on 2 loaded cores).
REFERENCE_PRECISION = "extended" if np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant else "arb"


def _interpret_values(setup: Setup, e: np.ndarray, precision: str, progress=None):
    """``(f (E, m), loss (E,))`` of the limit at the η of ``e``: ``precision`` is ``"float64"``,
    ``"extended"`` (``np.longdouble``) or ``"arb"`` (ball midpoints, 128 bits; with the balls' radii)."""
    data = setup.data
    if precision == "arb":
        import flint

        old = flint.ctx.prec
        flint.ctx.prec = ARB_PRECISION
        try:
            ring, vec = arb_value_ring(e, data.X, data.y)
            return interpret(ring, setup.depth, setup.steps, None, data.m, vec, progress)
        finally:
            flint.ctx.prec = old
    ring = ValueRing(e, np.float64 if precision == "float64" else np.longdouble)
    vec = VectorData(ring, data.X, data.y)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return interpret(ring, setup.depth, setup.steps, None, data.m, vec, progress)


def _checked_values(setup: Setup, e: np.ndarray, progress=None):
    """``(f, loss)`` in float64 from the extended run, after the accuracy check (see VALUE_REL_TOL)."""
    n = setup.steps + 1
    step = None if progress is None else (lambda k: (lambda done, total: progress(k * n + done, 2 * n)))
    f64, l64 = _interpret_values(setup, e, "float64", step and step(0))
    if REFERENCE_PRECISION == "extended":
        fx, lx = _interpret_values(setup, e, "extended", step and step(1))
        ratio = float(np.finfo(np.longdouble).eps / np.finfo(np.float64).eps)
        radius = 0.0
    else:
        fx, lx, radius = _arb_values(setup, e, step and step(1))
        ratio = 2.0**-(ARB_PRECISION - 53)
    with np.errstate(over="ignore", invalid="ignore"):
        f = np.asarray(fx, dtype=np.float64)
        loss = np.asarray(lx, dtype=np.float64)
        est = ESTIMATE_SAFETY * ratio * np.abs(np.asarray(l64, dtype=np.longdouble) - lx) + radius
        est = np.asarray(est, dtype=np.float64)
    finite = np.isfinite(loss)
    # float64 overflowed where the extended run did not: no estimate, unless the loss is beyond float64 anyway
    unknown = finite & ~np.isfinite(l64)
    bad = finite & ~unknown & ~(est <= VALUE_REL_TOL * np.abs(loss))
    if unknown.any() or bad.any():
        i = int(np.flatnonzero(unknown | bad)[0])
        what = "float64 overflowed in the middle of the computation" if unknown[i] else (
            f"estimated error {est[i]:.2g} (float64 and extended precision differ by {abs(float(l64[i]) - loss[i]):.2g})")
        raise NotResolved(
            f"the limit loss at eta = {e[i]:.6g} (L = {setup.depth}, t = {setup.steps}) is {loss[i]:.6g} with {what}, "
            f"above {VALUE_REL_TOL:g} of the value: rounding is amplified there; evaluate at smaller eta or fewer steps"
        )
    return f, loss


def _arb_values(setup: Setup, e: np.ndarray, progress=None):
    f, loss = _interpret_values(setup, e, "arb", progress)
    mid = lambda a: np.array([float(x.mid()) for x in np.ravel(a)]).reshape(np.shape(a))  # noqa: E731
    rad = np.array([float(x.rad()) for x in np.ravel(loss)]).reshape(np.shape(loss))
    return mid(f).astype(np.longdouble), mid(loss).astype(np.longdouble), rad


def limit_output_values(setup: Setup, etas, *, progress=None) -> np.ndarray:
    """``f_∞^(t)(x_i)`` at each η: an array of shape ``(len(etas), m)``.

    The Tensor-Programs interpreter of :func:`polylr.limit_polys` run on numbers (one array entry per
    η) instead of polynomials, with the data as explicit vectors (the polynomial engine's Krylov
    basis cancels catastrophically in floating point at large t), so any t is affordable: the cost is
    O(L³ t³ · len(etas)) and does not depend on the data's size beyond ``K = XXᵀ/d``.

    The computation runs in float64 and in extended precision; the extended values are returned,
    and a value whose estimated error (from the two runs' difference) exceeds 1e-6 of the loss is
    refused with :class:`~polylr.NotResolved` naming η. ``progress(done, total)`` is called as each
    step of either run finishes (``total = 2(t + 1)``). Where the loss overflows float64 the outputs are NaN.
    """
    check_supported(setup)
    e = check_etas(etas)
    f, loss = _checked_values(setup, e, progress)
    return np.where(np.isfinite(f) & np.isfinite(loss)[:, None], f, np.nan)


def limit_loss_values(setup: Setup, etas, *, progress=None) -> np.ndarray:
    """``L_∞^(t)(η) = (1/2m) Σ_i (f_∞^(t)(x_i) − y_i)²`` at each η (shape ``(len(etas),)``); ``+inf``
    where float64 overflows. Values come with the accuracy check of :func:`limit_output_values`
    (:class:`~polylr.NotResolved` where the estimated error exceeds 1e-6 of the loss)."""
    check_supported(setup)
    e = check_etas(etas)
    _, loss = _checked_values(setup, e, progress)
    return np.where(np.isfinite(loss), loss, np.inf)


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


# Seeds per gradient-descent batch (fixed: see gd_networks), dense and Gram networks.
GD_SEED_BATCH = 8
GRAM_GD_SEED_BATCH = 32


def gd_networks(setup: Setup, width: int, seeds, master_seed: int, key=None, sampler="dense", eta_max=None):
    """Check the arguments, then yield ``(chunk of seeds, gd)`` where ``gd(etas (S, E))`` gives the
    outputs ``(S, E, m)`` of those seeds' networks, drawn once per chunk (chunks bound the memory).

    On the Gram path each network is the Gram network of the t-step polynomial program written out
    in coordinates of its span (:func:`polylr.gram_weights`): every η sees the same network, and
    gradient descent at any η stays in that span, so it is the network of
    :func:`polylr.finite_width_polys` with the same ``sampler``. Where that program is beyond the
    engine (t >= 4 at L = 3) the span is discovered by gradient descent at learning rates up to
    ``eta_max`` (required there: the largest |η| ``gd`` will be asked; :mod:`polylr.engines.gram_gd`),
    and every ``gd`` call certifies that its queries stayed in that span (else
    :class:`~polylr.NotResolved`, naming η)."""
    from .gram_gd import SpanSampler, certify, span_gd_batch, span_weights

    width = check_width(width)
    master = master_key(master_seed, key)
    seeds = _check_seeds(seeds)
    chosen = resolve_sampler(sampler, setup, width)
    span = isinstance(chosen, SpanSampler)
    stds, lrs = scales_of(setup, width)
    X, y = setup.data.X, setup.data.y
    L, d = setup.depth, setup.data.d
    if chosen.name == "dense":
        check_dense_memory(setup, [width])
        # A fixed batch shape, never the seed count: XLA's vmapped results depend on the batch size
        # in the last bits (6e-14 relative measured), so a short chunk is padded with copies of its
        # last seed, whose outputs are dropped: η_n is then bit for bit the same whatever the
        # chunking (tests/test_chunking.py).
        chunk = max(1, min(GD_SEED_BATCH, CHUNK_BYTES // chosen.bytes_per_network(d, width, L)))
    else:  # the same on the Gram path (8.9e-16 measured between batches of 1 and 70 Gram networks)
        chunk = GRAM_GD_SEED_BATCH
    kw = dict(L=L, t=setup.steps, train_all=setup.train == "all")
    for start in range(0, len(seeds), chunk):
        part = seeds[start : start + chunk]
        size = len(part)
        padded = part + (part[-1],) * (chunk - size)
        with jax.enable_x64(True):
            if chosen.name == "dense":
                wkey = width_key(master, width)
                keys = jnp.stack([jax.random.fold_in(wkey, sd) for sd in padded])
                weights = _draw_batch(keys, stds, d=d, n=width, L=L)
            elif span:
                weights = span_weights(setup, width, list(padded), master, eta_max, chosen)
            else:
                weights = gram_weights(setup, width, padded, key=master, sampler=chosen)
        rows = len(weights[2])

        @float64
        def gd(etas, weights=weights, rows=rows, size=size, part=part):
            etas = np.asarray(etas)
            if etas.shape[0] < rows:
                etas = np.concatenate([etas, np.broadcast_to(etas[-1:], (rows - etas.shape[0],) + etas.shape[1:])])
            args = (weights, jnp.asarray(etas), jnp.asarray(X), jnp.asarray(y), lrs)
            if not span:
                return np.asarray(_gd_batch(*args, **kw))[:size]
            f, residual = (np.asarray(a)[:size] for a in span_gd_batch(*args, **kw))
            certify(residual, etas, part, setup, width)
            return f

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
    for part, gd in gd_networks(setup, width, seeds, master_seed, key, sampler, eta_max=float(np.max(np.abs(e)))):
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
