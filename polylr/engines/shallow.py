"""An exact-in-law sampler for one hidden layer (L = 1, only W_1 trained), at a cost independent of n.

For ``f(x) = Vᵀ W_1 W_0 x`` with only ``W_1`` trained, every GD update of ``W_1`` is ``V·(…)ᵀ``, so
after t steps the outputs depend on ``W_1`` only through ``u = W_1ᵀ V`` (Sakai & Imaizumi 2026):

    L^(t)(η) = (2m)^-1 χ₀ᵀ (I − η A/m)^{2t} χ₀,   A = ‖V‖² (X W_0ᵀ)(X W_0ᵀ)ᵀ,   χ₀ = X W_0ᵀ u − y.

Given V, ``u = W_1ᵀ V`` with ``W_1`` i.i.d. N(0, σ²) is N(0, σ² ‖V‖² I_n), independent of W_0. So
drawing ``(W_0, V, u)`` gives networks *exactly in law* without the n×n matrix (cost n·(d + 2)
normals), and since A and χ₀ depend on W_0 and u only through ``W_0ᵀW_0`` (a d×d Wishart matrix),
``‖V‖²`` and ``W_0ᵀu``, those can be drawn directly (:func:`shallow_parts`, ``draw="gram"``): cost
O(d³ + m·d²) per network at every width n >= d. polylr's dense engine
(:func:`polylr.finite_width_polys`) computes the same polynomial from the full weights (tests
compare the formulas on the same weights, and the laws by two-sample tests).

The closed form is computed here, in two arithmetics of the same formula: :func:`shallow_loss_coeffs`
(float64, through A's eigenbasis, with the error bound :func:`polylr.engines.bounds.shallow_loss_error`)
and :func:`shallow_loss_exact` (rationals). :func:`polylr.shallow_loss_closed_form` (the loss of given
weights) and :func:`polylr.shallow_limit_closed_form` (the limit) call them.

Draws: ``numpy.random.default_rng([master_seed, width, seed])`` per network (recorded).
"""

from __future__ import annotations

import flint
import numpy as np

from ..core.errors import PolylrError, check_int
from ..core.setup import Setup, check_width
from .bounds import shallow_loss_error

MAX_SHALLOW_STEPS = 50


def check_shallow(setup: Setup) -> None:
    """The sampler's scope: L = 1, hidden layer trained only."""
    if setup.depth != 1 or setup.train != "hidden":
        raise PolylrError(
            f"the shallow sampler needs depth L = 1 with train='hidden'; got L = {setup.depth}, train={setup.train!r}"
        )
    check_int("steps t (shallow sampler)", setup.steps, lo=1, hi=MAX_SHALLOW_STEPS)


DRAWS = ("gram", "vectors")


def shallow_parts(setup: Setup, width: int, seed: int, *, master_seed: int = 0, draw: str = "gram"):
    """``(A, χ₀)`` of one network: the m×m matrix A and the residual at initialisation (float64).

    ``draw="vectors"`` draws W_0 (n·d), V (n) and z (n) and forms u = σ‖V‖z: cost O(n·d).
    ``draw="gram"`` (default; needs n >= d) draws only what the loss depends on, exactly in law, at a
    cost independent of n: with W_0 = s_0 Z, ``ZᵀZ ~ Wishart_d(n, I) = B Bᵀ`` by Bartlett's
    decomposition (B lower triangular, ``B_ii² ~ χ²_{n−i}``, i = 0..d−1, ``B_ij ~ N(0, 1)`` below),
    ``‖V‖² = s_V² χ²_n`` and, given those, ``W_0ᵀu ~ N(0, σ² ‖V‖² s_0² ZᵀZ) = σ ‖V‖ s_0 B z`` with
    ``z ~ N(0, I_d)``. Then ``A = ‖V‖² s_0² X B Bᵀ Xᵀ`` (times the hidden learning-rate factor) and
    ``χ₀ = X W_0ᵀu − y``. Draw order from ``default_rng([master_seed, width, seed])``: the d
    chi-squares, the d(d−1)/2 normals below the diagonal (row by row), ``χ²_n`` for ‖V‖², then z."""
    check_shallow(setup)
    n = check_width(width)
    if draw not in DRAWS:
        raise PolylrError(f"draw must be one of {', '.join(DRAWS)}, got {draw!r}")
    data = setup.data
    d = data.d
    s = setup.param.scales(n, d)
    rng = np.random.default_rng([check_int("master seed", master_seed, lo=0), n, check_int("seed", seed, lo=0)])
    if draw == "gram" and n >= d:
        B = np.zeros((d, d))
        B[np.diag_indices(d)] = np.sqrt(rng.chisquare(n - np.arange(d)))
        B[np.tril_indices(d, -1)] = rng.standard_normal(d * (d - 1) // 2)
        v2 = s.out_std ** 2 * float(rng.chisquare(n))
        XB = s.in_std * (data.X @ B)  # X W_0ᵀ W_0 Xᵀ = XB (XB)ᵀ in law
        A = s.hidden_lr * v2 * (XB @ XB.T)
        chi = s.hidden_std * np.sqrt(v2) * (XB @ rng.standard_normal(d)) - data.y
        return A, chi
    W0 = s.in_std * rng.standard_normal((n, d))
    V = s.out_std * rng.standard_normal(n)
    u = s.hidden_std * float(np.sqrt(V @ V)) * rng.standard_normal(n)
    F = data.X @ W0.T  # (m, n)
    A = s.hidden_lr * float(V @ V) * (F @ F.T)
    chi = F @ u - data.y
    return A, chi


def shallow_loss_coeffs(A: np.ndarray, chi: np.ndarray, steps: int) -> np.ndarray:
    """Ascending η-coefficients of ``(2m)^-1 χᵀ (I − ηA/m)^{2t} χ`` (float64, via A's eigenbasis)."""
    m = chi.shape[0]
    lam, U = np.linalg.eigh((A + A.T) / 2)
    w = (U.T @ chi) ** 2 / (2 * m)
    k = np.arange(2 * steps + 1)
    from math import comb

    binom = np.array([comb(2 * steps, j) for j in k], dtype=np.float64)
    # Σ_i w_i (1 − η λ_i/m)^{2t} = Σ_k C(2t, k) (−1/m)^k (Σ_i w_i λ_i^k) η^k
    moments = np.array([float(np.sum(w * lam**j)) for j in k])
    return binom * (-1.0 / m) ** k * moments


def shallow_loss_exact(A: flint.fmpq_mat, chi, steps: int) -> flint.fmpq_poly:
    """``(2m)^-1 χᵀ (I − ηA/m)^{2t} χ`` in rationals, for a symmetric m×m ``A`` (``flint.fmpq_mat``) and
    ``χ`` (m rationals): ``u = (I − ηA/m)^t χ`` as a vector of polynomials in η, then ``‖u‖² / (2m)``.
    Cost O(t·m²) polynomial products."""
    m = len(chi)
    u = [flint.fmpq_poly([c]) for c in chi]
    step = flint.fmpq_poly([0, flint.fmpq(-1, m)])
    for _ in range(check_int("steps t", steps, lo=1)):
        Au = [sum((flint.fmpq_poly([A[i, j]]) * u[j] for j in range(m)), flint.fmpq_poly([0])) for i in range(m)]
        u = [u[i] + step * Au[i] for i in range(m)]
    return sum((ui * ui for ui in u), flint.fmpq_poly([0])) * flint.fmpq(1, 2 * m)


def shallow_width_polys(setup: Setup, width: int, seeds, *, master_seed: int = 0, draw: str = "gram",
                        return_error: bool = False):
    """Loss coefficients ``(len(seeds), 2t + 1)`` of networks ``seeds`` at ``width`` (exact in law).
    With ``return_error`` also their per-coefficient error bounds (same shape;
    :func:`polylr.engines.bounds.shallow_loss_error`), what ``EtaPoly(row, "float64", error=...)`` carries."""
    check_shallow(setup)
    seeds = [check_int("seed", s, lo=0) for s in np.atleast_1d(np.asarray(seeds)).tolist()]
    if not seeds:
        raise PolylrError("seeds must be a non-empty list of non-negative integers")
    out = np.empty((len(seeds), 2 * setup.steps + 1))
    err = np.empty_like(out)
    for i, s in enumerate(seeds):
        A, chi = shallow_parts(setup, width, s, master_seed=master_seed, draw=draw)
        out[i] = shallow_loss_coeffs(A, chi, setup.steps)
        if return_error:
            err[i] = shallow_loss_error(A, chi, setup.steps)
    return (out, err) if return_error else out
