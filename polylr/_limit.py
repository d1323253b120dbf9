"""The infinite-width limit under μP: the limiting outputs f_∞^(t)(x_i) and loss L_∞^(t)(η).

:func:`limit_polys` gives them at any t as exact (or float64) η-polynomials, by the
Tensor-Programs interpreter of :mod:`polylr._tp`. The closed forms below are independent checks.

At t = 1 (Hayou, Theorem 1), with K = X Xᵀ / d:
``f_∞^(1)(x_i) = η (L/m) (K y)_i``, ``L_∞^(1)(η) = (1/2m) ‖η (L/m) K y − y‖²`` and
``η_∞^(1) = (m/L) yᵀKy / ‖Ky‖²``. Computed in exact rationals (the float data are exact binary
rationals; the cost is O(m·d)), so the float64 result is the correctly rounded exact value.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np

from ._errors import PolylrError
from ._poly import EtaPoly
from ._setup import Data, Setup

SUPPORTED = "μP ('mup') with the hidden layers trained (train='hidden')"


@dataclass(frozen=True, eq=False)
class Limit:
    """Infinite-width limit of a setup: the outputs ``f_∞^(t)(x_i)`` and the loss ``L_∞^(t)``."""

    setup: Setup
    outputs: tuple[EtaPoly, ...]
    loss: EtaPoly

    @property
    def degree(self) -> int:
        """Degree of the limit loss ``L_∞^(t)`` in η."""
        return self.loss.degree

    @property
    def output_degree(self) -> int:
        """Largest degree in η of the limit outputs ``f_∞^(t)(x_i)``."""
        return max(p.degree for p in self.outputs)


def _exact_Ky(data: Data) -> tuple[list[Fraction], list[Fraction]]:
    """``(Xᵀy, K y)`` in exact rationals; raises when ``K y = 0`` (then yᵀKy = ‖Xᵀy‖²/d = 0 too)."""
    X = [[Fraction(float(v)) for v in row] for row in data.X]
    y = [Fraction(float(v)) for v in data.y]
    u = [sum(X[i][j] * y[i] for i in range(data.m)) for j in range(data.d)]
    if all(v == 0 for v in u):
        raise PolylrError(
            "K y = 0 for this data set (Xᵀy = 0): the t = 1 limit output vanishes and η_∞ is undefined "
            "(Hayou's theorems assume K y ≠ 0); use targets correlated with the inputs"
        )
    Ky = [sum(X[i][j] * u[j] for j in range(data.d)) / data.d for i in range(data.m)]
    return u, Ky


def check_supported(setup: Setup) -> None:
    """The limit engine covers μP with hidden-layer training; other parametrizations have a
    degenerate (SP: exploding, NTP: vanishing) or random limit there."""
    if setup.param.name != "mup" or setup.train != "hidden":
        raise PolylrError(
            f"the infinite-width limit engine supports {SUPPORTED}; got parametrization "
            f"{setup.param.name!r} with train={setup.train!r}"
        )


def limit_t1(setup: Setup, *, exact: bool = False) -> Limit:
    """Closed form at t = 1 (``setup.steps`` is ignored): exact rationals, or their float64 rounding."""
    check_supported(setup)
    data, L = setup.data, setup.depth
    _, Ky = _exact_Ky(data)
    m = data.m
    c = [Fraction(L, m) * v for v in Ky]
    outputs = tuple(EtaPoly([0, ci], "QQ", label=f"f_\\infty^{{(1)}}(x_{i})") for i, ci in enumerate(c))
    y = [Fraction(float(v)) for v in data.y]
    a0 = sum(v * v for v in y) / (2 * m)
    a1 = -sum(ci * yi for ci, yi in zip(c, y)) / m
    a2 = sum(ci * ci for ci in c) / (2 * m)
    loss = EtaPoly([a0, a1, a2], "QQ", label="L_\\infty^{(1)}")
    if not exact:
        outputs = tuple(p.to_float() for p in outputs)
        loss = loss.to_float()
    return Limit(setup.replace(steps=1), outputs, loss)


def eta_inf_t1(setup: Setup) -> float:
    """η_∞^(1) = (m/L) yᵀKy / ‖Ky‖², correctly rounded from the exact rational value."""
    check_supported(setup)
    u, Ky = _exact_Ky(setup.data)
    yKy = sum(v * v for v in u) / setup.data.d
    return float(Fraction(setup.data.m, setup.depth) * yKy / sum(v * v for v in Ky))


# Largest structural degree of L_∞^(t) that each mode computes. Exact cost grows like degree^2.3
# (measured on 2 cores: loss degree 436 in 0.8 s, 970 in 5.5 s, 1142 in 10 s, 2914 in 86 s).
# float64 coefficients are cheap (degree 3740 in 0.3 s) and accurate relative to the largest
# coefficient, but a high-degree polynomial in the monomial basis cancels massively: at t = 4,
# L = 3 (m = 16) its float64 evaluation is off by 4e-3 (relative) at η = 1.4 and by a factor 12 at
# η = 1.5; at t = 5 by 74 % at η = 0.9, while the values are O(0.01). Beyond t = 3 use exact mode (evaluated exactly) or
# evaluation mode.
MAX_EXACT_DEGREE = 1200
MAX_FLOAT_DEGREE = 2500


def limit_degree(setup: Setup) -> int:
    """Degree in η of ``L_∞^(t)`` (structural, from running the interpreter on degrees alone; exact
    cancellations, e.g. ``y = 0``, can only lower the true degree). It satisfies ``D_1 = 2`` and
    ``D_{t+1} = (2L − 1) D_t + 2L``; the finite-width loss has degree ``2L·d_t``, larger for L ≥ 2."""
    from ._tp import DegreeRing, interpret

    check_supported(setup)
    t = setup.steps
    return interpret(DegreeRing(), setup.depth, t, [Fraction(1)] * (2 * t + 3), setup.data.m)[1].d


def limit_polys(setup: Setup, *, exact: bool = False, max_degree: int | None = None) -> Limit:
    """The infinite-width limit of ``setup`` at its number of steps t: the outputs ``f_∞^(t)(x_i)``
    and the loss ``L_∞^(t)(η) = (1/2m) Σ_i (f_∞^(t)(x_i) − y_i)²`` as η-polynomials.

    Exact rationals (``exact=True``; the float data are exact binary rationals) or float64
    coefficients. Computed by the Tensor-Programs interpreter (:mod:`polylr._tp`); supports μP with
    the hidden layers trained. The size is estimated first (:func:`limit_degree`): above
    ``max_degree`` (default ``MAX_EXACT_DEGREE`` = 1200 exact, ``MAX_FLOAT_DEGREE`` = 2500 float)
    a :class:`PolylrError` points to float mode or to evaluation mode
    (:func:`polylr.limit_loss_values`).

    Float64 coefficients agree with the exact ones to ~1e-15 of the largest coefficient, but
    evaluating a polynomial of degree in the hundreds in float64 cancels catastrophically once
    ``Σ_k |c_k| η^k`` dwarfs the value (t ≥ 4 at η ≈ 1): evaluate exact polynomials at rational η
    (``poly(Fraction(eta))``), or use evaluation mode.
    """
    from ._tp import ExactRing, FloatRing, interpret, krylov, moments

    check_supported(setup)
    if not isinstance(exact, bool):
        raise PolylrError(f"exact must be True or False, got {exact!r}")
    cap = (MAX_EXACT_DEGREE if exact else MAX_FLOAT_DEGREE) if max_degree is None else max_degree
    t, L = setup.steps, setup.depth
    deg = limit_degree(setup)
    if deg > cap:
        where = (
            f"use exact=False (float64 coefficients, up to loss degree {MAX_FLOAT_DEGREE}) or "
            if exact and deg <= MAX_FLOAT_DEGREE
            else ""
        )
        raise PolylrError(
            f"the {'exact' if exact else 'float64'} limit polynomial at t = {t}, depth L = {L} would have loss "
            f"degree {deg} in η, above the limit {cap} for this mode (exact cost grows like degree^2.3); "
            f"{where}use evaluation mode: polylr.limit_loss_values(setup, etas) evaluates L_∞^({t}) on "
            "given η values, and polylr.argmin_on_grid locates its minimum"
        )
    data = setup.data
    us = krylov(data.X, data.y, t + 2)
    M = moments(us)
    ring = ExactRing() if exact else FloatRing()
    phi, loss = interpret(ring, L, t, M, data.m)
    if exact:
        outputs = []
        for i in range(data.m):
            p = flint.fmpq_poly([])
            for j in range(1, t + 1):
                p += phi[j] * us[j][i, 0]
            outputs.append(EtaPoly(p, "QQ", label=f"f_\\infty^{{({t})}}(x_{i})"))
        loss_poly = EtaPoly(loss, "QQ", label=f"L_\\infty^{{({t})}}")
    else:
        U = np.array([[float(Fraction(int(u[i, 0].p), int(u[i, 0].q))) for i in range(data.m)] for u in us[: t + 1]])
        width = max(p.c.size for p in phi)
        P = np.zeros((t + 1, width))
        for j, p in enumerate(phi):
            P[j, : p.c.size] = p.c
        P[0] = 0.0  # phi_0 = 0 exactly (f has no y component); drop its rounding noise
        F = U.T @ P  # (m, degree + 1)
        outputs = [EtaPoly(F[i], "float64", label=f"f_\\infty^{{({t})}}(x_{i})") for i in range(data.m)]
        loss_poly = EtaPoly(loss.c, "float64", label=f"L_\\infty^{{({t})}}")
    return Limit(setup, tuple(outputs), loss_poly)
