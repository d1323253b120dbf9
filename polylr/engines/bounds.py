"""Error models of float64 η-polynomials: what each engine attaches as :attr:`EtaPoly.error`.

A float64 coefficient computed by a long chain of sums and products errs by about ``ε`` times the
*absolute* size of the terms that made it, not times its own size: at t = 3 (L = 3) the loss
coefficients alternate in sign and cancel by 18 orders of magnitude near η ≈ 1.5, and there the
polynomial's float64 values are noise (``argmin`` used to return losses of −3e8).

Finite-width loss (the dense engine, :func:`polylr.finite_width_polys`): with ``χ_i = f_i − y_i``
(coefficient stacks) the loss is ``(1/2m) Σ_i χ_i ⋆ χ_i`` (Cauchy products). We bound the error of
coefficient ``k`` by ``SAFETY · (D + 1) · ε · A_k`` with ``A = (1/2m) Σ_i |χ_i| ⋆ |χ_i|`` (coefficient-wise
absolute values), ``D`` the loss degree and ``SAFETY = 4``. This is a conservative *model*, not a
proof (the outputs' own rounding is not bounded rigorously). Measured against exact rational
gradient descent on the same float64 weights (tests/test_safe_numerics.py; width 8, L = 3, t = 3, loss
degree 186): the largest coefficient error is 0.48 · (D + 1)·ε·A_k (margin 8 with SAFETY = 4), and
the bound's evaluation exceeds the true evaluation error by 10^3 to 10^5 on η ∈ [0.5, 1.8].

Limit polynomials (:func:`polylr.limit_polys` with ``exact=False``) are the correctly rounded exact
rationals where the exact engine is affordable (error: half an ulp per coefficient); beyond that,
the float64 interpreter's coefficients get ``SAFETY · (D + 1) · ε · max_j |c_j|`` each (measured:
within 1e-15 of the largest coefficient, tp.py).
"""

from __future__ import annotations

import numpy as np

EPS = float(np.finfo(np.float64).eps)
SAFETY = 4.0


def loss_error(outputs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-coefficient error bound of the finite-width loss from its output coefficients.

    ``outputs``: ``(..., D_f + 1, m)`` η-coefficients of f^(t)(x_i); returns ``(..., 2 D_f + 1)``."""
    f = np.asarray(outputs, dtype=np.float64)
    chi = np.abs(f).copy()
    chi[..., 0, :] = np.abs(f[..., 0, :] - np.asarray(y, dtype=np.float64))
    m = chi.shape[-1]
    k = chi.shape[-2]
    n = 2 * k - 1
    # |χ| ⋆ |χ| summed over points, by FFT-free direct products (k <= 251): a (k, k) outer product per point
    A = np.zeros(chi.shape[:-2] + (n,))
    idx = (np.arange(k)[:, None] + np.arange(k)[None, :]).ravel()
    G = np.einsum("...ki,...li->...kl", chi, chi).reshape(chi.shape[:-2] + (k * k,))
    np.add.at(A, (..., idx), G) if A.ndim == 1 else _add_at(A, idx, G)
    return SAFETY * n * EPS * A / (2 * m)


def _add_at(A: np.ndarray, idx: np.ndarray, G: np.ndarray) -> None:
    flat_A = A.reshape(-1, A.shape[-1])
    flat_G = G.reshape(-1, G.shape[-1])
    for r in range(flat_A.shape[0]):
        np.add.at(flat_A[r], idx, flat_G[r])


def float_limit_error(coeffs: np.ndarray) -> np.ndarray:
    """Per-coefficient error bound of a float64 limit polynomial from the float interpreter."""
    c = np.asarray(coeffs, dtype=np.float64)
    return np.full(c.shape, SAFETY * c.size * EPS * float(np.max(np.abs(c)) if c.size else 0.0))


# -- work bounded before it starts -----------------------------------------------------------

# The dense sampler holds L·n²·8 bytes of hidden weights per network in flight (plus the engine's
# working set, a few such arrays); refuse a width whose single network exceeds this.
MAX_NETWORK_BYTES = 2 * 2**30
MAX_SEEDS = 100_000


def dense_bytes(depth: int, width: int, d: int) -> int:
    """Weight memory of one dense network: ``8·(L·n² + n·d + n)`` bytes."""
    return 8 * (depth * width * width + width * (d + 1))


def check_dense_memory(setup, widths) -> None:
    """Refuse, before any network is drawn, a width whose dense weights alone exceed
    :data:`MAX_NETWORK_BYTES` (raises :class:`~polylr.TooLarge` with the estimate and the way out)."""
    from ..core.errors import TooLarge

    for w in widths:
        b = dense_bytes(setup.depth, int(w), setup.data.d)
        if b > MAX_NETWORK_BYTES:
            raise TooLarge(
                f"width {w} at depth {setup.depth} needs L·n²·8 = {b / 2**30:.3g} GiB of weights per network "
                f"(limit {MAX_NETWORK_BYTES / 2**30:g} GiB); use smaller widths (<= "
                f"{int((MAX_NETWORK_BYTES / (8 * setup.depth)) ** 0.5)}), a smaller depth, or a width-free sampler"
            )


def shallow_loss_error(A: np.ndarray, chi: np.ndarray, steps: int) -> np.ndarray:
    """Per-coefficient error bound (a conservative model) of the L = 1 loss coefficients
    ``C(2t, k) (−1/m)^k Σ_i w_i λ_i^k`` computed through A's eigenbasis
    (:func:`polylr.engines.shallow.shallow_loss_coeffs`): eigenvalues err by ``δ = SAFETY·m·ε·max|λ|``
    (absolute), the weights ``w_i = (u_iᵀχ)²/2m`` by ``SAFETY·m·ε·|χ|²/2m``; so coefficient k errs by at
    most ``C(2t, k) m^-k [Σ_i w_i ((|λ_i| + δ)^k − |λ_i|^k) + SAFETY·(k + m)·ε·(Σ_i w_i + |χ|²/2m)(max|λ| + δ)^k]``.
    Measured against the exact rational polynomial of the same (A, χ) (tests/test_error_bounds.py)."""
    m = chi.shape[0]
    lam, U = np.linalg.eigh((A + A.T) / 2)
    w = (U.T @ chi) ** 2 / (2 * m)
    top = float(np.max(np.abs(lam))) if lam.size else 0.0
    delta = SAFETY * m * EPS * top
    k = np.arange(2 * steps + 1)
    from math import comb

    binom = np.array([comb(2 * steps, j) for j in k], dtype=np.float64)
    a = np.abs(lam)[:, None]
    spread = np.sum(w[:, None] * ((a + delta) ** k - a**k), axis=0)
    chi2 = float(chi @ chi) / (2 * m)
    rounding = SAFETY * (k + m) * EPS * (float(np.sum(w)) + chi2) * (top + delta) ** k
    return binom * float(m) ** (-k.astype(np.float64)) * (spread + rounding)
