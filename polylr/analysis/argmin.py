"""Argmin of an η-polynomial on a compact interval [lo, hi], certified.

A float64 polynomial's coefficients are exact binary rationals, so we work with the exact
polynomial they define: the real roots of L' in [lo, hi] are isolated rigorously (Arb's certified
root finder, through python-flint) and refined by exact bisection to well below float64
resolution. Between two isolated roots L' has constant sign, which is read at an
exact rational point; that classifies every critical point (minimum, maximum, inflection) and both
ends of the interval. Candidate values are compared exactly, so near-equal local minima are
ranked correctly.

The certified argmin is that of the stored coefficients. When a float64 polynomial carries an error
bound ``e(η) = Σ_k e_k η^k`` on the coefficients (engines attach one: :attr:`EtaPoly.error`), the
true minimiser lies in ``S = {η : p(η) − e(η) <= p(η*) + e(η*)}`` (exactly computed roots again). We
return η* only when ``S`` lies within ``ETA_RTOL`` (1e-3) of η* (relative to η*, or to the
interval's length when η* = 0), and record the span of ``S`` as :attr:`Argmin.eta_bounds`; otherwise :class:`~polylr.NotResolved` names the bound, the loss
scale and the span of candidate minimisers. A polynomial marked ``nonnegative`` (a loss) with a
negative minimum is refused in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import flint
import numpy as np

from ..core.errors import NotResolved, PolylrError, check_interval
from ..core.poly import EtaPoly, to_fmpq

MAX_DEGREE = 500
NEAR_TOL = 0.01
ETA_RTOL = 1e-3  # the span of possible true minimisers must stay within this fraction of η*



@dataclass(frozen=True)
class LocalMin:
    """A local minimum ``(η, value)``; ``on_boundary`` when it is an end of the interval."""

    eta: float
    value: float
    on_boundary: bool


@dataclass(frozen=True)
class Argmin:
    """The minimiser of a polynomial on ``interval``.

    ``local_minima`` lists every local minimum on the interval (boundary ends included when the
    polynomial decreases towards them), by increasing η; ``near_minima`` those other than the
    global one whose value is within ``NEAR_TOL`` (1 %) of the minimum, relative to ``|min|``.
    """

    eta: float
    value: float
    interval: tuple[float, float]
    on_boundary: bool
    local_minima: tuple[LocalMin, ...] = field(default=())
    near_minima: tuple[LocalMin, ...] = field(default=())
    flat: bool = False
    eta_bounds: tuple[float, float] | None = None  # where the true minimiser lies, given the polynomial's error bound

    @property
    def unique(self) -> bool:
        """True when no other local minimum comes within 1 % of the global minimum."""
        return not self.near_minima and not self.flat

    def to_dict(self) -> dict:
        return {
            "eta": self.eta,
            "value": self.value,
            "interval": list(self.interval),
            "on_boundary": self.on_boundary,
            "local_minima": [m.__dict__ for m in self.local_minima],
            "near_minima": [m.__dict__ for m in self.near_minima],
            "flat": self.flat,
            "eta_bounds": None if self.eta_bounds is None else list(self.eta_bounds),
        }


def _sign(p: flint.fmpq_poly, x: Fraction) -> int:
    v = p(to_fmpq(x))
    return (v > 0) - (v < 0)


def argmin(poly: EtaPoly, lo: float, hi: float, *, max_degree: int = MAX_DEGREE) -> Argmin:
    """Global minimiser of ``poly`` on ``[lo, hi]`` with every local minimum (see :class:`Argmin`)."""
    lo, hi = check_interval(lo, hi)
    if not isinstance(poly, EtaPoly):
        raise PolylrError(f"argmin needs an EtaPoly, got {type(poly).__name__}")
    if poly.degree > max_degree:
        raise PolylrError(
            f"polynomial degree {poly.degree} exceeds the argmin limit {max_degree}; "
            "reduce the number of steps or the depth, or use evaluation mode (grid bracketing)"
        )
    exact = poly.as_fmpq_poly()
    dp = exact.derivative()
    flo, fhi = Fraction(lo), Fraction(hi)
    if dp.is_zero():
        v = float(Fraction(int(exact(to_fmpq(flo)).p), int(exact(to_fmpq(flo)).q)))
        only = LocalMin(lo, v, True)
        return Argmin(lo, v, (lo, hi), True, (only,), (), flat=True)

    roots = _critical_points(dp, flo, fhi)  # sorted disjoint isolating intervals, exact

    # The sign of L' just left / right of each critical point, read at an exact point where L' has
    # no root (a non-degenerate isolating interval's ends are not roots); None at an end of [lo, hi].
    # side = -1: left of root k, +1: right of it. A degenerate interval (a == b) is read halfway to
    # the neighbouring root's near end (or to the end of [lo, hi]).
    def side_sign(k: int, side: int) -> int | None:
        a, b = roots[k]
        if a != b:
            return _sign(dp, a if side < 0 else b)
        end = flo if side < 0 else fhi
        if a == end:
            return None
        j = k + side
        neighbour = roots[j][1 if side < 0 else 0] if 0 <= j < len(roots) else end
        return _sign(dp, (neighbour + a) / 2)

    candidates: list[tuple[Fraction, bool]] = []
    if _sign(dp, flo) > 0:
        candidates.append((flo, True))  # L increases away from lo
    for k, (a, b) in enumerate(roots):
        left, right = side_sign(k, -1), side_sign(k, +1)
        if (left is None or left < 0) and (right is None or right > 0):
            candidates.append(((a + b) / 2, a == b and a in (flo, fhi)))
    if _sign(dp, fhi) < 0:
        candidates.append((fhi, True))  # L decreases towards hi

    values = [exact(to_fmpq(x)) for x, _ in candidates]
    best = min(range(len(candidates)), key=lambda i: values[i])
    vmin = values[best]
    bounds = _check_resolved(poly, exact, candidates[best][0], vmin, flo, fhi)
    tol = abs(vmin) * to_fmpq(NEAR_TOL)
    mins = tuple(LocalMin(float(x), float(Fraction(int(v.p), int(v.q))), b) for (x, b), v in zip(candidates, values))
    near = tuple(m for i, m in enumerate(mins) if i != best and values[i] - vmin <= tol)
    return Argmin(
        eta=mins[best].eta,
        value=mins[best].value,
        interval=(lo, hi),
        on_boundary=mins[best].on_boundary,
        local_minima=mins,
        near_minima=near,
        eta_bounds=bounds,
    )


def _check_resolved(
    poly: EtaPoly, exact: flint.fmpq_poly, x: Fraction, vmin: flint.fmpq, lo: Fraction, hi: Fraction
) -> tuple[float, float] | None:
    """Refuse (NotResolved) a minimum that the polynomial's own error bound could move, and a
    negative minimum of a loss; return the span of possible true minimisers (None: no error bound)."""
    what = poly.label or "the polynomial"
    if poly.nonnegative and vmin < 0:
        raise NotResolved(
            f"{what} is a loss (a sum of squares) but its minimum on [{float(lo):.6g}, {float(hi):.6g}] is "
            f"{_f(vmin):.6g} < 0 at η = {float(x):.6g}: its float64 coefficients do not resolve it"
            f"{_advice(poly)}"
        )
    if poly.error is None or not np.any(poly.error):
        return None
    e = EtaPoly(poly.error, "float64").as_fmpq_poly()  # exact rationals; η >= 0, so e(η) bounds the error
    ex = e(to_fmpq(x))
    p = exact - e - (vmin + ex)  # <= 0 exactly on the candidate set S
    tol = Fraction(ETA_RTOL) * (x if x > 0 else hi - lo)
    a, b = max(lo, x - tol), min(hi, x + tol)
    # S ⊂ [a, b] iff p > 0 on [lo, a) and (b, hi]: no root of p there and p > 0 at lo (or hi).
    roots = _roots(p, lo, hi)
    outside = [(r0, r1) for r0, r1 in roots if r0 < a or r1 > b]
    ok = not outside and (a == lo or _sign(p, lo) > 0) and (b == hi or _sign(p, hi) > 0)
    if ok:
        inside = [r for rr in roots for r in rr] + [x] + [v for v in (lo, hi) if _sign(p, v) <= 0]
        return float(max(lo, min(inside))), float(min(hi, max(inside)))
    ends = [lo if _sign(p, lo) <= 0 else None, hi if _sign(p, hi) <= 0 else None]
    span = [r for rr in outside for r in rr] + [v for v in ends if v is not None] + [x]
    emax = max(_f(ex), float(poly.error_bound(float(hi))))
    raise NotResolved(
        f"float64 does not resolve the argmin of {what} on [{float(lo):.6g}, {float(hi):.6g}]: its coefficient "
        f"error bound is {_f(ex):.3g} at the minimiser η = {float(x):.6g} and up to {emax:.3g} on the interval, "
        f"against a loss scale |min| = {abs(_f(vmin)):.3g}; the true minimiser could lie anywhere in "
        f"[{float(min(span)):.6g}, {float(max(span)):.6g}]{_advice(poly)}"
    )


def _f(q: flint.fmpq) -> float:
    return int(q.p) / int(q.q)


def _advice(poly: EtaPoly) -> str:
    return (
        "; use exact coefficients (e.g. limit_polys(setup, exact=True)), gradient descent "
        "(sweep(..., method='gd') or polylr.finite_argmins), fewer steps or a smaller interval"
    )


def _roots(p: flint.fmpq_poly, lo: Fraction, hi: Fraction) -> list[tuple[Fraction, Fraction]]:
    """Isolating intervals (clipped to [lo, hi]) of the real roots of ``p`` that may lie in [lo, hi]."""
    if p.is_zero():
        return [(lo, hi)]
    return [(max(a, lo), min(b, hi)) for a, b in _real_root_balls(p, lo, hi)[1]]


def _real_root_balls(p: flint.fmpq_poly, lo: Fraction, hi: Fraction) -> tuple[flint.fmpq_poly, list[tuple[Fraction, Fraction]]]:
    """The square-free part of ``p`` (simple roots, so a sign change at each) and the exact enclosures
    ``[a, b]`` of its real roots that meet [lo, hi] (not clipped), one root in each.

    Arb's certified complex root finder on the square-free integer numerator (flint
    ``fmpz_poly.complex_roots``) returns real roots as balls with an exactly zero imaginary part."""
    sqf = p / p.gcd(p.derivative())
    balls = []
    for ball, _mult in sqf.numer().complex_roots():
        if ball.imag.is_zero():
            a, b = _ball_ends(ball.real)
            if not (b < lo or a > hi):
                balls.append((a, b))
    return sqf, balls


def _critical_points(dp: flint.fmpq_poly, lo: Fraction, hi: Fraction) -> list[tuple[Fraction, Fraction]]:
    """Disjoint isolating intervals of the real roots of ``dp`` in [lo, hi], refined by exact
    bisection until their width is below 2^-60 of the root's magnitude (or 2^-1074), so that their
    midpoint is the root to float64 precision.

    Isolation: Arb's certified complex root finder on the square-free integer numerator (flint
    ``fmpz_poly.complex_roots``) returns real roots as balls with an exactly zero imaginary part,
    each holding exactly one root. (It stays fast where sympy's real-root isolation does not, e.g.
    for coefficients spanning hundreds of orders of magnitude.)"""
    sqf, balls = _real_root_balls(dp, lo, hi)
    out = []
    for a, b in balls:
        # Clip a ball that sticks out of [lo, hi]: keep it only if the root is inside.
        for end in (lo, hi):
            if a <= end <= b:
                se = _sign(sqf, end)
                if se == 0:
                    a = b = end
                    break
                if end == lo:
                    a = lo if _sign(sqf, b) != se else None
                else:
                    b = hi if _sign(sqf, a) != se else None
                if a is None or b is None:
                    break
        if a is None or b is None:
            continue
        out.append(_bisect(sqf, a, b) if a != b else (a, b))
    out.sort()
    return out


def _ball_ends(x: flint.arb) -> tuple[Fraction, Fraction]:
    m, e = x.mid().man_exp()
    r, f = x.rad().man_exp()
    mid = Fraction(int(m)) * Fraction(2) ** int(e)
    rad = Fraction(int(r)) * Fraction(2) ** int(f)
    return mid - rad, mid + rad


def _bisect(p: flint.fmpq_poly, a: Fraction, b: Fraction) -> tuple[Fraction, Fraction]:
    """Shrink an isolating interval of a simple root of ``p`` (``p(a)·p(b) < 0``)."""
    sa = _sign(p, a)
    if sa == 0:
        return a, a
    tiny = Fraction(1, 2**1074)
    while b - a > max(max(abs(a), abs(b)) * Fraction(1, 2**60), tiny):  # relative to the root itself
        c = (a + b) / 2
        sc = _sign(p, c)
        if sc == 0:
            return c, c
        if sc == sa:
            a = c
        else:
            b = c
    return a, b


def resolved(poly: EtaPoly, lo: float, hi: float) -> bool:
    """Whether :func:`argmin` returns a minimiser for ``poly`` on ``[lo, hi]`` rather than refusing
    with :class:`~polylr.NotResolved`."""
    try:
        argmin(poly, lo, hi)
    except NotResolved:
        return False
    return True
