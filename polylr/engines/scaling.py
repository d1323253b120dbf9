"""Width scaling of words and terms, and the infinite-width limit of an expansion under μP.

A word ``e_aᵀ M e_b`` is a polynomial in jointly Gaussian entries: the hidden matrices
(``W_l ~ N(0, n^-hidden_var)`` entrywise), ``V ~ N(0, n^-out_var)`` and the vectors ``W_0 x_i``
(entries ``N(0, n^-in_var K_ii)``, correlated across points: ``E[(W_0x_i)_α (W_0x_j)_β] =
δ_αβ n^-in_var K_ij`` with ``K = X Xᵀ / d``). Wick's theorem gives every moment exactly as a sum
over pairings; a pairing of the entries identifies the n-dimensional summation indices of the
product, and contributes ``n^(#free indices − Σ variance exponents) · Π K``. The leading power and
its coefficient (a polynomial in the entries of K) are found by a depth-first search over
pairings that prunes any partial pairing already below the best power (identifying indices never
adds free ones).

For a word w:

- ``mean_order``: the leading power of E[w] (``None`` when E[w] = 0, e.g. an odd count of a letter);
- ``order``: half the leading power of E[w²], the size of a typical value: w = O(n^order);
- ``deterministic``: E[w²] and E[w]² agree at leading order (same power and coefficient), so
  Var[w] is of lower order and ``n^-order · w`` converges to the leading coefficient of E[w]
  (its ``limit``; e.g. ``n VᵀV → 1``, ``(1/n) (W_0x_i)ᵀ W_0 x_j → K_ij`` under μP).

A term (a monomial of the expansion with its ``(λ/m)^p``, λ = n^-hidden_lr) has size
``n^(order)`` with ``order = −p·hidden_lr + Σ_words order``; the order of an η-coefficient is at
most the largest order of its terms (less if they cancel). Under μP a coefficient's limit is the
sum of its order-0 terms' limits when every word in them is deterministic; terms of negative
order vanish.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..core.errors import PolylrError, check_int
from .expand import Expansion, V_END, collect, word_values, canonical, expand, word_kind
from .limit import Limit, check_supported
from ..core.poly import EtaPoly
from ..core.setup import MUP, Parametrization, Setup

# Depth-first pairing search gives up beyond this many visited nodes (keeps every call bounded).
_MAX_NODES = 2_000_000


def _exponents(param: Parametrization) -> dict[str, Fraction]:
    e = param.exponents
    return {k: Fraction(e[k]).limit_denominator(10**6) for k in ("hidden_var", "out_var", "in_var", "hidden_lr")}


@dataclass(frozen=True)
class Moment:
    """Leading term of a Gaussian moment: ``coeff · n^order`` with ``coeff`` a polynomial in K:
    ``{((i, j), ...): count}`` (each key a sorted tuple of index pairs, a product of K_ij)."""

    order: Fraction
    coeff: dict


def _leading_moment(words, exps) -> Moment | None:
    """Leading term of E[Π words] (None if the moment is identically zero)."""
    groups = defaultdict(list)  # type -> items; an item is (slots, label)
    n_slots = 0
    for a, lets, b in words:
        s0 = n_slots
        n_slots += len(lets) + 1
        for k, l in enumerate(lets):
            row, col = (s0 + k, s0 + k + 1) if l > 0 else (s0 + k + 1, s0 + k)
            groups[("W", abs(l))].append(((row, col), None))
        for end, slot in ((a, s0), (b, n_slots - 1)):
            groups["V" if end == V_END else "X"].append(((slot,), end))
    if any(len(g) % 2 for g in groups.values()):
        return None
    penalty = Fraction(0)
    for key, g in groups.items():
        exp = exps["hidden_var"] if key != "V" and key != "X" else exps["out_var" if key == "V" else "in_var"]
        penalty += exp * (len(g) // 2)
    group_list = list(groups.values())
    best = [None]
    coeff = Counter()
    nodes = [0]

    def find(parent, i):
        while parent[i] != i:
            i = parent[i]
        return i

    def rec(parent, ncomp, gi, rest, kpairs):
        nodes[0] += 1
        if nodes[0] > _MAX_NODES:
            raise PolylrError(f"Wick pairing search exceeded {_MAX_NODES} nodes for a product of {len(words)} words")
        if best[0] is not None and ncomp < best[0]:
            return
        if not rest:
            if gi + 1 < len(group_list):
                rec(parent, ncomp, gi + 1, group_list[gi + 1], kpairs)
                return
            if best[0] is None or ncomp > best[0]:
                best[0] = ncomp
                coeff.clear()
            coeff[tuple(sorted(kpairs))] += 1
            return
        (slots0, lab0), others = rest[0], rest[1:]
        for j, (slots1, lab1) in enumerate(others):
            p2 = list(parent)
            nc = ncomp
            for u, v in zip(slots0, slots1):
                ru, rv = find(p2, u), find(p2, v)
                if ru != rv:
                    p2[ru] = rv
                    nc -= 1
            kp = kpairs + ((min(lab0, lab1), max(lab0, lab1)),) if lab0 is not None and lab0 != V_END else kpairs
            rec(p2, nc, gi, others[:j] + others[j + 1 :], kp)

    if not group_list:
        return Moment(Fraction(n_slots), {(): 1})
    rec(list(range(n_slots)), n_slots, 0, group_list[0], ())
    return Moment(best[0] - penalty, dict(coeff))


def _square(poly: dict) -> dict:
    out = Counter()
    for k1, c1 in poly.items():
        for k2, c2 in poly.items():
            out[tuple(sorted(k1 + k2))] += c1 * c2
    return dict(out)


@dataclass(frozen=True)
class WordScaling:
    """Width scaling of one word (ends: -1 for V, 1 and 2 for the left and right data points; both
    1 when the two ends are the same point). See the module docstring."""

    word: tuple
    param: str
    order: Fraction
    mean_order: Fraction | None
    mean: dict
    deterministic: bool

    @property
    def limit(self) -> dict | None:
        """``lim n^-order · w`` as a polynomial in K (``{((i, j), ...): count}``), or None when
        the word does not concentrate."""
        return self.mean if self.deterministic else None


def _standard_ends(word):
    """Relabel a word's data-point ends to 1 (left) and 2 (right; 1 if the same point)."""
    a, lets, b = word
    if a != V_END and b != V_END:
        return (1, lets, 1 if a == b else 2)
    return (a if a == V_END else 1, lets, b if b == V_END else 1)


def word_scaling(word, param: Parametrization = MUP) -> WordScaling:
    """Order in n, mean and (when it concentrates) the limit of ``n^-order · word``.

    ``word`` is ``(a, letters, b)`` as in the expansion (ends: -1 for V, an index for W_0 x_i).
    """
    if not isinstance(param, Parametrization):
        param = Parametrization.parse(str(param))
    return _word_scaling(_standard_ends(tuple(word)), param)


@functools.lru_cache(maxsize=4096)
def _word_scaling(word, param: Parametrization) -> WordScaling:
    exps = _exponents(param)
    mean = _leading_moment([word], exps)
    second = _leading_moment([word, word], exps)
    det = mean is not None and 2 * mean.order == second.order and _square(mean.coeff) == second.coeff
    return WordScaling(
        word,
        param.name,
        second.order / 2,
        None if mean is None else mean.order,
        {} if mean is None else mean.coeff,
        det,
    )


word_scaling.cache_clear = _word_scaling.cache_clear  # type: ignore[attr-defined]  # cold-call timings


def term_order(p: int, words, param: Parametrization = MUP) -> Fraction:
    """Order in n of a term ``(λ/m)^p Π words`` (λ = n^-hidden_lr): ``−p·hidden_lr + Σ orders``."""
    exps = _exponents(param)
    return -p * exps["hidden_lr"] + sum((word_scaling(w, param).order for w in words), Fraction(0))


def coefficient_orders(expansion: Expansion, param: Parametrization = MUP) -> tuple[Fraction, ...]:
    """For each η^p: the largest order of its terms, an upper bound on the coefficient's order."""
    return tuple(
        max(term_order(p, ws, param) for (ws, _), _ in terms) for p, terms in enumerate(expansion.coefficients)
    )


def fit_word_orders(words, setup: Setup, widths, seeds, *, master_seed: int = 0) -> np.ndarray:
    """Monte Carlo check of :attr:`WordScaling.order`: for each word, the least-squares slope of
    ``log sqrt(mean_seeds w²)`` against ``log n`` over ``widths``.

    Word ends are placed on the data points: index 1 (left) on x_0, index 2 (right) on x_1
    (``m >= 2`` is needed when a word has two distinct data-point ends). The weights of one network
    are drawn by ``numpy.random.default_rng([master_seed, n, seed])`` with the setup's
    parametrization (numpy: several times faster than JAX's threefry on CPU, and no compilation
    per width). The tests compare the slopes with the Wick orders.
    """
    words = [_standard_ends(tuple(w)) for w in words]
    if setup.data.m < 2 and any(a == 1 and b == 2 for a, _, b in words):
        raise PolylrError(f"words with two distinct data-point ends need m >= 2 data points, got m = {setup.data.m}")
    if max((abs(l) for _, lets, _ in words for l in lets), default=0) > setup.depth:
        raise PolylrError(f"a word uses a hidden layer beyond the setup's depth {setup.depth}")
    widths = sorted({check_int("width n", n, lo=1) for n in widths})
    seeds = [check_int("seed", sd, lo=0) for sd in seeds]
    master_seed = check_int("master seed", master_seed, lo=0)
    if len(widths) < 2 or not seeds:
        raise PolylrError(f"need at least two distinct widths and one seed, got widths {widths} and {len(seeds)} seeds")
    kinds = {word_kind(w) for w in words}
    mean_sq = np.zeros((len(widths), len(words)))
    d, L = setup.data.d, setup.depth
    for k, n in enumerate(widths):
        stds = setup.param.scales(n, d).stds
        for seed in seeds:
            rng = np.random.default_rng([master_seed, n, int(seed)])
            W0 = stds[0] * rng.standard_normal((n, d))
            Ws = stds[1] * rng.standard_normal((L, n, n))
            V = stds[2] * rng.standard_normal(n)
            values = word_values(kinds, W0, Ws, V, setup.data.X)
            for j, (a, lets, b) in enumerate(words):
                kind = word_kind((a, lets, b))
                val = values[kind] if (min(a, 0), lets, min(b, 0)) == kind else values[kind].T
                idx = tuple(e - 1 for e in (a, b) if e > 0)
                mean_sq[k, j] += float(val[idx]) ** 2 / len(seeds)
    return np.polyfit(np.log(widths), 0.5 * np.log(mean_sq), 1)[0]


# -- the μP limit ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoefficientLimit:
    """Limit of one η-coefficient under μP.

    ``terms``: the limit as ``(−1/m)^p Σ_{i_1..i_p} Σ_j c_j Π K · Π y`` with pairs
    ``((kpairs, ys), c_j)`` (kpairs: sorted index pairs (i, j) meaning K(x_i, x_j); index 0 is the
    output point x); ``order``: the largest term order; ``undetermined``: the order-0 terms whose
    limit the word-by-word analysis cannot give (a word that does not concentrate).
    """

    power: int
    order: Fraction
    terms: tuple
    undetermined: tuple

    @property
    def determined(self) -> bool:
        return self.order <= 0 and not self.undetermined


def _term_limit(words, ys):
    """Limit of a term of order 0 as ``{(kpairs, ys): count}``, or None if a word does not
    concentrate (the limit then needs the joint, Tensor-Program analysis)."""
    polys = [{(): 1}]
    for w in words:
        ws = word_scaling(w, MUP)
        if not ws.deterministic:
            return None
        a, _, b = w
        ends = {1: a if a != V_END else b, 2: b}
        polys.append({tuple(sorted(tuple(sorted((ends[i], ends[j]))) for i, j in k)): c for k, c in ws.limit.items()})
    out = {(): 1}
    for poly in polys[1:]:
        nxt = Counter()
        for k1, c1 in out.items():
            for k2, c2 in poly.items():
                nxt[tuple(sorted(k1 + k2))] += c1 * c2
        out = nxt
    return {(k, ys): c for k, c in out.items()}


def limit_coefficients(expansion: Expansion) -> tuple[CoefficientLimit, ...]:
    """The μP infinite-width limit of every η-coefficient of f^(t)(x), collected.

    Each limit monomial is canonicalised like the expansion's monomials (K_ij is symmetric;
    summed indices are renamed), so equal contributions from different terms add up.
    """
    out = []
    for p, terms in enumerate(expansion.coefficients):
        order = max(term_order(p, ws, MUP) for (ws, _), _ in terms)
        acc, undetermined = [], []
        for (ws, ys), c in terms:
            if term_order(p, ws, MUP) < 0:
                continue
            lim = _term_limit(ws, ys)
            if lim is None or term_order(p, ws, MUP) > 0:
                undetermined.append(((ws, ys), c))
                continue
            for (kp, y2), c2 in lim.items():
                words = tuple((i, (), j) for i, j in kp)
                acc.append((canonical((p, words, y2, None)), c * c2))
        collected = sorted(
            ((tuple((a, b) for a, _, b in words), ys), c) for (_, words, ys, _), c in collect(acc).items()
        )
        out.append(CoefficientLimit(p, order, tuple(collected), tuple(undetermined)))
    return tuple(out)


def symbolic_limit(setup: Setup, *, exact: bool = False) -> Limit:
    """The μP limit of f^(t) and L^(t) read off the symbolic expansion (hidden layers trained).

    Each coefficient's limit ``(−1/m)^p Σ_{i_1..i_p} Σ_j c_j Π K Π y`` is summed over the data in
    exact rationals (``K = X Xᵀ / d`` from the float data, which are exact binary rationals), so the
    float64 result is correctly rounded. Raises :class:`PolylrError` when a coefficient's limit is
    not determined word by word (see :class:`CoefficientLimit`).
    """
    check_supported(setup)
    lims = limit_coefficients(expand(setup.depth, setup.steps))
    bad = [c.power for c in lims if not c.determined]
    if bad:
        raise PolylrError(
            f"the word-by-word limit of f^({setup.steps}) at depth {setup.depth} is not determined for the "
            f"coefficients of eta^{bad} (a term of order >= 0 holds a word that does not concentrate)"
        )
    data = setup.data
    X = np.array([[Fraction(float(v)) for v in row] for row in data.X], dtype=object)
    y = np.array([Fraction(float(v)) for v in data.y], dtype=object)
    K = X.dot(X.T) / data.d
    m = data.m
    values = np.full((len(lims), m), Fraction(0), dtype=object)
    for c in lims:
        for (kpairs, ys), count in c.terms:
            ops = [K] * len(kpairs) + [y] * len(ys)
            subs = [chr(97 + i) + chr(97 + j) for i, j in kpairs] + [chr(97 + i) for i in ys]
            spec = ",".join(subs) + "->a"
            values[c.power] += Fraction(count) * Fraction(-1, m) ** c.power * np.einsum(spec, *ops)
    outputs = tuple(
        EtaPoly(list(values[:, i]), "QQ", label=f"f_\\infty^{{({setup.steps})}}(x_{i})") for i in range(m)
    )
    loss = sum(((f - yi) ** 2 for f, yi in zip(outputs, y)), EtaPoly([0], "QQ")) * Fraction(1, 2 * m)
    loss = loss.relabel(f"L_\\infty^{{({setup.steps})}}")
    if not exact:
        outputs = tuple(o.to_float() for o in outputs)
        loss = loss.to_float()
    return Limit(setup, outputs, loss)
