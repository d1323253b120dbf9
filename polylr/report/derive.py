"""Derivations as documents: the expansion of f^(t), the width order of every term, the μP limit
and (t = 1) the closed-form argmin, written as Markdown or LaTeX from the symbolic engine.

``derive(depth, steps, fmt)`` builds one document; ``write_proofs(folder)`` writes the paper's
cases (the committed files in ``proofs/``; a test fails when regenerating them would change them).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

from ..core.errors import PolylrError, check_int
from ..engines.expand import V_END, expand, word_kind
from ..engines.scaling import coefficient_orders, limit_coefficients, term_order, word_scaling
from ..core.setup import MUP, NTP, SP, Parametrization
from .render import write_files

FORMATS = ("markdown", "latex")
# The cases written by write_proofs: (depth L, steps t).
PROOF_CASES = ((1, 1), (2, 1), (3, 1), (1, 2), (2, 2))
PARAMS = (MUP, SP, NTP)


# -- small LaTeX renderers -------------------------------------------------------------------


def _frac(q: Fraction) -> str:
    q = Fraction(q)
    if q.denominator == 1:
        return str(q.numerator)
    sign = "-" if q < 0 else ""
    return rf"{sign}\tfrac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def _order(q: Fraction) -> str:
    return rf"n^{{{_frac(q)}}}"


def _point(e: int) -> str:
    return "x" if e == 0 else rf"x_{{i_{{{e}}}}}"


def _word_tex(kind) -> str:
    """The matrix product of a word kind, its data-point ends named x_a (and x_b)."""
    a, lets, b = kind
    parts = ["V^\\top" if a == V_END else r"x_a^\top W_0^\top"]
    parts += [rf"W_{abs(l)}" + ("" if l > 0 else "^\\top") for l in lets]
    parts.append("V" if b == V_END else rf"W_0 x_{'b' if a != V_END else 'a'}")
    return " ".join(parts)


def _word_args(kind) -> str:
    a, _, b = kind
    xs = [e for e in (a, b) if e != V_END]
    return "" if not xs else "(" + ", ".join(["x_a", "x_b"][: len(xs)]) + ")"


class _Words:
    """Names ω_1, ω_2, … for the word kinds of an expansion."""

    def __init__(self, kinds):
        self.kinds = list(kinds)
        self.index = {k: i + 1 for i, k in enumerate(self.kinds)}

    def call(self, w) -> str:
        a, lets, b = w
        kind = word_kind(w)
        if (min(a, 0), lets, min(b, 0)) != kind:
            a, b = b, a
        args = [_point(e) for e in (a, b) if e != V_END]
        name = rf"\omega_{{{self.index[kind]}}}"
        return name + ("(" + ", ".join(args) + ")" if args else "")


def tex_product(factors) -> str:
    """LaTeX of a product of factors, a run of equal neighbours as one power: ``a a b`` →
    ``a^{2}\\,b``; the empty product is ``""``."""
    out, k = [], 0
    while k < len(factors):
        j = k
        while j < len(factors) and factors[j] == factors[k]:
            j += 1
        out.append(factors[k] + (f"^{{{j - k}}}" if j - k > 1 else ""))
        k = j
    return r"\,".join(out)


def _monomial_tex(words, ys, names: _Words) -> str:
    factors = [names.call(w) for w in words] + [rf"y_{{i_{{{i}}}}}" for i in ys]
    return tex_product(factors) or "1"


def _coef_term(c: int, body: str) -> str:
    if body == "1":
        return str(c)
    return ("-" if c < 0 else "") + ("" if abs(c) == 1 else f"{abs(c)}\\,") + body


def _k_poly_tex(poly: dict) -> str:
    """A word limit, a polynomial in K with ends 1 -> x_a, 2 -> x_b."""
    name = {1: "x_a", 2: "x_b"}
    terms = []
    for kp, c in sorted(poly.items()):
        body = r"\,".join(rf"K({name[i]}, {name[j]})" for i, j in kp) or "1"
        terms.append(_coef_term(c, body) if body != "1" else str(c))
    return " + ".join(terms).replace("+ -", "- ") or "0"


def _chains(kpairs, ys):
    """A limit monomial Π K · Π y in matrix form when it is a product of chains:
    ``(K^k y)(x)`` from the output point to a target, ``yᵀ K^k y`` between two targets.
    Returns None for any other shape (the sum is then written with indices)."""
    stubs = Counter(ys)
    stubs[0] += 1  # the output point x ends one chain
    adj = defaultdict(list)  # node -> indices into kpairs
    for e, (i, j) in enumerate(kpairs):
        adj[i].append(e)
        adj[j].append(e)
    nodes = set(adj) | set(stubs)
    if any(i == j for i, j in kpairs) or any(len(adj[v]) + stubs[v] != 2 for v in nodes) or stubs[0] != 1:
        return None
    used, done, factors = set(), set(), []
    for start in sorted(v for v in nodes if stubs[v]):
        if start in done:
            continue
        v, k = start, 0
        while True:
            done.add(v)
            free = [e for e in adj[v] if e not in used]
            if (v != start or k) and stubs[v] or not free:
                break
            used.add(free[0])
            i, j = kpairs[free[0]]
            v, k = (j if i == v else i), k + 1
        power = "" if k == 0 else ("K" if k == 1 else f"K^{{{k}}}")
        factors.append(rf"({power} y)(x)" if start == 0 else rf"y^\top {power} y")
    return r"\,".join(factors) if len(used) == len(kpairs) else None


def _limit_tex(c) -> str:
    """The limit of coefficient p, ``(−1/m)^p Σ_j c_j Σ_{i_1..i_p} Π K Π y``, in chain form
    where possible."""
    if not c.terms:
        return "0"
    p = c.power
    s = ""
    for k, ((kp, ys), count) in enumerate(c.terms):
        q = count * (-1) ** p
        body = _chains(kp, ys)
        if body is None:
            body = r"\sum_{" + ",".join(f"i_{{{j}}}" for j in range(1, p + 1)) + "} "
            body += r"\,".join(rf"K({_point(i)}, {_point(j)})" for i, j in kp)
            body += "".join(rf"\,y_{{i_{{{i}}}}}" for i in ys)
        m = "m" if p == 1 else f"m^{{{p}}}"
        term = rf"\frac{{{abs(q)}}}{{{m}}}\, {body}"
        s += ("-" if q < 0 else "") + term if k == 0 else (" - " if q < 0 else " + ") + term
    return s


# -- document blocks -------------------------------------------------------------------------


def _param_line(param: Parametrization) -> str:
    e = {k: Fraction(v).limit_denominator(10**6) for k, v in param.exponents.items()}

    def pw(x):
        return "1" if x == 0 else rf"n^{{{_frac(-x)}}}"

    return (
        rf"{param.name}: $V \sim \mathcal N(0, {pw(e['out_var'])})$, "
        rf"$W_\ell \sim \mathcal N(0, {pw(e['hidden_var'])})$, "
        rf"$W_0 \sim \mathcal N(0, {pw(e['in_var'])}/d)$, "
        rf"$\lambda = {pw(e['hidden_lr'])}$"
    )


def _blocks(depth: int, steps: int) -> list:
    exp = expand(depth, steps)
    names = _Words(exp.words)
    L, t = depth, steps
    chain = " ".join(f"W_{l}" for l in range(L, 0, -1)) if L <= 3 else rf"W_{L} \cdots W_1"
    hidden = ", ".join(f"W_{l}" for l in range(1, L + 1)) if L <= 3 else rf"W_1, \dots, W_{L}"
    B = [
        ("h1", rf"Derivation: $f^{{({t})}}$ of a depth-{L} linear network after {t} gradient step{'s' if t > 1 else ''}"),
        ("p", f"Generated by `polylr.derive(depth={L}, steps={t})`; do not edit by hand "
              "(regenerate with `polylr.write_proofs`)."),
        ("h2", "Set-up"),
        ("p", rf"Network $f(x) = V^\top {chain} W_0 x$ with $W_0 \in \mathbb R^{{n\times d}}$, "
              r"$W_\ell \in \mathbb R^{n \times n}$, $V \in \mathbb R^n$; data $(x_i, y_i)_{i=1}^m$; "
              r"loss $\frac{1}{2m}\sum_i (f(x_i) - y_i)^2$. Full-batch gradient descent on the hidden "
              rf"layers ${hidden}$ with learning rate $\eta\lambda$ ($W_0$ and $V$ stay at initialisation)."),
        ("p", r"With residuals $\chi_i = f(x_i) - y_i$, backward vectors "
              r"$b_\ell = W_{\ell+1}^\top \cdots W_L^\top V$ and features "
              r"$h_{\ell-1}(x) = W_{\ell-1}\cdots W_1 W_0 x$, the gradient of $W_\ell$ has rank one:"),
        ("math", r"W_\ell^{(s+1)} = W_\ell^{(s)} - \frac{\eta\lambda}{m}\sum_{i=1}^m "
                 r"\chi_i^{(s)}\, b_\ell^{(s)}\, h_{\ell-1}^{(s)}(x_i)^\top ."),
        ("p", r"Every $\eta$ comes with one factor $-\lambda/m$ and one sum over a data index, so "
              "multiplying out the updated matrices gives"),
        ("math", rf"f^{{({t})}}(x) = \sum_{{p=0}}^{{{exp.degree}}} \Big(-\frac{{\eta\lambda}}{{m}}\Big)^p "
                 r"\sum_{i_1,\dots,i_p=1}^m P_p(x; i_1, \dots, i_p),"),
        ("p", r"where each $P_p$ is an integer combination of products of targets $y_i$ and scalar "
              r"*words* $\omega$ below (a word equals its transpose; products that differ only by "
              "renaming summed indices are collected)."),
        ("p", "Initialisations and learning-rate factors (orders below are in the width n):"),
        ("list", [_param_line(pm) for pm in PARAMS]),
        ("h2", "Words"),
        ("p", r"A word's order is the power of $n$ of its typical size, $\tfrac12$ the leading power "
              r"of $\mathbb E[\omega^2]$ by Gaussian (Wick) pairing; under μP it *concentrates* when "
              r"$\mathbb E[\omega^2]$ and $\mathbb E[\omega]^2$ agree at leading order, and then "
              r"$n^{-\mathrm{order}}\,\omega \to$ the leading coefficient of $\mathbb E[\omega]$, with "
              r"$K(x_a, x_b) = x_a^\top x_b / d$."),
    ]
    rows = []
    for kind in names.kinds:
        a, lets, b = kind
        w = (a if a == V_END else 1, lets, b if b == V_END else (2 if a != V_END else 1))
        mu, sp = word_scaling(w, MUP), word_scaling(w, SP)
        lim = _k_poly_tex(mu.limit) if mu.deterministic else r"\text{does not concentrate}"
        rows.append(
            [
                rf"$\omega_{{{names.index[kind]}}}{_word_args(kind)}$",
                f"${_word_tex(kind)}$",
                f"${_order(mu.order)}$",
                f"${_order(sp.order)}$",
                "$0$" if mu.mean_order is None else r"$\ne 0$",
                f"${lim}$",
            ]
        )
    header = ["word", "definition", "order (μP)", "order (SP, NTP)", "mean (μP)"]
    B.append(("table", header + [r"limit of $n^{-\mathrm{order}}\omega$ (μP)"], rows))

    counts = ", ".join(str(c) for c in exp.term_counts)
    B.append(("h2", "Expansion"))
    B.append(("p", rf"Degree {exp.degree} in $\eta$; {sum(exp.term_counts)} terms in all (per power of "
                   rf"$\eta$: {counts}). The order of a term is $-p\cdot$hidden_lr plus the orders of its "
                   "words; the order of $P_p$ is at most the largest (less if terms cancel)."))
    for p, terms in enumerate(exp.coefficients):
        B.append(("h3", rf"$\eta^{{{p}}}$: $P_{{{p}}}$, {len(terms)} term{'s' if len(terms) != 1 else ''}"))
        rows = [
            [f"${_coef_term(c, _monomial_tex(ws, ys, names))}$", f"${_order(term_order(p, ws, MUP))}$"]
            for (ws, ys), c in terms
        ]
        B.append(("table", ["term", "order (μP)"], rows))

    orders = {pm.name: coefficient_orders(exp, pm) for pm in PARAMS}
    B.append(("h2", "Width orders of the coefficients"))
    B.append(("p", r"Largest term order of the $\eta^p$ coefficient $(-\lambda/m)^p \sum P_p$ "
                   "(an upper bound on its order):"))
    rows = [[rf"$\eta^{{{p}}}$"] + [f"${_order(orders[pm.name][p])}$" for pm in PARAMS] for p in range(exp.degree + 1)]
    B.append(("table", ["power"] + [pm.name for pm in PARAMS], rows))

    lims = limit_coefficients(exp)
    undetermined = [c.power for c in lims if not c.determined]
    B.append(("h2", "Infinite-width limit under μP"))
    B.append(("p", r"Terms of negative order vanish. In a term of order 0 every word concentrates, so its "
                   r"limit is the product of the word limits (each $\omega$ replaced by $n^{\mathrm{order}}$ "
                   "times its limit; the powers of $n$ cancel); equal products are collected. "
                   r"With $\lambda = 1$:"))
    if undetermined:
        B.append(("p", f"Not determined word by word for the powers {undetermined}: a term of order "
                       r"$\geq 0$ holds a word that does not concentrate; the Tensor-Program limit engine "
                       "is needed there."))
    B.append(("align", [
        rf"\lim_{{n\to\infty}} [\eta^{{{c.power}}}]\, f^{{({t})}}(x) &= {_limit_tex(c)}" for c in lims if c.determined
    ]))
    if undetermined:
        return B
    nonzero = [c for c in lims if c.terms]
    poly = " + ".join((r"\eta" if c.power == 1 else rf"\eta^{{{c.power}}}") + rf" \Big[{_limit_tex(c)}\Big]"
                      for c in nonzero)
    B.append(("p", r"Hence, with $(Ky)(x) = \sum_i K(x, x_i) y_i$:"))
    B.append(("math", rf"f_\infty^{{({t})}}(x) = {poly}."))
    if t == 1:
        return B + _argmin_t1(lims, L)
    B.append(("p", rf"The limiting loss $L_\infty^{{({t})}}(\eta) = \frac{{1}}{{2m}}\sum_k "
                   rf"(f_\infty^{{({t})}}(x_k) - y_k)^2$ is a polynomial of degree "
                   rf"{2 * max(c.power for c in nonzero)} in $\eta$; its minimiser on a compact interval "
                   "is found numerically (`polylr.symbolic_limit` gives the polynomial, the certified argmin "
                   "its minimiser). To be cross-checked with the Tensor-Program limit engine."))
    return B


def _argmin_t1(lims, L: int) -> list:
    """The t = 1 argmin, derived from the computed limit, which must be η·(L/m)(Ky)(x)."""
    if [c.terms for c in lims] != [()] + [(((((0, 1),), (1,)), -L),)] + [()] * (len(lims) - 2):
        raise PolylrError(f"the t = 1 limit at depth {L} is not eta (L/m)(Ky)(x): {lims}")
    return [
        ("h2", r"The optimal learning rate at $t = 1$"),
        ("p", rf"The limit is $f_\infty^{{(1)}}(x_k) = \eta\, a_k$ with $a_k = \frac{{{L}}}{{m}}(Ky)_k$ "
              rf"(one order-0 term per trained layer, $L = {L}$). The limiting loss is quadratic:"),
        ("math", r"L_\infty^{(1)}(\eta) = \frac{1}{2m}\sum_{k=1}^m (\eta\, a_k - y_k)^2, \qquad "
                 r"\frac{d L_\infty^{(1)}}{d\eta} = \frac{1}{m}\sum_k (\eta\, a_k - y_k)\, a_k = 0 ."),
        ("p", r"Its unique minimiser (when $Ky \neq 0$) is"),
        ("math", r"\eta_\infty^{(1)} = \frac{\sum_k a_k y_k}{\sum_k a_k^2} = "
                 + ("m" if L == 1 else rf"\frac{{m}}{{{L}}}") + r"\,\frac{y^\top K y}{\lVert K y \rVert^2} ."),
    ]


# -- renderers -------------------------------------------------------------------------------


def tex_inline(text: str) -> str:
    """Markdown-ish inline text to LaTeX: `code` -> \\texttt, *emph* -> \\emph, outside math."""
    out, parts = [], text.split("$")
    for k, part in enumerate(parts):
        if k % 2:
            out.append("$" + part + "$")
            continue
        segs = part.split("`")
        for j, seg in enumerate(segs):
            if j % 2:
                out.append(r"\texttt{" + seg.replace("_", r"\_") + "}")
            else:
                seg = seg.replace("_", r"\_").replace("%", r"\%").replace("&", r"\&").replace("μP", r"$\mu$P")
                pieces = seg.split("*")
                out.append("".join(r"\emph{" + p + "}" if i % 2 else p for i, p in enumerate(pieces)))
    return "".join(out)


def render_md(blocks) -> str:
    lines = []
    for b in blocks:
        kind = b[0]
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + b[1], ""]
        elif kind == "p":
            lines += [b[1], ""]
        elif kind == "list":
            lines += [f"- {item}" for item in b[1]] + [""]
        elif kind == "math":
            lines += ["$$", b[1], "$$", ""]
        elif kind == "align":
            lines += ["$$", r"\begin{aligned}", " \\\\\n".join(b[1]), r"\end{aligned}", "$$", ""]
        elif kind == "table":
            header, rows = b[1], b[2]
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(r) + " |" for r in rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_tex(blocks) -> str:
    lines = [
        r"\documentclass{article}",
        r"\usepackage{amsmath,amssymb,longtable}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
    ]
    for b in blocks:
        kind = b[0]
        if kind == "h1":
            lines += [r"\section*{" + tex_inline(b[1]) + "}", ""]
        elif kind == "h2":
            lines += [r"\subsection*{" + tex_inline(b[1]) + "}", ""]
        elif kind == "h3":
            lines += [r"\subsubsection*{" + tex_inline(b[1]) + "}", ""]
        elif kind == "p":
            lines += [tex_inline(b[1]), ""]
        elif kind == "list":
            lines += [r"\begin{itemize}"] + [r"\item " + tex_inline(i) for i in b[1]] + [r"\end{itemize}", ""]
        elif kind == "math":
            lines += [r"\[", b[1], r"\]", ""]
        elif kind == "align":
            lines += [r"\begin{align*}", " \\\\\n".join(b[1]), r"\end{align*}", ""]
        elif kind == "table":
            header, rows = b[1], b[2]
            lines.append(r"\begin{longtable}{" + "l" * len(header) + "}")
            lines.append(" & ".join(tex_inline(h) for h in header) + r" \\ \hline")
            lines += [" & ".join(tex_inline(c) for c in r) + r" \\" for r in rows]
            lines += [r"\end{longtable}", ""]
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def derive(depth: int, steps: int, fmt: str = "markdown") -> str:
    """The derivation of f^(t) for a depth-``depth`` linear network after ``steps`` GD steps on
    the hidden layers, as a Markdown (``fmt="markdown"``) or standalone LaTeX (``"latex"``) document:
    set-up, words with their width orders and μP limits, the collected expansion with the order of
    every term, the coefficient orders under μP/SP/NTP, the μP limit and, at t = 1, the argmin
    η_∞ = (m/L) yᵀKy / ‖Ky‖².

    Raises :class:`PolylrError` for a bad depth, step count or format, and (before expanding) when
    the case is beyond the symbolic limit, naming the estimated term count.
    """
    depth = check_int("depth L", depth, lo=1)
    steps = check_int("steps t", steps, lo=1)
    if fmt not in FORMATS:
        raise PolylrError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    blocks = _blocks(depth, steps)
    return render_md(blocks) if fmt == "markdown" else render_tex(blocks)


def proof_files() -> dict[str, tuple[int, int, str]]:
    """File name -> (depth, steps, format) for every document :func:`write_proofs` writes."""
    out = {}
    for L, t in PROOF_CASES:
        out[f"derivation_L{L}_t{t}.md"] = (L, t, "markdown")
        out[f"derivation_L{L}_t{t}.tex"] = (L, t, "latex")
    return out


def write_proofs(folder) -> list[Path]:
    """Write the derivations of the paper's cases (:data:`PROOF_CASES`, Markdown and LaTeX) into
    ``folder`` (created if missing); each file is written to a temporary name and then renamed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_files(folder, {name: derive(L, t, fmt).encode() for name, (L, t, fmt) in proof_files().items()})  # atomic: temporary file, then rename
