r"""Documents for the closed-form limit: ``L_∞^(t)(η)`` over the data moments, typeset and checked.

``limit_document(depths, steps, fmt)`` writes, for each depth, the output coefficients ``φ_j``, the
η-coefficients of the loss (a table and the formulas), the stationarity equation for ``η_∞^(t)`` and
its numerical solution on a data set (the CLI's default synthetic data), after checking that the
closed form with that data set's moments substituted equals the numeric exact engine's polynomial
(:func:`polylr.limit_polys`, ``exact=True``) coefficient by coefficient. ``limit_document_depth1``
is the depth-1 document at general t; ``write_limit_proofs(folder)`` writes the committed files
(``proofs/limit_*``; a test fails when regenerating them would change them).
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from math import comb
from pathlib import Path

import flint

from .derive import render_md, render_tex
from ..core.errors import PolylrError, check_int
from ..core.setup import Data, Setup
from ..engines.limit_t2 import check_low_orders
from ..engines.limit_symbolic import SymbolicLimit, check_symbolic_tractable, data_moments, limit_symbolic
from .render import write_files

FORMATS = ("markdown", "latex")
# Largest number of monomials typeset per polynomial family (outputs; loss coefficients): beyond,
# the document gives the lowest η-orders that fit and says how many terms are left out.
MAX_OUTPUT_TERMS = 1200
MAX_LOSS_TERMS = 400
_PER_LINE = 4  # monomials per displayed line
DEFAULT_DATA = dict(m=16, d=4, seed=0)  # the CLI's built-in data set


# -- LaTeX of polynomials in the moments ------------------------------------------------------


def _q(c: Fraction, *, lead: bool) -> tuple[str, str]:
    """(sign, magnitude) of a rational coefficient; magnitude '' for 1 when a factor follows."""
    sign = "-" if c < 0 else ("" if lead else "+")
    a = abs(c)
    if a.denominator == 1:
        return sign, str(a.numerator)
    return sign, rf"\tfrac{{{a.numerator}}}{{{a.denominator}}}"


def _monomial(exps: tuple[int, ...]) -> str:
    out = []
    for k, e in enumerate(exps):
        if e:
            out.append(rf"\mu_{{{k}}}" + (f"^{{{e}}}" if e > 1 else ""))
    return " ".join(out)


def _sorted_terms(poly: dict) -> list:
    """Terms by increasing total degree, then by the moments' indices."""
    return sorted(poly.items(), key=lambda kv: (sum(kv[0]), tuple(-e for e in kv[0])))


def _terms_tex(poly: dict) -> list[str]:
    """Each monomial ``c μ^e`` as a signed LaTeX string (the first unsigned when positive)."""
    out = []
    for i, (exps, c) in enumerate(_sorted_terms(poly)):
        sign, mag = _q(c, lead=i == 0)
        mono = _monomial(exps)
        if mono and mag == "1":
            mag = ""
        body = (mag + (r"\," if mag and mono else "") + mono) or "1"
        out.append(f"{sign} {body}".strip() if i else f"{sign}{body}")
    return out


def _eta(k: int) -> str:
    return "" if k == 0 else (r"\eta" if k == 1 else rf"\eta^{{{k}}}")


def _poly_lines(name: str, coeffs: tuple[dict, ...], powers: list[int]) -> list[str]:
    """``name &= Σ_k η^k (c_k)`` as aligned lines (at most _PER_LINE monomials a line)."""
    lines: list[str] = []
    for k in powers:
        terms = _terms_tex(coeffs[k]) if k < len(coeffs) else []
        if not terms:
            continue
        if len(terms) == 1:
            text = terms[0]
            if k and text in ("1", "-1"):
                pieces = [text[:-1] + _eta(k)]
            else:
                pieces = [text + (r"\," + _eta(k) if k else "")]
        else:
            chunks = [" ".join(terms[i : i + _PER_LINE]) for i in range(0, len(terms), _PER_LINE)]
            pieces = [(_eta(k) + r"\," if k else "") + r"\bigl(" + chunks[0]] + chunks[1:]
            pieces[-1] += r"\bigr)"
        for j, piece in enumerate(pieces):
            if not lines:
                lines.append(f"{name} &= {piece}")
            elif j == 0:
                lines.append(rf"&\quad {'' if piece.startswith('-') else '+ '}{piece}")
            else:
                lines.append(rf"&\qquad {piece}")
    return lines or [f"{name} &= 0"]


def _num(x: Fraction, digits: int = 10) -> str:
    """A correctly rounded decimal of an exact rational, for the documents."""
    return f"{float(x):.{digits}g}"


# -- the blocks -------------------------------------------------------------------------------


def _setup_blocks(steps: int, depths: tuple[int, ...]) -> list:
    t = steps
    return [
        ("h2", "Set-up"),
        ("p", r"Deep linear network $f(x) = V^\top W_L \cdots W_1 W_0 x$ under μP ($W_0 \sim \mathcal N(0, 1/d)$, "
              r"$W_\ell \sim \mathcal N(0, 1/n)$, $V \sim \mathcal N(0, 1/n^2)$), the hidden layers $W_1, \dots, W_L$ "
              r"trained by full-batch gradient descent with learning rate $\eta$ on $\frac{1}{2m}\sum_i (f(x_i) - y_i)^2$, "
              rf"for $t = {t}$ step{'s' if t > 1 else ''}. With $K = XX^\top/d$, the data enter the limit only through the moments"),
        ("math", rf"\mu_k = \frac{{1}}{{m}}\, y^\top \Big(\frac{{K}}{{m}}\Big)^{{k}} y, \qquad k = 0, \dots, {2 * t}"),
        ("p", r"($\mu_0 = \lVert y\rVert^2/m$, $\mu_1 = y^\top K y/m^2$, $\mu_2 = \lVert Ky\rVert^2/m^3$) and, for the "
              r"outputs, the Krylov vectors $(K/m)^j y$."),
        ("h2", "Result"),
        ("p", rf"**Theorem.** For every data set, as $n \to \infty$ (almost surely, at every data point), "
              rf"with polynomials $\varphi_j(\eta)$ whose coefficients are polynomials in $\mu_0, \dots, \mu_{{{2 * t}}}$ "
              "with rational coefficients (given below for each depth),"),
        ("math", rf"f_\infty^{{({t})}} = \sum_{{j=1}}^{{{t}}} \varphi_j(\eta)\, \Big(\frac{{K}}{{m}}\Big)^{{j}} y, \qquad "
                 rf"L_\infty^{{({t})}}(\eta) = \frac12 \sum_{{a,b=0}}^{{{t}}} \chi_a \chi_b\, \mu_{{a+b}} = \sum_k c_k\, \eta^k, "
                 r"\qquad \chi_0 = -1,\ \chi_j = \varphi_j ."),
        ("p", r"The optimal learning rate of the limit, $\eta_\infty^{(" + str(t) + r")}$, is the minimiser of "
              r"$L_\infty^{(" + str(t) + r")}$ on the chosen compact interval: an end of the interval or a root of the "
              r"stationarity equation $\frac{d}{d\eta} L_\infty^{(" + str(t) + r")} = \sum_{k \ge 1} k\, c_k\, \eta^{k-1} = 0$."),
        ("p", "**Derivation.** The Tensor-Programs limit of the training program (`polylr.engines.tp`): every vector's "
              r"limit is a linear combination of jointly Gaussian atoms, and every covariance the program forms, "
              r"$\mathbb E[Z^{W_0 c^{(r)}} Z^{W_0 c^{(q)}}] = \chi^{(r)\top} K \chi^{(q)}/m^2$, is bilinear in Krylov "
              r"coefficient lists with Gram matrix $\mu_{a+b+1}$; the loss $\lVert \chi^{(t)}\rVert^2/2m$ likewise with "
              r"$\mu_{a+b}$. So the program, run with $\eta$ and the moments as indeterminates (exact arithmetic in "
              r"$\mathbb Q[\eta, \mu_0, \dots]$, `polylr.limit_symbolic`), returns the closed form for all data sets at once. "
              "The formulas below are its output, computed when this document was generated."),
        ("p", "Depths here: " + ", ".join(f"$L = {L}$" for L in depths) + "."),
    ]


def _depth_blocks(sym: SymbolicLimit, setup: Setup, mu: tuple[Fraction, ...], interval, level: str = "h2") -> list:
    from ..analysis.argmin import argmin
    from ..engines.tp import limit_polys

    L, t = sym.depth, sym.steps
    B: list = [(level, f"Depth L = {L}")]
    lim = sym.limit(setup)
    engine = limit_polys(setup, exact=True)
    if lim.loss != engine.loss or any(a != b for a, b in zip(lim.outputs, engine.outputs, strict=True)):
        raise PolylrError(f"closed form and numeric exact engine disagree at L = {L}, t = {t} (a bug; please report)")
    outs = sym.output_coefficients()
    n_out = sum(len(c) for phi in outs for c in phi)
    used = sorted({k for c in sym.loss_coefficients() for e in c for k, x in enumerate(e) if x})
    B.append(("p", rf"$f_\infty^{{({t})}}$ has degree {sym.output_degree} in $\eta$ ({n_out} monomials in all); "
                   rf"$L_\infty^{{({t})}}$ has degree {sym.degree} ({sym.terms} monomials) and involves "
                   + ", ".join(rf"$\mu_{{{k}}}$" for k in used) + "."))
    # outputs
    if n_out <= MAX_OUTPUT_TERMS:
        lines = []
        for j in range(1, t + 1):
            lines += _poly_lines(rf"\varphi_{{{j}}}", outs[j], list(range(len(outs[j]))))
        B.append(("p", "Output coefficients:"))
        B.append(("align", lines))
    else:
        B.append(("p", f"The output coefficients have {n_out} monomials, beyond the {MAX_OUTPUT_TERMS} typeset here; "
                       f"`polylr.limit_symbolic({L}, {t}).output_coefficients()` gives them exactly."))
    # loss
    cs = sym.loss_coefficients()
    shown, total = [], 0
    for k, c in enumerate(cs):
        if total + len(c) > MAX_LOSS_TERMS:
            break
        shown.append(k)
        total += len(c)
    B.append(("p", rf"Loss coefficients $c_k$ ($L_\infty^{{({t})}} = \sum_k c_k \eta^k$)"
                   + ("" if len(shown) == len(cs) else
                      rf", up to $\eta^{{{shown[-1]}}}$ (the remaining {sym.terms - total} monomials, of $\eta^{{{shown[-1] + 1}}}$ "
                      rf"to $\eta^{{{sym.degree}}}$, are beyond the {MAX_LOSS_TERMS} typeset here; "
                      rf"`polylr.limit_symbolic({L}, {t}).loss_coefficients()` gives them)") + ":"))
    B.append(("align", _poly_lines(rf"L_\infty^{{({t})}}", cs, shown)))
    # coefficient table on the data set
    values = lim.loss.coeffs
    rows = [[rf"$\eta^{{{k}}}$", str(len(c)), f"${_num(values[k]) if k < len(values) else '0'}$"] for k, c in enumerate(cs)]
    B.append(("p", "Coefficient table (monomials per coefficient, and the value of $c_k$ on the data set above):"))
    B.append(("table", ["power", "monomials", "$c_k$ on the data set"], rows))
    # stationarity and its solution
    am = argmin(lim.loss, *interval)
    def dterm(k: int) -> str:
        return (f"{k}\\," if k > 1 else "") + f"c_{{{k}}}" + (r"\,\eta" if k == 2 else (rf"\,\eta^{{{k - 1}}}" if k > 2 else ""))

    D = sym.degree
    ks = list(range(1, D + 1)) if D <= 4 else [1, 2, 3, None, D]
    deriv = " + ".join(r"\dots" if k is None else dterm(k) for k in ks)
    B.append(("p", "Stationarity equation for $\\eta_\\infty^{(" + str(t) + ")}$ (degree "
                   + str(D - 1) + " in $\\eta$):"))
    B.append(("math", rf"\frac{{d L_\infty^{{({t})}}}}{{d\eta}} = {deriv} = 0 ."))
    slope = lim.loss.as_fmpq_poly().derivative()(flint.fmpq(*Fraction(am.eta).as_integer_ratio()))
    slope_txt = "" if am.on_boundary else rf" (there $dL_\infty^{{({t})}}/d\eta = {float(Fraction(int(slope.p), int(slope.q))):.2g}$ at this float64 $\eta$, exactly)"
    where = "at an end of the interval" if am.on_boundary else "an interior root of the stationarity equation"
    others = [lm for lm in am.local_minima if abs(lm.eta - am.eta) > 1e-12]
    other_txt = (
        " Other local minima on the interval: " + ", ".join(f"$\\eta = {lm.eta:.10g}$ (loss ${lm.value:.10g}${', an end' if lm.on_boundary else ''})" for lm in others) + "."
        if others else " It is the only local minimum on the interval."
    )
    B.append(("p", rf"On the data set: $\eta_\infty^{{({t})}} = {am.eta:.10g}$ on $[{interval[0]:.6g}, {interval[1]:.6g}]$, "
                   rf"{where}{slope_txt}, with $L_\infty^{{({t})}}(\eta_\infty^{{({t})}}) = {am.value:.10g}$ "
                   rf"(certified argmin of the exact polynomial, `polylr.argmin`).{other_txt} With the data set's moments "
                   r"substituted, the closed form equals the numeric exact engine's polynomial (`polylr.limit_polys(setup, exact=True)`) "
                   "coefficient by coefficient, outputs and loss (checked when this document was generated)."))
    return B


def _data_blocks(data: Data, mu: tuple[Fraction, ...], builtin: bool) -> list:
    rows = [[rf"$\mu_{{{k}}}$", f"${_num(q, 12)}$"] for k, q in enumerate(mu)]
    return [
        ("h2", "On a data set"),
        ("p", f"The numbers below are for the data set `{data.source}` (m = {data.m}, d = {data.d}"
              f"{'; the CLI' + chr(39) + 's built-in data' if builtin else ''}), its moments computed in exact rationals (shown rounded). The interval is "
              rf"$[0, 2\eta_\infty^{{(1)}}]$ with $\eta_\infty^{{(1)}} = m\, y^\top K y / (L\, \lVert K y\rVert^2)$, as in `polylr check theorem3`."),
        ("table", ["moment", "value"], rows),
    ]


def _default_data() -> Data:
    return Data.synthetic(DEFAULT_DATA["m"], DEFAULT_DATA["d"], seed=DEFAULT_DATA["seed"])


def _interval(data: Data, depth: int) -> tuple[float, float]:
    from ..engines.limit import eta_inf_t1

    return (0.0, 2.0 * eta_inf_t1(Setup(data=data, depth=depth, steps=1)))


def _render_with_raw(blocks, fmt: str) -> str:
    """Render blocks, where ``("raw", markdown)`` blocks are Markdown text (converted for LaTeX)."""
    if fmt == "markdown":
        parts, run = [], []
        for b in blocks:
            if b[0] == "raw":
                if run:
                    parts.append(render_md(run).rstrip() + "\n")
                    run = []
                parts.append(b[1].strip() + "\n")
            else:
                run.append(b)
        if run:
            parts.append(render_md(run).rstrip() + "\n")
        return "\n".join(parts)
    converted = []
    for b in blocks:
        converted += _md_to_blocks(b[1]) if b[0] == "raw" else [b]
    converted = [(b[0], _BOLD.sub(lambda mm: "\x00" + mm.group(1) + "\x01", b[1]), *b[2:]) if b[0] == "p" else b
                 for b in converted]
    return render_tex(converted).replace("\x00", r"\textbf{").replace("\x01", "}")


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _md_to_blocks(text: str) -> list:
    """A little Markdown (headers, paragraphs, $$ displays, **bold**) as blocks for the LaTeX renderer."""
    out = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        chunk = chunk.strip()
        if chunk.startswith("<!--"):
            continue
        m = re.match(r"^(#{1,3}) (.*)$", chunk)
        if m:
            out.append((f"h{len(m.group(1))}", m.group(2)))
            continue
        pieces = re.split(r"\$\$(.*?)\$\$", chunk, flags=re.S)
        for i, piece in enumerate(pieces):
            piece = piece.strip()
            if not piece:
                continue
            if i % 2:
                out.append(("math", piece))
            else:
                out.append(("p", piece))
    return out


def limit_document(depths, steps: int, fmt: str = "markdown", *, data: Data | None = None, title: str | None = None,
                   appendix: str = "", generator: str | None = None) -> str:
    """The closed-form limit ``L_∞^(t)`` at each depth in ``depths`` (an int or a sequence), as a
    Markdown or standalone LaTeX document (see the module docstring). ``data`` (default: the CLI's
    built-in synthetic data) is the data set of the numerical part. Refuses (before any work) depths
    and steps beyond the symbolic limits."""
    depths = (depths,) if isinstance(depths, int) and not isinstance(depths, bool) else tuple(depths)
    if not depths:
        raise PolylrError("depths must name at least one depth L >= 1, got none")
    steps = check_int("steps t", steps, lo=1)
    for L in depths:
        check_symbolic_tractable(L, steps)
    if fmt not in FORMATS:
        raise PolylrError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    builtin = data is None
    data = data if data is not None else _default_data()
    if not isinstance(data, Data):
        raise PolylrError(f"data must be a polylr.Data, got {type(data).__name__}")
    mu = data_moments(data, 2 * steps + 1)
    intervals = {L: _interval(data, L) for L in depths}  # raises (K y = 0) before the symbolic work
    which = ", ".join(str(L) for L in depths)
    gen = generator or f"`polylr.limit_document({depths[0] if len(depths) == 1 else list(depths)}, {steps})`"
    blocks = [
        ("h1", title or rf"The infinite-width limit after {steps} step{'s' if steps > 1 else ''} of GD under μP, "
                        rf"in closed form (depth {which})"),
        ("p", f"Generated by {gen}; do not edit by hand (regenerate with `polylr.write_limit_proofs`)."),
    ]
    blocks += _setup_blocks(steps, depths)
    blocks += _data_blocks(data, mu, builtin)
    for L in depths:
        sym = limit_symbolic(L, steps)
        blocks += _depth_blocks(sym, Setup(data=data, depth=L, steps=steps), mu, intervals[L])
    if appendix:
        blocks.append(("raw", appendix))
    return _render_with_raw(blocks, fmt)


def limit_document_depth1(fmt: str = "markdown", *, max_steps: int = 8, data: Data | None = None) -> str:
    """Depth 1 at general t: ``L_∞^(t)(η) = (2m)^-1 yᵀ(I − ηK/m)^{2t} y``, with its derivation, checked
    against the symbolic engine for t = 1..``max_steps`` (the generator raises if any differs)."""
    max_steps = check_int("max_steps", max_steps, lo=1, hi=20)
    if fmt not in FORMATS:
        raise PolylrError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    builtin = "; the CLI's built-in data" if data is None else ""
    data = data if data is not None else _default_data()
    if not isinstance(data, Data):
        raise PolylrError(f"data must be a polylr.Data, got {type(data).__name__}")
    lo_hi = _interval(data, 1)  # raises (K y = 0) before any work
    for t in range(1, max_steps + 1):
        want = {(k, tuple(1 if i == k else 0 for i in range(2 * t + 1))): Fraction((-1) ** k * comb(2 * t, k), 2)
                for k in range(2 * t + 1)}
        got = {(k, e): c for k, cs in enumerate(limit_symbolic(1, t).loss_coefficients()) for e, c in cs.items()}
        if got != want:
            raise PolylrError(f"the depth-1 closed form fails at t = {t} (a bug; please report)")
    eta_rows = []
    from ..analysis.argmin import argmin

    for t in range(1, max_steps + 1):
        lim = limit_symbolic(1, t).limit(Setup(data=data, depth=1, steps=t))
        am = argmin(lim.loss, *lo_hi)
        eta_rows.append([str(t), f"${am.eta:.10g}$", f"${am.value:.10g}$", "yes" if am.on_boundary else "no",
                         str(len(am.local_minima))])
    mu = data_moments(data, 2 * max_steps + 1)
    mu_rows = [[rf"$\mu_{{{k}}}$", f"${_num(q, 12)}$"] for k, q in enumerate(mu)]
    B = [
        ("h1", r"The infinite-width limit of a depth-1 linear network under μP, at any number of steps"),
        ("p", "Generated by `polylr.limit_document_depth1()`; do not edit by hand (regenerate with `polylr.write_limit_proofs`)."),
        ("h2", "Result"),
        ("p", r"**Theorem.** For $f(x) = V^\top W_1 W_0 x$ under μP with $W_1$ trained by full-batch GD (learning rate $\eta$), "
              r"with $K = XX^\top/d$ and $\mu_k = \frac1m y^\top (K/m)^k y$, for every $t \ge 1$:"),
        ("math", r"f_\infty^{(t)} = \Big(I - \big(I - \eta \tfrac{K}{m}\big)^{t}\Big) y = -\sum_{j=1}^{t} \binom{t}{j} (-\eta)^j "
                 r"\Big(\frac{K}{m}\Big)^{j} y, \qquad L_\infty^{(t)}(\eta) = \frac{1}{2m}\, y^\top \Big(I - \eta\frac{K}{m}\Big)^{2t} y "
                 r"= \frac12 \sum_{k=0}^{2t} \binom{2t}{k} (-\eta)^k \mu_k ."),
        ("p", "Stationarity equation for $\\eta_\\infty^{(t)}$:"),
        ("math", r"\frac{d L_\infty^{(t)}}{d\eta} = -\frac{t}{m}\, y^\top \frac{K}{m} \Big(I - \eta\frac{K}{m}\Big)^{2t-1} y "
                 r"= \frac12 \sum_{k=1}^{2t} k \binom{2t}{k} (-1)^k \mu_k\, \eta^{k-1} = 0 ."),
        ("p", r"In the eigenbasis of $K/m$ (eigenvalues $\lambda_i$, $y$-weights $w_i = (v_i^\top y)^2/m$) this reads "
              r"$\sum_i w_i \lambda_i (1 - \eta\lambda_i)^{2t-1} = 0$: at $t = 1$, $\eta_\infty^{(1)} = \mu_1/\mu_2 = m\,y^\top K y/\lVert Ky\rVert^2$."),
        ("h2", "Derivation"),
        ("p", r"At depth 1 the network is linear in its trained weight: with $g = nV$ (entries of order 1 under μP), "
              r"$f(x) = \frac1n g \cdot W_1 W_0 x$ and the gradient step is $W_1^{(s+1)} = W_1^{(s)} - \frac{\eta}{n}\, g\, (W_0 c^{(s)})^\top$ "
              r"with $c^{(s)} = X^\top \chi^{(s)}/m$, so exactly, at every width,"),
        ("math", r"f^{(s+1)}(x) - f^{(s)}(x) = -\eta\, \frac{\lVert g\rVert^2}{n}\, \frac{(W_0 x)\cdot(W_0 c^{(s)})}{n} "
                 r"\;\longrightarrow\; -\eta\, \frac{x^\top c^{(s)}}{d} = -\frac{\eta}{m}\, (K \chi^{(s)})(x) ,"),
        ("p", r"by the law of large numbers ($\lVert g\rVert^2/n \to 1$, $(W_0 a)\cdot(W_0 b)/n \to a^\top b/d$). Hence "
              r"$\chi^{(s+1)} = (I - \eta K/m)\chi^{(s)}$ with $\chi^{(0)} = -y$, so $\chi^{(t)} = -(I - \eta K/m)^t y$; the loss is "
              r"$\lVert \chi^{(t)}\rVert^2/2m$, and the binomial expansion (a polynomial in the one matrix $K$) gives the moments."),
        ("h2", "How this is checked"),
        ("p", rf"The generator compares the formula with the symbolic limit engine (`polylr.limit_symbolic(1, t)`, the "
              rf"Tensor-Programs limit program run over $\mathbb Q[\eta, \mu]$) coefficient by coefficient for $t = 1, \dots, {max_steps}$; "
              "`tests/test_limit_symbolic.py` compares the engine with the numeric exact engine on random rational data."),
        ("h2", "On a data set"),
        ("p", f"For the data set `{data.source}` (m = {data.m}, d = {data.d}{builtin}), moments in exact rationals (shown rounded):"),
        ("table", ["moment", "value"], mu_rows),
        ("p", rf"Minimiser of $L_\infty^{{(t)}}$ on $[{lo_hi[0]:.6g}, {lo_hi[1]:.6g}] = [0, 2\eta_\infty^{{(1)}}]$ (certified argmin of the exact polynomial):"),
        ("table", ["$t$", r"$\eta_\infty^{(t)}$", r"$L_\infty^{(t)}(\eta_\infty^{(t)})$", "at an end", "local minima"], eta_rows),
    ]
    return _render_with_raw(B, fmt)


# -- the committed documents ------------------------------------------------------------------

LIMIT_T3_DEPTHS = (1, 2, 3)


def limit_proof_files() -> dict:
    """File name -> zero-argument function giving its text, for every document :func:`write_limit_proofs` writes."""

    out = {"limit_t2.md": limit_t2_document, "limit_t2.tex": lambda: limit_t2_document(fmt="latex")}
    for fmt, ext in (("markdown", "md"), ("latex", "tex")):
        out[f"limit_t3.{ext}"] = lambda fmt=fmt: limit_document(
            LIMIT_T3_DEPTHS, 3, fmt, generator=f"`polylr.limit_document({list(LIMIT_T3_DEPTHS)}, 3)`"
        )
        out[f"limit_L1.{ext}"] = lambda fmt=fmt: limit_document_depth1(fmt)
    return out


def write_limit_proofs(folder) -> list[Path]:
    """Write the closed-form limit documents (``limit_t2``, ``limit_t3``, ``limit_L1``; Markdown and
    LaTeX) into ``folder`` (created if missing), each via a temporary file and a rename."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise PolylrError(f"{str(folder)!r} is not a folder; give a folder such as proofs/")
    folder.mkdir(parents=True, exist_ok=True)
    return write_files(folder, {name: make().encode() for name, make in limit_proof_files().items()})  # atomic: temporary file, then rename


# -- a LaTeX sanity check ---------------------------------------------------------------------


def latex_balance_errors(text: str) -> list[str]:
    r"""Problems with a document's LaTeX structure, by a pure-Python scan: unbalanced ``\begin``/``\end``
    environments, unbalanced braces (outside ``\{``, ``\}``) and ``\left``/``\right``, unclosed ``$$``,
    ``\[``/``\]`` and inline ``$`` math. Empty when none are found (a check, not a LaTeX compiler)."""
    errors: list[str] = []
    stack: list[str] = []
    for m in re.finditer(r"\\(begin|end)\{([^}]*)\}", text):
        if m.group(1) == "begin":
            stack.append(m.group(2))
        elif not stack or stack[-1] != m.group(2):
            errors.append(rf"\end{{{m.group(2)}}} at offset {m.start()} does not close {stack[-1] if stack else 'anything'}")
            break
        else:
            stack.pop()
    if stack and not errors:
        errors.append(f"unclosed environments: {stack}")
    depth = 0
    clean = re.sub(r"\\[{}$]", "", text)
    for i, ch in enumerate(clean):
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            errors.append(f"a '}}' without its '{{' near offset {i}")
            break
    if depth > 0:
        errors.append(f"{depth} unclosed '{{'")
    lefts = len(re.findall(r"\\left\b", text))
    rights = len(re.findall(r"\\right\b", text))
    if lefts != rights:
        errors.append(rf"\left and \right counts differ ({lefts} vs {rights})")
    if clean.count("$$") % 2:
        errors.append("an odd number of $$")
    if len(re.findall(r"\\\[", text)) != len(re.findall(r"\\\]", text)):
        errors.append(r"\[ and \] counts differ")
    for n, para in enumerate(re.split(r"\n\s*\n", clean.replace("$$", ""))):
        if para.count("$") % 2:
            errors.append(f"odd number of inline $ in paragraph {n}: {para[:60]!r}")
            break
    return errors


# -- the t = 2 document (closed forms + the hand derivation at every depth) --------------------


@functools.lru_cache(maxsize=4)
def limit_t2_document(max_explicit_depth: int = 3, fmt: str = "markdown") -> str:
    """The t = 2 limit document (``proofs/limit_t2.md``; ``fmt="latex"``: ``proofs/limit_t2.tex``): the
    closed form over the data moments for L = 1..``max_explicit_depth`` (symbolic limit engine) and,
    as an appendix, the hand derivation of the layer recursion at every depth (its general-L
    low-order claims are checked for L <= 12 here)."""
    L = check_int("max_explicit_depth", max_explicit_depth, lo=1, hi=6)
    check_low_orders()
    return limit_document(
        tuple(range(1, L + 1)), 2, fmt, appendix=_APPENDIX,
        generator="`polylr.limit_t2_document()` (with `polylr.write_limit_proofs`)",
    )


def write_limit_t2_document(path: str | Path) -> Path:
    """Write :func:`limit_t2_document` to ``path`` (via a temporary file and a rename)."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise PolylrError(f"{str(path)!r} is a directory; give a file name such as proofs/limit_t2.md")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(limit_t2_document(fmt="latex" if path.suffix == ".tex" else "markdown"), encoding="utf-8")
    tmp.replace(path)
    return path


_APPENDIX = r"""## Appendix: every depth at t = 2, by hand

The closed forms above are computed one depth at a time. A hand derivation from the same
Tensor-Programs rules gives the t = 2 limit at every depth $L$ as a layer recursion. Its notation:
$\kappa = \mu_1$ and $q = \mu_2$ in terms of the moments above, $k_1 = (K/m)\,y$, $k_2 = (K/m)^2 y$.

### Result

Deep linear network $f(x) = V^\top W_L \cdots W_1 W_0 x$ under μP
($W_0 \sim \mathcal N(0, 1/d)$, $W_\ell \sim \mathcal N(0, 1/n)$, $V \sim \mathcal N(0, 1/n^2)$), the
hidden layers $W_1, \dots, W_L$ trained by full-batch gradient descent with learning rate $\eta$
on $\frac{1}{2m}\sum_i (f(x_i) - y_i)^2$. Let $K = XX^\top/d$ and

$$
k_1 = \frac{Ky}{m}, \qquad k_2 = \frac{K^2 y}{m^2}, \qquad
\kappa = \frac{y^\top K y}{m^2}, \qquad q = \frac{\|Ky\|^2}{m^3}, \qquad \rho(\eta) = \kappa - L\eta q .
$$

**Theorem (t = 2).** As $n \to \infty$, almost surely, for every data point,

$$
f_\infty^{(2)} = -\bigl(\alpha_0 + \beta_0\bigr)\, k_1 + L\eta\,\beta_0\, k_2 ,
\qquad
L_\infty^{(2)}(\eta) = \frac{1}{2m}\bigl\|f_\infty^{(2)} - y\bigr\|^2 ,
$$

where the scalar polynomials $\alpha_0(\eta), \beta_0(\eta)$ are the end of the recursion over the
layers $\ell = L, L-1, \dots, 1$, started at $\alpha_L = \beta_L = 0$, $e_L = \varepsilon_L = 1$:

$$
\begin{aligned}
\alpha_{\ell-1} &= \alpha_\ell - \eta\, e_\ell, &
e_{\ell-1} &= e_\ell - (\ell-1)\,\eta\rho\,\beta_{\ell-1},\\
\beta_{\ell-1} &= \beta_\ell - \eta\, \varepsilon_\ell, &
\varepsilon_{\ell-1} &= \varepsilon_\ell - (\ell-1)\,\eta\rho\,\beta_{\ell-1}
 - (L-\ell+1)\,\eta\,\bigl(\kappa\,\alpha_{\ell-1} + \rho\,\beta_{\ell-1}\bigr).
\end{aligned}
$$

So $f_\infty^{(2)}$ lies in the span of $Ky$ and $K^2y$, with coefficients that are polynomials in
$\eta$ of degree $3L-1$ whose coefficients are polynomials in $L$, $\kappa$ and $q$; the loss,
of degree $6L-2$, needs only the moments $y^\top K^j y$, $j \le 4$:

$$
L_\infty^{(2)} = \frac{1}{2m}\Bigl(y^\top y - 2A\,\frac{y^\top K y}{m} - 2B\,\frac{y^\top K^2 y}{m^2}
 + A^2\,\frac{\|Ky\|^2}{m^2} + 2AB\,\frac{y^\top K^3 y}{m^3} + B^2\,\frac{\|K^2y\|^2}{m^4}\Bigr),
\qquad A = -(\alpha_0 + \beta_0),\ B = L\eta\beta_0 .
$$

**Low orders, any L.** With $c_L = L^2(L^2-1)/12$:
$\alpha_0 = -L\eta - c_L\,\rho\,\eta^3 + O(\eta^5)$ and
$\beta_0 = -L\eta - c_L(\kappa + 2\rho)\,\eta^3 + O(\eta^5)$ (as polynomials in $\eta$ and $\rho$), hence

$$
f_\infty^{(2)} = 2L\eta\, k_1 - L^2\eta^2\, k_2 + \frac{L^2(L^2-1)}{3}\,\kappa\,\eta^3\, k_1 + O(\eta^4).
$$

The first two terms are two steps of kernel gradient descent with the kernel $LK/m$
($f^{(1)} = \eta L k_1$, then $f^{(2)} = f^{(1)} + \eta\tfrac{L}{m}K(y - f^{(1)})$); the rest is
feature learning, absent at $L = 1$ (there the network is linear in its trained weights and
$f_\infty^{(2)} = 2\eta k_1 - \eta^2 k_2$ exactly).

### Derivation

**The finite-width recursion.** Write $g_\ell = n\, b_\ell$ for the backward vector at the output
of layer $\ell$ ($b_\ell = W_{\ell+1}^\top\cdots W_L^\top V$, so $g_L = nV$ has $O(1)$ entries), and
$\chi^{(s)} = f^{(s)} - y$. The gradient of a hidden layer is rank one,
$\nabla_{W_\ell} = b_\ell\, a_\ell^\top$ with $a_\ell = \frac1m H_{\ell-1}\chi$, and because the network
is linear $a_\ell^{(s)} = v_{\ell-1}^{(s)}$, where $v_0^{(s)} = W_0 c^{(s)}$, $c^{(s)} = X^\top\chi^{(s)}/m$,
and $v_\ell^{(s)} = W_\ell^{(s)} v_{\ell-1}^{(s)}$. Hence

$$
W_\ell^{(s)} u = W_\ell^{(0)} u - \eta \sum_{r<s} g_\ell^{(r)}\, \frac{v_{\ell-1}^{(r)}\cdot u}{n},
\qquad
W_\ell^{(s)\top} w = W_\ell^{(0)\top} w - \eta \sum_{r<s} v_{\ell-1}^{(r)}\, \frac{g_\ell^{(r)}\cdot w}{n},
$$

$g_{\ell-1}^{(s)} = W_\ell^{(s)\top} g_\ell^{(s)}$, and $f^{(s)}(x) = \frac1n\, g_0^{(s)}\cdot W_0 x$.

**Atoms.** In the limit every vector $Z$ is a linear combination of jointly Gaussian atoms:
$A_x = Z^{W_0 x}$ ($\mathbb E[A_xA_{x'}] = K_{xx'}$), $H_r = Z^{W_0 c^{(r)}}$
($\mathbb E[H_r H_s] = \chi^{(r)\top}K\chi^{(s)}/m^2$, $\mathbb E[A_x H_r] = (K\chi^{(r)})_x/m$),
$A_g = Z^{nV}$ (variance 1), $F_{\ell,r} = \hat Z^{W_\ell^{(0)} v_{\ell-1}^{(r)}}$ and
$B_{\ell,s} = \hat Z^{W_\ell^{(0)\top} g_\ell^{(s)}}$, whose covariances are the limits of
$\frac1n v\cdot v'$ and $\frac1n g\cdot g'$. The $A$'s, $A_g$, each layer's $F$'s and each layer's
$B$'s are independent groups. The $\dot Z$ rule adds to $Z^{W_\ell^{(0)} v}$ the term
$\sum_r Z^{g_\ell^{(r)}}\,[B_{\ell,r}]Z^{v}$ and to $Z^{W_\ell^{(0)\top} g}$ the term
$\sum_r Z^{v_{\ell-1}^{(r)}}\,[F_{\ell,r}]Z^{g}$ ($[a]Z$: the coefficient of atom $a$ in $Z$).
The output is $f_\infty^{(s)}(x) = \mathbb E[A_x Z^{g_0^{(s)}}] = \sum_r [H_r]Z^{g_0^{(s)}}\,(K\chi^{(r)})_x/m$.
Each step runs the backward chain (which gives $f^{(s)}$ and $\chi^{(s)}$), then the forward chain.
We write $v_0^{(r)} = H_r$, $v_\ell^{(r)}$ and $g_\ell^{(s)}$ for the limits $Z$.

**Step 0.** No update yet and no earlier atoms: $g_\ell^{(0)} = B_{\ell+1,0}$ ($\ell<L$),
$g_L^{(0)} = A_g$, $g_0^{(0)}$ has no $H$ component, so $f_\infty^{(0)} = 0$ and $\chi^{(0)} = -y$.
Forward: $v_0^{(0)} = H_0$ and $v_\ell^{(0)} = F_{\ell,0}$ ($H_0$ and the $F$'s have no $B$
component, so no $\dot Z$ term). Variances: $\mathbb E[H_0^2] = y^\top K y/m^2 = \kappa$, and
$\mathbb E[F_{\ell,0}^2] = \mathbb E[(v_{\ell-1}^{(0)})^2] = \kappa$ for every $\ell$; also
$\mathbb E[(g_\ell^{(0)})^2] = 1$.

**Step 1, backward.** $g_L^{(1)} = A_g$. Claim: $g_{\ell-1}^{(1)} = B_{\ell,1} - (L-\ell+1)\,\eta\, v_{\ell-1}^{(0)}$
and $\mathbb E[g_\ell^{(0)} g_\ell^{(1)}] = 1$. Indeed
$g_{\ell-1}^{(1)} = B_{\ell,1} + v_{\ell-1}^{(0)}\bigl([F_{\ell,0}]g_\ell^{(1)} - \eta\,\mathbb E[g_\ell^{(0)}g_\ell^{(1)}]\bigr)$
with $[F_{\ell,0}]g_\ell^{(1)} = -(L-\ell)\eta$ (induction) and
$\mathbb E[g_\ell^{(0)}g_\ell^{(1)}] = \mathbb E[B_{\ell+1,0}B_{\ell+1,1}] = \mathbb E[g_{\ell+1}^{(0)}g_{\ell+1}^{(1)}] = \dots = \mathbb E[A_g^2] = 1$
(the $F$ term of $g^{(1)}$ is independent of $B$). So $g_0^{(1)} = B_{1,1} - L\eta H_0$ and

$$
f_\infty^{(1)} = -L\eta\, K\chi^{(0)}/m = L\eta\, k_1, \qquad \chi^{(1)} = L\eta\,k_1 - y ,
$$

the limit output of Hayou's Theorem 1. Define $\rho = \mathbb E[H_0H_1] = \chi^{(0)\top}K\chi^{(1)}/m^2 = \kappa - L\eta q$.

**Step 1, forward.** Claim: $v_\ell^{(1)} = F_{\ell,1} - \ell\,\eta\rho\, g_\ell^{(0)}$ for $1 \le \ell \le L-1$,
and $\mathbb E[F_{\ell,0}F_{\ell,1}] = \rho$. Indeed
$v_\ell^{(1)} = F_{\ell,1} + g_\ell^{(0)}\bigl([B_{\ell,0}]v_{\ell-1}^{(1)} - \eta\,\mathbb E[v_{\ell-1}^{(0)}v_{\ell-1}^{(1)}]\bigr)$;
$g_{\ell-1}^{(0)} = B_{\ell,0}$ gives $[B_{\ell,0}]v_{\ell-1}^{(1)} = -(\ell-1)\eta\rho$ (the $\dot Z$ term, zero
for $\ell = 1$), and $\mathbb E[v_{\ell-1}^{(0)}v_{\ell-1}^{(1)}] = \mathbb E[F_{\ell-1,0}F_{\ell-1,1}] = \dots = \mathbb E[H_0H_1] = \rho$.

**Step 2, backward.** Write, for $0 \le \ell \le L$,
$g_\ell^{(2)} = B_{\ell+1,2} + \alpha_\ell\, v_\ell^{(0)} + \beta_\ell\, v_\ell^{(1)}$ ($g_L^{(2)} = A_g$, $\alpha_L = \beta_L = 0$),
and let $e_\ell = \mathbb E[g_\ell^{(0)} g_\ell^{(2)}]$, $\varepsilon_\ell = \mathbb E[g_\ell^{(1)} g_\ell^{(2)}]$
($e_L = \varepsilon_L = 1$). The rule
$g_{\ell-1}^{(2)} = B_{\ell,2} + \sum_{r=0,1} v_{\ell-1}^{(r)}\bigl([F_{\ell,r}]g_\ell^{(2)} - \eta\,\mathbb E[g_\ell^{(r)}g_\ell^{(2)}]\bigr)$
with $[F_{\ell,0}]g_\ell^{(2)} = \alpha_\ell$, $[F_{\ell,1}]g_\ell^{(2)} = \beta_\ell$ gives
$\alpha_{\ell-1} = \alpha_\ell - \eta e_\ell$ and $\beta_{\ell-1} = \beta_\ell - \eta\varepsilon_\ell$.
For the covariances, expand $v_\ell^{(1)} = F_{\ell,1} - \ell\eta\rho B_{\ell+1,0}$ and use
$\mathbb E[B_{\ell+1,0}^2] = \mathbb E[B_{\ell+1,0}B_{\ell+1,1}] = 1$, $\mathbb E[F_{\ell,0}^2] = \kappa$,
$\mathbb E[F_{\ell,0}F_{\ell,1}] = \rho$, and $g_\ell^{(1)} = B_{\ell+1,1} - (L-\ell)\eta F_{\ell,0}$:

$$
e_\ell = e_{\ell+1} - \ell\eta\rho\,\beta_\ell, \qquad
\varepsilon_\ell = \varepsilon_{\ell+1} - \ell\eta\rho\,\beta_\ell - (L-\ell)\,\eta\,(\kappa\alpha_\ell + \rho\beta_\ell),
$$

which is the recursion of the theorem (shifted by one). Finally $v_0^{(0)} = H_0$, $v_0^{(1)} = H_1$, so
$f_\infty^{(2)} = \alpha_0\, K\chi^{(0)}/m + \beta_0\, K\chi^{(1)}/m = -\alpha_0 k_1 + \beta_0 (L\eta k_2 - k_1)$. $\square$

**Low orders.** $\beta_\ell = -(L-\ell)\eta + O(\eta^3)$, $\alpha_\ell = -(L-\ell)\eta + O(\eta^3)$, so
$e_\ell = 1 + \eta^2\rho\sum_{j=\ell}^{L-1} j(L-j) + O(\eta^4)$ and
$\varepsilon_\ell = 1 + \eta^2\sum_{j=\ell}^{L-1}\bigl(j(L-j)\rho + (L-j)^2(\kappa+\rho)\bigr) + O(\eta^4)$.
Summing, $\alpha_0 = -\eta\sum_{\ell=1}^L e_\ell = -L\eta - \eta^3\rho\sum_{j=1}^{L-1} j^2(L-j) + O(\eta^5)$, and
$\sum_{j=1}^{L-1} j^2(L-j) = \sum_{j=1}^{L-1} j(L-j)^2 = L^2(L^2-1)/12 = c_L$; likewise
$\beta_0 = -L\eta - c_L(\kappa+2\rho)\eta^3 + O(\eta^5)$. Substituting $\rho = \kappa - L\eta q$ gives the
expansion of $f_\infty^{(2)}$ above. (The generator also checks these claims for $L \le 12$.)

### How this is checked

`polylr.limit_t2_closed_form` implements the theorem; the tests compare it with the
Tensor-Programs interpreter `polylr.limit_polys` (exactly, as rationals, on random rational data
sets drawn by hypothesis), and the interpreter with Monte Carlo means of $f^{(2)}$ at width 2048.
"""
