"""The infinite-width limit under μP at any step t: a Tensor-Programs interpreter for deep linear nets.

The model and the notation are docs/theory.md's: ``f(x) = Vᵀ W_L ⋯ W_1 W_0 x`` with ``W_0 ~ N(0, 1/d)``,
``W_l ~ N(0, 1/n)``, ``V ~ N(0, 1/n²)``, only ``W_1..W_L`` trained with learning rate η.

Finite-width recursion (step s = 0, 1, …; ``g_l = n·b_l`` is the backward vector at the output of
layer ``l``, scaled to O(1) entries, ``g_L = nV``; ``c^(s) = Xᵀχ^(s)/m`` with ``χ^(s) = f^(s) − y``;
``v_l^(s) = W_l^(s) ⋯ W_1^(s) W_0 c^(s)`` the forward vector, so that the gradient factor is
``a_l^(s) = (1/m) H_{l−1}^(s) χ^(s) = v_{l−1}^(s)``)::

    W_l^(s)  u = W_l^(0)  u − η Σ_{r<s} g_l^(r) (v_{l−1}^(r)·u / n)
    W_l^(s)ᵀ w = W_l^(0)ᵀ w − η Σ_{r<s} v_{l−1}^(r) (g_l^(r)·w / n)
    f^(s)(x)   = (1/n) g_0^(s) · W_0 x,      g_{l−1}^(s) = W_l^(s)ᵀ g_l^(s).

Only ONE forward vector per step is ever multiplied by a hidden weight (the network is linear, so
``H_{l−1}χ = h_{l−1}(Xᵀχ)``), and the outputs come from the backward chain. In the limit every
vector ``Z`` is a linear combination of jointly Gaussian atoms:

- ``H_r = Z^{W_0 c^(r)}`` (r < t): ``E[H_r H_q] = χ^(r)ᵀ K χ^(q) / m²``, and ``E[A_x H_r] = (Kχ^(r))_x / m``
  for ``A_x = Z^{W_0 x}``;
- ``A_g = Z^{nV}``, variance 1;
- ``F_{l,r} = Ẑ^{W_l^(0) v_{l−1}^(r)}`` (1 ≤ l ≤ L−1, r < t): ``E[F_{l,r} F_{l,q}] = E[Z^{v_{l−1}^(r)} Z^{v_{l−1}^(q)}]``;
- ``B_{l,s} = Ẑ^{W_l^(0)ᵀ g_l^(s)}`` (1 ≤ l ≤ L, s ≤ t): ``E[B_{l,s} B_{l,q}] = E[Z^{g_l^(s)} Z^{g_l^(q)}]``.

Blocks (the H's, A_g, each layer's F's, each layer's B's) are independent of each other. With the
Ż rule (coefficients are taken formally, atoms as independent variables)::

    Z^{v_l^(s)}      = F_{l,s} + Σ_{r≤s} Z^{g_l^(r)} [B_{l,r}]Z^{v_{l−1}^(s)} − η Σ_{r<s} Z^{g_l^(r)} E[Z^{v_{l−1}^(r)} Z^{v_{l−1}^(s)}]
    Z^{g_{l−1}^(s)}  = B_{l,s} + Σ_{r<s} Z^{v_{l−1}^(r)} ([F_{l,r}]Z^{g_l^(s)} − η E[Z^{g_l^(r)} Z^{g_l^(s)}])
    f_∞^(s)(x)       = E[A_x Z^{g_0^(s)}] = Σ_r [H_r]Z^{g_0^(s)} · (Kχ^(r))_x / m

(``[a]Z`` is the coefficient of atom ``a`` in ``Z``; ``v_0^(s) = H_s``). Each step runs the backward
chain (giving ``f^(s)`` and ``χ^(s)``) and then the forward chain.

The data enter only through ``K``: every ``χ^(s)`` lies in the Krylov space spanned by
``u_j = (K/m)^j y``, so data vectors are held as Krylov coefficient lists, ``K/m`` acts as a shift,
and every inner product reduces to the moments ``M_j = yᵀ(K/m)^j y`` (j ≤ 2t+1), computed in exact
rationals (float data are exact binary rationals). The work is then independent of m except for the
final ``f_∞^(t)(x_i) = Σ_j φ_j(η) (u_j)_i``.

Coefficients are polynomials in η over a *ring*: exact rationals (``flint.fmpq_poly``), float64
coefficient arrays, float64 values at given η (evaluation mode, vectorised over η), or structural
degrees (to estimate a computation's size before running it).
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np

from ..core.errors import PolylrError
from .bounds import float_limit_error
from .limit import Limit, check_supported
from ..core.poly import EtaPoly, fmpq_to_float
from ..core.setup import Setup

# -- rings ---------------------------------------------------------------------------------


class _FPoly:
    """A float64 polynomial (ascending coefficients) with + − ×; the float ring's scalar."""

    __slots__ = ("c",)

    def __init__(self, c: np.ndarray):
        self.c = c

    def __add__(self, o):
        a, b = self.c, o.c
        if a.size < b.size:
            a, b = b, a
        r = a.copy()
        r[: b.size] += b
        return _FPoly(r)

    def __neg__(self):
        return _FPoly(-self.c)

    def __sub__(self, o):
        return self + (-o)

    def __mul__(self, o):
        return _FPoly(np.convolve(self.c, o.c))


class _Deg:
    """Structural degree (−1: the zero polynomial); + takes the max, × adds."""

    __slots__ = ("d",)

    def __init__(self, d: int):
        self.d = d

    def __add__(self, o):
        return _Deg(max(self.d, o.d))

    __sub__ = __add__

    def __neg__(self):
        return self

    def __mul__(self, o):
        return _Deg(-1 if self.d < 0 or o.d < 0 else self.d + o.d)


class ExactRing:
    """Exact rational polynomials in η (python-flint ``fmpq_poly``)."""

    name = "QQ"

    def __init__(self):
        self.zero = flint.fmpq_poly([])
        self.one = flint.fmpq_poly([1])
        self.eta = flint.fmpq_poly([0, 1])

    def const(self, q: Fraction):
        return flint.fmpq_poly([flint.fmpq(q.numerator, q.denominator)])

    def is_zero(self, a) -> bool:
        return a.is_zero()


class FloatRing:
    """float64 polynomials in η (coefficient arrays)."""

    name = "float64"

    def __init__(self):
        self.zero = _FPoly(np.zeros(1))
        self.one = _FPoly(np.ones(1))
        self.eta = _FPoly(np.array([0.0, 1.0]))

    def const(self, q: Fraction):
        return _FPoly(np.array([float(q)]))

    def is_zero(self, a) -> bool:
        return not np.any(a.c)


class ValueRing:
    """float64 values at the given η (numpy arrays): evaluation mode."""

    name = "values"

    def __init__(self, etas: np.ndarray, dtype=np.float64):
        etas = np.asarray(etas, dtype=dtype)
        self.zero = np.zeros_like(etas)
        self.one = np.ones_like(etas)
        self.eta = etas

    def const(self, q: Fraction):
        if self.eta.dtype == np.float64:
            return np.full_like(self.eta, float(q))
        t = self.eta.dtype.type  # the ratio of two extended-precision integers (a small q here: 1/m)
        return np.full_like(self.eta, t(q.numerator) / t(q.denominator))

    def is_zero(self, a) -> bool:
        return False  # values are never structurally zero


class DegreeRing:
    """Structural degrees: runs the interpreter for the degrees alone (an upper bound; exact
    cancellations can only lower the true degree)."""

    name = "degree"

    def __init__(self):
        self.zero = _Deg(-1)
        self.one = _Deg(0)
        self.eta = _Deg(1)

    def const(self, q: Fraction):
        return _Deg(-1 if q == 0 else 0)

    def is_zero(self, a) -> bool:
        return a.d < 0


# -- data: Krylov vectors and moments, exactly -----------------------------------------------


def krylov(X: np.ndarray, y: np.ndarray, count: int) -> list[flint.fmpq_mat]:
    """``u_j = (K/m)^j y`` for ``j < count`` as exact ``(m, 1)`` rational matrices, K = XXᵀ/d."""
    m, d = X.shape
    Xq = flint.fmpq_mat(m, d, [flint.fmpq(*float(v).as_integer_ratio()) for v in X.ravel()])
    Xt = Xq.transpose()
    u = flint.fmpq_mat(m, 1, [flint.fmpq(*float(v).as_integer_ratio()) for v in y])
    scale = flint.fmpq(1, d * m)
    out = [u]
    for _ in range(count - 1):
        u = (Xq * (Xt * u)) * scale
        out.append(u)
    return out


def moments(us: list[flint.fmpq_mat]) -> list[Fraction]:
    """``M_j = yᵀ(K/m)^j y = u_a·u_b`` (a + b = j) for ``j ≤ 2(len(us) − 1)``."""
    out = []
    top = len(us) - 1
    for j in range(2 * top + 1):
        a = min(j, top)
        b = j - a
        v = (us[a].transpose() * us[b])[0, 0]
        out.append(Fraction(int(v.p), int(v.q)))
    return out


# -- the interpreter -------------------------------------------------------------------------


class KrylovData:
    """Data vectors as Krylov coefficient lists (``χ = Σ_j p_j u_j``, ``u_j = (K/m)^j y``), inner
    products through the moments ``M_j``: exact and data-size free, the representation of the
    polynomial rings. In float64 *values* it cancels catastrophically at large t (the powers
    ``(K/m)^j y`` form an ill-conditioned basis: ``(1 − ηK/m)^t y`` expanded in it has terms of size
    ``C(t, j)``; L = 1, t = 50, η = 4: 1.8e5 for a loss of 0.0053), hence :class:`VectorData`."""

    def __init__(self, ring, M: list):
        self.ring = ring
        self.M = [ring.const(q) for q in M]

    def minus_y(self, f: list) -> list:
        out = list(f)
        out[0] = out[0] - self.ring.one  # χ = f − y = f − u_0
        return out

    def plus_y(self, chi: list) -> list:
        out = list(chi)
        out[0] = out[0] + self.ring.one
        return out

    def kernel_combination(self, cs: list, chis: list, s: int) -> list:
        """``Σ_r cs[r]·(K/m) χ^(r)`` (``cs[r]`` None: no term)."""
        f = [self.ring.zero] * (s + 1)
        for c, chi in zip(cs, chis):
            if c is None:
                continue
            for j, x in enumerate(chi):
                f[j + 1] = f[j + 1] + c * x
        return f

    def dot(self, p: list, q: list, shift: int):
        """``pᵀ(K/m)^shift q = Σ_{a,b} p_a q_b M_{a+b+shift}``."""
        ring, total = self.ring, self.ring.zero
        for a, pa in enumerate(p):
            if ring.is_zero(pa):
                continue
            w = ring.zero
            for b, qb in enumerate(q):
                w = w + qb * self.M[a + b + shift]
            total = total + pa * w
        return total


class VectorData:
    """Data vectors as explicit ``(E, m)`` arrays (one row per η of a :class:`ValueRing`), ``K/m``
    applied as a matrix: evaluation mode's representation (no Krylov basis, no cancellation beyond
    that of gradient descent itself). ``dtype`` float64 or ``np.longdouble``."""

    def __init__(self, ring, X: np.ndarray, y: np.ndarray):
        dt = ring.eta.dtype
        X = np.asarray(X, dtype=dt)
        m, d = X.shape
        self.ring = ring
        self.Km = (X @ X.T) / dt.type(d * m)
        self.y = np.broadcast_to(np.asarray(y, dtype=dt), ring.eta.shape + (m,))

    def minus_y(self, f):
        return f - self.y

    def plus_y(self, chi):
        return chi + self.y

    def kernel_combination(self, cs: list, chis: list, s: int):
        acc = np.zeros_like(self.y)
        for c, chi in zip(cs, chis):
            if c is not None:
                acc = acc + c[..., None] * chi
        return acc @ self.Km

    def dot(self, p, q, shift: int):
        if shift:
            q = q @ self.Km
        return np.sum(p * q, axis=-1)


class _ArbRing:
    """arb balls (python-flint, the context's precision) at the given η, as numpy object arrays:
    the reference run of evaluation mode where ``long double`` is no wider than float64."""

    name = "arb"

    def __init__(self, etas):
        self.eta = np.array([flint.arb(float(x)) for x in etas], dtype=object)
        self.zero = np.array([flint.arb(0) for _ in etas], dtype=object)
        self.one = np.array([flint.arb(1) for _ in etas], dtype=object)

    def const(self, q: Fraction):
        return np.array([flint.arb(flint.fmpq(q.numerator, q.denominator)) for _ in self.eta], dtype=object)

    def is_zero(self, a) -> bool:
        return False


class _ArbData(VectorData):
    def __init__(self, ring, X: np.ndarray, y: np.ndarray):
        m, d = X.shape
        Xa = [[flint.arb(float(v)) for v in row] for row in X]
        self.ring = ring
        self.Km = np.array(
            [[sum((Xa[i][k] * Xa[j][k] for k in range(d)), flint.arb(0)) / (d * m) for j in range(m)] for i in range(m)],
            dtype=object,
        )
        self.y = np.array([[flint.arb(float(v)) for v in y] for _ in ring.eta], dtype=object)

    def kernel_combination(self, cs, chis, s):
        acc = self.y * 0
        for c, chi in zip(cs, chis):
            if c is not None:
                acc = acc + c[..., None] * chi
        return acc @ self.Km


ARB_PRECISION = 128


def arb_value_ring(etas, X, y):
    """A ring of arb balls at ``etas`` and the data as arb vectors, for :func:`interpret` (the caller
    sets ``flint.ctx.prec`` to :data:`ARB_PRECISION` around both, and restores it)."""
    ring = _ArbRing(etas)
    return ring, _ArbData(ring, X, y)


def interpret(ring, depth: int, steps: int, M: list[Fraction] | None, m: int, data=None, progress=None):
    """Run the limiting program for ``steps`` GD steps in ``ring``.

    Returns ``(phi, loss)``: with the default ``data`` (:class:`KrylovData` over the moments ``M``,
    ``M_0 … M_{2t+1}``, at least ``2t + 1`` of them) ``phi[j]`` is the coefficient of
    ``u_j = (K/m)^j y`` in ``f_∞^(t)`` (so ``f_∞^(t)(x_i) = Σ_j phi[j] (u_j)_i``); with
    ``data = VectorData(...)`` (value rings only) ``phi`` is the ``(E, m)`` array of ``f_∞^(t)(x_i)``.
    ``loss`` is ``L_∞^(t)``. ``progress(done, steps + 1)`` is called as each step's chains finish.
    """
    L, t = depth, steps
    zero, one, eta = ring.zero, ring.one, ring.eta
    if data is None:
        data = KrylovData(ring, M)
    inv_m = ring.const(Fraction(1, m))
    is_zero = ring.is_zero

    # Covariances, per independent block: cov[block][(i, j)]; an atom is block + (index,).
    cov: dict[tuple, dict[tuple[int, int], object]] = {("g",): {(0, 0): one}, ("H",): {}}
    for l in range(1, L + 1):
        cov[("B", l)] = {}
        if l < L:
            cov[("F", l)] = {}

    def set_cov(block, i, j, value):
        cov[block][(i, j)] = value
        cov[block][(j, i)] = value

    def expect(u: dict, v: dict):
        """E[u v] for Z-vectors (dicts atom → coefficient)."""
        by_block: dict[tuple, list] = {}
        for b, cb in v.items():
            by_block.setdefault(b[:-1], []).append((b[-1], cb))
        total = zero
        for a, ca in u.items():
            blk = a[:-1]
            others = by_block.get(blk)
            if not others:
                continue
            C = cov[blk]
            i = a[-1]
            w = zero
            for j, cb in others:
                w = w + cb * C[(i, j)]
            total = total + ca * w
        return total

    def axpy(z: dict, c, v: dict) -> None:
        """z += c·v (in place)."""
        if is_zero(c):
            return
        for a, cv in v.items():
            term = c * cv
            z[a] = z[a] + term if a in z else term

    kdot = data.dot

    # g[l][s]: Z-vector of g_l^(s); v[l][s]: Z-vector of v_l^(s) (l < L); chi[s]: Krylov list.
    g = [[None] * (t + 1) for _ in range(L + 1)]
    v = [[None] * t for _ in range(L)]
    chi: list[list] = []
    for s in range(t + 1):
        # backward chain at step s
        g[L][s] = {("g", 0): one}
        for l in range(L, 0, -1):
            for q in range(s + 1):
                set_cov(("B", l), s, q, expect(g[l][s], g[l][q]))
            z = {("B", l, s): one}
            for r in range(s):
                c = -(eta * expect(g[l][r], g[l][s]))
                if l < L and ("F", l, r) in g[l][s]:
                    c = c + g[l][s][("F", l, r)]
                axpy(z, c, v[l - 1][r])
            g[l - 1][s] = z
        # outputs: f^(s) = Σ_r [H_r]g_0^(s) · (K/m) χ^(r)
        f = data.kernel_combination([g[0][s].get(("H", r)) for r in range(s)], chi[:s], s)
        chi.append(data.minus_y(f))
        if progress is not None and s < t:
            progress(s + 1, t + 1)
        if s == t:
            break
        # forward chain at step s
        for q in range(s + 1):
            set_cov(("H",), s, q, inv_m * kdot(chi[s], chi[q], 1))
        v[0][s] = {("H", s): one}
        for l in range(1, L):
            for q in range(s + 1):
                set_cov(("F", l), s, q, expect(v[l - 1][s], v[l - 1][q]))
            z = {("F", l, s): one}
            for r in range(s + 1):
                c = v[l - 1][s].get(("B", l, r), zero)
                if r < s:
                    c = c - eta * expect(v[l - 1][r], v[l - 1][s])
                axpy(z, c, g[l][r])
            v[l][s] = z
    half_inv_m = ring.const(Fraction(1, 2 * m))
    loss = half_inv_m * kdot(chi[t], chi[t], 0)
    if progress is not None:
        progress(t + 1, t + 1)
    return data.plus_y(chi[t]), loss  # f = χ + y


# -- the public entry points -------------------------------------------------------------------

# Largest structural degree of L_∞^(t) that each mode computes. Exact cost grows like degree^2.3
# (measured on 2 cores: loss degree 436 in 0.8 s, 970 in 5.5 s, 1142 in 10 s, 2914 in 86 s).
# float64 coefficients are cheap (degree 3740 in 0.3 s) and accurate relative to the largest
# coefficient, but a high-degree polynomial in the monomial basis cancels massively: at t = 4,
# L = 3 (m = 16) its float64 evaluation is off by 4e-3 (relative) at η = 1.4 and by a factor 12 at
# η = 1.5; at t = 5 by 74 % at η = 0.9, while the values are O(0.01). Beyond t = 3 use exact
# mode (evaluated exactly) or evaluation mode.
MAX_EXACT_DEGREE = 1200
MAX_FLOAT_DEGREE = 2500
ROUND_EXACT_DEGREE = 200  # float mode rounds the exact polynomial up to this loss degree (t = 3, L = 3: 86; t = 4: 436 takes 24 s)


def limit_degree(setup: Setup) -> int:
    """Degree in η of ``L_∞^(t)`` (structural, from running the interpreter on degrees alone; exact
    cancellations, e.g. ``y = 0``, can only lower the true degree). It satisfies ``D_1 = 2`` and
    ``D_{t+1} = (2L − 1) D_t + 2L``; the finite-width loss has degree ``2L·d_t``, larger for L ≥ 2."""
    check_supported(setup)
    t = setup.steps
    return interpret(DegreeRing(), setup.depth, t, [Fraction(1)] * (2 * t + 3), setup.data.m)[1].d


def krylov_outputs(phi, us, steps: int) -> tuple[EtaPoly, ...]:
    """``f_∞^(t)(x_i) = Σ_{j=1..t} phi[j] (u_j)_i`` for every training point, as exact ``EtaPoly``
    (``phi[j]``: exact η-polynomials, the coefficients of the Krylov vectors ``us``; ``phi[0] = 0``)."""
    outputs = []
    for i in range(us[0].nrows()):
        f = flint.fmpq_poly([])
        for j in range(1, steps + 1):
            f += phi[j] * us[j][i, 0]
        outputs.append(EtaPoly(f, "QQ", label=f"f_\\infty^{{({steps})}}(x_{i})"))
    return tuple(outputs)


def tp_limit(setup: Setup, *, exact: bool = False, max_degree: int | None = None) -> Limit:
    """``f_∞^(t)(x_i)`` and ``L_∞^(t)`` as exact (``fmpq_poly``) or float64 η-polynomials (the engine
    behind :func:`polylr.limit_polys`).

    The size is estimated first (:func:`limit_degree`): above ``max_degree`` (default
    ``MAX_EXACT_DEGREE`` = 1200 exact, ``MAX_FLOAT_DEGREE`` = 2500 float) a :class:`PolylrError`
    points to float mode or to evaluation mode (:func:`polylr.limit_loss_values`).

    In float mode, up to loss degree ``ROUND_EXACT_DEGREE`` (200) the coefficients are the
    correctly rounded exact ones; beyond it, the float64 interpreter's. Either way each float
    polynomial carries its error bound (:mod:`polylr.engines.bounds`), which :func:`polylr.argmin`
    checks. Float64 coefficients agree with the exact ones to ~1e-15 of the largest coefficient, but
    evaluating a polynomial of degree in the hundreds in float64 cancels catastrophically once
    ``Σ_k |c_k| η^k`` dwarfs the value (t ≥ 4 at η ≈ 1): evaluate exact polynomials at rational η
    (``poly(Fraction(eta))``), or use evaluation mode.
    """
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
    if not exact and deg <= ROUND_EXACT_DEGREE:
        # The float64 interpreter's coefficients cancel (t = 3: argmin 0.92202 instead of 0.92275;
        # L = 8, t = 3: off by 1e173 relative); the rounded exact rationals are right, at this size
        # for about a second. Their error bound is the rounding (EtaPoly.to_float).
        lim = tp_limit(setup, exact=True)
        return Limit(setup, tuple(p.to_float() for p in lim.outputs), lim.loss.to_float())
    data = setup.data
    us = krylov(data.X, data.y, t + 2)
    M = moments(us)
    ring = ExactRing() if exact else FloatRing()
    phi, loss = interpret(ring, L, t, M, data.m)
    if exact:
        outputs = krylov_outputs(phi, us, t)
        loss_poly = EtaPoly(loss, "QQ", label=f"L_\\infty^{{({t})}}", nonnegative=True)
    else:
        U = np.array([[fmpq_to_float(u[i, 0]) for i in range(data.m)] for u in us[: t + 1]], dtype=np.float64)
        width = max(p.c.size for p in phi)
        P = np.zeros((t + 1, width))
        for j, p in enumerate(phi[1:], start=1):  # phi_0 = 0 exactly: f has no y component
            P[j, : p.c.size] = p.c
        F = U.T @ P  # (m, degree + 1)
        outputs = [
            EtaPoly(F[i], "float64", label=f"f_\\infty^{{({t})}}(x_{i})", error=float_limit_error(F[i])) for i in range(data.m)
        ]
        loss_poly = EtaPoly(loss.c, "float64", label=f"L_\\infty^{{({t})}}", error=float_limit_error(loss.c), nonnegative=True)
    return Limit(setup, tuple(outputs), loss_poly)


def limit_polys(setup: Setup, *, exact: bool = False) -> Limit:
    """The infinite-width limit of ``setup`` at its number of steps.

    The outputs ``f_∞^(t)(x_i)`` and the loss ``L_∞^(t)(η) = (1/2m) Σ_i (f_∞^(t)(x_i) − y_i)²``
    as η-polynomials: exact rationals (``exact=True``; the float data are exact binary rationals)
    or float64 coefficients.

    Computed at any t by the Tensor-Programs interpreter (:func:`tp_limit`, which
    documents the size limits and float64 accuracy); μP with the hidden layers trained only.
    """
    return tp_limit(setup, exact=exact)
