"""Hayou's Theorem 3 at any t: the loss after t steps converges to L_∞^(t); its unique minimiser is the limit of η_n^(t)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..analysis.argmin import MAX_DEGREE as MAX_ARGMIN_DEGREE
from ..analysis.argmin import Argmin, argmin
from ..analysis.grid import argmin_on_grid
from ..analysis.sweep import float_resolves, sweep
from ..core.errors import PolylrError, check_interval
from ..core.setup import MUP, Setup
from ..engines.evaluate import limit_loss_values
from ..engines.limit import Limit, eta_inf_t1
from ..engines.tp import limit_degree, limit_polys
from .base import FAILS, HOLDS, INCONCLUSIVE, LINEAR_OPTIONS, CheckOptions, Claim, Verdict, fit_exponent, guard_boundary, register, verdict_at_most
from .results import SweepCheck
from .width_free import SAMPLER, bias_and_fluctuation, precision_report, width_free_budget

def limit_argmin(setup: Setup, interval: tuple[float, float], *, grid: int = 801, progress=None) -> tuple[Argmin, Limit | None, str]:
    """η_∞^(t): the minimiser of the limit loss ``L_∞^(t)`` on ``interval``, with the limit polynomial
    and the method: ``"exact"`` (the certified argmin of the exact rational polynomial, when its
    degree is at most the argmin's limit) or ``"evaluation"`` (values on a ``grid``-point grid,
    refined: :func:`polylr.argmin_on_grid`; ``progress(done, total)`` follows the grid's evaluation)."""
    lo, hi = check_interval(*interval)
    if limit_degree(setup) <= MAX_ARGMIN_DEGREE:
        lim = limit_polys(setup, exact=True)
        return argmin(lim.loss, lo, hi), lim, "exact"
    etas = np.linspace(lo, hi, grid)

    def f(e):
        return limit_loss_values(setup, e)

    return argmin_on_grid(etas, limit_loss_values(setup, etas, progress=progress), f), None, "evaluation"


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
    The default widths are 2^6 … 2^20 on the width-free Gram sampler
    (:data:`polylr.claims.width_free.WIDTH_FREE_BUDGETS`; t = 3 every seed by gradient descent, fewer
    seeds; t >= 4 :data:`~polylr.claims.width_free.EVALUATION_BUDGETS`, on Gram networks whose span is
    discovered by gradient descent, dense below n = 256), each Gram width checked in extended precision
    (:func:`polylr.claims.width_free.precision_report`: the claim refuses where float64 does not
    resolve η_n); bias and fluctuation exponents are reported beside the error's.
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
    a_inf, lim, how = limit_argmin(setup, interval, progress=opts.progress)
    eta_inf = a_inf.eta
    method = "gd"
    if lim is not None:
        floats = lim.loss.to_float()
        method = "auto" if float_resolves(floats.coeffs, *interval, a_inf.value) else "gd"
    wf = width_free_budget(opts, t)  # widths 2^6..2^20 on the Gram path by default (t >= 4: discovered spans)
    widths, seeds = wf if wf is not None else (opts.n_widths, opts.n_seeds)
    sw = sweep(setup, widths, seeds, interval, master_seed=opts.master_seed, progress=opts.progress, method=method,
               sampler=SAMPLER, runner=opts.runner)
    precision = precision_report(sw, "theorem3")
    errors = [sw.etas(w) - eta_inf for w in sw.widths]
    fits = {"error": fit_exponent(sw, errors, "mean_abs", "|η_n − η_∞|", opts, 4)}
    if seeds > 1 and all(np.ptp(e) > 0 and e.mean() != 0 for e in errors):  # reported, no verdict
        fits.update(bias_and_fluctuation(sw, errors, opts, 5))
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
    verdicts = (unique_v, guard_boundary(v, sw))
    return SweepCheck(
        "theorem3", setup, sw, eta_inf, lim, fits, verdicts, time.perf_counter() - t0, opts.tol,
        limit_values=(lambda e: limit_loss_values(setup, e)) if lim is None else None, precision=precision,
    )


register(Claim(
    "theorem3", "Hayou 2025, Theorem 3",
    "Under μP, for every fixed t the loss after t GD steps converges to a deterministic polynomial L_∞^(t)(η); if its minimiser is unique, the optimal learning rate converges to it.",
    "deep linear MLP, μP, hidden layers trained, t steps (default 2), interval [0, 2 η_∞^(1)]",
    "L_∞^(t) has a unique minimiser (theorem3.unique); mean |η_n − η_∞^(t)| decays (theorem3.limit); the rate is measured",
    check_theorem3, accepts=(*LINEAR_OPTIONS, "steps"),
))
