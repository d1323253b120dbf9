"""Claims of the papers as named, runnable objects with verdicts.

A :class:`Claim` has a name, the paper and statement it comes from, its hypotheses, what it
predicts, and ``check(budget) -> result`` whose :class:`Verdict` objects say whether each part
``holds``, ``fails`` or is ``inconclusive``, with the numbers and a sentence saying why.

Verdicts about width exponents compare a bootstrap confidence interval (CI) with an edge:

- "exponent ≤ edge" (a decay at least this fast) holds when the whole CI lies at or below the
  edge, fails when it lies wholly above, and is inconclusive when it straddles the edge;
- "exponent = target" holds when the CI lies within ``target ± tol``, fails when it lies wholly
  outside, inconclusive otherwise.

Fewer than 8 seeds per width or 3 widths give an inconclusive verdict whatever the interval.
With tolerance ``tol`` (default 0.1): "converges" means a decay at least like ``n^-tol``;
"error = O(n^-1/2)" means an edge of ``-1/2 + tol``. A random limit (SP, NTP) is checked per
seed: each seed's output at initialisation predicts its limit (:func:`random_limit_t1`), and the
distance to that prediction must decay.

A minimiser on an end of the interval means the interval, not the loss, decided η_n: when
more than 10 % of the seeds at some width sit there, a verdict that would hold or fail becomes
inconclusive.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..engines.coeffs import degree_formula, finite_width_polys, output_degree
from ..core.errors import PolylrError, check_finite, check_int, check_interval
from ..analysis.argmin import MAX_DEGREE as MAX_ARGMIN_DEGREE
from ..analysis.argmin import Argmin, argmin
from ..analysis.grid import argmin_on_grid
from ..engines.evaluate import limit_loss_values
from ..engines.tp import limit_polys
from ..engines.limit import Limit, eta_inf_t1, limit_t1, random_limit_law, random_limit_t1
from ..analysis.rates import RateFit, fit_rate
from ..core.setup import MUP, NTP, SP, Data, Parametrization, Setup
from ..analysis.sweep import Sweep, float_resolves, parse_widths, sweep
from ..engines.bounds import MAX_SEEDS
from ..engines.tp import limit_degree

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"
BOUNDARY_LIMIT = 0.10
MIN_SEEDS, MIN_WIDTHS = 8, 3  # below this a bootstrap interval is not trusted: inconclusive


@dataclass(frozen=True)
class Budget:
    """How much Monte Carlo a check may spend."""

    name: str
    widths: tuple[int, ...]
    seeds: int
    n_boot: int


BUDGETS = {
    "tiny": Budget("tiny", (64, 128, 256, 512, 1024), 32, 400),
    "quick": Budget("quick", (64, 128, 256, 512, 1024, 2048), 32, 1000),
    "default": Budget("default", (64, 128, 256, 512, 1024, 2048), 48, 2000),
    "thorough": Budget("thorough", (64, 128, 256, 512, 1024, 2048, 4096), 128, 4000),
}


def get_budget(budget: str | Budget) -> Budget:
    if isinstance(budget, Budget):
        return budget
    if budget not in BUDGETS:
        raise PolylrError(f"unknown budget {budget!r}; choose one of {', '.join(BUDGETS)}")
    return BUDGETS[budget]


# -- verdicts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One part of a claim: ``status`` is ``holds``, ``fails`` or ``inconclusive``; ``reason`` is a
    sentence with the numbers; ``evidence`` the numbers themselves (JSON-ready)."""

    claim: str
    statement: str
    status: str
    reason: str
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _where(fit: RateFit) -> str:
    lo, hi = fit.ci
    return f"fitted exponent of {fit.quantity} {fit.exponent:.3f}, {fit.level:.0%} CI [{lo:.3f}, {hi:.3f}]"


def _evidence(fit: RateFit, **more) -> dict:
    return {"quantity": fit.quantity, "exponent": fit.exponent, "ci": list(fit.ci), "level": fit.level, **more}


def _underpowered(claim: str, statement: str, fit: RateFit, ev: dict) -> Verdict | None:
    if min(fit.seeds) >= MIN_SEEDS and len(fit.widths) >= MIN_WIDTHS:
        return None
    return Verdict(
        claim, statement, INCONCLUSIVE,
        f"{_where(fit)} from {len(fit.widths)} widths and {min(fit.seeds)} seeds per width: at least "
        f"{MIN_WIDTHS} widths and {MIN_SEEDS} seeds are needed for a trustworthy interval", ev,
    )


def verdict_at_most(claim: str, statement: str, fit: RateFit, edge: float, what: str) -> Verdict:
    """"The exponent of ``fit`` is at most ``edge``" (``what`` says what the edge means)."""
    lo, hi = fit.ci
    ev = _evidence(fit, edge=edge)
    if weak := _underpowered(claim, statement, fit, ev):
        return weak
    if hi <= edge:
        return Verdict(claim, statement, HOLDS, f"{_where(fit)} lies at or below {edge:.2f} ({what})", ev)
    if lo > edge:
        return Verdict(claim, statement, FAILS, f"{_where(fit)} lies above {edge:.2f} ({what})", ev)
    return Verdict(claim, statement, INCONCLUSIVE, f"{_where(fit)} straddles {edge:.2f} ({what}): more seeds or widths are needed", ev)


def verdict_within(claim: str, statement: str, fit: RateFit, target: float, tol: float) -> Verdict:
    """"The exponent of ``fit`` equals ``target``" up to ``tol``."""
    lo, hi = fit.ci
    a, b = target - tol, target + tol
    ev = _evidence(fit, target=target, tol=tol)
    band = f"[{a:.2f}, {b:.2f}] (= {target:g} ± {tol:g})"
    if weak := _underpowered(claim, statement, fit, ev):
        return weak
    if a <= lo and hi <= b:
        return Verdict(claim, statement, HOLDS, f"{_where(fit)} lies within {band}", ev)
    if hi < a or lo > b:
        return Verdict(claim, statement, FAILS, f"{_where(fit)} lies outside {band}", ev)
    return Verdict(claim, statement, INCONCLUSIVE, f"{_where(fit)} overlaps the edge of {band}: more seeds or widths are needed", ev)


def _guard_boundary(v: Verdict, sw: Sweep) -> Verdict:
    """Turn a decided verdict inconclusive when the interval's upper end decided η_n too often."""
    worst = max(sw.widths, key=lambda w: sw.summary(w).boundary_fraction)
    frac = sw.summary(worst).boundary_fraction
    if frac <= BOUNDARY_LIMIT or v.status == INCONCLUSIVE:
        return v
    return dataclasses.replace(
        v,
        status=INCONCLUSIVE,
        reason=f"{v.reason}; but at n = {worst} the minimiser sits on the interval's end for {frac:.0%} of the "
        f"seeds (limit {BOUNDARY_LIMIT:.0%}): widen the interval",
    )


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SweepCheck:
    """A claim checked on a sweep over widths and seeds: the sweep, the limit (when one is
    predicted), the fitted exponents and the verdicts."""

    name: str
    setup: Setup
    sweep: Sweep
    eta_inf: float | None
    limit: Limit | None
    fits: dict[str, RateFit]
    verdicts: tuple[Verdict, ...]
    seconds: float
    tol: float
    limit_values: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)  # L_∞ at η when no polynomial

    def limit_loss(self, etas) -> np.ndarray | None:
        """The limit loss at ``etas`` (from the polynomial, or evaluation mode), or None."""
        if self.limit is not None:
            return self.limit.loss(etas)
        return None if self.limit_values is None else self.limit_values(etas)

    def errors(self, width: int) -> np.ndarray:
        return self.sweep.etas(width) - self.eta_inf


@dataclass(frozen=True, eq=False)
class DegreeCheck:
    """The degree formula against the engine, one row per (depth, steps)."""

    name: str
    rows: tuple[dict, ...]
    verdicts: tuple[Verdict, ...]
    seconds: float


CheckResult = SweepCheck | DegreeCheck


# -- options shared by the checks ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CheckOptions:
    """What a user may set for a check; unset values come from the budget and the claim."""

    setup: Setup | None = None
    budget: Budget = BUDGETS["default"]
    widths: tuple[int, ...] | None = None
    seeds: int | None = None
    interval: tuple[float, float] | None = None
    master_seed: int = 0
    tol: float = 0.1
    progress: object = None

    def __post_init__(self) -> None:
        tol = check_finite("tol", self.tol)
        if not 0 < tol < 0.5:
            raise PolylrError(f"tol must be in (0, 0.5), got {tol}")
        if self.widths is not None:
            object.__setattr__(self, "widths", parse_widths(self.widths))
            if len(self.widths) < 2:  # before any network (issue 10)
                raise PolylrError(f"a rate needs at least 2 widths, got {list(self.widths)}")
        if self.seeds is not None:
            check_int("seeds", self.seeds, lo=1, hi=MAX_SEEDS)

    @property
    def n_widths(self) -> tuple[int, ...]:
        return self.widths if self.widths is not None else self.budget.widths

    @property
    def n_seeds(self) -> int:
        return self.seeds if self.seeds is not None else self.budget.seeds


def _fit(sw: Sweep, samples, statistic: str, quantity: str, opts: CheckOptions, salt: int) -> RateFit:
    return fit_rate(
        sw.widths, samples, statistic=statistic, quantity=quantity, n_boot=opts.budget.n_boot,
        boot_seed=opts.master_seed * 16 + salt,
    )


# -- Theorem 1 -----------------------------------------------------------------------------


def check_theorem1(opts: CheckOptions | None = None, **kw) -> SweepCheck:
    """Hayou's Theorem 1 at t = 1: under μP the optimal learning rate η_n converges to
    η_∞ = (m/L) yᵀKy/‖Ky‖² > 0, with error O(n^-1/2).

    η_n is the exact argmin of each seed's loss polynomial on ``interval`` (default
    ``[0, 4 η_∞]``). The error exponent is fitted to the seed mean of ``|η_n − η_∞|``; the spread
    exponent to the seed standard deviation of η_n. ``setup.param`` may differ from μP to test the
    claim where it should fail; η_∞ is always the μP limit (the claim's prediction).
    """
    opts = opts if opts is not None else CheckOptions(**kw)
    setup = opts.setup if opts.setup is not None else Setup()
    if setup.steps != 1:
        raise PolylrError(f"Theorem 1 is about one gradient step (t = 1), got steps = {setup.steps}")
    mup = setup.replace(param=MUP, train="hidden")
    eta_inf = eta_inf_t1(mup)
    interval = opts.interval if opts.interval is not None else (0.0, 4.0 * eta_inf)
    t0 = time.perf_counter()
    sw = sweep(setup, opts.n_widths, opts.n_seeds, interval, master_seed=opts.master_seed, progress=opts.progress)
    fits = {"error": _fit(sw, [sw.etas(w) - eta_inf for w in sw.widths], "mean_abs", "|η_n − η_∞|", opts, 0)}
    if opts.n_seeds > 1 and all(np.ptp(sw.etas(w)) > 0 for w in sw.widths):  # reported, no verdict
        fits["spread"] = _fit(sw, [sw.etas(w) for w in sw.widths], "sd", "sd(η_n)", opts, 1)
    err, tol = fits["error"], opts.tol
    v = verdict_at_most("theorem1.limit", "η_n → η_∞ > 0 as n → ∞", err, -tol, f"a decay at least like n^-{tol:g}")
    limit_v = dataclasses.replace(v, reason=f"η_∞ = {eta_inf:.6g} > 0; {v.reason}", evidence={**v.evidence, "eta_inf": eta_inf})
    rate_v = verdict_at_most("theorem1.rate", "|η_n − η_∞| = O(n^-1/2)", err, -0.5 + tol, f"-1/2 plus tolerance {tol:g}")
    verdicts = tuple(_guard_boundary(v, sw) for v in (limit_v, rate_v))
    return SweepCheck("theorem1", setup, sw, eta_inf, limit_t1(mup), fits, verdicts, time.perf_counter() - t0, tol)


# -- Theorem 3 (any t) ----------------------------------------------------------------------


def limit_argmin(setup: Setup, interval: tuple[float, float], *, grid: int = 801) -> tuple[Argmin, Limit | None, str]:
    """η_∞^(t): the minimiser of the limit loss ``L_∞^(t)`` on ``interval``, with the limit polynomial
    and the method: ``"exact"`` (the certified argmin of the exact rational polynomial, when its
    degree is at most the argmin's limit) or ``"evaluation"`` (values on a ``grid``-point grid,
    refined: :func:`polylr.argmin_on_grid`)."""
    lo, hi = check_interval(*interval)
    if limit_degree(setup) <= MAX_ARGMIN_DEGREE:
        lim = limit_polys(setup, exact=True)
        return argmin(lim.loss, lo, hi), lim, "exact"
    etas = np.linspace(lo, hi, grid)

    def f(e):
        return limit_loss_values(setup, e)

    return argmin_on_grid(etas, f(etas), f), None, "evaluation"


def check_theorem3(opts: CheckOptions | None = None, **kw) -> SweepCheck:
    """Hayou's Theorem 3 at step t (``setup.steps``, default 2): under μP the loss after t steps
    converges to a deterministic polynomial L_∞^(t)(η), so when its minimiser η_∞^(t) on the interval
    is unique, the optimal learning rate η_n^(t) converges to it.

    η_∞^(t) comes from the limit engine (:func:`limit_argmin`: exact for t where the limit polynomial
    is small, evaluation mode beyond). η_n^(t) is each seed's argmin on the interval (default
    ``[0, 2 η_∞^(1)]``: beyond it, gradient descent at t ≥ 2 diverges on the default data): from the
    exact polynomial where float64 resolves it on the interval (judged on the limit polynomial;
    :func:`polylr.analysis.sweep.float_resolves`), by gradient descent otherwise. Verdicts: ``theorem3.unique``
    (the theorem's assumption: no other local minimum of L_∞^(t) within 1 % of the minimum) and
    ``theorem3.limit`` (mean |η_n − η_∞| decays at least like n^-tol; inconclusive when the
    minimiser is not unique). The rate is measured and reported (no rate is proved for t > 1).
    """
    opts = opts if opts is not None else CheckOptions(**kw)
    setup = opts.setup if opts.setup is not None else Setup(steps=2)
    if setup.param.exponents != MUP.exponents or setup.train != "hidden":
        raise PolylrError(
            f"Theorem 3 is about μP with the hidden layers trained (parametrization 'mup', train='hidden'); "
            f"got {setup.param.name!r}, train={setup.train!r}"
        )
    t = setup.steps
    interval = opts.interval if opts.interval is not None else (0.0, 2.0 * eta_inf_t1(setup))
    t0 = time.perf_counter()
    a_inf, lim, how = limit_argmin(setup, interval)
    eta_inf = a_inf.eta
    method = "gd"
    if lim is not None:
        floats = lim.loss.to_float()
        method = "auto" if float_resolves(floats.coeffs, *interval, a_inf.value) else "gd"
    sw = sweep(setup, opts.n_widths, opts.n_seeds, interval, master_seed=opts.master_seed, progress=opts.progress, method=method)
    fits = {"error": _fit(sw, [sw.etas(w) - eta_inf for w in sw.widths], "mean_abs", "|η_n − η_∞|", opts, 4)}
    if opts.n_seeds > 1 and all(np.ptp(sw.etas(w)) > 0 for w in sw.widths):
        fits["spread"] = _fit(sw, [sw.etas(w) for w in sw.widths], "sd", "sd(η_n)", opts, 5)
    others = ", ".join(f"η = {m.eta:.6g} (L = {m.value:.6g})" for m in a_inf.near_minima)
    where = f"η_∞^({t}) = {eta_inf:.6g} on [{interval[0]:.4g}, {interval[1]:.4g}] ({how}; L_∞ = {a_inf.value:.6g})"
    minima = [{"eta": m.eta, "value": m.value, "on_boundary": m.on_boundary} for m in a_inf.local_minima]
    ev = {"eta_inf": eta_inf, "limit_method": how, "local_minima": minima, "finite_width_method": method}
    statement_u = f"L_∞^({t}) has a unique minimiser on the interval (the theorem's assumption)"
    if a_inf.on_boundary:
        unique_v = Verdict("theorem3.unique", statement_u, INCONCLUSIVE, f"{where} sits on the interval's end: widen the interval", ev)
    elif a_inf.unique:
        unique_v = Verdict("theorem3.unique", statement_u, HOLDS, f"{where}; no other local minimum within 1 % of its value", ev)
    else:
        unique_v = Verdict("theorem3.unique", statement_u, FAILS, f"{where}; other minima within 1 %: {others}", ev)
    err = fits["error"]
    rate = f"measured rate n^{err.exponent:.2f}, {err.level:.0%} CI [{err.ci[0]:.2f}, {err.ci[1]:.2f}] (no rate is proved for t > 1)"
    v = verdict_at_most("theorem3.limit", f"η_n^({t}) → η_∞^({t}) as n → ∞", err, -opts.tol, f"a decay at least like n^-{opts.tol:g}")
    v = dataclasses.replace(v, reason=f"{where}; {v.reason}; {rate}", evidence={**v.evidence, **ev})
    if unique_v.status != HOLDS and v.status != INCONCLUSIVE:
        v = dataclasses.replace(v, status=INCONCLUSIVE, reason=f"{v.reason}; but the limit's minimiser is not unique or sits on the interval's end, so the theorem does not apply")
    verdicts = (unique_v, _guard_boundary(v, sw))
    return SweepCheck(
        "theorem3", setup, sw, eta_inf, lim, fits, verdicts, time.perf_counter() - t0, opts.tol,
        limit_values=(lambda e: limit_loss_values(setup, e)) if lim is None else None,
    )


# -- parametrizations (SP, NTP, or any exponents) ------------------------------------------


def check_parametrization(
    param: Parametrization, order: float, name: str | None = None, opts: CheckOptions | None = None, **kw
) -> SweepCheck:
    """Under ``param`` at t = 1: "η_n = Θ(n^order), and the scaled optimum ν_n = n^-order·η_n converges
    to the random limit ν*(f^(0)) = (m/L) χ₀ᵀKχ₀/‖Kχ₀‖², χ₀ = f^(0) − y" (:func:`random_limit_t1`).

    That limit is random because the output at initialisation f^(0) does not vanish (under SP and NTP
    it tends to a Gaussian process with covariance K); each seed's own f^(0) predicts its ν_n. Two
    verdicts: ``NAME.order`` (the exponent of the seed mean of η_n is ``order`` ± tol) and
    ``NAME.random_limit`` (the seed mean of |ν_n − ν*(f^(0))| decays at least like n^-tol; the
    limit law, sampled with f ~ N(0, K), is reported with its spread, not tested). η_n is the argmin on ``[lo, hi]·n^order``
    (default ``[0, 4 η_∞^μP]``: compact in ν).
    """
    opts = opts if opts is not None else CheckOptions(**kw)
    base = opts.setup if opts.setup is not None else Setup()
    setup = base.replace(param=param, steps=1, train="hidden")
    name = name or param.name
    order = check_finite("order", order)
    interval = opts.interval if opts.interval is not None else (0.0, 4.0 * eta_inf_t1(setup.replace(param=MUP)))
    t0 = time.perf_counter()
    sw = sweep(setup, opts.n_widths, opts.n_seeds, interval, order=order, master_seed=opts.master_seed, progress=opts.progress)
    scaled = "η_n" if order == 0 else ("n·η_n" if order == -1 else f"n^{-order:g}·η_n")
    nu = {w: sw.etas(w) * float(w) ** -order for w in sw.widths}
    predicted = {w: random_limit_t1(setup, sw.outputs[w][:, 0, :]) for w in sw.widths}
    fits = {
        "mean": _fit(sw, [sw.etas(w) for w in sw.widths], "mean_abs", "mean η_n", opts, 2),
        "random_limit": _fit(sw, [nu[w] - predicted[w] for w in sw.widths], "mean_abs", f"|{scaled} − ν*(f^(0))|", opts, 3),
    }
    law = random_limit_law(setup, seed=opts.master_seed)
    law_sd, law_se = float(np.std(law)), float(np.std(law) / np.sqrt(2 * (law.size - 1)))
    order_v = verdict_within(f"{name}.order", f"η_n = Θ(n^{order:g})", fits["mean"], order, opts.tol)
    v = verdict_at_most(
        f"{name}.random_limit", f"{scaled} → ν*(f^(0)), a random limit (no deterministic limit to transfer)",
        fits["random_limit"], -opts.tol, f"a decay at least like n^-{opts.tol:g}",
    )
    top = sw.widths[-1]
    spread = opts.n_seeds > 2 and np.ptp(nu[top]) > 0 and np.ptp(predicted[top]) > 0
    corr = float(np.corrcoef(nu[top], predicted[top])[0, 1]) if spread else float("nan")
    limit_v = dataclasses.replace(
        v,
        reason=f"{v.reason}; the limit law (f ~ N(0, K), {law.size} draws) has mean {np.mean(law):.4g} and "
        f"sd {law_sd:.3g} ± {law_se:.1g}, so the limit is random; at n = {top} corr({scaled}, ν*) = {corr:.3f}",
        evidence={**v.evidence, "law_mean": float(np.mean(law)), "law_sd": law_sd, "law_sd_se": law_se,
                  "law_quantiles": [float(q) for q in np.quantile(law, [0.05, 0.25, 0.5, 0.75, 0.95])],
                  "corr_at_largest_width": corr},
    )
    verdicts = tuple(_guard_boundary(x, sw) for x in (order_v, limit_v))
    return SweepCheck(name, setup, sw, None, None, fits, verdicts, time.perf_counter() - t0, opts.tol)


# -- the degree formula --------------------------------------------------------------------


def check_degree(opts: CheckOptions | None = None, **kw) -> DegreeCheck:
    """deg f^(t) = L·d_t with d_0 = 0, d_{s+1} = 1 + (2L − 1) d_s, for L, t ∈ {1, 2, 3}: the engine's
    polynomial has that degree and a non-zero leading coefficient at every data point (width 6)."""
    opts = opts if opts is not None else CheckOptions(**kw)
    base = opts.setup if opts.setup is not None else Setup(data=Data.synthetic(4, 3, seed=0))
    t0 = time.perf_counter()
    rows = []
    for L in (1, 2, 3):
        for t in (1, 2, 3):
            setup = base.replace(depth=L, steps=t, param=MUP, train="hidden")
            polys = finite_width_polys(setup, 6, [opts.master_seed])
            lead = polys.outputs[0, -1, :]
            rows.append(
                {"depth": L, "steps": t, "formula": degree_formula(L, t), "engine": output_degree(setup),
                 "leading_nonzero": bool(np.all(lead != 0))}
            )
    bad = [r for r in rows if r["formula"] != r["engine"] or not r["leading_nonzero"]]
    statement = "deg f^(t) = L·d_t, d_{t+1} = 1 + (2L−1)·d_t"
    if bad:
        v = Verdict("degree", statement, FAILS, f"mismatch at {[(r['depth'], r['steps']) for r in bad]}", {"rows": rows})
    else:
        degs = ", ".join(f"L={r['depth']} t={r['steps']}: {r['formula']}" for r in rows)
        v = Verdict("degree", statement, HOLDS, f"engine degrees equal the formula with non-zero leading coefficients ({degs})", {"rows": rows})
    return DegreeCheck("degree", tuple(rows), (v,), time.perf_counter() - t0)


# -- the registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A checkable claim: ``check(budget, **options)`` runs it and returns a result with verdicts."""

    name: str
    paper: str
    statement: str
    hypotheses: str
    prediction: str
    run: Callable[[CheckOptions], CheckResult] = field(repr=False)

    def check(self, budget: str | Budget = "default", **options) -> CheckResult:
        return self.run(CheckOptions(budget=get_budget(budget), **options))


REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim to the registry (``polylr check NAME`` finds it); returns it."""
    if not isinstance(claim, Claim):
        raise PolylrError(f"register needs a Claim, got {type(claim).__name__}")
    REGISTRY[claim.name] = claim
    return claim


def get_claim(name: str) -> Claim:
    """The registered claim called ``name`` (an error listing the registered names otherwise)."""
    if name not in REGISTRY:
        raise PolylrError(f"unknown claim {name!r}; registered: {', '.join(REGISTRY)}")
    return REGISTRY[name]


register(Claim(
    "theorem1", "Hayou 2025, Theorem 1",
    "Under μP, after one GD step the optimal learning rate converges to η_∞ = (m/L) yᵀKy/‖Ky‖² > 0 at rate O(n^-1/2).",
    "deep linear MLP, μP, hidden layers trained, t = 1, K y ≠ 0, compact interval [0, 4 η_∞]",
    "mean |η_n − η_∞| decays (theorem1.limit) at least like n^-1/2 (theorem1.rate)",
    check_theorem1,
))
register(Claim(
    "sp", "Hayou 2025, SP (random limit derived in polylr's docs)",
    "Under SP the optimal learning rate vanishes, η_n = Θ(n^-1), and n·η_n has a random limit: no transfer.",
    "deep linear MLP, SP (V ~ N(0, 1/n)), hidden layers trained, t = 1, interval [0, 4 η_∞^μP]/n",
    "exponent of mean η_n = -1 (sp.order); n·η_n − ν*(f^(0)) → 0 with ν* random (sp.random_limit)",
    lambda o: check_parametrization(SP, -1.0, "sp", o),
))
register(Claim(
    "ntp", "Hayou 2025, NTP (random limit derived in polylr's docs)",
    "Under NTP (weights N(0,1), 1/√fan_in multipliers, raw learning rate) η_n = Θ(1) but its limit is random: no deterministic limit to transfer.",
    "deep linear MLP, NTP = SP initialisation with hidden learning rate η/n, t = 1, interval [0, 4 η_∞^μP]",
    "exponent of mean η_n = 0 (ntp.order); η_n − ν*(f^(0)) → 0 with ν* random (ntp.random_limit)",
    lambda o: check_parametrization(NTP, 0.0, "ntp", o),
))
register(Claim(
    "theorem3", "Hayou 2025, Theorem 3",
    "Under μP, for every fixed t the loss after t GD steps converges to a deterministic polynomial L_∞^(t)(η); if its minimiser is unique, the optimal learning rate converges to it.",
    "deep linear MLP, μP, hidden layers trained, t steps (default 2), interval [0, 2 η_∞^(1)]",
    "L_∞^(t) has a unique minimiser (theorem3.unique); mean |η_n − η_∞^(t)| decays (theorem3.limit); the rate is measured",
    check_theorem3,
))
register(Claim(
    "degree", "polylr (MISSION.md), implicit in Hayou 2025",
    "After t GD steps f^(t) is a polynomial in η of degree L·d_t, d_0 = 0, d_{t+1} = 1 + (2L − 1)·d_t.",
    "deep linear MLP, hidden layers trained, L, t ∈ {1, 2, 3}",
    "engine degree = formula, leading coefficient non-zero",
    check_degree,
))
