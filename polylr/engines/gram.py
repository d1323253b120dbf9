"""Width-free exact sampling: the network's Gaussian weights realised lazily, in Gram coordinates.

A deep linear network touches its Gaussian matrices only through the matrix–vector products the
training program (:mod:`polylr.engines.program`) asks for, and every vector it forms lies in a
space of small dimension K (independent of n). So each network can be sampled **exactly in
distribution** with O(K) random numbers per query, at any width n > K:

- Every n-vector is held as its coordinates in an orthonormal basis ``e_1, …, e_K`` of the span of
  the vectors drawn so far (the basis is implicit; inner products of coordinates are inner products
  in R^n). The j-th fresh vector ``g ~ N(0, σ² I_n)`` has components ``σ·N(0, 1)`` along
  ``e_1..e_j`` and an orthogonal part of length ``σ·sqrt(χ²_{n−j})``, whose direction becomes
  ``e_{j+1}``: coordinates ``σ·(z_1, …, z_j, sqrt(χ²_{n−j}), 0, …)``.
- ``W_0`` is d fresh vectors (its columns) and ``V`` one fresh vector, at the parametrization's scales.
- A hidden ``W`` (iid ``N(0, σ²)``) keeps its forward queries (orthonormal ``q_i`` with ``y_i = W q_i``)
  and backward queries (orthonormal ``r_j`` with ``z_j = Wᵀ r_j``). Given them, ``W = R Zᵀ +
  (I − P_R) Y Qᵀ + (I − P_R) W̃ (I − P_Q)`` with ``W̃`` a fresh copy (Gaussian conditioning on linear
  constraints). For a forward query x: ``x = Q c + x⊥``, and
  ``W x = Yᵀc + R Zᵀx⊥ + ‖x⊥‖·σ(I − P_R) g`` with g fresh; ``q = x⊥/‖x⊥‖`` joins the forward queries
  with ``y = R Zᵀq + σ(I − P_R) g``. Backward queries are the mirror image. Exact and adaptively
  valid (the conditioning argument of the Tensor-Programs proofs and of Bolthausen's AMP analysis,
  at finite n).

Numerics (float64). Projections are done twice (classical Gram–Schmidt, re-orthogonalised once:
"twice is enough"). A query's orthogonal part is treated as zero when ``‖x⊥‖ <= TAU·‖x‖``
(:data:`TAU` = 1e-9); then only the random term ``‖x⊥‖·σ(I − P_R) g`` is omitted (the known part
``R Zᵀx⊥`` is kept), an error of norm ``<= TAU·‖x‖·σ·sqrt(χ²_n) ≈ TAU·σ√n‖x‖``, i.e. at most about
TAU relative to the natural size ``σ√n‖x‖`` of ``W x`` (the law of the network is changed by no more
than that; the returned polynomials are still exactly those of the network the queries define, see
:func:`gram_weights`). The j-th fresh draw uses row j of a table drawn up front, so a network does not
depend on how it was queried (only on its key and the capacity K, which fixes the layout of the
two flat draws ``K² + K·P`` normals and ``K·P + K`` uniforms a network makes).

Capacities (static, so batches ``vmap`` over seeds). The number of rows the program ever asks a
layer to multiply is an upper bound on its queries, and K <= d + 1 + their sum; it is found by
tracing the program with a counting network, and used as is when it is small (K <= 64: t = 1, 2 at
L = 3, d = 8 give K = 20, 50). Beyond that (t = 3, or all layers trained) the counts one probe
network needs are used, plus :data:`SLACK`: they are generic (almost surely the same for every
seed) for a given data set, depth, number of steps and trained layers. A network that needs more
(numerical noise can add a direction) is recomputed with the upper bound (a different, equally
valid, deterministic draw); one that overflows that too (a χ² rejection, or n not above the upper
K) is refused (:class:`~polylr.NotResolved` naming the width and the seeds).
The sampler requires K_max < n (every χ² has ≥ 1 degree of freedom); below that widths use the
dense sampler.

Speed (``sampler="auto"``): the Gram sampler costs the same at every width, the dense one grows
like L·n². Measured per network (exact coefficients, t = 1, L = 3, m = 500, d = 8, K = 20;
``python benchmarks/gram_speed.py --quick`` on the 2-core machine under a load of ~16):
dense/Gram time = 1.96 at n = 32, 6.5 at 64, 24 at 128, 313 at 256, 700 at 512. So ``auto`` takes
the Gram sampler from :data:`AUTO_MIN_WIDTH` = 32 on, wherever it fits (n > K), and the dense one
below. Gram time per network: 0.7 ms at n = 2^6 and 0.9 ms at n = 2^30 (ratio 1.26).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..core.errors import InvalidInput, PolylrError, TooLarge
from .program import Stacks, outputs
from .samplers import DENSE, OuterLayers

TAU = 1e-9
SLACK = 2
PROBE_ABOVE = 64  # upper-bound capacity K beyond which a probe network measures tighter ones
MAX_WIDTH = 2**40
# auto picks the Gram sampler from this width on (see the module docstring).
AUTO_MIN_WIDTH = 32


PROPOSALS = 16


def chi(x, u, ub, dof):
    """``(sqrt(χ²_dof), ok)`` elementwise: the length of a ``dof``-dimensional standard Gaussian
    vector (``dof >= 1``), from ``x`` (standard normals) and ``u`` (uniforms on (0, 1)), each of shape
    ``dof.shape + (PROPOSALS,)``, and ``ub`` (uniforms, shape ``dof.shape``).

    ``χ²_dof = 2·Gamma(dof/2)``, sampled by Marsaglia–Tsang (exact rejection sampling) with
    :data:`PROPOSALS` proposals at once, the first accepted one kept (shape ``a < 1``:
    ``Gamma(a) = Gamma(a + 1)·ub^{1/a}``). The acceptance probability of one proposal is >= 0.95
    for ``a >= 1``, so all are rejected with probability <= 0.05^16 < 2e-21; then ``ok`` is False and
    the caller refuses (never silently wrong). Written out rather than ``jax.random.gamma``, whose
    rejection loop took 7–14 s to compile per shape on this machine; these element-wise operations
    compile in well under a second. The acceptance test uses ``log1p(w) − w`` with ``w = v − 1``
    expanded, so it stays accurate at ``a ≈ 5e11`` (n = 2^40)."""
    a = (dof / 2)[..., None]
    small = a < 1
    a1 = jnp.where(small, a + 1, a)
    d = a1 - 1.0 / 3.0
    c = 1.0 / jnp.sqrt(9.0 * d)
    cx = c * x
    w = cx * (3.0 + cx * (3.0 + cx))  # (1 + cx)^3 − 1
    pos = cx > -1.0  # v = (1 + cx)^3 > 0
    ws = jnp.where(pos, w, 0.0)
    ok = pos & (jnp.log(u) < 0.5 * x * x + d * (jnp.log1p(ws) - ws))
    first = jnp.argmax(ok, axis=-1)[..., None]
    g = (d * (1.0 + jnp.take_along_axis(w, first, -1)))[..., 0]
    a = a[..., 0]
    g = jnp.where(a < 1, g * ub ** (1.0 / a), g)
    return jnp.sqrt(2.0 * g), jnp.any(ok, axis=-1)


def _uniform(key, shape):
    return jax.random.uniform(key, shape, dtype=jnp.float64, minval=jnp.finfo(jnp.float64).tiny)


@jax.tree_util.register_dataclass
@dataclass(frozen=True)
class GramNet(OuterLayers):
    """A lazily sampled network in Gram coordinates (capacity ``K = W0.shape[0]``)."""

    normals: jax.Array  # (K, K): row j = the N(0, 1) components of fresh draw j (entries < j used)
    chis: jax.Array  # (K,): sqrt(χ²_{n−j}) for fresh draw j
    k: jax.Array  # number of fresh draws so far = dimension of the span
    overflow: jax.Array  # a capacity was exceeded: the result is invalid
    sigma: jax.Array  # hidden std
    project: jax.Array  # False only in the negative control "no-projection"
    W0: jax.Array  # (K, d): W_0 in coordinates (row-major like a dense W_0 (n, d))
    V: jax.Array  # (K,)
    Q: tuple  # per layer (A_l, K): forward query directions
    Y: tuple  # per layer (A_l, K): W q
    R: tuple  # per layer (B_l, K): backward query directions
    Z: tuple  # per layer (B_l, K): Wᵀ r
    na: tuple  # per layer: forward queries so far
    nb: tuple  # per layer: backward queries so far

    def hidden_fwd(self, l, U):
        return self._apply(l - 1, U, True)

    def hidden_bwd(self, l, U):
        return self._apply(l - 1, U, False)

    def _apply(self, i, U, forward):
        return jax.lax.scan(lambda net, x: net._query(i, x, forward), self, U)

    def _fresh(self, sigma, active):
        """Fresh draw number k, ``σ·g`` in coordinates; consumed only when ``active``."""
        K = self.dim
        idx = jnp.arange(K)
        at = idx == self.k  # one-hot row selection (element-wise: compiles faster than a gather under vmap)
        g = jnp.where(idx < self.k, at.astype(self.normals.dtype) @ self.normals, 0.0)
        g = sigma * jnp.where(at, self.chis, g)
        over = self.overflow | (active & (self.k >= K))
        return dataclasses.replace(self, k=self.k + active.astype(self.k.dtype), overflow=over), g

    def _query(self, i, x, forward):
        if forward:
            P, PI, O, OI, cnt = self.Q[i], self.Y[i], self.R[i], self.Z[i], self.na[i]
        else:
            P, PI, O, OI, cnt = self.R[i], self.Z[i], self.Q[i], self.Y[i], self.nb[i]
        c = P @ x
        r = x - c @ P
        c2 = P @ r  # re-orthogonalise
        r = r - c2 @ P
        c = c + c2
        rr = r @ r
        # sqrt with derivative 0 (not NaN) at an exactly in-span query; the same values bit for bit
        # (the limit law, engines/law.py, differentiates the network at such a point).
        nr = jnp.sqrt(jnp.where(rr > 0, rr, 1.0)) * (rr > 0)
        new = nr > TAU * jnp.sqrt(x @ x)
        q = r / jnp.where(new, nr, 1.0)
        net, g = self._fresh(self.sigma, new)
        h = g - (O @ g) @ O
        h = h - (O @ h) @ O  # (I − P_O) g, twice
        g = jnp.where(self.project, h, g)
        image = (OI @ q) @ O + g  # W q (forward) or Wᵀ q (backward), given everything drawn so far
        out = c @ PI + (OI @ r) @ O + jnp.where(new, nr, 0.0) * g
        over = net.overflow | (new & (cnt >= P.shape[0]))
        slot = (jnp.arange(P.shape[0]) == cnt)[:, None] & new  # no slot left: nothing written (overflow)
        P = jnp.where(slot, q[None, :], P)
        PI = jnp.where(slot, image[None, :], PI)
        cnt = cnt + new.astype(cnt.dtype)
        put = lambda tup, v: tup[:i] + (v,) + tup[i + 1 :]  # noqa: E731
        if forward:
            net = dataclasses.replace(net, Q=put(net.Q, P), Y=put(net.Y, PI), na=put(net.na, cnt), overflow=over)
        else:
            net = dataclasses.replace(net, R=put(net.R, P), Z=put(net.Z, PI), nb=put(net.nb, cnt), overflow=over)
        return net, out

    def counts(self):
        return self.k, jnp.stack(self.na), jnp.stack(self.nb)

    def dense(self):
        """The network restricted to its span, as explicit matrices in coordinates:
        ``(W0 (K, d), Ws (L, K, K), V (K,))``; ``W_l = Rᵀ Z + (I − Rᵀ R) Yᵀ Q`` agrees with every
        answer the lazy matrix gave, so any computation confined to the span sees this network."""
        K = self.dim
        Ws = [R.T @ Z + (jnp.eye(K) - R.T @ R) @ Y.T @ Q for Q, Y, R, Z in zip(self.Q, self.Y, self.R, self.Z)]
        return self.W0, jnp.stack(Ws), self.V


@dataclass(frozen=True)
class GramSampler:
    """Lazily sampled networks in Gram coordinates (see the module docstring); the capacities are static."""

    K: int
    A: tuple[int, ...]
    B: tuple[int, ...]
    name: str = "gram"
    # Deliberately wrong variants, for negative controls in tests only: "chi-n" draws every new
    # length from χ²_n instead of χ²_{n−j}; "no-projection" omits (I − P_R) (resp. (I − P_Q)).
    defect: str | None = None
    static_width = False  # n is data (a traced float): one compilation serves every width

    def network(self, key, stds, *, d: int, n: int, L: int) -> GramNet:
        if self.defect not in (None, "chi-n", "no-projection"):
            raise InvalidInput(f"defect must be None, 'chi-n' or 'no-projection', got {self.defect!r}")
        if len(self.A) != L or d + 1 > self.K:
            raise PolylrError(f"Gram capacities {self} do not fit depth {L} and input dimension {d}")
        in_std, hidden_std, out_std = stds
        K = self.K
        # Two flat draws per network (few PRNG calls compile fast): K² + K·P normals, K·P + K uniforms.
        kn, ku = jax.random.split(key)
        P = PROPOSALS
        z = jax.random.normal(kn, (K * K + K * P,), dtype=jnp.float64)
        u = _uniform(ku, (K * P + K,))
        normals = z[: K * K].reshape(K, K)
        js = jnp.arange(K)
        dof = jnp.asarray(n, jnp.float64) - js.astype(jnp.float64) * (self.defect != "chi-n")
        chis, ok = chi(z[K * K :].reshape(K, P), u[: K * P].reshape(K, P), u[K * P :], dof)
        lower = js[None, :] < js[:, None]
        draws = jnp.where(lower, normals, 0.0) + jnp.diag(chis)  # row j = fresh draw j (unit scale)
        W0 = in_std * draws[:d]
        V = out_std * draws[d]
        return self.start(normals, chis, W0, V, d=d, sigma=hidden_std, overflow=~jnp.all(ok),
                          project=self.defect != "no-projection")

    def start(self, normals, chis, W0, V, *, d: int, sigma, overflow=False, project=True) -> GramNet:
        """A network with its fresh-draw table and no hidden-layer queries yet (span = W_0's columns and V)."""
        f64 = jnp.float64
        return GramNet(
            normals=normals,
            chis=chis,
            k=jnp.int32(d + 1),
            overflow=jnp.asarray(overflow, bool),
            sigma=jnp.asarray(sigma, f64),
            project=jnp.asarray(project, bool),
            W0=W0.T,  # given as (d, K): W_0's columns
            V=V,
            Q=tuple(jnp.zeros((a, self.K), f64) for a in self.A),
            Y=tuple(jnp.zeros((a, self.K), f64) for a in self.A),
            R=tuple(jnp.zeros((b, self.K), f64) for b in self.B),
            Z=tuple(jnp.zeros((b, self.K), f64) for b in self.B),
            na=tuple(jnp.int32(0) for _ in self.A),
            nb=tuple(jnp.int32(0) for _ in self.B),
        )

    def bytes_per_network(self, rows: int) -> int:
        """Memory of one network and its program's vectors (``rows`` = stack rows held at once)."""
        return 8 * self.K * (2 * self.K + 2 * sum(self.A) + 2 * sum(self.B) + rows + 8)

    def check(self, setup, width: int) -> None:
        if width > MAX_WIDTH:
            raise TooLarge(f"width n = {width} is beyond the Gram sampler's range [{self.K + 1}, {MAX_WIDTH}]")
        if width <= self.K:
            raise InvalidInput(
                f"width n = {width} is too small for the Gram sampler: the network's span needs up to K = {self.K} "
                f"< n dimensions (use sampler='dense' for n <= {self.K})"
            )

    @classmethod
    def for_setup(cls, setup, width: int) -> "GramSampler":
        """Capacities for this setup: the probe's counts plus :data:`SLACK`, capped by the upper bound."""
        _check_program(setup)
        return _capacities(*setup_key(setup))[0]

    @classmethod
    def upper(cls, setup) -> "GramSampler":
        """Capacities that cannot overflow: the number of rows the program ever queries."""
        _check_program(setup)
        return _capacities(*setup_key(setup))[1]


def _check_program(setup) -> None:
    """A Gram network is the one its t-step *polynomial* program queries (evaluation mode included:
    gradient descent at any η stays in that program's span), so the sampler needs that program:
    :class:`~polylr.TooLarge` beyond the exact engine's output degree (e.g. t >= 4 at L = 3), before
    any work (counting that program's rows costs degree², and its probe network K² numbers). There
    :func:`polylr.engines.samplers.resolve_sampler` takes the span discovered by gradient descent
    instead (:mod:`polylr.engines.gram_gd`, evaluation mode only)."""
    from .coeffs import MAX_OUTPUT_DEGREE, check_degree_allowed  # noqa: PLC0415 (coeffs imports this module)

    try:
        check_degree_allowed(setup, MAX_OUTPUT_DEGREE)
    except TooLarge:
        raise TooLarge(
            f"the Gram sampler realises the network of the t-step polynomial program, allowed up to output degree "
            f"{MAX_OUTPUT_DEGREE} (t = {setup.steps}, depth {setup.depth} is beyond it); evaluation mode discovers the span "
            "by gradient descent instead (engines/gram_gd.py)"
        ) from None


def setup_key(setup):
    X = np.ascontiguousarray(setup.data.X, dtype=np.float64)
    y = np.ascontiguousarray(setup.data.y, dtype=np.float64)
    return X.tobytes(), y.tobytes(), X.shape, setup.depth, setup.steps, setup.train == "all"


class RowCounter:
    """A network that only counts the rows the program asks it to multiply (for the upper bound)."""

    def __init__(self, L, d):
        self.fwd, self.bwd, self.dim, self._d = [0] * L, [0] * L, 1, d

    def out(self):
        return jnp.zeros(1)

    def in_fwd(self, C):
        return self, jnp.zeros(C.shape[:-1] + (1,))

    def in_bwd(self, G):
        return self, jnp.zeros(G.shape[:-1] + (self._d,))

    def hidden_fwd(self, l, U):
        self.fwd[l - 1] += U.shape[0]
        return self, jnp.zeros_like(U)

    def hidden_bwd(self, l, U):
        self.bwd[l - 1] += U.shape[0]
        return self, jnp.zeros_like(U)


@functools.lru_cache(maxsize=64)
def _capacities(Xb, yb, shape, L, t, train_all):
    m, d = shape
    X = np.frombuffer(Xb).reshape(shape)
    y = np.frombuffer(yb)
    counter = RowCounter(L, d)
    with jax.enable_x64(True):
        jax.eval_shape(lambda X, y: outputs(Stacks, counter, X, y, (1.0, 1.0, 1.0), L, t, train_all)[1], X, y)
    A = tuple(min(f, 10**6) for f in counter.fwd)
    B = tuple(min(b, 10**6) for b in counter.bwd)
    upper = GramSampler(K=d + 1 + sum(A) + sum(B), A=A, B=B)
    if upper.K <= PROBE_ABOVE:
        return upper, upper
    # Probe: one network at a generic width with the upper-bound capacities; the counts it needs
    # are the same for almost every network (see the module docstring).
    k, na, nb, over = _probe(upper, X, y, L, t, train_all)
    if over:
        raise PolylrError("the Gram sampler's probe network could not be drawn (chi-square rejection failed)")
    tight = GramSampler(
        K=min(upper.K, int(k) + 2 * SLACK),
        A=tuple(min(a, int(c) + SLACK) for a, c in zip(A, na)),
        B=tuple(min(b, int(c) + SLACK) for b, c in zip(B, nb)),
    )
    return tight, upper


def _probe(sampler, X, y, L, t, train_all):
    d = X.shape[1]
    with jax.enable_x64(True):
        key = jax.random.key(2**31 - 1)
        net = sampler.network(key, (d**-0.5, 2.0**-10, 2.0**-20), d=d, n=2**20, L=L)
        net, _ = jax.jit(outputs, static_argnums=(0, 5, 6, 7))(
            Stacks, net, jnp.asarray(X), jnp.asarray(y), (1.0, 1.0, 1.0), L, t, train_all
        )
        k, na, nb = net.counts()
        return int(k), np.asarray(na), np.asarray(nb), bool(net.overflow)


def pad_coordinates(a, K: int):
    """Pad the coordinate axes of batched network arrays to K with zeros (coordinates no query
    reached): ``V (S, k)``, ``W0 (S, k, d)`` or per-layer matrices ``(S, L, k, k)``."""
    if a.ndim == 2:
        return np.pad(a, ((0, 0), (0, K - a.shape[1])))
    if a.ndim == 3:
        return np.pad(a, ((0, 0), (0, K - a.shape[1]), (0, 0)))
    return np.pad(a, ((0, 0), (0, 0), (0, K - a.shape[2]), (0, K - a.shape[3])))


def gram_auto(setup, width: int):
    """``sampler="auto"``: the Gram sampler from :data:`AUTO_MIN_WIDTH` on (where it fits), else dense;
    where the polynomial program is beyond the engine, the span discovered by gradient descent
    (:class:`polylr.engines.gram_gd.SpanSampler`) from its crossover width on, dense below."""
    if width >= AUTO_MIN_WIDTH:
        try:
            gram = GramSampler.for_setup(setup, width)
        except TooLarge:  # the polynomial program is beyond the engine (t >= 4 at L = 3): the span by GD
            from .gram_gd import SPAN_AUTO_MIN_WIDTH, SpanSampler  # noqa: PLC0415 (gram_gd imports this module)

            return SpanSampler() if width >= SPAN_AUTO_MIN_WIDTH else DENSE
        if width > gram.K:
            return gram
    return DENSE
