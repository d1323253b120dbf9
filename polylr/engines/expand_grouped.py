r"""Finite-width expansion of f^(t) grouped by contraction: the summed data indices folded into c^(s).

The index-expanded engine (:mod:`polylr._expand`) writes each update ``−(ηλ/m) Σ_i χ_i b h(x_i)ᵀ``
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

Representation as in :mod:`polylr._expand` (words ``(a, letters, b)``, letters ``±l``), with the
end ``-2 - s`` for ``W_0 c^(s)`` (``-1``: V, ``0``: the output point x).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .._errors import PolylrError, check_int
from .._expand import V_END, _Counting, _orient, _run, _Saturated, _sci, _Symbolic
from .._setup import Setup

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


class _Grouped(_Symbolic):
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
            out[(p, tuple(sorted(_orient(w) for w in words)), ys, vec)] += c
        return {k: c for k, c in out.items() if c}


class _GroupedCounting(_Counting):
    def feature_sum(self, chi):
        return 1


def estimate_grouped_terms(depth: int, steps: int) -> int:
    """Raw terms the grouped expansion creates before collecting (saturates at 10^30, cheap)."""
    depth = check_int("depth L", depth, lo=1)
    steps = check_int("steps t", steps, lo=1)
    if depth > 64:
        return 10**30
    try:
        return _run(_GroupedCounting(), depth, steps)
    except _Saturated:
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
        if not isinstance(setup, Setup):
            raise PolylrError(f"setup must be a polylr.Setup, got {type(setup).__name__}")
        if setup.train != "hidden":
            raise PolylrError(f"the symbolic engine covers train='hidden' only, got train={setup.train!r}")
        if (setup.depth, setup.steps) != (self.depth, self.steps):
            raise PolylrError(
                f"the expansion is for depth {self.depth}, steps {self.steps}; "
                f"the setup has depth {setup.depth}, steps {setup.steps}"
            )
        W0, Ws, V = (np.asarray(a, dtype=np.float64) for a in (W0, Ws, V))
        n, d, L = V.shape[0] if V.ndim == 1 else -1, setup.data.d, self.depth
        if V.ndim != 1 or W0.shape != (n, d) or Ws.shape != (L, n, n):
            raise PolylrError(
                f"weights must have shapes W0 (n, {d}), Ws ({L}, n, n), V (n,); got {W0.shape}, {Ws.shape}, {V.shape}"
            )
        X, y = setup.data.X, setup.data.y
        m = X.shape[0]
        lam = setup.param.scales(n, d)["hidden_lr"]
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


def _word_value(w, ends, Ws, memo) -> np.ndarray:
    """``e_aᵀ M e_b`` as a polynomial array ``(degree + 1, k)`` (k = m when an end is x, else 1)."""
    a, lets, b = w

    def right(lets, end):
        key = (lets, end)
        if key not in memo:
            if not lets:
                memo[key] = ends[end]
            else:
                l = lets[0]
                M = Ws[l - 1] if l > 0 else Ws[-l - 1].T
                memo[key] = np.einsum("ab,dbk->dak", M, right(lets[1:], end))
        return memo[key]

    left, r = ends[a], right(lets, b)
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
            f"{'' if est >= 10**30 else 'about '}{_sci(est)} raw terms, beyond its limit of {_sci(max_terms)} "
            "(it allows e.g. (L, t) = (3, 3) and (4, 2)); use the numeric engine "
            "polylr.finite_width_polys"
        )
    ops = _Grouped()
    f = _run(ops, depth, steps)
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


def derive_grouped(depth: int, steps: int, fmt: str = "markdown") -> str:
    """The grouped finite-width derivation of ``f^(t)`` as a Markdown or LaTeX document: the words
    (ends V, W_0 x, W_0 c^(s)) and, for every step s ≤ t, the terms of ``f^(s)`` per power of η."""
    from .._derive import _render_md, _render_tex
    from .._expand import estimate_terms

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
        ("math", rf"f^{{(s)}}(x) = \sum_{{p}} (-\eta\lambda)^p\, Q^{{(s)}}_p(x),"),
        ("p", r"each $Q^{(s)}_p$ an integer combination of products of the scalar *words* $\omega$ below, whose ends are $V$, "
              r"$W_0 x$ or $W_0 c^{(r)}$ ($r < s$). The $c^{(r)}$ depend on $\eta$ through $f^{(r)}$, so this is a recursion: "
              rf"$f^{{(0)}}$ gives $c^{{(0)}}$, which enters $f^{{(1)}}$, and so on up to $f^{{({t})}}$ (of degree "
              rf"{L * d_t} in $\eta$ once the $c^{{(r)}}$ are substituted). Grouping every data index into the contraction "
              rf"$c^{{(r)}}$ leaves {sum(exp.term_counts[t])} terms in $f^{{({t})}}$; expanding the indices instead "
              rf"(`polylr.expand`) would create {'more than 1.00e30' if indexed >= 10**30 else 'about ' + _sci(indexed)} raw terms."),
        ("p", "`GroupedExpansion.evaluate` runs this recursion on given weights; the tests compare it with the numeric engine "
              "`polylr.polys_from_weights` under μP, SP and NTP. Width orders and the μP limit are not derived here: "
              "see `polylr.derive` (small cases) and the limit documents (`polylr derive --limit`)."),
        ("h2", "Words"),
        ("table", ["word", "definition"],
         [[rf"$\omega_{{{names[w]}}}$", f"${_word_tex(w)}$"] for w in exp.words]),
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
                rows.append([f"${sign}{'' if abs(c) == 1 else str(abs(c)) + chr(92) + ','}{body}$"])
            B.append(("p", rf"$Q^{{({s})}}_{{{p}}}$ (coefficient of $(-\eta\lambda)^{{{p}}}$), {len(terms)} term{'s' if len(terms) != 1 else ''}:"))
            B.append(("table", ["term"], rows))
    return _render_md(B) if fmt == "markdown" else _render_tex(B)


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
    import os
    import tempfile
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (L, t, fmt) in grouped_proof_files().items():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(derive_grouped(L, t, fmt))
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / name)
        written.append(folder / name)
    return written
