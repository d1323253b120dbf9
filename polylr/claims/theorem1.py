"""Hayou's Theorem 1: under μP the optimal learning rate after one step converges at rate n^-1/2."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..analysis.sweep import sweep
from ..core.errors import PolylrError
from ..core.setup import MUP, Setup
from ..engines.limit import eta_inf_t1, limit_t1
from .base import LINEAR_OPTIONS, CheckOptions, Claim, fit_exponent, guard_boundary, register, verdict_at_most
from .results import SweepCheck
from .width_free import SAMPLER, bias_and_fluctuation, precision_report, width_free_budget

def check_theorem1(opts: CheckOptions | None = None, **kw) -> SweepCheck:
    """Hayou's Theorem 1 at t = 1: under μP the optimal learning rate η_n converges to
    η_∞ = (m/L) yᵀKy/‖Ky‖² > 0, with error O(n^-1/2).

    η_n is the exact argmin of each seed's loss polynomial on ``interval`` (default
    ``[0, 4 η_∞]``), by default at widths 2^6 … 2^20 on the width-free Gram sampler
    (:data:`polylr.claims.width_free.WIDTH_FREE_BUDGETS`). The error exponent is fitted to the seed
    mean of ``|η_n − η_∞|``; the bias ``|mean(η_n) − η_∞|`` and the fluctuation ``sd(η_n)`` are
    fitted separately and reported (no verdict). Every Gram width is checked in extended precision
    (:func:`polylr.claims.width_free.precision_report`; the claim refuses where float64 does not
    resolve η_n). ``setup.param`` may differ from μP to test the
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
    widths, seeds = width_free_budget(opts, 1)  # widths 2^6..2^20 on the Gram path by default
    sw = sweep(setup, widths, seeds, interval, master_seed=opts.master_seed, progress=opts.progress, sampler=SAMPLER, runner=opts.runner)
    precision = precision_report(sw, "theorem1")  # refuses where float64 does not resolve η_n
    errors = [sw.etas(w) - eta_inf for w in sw.widths]
    fits = {"error": fit_exponent(sw, errors, "mean_abs", "|η_n − η_∞|", opts, 0)}
    if seeds > 1 and all(np.ptp(e) > 0 and e.mean() != 0 for e in errors):  # reported, no verdict
        fits.update(bias_and_fluctuation(sw, errors, opts, 1))
    err, tol = fits["error"], opts.tol
    v = verdict_at_most("theorem1.limit", "η_n → η_∞ > 0 as n → ∞", err, -tol, f"a decay at least like n^-{tol:g}")
    limit_v = dataclasses.replace(v, reason=f"η_∞ = {eta_inf:.6g} > 0; {v.reason}", evidence={**v.evidence, "eta_inf": eta_inf})
    rate_v = verdict_at_most("theorem1.rate", "|η_n − η_∞| = O(n^-1/2)", err, -0.5 + tol, f"-1/2 plus tolerance {tol:g}")
    verdicts = tuple(guard_boundary(v, sw) for v in (limit_v, rate_v))
    return SweepCheck("theorem1", setup, sw, eta_inf, limit_t1(mup), fits, verdicts, time.perf_counter() - t0, tol,
                      precision=precision)


register(Claim(
    "theorem1", "Hayou 2025, Theorem 1",
    "Under μP, after one GD step the optimal learning rate converges to η_∞ = (m/L) yᵀKy/‖Ky‖² > 0 at rate O(n^-1/2).",
    "deep linear MLP, μP, hidden layers trained, t = 1, K y ≠ 0, compact interval [0, 4 η_∞]",
    "mean |η_n − η_∞| decays (theorem1.limit) at least like n^-1/2 (theorem1.rate)",
    check_theorem1, accepts=(*LINEAR_OPTIONS, "param"),
))
