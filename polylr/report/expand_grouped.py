r"""Finite-width expansion of f^(t) grouped by contraction: the summed data indices folded into c^(s).

The index-expanded engine (:mod:`polylr.engines.expand`) writes each update ``−(ηλ/m) Σ_i χ_i b h(x_i)ᵀ``
with an explicit summed index ``i`` and then expands ``χ_i = f(x_i) − y_i``, so every term of
``f^(s)`` is copied into every later step with fresh indices: ``(L, t) = (3, 2)`` makes ~1.7·10⁷ raw
terms. But every summed index is contracted the same way, ``Σ_i χ_i^(s) W_0 x_i = m W_0 c^(s)``
with ``c^(s) = Xᵀχ^(s)/m``: grouping the terms by that contraction pattern, the update is
``−ηλ b (W_0 c^(s))ᵀ`` and

    f^(t)(x) = Σ_p (−ηλ)^p Q_p(x),     χ^(s) = f^(s)(X) − y,     c^(s) = Xᵀχ^(s)/m,

where ``Q_p`` is an integer combination of products of *words* ``e_aᵀ M e_b`` whose ends are ``V``,
``W_0 x`` or ``W_0 c^(s)`` (s < t), with no summed index left. ``c^(s)`` is itself an η-polynomial
(through ``f^(s)``), so the expansion is a recursion over the steps: it is given for every
``s ≤ t``. Terms: (2, 2) 15 (index-expanded: 411), (3, 2) 144, (2, 3) 55, (2, 4) 200, (4, 2) 3077,
(3, 3) 12835 (7 s).

Representation as in :mod:`polylr.engines.expand` (words ``(a, letters, b)``, letters ``±l``), with the
end ``-2 - s`` for ``W_0 c^(s)`` (``-1``: V, ``0``: the output point x).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass

from fractions import Fraction

import numpy as np

from ..core.errors import PolylrError, check_int
from ..engines.expand import V_END, Counting, apply_letters, evaluation_inputs, orient, run_program, Saturated, sci, Symbolic
from ..engines.scaling import word_scaling
from ..core.setup import MUP, Setup
from .derive import tex_product

# Largest raw-term estimate attempted (see estimate_grouped_terms). Measured (2 cores): (3, 3),
# 74088 raw terms, 7 s; (4, 2), 10000, 1.8 s; (3, 2) 216 and (2, 3) 64, 0.01 s.
MAX_GROUPED_RAW_TERMS = 100_000
# Largest number of terms typeset in a document.
MAX_DOCUMENT_TERMS = 4000


def c_end(s: int) -> int:
    """The word end standing for ``W_0 c^(s)``."""
    return -2 - s


def end_step(e: int) -> int | None:
    """``s`` for the end ``W_0 c^(s)``, else None."""
    return -2 - e if e <= -2 else None


class _Grouped(Symbolic):
    """The expansion with the update's summed index folded into ``c^(s)``; keeps every step's f."""

    def __init__(self):
        self.steps_f = []

    def chi(self, f):
        self.steps_f.append(f)
        return None

    def feature_sum(self, chi):
        # −ηλ W_0 c^(s): one power of η (the first slot counts η powers, not summed indices)
        return {(1, (), (), ((), c_end(len(self.steps_f) - 1))): 1}

    def tidy(self, expr):
        out = defaultdict(int)
        for (p, words, ys, vec), c in expr.items():
            out[(p, tuple(sorted(orient(w) for w in words)), ys, vec)] += c
        return {k: c for k, c in out.items() if c}


class _GroupedCounting(Counting):
    def feature_sum(self, chi):
        return 1


def estimate_grouped_terms(depth: int, steps: int) -> int:
    """Raw terms the grouped expansion creates before collecting (saturates at 10^30, cheap)."""
    depth = check_int("depth L", depth, lo=1)
    steps = check_int("steps t", steps, lo=1)
    if depth > 64:
        return 10**30
    try:
        return run_program(_GroupedCounting(), depth, steps)
    except Saturated:
        return 10**30


@dataclass(frozen=True, eq=False)
class GroupedExpansion:
    """``f^(s)(x) = Σ_p (−ηλ)^p Σ_j c_{p,j} Π words`` for s = 0..t.

    ``steps_coefficients[s][p]`` is a sorted tuple of ``(words, c)``: words ``(a, letters, b)`` with
    ends ``-1`` (V), ``0`` (the output point x) and ``-2 - r`` (``W_0 c^(r)``, r < s).
    """

    depth: int
    steps: int
    steps_coefficients: tuple

    @property
    def coefficients(self) -> tuple:
        """The terms of ``f^(t)`` per power p of ``(−ηλ)``."""
        return self.steps_coefficients[self.steps]

    @property
    def term_counts(self) -> tuple[tuple[int, ...], ...]:
        """Terms per power p, for every step s = 0..t."""
        return tuple(tuple(len(c) for c in cs) for cs in self.steps_coefficients)

    @property
    def words(self) -> tuple:
        """Every distinct word (oriented), sorted."""
        return tuple(sorted({w for cs in self.steps_coefficients for c in cs for ws, _ in c for w in ws}))

    def evaluate(self, setup: Setup, W0, Ws, V) -> np.ndarray:
        """η-coefficients of ``f^(t)(x_i)`` at the training points for given initial weights, an array
        ``(degree + 1, m)`` (what :func:`polylr.polys_from_weights` gives), by running the recursion:
        ``f^(s)`` gives ``c^(s)``, which enters the words of later steps."""
        W0, Ws, V, lam = evaluation_inputs(setup, self.depth, self.steps, W0, Ws, V)
        X, y = setup.data.X, setup.data.y
        m = X.shape[0]
        ends = {V_END: V[None, :, None], 0: (W0 @ X.T)[None]}  # (degree + 1, n, k): k = 1, or m for x
        out = None
        for s, coeffs in enumerate(self.steps_coefficients):
            memo: dict = {}
            f = np.zeros((1, m))
            for p, terms in enumerate(coeffs):
                for words, c in terms:
                    val = np.full((1, 1), float(c) * (-lam) ** p)
                    for w in words:
                        val = _pmul(val, _word_value(w, ends, Ws, memo))
                    f = _padd(f, np.concatenate([np.zeros((p,) + val.shape[1:]), val]))
            out = np.broadcast_to(f, (f.shape[0], m)) if f.shape[1] == 1 else f
            if s < self.steps:
                chi = out.copy()
                chi[0] = chi[0] - y
                cs = chi @ X / m  # (degree + 1, d): c^(s)
                ends[c_end(s)] = np.einsum("nd,kd->kn", W0, cs)[:, :, None]
        return np.ascontiguousarray(out)


def _pmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of polynomial arrays (axis 0: powers of η; axis 1 broadcasts)."""
    out = np.zeros((a.shape[0] + b.shape[0] - 1, max(a.shape[1], b.shape[1])))
    for i in range(a.shape[0]):
        out[i : i + b.shape[0]] += a[i] * b
    return out


def _padd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    k = max(a.shape[1], b.shape[1])
    out = np.zeros((max(a.shape[0], b.shape[0]), k))
    out[: a.shape[0]] += a
    out[: b.shape[0]] += b
    return out


def _apply_stack(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("ab,dbk->dak", M, v)  # M applied to each η-coefficient of v (degree + 1, n, k)


def _word_value(w, ends, Ws, memo) -> np.ndarray:
    """``e_aᵀ M e_b`` as a polynomial array ``(degree + 1, k)`` (k = m when an end is x, else 1)."""
    a, lets, b = w
    left, r = ends[a], apply_letters(lets, b, ends, Ws, memo, _apply_stack)
    out = np.zeros((left.shape[0] + r.shape[0] - 1, left.shape[2] * r.shape[2]))
    for i in range(left.shape[0]):
        out[i : i + r.shape[0]] += np.einsum("nk,dnj->dkj", left[i], r).reshape(r.shape[0], -1)
    return out


@functools.lru_cache(maxsize=16)
def expand_grouped(depth: int, steps: int, *, max_terms: int = MAX_GROUPED_RAW_TERMS) -> GroupedExpansion:
    """The grouped expansion (see the module docstring). Refused before any work when the cheap
    raw-term estimate (:func:`estimate_grouped_terms`) exceeds ``max_terms``."""
    depth = check_int("depth L", depth, lo=1)
    steps = check_int("steps t", steps, lo=1)
    est = estimate_grouped_terms(depth, steps)
    if est > max_terms:
        raise PolylrError(
            f"the grouped expansion of f^({steps}) at depth L = {depth} would create "
            f"{'' if est >= 10**30 else 'about '}{sci(est)} raw terms, beyond its limit of {sci(max_terms)} "
            "(it allows e.g. (L, t) = (3, 3) and (4, 2)); use the numeric engine "
            "polylr.finite_width_polys"
        )
    ops = _Grouped()
    f = run_program(ops, depth, steps)
    steps_coefficients = []
    for fs in ops.steps_f + [f]:
        by_power = defaultdict(list)
        for (p, words, _, _), c in fs.items():
            by_power[p].append((words, c))
        deg = max(by_power, default=0)
        steps_coefficients.append(tuple(tuple(sorted(by_power.get(p, ()))) for p in range(deg + 1)))
    return GroupedExpansion(depth, steps, tuple(steps_coefficients))


# -- the document ------------------------------------------------------------------------------


def _end_tex(e: int, side: str) -> str:
    if e == V_END:
        return "V^\\top" if side == "left" else "V"
    s = end_step(e)
    if s is None:
        return r"x^\top W_0^\top" if side == "left" else r"W_0 x"
    return rf"c^{{({s})\top}} W_0^\top" if side == "left" else rf"W_0 c^{{({s})}}"


def _word_tex(w) -> str:
    a, lets, b = w
    mid = " ".join(rf"W_{abs(l)}" + ("" if l > 0 else "^\\top") for l in lets)
    return " ".join(p for p in (_end_tex(a, "left"), mid, _end_tex(b, "right")) if p)


def _end_name(e: int) -> str:
    return "x" if e == 0 else rf"c^{{({end_step(e)})}}"


def _end_key(e: int):
    return (0, 0) if e == 0 else (1, end_step(e))


def _word_limit_pairs(word, lim: dict) -> dict:
    """A word's limit polynomial with its data ends named: ``{((e1, e2), ...): count}``."""
    a, _, b = word
    ends = {1: a if a != V_END else b, 2: b}
    out: dict = defaultdict(int)
    for kp, c in lim.items():
        pairs = tuple(sorted(tuple(sorted((ends[u], ends[v]), key=_end_key)) for u, v in kp))
        out[pairs] += c
    return dict(out)


def _k_tex(pairs) -> str:
    return tex_product([rf"K({_end_name(e1)}, {_end_name(e2)})" for e1, e2 in pairs])


def _poly_tex(poly: dict) -> list[str]:
    """Signed monomials ``c Π K(·,·)`` (the first unsigned when positive)."""
    terms = []
    for i, (pairs, c) in enumerate(sorted(poly.items(), key=lambda kv: (len(kv[0]), [(_end_key(a), _end_key(b)) for a, b in kv[0]]))):
        body = _k_tex(pairs)
        mag = str(abs(c)) if abs(c) != 1 or not body else ""
        sep = r"\," if mag and body else ""
        sign = "-" if c < 0 else ("+" if i else "")
        terms.append(f"{sign} {mag}{sep}{body}".strip() if i else f"{sign}{mag}{sep}{body}")
    return terms


def collected_limit(exp: GroupedExpansion, s: int) -> tuple[dict, ...]:
    """``lim_n [(−η)^p] f^(s)(x)`` under μP for every p, as ``{((e1, e2), ...): coefficient}``: products of
    ``K(e1, e2)`` with ends ``0`` (x) and ``-2 - r`` (c^(r)). Raises when not determined word by word."""
    keep, undetermined = _limit_terms(exp, s)
    if undetermined:
        raise PolylrError(
            f"the word-by-word limit of f^({s}) at depth {exp.depth} is not determined for the powers "
            f"{undetermined} of eta (a term of order >= 0 holds a word that does not concentrate)"
        )
    out = [defaultdict(int) for _ in exp.steps_coefficients[s]]
    for p, c, wl in keep:
        acc = {(): c}
        for w, lim in wl:
            nxt: dict = defaultdict(int)
            for k1, c1 in acc.items():
                for k2, c2 in _word_limit_pairs(w, lim).items():
                    nxt[tuple(sorted(k1 + k2, key=lambda pr: (_end_key(pr[0]), _end_key(pr[1]))))] += c1 * c2
            acc = nxt
        for k, v in acc.items():
            out[p][k] += v
    return tuple({k: v for k, v in d.items() if v} for d in out)


def derive_grouped(depth: int, steps: int, fmt: str = "markdown") -> str:
    """The grouped finite-width derivation of ``f^(t)`` as a Markdown or LaTeX document: the words
    (ends V, W_0 x, W_0 c^(s)) and, for every step s ≤ t, the terms of ``f^(s)`` per power of η."""
    from .derive import render_md, render_tex
    from ..engines.expand import estimate_terms

    if fmt not in ("markdown", "latex"):
        raise PolylrError(f"fmt must be one of ('markdown', 'latex'), got {fmt!r}")
    exp = expand_grouped(depth, steps)
    total = sum(sum(c) for c in exp.term_counts)
    if total > MAX_DOCUMENT_TERMS:
        raise PolylrError(
            f"the grouped expansion at depth L = {depth}, steps t = {steps} has {total} terms, beyond the "
            f"{MAX_DOCUMENT_TERMS} a document typesets; polylr.expand_grouped({depth}, {steps}) gives them"
        )
    L, t = exp.depth, exp.steps
    names = {w: i + 1 for i, w in enumerate(exp.words)}
    chain = " ".join(f"W_{l}" for l in range(L, 0, -1)) if L <= 3 else rf"W_{L} \cdots W_1"
    indexed = estimate_terms(L, t)
    d_t = 0
    for _ in range(t):
        d_t = 1 + (2 * L - 1) * d_t
    B = [
        ("h1", rf"Derivation grouped by contraction: $f^{{({t})}}$ of a depth-{L} linear network after {t} gradient step{'s' if t > 1 else ''}"),
        ("p", f"Generated by `polylr.derive_grouped({L}, {t})`; do not edit by hand (regenerate with `polylr.write_grouped_proofs`)."),
        ("h2", "Set-up"),
        ("p", rf"Network $f(x) = V^\top {chain} W_0 x$, the hidden layers trained by full-batch gradient descent with "
              r"learning rate $\eta\lambda$ on $\frac{1}{2m}\sum_i (f(x_i) - y_i)^2$ ($W_0$, $V$ fixed; $\lambda = n^{-c}$ "
              r"as in `polylr.derive`). With residuals $\chi^{(s)} = f^{(s)}(X) - y$ and backward vectors $b_\ell$, the "
              r"update of layer $\ell$ is rank one, and its data sum is one contraction:"),
        ("math", r"W_\ell^{(s+1)} = W_\ell^{(s)} - \eta\lambda\, b_\ell^{(s)}\, \big(W_{\ell-1}^{(s)}\cdots W_1^{(s)} W_0\, c^{(s)}\big)^\top, "
                 r"\qquad c^{(s)} = \frac{1}{m} X^\top \chi^{(s)} \in \mathbb R^d ."),
        ("p", r"Multiplying out gives, for every step $s$,"),
        ("math", r"f^{(s)}(x) = \sum_{p} (-\eta\lambda)^p\, Q^{(s)}_p(x),"),
        ("p", r"each $Q^{(s)}_p$ an integer combination of products of the scalar *words* $\omega$ below, whose ends are $V$, "
              r"$W_0 x$ or $W_0 c^{(r)}$ ($r < s$). The $c^{(r)}$ depend on $\eta$ through $f^{(r)}$, so this is a recursion: "
              rf"$f^{{(0)}}$ gives $c^{{(0)}}$, which enters $f^{{(1)}}$, and so on up to $f^{{({t})}}$ (of degree "
              rf"{L * d_t} in $\eta$ once the $c^{{(r)}}$ are substituted). Grouping every data index into the contraction "
              rf"$c^{{(r)}}$ leaves {sum(exp.term_counts[t])} terms in $f^{{({t})}}$; expanding the indices instead "
              rf"(`polylr.expand`) would create {'more than 1.00e30' if indexed >= 10**30 else 'about ' + sci(indexed)} raw terms."),
        ("p", "`GroupedExpansion.evaluate` runs this recursion on given weights; the tests compare it with gradient descent "
              "and with the numeric engine `polylr.polys_from_weights` under μP, SP and NTP. Below, each step ends with its "
              "μP limit, read off term by term (`polylr.grouped_limit`)."),
        ("h2", "Words"),
        ("p", r"Orders in the width $n$ under μP (`polylr.word_scaling`, Wick pairings; an end $W_0 c^{(r)}$ counts as a data "
              r"point, since $W_0 c^{(r)} = \frac1m \sum_i \chi^{(r)}_i W_0 x_i$ and $\chi^{(r)}$ converges), and the limit of "
              r"$n^{-\mathrm{order}}\,\omega$ when the word concentrates, with $K(u, v) = u^\top v/d$ extended linearly: "
              r"$K(x, c^{(r)}) = \frac1m (K\chi^{(r)})(x)$, $K(c^{(r)}, c^{(q)}) = \frac{1}{m^2}\chi^{(r)\top} K \chi^{(q)}$."),
        ("table", ["word", "definition", "order (μP)", r"limit of $n^{-\mathrm{order}}\omega$ (μP)"],
         [[rf"$\omega_{{{names[w]}}}$", f"${_word_tex(w)}$", f"${_frac_tex(word_scaling(w, MUP).order)}$",
           _word_limit_cell(w)] for w in exp.words]),
    ]
    for s in range(1, t + 1):
        coeffs = exp.steps_coefficients[s]
        B.append(("h2", rf"Step {s}: $f^{{({s})}}(x)$, {sum(len(c) for c in coeffs)} terms"))
        for p, terms in enumerate(coeffs):
            if not terms:
                continue
            rows = []
            for words, c in terms:
                body = r"\,".join(rf"\omega_{{{names[w]}}}" for w in words) or "1"
                sign = "-" if c < 0 else ""
                order = sum((word_scaling(w, MUP).order for w in words), Fraction(0))
                rows.append([f"${sign}{'' if abs(c) == 1 else str(abs(c)) + chr(92) + ','}{body}$", f"${_frac_tex(order)}$"])
            B.append(("p", rf"$Q^{{({s})}}_{{{p}}}$ (coefficient of $(-\eta\lambda)^{{{p}}}$), {len(terms)} term{'s' if len(terms) != 1 else ''}:"))
            B.append(("table", ["term", "order (μP)"], rows))
        B += _limit_blocks(exp, s)
    from ..engines.tp import limit_polys
    from ..core.setup import Data

    setup = Setup(data=Data.synthetic(), depth=L, steps=t)
    if grouped_limit(setup).outputs != limit_polys(setup, exact=True).outputs:
        raise PolylrError(f"grouped limit and limit engine disagree at L = {L}, t = {t} (a bug; please report)")
    B.append(("h2", "Check against the Tensor-Programs limit"))
    B.append(("p", rf"Substituting $\chi_\infty^{{(r)}} = f_\infty^{{(r)}}(X) - y$ step by step, this limit equals the "
                   rf"Tensor-Programs limit engine's polynomials (`polylr.limit_polys(setup, exact=True)`) exactly, as rational "
                   rf"polynomials in $\eta$, on the built-in data set `{setup.data.source}` (checked when this document was "
                   "generated; the tests repeat it on random rational data)."))
    return render_md(B) if fmt == "markdown" else render_tex(B)


def _frac_tex(q) -> str:
    q = Fraction(q)
    if q.denominator == 1:
        return str(q.numerator)
    return ("-" if q < 0 else "") + rf"\tfrac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def _word_limit_cell(w) -> str:
    ws = word_scaling(w, MUP)
    if not ws.deterministic:
        return "does not concentrate"
    terms = _poly_tex(_word_limit_pairs(w, ws.limit))
    return "$" + (" ".join(terms) or "0") + "$"


def _limit_blocks(exp: GroupedExpansion, s: int) -> list:
    """The μP limit of f^(s), collected, as aligned lines."""
    lims = collected_limit(exp, s)
    lines = []
    for p, poly in enumerate(lims):
        if not poly:
            continue
        terms = _poly_tex(poly)
        chunks = [" ".join(terms[i : i + 4]) for i in range(0, len(terms), 4)]
        head = "" if p == 0 else (r"(-\eta)" if p == 1 else rf"(-\eta)^{{{p}}}")
        for j, chunk in enumerate(chunks):
            open_ = (head + r"\,\bigl(" if head else r"\bigl(") if j == 0 else ""
            close = r"\bigr)" if j == len(chunks) - 1 else ""
            if not lines:
                lines.append(rf"f_\infty^{{({s})}}(x) &= {open_}{chunk}{close}")
            else:
                lines.append(rf"&\quad {'+ ' if j == 0 else ''}{open_}{chunk}{close}")
    block = [("p", rf"Under μP ($\lambda = 1$) terms of negative order vanish and every term of order 0 has concentrating "
                   rf"words, so $f^{{({s})}}(x)$ tends to (equal products collected; $c^{{(r)}}$ stands for its limit "
                   rf"$X^\top \chi_\infty^{{(r)}}/m$):")]
    if lines:
        block.append(("align", lines))
    else:
        block.append(("math", rf"f_\infty^{{({s})}}(x) = 0 ."))
    return block


GROUPED_PROOF_CASES = ((3, 2), (2, 3))


def grouped_proof_files() -> dict:
    """File name -> (depth, steps, format) for every document :func:`write_grouped_proofs` writes."""
    out = {}
    for L, t in GROUPED_PROOF_CASES:
        out[f"derivation_grouped_L{L}_t{t}.md"] = (L, t, "markdown")
        out[f"derivation_grouped_L{L}_t{t}.tex"] = (L, t, "latex")
    return out


def write_grouped_proofs(folder):
    """Write the grouped derivations of :data:`GROUPED_PROOF_CASES` into ``folder`` (atomically)."""
    from pathlib import Path

    from .render import write_files

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_files(folder, {name: derive_grouped(L, t, fmt).encode() for name, (L, t, fmt) in grouped_proof_files().items()})


# -- the μP limit, word by word --------------------------------------------------------------


def _limit_terms(exp: GroupedExpansion, s: int):
    """The order-0 terms of f^(s) under μP with their word limits, or the powers left undetermined.

    A word with a ``W_0 c^(r)`` end is ``Σ_i (χ_i^(r)/m)`` times the word with the end ``W_0 x_i``, and
    ``χ^(r)`` converges, so its order and limit are those of a data-point word with ``x_i -> c^(r)``
    (``K(c^(r), x) = (Kχ^(r))(x)/m``, ``K(c^(r), c^(q)) = χ^(r)ᵀKχ^(q)/m²``)."""
    keep, undetermined = [], set()
    for p, terms in enumerate(exp.steps_coefficients[s]):
        for words, c in terms:
            scalings = [word_scaling(w, MUP) for w in words]
            order = sum((ws.order for ws in scalings), 0)  # μP: λ = 1, no −p·hidden_lr
            if order < 0:
                continue
            if order > 0 or not all(ws.deterministic for ws in scalings):
                undetermined.add(p)
                continue
            keep.append((p, c, [(w, ws.limit) for w, ws in zip(words, scalings)]))
    return keep, sorted(undetermined)


def grouped_limit(setup: Setup):
    """The μP limit of ``f^(t)(x_i)`` and ``L^(t)`` read off the grouped expansion word by word (terms of
    negative order vanish; a term of order 0 tends to the product of its word limits, with ``c^(r)``
    replaced by its limit), as an exact :class:`polylr.Limit`: an independent derivation of what the
    Tensor-Programs engine computes. Raises when a power's limit is not determined word by word."""
    import flint

    from ..engines.limit import Limit, check_supported
    from ..core.poly import EtaPoly

    check_supported(setup)
    exp = expand_grouped(setup.depth, setup.steps)
    data = setup.data
    m = data.m
    q = lambda v: flint.fmpq(*float(v).as_integer_ratio())  # noqa: E731  (float data: exact binary rationals)
    X = [[q(v) for v in row] for row in data.X]
    y = [q(v) for v in data.y]
    K = [[sum((X[i][k] * X[j][k] for k in range(data.d)), flint.fmpq(0)) / data.d for j in range(m)] for i in range(m)]
    P = flint.fmpq_poly
    zero = P([])
    chis: list[list] = []  # χ_∞^(r) at the training points (fmpq_poly each)
    Kc: list[list] = []  # (K χ^(r))_i / m
    f = None
    for s in range(setup.steps + 1):
        keep, undetermined = _limit_terms(exp, s)
        if undetermined:
            raise PolylrError(
                f"the word-by-word limit of f^({s}) at depth {setup.depth} is not determined for the powers "
                f"{undetermined} of eta (a term of order >= 0 holds a word that does not concentrate)"
            )

        def kval(e1, e2, i):
            """K(e1, e2) at the output point x_i (ends: 0 = x, -2-r = c^(r))."""
            if e1 == 0 and e2 == 0:
                return P([K[i][i]])
            if e1 == 0 or e2 == 0:
                return Kc[end_step(e2 if e1 == 0 else e1)][i]
            r1, r2 = end_step(e1), end_step(e2)
            return sum((chis[r1][a] * Kc[r2][a] for a in range(m)), zero) * flint.fmpq(1, m)

        f = [zero] * m
        eta_p = [P([0] * p + [(-1) ** p]) for p in range(len(exp.steps_coefficients[s]))]
        for i in range(m):
            acc = zero
            for p, c, wl in keep:
                val = eta_p[p] * c
                for (a, _, b), lim in wl:
                    ends = {1: a if a != V_END else b, 2: b}
                    wv = zero
                    for kp, count in lim.items():
                        prod = P([count])
                        for u, v in kp:
                            prod = prod * kval(ends[u], ends[v], i)
                        wv = wv + prod
                    val = val * wv
                acc = acc + val
            f[i] = acc
        if s < setup.steps:
            chi = [f[i] - y[i] for i in range(m)]
            chis.append(chi)
            Kc.append([sum((chi[j] * K[i][j] for j in range(m)), zero) * flint.fmpq(1, m) for i in range(m)])
    t = setup.steps
    outputs = tuple(EtaPoly(fi, "QQ", label=f"f_\\infty^{{({t})}}(x_{i})") for i, fi in enumerate(f))
    loss = sum(((fi - yi) * (fi - yi) for fi, yi in zip(f, y)), zero) * flint.fmpq(1, 2 * m)
    return Limit(setup, outputs, EtaPoly(loss, "QQ", label=f"L_\\infty^{{({t})}}"))
