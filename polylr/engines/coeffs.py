"""Numeric engine: exact η-polynomial coefficients of f^(t) and L^(t) for sampled weights (JAX, float64).

Every vector is a *coefficient stack*: an array of shape ``(deg + 1, dim)`` whose row ``k`` is
the coefficient of η^k. Degrees are static, so every shape is known when JAX traces. The
recursion itself is the training program of :mod:`polylr.engines.program` run on the
:class:`~polylr.engines.program.Stacks` algebra; the weights come through the Sampler seam
(:mod:`polylr.engines.samplers`: dense matrices, or :mod:`polylr.engines.gram`: lazily in Gram
coordinates, width-free).

Full-batch gradient descent on a deep linear network gives rank-one updates (docs/theory.md, "The η-polynomial and its degree"):
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

from .bounds import check_dense_memory, loss_error
from ..core.choices import SamplerName
from ..core.errors import NotResolved, PolylrError, TooLarge, check_int
from ..core.poly import EtaPoly
from ..core.precision import float64
from ..core.setup import Setup, check_width
from . import program
from .program import Stacks, loss_stack
from .samplers import DenseNet, dense_draw, master_key, resolve_sampler, scales_of, width_key
from .samplers import KEY_SCHEME as KEY_SCHEME
from .samplers import weight_key as weight_key

# Weight memory (bytes) per vmapped chunk of seeds.
CHUNK_BYTES = 256 * 2**20
SEED_BATCH = 64  # seeds per vmapped dense batch: fixed, so a seed's coefficients do not depend on the others


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
    with jax.enable_x64(True):
        out = jax.eval_shape(
            lambda X, y, W0, Ws, V: _outputs(X, y, W0, Ws, V, (1.0, 1.0, 1.0), L, t, train_all),
            *[jax.ShapeDtypeStruct(s, f64) for s in shapes],
        )
    return out.shape[0] - 1


# -- random weights (the Sampler seam: polylr.engines.samplers) -----------------------------------


@float64
def draw_weights(key: jax.Array, setup: Setup, width: int):
    """Initial dense weights ``(W_0, W_hidden, V)`` (float64 NumPy arrays) with shapes ``(n, d)``,
    ``(L, n, n)``, ``(n,)``: the dense sampler's draw for this network key."""
    stds, _ = scales_of(setup, width)
    W0, Ws, V = draw_dense(key, setup.data.d, width, setup.depth, *stds)
    return np.asarray(W0), np.asarray(Ws), np.asarray(V)


draw_dense = dense_draw


# -- the engine: the training program on coefficient stacks ------------------------------------------


def lr_factors(setup: Setup, width: int):
    return scales_of(setup, width)[1]


def _outputs(X, y, W0, Ws, V, lrs, L, t, train_all):
    """Coefficients of f^(t)(x_i), shape (deg + 1, m), for one dense network."""
    return program.outputs(Stacks, DenseNet(W0, Ws, V), X, y, lrs, L, t, train_all)[1]


@functools.partial(jax.jit, static_argnames=("sampler", "d", "n", "L", "t", "train_all"))
def _batch(wkey, seeds, width, X, y, stds, lrs, *, sampler, d, n, L, t, train_all):
    """Per seed: outputs, loss and the overflow flag. ``wkey = width_key(master, width)``; ``n`` is the
    static width for samplers whose shapes depend on it (else 0, and ``width`` is a traced float)."""

    def one(seed):
        net = sampler.network(jax.random.fold_in(wkey, seed), stds, d=d, n=n or width, L=L)
        net, f = program.outputs(Stacks, net, X, y, lrs, L, t, train_all)
        return f, loss_stack(f, y), getattr(net, "overflow", jnp.bool_(False))

    return jax.vmap(one)(seeds)


@functools.partial(jax.jit, static_argnames=("L", "t", "train_all"))
def _from_weights(W0, Ws, V, X, y, lrs, *, L, t, train_all):
    f = _outputs(X, y, W0, Ws, V, lrs, L, t, train_all)
    return f, loss_stack(f, y)


@dataclass(frozen=True, eq=False)
class FiniteWidthPolys:
    """Exact η-coefficients for one width and a batch of seeds.

    ``outputs[s, k, i]`` is the η^k coefficient of f^(t)(x_i) for seed ``seeds[s]``;
    ``loss[s, k]`` the η^k coefficient of L^(t). Network keys are
    ``network_key(master, width, seed)`` with ``master = key(master_seed)`` (or the ``key`` given;
    then ``master_seed`` is None); ``sampler`` names how the weights were realised.
    ``upper_seeds``: the seeds (Gram path) whose network overflowed the tight capacities and was
    drawn again with the upper-bound ones (:meth:`polylr.GramSampler.upper`: another, equally valid
    draw from the same key, whose inputs θ are those of that draw: :func:`polylr.network_inputs`).
    """

    setup: Setup
    width: int
    seeds: tuple[int, ...]
    master_seed: int | None
    outputs: np.ndarray
    loss: np.ndarray
    sampler: str = "dense"
    upper_seeds: tuple[int, ...] = ()

    def loss_poly(self, i: int) -> EtaPoly:
        """Seed ``i``'s loss, with its error bound (:func:`polylr.engines.bounds.loss_error`)."""
        return EtaPoly(
            self.loss[i], "float64", label=f"L_{{{self.width}}}^{{({self.setup.steps})}}",
            error=loss_error(self.outputs[i], self.setup.data.y), nonnegative=True,
        )



MAX_OUTPUT_DEGREE = 250
# Networks per vmapped chunk on the Gram path (memory per network is small and estimated first).
_GRAM_CHUNK = 2048


@float64
def finite_width_polys(
    setup: Setup,
    width: int,
    seeds,
    *,
    master_seed: int = 0,
    key: jax.Array | None = None,
    sampler: SamplerName = "dense",
    max_degree: int = MAX_OUTPUT_DEGREE,
) -> FiniteWidthPolys:
    """Coefficients of f^(t) and L^(t) for each seed at one width (vmapped over seeds in chunks).

    ``key`` (a JAX key) replaces ``jax.random.key(master_seed)`` as the master key.
    ``sampler``: ``"dense"`` draws the Gaussian matrices (``L·n²`` numbers per network; refused
    beyond :data:`polylr.engines.samplers.DENSE_MAX_BYTES`), ``"gram"`` samples the same law
    lazily in Gram coordinates at a cost independent of n (widths up to 2^40, n > K), ``"auto"``
    the faster of the two for the width (:func:`polylr.engines.gram.gram_auto`). The default stays
    ``"dense"`` so that results recorded with earlier versions are reproduced draw for draw.
    A Gram network that overflows its tight capacities is drawn again with the upper-bound ones
    (listed in ``upper_seeds``); one that overflows those too (a χ² draw rejected, or n not above
    their K) is refused: :class:`~polylr.NotResolved` naming the width and the seeds.
    """
    width = check_width(width)
    master = master_key(master_seed, key)
    if key is not None:
        master_seed = None
    seeds = tuple(check_int("seed", s, lo=0, hi=2**32 - 1) for s in np.atleast_1d(np.asarray(seeds)).tolist())
    if not seeds:
        raise PolylrError("seeds must be a non-empty list of non-negative integers")
    check_degree_allowed(setup, max_degree)
    chosen = resolve_sampler(sampler, setup, width)
    if chosen.name == "dense":
        check_dense_memory(setup, [width])
    stds, lrs = scales_of(setup, width)
    with jax.enable_x64(True):
        X, y = jnp.asarray(setup.data.X), jnp.asarray(setup.data.y)
        if chosen.name == "dense":
            # A fixed batch shape (never the seed count): XLA's results depend on the batch size in the
            # last bit, so the last part is padded with copies of its last seed and those are dropped
            # (bit-for-bit the same η_n whatever the chunking of a sweep; tests/test_store.py).
            chunk = max(1, min(SEED_BATCH, CHUNK_BYTES // chosen.bytes_per_network(setup.data.d, width, setup.depth)))
        else:
            rows = 4 * (output_degree(setup) + 1) * (setup.depth + 2) * (setup.steps + 1)
            cap = max(1, min(_GRAM_CHUNK, CHUNK_BYTES // chosen.bytes_per_network(rows)))
            chunk = min(len(seeds), cap)
        fs, ls, recomputed = [], [], []
        for start in range(0, len(seeds), chunk):
            part = np.asarray(seeds[start : start + chunk], dtype=np.uint32)
            size = part.size
            if chosen.name != "dense":  # pad to a bucket (a power of 2 >= 64) so compilations are reused
                part = _padded(part, cap)
            else:
                part = np.pad(part, (0, chunk - size), mode="edge")
            f, loss, over = _run(chosen, master, part, X, y, stds, lrs, setup, width)
            f, loss, over = f[:size], loss[:size], over[:size]
            part = part[:size]
            if np.any(over):  # numerical noise asked for more directions: recompute with the upper bound
                redo = np.nonzero(over)[0]
                upper = type(chosen).upper(setup)
                f2, l2, over2 = (a[: redo.size] for a in _run(upper, master, _padded(part[redo], cap), X, y, stds, lrs, setup, width))
                _refuse_overflow(setup, width, part[redo], over2, upper)
                f[redo], loss[redo] = f2, l2
                recomputed.extend(int(s) for s in part[redo])
            fs.append(f)
            ls.append(loss)
    outputs, loss = np.concatenate(fs), np.concatenate(ls)
    _check_finite(setup, width, outputs, loss)
    return FiniteWidthPolys(setup, width, seeds, master_seed, outputs, loss, chosen.name, tuple(recomputed))


def _refuse_overflow(setup: Setup, width: int, seeds, over, upper) -> None:
    """:class:`~polylr.NotResolved` where a network overflowed again with the upper-bound capacities
    ``upper`` (a capacity exceeded, or a χ² draw rejected: engines/gram.py), naming the width and seeds."""
    over = np.asarray(over, dtype=bool)
    if not np.any(over):
        return
    bad = [int(s) for s in np.asarray(seeds)[over]]
    listed = ", ".join(map(str, bad[:8])) + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
    below = ", which is not below n" if width <= upper.K else ""
    raise NotResolved(
        f"the Gram network of seed(s) {listed} at width n = {width} (t = {setup.steps}, depth {setup.depth}) "
        f"overflowed its tight capacities and again the upper-bound ones (K = {upper.K}{below}), or a χ² draw "
        f"was rejected: use sampler='dense' at this width, or other seeds"
    )


def _bucket(size: int, cap: int) -> int:
    """Batch size for ``size`` networks: the next power of 2 (at least 64), at most ``cap``."""
    return max(size, min(max(64, 1 << (size - 1).bit_length()), cap))


def _padded(seeds: np.ndarray, cap: int) -> np.ndarray:
    """``seeds`` padded with copies of the last to a :func:`_bucket` batch (so compilations are
    reused); the networks drawn again with the upper-bound capacities are padded the same way, so a
    seed's numbers do not depend on how many others were drawn again with it (XLA's last bit)."""
    return np.pad(seeds, (0, _bucket(seeds.size, cap) - seeds.size), mode="edge")


def _width_args(sampler, master, width):
    return width_key(master, width), jnp.float64(width), (width if sampler.static_width else 0)


def _run(sampler, master, seeds, X, y, stds, lrs, setup, width):
    wkey, wf, n = _width_args(sampler, master, width)
    f, loss, over = _batch(
        wkey, jnp.asarray(seeds, dtype=jnp.uint32), wf, X, y, stds, lrs, sampler=sampler, d=setup.data.d, n=n,
        L=setup.depth, t=setup.steps, train_all=setup.train == "all",
    )
    return np.array(f), np.array(loss), np.asarray(over)


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
    setup: Setup, W0, Ws, V, *, width: int | None = None, max_degree: int = MAX_OUTPUT_DEGREE
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``(outputs (deg+1, m), loss (2 deg+1,))`` for given initial weights.

    ``width`` sets the learning-rate scales (default: the weights' width ``W0.shape[0]``; give it
    for a network in Gram coordinates, :func:`polylr.gram_weights`)."""
    width = int(np.shape(W0)[0]) if width is None else check_width(width)
    check_degree_allowed(setup, max_degree)
    with jax.enable_x64(True):
        f, loss = _from_weights(
            jnp.asarray(W0, jnp.float64), jnp.asarray(Ws, jnp.float64), jnp.asarray(V, jnp.float64),
            jnp.asarray(setup.data.X), jnp.asarray(setup.data.y),
            lr_factors(setup, width), L=setup.depth, t=setup.steps, train_all=setup.train == "all",
        )
    f, loss = np.asarray(f), np.asarray(loss)
    _check_finite(setup, width, f, loss)
    return f, loss



@functools.partial(jax.jit, static_argnames=("sampler", "d", "L", "t", "train_all"))
def _gram_batch(wkey, seeds, width, X, y, stds, lrs, *, sampler, d, L, t, train_all):
    def one(seed):
        net = sampler.network(jax.random.fold_in(wkey, seed), stds, d=d, n=width, L=L)
        net, _ = program.outputs(Stacks, net, X, y, lrs, L, t, train_all)
        return net.dense(), net.overflow

    return jax.vmap(one)(seeds)


@float64
def gram_weights(setup: Setup, width: int, seeds, *, master_seed: int = 0, key: jax.Array | None = None, sampler=None,
                 eta_max: float | None = None):
    """The Gram networks of ``finite_width_polys(..., sampler="gram")``, as explicit matrices in
    coordinates of their span: ``(W0 (S, K, d), Ws (S, L, K, K), V (S, K))`` (numpy float64).

    These matrices answer every query of the t-step training program exactly as the lazily sampled
    network did, so gradient descent on them (at any η) is gradient descent on that network: e.g.
    ``polys_from_weights(setup, W0[s], Ws[s], V[s], width=width)`` equals the Gram polynomials of
    seed s. Inner products in these coordinates are inner products in R^n, n = ``width``.

    Where the t-step polynomial program is beyond the engine (e.g. t >= 4 at L = 3) the span is
    discovered by gradient descent at learning rates up to ``eta_max`` (required there: the top of
    the evaluation interval; :mod:`polylr.engines.gram_gd`): the networks of evaluation mode
    (:func:`polylr.finite_loss_values` / :func:`polylr.finite_argmins` with ``sampler="gram"`` and
    that η range). A network that overflows the upper-bound capacities too is refused
    (:class:`~polylr.NotResolved`, as in :func:`finite_width_polys`)."""
    from .gram import GramSampler, pad_coordinates
    from .gram_gd import SpanSampler, beyond_polynomial_program, span_weights

    width = check_width(width)
    master = master_key(master_seed, key)
    seeds = tuple(check_int("seed", s, lo=0, hi=2**32 - 1) for s in np.atleast_1d(np.asarray(seeds)).tolist())
    if not seeds:
        raise PolylrError("seeds must be a non-empty list of non-negative integers")
    if isinstance(sampler, SpanSampler) or (sampler is None and beyond_polynomial_program(setup)):
        with jax.enable_x64(True):
            return span_weights(setup, width, list(seeds), master, eta_max, sampler)[:3]
    check_degree_allowed(setup, MAX_OUTPUT_DEGREE)
    chosen = GramSampler.for_setup(setup, width) if sampler is None else sampler
    chosen.check(setup, width)
    stds, lrs = scales_of(setup, width)
    kw = dict(d=setup.data.d, L=setup.depth, t=setup.steps, train_all=setup.train == "all")
    with jax.enable_x64(True):
        X, y = jnp.asarray(setup.data.X), jnp.asarray(setup.data.y)
        size = len(seeds)
        part = _padded(np.asarray(seeds, dtype=np.uint32), max(size, 256))
        wkey, wf = width_key(master, width), jnp.float64(width)
        (W0, Ws, V), over = _gram_batch(wkey, jnp.asarray(part), wf, X, y, stds, lrs, sampler=chosen, **kw)
        W0, Ws, V, over = (np.array(a)[:size] for a in (W0, Ws, V, over))
        part = jnp.asarray(part[:size])
        if np.any(over):  # recompute those with the upper-bound capacities, pad the others (zeros: unreached)
            upper = GramSampler.upper(setup)
            redo = np.nonzero(over)[0]
            (W0r, Wsr, Vr), over2 = _gram_batch(wkey, jnp.asarray(_padded(np.asarray(part[redo]), max(redo.size, 256))), wf, X, y,
                                                stds, lrs, sampler=upper, **kw)
            W0r, Wsr, Vr, over2 = (np.asarray(a)[: redo.size] for a in (W0r, Wsr, Vr, over2))
            _refuse_overflow(setup, width, np.asarray(part[redo]), over2, upper)
            W0, Ws, V = (pad_coordinates(a, upper.K) for a in (W0, Ws, V))
            W0[redo], Ws[redo], V[redo] = W0r, Wsr, Vr
    return W0, Ws, V
