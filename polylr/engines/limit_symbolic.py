r"""The infinite-width limit under μP in closed form: ``L_∞^(t)(η)`` over the data moments.

The limit program of :mod:`polylr.engines.tp` touches the data only through the Krylov vectors
``u_j = (K/m)^j y`` and their inner products. With the normalised moments

    μ_k = yᵀ (K/m)^k y / m        (k = 0, …, 2t;  μ_0 = ‖y‖²/m, μ_1 = yᵀKy/m², μ_2 = ‖Ky‖²/m³),

every covariance the program forms (``E[H_r H_q] = χ^(r)ᵀ K χ^(q) / m²``) and the loss
(``‖χ^(t)‖² / 2m``) is bilinear in Krylov coefficient lists with ``μ`` as the Gram entries. So
running :func:`polylr.engines.tp.interpret` over the ring ``Q[η, μ_0, …, μ_2t]`` (``m = 1``, the moments as
indeterminates) gives, for any data set,

    f_∞^(t)(x_i) = Σ_{j=1}^t φ_j(η; μ) (u_j)_i,       L_∞^(t)(η) = ½ Σ_{a,b=0}^t χ_a χ_b μ_{a+b} = Σ_k c_k(μ) η^k,

with ``χ_0 = φ_0 − 1``, ``χ_j = φ_j`` (``φ_0 = 0``), and ``φ_j``, ``c_k`` polynomials with rational
coefficients. Arithmetic: python-flint's ``fmpq_mpoly`` (sparse multivariate, exact); substituting a
data set's moments gives a univariate ``fmpq_poly`` in η, equal to what the numeric exact engine
(:func:`polylr.limit_polys` with ``exact=True``) computes.

Size. The work grows with the number of monomials, which grows fast in t and L. The bound checked
before any work is the η-degree of the loss, from the closed recursion ``D_1 = 2``,
``D_{s+1} = (2L − 1) D_s + 2L`` (computed with an early stop, so it never explodes), against a cap
per t measured on 2 cores (fmpq_mpoly, python-flint 0.9): t = 2: L = 20 (D = 118) 0.04 s,
L = 30 (178) 1.5 s, L = 40 (238) 2.3 s; t = 3: L = 3 (86) 0.13 s, L = 4 (162) 3 s, L = 5 (262) 108 s;
t = 4: L = 2 (106) 1.3 s, L = 3 (436) over 8 min; L = 1 at any t has D = 2t and takes 1 s at t = 30,
15 s at t = 60.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import flint

from ..core.errors import PolylrError, check_int
from .limit import Limit, check_supported
from ..core.poly import EtaPoly
from ..core.setup import Data, Setup
from .tp import interpret, krylov, krylov_outputs, moments

# Largest η-degree of L_∞^(t) computed symbolically, per t (measured, see the module docstring).
MAX_SYMBOLIC_DEGREE = {1: 2, 2: 250, 3: 170, 4: 110}
# L = 1 (degree 2t, linear in the moments): the steps allowed.
MAX_STEPS_DEPTH1 = 40
# Depth beyond which no case is symbolic (the t = 1 program is cheap, but the loop is O(L)).
MAX_DEPTH = 2000


def loss_degree(depth: int, steps: int, *, cap: int | None = None) -> int:
    """η-degree of ``L_∞^(t)`` (structural: ``D_1 = 2``, ``D_{s+1} = (2L − 1) D_s + 2L``; exact
    cancellations, e.g. y = 0, can only lower it). With ``cap``, stops as soon as the degree exceeds
    it and returns that first value above ``cap`` (so the cost is O(t) small-integer operations)."""
    L = check_int("depth L", depth, lo=1)
    t = check_int("steps t", steps, lo=1)
    D = 2
    for _ in range(t - 1):
        D = (2 * L - 1) * D + 2 * L
        if cap is not None and D > cap:
            return D
    return D


def check_symbolic_tractable(depth: int, steps: int) -> int:
    """The loss degree, or a one-line :class:`PolylrError` when ``(depth, steps)`` is beyond the
    measured limits of the symbolic computation (checked in O(t) integer operations)."""
    L = check_int("depth L", depth, lo=1)
    t = check_int("steps t", steps, lo=1)
    if L > MAX_DEPTH:
        raise PolylrError(f"depth L must be in [1, {MAX_DEPTH}] for the symbolic limit, got {L}")
    if L == 1:
        if t > MAX_STEPS_DEPTH1:
            raise PolylrError(
                f"steps t must be in [1, {MAX_STEPS_DEPTH1}] for the symbolic limit at depth 1, got {t} "
                "(the closed form at depth 1 is (2m)^-1 y^T (I - eta K/m)^(2t) y at any t; see proofs/limit_L1.md)"
            )
        return 2 * t
    cap = MAX_SYMBOLIC_DEGREE.get(t, 0)
    D = loss_degree(L, t, cap=10**9)  # stops early: O(t) small-integer steps at most
    if D > cap:
        allowed = ", ".join(
            f"t = {s}: L <= {max(l for l in range(1, 200) if loss_degree(l, s, cap=c) <= c)}"
            for s, c in MAX_SYMBOLIC_DEGREE.items()
            if s > 1
        )
        shown = f"{D}" if D <= 10**9 else "more than 10^9"
        raise PolylrError(
            f"the symbolic limit at depth L = {L}, steps t = {t} would have loss degree {shown} in eta, beyond "
            f"the symbolic limit (depth >= 2 allows {allowed}; depth 1 allows t <= {MAX_STEPS_DEPTH1}); "
            "use the numeric engine polylr.limit_polys(setup) or polylr.limit_loss_values for one data set"
        )
    return D


def moment_names(steps: int) -> tuple[str, ...]:
    """``("mu_0", …, "mu_{2t}")``: the moments the t-step limit depends on."""
    t = check_int("steps t", steps, lo=1)
    return tuple(f"mu_{k}" for k in range(2 * t + 1))


def data_moments(data: Data, count: int) -> tuple[Fraction, ...]:
    """``μ_k = yᵀ(K/m)^k y / m`` for ``k < count`` in exact rationals (the float data are exact binary
    rationals; K = XXᵀ/d)."""
    if not isinstance(data, Data):
        raise PolylrError(f"data must be a polylr.Data, got {type(data).__name__}")
    count = check_int("count (number of moments)", count, lo=1)
    us = krylov(data.X, data.y, count // 2 + 1)
    M = moments(us)[:count]
    return tuple(q / data.m for q in M)


class _MomentRing:
    """``Q[η, μ_0, …, μ_2t]`` (flint ``fmpq_mpoly``) for :func:`polylr.engines.tp.interpret`; ``const`` maps
    an int index ``k`` (the k-th moment) to the indeterminate ``μ_k`` and a Fraction to a constant."""

    name = "QQ[eta, mu]"

    def __init__(self, steps: int):
        self.ctx = flint.fmpq_mpoly_ctx.get(("eta",) + moment_names(steps), "lex")
        gens = self.ctx.gens()
        self.eta, self.mu = gens[0], gens[1:]
        self.zero = self.ctx.from_dict({})
        self.one = self.ctx.constant(1)

    def const(self, q):
        if isinstance(q, _Moment):
            return self.mu[q.k]
        return self.ctx.constant(flint.fmpq(q.numerator, q.denominator))

    def is_zero(self, a) -> bool:
        return a.is_zero()


@dataclass(frozen=True)
class _Moment:
    k: int


def _fraction(q) -> Fraction:
    return Fraction(int(q.p), int(q.q))


Monomial = tuple[int, ...]  # exponents of μ_0, …, μ_2t


@dataclass(frozen=True, eq=False)
class SymbolicLimit:
    """``f_∞^(t)`` and ``L_∞^(t)`` as polynomials in η whose coefficients are polynomials in the
    moments ``μ_k = yᵀ(K/m)^k y / m`` (k ≤ 2t), valid for every data set (μP, hidden layers trained).

    ``loss_coefficients()[k]`` is ``c_k`` (a dict ``monomial → Fraction``, a monomial being the
    exponents of ``μ_0 … μ_2t``) with ``L_∞^(t)(η) = Σ_k c_k(μ) η^k``; ``output_coefficients()[j][k]``
    likewise for ``φ_j`` with ``f_∞^(t) = Σ_j φ_j (K/m)^j y``.
    """

    depth: int
    steps: int
    _loss: object = field(repr=False)  # fmpq_mpoly in (η, μ_0, …, μ_2t)
    _phi: tuple = field(repr=False)  # fmpq_mpoly per Krylov index j = 0..t

    @property
    def degree(self) -> int:
        """η-degree of ``L_∞^(t)``."""
        return self._loss.degrees()[0] if not self._loss.is_zero() else -1

    @property
    def output_degree(self) -> int:
        """η-degree of ``f_∞^(t)``."""
        return max(p.degrees()[0] for p in self._phi if not p.is_zero())

    @property
    def terms(self) -> int:
        """Number of monomials ``η^k Π μ^e`` of ``L_∞^(t)``."""
        return len(self._loss)

    @property
    def moment_names(self) -> tuple[str, ...]:
        return moment_names(self.steps)

    @staticmethod
    def _split(p) -> tuple[dict[Monomial, Fraction], ...]:
        if p.is_zero():
            return ()
        out: list[dict] = [dict() for _ in range(p.degrees()[0] + 1)]
        for exps, c in p.terms():
            out[exps[0]][tuple(exps[1:])] = _fraction(c)
        return tuple(out)

    def loss_coefficients(self) -> tuple[dict[Monomial, Fraction], ...]:
        """``c_k`` for k = 0..degree: dicts ``monomial → coefficient``."""
        return self._split(self._loss)

    def output_coefficients(self) -> tuple[tuple[dict[Monomial, Fraction], ...], ...]:
        """``φ_j`` (j = 0..t) as per-η-power dicts ``monomial → coefficient``."""
        return tuple(self._split(p) for p in self._phi)

    def _check_moments(self, mu) -> list:
        need = 2 * self.steps + 1
        if len(mu) < need:
            raise PolylrError(f"need the moments mu_0..mu_{need - 1} ({need} values), got {len(mu)}")
        return [flint.fmpq(Fraction(q).numerator, Fraction(q).denominator) for q in list(mu)[:need]]

    def _at(self, p, mu) -> flint.fmpq_poly:
        coeffs: dict[int, flint.fmpq] = {}
        for exps, c in p.terms():
            v = c
            for q, e in zip(mu, exps[1:]):
                if e:
                    v = v * q**e
            coeffs[exps[0]] = coeffs.get(exps[0], 0) + v
        deg = max(coeffs, default=-1)
        return flint.fmpq_poly([coeffs.get(k, 0) for k in range(deg + 1)])

    def loss_at(self, mu) -> EtaPoly:
        """``L_∞^(t)(η)`` for given moment values (exact rationals: ints, Fractions): an exact
        :class:`EtaPoly`."""
        return EtaPoly(self._at(self._loss, self._check_moments(mu)), "QQ", label=f"L_\\infty^{{({self.steps})}}")

    def limit(self, setup: Setup) -> Limit:
        """The exact :class:`polylr.Limit` of ``setup`` (its depth and steps must match), from the closed
        form: the moments and Krylov vectors of its data substituted."""
        if not isinstance(setup, Setup):
            raise PolylrError(f"setup must be a polylr.Setup, got {type(setup).__name__}")
        check_supported(setup)
        if (setup.depth, setup.steps) != (self.depth, self.steps):
            raise PolylrError(
                f"the closed form is for depth {self.depth}, steps {self.steps}; "
                f"the setup has depth {setup.depth}, steps {setup.steps}"
            )
        data, t = setup.data, self.steps
        us = krylov(data.X, data.y, t + 2)
        mu = self._check_moments([q / data.m for q in moments(us)])
        outputs = krylov_outputs([self._at(p, mu) for p in self._phi], us, t)
        loss = EtaPoly(self._at(self._loss, mu), "QQ", label=f"L_\\infty^{{({t})}}")
        return Limit(setup, outputs, loss)

    def loss_sympy(self):
        """``L_∞^(t)`` as a sympy expression in ``eta, mu_0, …`` (bounded: at most 20000 terms)."""
        return self._to_sympy(self._loss)

    def outputs_sympy(self) -> tuple:
        """``(φ_0, …, φ_t)`` as sympy expressions."""
        return tuple(self._to_sympy(p) for p in self._phi)

    def _to_sympy(self, p):
        import sympy

        if len(p) > 20000:
            raise PolylrError(f"{len(p)} terms is beyond the sympy conversion limit of 20000 terms")
        gens = sympy.symbols(("eta",) + self.moment_names)
        return sympy.Add(
            *(sympy.Rational(int(c.p), int(c.q)) * sympy.Mul(*(g**e for g, e in zip(gens, exps))) for exps, c in p.terms())
        )


@functools.lru_cache(maxsize=32)
def limit_symbolic(depth: int, steps: int) -> SymbolicLimit:
    """The limit ``L_∞^(t)(η)`` (and ``f_∞^(t)``) at depth ``L``, step ``t`` in closed form over the data
    moments: see :class:`SymbolicLimit`. Refused up front (:func:`check_symbolic_tractable`) beyond the
    measured size limits."""
    check_symbolic_tractable(depth, steps)
    ring = _MomentRing(steps)
    phi, loss = interpret(ring, depth, steps, [_Moment(k) for k in range(2 * steps + 1)], 1)
    return SymbolicLimit(depth, steps, loss, tuple(phi))
