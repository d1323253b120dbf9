"""Gram networks beyond the polynomial program: the span discovered by gradient descent.

For t <= 3 (at L = 3) a Gram network (:mod:`polylr.engines.gram`) is the one its t-step
*polynomial* program queries. At t >= 4 that program's degree is past the exact engine's limit
(2 343 at t = 5, 7.3 million at t = 10), but the span it would discover is still small: every
vector gradient descent forms at learning rate η is a polynomial curve ``v(η) = Σ_k η^k c_k``, so
GD at *all* η stays in the span of the coefficient vectors c_k, and that span has a dimension K
independent of n (measured on the built-in data, m = 16, d = 4, L = 3: K = 52 at t = 5, about 100
at t = 10). This module finds it with gradient descent itself:

1. **Discovery.** The lazy network (same key, same :class:`~polylr.engines.gram.GramSampler`
   draw scheme) runs the gradient-descent program (:class:`~polylr.engines.program.Values`) at
   the probe learning rates ``PROBE_FRACTIONS × η_max`` (η_max = the largest |η| the caller will
   evaluate: the top of the evaluation interval; points near it matter most, since high powers of
   η dominate there), then at verification batches of :data:`CHECK_SIZE` further η (fixed
   fractions of η_max drawn once from ``numpy.random.default_rng(CHECK_SEED)``), until one whole
   batch adds no direction (at most :data:`CHECK_BATCHES` batches; a seed still growing after them
   is refused, :class:`~polylr.NotResolved`). Each seed stops at its own first empty batch (later
   batches are computed under ``vmap`` but discarded), so a network depends only on its key, η_max
   and the schedule, never on the other seeds of its batch.
   *Why a generic η finds every missing direction:* if the span S found so far does not contain
   the curve v, then ``v(η) ∈ S`` is a polynomial condition (the components of v(η) orthogonal to S
   vanish) that is not identically true, so it holds at finitely many η only; the probe and
   verification η are fixed in advance, independently of the network, so almost surely each one
   outside S adds a direction. Numerically a direction is "missing" when its part exceeds
   ``TAU·‖v(η)‖`` (TAU = 1e-9, the lazy network's threshold); one seen only below that at every
   probe is below the lazy network's own error model.
2. **Explicit matrices.** The discovered network is written out in coordinates of its span
   (:meth:`GramNet.dense`: ``W0 (K, d)``, ``Ws (L, K, K)``, ``V (K,)``), with the orthogonal
   projectors on each hidden layer's forward and backward query spaces.
3. **Certificate** (never silent). A query of W (W x, or Wᵀ x) outside the discovered query space
   would be answered by the explicit matrices without its fresh Gaussian part. Every
   gradient-descent evaluation on these networks (:func:`span_gd_batch`) therefore also returns, per
   η, the largest relative residual ``‖x − P x‖ / ‖x‖`` of its queries against those projectors;
   :func:`certify` refuses (:class:`~polylr.NotResolved`, naming η and the residual) above
   :data:`CERT_TOL`. Error model: a query with residual ρ is answered with an error of relative
   size ρ (the omitted term ``‖x⊥‖·σ(I − P_R)g`` against ``W x ~ σ√n‖x‖``), the lazy network's own
   approximation with TAU replaced by ρ; CERT_TOL = 1e-7 = 100·TAU (measured residuals on the
   built-in data stay below 2.1e-8, see PROBE_FRACTIONS; the float64 precision check,
   analysis/precision.py, then runs on the same matrices).

Capacities (static, so a batch of seeds ``vmap``\\s): the rows the GD program asks each layer to
multiply over the whole schedule (E·(t + 1) backward, E·t forward for E learning rates: an upper
bound on that layer's query directions, also at most K; K <= min(d + 1 + their sum, n − 1)); the
tight ones the probe network
(key ``2^31 − 1``, at the setup's scales for the width, χ² degrees for n = 2^20) needs, plus
:data:`SPAN_SLACK`, rounded up to a multiple of 8 (so widths share compilations). A network that
overflows them is recomputed with doubled capacities, up to the upper bound (a different, equally
valid, deterministic draw), and refused only if that overflows too.

This path is used only where the polynomial program is beyond the degree limit; for t <= 3 the
networks are the polynomial program's (unchanged). ``sampler="auto"`` takes it from
:data:`SPAN_AUTO_MIN_WIDTH` on (measured crossover with the dense sampler, docs/gram.md), dense
below.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..core.errors import InvalidInput, NotResolved, TooLarge
from . import program
from .gram import MAX_WIDTH, TAU, GramSampler, pad_coordinates, setup_key
from .program import Values
from .samplers import OuterLayers, scales_of, width_key

# Probe learning rates, as fractions of η_max (the first discovery batch): 40 evenly spaced, 1 down to
# 1/40. Measured (t = 10, L = 3, built-in data, n = 2^20, 32 seeds × 200 random η on [0, η_max]):
# largest certificate residual 1.7e-7 with 12 probes, 2.1e-8 with these 40 (99 % quantile 1.2e-9).
PROBE_FRACTIONS = tuple(1.0 - k / 40 for k in range(40))
CHECK_SIZE = 5  # learning rates per verification batch
CHECK_BATCHES = 6  # verification batches at most
CHECK_SEED = 20261203  # numpy seed of the verification fractions (uniform on [0.05, 1])
SPAN_SLACK = 4
# Largest relative residual of a query accepted on the explicit matrices (module docstring); the
# measured largest is 2.1e-8 at t = 10 and 1.2e-9 at t = 5 (PROBE_FRACTIONS): a margin of 5×.
CERT_TOL = 100 * TAU
PROBE_WIDTH = 2**20  # χ² degrees of freedom of the capacity probe
# sampler="auto" at t >= 4 takes the discovered span from this width on (docs/gram.md: crossover)
SPAN_AUTO_MIN_WIDTH = 256
SPAN_SEED_BATCH = 32  # seeds per discovery batch (fixed: a seed's network must not depend on its batch)


CHECK_FRACTIONS = np.random.default_rng(CHECK_SEED).uniform(0.05, 1.0, (CHECK_BATCHES, CHECK_SIZE))


@dataclass(frozen=True)
class SpanSampler:
    """The Gram sampler where the t-step polynomial program is beyond the engine: each network's
    span discovered by gradient descent (module docstring). ``probes`` / ``batches``: the discovery
    schedule (probe fractions of η_max, verification batches); ``defect`` as in
    :class:`~polylr.engines.gram.GramSampler` (negative controls). Changing the schedule is for
    tests only (e.g. a truncated discovery, which the certificate must refuse)."""

    name: str = "gram"
    probes: tuple[float, ...] = PROBE_FRACTIONS
    batches: int = CHECK_BATCHES
    defect: str | None = None
    static_width = False

    def check(self, setup, width: int) -> None:
        if width > MAX_WIDTH:
            raise TooLarge(f"width n = {width} is beyond the Gram sampler's range (n <= {MAX_WIDTH})")
        if width <= setup.data.d + 1:
            raise InvalidInput(f"width n = {width} is too small for the Gram sampler (use sampler='dense')")

    def schedule(self, eta_max: float):
        """``(probe η (P,), verification η (batches, CHECK_SIZE))`` for this η_max."""
        scale = float(eta_max) if eta_max > 0 else 1.0
        if not (0 <= self.batches <= CHECK_BATCHES) or not self.probes:
            raise InvalidInput(f"a span schedule needs >= 1 probe and 0..{CHECK_BATCHES} batches, got {self}")
        return scale * np.asarray(self.probes, np.float64), scale * CHECK_FRACTIONS[: self.batches]

    def capacities(self, setup, width: int, eta_max: float) -> tuple[GramSampler, GramSampler]:
        """``(tight, upper)`` capacities for this setup, width and η_max (module docstring)."""
        tight, upper = _span_capacities(*setup_key(setup), setup.param, int(width), float(eta_max),
                                        dataclasses.replace(self, defect=None))
        return _with(tight, self.defect), _with(upper, self.defect)


def _round8(x: int) -> int:
    return -(-int(x) // 8) * 8


def _with(cap: GramSampler, defect) -> GramSampler:
    return dataclasses.replace(cap, defect=defect)


@functools.lru_cache(maxsize=64)
def _span_capacities(Xb, yb, shape, L, t, train_all, param, width, eta_max, sampler):
    m, d = shape
    X = np.frombuffer(Xb).reshape(shape)
    y = np.frombuffer(yb)
    probes, checks = sampler.schedule(eta_max)
    # Rows per layer over the schedule (E learning rates): the program (engines/program.py) runs t + 1
    # backward chains (W_l^T at every layer) and t forward chains (W_l at l < L, or every l when all
    # layers are trained), each on one row per η.
    E = probes.size + checks.size
    fwd = [E * t if (l < L or train_all) else 1 for l in range(1, L + 1)]
    bwd = [E * (t + 1)] * L
    # The probe's capacities do not depend on the width (one compilation serves every width); the
    # upper bound of a width is also capped at n − 1 (every χ² needs a degree of freedom).
    count = d + 1 + sum(fwd) + sum(bwd)
    cap_k = min(count, width - 1)
    upper = GramSampler(K=cap_k, A=tuple(min(a, cap_k) for a in fwd), B=tuple(min(b, cap_k) for b in bwd))
    scales = param.scales(width, d)
    stds, lrs = scales.stds, scales.lrs
    K = min(128, count)
    key = jax.random.key(2**31 - 1)
    while True:  # the probe network, with capacities doubled until it fits
        probe = GramSampler(K=K, A=tuple(min(a, K) for a in fwd), B=tuple(min(b, K) for b in bwd))
        (k, na, nb), over, _ = _discover_counts(key, probe, X, y, stds, lrs, probes, checks, d, L, t, train_all)
        if not over or K >= count:
            break
        K = min(2 * K, count)
    if over:
        raise NotResolved(f"the Gram span probe needs more than K = {count} directions at t = {t} (width {width})")
    tk = min(count, _round8(k + SPAN_SLACK))
    tight = GramSampler(
        K=tk,
        A=tuple(min(a, tk, _round8(c + SPAN_SLACK)) for a, c in zip(fwd, na)),
        B=tuple(min(b, tk, _round8(c + SPAN_SLACK)) for b, c in zip(bwd, nb)),
    )
    return tight, upper


def _discover_counts(key, probe, X, y, stds, lrs, probes, checks, d, L, t, train_all):
    with jax.enable_x64(True):
        seeds = jnp.zeros(1, jnp.uint32)
        out = _discover_batch(key, seeds, jnp.float64(PROBE_WIDTH), jnp.asarray(X), jnp.asarray(y), stds, lrs,
                              jnp.asarray(probes), jnp.asarray(checks), sampler=probe, d=d, L=L, t=t,
                              train_all=train_all)
    over, done, k, na, nb = (np.asarray(a)[0] for a in out[1:])
    return (int(k), na, nb), bool(over), bool(done)


@functools.partial(jax.jit, static_argnames=("sampler", "d", "L", "t", "train_all"))
def _discover_batch(wkey, seeds, width, X, y, stds, lrs, probes, checks, *, sampler, d, L, t, train_all):
    """Per seed: ``((W0, Ws, V, Pf, Pb), overflow, converged, k, na, nb)`` after the discovery schedule."""

    def run(net, etas):
        return program.outputs(Values(etas), net, X, y, lrs, L, t, train_all)[0]

    def one(seed):
        net = sampler.network(jax.random.fold_in(wkey, seed), stds, d=d, n=width, L=L)
        net = run(net, probes)

        def batch(carry, etas):
            net, done = carry
            new = run(net, etas)
            grew = new.k > net.k
            net = jax.tree_util.tree_map(lambda old, nw: jnp.where(done, old, nw), net, new)
            return (net, done | ~grew), None

        (net, done), _ = jax.lax.scan(batch, (net, jnp.asarray(checks.shape[0] == 0)), checks)
        W0, Ws, V = net.dense()
        Pf = jnp.stack([Q.T @ Q for Q in net.Q])
        Pb = jnp.stack([R.T @ R for R in net.R])
        k, na, nb = net.counts()
        return (W0, Ws, V, Pf, Pb), net.overflow, done, k, na, nb

    return jax.vmap(one)(seeds)


def span_weights(setup, width: int, seeds, master, eta_max: float | None, sampler: SpanSampler | None = None):
    """The discovered Gram networks of ``seeds`` (a list of ints; network keys
    ``fold_in(width_key(master, width), seed)``) for evaluations at |η| <= ``eta_max``: numpy
    arrays ``(W0 (S, K, d), Ws (S, L, K, K), V (S, K), Pf (S, L, K, K), Pb (S, L, K, K))``, the
    explicit matrices and the projectors on each hidden layer's forward / backward query space
    (the certificate's). Run inside float64. Refuses (one line) where n <= K, where a seed's span
    still grew in its last verification batch, or where it overflows the upper-bound capacities."""
    if eta_max is None or not np.isfinite(eta_max):
        raise InvalidInput(
            f"the Gram network at t = {setup.steps}, depth {setup.depth} discovers its span by gradient descent and "
            f"needs eta_max (a finite float: the largest |eta| to be evaluated), got {eta_max!r}"
        )
    eta_max = abs(float(eta_max))
    sampler = SpanSampler() if sampler is None else sampler
    sampler.check(setup, width)
    tight, upper = sampler.capacities(setup, width, eta_max)
    if width <= tight.K:
        raise InvalidInput(
            f"width n = {width} is too small for the Gram sampler at t = {setup.steps}: the network's span needs "
            f"K = {tight.K} < n dimensions (use sampler='dense' for n <= {tight.K})"
        )
    probes, checks = sampler.schedule(eta_max)
    stds, lrs = scales_of(setup, width)
    kw = dict(d=setup.data.d, L=setup.depth, t=setup.steps, train_all=setup.train == "all")
    X, y = jnp.asarray(setup.data.X), jnp.asarray(setup.data.y)
    wkey, wf = width_key(master, width), jnp.float64(width)
    args = (X, y, stds, lrs, jnp.asarray(probes), jnp.asarray(checks))
    size = len(seeds)
    part = np.asarray(list(seeds) + [seeds[-1]] * (-size % SPAN_SEED_BATCH), dtype=np.uint32)
    outs = []
    for start in range(0, part.size, SPAN_SEED_BATCH):
        chunk = jnp.asarray(part[start : start + SPAN_SEED_BATCH])
        outs.append(_host(_discover_batch(wkey, chunk, wf, *args, sampler=tight, **kw)))
    mats = [np.concatenate([o[0][i] for o in outs])[:size] for i in range(5)]
    over = np.concatenate([o[1] for o in outs])[:size]
    done = np.concatenate([o[2] for o in outs])[:size]
    cap = tight
    while np.any(over):  # recompute those with doubled capacities, up to the upper bound
        if cap.K >= upper.K:
            s = seeds[int(np.flatnonzero(over)[0])]
            raise NotResolved(f"the Gram network of seed {s} (t = {setup.steps}, n = {width}) needs more than "
                              f"K = {upper.K} directions")
        K = min(2 * cap.K, upper.K)
        cap = dataclasses.replace(cap, K=K, A=tuple(min(2 * a, u) for a, u in zip(cap.A, upper.A)),
                                  B=tuple(min(2 * b, u) for b, u in zip(cap.B, upper.B)))
        if width <= cap.K:
            cap = dataclasses.replace(cap, K=width - 1, A=tuple(min(a, width - 1) for a in cap.A),
                                      B=tuple(min(b, width - 1) for b in cap.B))
        redo = np.flatnonzero(over)
        o = _host(_discover_batch(wkey, jnp.asarray(part[redo]), wf, *args, sampler=cap, **kw))
        mats = [pad_coordinates(a, cap.K) for a in mats]
        for a, b in zip(mats, o[0]):
            a[redo] = b
        over[redo], done[redo] = o[1], o[2]
    if not np.all(done):
        s = seeds[int(np.flatnonzero(~done)[0])]
        raise NotResolved(
            f"the Gram span of seed {s} (t = {setup.steps}, n = {width}) still grew in its last of {sampler.batches} "
            f"verification batches of gradient descent: use sampler='dense'"
        )
    return tuple(mats)


def _host(out):
    return jax.tree_util.tree_map(np.array, out)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class SpanNet(OuterLayers):
    """Explicit matrices in span coordinates that also record, per η, the largest relative residual
    of any hidden-layer query against the discovered query spaces (``Pf``/``Pb``: projectors)."""

    W0: jax.Array
    Ws: jax.Array
    V: jax.Array
    Pf: jax.Array
    Pb: jax.Array
    worst: jax.Array  # (E,)

    def hidden_fwd(self, l, U):
        return self._seen(U, self.Pf[l - 1]), U @ self.Ws[l - 1].T

    def hidden_bwd(self, l, U):
        return self._seen(U, self.Pb[l - 1]), U @ self.Ws[l - 1]

    def _seen(self, U, P):
        r = U - U @ P
        nu = jnp.sum(U * U, axis=-1)
        rel = jnp.sqrt(jnp.sum(r * r, axis=-1) / jnp.where(nu > 0, nu, 1.0))
        rel = jnp.where(jnp.isfinite(rel), rel, 0.0)  # overflowed GD: its value is +inf anyway
        return dataclasses.replace(self, worst=jnp.maximum(self.worst, rel))


@functools.partial(jax.jit, static_argnames=("L", "t", "train_all"))
def span_gd_batch(weights, etas, X, y, lrs, *, L, t, train_all):
    """``(outputs (S, E, m), residual (S, E))``: gradient descent on discovered networks
    (``weights`` as returned by :func:`span_weights`) at ``etas (S, E)``, with each η's largest
    relative query residual (the certificate)."""

    def one(W0, Ws, V, Pf, Pb, es):
        net = SpanNet(W0, Ws, V, Pf, Pb, jnp.zeros(es.shape, es.dtype))
        net, f = program.outputs(Values(es), net, X, y, lrs, L, t, train_all)
        return f, net.worst

    return jax.vmap(one)(*weights, etas)


def certify(residual, etas, seeds, setup, width: int, tol: float = CERT_TOL) -> None:
    """:class:`~polylr.NotResolved` naming the first (seed, η) whose queries left the discovered span."""
    bad = ~(np.asarray(residual) <= tol)
    if np.any(bad):
        s, e = (int(i[0]) for i in np.nonzero(bad))
        raise NotResolved(
            f"gradient descent at eta = {float(etas[s, e]):.6g} on the Gram network of seed {seeds[s]} (t = {setup.steps}, "
            f"n = {width}) leaves its discovered span (relative residual {float(residual[s, e]):.2g} > {tol:g}): "
            "evaluate within the interval the network was discovered on, or use sampler='dense'"
        )


def beyond_polynomial_program(setup) -> bool:
    """True where the t-step polynomial program is past the exact engine's degree limit (the span
    is then discovered by gradient descent)."""
    from .coeffs import MAX_OUTPUT_DEGREE, check_degree_allowed  # noqa: PLC0415 (coeffs imports this lazily)

    try:
        check_degree_allowed(setup, MAX_OUTPUT_DEGREE)
    except TooLarge:
        return True
    return False
