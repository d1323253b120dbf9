"""Certified argmins of many float64 loss polynomials at once: a vectorised fast path with a
rigorous fallback.

:func:`polylr.argmin` isolates every real root of L' exactly (python-flint), which costs
milliseconds per polynomial; a Monte Carlo sweep's losses are almost always unimodal on the
interval, and for those a sign check suffices. :func:`fast_argmins` takes a batch of loss
polynomials (rows of float64 coefficients, each an exact binary rational polynomial, as
:func:`polylr.argmin` reads them) and for every row either **proves** the answer
:func:`polylr.argmin` gives, or returns ``None`` (then call :func:`polylr.argmin` on that row).
:func:`certified_argmins` does both.

What is proved, per row, in float64 with rigorous rounding-error bounds (numpy, vectorised over
rows):

1. **Shape.** ``[lo, hi]`` is cut into ``G`` cells. On each cell L'(m + h) = Σ_j b_j h^j (Taylor
   coefficients at the cell's centre m, computed by repeated synthetic division); the sign of L' is
   certified on the whole cell when ``|b_0| > Σ_{j≥1} |b_j| r^j + γ·A(|m| + r)``, where r is the
   half-width, ``A(x) = Σ_k |a_k| x^k`` for L' = Σ a_k η^k and ``γ`` bounds the relative rounding of
   the scheme (``|b̂_j − b_j| <= γ_{2n} Σ_k |a_k| C(k, j) |m|^{k−j}``, summed against r^j). The same
   coefficients certify L'' > 0 on a cell. A row is accepted only with the pattern
   "L' < 0 on the cells to the left, L'' > 0 (L' increasing) on the undecided cells, L' > 0 on
   the cells to the right": then L' has at most one root in [lo, hi], L decreases before it and
   increases after it, and the certified sign of L' at the ends of the undecided run decides
   between an interior minimum (one sign change) and a minimum at lo or hi. Anything else (two
   local minima, a maximum, a cell where neither sign nor convexity can be certified) is refused.
2. **The minimisers.** Each root of L' in an undecided run is bracketed by bisection on float64
   bit patterns (at most 64 steps to adjacent floats, whatever the magnitude), each step taken only
   on a certified sign of L' (plain Horner with its bound, then compensated Horner, Graillat,
   Langlois & Louvet 2005, with a rigorous bound), so the root lies in the final bracket
   ``[a, b]``; a row is answered only when ``b − a <= BRACKET_ULPS`` units in the last place. The
   reported η is where the compensated sign of L' changes; :func:`polylr.argmin` reports the root
   to float64 precision, so the two agree to a few ulps. Values are compensated-Horner values with
   rigorous bounds; the global minimum must be certified below every other candidate, and every
   other minimum certified inside or outside the 1 % "near" band.
3. **No sign of a wrong loss.** With ``nonnegative`` (a loss), the minimum's certified lower bound
   must be > 0 (else :func:`polylr.argmin` decides, and refuses a negative minimum).
4. **Resolved by the error bound** (rows with a non-zero ``errors`` row: the coefficients' own
   error, :attr:`EtaPoly.error`). :func:`polylr.argmin` returns η* only when the set
   ``S = {η : L(η) − e(η) <= L(η*) + e(η*)}`` of possible true minimisers lies within
   ``ETA_RTOL`` of η*. Here: e has non-negative coefficients, so it increases on η >= 0, and L is
   monotone on each side of η*; hence on the left ``L(η) − e(η) >= L(a') − e(a')`` for η <= a',
   and on the right, on each piece [u, v] of a grid, ``L(η) − e(η) >= L(u) − e(v)``. Both are
   required to exceed an upper bound of ``L(η*) + e(η*)`` (with the bracket's width added, so it
   also bounds :func:`polylr.argmin`'s own threshold), on an interval shrunk by a relative 1e-6 so
   the small difference between the two η* cannot matter. ``eta_bounds`` is a certified enclosure
   of ``S`` found by bisection on the same monotone bounds (a little wider than
   :func:`polylr.argmin`'s, which are the exact roots' isolating balls).

A row passing 1–4 gets exactly the decision :func:`polylr.argmin` takes: the same global minimiser
(to within the certified bracket), ``unique`` with no near minima and one local minimum, the same
``on_boundary``, and no refusal. Rows that fail any step — including every case where
:func:`polylr.argmin` would refuse with :class:`~polylr.NotResolved` — return ``None``.

Rounding model: every float64 operation rounds with relative error <= u = 2^-53; the schemes use at
most ``2n + 2`` roundings per term (n the degree of L', two more for forming k·c_k and k(k−1)·c_k).
We use ``γ = (8n + 32)·u`` (>= 4× the standard γ_{2n+2}), multiply every computed bound by
``1 + 1e-8`` (covering the rounding of the bound itself) and add 1e-290 (underflow). Rows with a
non-finite value anywhere, ``lo < 0`` or degree < 2 are refused.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import PolylrError, check_interval
from ..core.poly import EtaPoly
from .argmin import ETA_RTOL, MAX_DEGREE, NEAR_TOL, Argmin, LocalMin, argmin

U = 2.0**-53  # unit roundoff
SLACK = 1.0 + 1e-8  # covers the rounding of a computed bound
TINY = 1e-290  # covers underflow
CELLS = (32, 64, 256)  # cell counts tried in turn for the shape certificate
RTOL_SHRINK = 1.0 - 1e-6  # the resolution check uses ETA_RTOL shrunk by this factor (see module docstring)
BISECT_STEPS = 70  # bisection on bit patterns reaches adjacent floats in <= 64 steps
BRACKET_ULPS = 2  # a certified root bracket wider than this many units in the last place: exact path
ENCLOSE_STEPS = 44  # bisection steps for eta_bounds: 1e-3·η·2^-44 < 1e-16·η  # more than enough to reach adjacent floats from any float bracket


def _gamma(n: int) -> float:
    return (8 * n + 32) * U


def _horner(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Σ_k c[..., k] x^k by Horner, elementwise; ``c`` (B, K), ``x`` (B,) or (B, P)."""
    extra = (slice(None),) + (None,) * (x.ndim - 1)
    v = np.broadcast_to(c[:, -1][extra], x.shape).copy()
    for k in range(c.shape[1] - 2, -1, -1):
        v = v * x + c[:, k][extra]
    return v


def _eval_plain(c: np.ndarray, absc: np.ndarray, x: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Value at x (>= 0) by plain Horner and a rigorous bound on its error, ``γ·Σ|c_k| x^k``."""
    with np.errstate(over="ignore", invalid="ignore"):
        v = _horner(c, x)
        b = (gamma * _horner(absc, x)) * SLACK + TINY
    return v, np.where(np.isfinite(v), b, np.inf)


_SPLIT = 134217729.0  # 2^27 + 1 (Dekker)


def _two_sum(a, b):
    s = a + b
    z = s - a
    return s, (a - (s - z)) + (b - z)


def _two_prod(a, b):
    x = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return x, al * bl - (((x - ah * bh) - al * bh) - ah * bl)


def _eval(c: np.ndarray, absc: np.ndarray, x: np.ndarray, gamma: float, c_lo=None) -> tuple[np.ndarray, np.ndarray]:
    """Value at x (>= 0) of each row's polynomial ``c + c_lo`` (``c_lo``: optional low parts of
    double-double coefficients) by compensated Horner (Graillat, Langlois & Louvet 2005: error at most
    ``u|p(x)| + γ_{2n}² Σ|c_k| x^k``), with a rigorous bound on its error: ``2u|res| + 4γ²Σ|c_k|x^k``
    (our γ >= γ_{2n}; the low parts add at most ``γ·u·Σ|c_k|x^k`` through the correction)."""
    extra = (slice(None),) + (None,) * (x.ndim - 1)
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.broadcast_to(c[:, -1][extra], x.shape).copy()
        corr = np.zeros(x.shape) if c_lo is None else np.broadcast_to(c_lo[:, -1][extra], x.shape).copy()
        for k in range(c.shape[1] - 2, -1, -1):
            prod, pi = _two_prod(s, x)
            s, sigma = _two_sum(prod, c[:, k][extra])
            corr = corr * x + (pi + sigma)
            if c_lo is not None:
                corr = corr + c_lo[:, k][extra]
        res = s + corr
        bound = (2 * U * np.abs(res) + 4 * gamma * gamma * _horner(absc, x)) * SLACK + TINY
    return res, np.where(np.isfinite(res), bound, np.inf)


def _taylor(a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Taylor coefficients of Σ a_k η^k at η = m: (B, n+1) and (B, G) -> (B, G, n+1)."""
    n = a.shape[1] - 1
    c = [np.broadcast_to(a[:, k][:, None], m.shape).copy() for k in range(n + 1)]
    for i in range(n):
        for k in range(n - 1, i - 1, -1):
            c[k] = c[k] + m * c[k + 1]
    return np.stack(c, axis=-1)


def _cell_signs(a, gamma, edges):
    """Per row and cell: the certified sign of L' (+1, -1, 0 undecided) and of L'' (+1, -1, 0)."""
    G = edges.size - 1
    m = (edges[:-1] + edges[1:]) / 2
    # a half-width that covers the cell whatever the rounding of m
    r = np.maximum(edges[1:] - m, m - edges[:-1]) * SLACK + 2 * np.spacing(np.maximum(np.abs(edges[1:]), 1e-300))
    B = a.shape[0]
    mm = np.broadcast_to(m, (B, G))
    n = a.shape[1] - 1
    t = _taylor(a, mm)  # (B, G, n+1)
    rp = r[None, :, None] ** np.arange(n + 1)  # r^j
    absa = np.abs(a)
    x = np.abs(mm) + r
    with np.errstate(over="ignore", invalid="ignore"):
        A = _horner(absa, x)  # Σ|a_k| (|m| + r)^k
        A1 = _horner(absa[:, 1:] * np.arange(1, n + 1), x)  # its derivative
        bound1 = (np.sum(np.abs(t[..., 1:]) * rp[..., 1:], axis=-1) + gamma * A) * SLACK + TINY
        j = np.arange(2, n + 1)
        bound2 = (np.sum(j * np.abs(t[..., 2:]) * rp[..., 1:n], axis=-1) + gamma * A1) * SLACK + TINY
        s1 = np.where(t[..., 0] > bound1, 1, np.where(-t[..., 0] > bound1, -1, 0))
        s2 = np.where(t[..., 1] > bound2, 1, np.where(-t[..., 1] > bound2, -1, 0))
    s1 = np.where(np.isfinite(bound1) & np.isfinite(t[..., 0]), s1, 0)
    s2 = np.where(np.isfinite(bound2) & np.isfinite(t[..., 1]), s2, 0)
    return s1, s2


def fast_argmins(
    coeffs, lo: float, hi: float, *, errors=None, nonnegative: bool = False
) -> list[Argmin | None]:
    """For each row of ``coeffs`` (``(B, D + 1)`` float64, ascending powers of η): the
    :class:`~polylr.analysis.argmin.Argmin` that :func:`polylr.argmin` would return for
    ``EtaPoly(row, "float64", error=errors[row], nonnegative=nonnegative)`` on ``[lo, hi]``, when a
    vectorised certificate proves it (see the module docstring), else ``None``.

    ``errors``: ``(B, D + 1)`` non-negative per-coefficient error bounds, or None."""
    lo, hi = check_interval(lo, hi)
    c = np.asarray(coeffs, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] < 1:
        raise PolylrError(f"coeffs must be a (polynomials, degree + 1) array, got shape {c.shape}")
    B, K = c.shape
    e = None
    if errors is not None:
        e = np.asarray(errors, dtype=np.float64)
        if e.shape != c.shape or not np.all(np.isfinite(e)) or np.any(e < 0):
            raise PolylrError(f"errors must be finite non-negative bounds of shape {c.shape}, got shape {e.shape}")
    out: list[Argmin | None] = [None] * B
    if B == 0 or K < 3 or K - 1 > MAX_DEGREE or lo < 0:  # argmin decides (or refuses) these
        return out
    todo = np.flatnonzero(np.all(np.isfinite(c), axis=1))
    for G in CELLS:
        if todo.size == 0:
            break
        # Huge intervals overflow: a non-finite value or bound leaves its sign undecided (the row is
        # handed to the exact path), so the overflow itself is expected here.
        with np.errstate(over="ignore", invalid="ignore"):
            res = _one_pass(c[todo], None if e is None else e[todo], lo, hi, nonnegative, G)
        for i, arg in enumerate(res):
            out[todo[i]] = arg
        todo = todo[[r is None for r in res]]
    return out


def _signs(v, b):
    return np.where(v > b, 1, np.where(-v > b, -1, 0))


def _one_pass(c, e, lo, hi, nonnegative, G):
    B, K = c.shape
    n = K - 2  # degree of L'
    gamma = _gamma(n + 1)
    absc = np.abs(c)
    a, a_lo = _two_prod(c[:, 1:], np.arange(1.0, K))  # L' = a + a_lo exactly (a: rounded, inside γ for the cells)
    absa = np.abs(a)
    edges = lo + (hi - lo) * np.arange(G + 1) / G
    edges[-1] = hi
    s1, s2 = _cell_signs(a, gamma, edges)
    pv, pb = _eval(a, absa, np.stack([np.full(B, lo), np.full(B, hi)], 1), gamma, a_lo)
    slo, shi = _signs(pv[:, 0], pb[:, 0]), _signs(pv[:, 1], pb[:, 1])
    # 1. runs of cells where the sign of L' is undecided: each must be convex or concave throughout
    und = s1 == 0
    prev = np.concatenate([np.zeros((B, 1), bool), und[:, :-1]], 1)
    nxt = np.concatenate([und[:, 1:], np.zeros((B, 1), bool)], 1)
    r_row, r_s = np.nonzero(und & ~prev)
    _, r_e = np.nonzero(und & ~nxt)
    ncv = np.concatenate([np.zeros((B, 1), int), np.cumsum(s2 != 1, 1)], 1)
    ncc = np.concatenate([np.zeros((B, 1), int), np.cumsum(s2 != -1, 1)], 1)
    conv = (ncv[r_row, r_e + 1] - ncv[r_row, r_s]) == 0
    conc = (ncc[r_row, r_e + 1] - ncc[r_row, r_s]) == 0
    sU = np.where(r_s == 0, slo[r_row], s1[r_row, np.maximum(r_s - 1, 0)])
    sV = np.where(r_e == G - 1, shi[r_row], s1[r_row, np.minimum(r_e + 1, G - 1)])
    rtype = np.full(r_row.size, 9)  # 9: refused
    rtype[conv & (sU < 0) & (sV > 0)] = 1  # one simple root: a local minimum
    rtype[conc & (sU > 0) & (sV < 0)] = -1  # a local maximum
    rtype[(conv | conc) & (sU == sV) & (sU != 0)] = 0  # no root
    ok = np.ones(B, bool)
    ok[r_row[rtype == 9]] = False
    s_lo = np.where(s1[:, 0] != 0, s1[:, 0], slo)
    s_hi = np.where(s1[:, -1] != 0, s1[:, -1], shi)
    ok &= (s_lo != 0) & (s_hi != 0)
    # 2. every critical point: certified bracket [ca, cb], float64 root x
    keep = ok[r_row]
    r_row, r_s, r_e, rtype, sU, sV = (v[keep] for v in (r_row, r_s, r_e, rtype, sU, sV))
    root = rtype != 0
    ca = np.full(r_row.size, np.inf)
    cb = np.full(r_row.size, np.inf)
    xr = np.full(r_row.size, np.inf)
    if root.any():
        ca[root], cb[root], xr[root] = _bracket(a[r_row[root]], a_lo[r_row[root]], absa[r_row[root]], edges[r_s[root]],
                                                edges[r_e[root] + 1], rtype[root], gamma)
    # 3. candidates: lo, the interior minima, hi; values with bounds
    mins = rtype == 1
    lo_c, hi_c = np.flatnonzero(ok & (s_lo > 0)), np.flatnonzero(ok & (s_hi < 0))
    k_row = np.concatenate([lo_c, r_row[mins], hi_c])
    k_x = np.concatenate([np.full(lo_c.size, lo), xr[mins], np.full(hi_c.size, hi)])
    k_ca = np.concatenate([np.full(lo_c.size, lo), ca[mins], np.full(hi_c.size, hi)])
    k_cb = np.concatenate([np.full(lo_c.size, lo), cb[mins], np.full(hi_c.size, hi)])
    k_edge = np.concatenate([np.ones(lo_c.size, bool), np.zeros(int(mins.sum()), bool), np.ones(hi_c.size, bool)])
    v, vb = _eval(c[k_row], absc[k_row], k_x[:, None], gamma)
    with np.errstate(over="ignore", invalid="ignore"):
        slope = _horner(absa[k_row], k_cb[:, None])[:, 0] * (k_cb - k_ca) * SLACK
        k_v, k_d = v[:, 0], vb[:, 0] + slope  # |L(true critical point) − k_v| <= k_d
    if k_row.size == 0:
        return [None] * B
    order = np.lexsort((k_x, k_row))
    k_row, k_x, k_ca, k_cb, k_edge, k_v, k_d = (q[order] for q in (k_row, k_x, k_ca, k_cb, k_edge, k_v, k_d))
    starts = np.searchsorted(k_row, np.arange(B + 1))
    count = np.diff(starts)
    ok &= count > 0
    # the global minimum per row (vectorised): the smallest value, certified below every other
    finite = np.isfinite(k_v) & np.isfinite(k_d)
    fin_row = np.ones(B, bool)
    np.logical_and.at(fin_row, k_row, finite)
    ok &= fin_row
    vkey = np.where(finite, k_v, np.inf)
    by_v = np.lexsort((vkey, k_row))
    first = starts[:-1][count > 0]
    best = np.full(B, -1)
    best[count > 0] = by_v[first]
    bk = np.maximum(best, 0)
    hi_b, lo_b = (k_v + k_d)[bk], (k_v - k_d)[bk]
    is_best = np.arange(k_row.size) == best[k_row]
    sep = is_best | (k_v - k_d > hi_b[k_row])
    sep_row = np.ones(B, bool)
    np.logical_and.at(sep_row, k_row, sep)
    ok &= sep_row
    if nonnegative:  # argmin decides (and refuses) a minimum that may be negative
        ok &= lo_b > 0
    ok &= (lo_b > 0) | (hi_b < 0)
    amin_lo = np.where(lo_b > 0, lo_b, -hi_b)
    amin_hi = np.where(lo_b > 0, hi_b, -lo_b)
    far = (k_v - k_d) - hi_b[k_row] > NEAR_TOL * amin_hi[k_row] * SLACK  # certainly not within 1 %
    near = ~is_best & ((k_v + k_d) - lo_b[k_row] <= NEAR_TOL * amin_lo[k_row] / SLACK)  # certainly within 1 %
    dec = is_best | far | near
    dec_row = np.ones(B, bool)
    np.logical_and.at(dec_row, k_row, dec)
    ok &= dec_row
    best[~ok] = -1
    bounds: list = [None] * B
    if e is not None:
        # 4. resolution by the error bound (rows with a non-zero error bound)
        rows = np.flatnonzero((best >= 0) & np.any(e > 0, axis=1))
        if rows.size:
            kb = best[rows]
            run_info = (r_row, r_s, r_e, sU, sV, ca, cb)
            okb, lb, rb = _resolved(c[rows], absc[rows], e[rows], k_x[kb], k_ca[kb], k_cb[kb], k_v[kb] + k_d[kb],
                                    s1[rows], edges, run_info, rows, lo, hi, gamma)
            best[rows[~okb]] = -1
            for j in np.flatnonzero(okb):
                bounds[rows[j]] = (float(lb[j]), float(rb[j]))
    res: list[Argmin | None] = [None] * B
    xs, vs, eds = k_x.tolist(), k_v.tolist(), k_edge.tolist()
    nears = near.tolist()
    for i in np.flatnonzero(best >= 0).tolist():
        j0, j1 = int(starts[i]), int(starts[i + 1])
        mins_i = tuple(LocalMin(xs[j], vs[j], eds[j]) for j in range(j0, j1))
        m = mins_i[int(best[i]) - j0]
        res[i] = Argmin(eta=m.eta, value=m.value, interval=(lo, hi), on_boundary=m.on_boundary, local_minima=mins_i,
                        near_minima=tuple(mins_i[j - j0] for j in range(j0, j1) if nears[j]), eta_bounds=bounds[i])
    return res


def _mid(A, B):
    """The midpoint of [A, B] (0 <= A <= B) in the ordering of float64 bit patterns: bisection on it
    reaches adjacent floats in at most 64 steps, whatever the magnitudes (a root at 1e-143 in [0, 1])."""
    ia, ib = A.view(np.int64), B.view(np.int64)
    return (ia + (ib - ia) // 2).view(np.float64)


def _bracket(a, a_lo, absa, U, V, direction, gamma):
    """Bisection for the one root of L' in [U, V] (L' increasing for direction 1, decreasing for -1):
    the certified bracket (each step on a certified sign) and the float64 root inside it (where the
    compensated value of L' changes sign)."""
    A, B = U.copy() + 0.0, V.copy() + 0.0  # (+ 0.0: no negative zero in the bit ordering)
    live = np.ones(A.size, dtype=bool)
    for _ in range(BISECT_STEPS):  # plain Horner while its bound decides the sign
        if not live.any():
            break
        mid = _mid(A, B)
        live &= (mid > A) & (mid < B)
        v, b = _eval_plain(a, absa, mid[:, None], gamma)
        v, b = v[:, 0] * direction, b[:, 0]
        live &= np.abs(v) > b  # (the low parts a_lo are inside γ here)
        A = np.where(live & (v < 0), mid, A)
        B = np.where(live & (v > 0), mid, B)
    EA, EB = A.copy(), B.copy()
    live = np.ones(A.size, dtype=bool)
    for _ in range(BISECT_STEPS):  # then compensated Horner, to adjacent floats
        if not live.any():
            break
        mid = _mid(EA, EB)
        live &= (mid > EA) & (mid < EB)
        v, b = _eval(a, absa, mid[:, None], gamma, a_lo)
        v, b = v[:, 0] * direction, b[:, 0]
        sure = live & (np.abs(v) > b)
        A = np.where(sure & (v < 0), mid, A)
        B = np.where(sure & (v > 0), mid, B)
        EA = np.where(live & (v < 0), mid, EA)
        EB = np.where(live & (v >= 0), mid, EB)
    # pull the certified ends towards the float64 root (they stop where the sign is uncertain)
    for end, near_, want in ((B, EB.copy(), 1), (A, EA.copy(), -1)):
        for _ in range(BISECT_STEPS):
            mid = _mid(np.minimum(end, near_), np.maximum(end, near_))
            live = (mid != end) & (mid != near_)
            if not live.any():
                break
            v, b = _eval(a, absa, mid[:, None], gamma, a_lo)
            ok = live & (v[:, 0] * direction * want > b[:, 0])
            end[...] = np.where(ok, mid, end)
            near_ = np.where(live & ~ok, mid, near_)
    va = np.abs(_eval(a, absa, EA[:, None], gamma, a_lo)[0][:, 0])
    vb = np.abs(_eval(a, absa, EB[:, None], gamma, a_lo)[0][:, 0])
    x = np.where(va < vb, EA, EB)
    # answer only where the certified bracket pins the root to the float64 resolution of argmin's η
    tight = (B - A) <= BRACKET_ULPS * np.spacing(np.maximum(np.abs(x), 1e-300))
    return A, np.where(tight, B, np.nan), x


def _resolved(c, absc, e, x, ca, cb, vmin_hi, s1, edges, run_info, rows, lo, hi, gamma):
    """Step 4 of the module docstring, for rows ``rows`` of the pass: whether S lies within the
    shrunk ETA_RTOL window of x, and an enclosure of S."""
    B = c.shape[0]
    G = edges.size - 1
    ge = _gamma(e.shape[1])

    def e_up(z):  # e has non-negative coefficients and z >= 0: an upper bound of e(z)
        return _horner(e, z) * (1 + ge) * SLACK + TINY

    def p_lo(z):
        v, b = _eval(c, absc, z, gamma)
        return v - b

    with np.errstate(over="ignore", invalid="ignore"):
        C = vmin_hi + e_up(cb[:, None])[:, 0]  # >= L(η*) + e(η*) and >= argmin's own threshold
        tol = ETA_RTOL * RTOL_SHRINK * np.where(x > 0, x, hi - lo)
        ap = np.maximum(lo, x - tol)
        bp = np.minimum(hi, x + tol)
        ok = (ap <= ca) & (bp >= cb) & (cb - ca <= 1e-7 * tol)  # argmin's η* is in [ca, cb]: its window covers ours
        # per cell: the left piece [u, min(v, ca)] with the direction of L' there, and the right piece
        r_row, r_s, r_e, sU, sV, rca, rcb = run_info
        pos = np.full(max(rows.max(), r_row.max() if r_row.size else 0) + 1, -1)
        pos[rows] = np.arange(B)
        sel = pos[r_row] >= 0
        rr, rs, re_, rsU, rsV, rca, rcb = (q[sel] for q in (r_row, r_s, r_e, sU, sV, rca, rcb))
        rr = pos[rr]
        dl = s1.astype(float).copy()
        dr = dl.copy()
        cca = np.full((B, G), np.inf)
        ccb = np.full((B, G), np.inf)
        run_len = re_ - rs + 1
        cell_r = np.repeat(rr, run_len)  # every cell of every run
        cell_k = np.repeat(np.arange(rr.size), run_len)
        cell_c = np.arange(cell_r.size) - np.repeat(np.cumsum(run_len) - run_len, run_len) + np.repeat(rs, run_len)
        dl[cell_r, cell_c], dr[cell_r, cell_c] = rsU[cell_k], rsV[cell_k]
        cca[cell_r, cell_c], ccb[cell_r, cell_c] = rca[cell_k], rcb[cell_k]
        inwin = np.isfinite(rca) & ~((rcb < ap[rr]) | (rca > bp[rr])) & (rca != ca[rr])  # another critical point in the window
        np.logical_and.at(ok, rr, ~inwin)
        u = np.broadcast_to(edges[:-1], (B, G))
        v = np.broadcast_to(edges[1:], (B, G))
        pieces = [(u, np.minimum(v, cca), dl), (np.maximum(u, ccb), v, dr)]
        A_, B_ = ap[:, None], bp[:, None]
        for s0, s1_, d in pieces:
            for t0, t1, valid in ((s0, np.minimum(s1_, A_), s0 < A_), (np.maximum(s0, B_), s1_, s1_ > B_)):
                valid = valid & (t0 <= t1)
                z = np.where(d < 0, t1, t0)
                pv, pb = _eval_plain(c, absc, np.where(valid, z, lo), gamma)
                lb = pv - pb - e_up(np.where(valid, t1, lo)) - C[:, None]
                ok &= np.all(~valid | (lb > 0), axis=1)
        # other critical points' brackets (outside the window): L >= L(ca) − max|L'|·(cb − ca) there
        other = np.isfinite(rca) & (rca != ca[rr])
        if other.any():
            i, za, zb = rr[other], rca[other], rcb[other]
            absa = np.abs(c[i, 1:]) * np.arange(1, c.shape[1])
            pl = _eval_plain(c[i], absc[i], za[:, None], gamma)
            lbk = (pl[0][:, 0] - pl[1][:, 0] - _horner(absa, zb[:, None])[:, 0] * (zb - za) * SLACK
                   - (_horner(e[i], zb[:, None])[:, 0] * (1 + ge) * SLACK + TINY) - C[i])
            np.logical_and.at(ok, i, lbk > 0)

        # enclosure of S: bisection on the monotone bounds next to the minimiser
        def low_left(z):  # lower bound of L − e − C on [lo, z] while L decreases up to z
            return p_lo(z[:, None])[:, 0] - e_up(z[:, None])[:, 0] - C

        def low_right(z, zr):  # lower bound of L − e − C on [z, zr] while L increases from z
            return p_lo(z[:, None])[:, 0] - e_up(zr[:, None])[:, 0] - C

        L0, L1 = ap.copy(), ca.copy()
        for _ in range(ENCLOSE_STEPS):
            mid = L0 + (L1 - L0) / 2
            good = low_left(mid) > 0
            L0, L1 = np.where(good, mid, L0), np.where(good, L1, mid)
        R0, R1 = cb.copy(), bp.copy()
        for _ in range(ENCLOSE_STEPS):
            mid = R0 + (R1 - R0) / 2
            good = low_right(mid, bp) > 0
            R0, R1 = np.where(good, R0, mid), np.where(good, mid, R1)
        lb_ = np.where((ap > lo) | (low_left(ap) > 0), L0, ap)
        rb_ = np.where((bp < hi) | (low_right(bp, bp) > 0), R1, bp)
    return ok & np.isfinite(C), np.minimum(lb_, x), np.maximum(rb_, x)


def certified_argmins(polys, lo: float, hi: float) -> list[Argmin]:
    """:func:`polylr.argmin` of each :class:`~polylr.EtaPoly` in ``polys`` (float64, one degree),
    taking the vectorised fast path where it proves the answer and the exact path elsewhere
    (which may raise :class:`~polylr.NotResolved`, as :func:`polylr.argmin` does)."""
    polys = list(polys)
    if not polys:
        return []
    if not all(isinstance(p, EtaPoly) and p.domain == "float64" for p in polys):
        raise PolylrError("certified_argmins needs float64 EtaPoly polynomials")
    K = max(p.coeffs.size for p in polys)
    pad = lambda v: np.pad(np.asarray(v, dtype=np.float64), (0, K - np.size(v)))  # noqa: E731
    c = np.stack([pad(p.coeffs) for p in polys])
    e = np.stack([pad(p.error) if p.error is not None else np.zeros(K) for p in polys])
    fast = []
    for nonneg in (False, True):
        sel = [i for i, p in enumerate(polys) if bool(p.nonnegative) == nonneg]
        if sel:
            r = fast_argmins(c[sel], lo, hi, errors=e[sel], nonnegative=nonneg)
            fast += list(zip(sel, r))
    fast_map = dict(fast)
    return [fast_map[i] if fast_map[i] is not None else argmin(p, lo, hi) for i, p in enumerate(polys)]
