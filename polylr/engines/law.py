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
the θ of the sampler's own networks, and ``F(θ)`` then equals the sampler's polynomials.

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
Derivatives by JAX autodiff in float64 (scoped).

**A degenerate query.** At θ = 0 a few of the program's queries lie exactly in the span of the
layer's earlier queries (the sampler then draws nothing for them), while at θ ≠ 0 their orthogonal
part is O(ε): the Gram representation is not obviously smooth there. It is smooth if those
directions enter the outputs only through ``‖x⊥‖²``. That holds at t = 1 (L = 3): the slope of η_n along sampled θ converges to g·θ. It does
NOT hold at t = 2 (L = 3, built-in data): there the slopes along generic rays differ from g·θ by
1–3 % of a typical value (measured on six sampled networks), i.e. the representation has a
direction-dependent first-order term at θ = 0 that autodiff at θ = 0 cannot see.
:func:`law_derivatives` measures this (``ray_error``: slopes along generic rays at θ = ±1e-7·u
against g·u) and the claims call σ and b unbacked (inconclusive) above :data:`RAY_TOL`.
"""

from __future__ import annotations

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
    f64 = theta_z.dtype
    return GramNet(
        normals=normals,
        chis=chis,
        k=jnp.int32(d + 1),
        overflow=jnp.bool_(False),
        sigma=jnp.asarray(1.0, f64),
        project=jnp.bool_(True),
        W0=d**-0.5 * draws[:d],
        V=draws[d],
        Q=tuple(jnp.zeros((a, K), f64) for a in sampler.A),
        Y=tuple(jnp.zeros((a, K), f64) for a in sampler.A),
        R=tuple(jnp.zeros((b, K), f64) for b in sampler.B),
        Z=tuple(jnp.zeros((b, K), f64) for b in sampler.B),
        na=tuple(jnp.int32(0) for _ in sampler.A),
        nb=tuple(jnp.int32(0) for _ in sampler.B),
    )


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
def network_inputs(setup: Setup, width: int, seeds, *, master_seed: int = 0, key=None):
    """``(θ_z (S, P_z), θ_r (S, K))`` of the networks ``finite_width_polys(setup, width, seeds,
    sampler='gram')`` draws (same keys, same capacities): ``θ_z = z/√n``, ``θ_r = sqrt(χ²_{n−j}/n) − 1``."""
    check_law_setup(setup)
    sampler = sampler_for(setup)
    if width <= sampler.K:
        raise InvalidInput(f"width n = {width} must exceed the Gram capacity K = {sampler.K}")
    master = master_key(master_seed, key)
    stds, _ = scales_of(setup, width)
    seeds = jnp.asarray(np.atleast_1d(np.asarray(seeds, dtype=np.uint32)))
    z, r = _inputs(sampler, master, seeds, jnp.float64(width), stds, setup.data.d, setup.depth, width)
    return np.asarray(z), np.asarray(r)


@functools.partial(jax.jit, static_argnames=("sampler", "d", "L", "width"))
def _inputs(sampler, master, seeds, n, stds, d, L, width):
    rows, cols = _tril(sampler.K)

    def one(seed):
        net = sampler.network(network_key(master, width, seed), stds, d=d, n=n, L=L)
        return net.normals[rows, cols] / jnp.sqrt(n), net.chis / jnp.sqrt(n) - 1.0

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

    @property
    def smooth(self) -> bool:
        return self.ray_error <= RAY_TOL

    def sigma(self, z_scale: float = 1.0, r_scale: float = 1.0) -> np.ndarray:
        """``σ`` for (η, loss): ``sqrt(Σ g_z² + ½ Σ g_r²)``; the scales multiply the standard deviation
        of the in-span inputs and of the lengths (1 = the true law; for sensitivity checks)."""
        var = z_scale**2 * np.sum(self.grad_z**2, axis=1) + 0.5 * r_scale**2 * np.sum(self.grad_r**2, axis=1)
        return np.sqrt(var)

    def bias(self) -> np.ndarray:
        """``b`` for (η, loss): ``lim n (E − limit)``."""
        j = np.arange(self.sampler.K)
        return -(self.grad_r @ (j / 2 + 0.25)) + 0.5 * np.sum(self.hess_z, axis=1) + 0.25 * np.sum(self.hess_r, axis=1)

    def bias_at(self, width: int) -> np.ndarray:
        """The same second-order prediction with the exact moments of θ at this width (times n)."""
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
before it: the Tensor-Programs limit (checked: $F(0)$ equals `limit_polys` to $10^{-15}$ relative).

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

## 5. A degenerate query (where the method stops)

At $\theta = 0$ a few of the program's queries lie exactly in the span of their layer's earlier
queries (the sampler then draws no new direction for them; $K$ at $\theta = 0$ is smaller than for a
generic network), while at $\theta \ne 0$ their orthogonal part is $O(\varepsilon)$. If such a
direction enters inner products only through $\lVert x_\perp\rVert^2$ (a smooth quadratic), $H$ is
smooth at $0$ and sections 3–4 apply. polylr checks it: along generic rays $\theta = \pm s u$
($u$ standard normal, $s = 10^{-7}$) the slope of $H$ must equal $g\cdot u$.

* $t = 1$ ($L = 3$): it does; the Monte Carlo agrees with $\sigma$ and $b$ at $n = 2^{10}, 2^{14}, 2^{20}$.
* $t = 2$ ($L = 3$, built-in data): it does not: slopes along sampled $\theta$ converge, as
  $s \to 0$, to values 1–3 % away from $g\cdot\theta$. The Gram representation then has a
  direction-dependent first-order term at $\theta = 0$ that derivatives at $\theta = 0$ cannot
  see, and $\sigma$, $b$ are not backed (the claims say *inconclusive*). A representation that
  allocates the degenerate directions smoothly (or the directional derivative averaged over the
  law of $u$) is the way forward.

## 6. Monte Carlo

Networks are drawn by the Gram sampler (exact in law). Per network $\eta_n$ is the root of $L_n'$
found by Newton from $\eta_\infty$ (vectorised), accepted only if converged, with $L_n'' > 0$, inside
the interval and not above the loss on a 513-point grid (else the certified argmin is used); a subset
is cross-checked against the certified argmin. The bias is measured with the control variate
$g\cdot(\theta - E\theta)$, whose mean is exactly $0$: the remainder has standard deviation $O(1/n)$,
so $n\cdot$bias is resolved at every width with the same number of networks.
"""
