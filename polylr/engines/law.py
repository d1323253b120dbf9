"""The finite-width law of η_n and of the optimal loss: delta method through the Gram network.

On the Gram path (:mod:`polylr.engines.gram`) a network is a smooth function of finitely many
independent random inputs: for each fresh Gaussian draw ``j = 0, 1, …, K−1`` (rows ``j < d``: the
columns of ``W_0``; row ``d``: ``V``; later rows: the hidden matrices' fresh directions) its ``j``
in-span components ``z_{j,i} ~ N(0, 1)`` (``i < j``) and the length ``sqrt(χ²_{n−j})`` of its
orthogonal part.

**Normalised coordinates.** Divide every forward vector (O(1) entries, norm ~ √n) by √n and
multiply ``V`` by √n. Under μP (``W_0 ~ N(0, 1/d)``, ``W_l ~ N(0, 1/n)``, ``V ~ N(0, 1/n²)``,
hidden learning-rate factor 1) the t-step program is unchanged in these coordinates (every update
``η g (a·u)`` is homogeneous of degree 0 in the rescaling), and the network becomes a Gram network
with unit hidden scale whose fresh draw j has coordinates::

    (ε z_{j,0}, …, ε z_{j,j−1},  r_j, 0, …)     (times d^-1/2 for the columns of W_0),
    ε = n^-1/2,   r_j = sqrt(χ²_{n−j} / n).

So with ``θ = (θ_z, θ_r)``, ``θ_z = ε z`` and ``θ_r = r − 1``, every output coefficient, the loss
polynomial, its argmin ``η_n = H(θ)`` and the optimal loss ``a_n = A(θ)`` are functions of θ alone,
and ``θ = 0`` is the infinite-width network: every fresh direction orthonormal to the past, which
reproduces the Tensor-Programs limit (:func:`polylr.limit_polys`; checked to 1e-12 relative in
``tests/test_law.py``). :func:`normalised_outputs` is ``F(θ)``; :func:`network_inputs` recovers
the θ of the sampler's own networks (a network drawn again with the upper-bound capacities
included: θ from that draw), and ``F(θ)`` then equals the sampler's polynomials (or refuses, where
such a network needs more fresh draws than θ's layout holds).

**Moments of θ** (all coordinates independent). ``θ_z``: mean 0, variance ``1/n``.
``θ_r``: ``E θ_r = E sqrt(χ²_{n−j})/√n − 1 = −(j/2 + 1/4)/n + O(n^-2)`` (from
``E sqrt(χ²_k) = √k (1 − 1/(4k) + O(k^-2))`` and ``sqrt((n−j)/n) = 1 − j/(2n) + O(n^-2)``: the
n−j versus n offset and the χ mean shift), variance ``1/(2n) + O(n^-2)``; third central moments
are O(n^-2).

**Delta method.** With ``g = ∇H(0)`` and ``h = diag ∇²H(0)``::

    √n (η_n − η_∞)  →  N(0, σ²),   σ² = Σ_z g_z² + ½ Σ_j g_{r_j}²,
    n (E η_n − η_∞) →  b,          b  = −Σ_j (j/2 + 1/4) g_{r_j} + ½ Σ_z h_z + ¼ Σ_j h_{r_j},

(the cross terms of the Hessian have mean zero by independence; every other term is O(n^-3/2)
in the mean, O(n^-1) in √n times the fluctuation). Equivalently, in standardised inputs
``u = (z, ξ)`` with ``θ_r = ε ξ/√2 + mean``: ``σ² = ‖∇_u η(0)‖²`` and ``b`` = ½ tr ∇_u² η(0) + the
mean shifts. The same for ``A``.

**Derivatives of the argmin** (implicit function theorem on ``∂L/∂η = 0``): ``H`` is computed as
four Newton steps on ``L'(η; θ)`` started from ``η_∞`` (the exact root at θ = 0). At θ = 0 the
first step already has the implicit-function derivative ``−L'_θ / L''`` and each step doubles the
order of derivatives that are exact (Newton's map has zero derivative at its fixed point), so the
first and second derivatives of the four-step map are those of the true root. ``A(θ) = L(H(θ); θ)``.
First derivatives by JAX forward-mode autodiff, the Hessian diagonal by Richardson-extrapolated
central differences of the same program (:func:`law_derivatives`), in float64 (scoped).

**A degenerate query.** At θ = 0 a few of the program's queries lie exactly in the span of the
layer's earlier queries (the sampler then draws nothing for them), while at θ ≠ 0 their orthogonal
part is O(ε^p): the direction of the new query vector depends on the direction of θ. At t = 1 (L = 3)
F is nevertheless differentiable at 0 (the slope of η_n along sampled θ converges to g·θ); at t = 2 it
is not (slopes along generic rays 1–3 % off g·θ): :func:`law_derivatives` measures this
(``ray_error``) and then :func:`ray_law` gives the law from one-sided derivatives along rays, which
exist because along each ray the out-of-span norms are ε^p times an analytic function:
``√n (η_n − η_∞) → D1(u)``, σ² = E D1(u)², b = E D2(u), by Monte Carlo over u on the limit
(``proofs/limit_law.md`` section 5).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import gammaln

from ..core.errors import InvalidInput, NotResolved
from ..core.precision import float64
from ..core.setup import MUP, Setup
from . import program
from .gram import GramNet, GramSampler
from .samplers import master_key, network_key, scales_of

NEWTON_STEPS = 4
# Central differences at h = 1e-3 must match the autodiff gradient, and D(h) must match D(2h), to
# this, relative to the largest derivative (O(h²) = 1e-6 expected; a |θ| term would be off by O(1)).
FD_TOL = 1e-3
FD_CHUNK = 1024
RAYS, RAY_SEED, RAY_STEP = 8, 0, 1e-7
# Generic-ray slopes against the gradient, relative to ‖g‖ (measured on the built-in data, L = 3:
# 2.3e-8 at t = 1; 0.33 at t = 2, where degenerate queries make the representation non-smooth at θ = 0).
RAY_TOL = 1e-4
# Where the capacities are read off (any width above K gives the same generic capacities).
_PROBE_WIDTH = 2**20


def check_law_setup(setup: Setup) -> None:
    """The law is derived for μP with the hidden layers trained (where the exact limit exists)."""
    if setup.param.exponents != MUP.exponents or setup.train != "hidden":
        raise InvalidInput(
            f"the limit law needs μP ('mup') with train='hidden', got parametrization {setup.param.name!r} "
            f"and train={setup.train!r}"
        )


def sampler_for(setup: Setup) -> GramSampler:
    """The Gram capacities used for ``setup`` (those of ``sampler='gram'``, so that θ's layout is the sampler's)."""
    return GramSampler.for_setup(setup, _PROBE_WIDTH)


def n_inputs(sampler: GramSampler) -> tuple[int, int]:
    """``(P_z, P_r)``: the number of in-span components ``K(K−1)/2`` and of lengths ``K``."""
    K = sampler.K
    return K * (K - 1) // 2, K


def _tril(K):
    return np.tril_indices(K, -1)  # rows j > columns i: z_{j,i}, i < j


def normalised_network(sampler: GramSampler, theta_z, theta_r, d: int) -> GramNet:
    """The Gram network in normalised coordinates at ``θ`` (see the module docstring): fresh draw j is
    ``(θ_z[j, :j], 1 + θ_r[j])``; ``W_0``'s columns carry the factor ``d^-1/2``; hidden scale 1."""
    K = sampler.K
    rows, cols = _tril(K)
    normals = jnp.zeros((K, K), theta_z.dtype).at[rows, cols].set(theta_z)
    chis = 1.0 + theta_r
    draws = normals + jnp.diag(chis)
    return sampler.start(normals, chis, d**-0.5 * draws[:d], draws[d], d=d, sigma=1.0)


def _program(sampler, X, y, L, t, d):
    def outs(theta_z, theta_r):
        net = normalised_network(sampler, theta_z, theta_r, d)
        net, f = program.outputs(program.Stacks, net, X, y, (1.0, 1.0, 1.0), L, t, False)
        return f, program.loss_stack(f, y), net.overflow

    return outs


@float64
def normalised_outputs(setup: Setup, theta_z, theta_r):
    """``F(θ)``: output coefficients ``(deg + 1, m)`` and loss coefficients ``(2 deg + 1,)`` (numpy)
    of the network with inputs θ (``θ_z``: shape ``(K(K−1)/2,)``, ``θ_r``: ``(K,)``; zeros = the limit).
    Batched inputs (a leading axis) give batched outputs."""
    check_law_setup(setup)
    sampler = sampler_for(setup)
    fn = _compiled_outputs(*_key(setup), sampler)
    theta_z, theta_r = jnp.asarray(theta_z, jnp.float64), jnp.asarray(theta_r, jnp.float64)
    Pz, Pr = n_inputs(sampler)
    if theta_z.shape[-1] != Pz or theta_r.shape[-1] != Pr:
        raise InvalidInput(f"θ must have {Pz} in-span and {Pr} length components, got {theta_z.shape} and {theta_r.shape}")
    if theta_z.ndim == 1:
        f, loss, over = fn(theta_z[None], theta_r[None])
        f, loss, over = f[0], loss[0], over[0]
    else:
        f, loss, over = fn(theta_z, theta_r)
    if np.any(np.asarray(over)):
        raise NotResolved("θ asked for more fresh directions than the Gram capacities hold")
    return np.asarray(f), np.asarray(loss)


def _key(setup):
    X = np.ascontiguousarray(setup.data.X, dtype=np.float64)
    y = np.ascontiguousarray(setup.data.y, dtype=np.float64)
    return X.tobytes(), y.tobytes(), X.shape, setup.depth, setup.steps


@functools.lru_cache(maxsize=16)
def _compiled_outputs(Xb, yb, shape, L, t, sampler):
    X = jnp.asarray(np.frombuffer(Xb).reshape(shape))
    y = jnp.asarray(np.frombuffer(yb))
    return jax.jit(jax.vmap(_program(sampler, X, y, L, t, shape[1])))


# -- the network inputs θ of the sampler's own networks -------------------------------------------------


@float64
def network_inputs(setup: Setup, width: int, seeds, *, master_seed: int = 0, key=None, upper_seeds=()):
    """``(θ_z (S, P_z), θ_r (S, K))`` of the networks ``finite_width_polys(setup, width, seeds,
    sampler='gram')`` draws (same keys, same capacities): ``θ_z = z/√n``, ``θ_r = sqrt(χ²_{n−j}/n) − 1``.

    ``upper_seeds`` (that call's :attr:`~polylr.FiniteWidthPolys.upper_seeds`): the seeds whose network
    overflowed the tight capacities and was drawn again with the upper-bound ones; their θ is read
    from that same draw (its first K fresh draws: θ's layout). Where such a network needs more than
    those (it overflowed by a direction), ``F(θ)`` refuses rather than give another network, and
    the control variate ``g·(θ − Eθ)`` (:mod:`polylr.analysis.law`) leaves the extra draws out (its
    mean is still zero: the first K draws have the law of θ)."""
    check_law_setup(setup)
    sampler = sampler_for(setup)
    if width <= sampler.K:
        raise InvalidInput(f"width n = {width} must exceed the Gram capacity K = {sampler.K}")
    master = master_key(master_seed, key)
    stds, _ = scales_of(setup, width)
    seeds = np.atleast_1d(np.asarray(seeds, dtype=np.uint32))
    kw = dict(d=setup.data.d, L=setup.depth, width=width, K=sampler.K)
    z, r = (np.array(a) for a in _inputs(sampler, master, jnp.asarray(seeds), jnp.float64(width), stds, **kw))
    redo = np.isin(seeds, np.asarray(upper_seeds, dtype=np.int64))
    if np.any(redo):  # the same draw as finite_width_polys's recompute: the upper-bound capacities
        zu, ru = _inputs(GramSampler.upper(setup), master, jnp.asarray(seeds[redo]), jnp.float64(width), stds, **kw)
        z[redo], r[redo] = np.asarray(zu), np.asarray(ru)
    return z, r


@functools.partial(jax.jit, static_argnames=("sampler", "d", "L", "width", "K"))
def _inputs(sampler, master, seeds, n, stds, d, L, width, K):
    """θ of each seed's network drawn with ``sampler``'s capacities, in the layout of K fresh draws
    (the first K rows of that draw's table; ``K <= sampler.K``)."""
    rows, cols = _tril(K)

    def one(seed):
        net = sampler.network(network_key(master, width, seed), stds, d=d, n=n, L=L)
        return net.normals[rows, cols] / jnp.sqrt(n), net.chis[:K] / jnp.sqrt(n) - 1.0

    return jax.vmap(one)(seeds)


def mean_theta_r(K: int, width: int) -> np.ndarray:
    """Exact ``E θ_r[j] = E sqrt(χ²_{n−j})/√n − 1`` for ``j < K`` (``E sqrt(χ²_k) = √2 Γ((k+1)/2)/Γ(k/2)``)."""
    k = width - np.arange(K, dtype=np.float64)
    log_mean = 0.5 * math.log(2.0) + gammaln((k + 1) / 2) - gammaln(k / 2)
    return np.expm1(log_mean - 0.5 * math.log(width))


def var_theta_r(K: int, width: int) -> np.ndarray:
    """Exact ``Var θ_r[j] = (k − (E sqrt(χ²_k))²)/n`` with ``k = n − j``."""
    k = width - np.arange(K, dtype=np.float64)
    m = np.exp(0.5 * math.log(2.0) + gammaln((k + 1) / 2) - gammaln(k / 2))
    return (k - m * m) / width


# -- derivatives at θ = 0 ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LawDerivatives:
    """First and diagonal second derivatives at θ = 0 of ``η_n = H(θ)`` (row 0) and of the optimal
    loss ``a_n = A(θ)`` (row 1): ``grad_z (2, P_z)``, ``grad_r (2, K)``, ``hess_z (2, P_z)``, ``hess_r (2, K)``."""

    setup: Setup
    sampler: GramSampler
    eta_inf: float
    loss_inf: float
    grad_z: np.ndarray
    grad_r: np.ndarray
    hess_z: np.ndarray
    hess_r: np.ndarray
    fd_error: float  # largest relative disagreement of the finite-difference checks
    # Largest |slope along a generic ray − g·u| / ‖g‖ (u standard normal): ≈ 0 when the Gram program is
    # smooth at θ = 0; see "A degenerate query" in the module docstring. Above RAY_TOL, σ and b are
    # not backed (the claims then say inconclusive).
    ray_error: float = 0.0
    # Where not smooth: the law from one-sided derivatives along rays (:func:`ray_law`); then grad_z and
    # grad_r hold the least-squares linear part of D1 in θ (the Monte Carlo's control variate).
    ray: "RayLaw | None" = None

    @property
    def smooth(self) -> bool:
        return self.ray_error <= RAY_TOL

    @property
    def backed(self) -> bool:
        """σ and b are backed: F is smooth at θ = 0, or the ray law is computed and certified."""
        return self.smooth or (self.ray is not None and self.ray.certified)

    def with_ray(self, ray: "RayLaw") -> "LawDerivatives":
        """These derivatives with the ray law attached (gradients replaced by its linear part)."""
        Pz = self.grad_z.shape[1]
        return dataclasses.replace(self, ray=ray, grad_z=ray.beta[:, :Pz], grad_r=math.sqrt(2.0) * ray.beta[:, Pz:])

    def sigma(self, z_scale: float = 1.0, r_scale: float = 1.0) -> np.ndarray:
        """``σ`` for (η, loss): ``sqrt(Σ g_z² + ½ Σ g_r²)`` (with a ray law: ``sqrt(E D1²)``); the scales
        multiply the standard deviation of the in-span inputs and of the lengths (1 = the true law; for
        sensitivity checks; with a ray law they act on its linear part)."""
        gz, gr = np.sum(self.grad_z**2, axis=1), 0.5 * np.sum(self.grad_r**2, axis=1)
        if self.ray is not None:
            return np.sqrt(self.ray.sigma**2 + (z_scale**2 - 1) * gz + (r_scale**2 - 1) * gr)
        return np.sqrt(z_scale**2 * gz + r_scale**2 * gr)

    def bias(self) -> np.ndarray:
        """``b`` for (η, loss): ``lim n (E − limit)``."""
        if self.ray is not None:
            return self.ray.b
        j = np.arange(self.sampler.K)
        return -(self.grad_r @ (j / 2 + 0.25)) + 0.5 * np.sum(self.hess_z, axis=1) + 0.25 * np.sum(self.hess_r, axis=1)

    def bias_at(self, width: int) -> np.ndarray:
        """The same second-order prediction with the exact moments of θ at this width (times n); with a
        ray law, ``E D2``, plus ``√n E D1`` where E D1 is resolved from 0 (not :attr:`RayLaw.centred`;
        an unresolved E D1 would only add its Monte Carlo noise times √n)."""
        if self.ray is not None:
            return self.ray.b + (0.0 if self.ray.centred else math.sqrt(width) * self.ray.mean_d1)
        K = self.sampler.K
        return width * (
            self.grad_r @ mean_theta_r(K, width)
            + 0.5 * np.sum(self.hess_z, axis=1) / width
            + 0.5 * self.hess_r @ var_theta_r(K, width)
        )

    def variance_shares(self) -> dict[str, np.ndarray]:
        """Share of σ² (η, loss) from each group of inputs: ``W0``, ``V`` and ``hidden`` in-span
        components, and ``lengths`` (all the χ lengths)."""
        d = self.setup.data.d
        rows, _ = _tril(self.sampler.K)
        gz2 = self.grad_z**2
        total = np.sum(gz2, axis=1) + 0.5 * np.sum(self.grad_r**2, axis=1)
        return {
            "W0": np.sum(gz2[:, rows < d], axis=1) / total,
            "V": np.sum(gz2[:, rows == d], axis=1) / total,
            "hidden": np.sum(gz2[:, rows > d], axis=1) / total,
            "lengths": 0.5 * np.sum(self.grad_r**2, axis=1) / total,
        }

    def linear_term(self, theta_z, theta_r, width: int) -> np.ndarray:
        """``g·(θ − E θ)`` per network (shape ``(S, 2)``): mean exactly zero; the control variate."""
        mz = 0.0
        mr = mean_theta_r(self.sampler.K, width)
        return (np.asarray(theta_z) - mz) @ self.grad_z.T + (np.asarray(theta_r) - mr) @ self.grad_r.T


def _argmin_map(outs, eta0):
    """θ -> (H(θ), A(θ)): NEWTON_STEPS Newton steps on L'(η; θ) from η_∞."""

    def fn(theta_z, theta_r):
        _, loss, _ = outs(theta_z, theta_r)
        k = jnp.arange(loss.shape[0], dtype=loss.dtype)
        d1 = (k * loss)[1:]
        d2 = (k[:-1] * d1)[1:]  # (L')' : η^(i−1) coefficient i·d1[i]
        eta = jnp.asarray(eta0, loss.dtype)
        for _ in range(NEWTON_STEPS):
            eta = eta - jnp.polyval(d1[::-1], eta) / jnp.polyval(d2[::-1], eta)
        return jnp.stack([eta, jnp.polyval(loss[::-1], eta)])

    return fn


FD_STEP = 1e-3


@functools.lru_cache(maxsize=16)
def _compiled_derivatives(Xb, yb, shape, L, t, sampler, eta0):
    """``(value_and_points, jacobian)``: (H, A) at a batch of θ (vmapped), and its Jacobian at θ = 0
    by forward-mode autodiff; each compiled once per setup."""
    X = jnp.asarray(np.frombuffer(Xb).reshape(shape))
    y = jnp.asarray(np.frombuffer(yb))
    Pz, _ = n_inputs(sampler)
    fn = _argmin_map(_program(sampler, X, y, L, t, shape[1]), eta0)
    flat = lambda th: fn(th[:Pz], th[Pz:])  # noqa: E731
    return jax.jit(jax.vmap(flat)), jax.jit(jax.jacfwd(flat))


@float64
def law_derivatives(setup: Setup, eta_inf: float, *, h: float = FD_STEP) -> LawDerivatives:
    """Derivatives of η_n and of the optimal loss with respect to θ at θ = 0 (module docstring).

    ``eta_inf``: the limit argmin (a critical point of the limit loss; refined here by Newton).
    First derivatives: forward-mode autodiff. Diagonal second derivatives: Richardson-extrapolated
    central differences of the same float64 program, ``(4 D(h) − D(2h))/3`` with
    ``D(h) = (F(h e_i) + F(−h e_i) − 2 F(0))/h²`` (error O(h⁴) plus rounding ~1e-16/h²; forward over
    forward autodiff gives the same numbers but took minutes to compile). Two checks, recorded in
    ``fd_error`` and refused above :data:`FD_TOL` (:class:`NotResolved`): the central first
    differences agree with the autodiff gradient, and ``D(h)`` agrees with ``D(2h)`` (a term like
    ``|θ_i|`` from a degenerate query would make ``D`` grow like 1/h)."""
    check_law_setup(setup)
    if not (isinstance(eta_inf, (int, float)) and math.isfinite(eta_inf) and eta_inf > 0):
        raise InvalidInput(f"eta_inf must be a finite positive number, got {eta_inf!r}")
    if not (isinstance(h, (int, float)) and 1e-5 <= h <= 1e-2):
        raise InvalidInput(f"h must be in [1e-5, 1e-2], got {h!r}")
    sampler = sampler_for(setup)
    Pz, Pr = n_inputs(sampler)
    P = Pz + Pr
    points, jacobian = _compiled_derivatives(*_key(setup), sampler, float(eta_inf))
    zero = jnp.zeros(P)
    jac = np.asarray(jacobian(zero))  # (2, P)
    # Every evaluation point in fixed-size batches (one compilation): θ = 0, then ±h e_i, ±2h e_i.
    eye = np.eye(P)
    # Generic rays: at θ = ±s·u (u standard normal, s = RAY_STEP) every degenerate query of the
    # program is a new direction; the slope there must match the gradient taken at θ = 0.
    rays = np.random.default_rng(RAY_SEED).standard_normal((RAYS, P))
    pts = np.concatenate([np.zeros((1, P)), h * eye, -h * eye, 2 * h * eye, -2 * h * eye, RAY_STEP * rays, -RAY_STEP * rays])
    rows = pts.shape[0]
    pad = -rows % FD_CHUNK
    pts = np.concatenate([pts, np.zeros((pad, P))])
    vals = np.concatenate([np.asarray(points(jnp.asarray(pts[s : s + FD_CHUNK]))) for s in range(0, pts.shape[0], FD_CHUNK)])
    val = vals[0]
    vp, vm, v2p, v2m = vals[1 : 1 + 4 * P].reshape(4, P, 2)
    rp, rm = vals[1 + 4 * P : rows].reshape(2, RAYS, 2)
    slope = (rp - rm) / (2 * RAY_STEP)  # (RAYS, 2)
    along = rays @ jac.T
    ray_error = float(np.max(np.abs(slope - along) / np.sqrt(np.sum(jac**2, axis=1))))
    d1 = (vp - vm) / (2 * h)
    dh = (vp + vm - 2 * val) / h**2
    d2h = (v2p + v2m - 2 * val) / (2 * h) ** 2
    diag = ((4 * dh - d2h) / 3).T  # (2, P)
    scale = np.max(np.abs(jac), axis=1, keepdims=True).T
    hscale = np.max(np.abs(diag), axis=1, keepdims=True).T
    worst = float(max(np.max(np.abs(d1 - jac.T) / scale), np.max(np.abs(dh - d2h) / hscale)))
    if not (np.all(np.isfinite(jac)) and np.all(np.isfinite(diag))) or not worst <= FD_TOL:
        raise NotResolved(
            f"finite differences disagree with the autodiff gradient or between steps h and 2h by {worst:.3g} "
            f"(relative to the largest derivative, allowed {FD_TOL:g}): the Gram representation is not smooth at "
            "the limit for this setup"
        )
    return LawDerivatives(
        setup, sampler, float(val[0]), float(val[1]), jac[:, :Pz], jac[:, Pz:], diag[:, :Pz], diag[:, Pz:], worst,
        ray_error,
    )


# -- one-sided derivatives along rays (the law where F is not differentiable at θ = 0) ----------------------

# The expansion point on each ray (ε₀ ≈ width 1e8): small enough that the O(ε₀²) and O(ε₀) remainders of
# the jets below are far below the Monte Carlo errors, large enough that every query whose out-of-span
# part is first or second order in ε is resolved by the Gram sampler's threshold TAU (1e-9).
RAY_EPS = 1e-4
RAY_SAMPLES = 20000
RAY_CHUNK = 1024
# E[D1(u)] within this many standard errors of 0 counts as 0 (else the n^-1/2 bias √n E D1 is added).
RAY_MEAN_SE = 4.0
# Certification of the jets: on the first RAY_CHUNK draws, E D1² from ε₀ and from 3ε₀ must agree to this
# (relative). Measured on 16 384 draws at t = 2 (L = 3): 3e-5 (built-in data) and 1e-3 (m = 32, d = 8;
# D1 is a function of u only up to which draw feeds which near-degenerate query, so this is partly noise
# of a paired difference). 1 % of σ² is 0.5 % of σ, a quarter of the 2 % tolerance; a wrong
# expansion (a term like ε log ε) would show an O(1) relative change. Above it the law is NOT BACKED.
RAY_EPS_TOL = 1e-2


def ray_path(sampler: GramSampler, u, eps):
    """θ(ε) for standardised inputs ``u = (z, ξ)`` (shape ``(..., P_z + K)``): ``θ_z = ε z`` and
    ``θ_r = ε ξ/√2 + ε² (ξ²/12 − 1/3 − j/2)``, the Cornish–Fisher expansion of
    ``sqrt(χ²_{n−j}/n) − 1`` at ``ε = n^-1/2`` with ξ the normal score of the χ² draw (exact to O(ε³)
    path by path). Works on numpy and JAX arrays."""
    Pz, K = n_inputs(sampler)
    z, xi = u[..., :Pz], u[..., Pz:]
    j = np.arange(K, dtype=np.float64)
    return z * eps, xi * (eps / math.sqrt(2.0)) + eps**2 * (xi * xi / 12.0 - 1.0 / 3.0 - j / 2.0)


@functools.lru_cache(maxsize=16)
def _compiled_jets(Xb, yb, shape, L, t, sampler, eta0):
    """``u, ε -> (G(ε), G'(ε))`` for ``G(ε) = (H, A)(θ(ε))`` along :func:`ray_path`, vmapped over u."""
    X = jnp.asarray(np.frombuffer(Xb).reshape(shape))
    y = jnp.asarray(np.frombuffer(yb))
    fn = _argmin_map(_program(sampler, X, y, L, t, shape[1]), eta0)

    def one(u, eps):
        return jax.jvp(lambda e: fn(*ray_path(sampler, u, e)), (eps,), (jnp.ones_like(eps),))

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


@dataclass(frozen=True, eq=False)
class RayLaw:
    """The one-sided jets of (η_n, a_n) along ``θ(ε) = ε v + ε² c(u)`` (:func:`ray_path`), per standard
    normal input vector u: ``G(ε) = G(0) + ε D1(u) + ε² D2(u) + O(ε³)``. ``√n (η_n − η_∞)`` converges in law
    to ``D1(u)`` and ``n (E η_n − η_∞) → E D2(u)`` (when ``E D1 = 0``). Rows: (η, loss)."""

    u_seed: int
    eps: float
    d1: np.ndarray  # (N, 2)
    d2: np.ndarray  # (N, 2)
    beta: np.ndarray  # (2, P): least-squares linear part of D1 in u (fitted on the first half of the draws)
    sigma: np.ndarray  # (2,) sqrt(E D1²), control-variate estimate on the second half
    sigma_se: np.ndarray  # (2,) its standard error
    mean_d1: np.ndarray  # (2,) E D1 (an n^-1/2 bias E D1/√n where not 0), control variate β·u
    mean_d1_se: np.ndarray
    b: np.ndarray  # (2,) E D2
    b_se: np.ndarray
    nonlinear_share: np.ndarray  # (2,) E (D1 − β·u)² / E D1²: how far D1 is from linear
    eps_check: float = 0.0  # relative change of E D1² (η) on the first chunk when ε₀ -> 3ε₀

    @property
    def certified(self) -> bool:
        return self.eps_check <= RAY_EPS_TOL

    @property
    def centred(self) -> bool:
        """E D1 = 0 within :data:`RAY_MEAN_SE` standard errors (no n^-1/2 bias resolved)."""
        return bool(np.all(np.abs(self.mean_d1) <= RAY_MEAN_SE * self.mean_d1_se))

    def to_json(self) -> dict:
        return {
            "u_samples": int(self.d1.shape[0]), "u_seed": self.u_seed, "eps": self.eps,
            "sigma_eta_loss": self.sigma.tolist(), "sigma_se": self.sigma_se.tolist(),
            "b_eta_loss": self.b.tolist(), "b_se": self.b_se.tolist(),
            "mean_d1_eta_loss": self.mean_d1.tolist(), "mean_d1_se": self.mean_d1_se.tolist(),
            "nonlinear_share_of_sigma2": self.nonlinear_share.tolist(), "eps_check": self.eps_check,
            "certified": self.certified,
        }


@float64
def ray_law(setup: Setup, eta_inf: float, *, samples: int = RAY_SAMPLES, seed: int = 0, eps: float = RAY_EPS) -> RayLaw:
    """The law of ``√n (η_n − η_∞)`` (and of the optimal loss) as the law of the one-sided derivative
    ``D1(u)`` along rays, with σ² = E D1², b = E D2 and E D1, by Monte Carlo over ``u ~ N(0, I)`` drawn
    by ``numpy.random.default_rng(seed)`` ON THE LIMIT (no network of finite width is sampled).

    Per u: the value and ε-derivative of ``G(ε)`` at ``ε₀ = eps`` (forward-mode autodiff), and the
    exact ``G(0) = (η_∞, loss_∞)``; with ``Δ = G(ε₀) − G(0)``: ``D1 = 2Δ/ε₀ − G'(ε₀)`` (error
    ``−D3 ε₀²``) and ``D2 = (G'(ε₀) − Δ/ε₀)/ε₀`` (error ``2 D3 ε₀``). σ² uses the linear part ``β·u``
    (least squares on the first half of the draws, so independent of the second) as a control
    variate: ``σ² = ‖β‖² + mean over the second half of (D1² − (β·u)²)``, unbiased, with its standard
    error. Refused (:class:`NotResolved`) when a value is not finite."""
    check_law_setup(setup)
    if not (isinstance(samples, int) and 64 <= samples <= 10**7):
        raise InvalidInput(f"samples must be an integer in [64, 1e7], got {samples!r}")
    if not (isinstance(eps, float) and 1e-6 <= eps <= 1e-2):
        raise InvalidInput(f"eps must be a float in [1e-6, 1e-2], got {eps!r}")
    sampler = sampler_for(setup)
    Pz, Pr = n_inputs(sampler)
    P = Pz + Pr
    points, _ = _compiled_derivatives(*_key(setup), sampler, float(eta_inf))
    g0 = np.asarray(points(jnp.zeros((1, P))))[0]
    jets = _compiled_jets(*_key(setup), sampler, float(eta_inf))
    u = np.random.default_rng(seed).standard_normal((samples, P))
    vals, ders = [], []
    for s in range(0, samples, RAY_CHUNK):
        blk = u[s : s + RAY_CHUNK]
        pad = RAY_CHUNK - blk.shape[0]
        v, dv = jets(jnp.asarray(np.concatenate([blk, np.zeros((pad, P))])), jnp.float64(eps))
        vals.append(np.asarray(v)[: blk.shape[0]])
        ders.append(np.asarray(dv)[: blk.shape[0]])
    val, der = np.concatenate(vals), np.concatenate(ders)
    delta = val - g0
    d1 = 2 * delta / eps - der
    d2 = (der - delta / eps) / eps
    first = min(samples, RAY_CHUNK)
    v3, dv3 = jets(jnp.asarray(np.concatenate([u[:first], np.zeros((RAY_CHUNK - first, P))])), jnp.float64(3 * eps))
    d1_3 = 2 * (np.asarray(v3)[:first] - g0) / (3 * eps) - np.asarray(dv3)[:first]
    eps_check = float(abs(np.mean(d1_3[:, 0] ** 2) / np.mean(d1[:first, 0] ** 2) - 1))
    if not (np.all(np.isfinite(d1)) and np.all(np.isfinite(d2))):
        raise NotResolved("a ray's value or derivative is not finite (the local argmin left its basin at ε₀)")
    half = samples // 2
    beta = np.linalg.lstsq(u[:half], d1[:half], rcond=None)[0].T  # (2, P)
    lin = u[half:] @ beta.T
    rest = d1[half:] ** 2 - lin**2
    var = np.sum(beta**2, axis=1) + rest.mean(axis=0)
    var_se = rest.std(axis=0, ddof=1) / math.sqrt(samples - half)
    sigma = np.sqrt(var)
    resid = d1[half:] - lin  # E[β·u] = 0 exactly: the mean of the residual estimates E D1
    mse = np.mean(resid**2, axis=0)
    return RayLaw(
        seed, eps, d1, d2, beta, sigma, var_se / (2 * sigma),
        resid.mean(axis=0), resid.std(axis=0, ddof=1) / math.sqrt(samples - half),
        d2.mean(axis=0), d2.std(axis=0, ddof=1) / math.sqrt(samples), mse / var, eps_check,
    )


# -- the derivation as a document ------------------------------------------------------------------------


def derivation_markdown() -> str:
    """The derivation of the limit law, as Markdown with TeX (``proofs/limit_law.md`` is this text;
    ``tests/test_law.py`` fails when the committed file differs)."""
    return r"""# The finite-width law of the optimal learning rate (derivation)

Generated by `polylr.engines.law.derivation_markdown()`; the code is `polylr/engines/law.py`.

## 1. The network as a function of finitely many inputs

On the Gram path a deep linear network is realised in coordinates of the span of the vectors it
forms (dimension $K$, independent of $n$). Fresh Gaussian draw $j = 0, 1, \dots, K-1$ (rows $j < d$:
the columns of $W_0$; row $d$: $V$; later rows: the hidden matrices' fresh directions, created by
Gaussian conditioning on earlier queries) has coordinates
$\sigma_j\,(z_{j,0}, \dots, z_{j,j-1}, \sqrt{\chi^2_{n-j}}, 0, \dots)$ with all $z_{j,i} \sim N(0,1)$ and
the $\chi^2_{n-j}$ independent.

**Normalised coordinates.** Divide every forward vector by $\sqrt n$ and multiply $V$ by $\sqrt n$.
Under $\mu$P ($W_0 \sim N(0, 1/d)$, $W_\ell \sim N(0, 1/n)$, $V \sim N(0, 1/n^2)$, learning-rate
factor 1 on the hidden layers) every step of gradient descent is unchanged: an update
$W u \mathrel{+}= -\eta\, g\,(a\cdot u)$ has $g \mapsto \sqrt n\, g$ and $a, u \mapsto a/\sqrt n, u/\sqrt n$, so
$g (a \cdot u) \mapsto g(a\cdot u)/\sqrt n$, the same as the left side; the output
$f(x) = x^\top W_0^\top g_0$ is invariant. In these coordinates draw $j$ is

$$ \bigl(\varepsilon z_{j,0}, \dots, \varepsilon z_{j,j-1},\ r_j, 0, \dots\bigr)\ \ (\times d^{-1/2} \text{ for } W_0),
\qquad \varepsilon = n^{-1/2},\quad r_j = \sqrt{\chi^2_{n-j}/n}. $$

Write $\theta = (\theta_z, \theta_r)$ with $\theta_z = \varepsilon z$ and $\theta_r = r - 1$. Every
$\eta$-coefficient of $f^{(t)}(x_i)$ and of $L^{(t)}(\eta)$ is a function $F(\theta)$, and
$F(0)$ is the network in which every fresh direction is a unit vector orthogonal to everything
before it: the Tensor-Programs limit (checked in `tests/test_law.py`: $F(0)$ equals `limit_polys` to
$10^{-12}$ relative).

## 2. Moments of the inputs

All coordinates of $\theta$ are independent.

* $\theta_z$: mean $0$, variance $1/n$.
* $\theta_{r,j}$: with $k = n - j$ and $E\sqrt{\chi^2_k} = \sqrt 2\,\Gamma(\tfrac{k+1}{2})/\Gamma(\tfrac k2) = \sqrt k\,(1 - \tfrac1{4k} + O(k^{-2}))$,
  $$ E\,\theta_{r,j} = \sqrt{\tfrac{n-j}{n}}\,\frac{E\sqrt{\chi^2_{n-j}}}{\sqrt{n-j}} - 1 = -\frac{j/2 + 1/4}{n} + O(n^{-2}), \qquad
     \operatorname{Var}\theta_{r,j} = \frac{1}{2n} + O(n^{-2}), $$
  and third central moments $O(n^{-2})$. (The $j/2$ is the $n-j$ versus $n$ offset, the $1/4$ the
  mean shift of the $\chi$ length.)

## 3. The argmin as a function of the inputs

Let $L(\eta;\theta)$ be the loss polynomial and $\eta_\infty$ the minimiser of $L(\cdot;0)$ on the
interval, with $L''(\eta_\infty; 0) > 0$. By the implicit function theorem there is a smooth
$H(\theta)$ with $\partial_\eta L(H(\theta);\theta) = 0$, $H(0) = \eta_\infty$, and
$$ \nabla H(0) = -\frac{\partial_\theta \partial_\eta L}{\partial_\eta^2 L}\Big|_{(\eta_\infty, 0)}. $$
The optimal loss is $A(\theta) = L(H(\theta);\theta)$ (envelope: $\nabla A(0) = \partial_\theta L$).
polylr computes $H$ as four Newton steps on $\partial_\eta L$ from $\eta_\infty$: at the fixed point
Newton's map has zero derivative, so its first and second derivatives at $\theta = 0$ are those of the
root. The gradient is taken by forward-mode autodiff (JAX, float64); the diagonal of the Hessian by
Richardson-extrapolated central differences of the same program (error $O(h^4)$, $h = 10^{-3}$),
checked against autodiff at $t = 1$ (agreement to 8 digits) and between steps $h$ and $2h$.

## 4. The delta method

With $g = \nabla H(0)$ and $h_i = \partial_i^2 H(0)$, Taylor's theorem and the moments above give
$$ \sqrt n\,(\eta_n - \eta_\infty) \Rightarrow N(0, \sigma^2), \qquad \sigma^2 = \sum_{z} g_z^2 + \tfrac12 \sum_j g_{r_j}^2, $$
$$ n\,(E\,\eta_n - \eta_\infty) \to b = -\sum_j \bigl(\tfrac j2 + \tfrac14\bigr) g_{r_j} + \tfrac12 \sum_z h_z + \tfrac14 \sum_j h_{r_j}. $$
Cross terms of the Hessian have mean zero (independence); third-order terms are $O(n^{-2})$ in the
mean. In standardised inputs $u$ ($z$, and $\xi_j = \sqrt{2n}\,(\theta_{r,j} - E\theta_{r,j})$):
$\sigma^2 = \lVert \nabla_u \eta(0) \rVert^2$ and $b$ is $\tfrac12 \operatorname{tr} \nabla_u^2 \eta(0)$ plus the mean
shifts. The same formulas with $A$ in place of $H$ give the law of the optimal loss
$a_n = L_n(\eta_n)$. Finite-width correction: $\eta_n \approx \eta_\infty + b/n + (\sigma/\sqrt n)\,Z$.

## 5. A degenerate query, and the law along rays

At $\theta = 0$ a few of the program's queries lie exactly in the span of their layer's earlier
queries (the sampler then draws no new direction for them; $K$ at $\theta = 0$ is smaller than for a
generic network), while at $\theta \ne 0$ their orthogonal part is $O(\varepsilon^p)$, $p \ge 1$. The new
direction $q = x_\perp/\lVert x_\perp\rVert$ then depends on the direction of $\theta$, not only on its size,
and so does which fresh draw feeds which later query. polylr checks smoothness: along generic rays
$\theta = \pm s u$ ($u$ standard normal, $s = 10^{-7}$) the slope of $H$ must equal $g\cdot u$.

* $t = 1$ ($L = 3$): it does; sections 3–4 apply (the law is Gaussian).
* $t = 2$ ($L = 3$): it does not (slopes 1–3 % off). Then $H$ is still smooth **along each ray**:
  with $x_\perp(\varepsilon u) = \varepsilon^p w(\varepsilon)$, $\lVert x_\perp\rVert = \varepsilon^p \lVert w(\varepsilon)\rVert$ and
  $q = w/\lVert w\rVert$ are analytic in $\varepsilon \ge 0$, so
  $$ H(\theta(\varepsilon)) = \eta_\infty + \varepsilon D_1(u) + \varepsilon^2 D_2(u) + O(\varepsilon^3), $$
  with $D_1$ positively homogeneous but not linear. polylr follows the exact path of the inputs,
  $\theta_z = \varepsilon z$ and (Cornish–Fisher, path by path, $\xi$ the normal score of the $\chi^2$ draw)
  $$ \theta_{r,j} = \frac{\chi_{n-j}}{\sqrt n} - 1 = \frac{\varepsilon\,\xi_j}{\sqrt 2} + \varepsilon^2\Bigl(\frac{\xi_j^2}{12} - \frac13 - \frac j2\Bigr) + O(\varepsilon^3), $$
  so that, with $u = (z, \xi) \sim N(0, I)$ exactly,
  $$ \sqrt n\,(\eta_n - \eta_\infty) \Rightarrow D_1(u), \qquad \sigma^2 = E\,D_1(u)^2, \qquad
     n\,(E\,\eta_n - \eta_\infty) \to b = E\,D_2(u) \quad (\text{if } E\,D_1(u) = 0). $$
  (The mean shifts of section 2 are inside $D_2$: the $\varepsilon^2$ term of the path has mean
  $-(j/2 + 1/4)$.) $D_1, D_2$ per $u$: the value and the $\varepsilon$-derivative (forward mode) at
  $\varepsilon_0 = 10^{-4}$ and the exact value at 0, $\Delta = G(\varepsilon_0) - G(0)$:
  $D_1 = 2\Delta/\varepsilon_0 - G'(\varepsilon_0)$ (error $O(\varepsilon_0^2)$),
  $D_2 = (G'(\varepsilon_0) - \Delta/\varepsilon_0)/\varepsilon_0$ (error $O(\varepsilon_0)$). The expectations are Monte
  Carlo over $u$ **on the limit** (no network of finite width), with their standard errors;
  $E\,D_1^2$ with the least-squares linear part $\beta\cdot u$ (fitted on an independent half) as control
  variate; $E\,D_1$ likewise, as the mean of $D_1 - \beta\cdot u$ (where it is not 0 the bias has an
  $n^{-1/2}$ term: $n\,(E\,\eta_n - \eta_\infty) = \sqrt n\,E\,D_1 + b + o(1)$, which the comparison uses
  when $E\,D_1$ is resolved from 0 by more than 4 standard errors). Certification: on the first 1024 draws
  $E\,D_1^2$ from $\varepsilon_0$ and from $3\varepsilon_0$ must agree to $10^{-2}$ relative (measured on 16 384
  draws at $t = 2$: $3\cdot10^{-5}$ and $10^{-3}$ on the two data sets); otherwise the prediction is reported as not backed and the claims say *inconclusive*. At $t = 1$ polylr checks that this route gives the gradient's $\sigma$ to $10^{-6}$ and its
  $b$ within the Monte Carlo error. The law of $D_1(u)$ is compared with the finite-width networks by a
  two-sample Kolmogorov–Smirnov test (at $t = 1$: one-sample against $N(0, \sigma^2)$).
  Which draw feeds which query along a ray depends on the Gram sampler's threshold (a query whose
  orthogonal part is below $10^{-9}$ of its norm gets no new direction), so $D_1(u)$ as a function
  of $u$ is a choice among constructions that are all exact in law (the conditioning argument holds
  for adaptively chosen queries); the omitted parts are $O(\varepsilon_0^p) \le 10^{-9}$.

## 6. Monte Carlo

Networks are drawn by the Gram sampler (exact in law). Per network $\eta_n$ is the root of $L_n'$
found by Newton from $\eta_\infty$ (vectorised), accepted only if converged, with $L_n'' > 0$, inside
the interval and not above the loss on a 513-point grid (else the certified argmin is used); the
first 20 accepted networks of every width are recomputed by the certified argmin, and a difference
over $10^{-9}$ refuses the width. The bias is measured with the control variate
$g\cdot(\theta - E\theta)$, whose mean is exactly $0$: the remainder has standard deviation $O(1/n)$,
so $n\cdot$bias is resolved at every width with the same number of networks.
"""
