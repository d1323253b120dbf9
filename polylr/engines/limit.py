"""The infinite-width limit under μP: the limiting outputs f_∞^(t)(x_i) and loss L_∞^(t)(η).

At t = 1 (Hayou, Theorem 1), with K = X Xᵀ / d:
``f_∞^(1)(x_i) = η (L/m) (K y)_i``, ``L_∞^(1)(η) = (1/2m) ‖η (L/m) K y − y‖²`` and
``η_∞^(1) = (m/L) yᵀKy / ‖Ky‖²``. Computed in exact rationals (the float data are exact binary
rationals; the cost is O(m·d)), so the float64 result is the correctly rounded exact value.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..core.errors import PolylrError
from ..core.poly import EtaPoly
from ..core.setup import MUP, Data, Setup

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
    if setup.param.exponents != MUP.exponents or setup.train != "hidden":
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
    loss = EtaPoly([a0, a1, a2], "QQ", label="L_\\infty^{(1)}", nonnegative=True)
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


def random_limit_t1(setup: Setup, f0) -> np.ndarray:
    """ν*(f^(0)) = (m/L) χᵀKχ / ‖Kχ‖² with χ = f^(0) − y, for each row of ``f0`` (shape (..., m)).

    At t = 1 the optimal scaled learning rate converges to this when the η-coefficients beyond
    the first vanish in the limit: under μP f^(0) → 0 and it is η_∞; under SP (ν = n·η) and NTP
    (ν = η) f^(0) converges to a Gaussian process with covariance K, so the limit is random."""
    data = setup.data
    chi = np.asarray(f0, dtype=np.float64) - data.y
    Kchi = chi @ data.K
    return data.m / setup.depth * np.sum(chi * Kchi, axis=-1) / np.sum(Kchi * Kchi, axis=-1)


def random_limit_law(setup: Setup, draws: int = 100_000, seed: int = 0) -> np.ndarray:
    """Samples of ν*(f) with f ~ N(0, K): the law of the random t = 1 limit under SP / NTP."""
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal(np.zeros(setup.data.m), setup.data.K, size=draws, method="eigh")
    return random_limit_t1(setup, f)
