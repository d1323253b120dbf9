"""Symbolic engine: f^(t)(x) expanded exactly into an η-polynomial of scalar matrix *words*.

Only the hidden layers W_1..W_L are trained here (the paper's set-up). A gradient step is a
rank-one update (docs/derivations.md): with χ_i = f(x_i) − y_i, b_l = W_{l+1}ᵀ⋯W_Lᵀ V and
h_{l−1}(x) = W_{l−1}⋯W_1 W_0 x,

    W_l^(s+1) = W_l^(s) − (ηλ/m) Σ_i χ_i^(s) b_l^(s) h_{l−1}^(s)(x_i)ᵀ,   λ = n^-hidden_lr,

so every η arrives with one factor −λ/m and one sum over a data index. Hence

    f^(t)(x) = Σ_p (−ηλ/m)^p Σ_{i_1..i_p = 1..m} P_p(x; i_1, …, i_p),

where P_p is an integer combination of *monomials*: products of scalar words and targets y_i.
A word is ``e_aᵀ M e_b`` with ends e ∈ {V, W_0 x_i} and M a product of hidden matrices W_l and
W_lᵀ; a word equals its transpose, and monomials that differ only by renaming summed indices
are equal: both are collected (:func:`canonical`).

Representation (plain tuples rather than sympy expressions: words must be identified with their
transposes and summed indices renamed, which sympy's non-commutative algebra does not do;
symengine ignores ``commutative=False`` altogether):

- end: ``-1`` for V, ``0`` for the output point x, ``k >= 1`` for the summed index i_k;
- letter: ``l`` for W_l, ``-l`` for W_lᵀ;
- word: ``(a, letters, b)`` meaning ``e_aᵀ W_{letters[0]} ⋯ W_{letters[-1]} e_b``;
- monomial: ``(p, words, ys)``: p summed indices 1..p, sorted words, sorted indices of y factors;
- vector term (intermediate): a monomial times the vector ``W_{letters} e_end``.

The expansion is built exactly as the numeric engine computes (one backward chain and one forward
chain per step), on expressions ``{term: integer coefficient}`` instead of coefficient stacks.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..core.errors import PolylrError, check_int
from ..core.setup import Setup

V_END = -1
FREE = 0

# Largest number of raw (uncollected) terms the expansion will attempt (see estimate_terms).
# Measured: L = 2, t = 2 (1089 raw terms) 0.14 s; L = 8, t = 1 (6561) 5 s; L = 3, t = 2
# (1.7e7) did not finish in 13 minutes.
MAX_RAW_TERMS = 10_000
# Tie groups left after colour refinement are resolved by trying every permutation up to this
# many; beyond it the labelling is still valid but equal monomials might not be merged.
_MAX_TIE_PERMUTATIONS = 5040


# -- words ---------------------------------------------------------------------------------


def transpose_word(w):
    """``(e_aᵀ M e_b)ᵀ = e_bᵀ Mᵀ e_a``: reverse the letters and transpose each."""
    a, lets, b = w
    return (b, tuple(-x for x in reversed(lets)), a)


def orient(w):
    """The canonical one of a word and its transpose (they are the same scalar)."""
    t = transpose_word(w)
    return t if t < w else w


def _end_type(e):
    return e if e <= 0 else 1


def _shape(w):
    """The word with its index labels replaced by types (V: -1, x: 0, summed: 1), oriented."""
    a, lets, b = w
    return orient((_end_type(a), lets, _end_type(b)))


def word_kind(w):
    """The word with its ends typed (V: -1, a data point W_0 x_i: 0), oriented: what its value
    depends on, apart from which data points sit at its ends."""
    a, lets, b = w
    return orient((min(a, 0), lets, min(b, 0)))


# -- canonical labelling of summed indices ---------------------------------------------------


def relabel(term, new):
    """Apply the index map ``new`` (list: old bound index -> new) to a term, re-canonicalised."""
    p, words, ys, vec = term

    def r(e):
        return e if e <= 0 else new[e]

    ws = tuple(sorted(orient((r(a), lets, r(b))) for a, lets, b in words))
    y2 = tuple(sorted(r(i) for i in ys))
    v2 = None if vec is None else (vec[0], r(vec[1]))
    return (p, ws, y2, v2)


def canonical(term):
    """The canonical representative of a term under renaming of its summed indices 1..p.

    Colour refinement (each index coloured by the words and targets it sits in, then by its
    neighbours' colours) orders the indices; indices still tied are tried in every order and the
    smallest encoding wins, so two terms that differ by a renaming get the same representative.
    """
    p, words, ys, vec = term
    if p == 0:
        return (0, tuple(sorted(orient(w) for w in words)), ys, vec)
    inc = [[] for _ in range(p + 1)]  # per index: (word shape, which end, other end)
    for w in words:
        a, lets, b = w
        shape = _shape(w)
        fwd = (_end_type(a), lets, _end_type(b)) == shape
        sym = transpose_word(shape) == shape
        for end, other, pos in ((a, b, 0), (b, a, 1)):
            if end > 0:
                side = 2 if sym else (pos if fwd else 1 - pos)
                inc[end].append((shape, side, other))
    colour = [0] * (p + 1)
    base = []
    for i in range(1, p + 1):
        base.append(
            (
                tuple(sorted((s, side, _end_type(o) if o != i else 2) for s, side, o in inc[i])),
                ys.count(i),
                None if vec is None or vec[1] != i else vec[0],
            )
        )
    keys = base
    for _ in range(p + 1):
        ranks = {k: r for r, k in enumerate(sorted(set(keys)))}
        new_colour = [0] + [ranks[k] for k in keys]
        if new_colour == colour:
            break
        colour = new_colour
        keys = [
            (colour[i], tuple(sorted((s, side, colour[o] if o > 0 else o - 10) for s, side, o in inc[i])))
            for i in range(1, p + 1)
        ]
    order = sorted(range(1, p + 1), key=lambda i: colour[i])
    groups = [list(g) for _, g in itertools.groupby(order, key=lambda i: colour[i])]
    n_perm = math.prod(math.factorial(len(g)) for g in groups)
    if n_perm > _MAX_TIE_PERMUTATIONS:  # never within MAX_RAW_TERMS (checked up to L = 8, t = 1)
        groups = [[i] for i in order]
    best = None
    for choice in itertools.product(*(itertools.permutations(g) for g in groups)):
        new = [0] * (p + 1)
        k = 1
        for g in choice:
            for i in g:
                new[i] = k
                k += 1
        cand = relabel(term, new)
        if best is None or cand < best:
            best = cand
    return best


# -- expressions: dicts {term: integer coefficient} ------------------------------------------


def collect(pairs):
    out = defaultdict(int)
    for term, c in pairs:
        out[term] += c
    return {k: c for k, c in out.items() if c}


def _canon_all(expr):
    return collect((canonical(k), c) for k, c in expr.items())


def _shift(term, off, free_to=None):
    """Shift summed indices by ``off``; optionally rename the free index 0 to ``free_to``."""
    p, words, ys, vec = term

    def r(e):
        if e > 0:
            return e + off
        if e == FREE and free_to is not None:
            return free_to
        return e

    return (
        p,
        tuple((r(a), lets, r(b)) for a, lets, b in words),
        tuple(r(i) for i in ys),
        None if vec is None else (vec[0], r(vec[1])),
    )


def _dot(u, v):
    """Scalar expression ``u·v`` of two vector expressions."""
    out = defaultdict(int)
    for t1, c1 in u.items():
        lets1, e1 = t1[3]
        tr = tuple(-x for x in reversed(lets1))
        for t2, c2 in v.items():
            s2 = _shift(t2, t1[0])
            lets2, e2 = s2[3]
            term = (t1[0] + s2[0], t1[1] + s2[1] + ((e1, tr + lets2, e2),), t1[2] + s2[2], None)
            out[term] += c1 * c2
    return out


def _scale(s, v):
    """Scalar expression times vector expression."""
    out = defaultdict(int)
    for t1, c1 in s.items():
        for t2, c2 in v.items():
            s2 = _shift(t2, t1[0])
            out[(t1[0] + s2[0], t1[1] + s2[1], t1[2] + s2[2], s2[3])] += c1 * c2
    return out


def _letter(v, letter):
    """``W_letter v``: prepend a letter to every vector word."""
    return {(p, w, y, ((letter,) + vec[0], vec[1])): c for (p, w, y, vec), c in v.items()}


def _add_into(acc, expr):
    for k, c in expr.items():
        acc[k] = acc.get(k, 0) + c
    return acc


class Symbolic:
    """Expressions as term dicts (the real expansion)."""

    def vector(self, end):
        return {(0, (), (), ((), end)): 1}

    def letter(self, v, letter):
        return _letter(v, letter)

    def dot(self, u, v):
        return _dot(u, v)

    def scale(self, s, v):
        return _scale(s, v)

    def add(self, u, v):
        return _add_into(dict(u), v)

    def chi(self, f):
        """χ(x) = f(x) − y_x."""
        out = dict(f)
        key = (0, (), (FREE,), None)
        out[key] = out.get(key, 0) - 1
        return out

    def feature_sum(self, chi):
        """Σ_i χ_i W_0 x_i with the update's η (one more summed index, i = 1)."""
        return {
            (p + 1, s[1], s[2], ((), 1)): c
            for (p, w, y, _), c in chi.items()
            for s in [_shift((p, w, y, None), 1, free_to=1)]
        }

    def tidy(self, expr):
        return _canon_all(expr)


# Raw-term counts saturate here (every such case is far beyond MAX_RAW_TERMS): the estimate then
# stops at once, so it costs O(L·t²) small-integer operations at most and never builds huge ints
# (unbounded, --steps 10 made a 4300-digit integer and --steps 20 hung).
COUNT_CAP = 10**30
# Depth beyond which the estimate is COUNT_CAP without running: it is 3^L at t = 1, nondecreasing in
# L and t (tests/test_limit_symbolic.py checks both), and 3^64 > 10^30.
_CAP_DEPTH = 64


class Saturated(Exception):
    """A raw-term count reached COUNT_CAP."""


def _sat(k: int) -> int:
    if k >= COUNT_CAP:
        raise Saturated
    return k


class Counting:
    """Expressions as raw term counts (the same recursion, for a cheap size estimate); raises
    :class:`Saturated` when a count reaches :data:`COUNT_CAP`."""

    def vector(self, end):
        return 1

    def letter(self, v, letter):
        return v

    def dot(self, u, v):
        return _sat(u * v)

    scale = dot

    def add(self, u, v):
        return _sat(u + v)

    def chi(self, f):
        return _sat(f + 1)

    def feature_sum(self, chi):
        return chi

    def tidy(self, expr):
        return expr


def run_program(ops, L: int, t: int):
    """f^(t)(x) by t backward/forward sweeps with rank-one updates (see the numeric engine).

    ``updates[l]`` holds pairs ``(b, a)`` with ``W_l^(s) = W_l + Σ b aᵀ``; ``a`` carries the
    update's η (with its −λ/m) and summed index.
    """
    x_vec = ops.vector(FREE)
    updates = [[] for _ in range(L + 1)]
    for s in range(t + 1):
        g = [None] * (L + 1)
        g[L] = ops.vector(V_END)
        for l in range(L, 0, -1):
            v = ops.letter(g[l], -l)
            for b, a in updates[l]:
                v = ops.add(v, ops.scale(ops.dot(b, g[l]), a))
            g[l - 1] = ops.tidy(v)
        f = ops.tidy(ops.dot(x_vec, g[0]))
        if s == t:
            return f
        a = [None] * (L + 1)
        a[1] = ops.tidy(ops.feature_sum(ops.chi(f)))
        for l in range(1, L):
            v = ops.letter(a[l], l)
            for b, a_r in updates[l]:
                v = ops.add(v, ops.scale(ops.dot(a_r, a[l]), b))
            a[l + 1] = ops.tidy(v)
        for l in range(1, L + 1):
            updates[l].append((g[l], a[l]))
    raise AssertionError("unreachable")


def estimate_terms(depth: int, steps: int) -> int:
    """Number of raw terms the expansion of f^(t) creates before collecting (an upper bound on
    the collected count), computed by running the expansion's recursion on term counts only.

    Saturates: returns :data:`COUNT_CAP` (10^30) as soon as any count reaches it (the true count is
    then at least that), so it is cheap for every input (under 0.1 s)."""
    depth = check_int("depth L", depth, lo=1)
    steps = check_int("steps t", steps, lo=1)
    if depth > _CAP_DEPTH:
        return COUNT_CAP
    try:
        return run_program(Counting(), depth, steps)
    except Saturated:
        return COUNT_CAP


def sci(k: int) -> str:
    """A possibly large integer in scientific notation ("more than 1.00e30" at the cap)."""
    if k >= COUNT_CAP:
        return "more than 1.00e30"
    digits = str(int(k))
    return digits if len(digits) <= 4 else f"{digits[0]}.{digits[1:3]}e{len(digits) - 1}"


def check_tractable(depth: int, steps: int, *, max_terms: int = MAX_RAW_TERMS) -> int:
    """The raw-term estimate, or a :class:`PolylrError` naming it when it exceeds ``max_terms``."""
    depth = check_int("depth L", depth, lo=1)
    steps = check_int("steps t", steps, lo=1)
    est = estimate_terms(depth, steps)
    if est > max_terms:
        deepest = 0
        while deepest + 1 < depth and estimate_terms(deepest + 1, steps) <= max_terms:
            deepest += 1
        hint = (
            f"at t = {steps} the symbolic limit allows depth L <= {deepest}"
            if deepest
            else f"at t = {steps} no depth is within the symbolic limit"
        )
        about = "" if est >= COUNT_CAP else "about "
        raise PolylrError(
            f"symbolic expansion of f^({steps}) at depth L = {depth} would create {about}{sci(est)} raw terms, "
            f"beyond the symbolic limit of {sci(max_terms)} raw terms ({hint}); "
            "use the numeric engine polylr.finite_width_polys for larger cases"
        )
    return est


# -- the result ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Expansion:
    """f^(t)(x) = Σ_p (−ηλ/m)^p Σ_{i_1..i_p} Σ_j c_{p,j} · monomial_{p,j}(x; i_1..i_p).

    ``coefficients[p]`` is a tuple of ``(monomial, c)`` pairs (sorted, canonical) for η^p;
    a monomial is ``(words, ys)`` with ``words`` sorted ``(a, letters, b)`` tuples (end -1: V,
    0: the output point x, k: the summed index i_k) and ``ys`` the indices of target factors.
    """

    depth: int
    steps: int
    coefficients: tuple[tuple[tuple[tuple, int], ...], ...]
    raw_terms: int

    @property
    def degree(self) -> int:
        """Highest power of η with a non-zero coefficient."""
        return max((p for p, c in enumerate(self.coefficients) if c), default=-1)

    @property
    def term_counts(self) -> tuple[int, ...]:
        """Number of collected monomials in each η-coefficient."""
        return tuple(len(c) for c in self.coefficients)

    @property
    def words(self) -> tuple[tuple, ...]:
        """Every distinct word kind (:func:`word_kind`), sorted."""
        return tuple(sorted({word_kind(w) for c in self.coefficients for (ws, _), _ in c for w in ws}))

    def evaluate(self, setup, W0, Ws, V, *, with_scale: bool = False):
        """η-coefficients of f^(t)(x_i) at the training points for given initial weights: an array
        ``(degree + 1, m)``, the same as :func:`polylr.polys_from_weights` gives.

        The learning-rate factor λ = n^-hidden_lr enters as a scalar: coefficient p is
        ``(−λ/m)^p Σ_j c_j · Σ_{i_1..i_p} monomial_j``, each monomial a few small ``numpy.einsum`` calls
        over the word values. With ``with_scale``, also returns ``Σ_j |c_j| Σ_{i_1..i_p} |monomial_j|`` (same
        shape): the size of the terms that cancel, the right yardstick for round-off.
        """
        W0, Ws, V, lam = evaluation_inputs(setup, self.depth, self.steps, W0, Ws, V)
        X, y = setup.data.X, setup.data.y
        m = X.shape[0]
        values = word_values(set(self.words), W0, Ws, V, X)
        abs_values = {k: np.abs(v) for k, v in values.items()}
        out = np.zeros((len(self.coefficients), m))
        scale = np.zeros_like(out)
        for p, terms in enumerate(self.coefficients):
            factor = (-lam / m) ** p
            for (words, ys), c in terms:
                ops, subs = _operands(words, ys, values, y)
                out[p] += c * factor * _contract(ops, subs, m)
                if with_scale:
                    ops, _ = _operands(words, ys, abs_values, np.abs(y))
                    scale[p] += abs(c * factor) * _contract(ops, subs, m)
        return (out, scale) if with_scale else out


def evaluation_inputs(setup, depth: int, steps: int, W0, Ws, V):
    """``(W0, Ws, V, λ)``: the weights as float64 arrays, checked against an expansion for
    ``(depth, steps)`` and ``setup`` (hidden-only training, shapes ``(n, d)``, ``(L, n, n)``,
    ``(n,)``), and the hidden learning-rate factor ``λ = n^-hidden_lr``. Shared by the expansions'
    ``evaluate`` methods (index words here, grouped words in :mod:`polylr.report.expand_grouped`)."""
    if not isinstance(setup, Setup):
        raise PolylrError(f"setup must be a polylr.Setup, got {type(setup).__name__}")
    if setup.train != "hidden":
        raise PolylrError(f"the symbolic engine covers train='hidden' only, got train={setup.train!r}")
    if (setup.depth, setup.steps) != (depth, steps):
        raise PolylrError(
            f"the expansion is for depth {depth}, steps {steps}; "
            f"the setup has depth {setup.depth}, steps {setup.steps}"
        )
    W0, Ws, V = (np.asarray(a, dtype=np.float64) for a in (W0, Ws, V))
    n, d, L = V.shape[0] if V.ndim == 1 else -1, setup.data.d, depth
    if V.ndim != 1 or W0.shape != (n, d) or Ws.shape != (L, n, n):
        raise PolylrError(
            f"weights must have shapes W0 (n, {d}), Ws ({L}, n, n), V (n,); "
            f"got {W0.shape}, {Ws.shape}, {V.shape}"
        )
    return W0, Ws, V, setup.param.scales(n, d).hidden_lr


@functools.lru_cache(maxsize=16)
def expand(depth: int, steps: int, *, max_terms: int = MAX_RAW_TERMS) -> Expansion:
    """Exact expansion of f^(t)(x) for a depth-``L`` linear network after ``t`` GD steps on the
    hidden layers.

    Raises :class:`PolylrError` before doing any work when the cheap raw-term estimate
    (:func:`estimate_terms`) exceeds ``max_terms``.
    """
    est = check_tractable(depth, steps, max_terms=max_terms)
    f = run_program(Symbolic(), depth, steps)
    by_power = defaultdict(list)
    for (p, words, ys, _), c in f.items():
        by_power[p].append(((words, ys), c))
    deg = max(by_power)
    coeffs = tuple(tuple(sorted(by_power.get(p, ()))) for p in range(deg + 1))
    return Expansion(depth, steps, coeffs, est)


# -- compilation to numbers ------------------------------------------------------------------


def word_values(shapes, W0, Ws, V, X):
    """Numeric value of each word kind: ``()`` for V..V, ``(m,)`` for one x-end (that end's point),
    ``(m, m)`` for two (rows: the left end)."""
    H = W0 @ X.T  # (n, m): the vectors W_0 x_i
    ends = {-1: V, 0: H}
    memo = {}
    return {s: ends[s[0]].T @ apply_letters(s[1], s[2], ends, Ws, memo) for s in shapes}


def apply_letters(lets, end, ends, Ws, memo: dict, apply=np.matmul):
    """``W_{lets[0]} ⋯ W_{lets[-1]}`` applied to ``ends[end]`` (letter ``l > 0``: ``W_l``; ``l < 0``:
    ``W_{-l}ᵀ``), every suffix memoised in ``memo`` by ``(letters, end)``; ``apply(M, v)`` applies one
    matrix (``M @ v`` by default; the grouped expansion applies it to stacks of η-coefficients)."""
    key = (lets, end)
    if key not in memo:
        if not lets:
            memo[key] = ends[end]
        else:
            l = lets[0]
            M = Ws[l - 1] if l > 0 else Ws[-l - 1].T
            memo[key] = apply(M, apply_letters(lets[1:], end, ends, Ws, memo, apply))
    return memo[key]


def _operands(words, ys, values, y):
    """einsum operands and subscripts of one monomial (summed index k -> letter k, output point
    0 -> 'a')."""
    ops, subs = [], []
    for a, lets, b in words:
        kind = word_kind((a, lets, b))
        val = values[kind] if (min(a, 0), lets, min(b, 0)) == kind else values[kind].T
        idx = [chr(97 + e) for e in (a, b) if e >= 0]
        if len(idx) == 2 and idx[0] == idx[1]:
            val, idx = val.diagonal(), idx[:1]
        ops.append(val)
        subs.append("".join(idx))
    for i in ys:
        ops.append(y)
        subs.append(chr(97 + i))
    return ops, subs


def _contract(ops, subs, m):
    """Σ over the summed indices of Π ops, as a function of the output point (shape ``(m,)``).

    The factors split into groups joined by summed indices; each group is one small einsum
    (a product of sums is much cheaper than one sum over all indices at once)."""
    parent = {}

    def find(c):
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    for sub in subs:
        bound = [c for c in sub if c != "a"]
        for c in bound[1:]:
            parent[find(c)] = find(bound[0])
    groups = {}
    for op, sub in zip(ops, subs):
        bound = [c for c in sub if c != "a"]
        groups.setdefault(find(bound[0]) if bound else None, []).append((op, sub))
    out = np.ones(m)
    for key, items in groups.items():
        spec = ",".join(sub for _, sub in items) + ("->a" if any("a" in sub for _, sub in items) else "->")
        n_idx = len({c for _, sub in items for c in sub})
        out = out * np.einsum(spec, *(op for op, _ in items), optimize="greedy" if n_idx > 3 else False)
    return out
