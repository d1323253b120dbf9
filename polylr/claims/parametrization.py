"""SP, NTP or any exponents at t = 1: the order of η_n and its random limit (no deterministic limit to transfer)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..analysis.sweep import sweep
from ..core.errors import check_finite
from ..core.setup import MUP, NTP, SP, Parametrization, Setup
from ..engines.limit import eta_inf_t1, random_limit_law, random_limit_t1
from .base import LINEAR_OPTIONS, CheckOptions, Claim, fit_exponent, guard_boundary, register, verdict_at_most, verdict_within
from .results import SweepCheck
from .width_free import SAMPLER, bias_and_fluctuation, precision_report, width_free_budget

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
    (default ``[0, 4 η_∞^μP]``: compact in ν). By default at widths 2^6 … 2^20 on the width-free Gram
    sampler (the t = 1 budgets of :data:`polylr.claims.width_free.WIDTH_FREE_BUDGETS`); the per-seed
    error ``ν_n − ν*(f^(0))`` is also split into its bias ``|mean|`` and fluctuation ``sd``, each
    fitted (reported, no verdict). Under SP the Gram coordinates grow like √n, so every Gram width is
    checked in extended precision (:func:`polylr.claims.width_free.precision_report`): the claim
    refuses (:class:`~polylr.NotResolved`) where float64 does not resolve η_n.
    """
    opts = opts if opts is not None else CheckOptions(**kw)
    base = opts.setup if opts.setup is not None else Setup()
    setup = base.replace(param=param, steps=1, train="hidden")
    name = name or param.name
    order = check_finite("order", order)
    interval = opts.interval if opts.interval is not None else (0.0, 4.0 * eta_inf_t1(setup.replace(param=MUP)))
    t0 = time.perf_counter()
    widths, seeds = width_free_budget(opts, 1)  # widths 2^6..2^20 on the Gram path by default
    sw = sweep(setup, widths, seeds, interval, order=order, master_seed=opts.master_seed, progress=opts.progress,
               sampler=SAMPLER, runner=opts.runner)
    precision = precision_report(sw, name)
    scaled = "η_n" if order == 0 else ("n·η_n" if order == -1 else f"n^{-order:g}·η_n")
    nu = {w: sw.etas(w) * float(w) ** -order for w in sw.widths}
    predicted = {w: random_limit_t1(setup, sw.outputs[w][:, 0, :]) for w in sw.widths}
    fits = {
        "mean": fit_exponent(sw, [sw.etas(w) for w in sw.widths], "mean_abs", "mean η_n", opts, 2),
        "random_limit": fit_exponent(sw, [nu[w] - predicted[w] for w in sw.widths], "mean_abs", f"|{scaled} − ν*(f^(0))|", opts, 3),
    }
    gaps = [nu[w] - predicted[w] for w in sw.widths]
    if seeds > 1 and all(np.ptp(g) > 0 and g.mean() != 0 for g in gaps):  # reported, no verdict
        fits.update(bias_and_fluctuation(sw, gaps, opts, 4, (f"|mean({scaled} − ν*)|", f"sd({scaled} − ν*)")))
    law = random_limit_law(setup, seed=opts.master_seed)
    law_sd, law_se = float(np.std(law)), float(np.std(law) / np.sqrt(2 * (law.size - 1)))
    order_v = verdict_within(f"{name}.order", f"η_n = Θ(n^{order:g})", fits["mean"], order, opts.tol)
    v = verdict_at_most(
        f"{name}.random_limit", f"{scaled} → ν*(f^(0)), a random limit (no deterministic limit to transfer)",
        fits["random_limit"], -opts.tol, f"a decay at least like n^-{opts.tol:g}",
    )
    top = sw.widths[-1]
    spread = seeds > 2 and np.ptp(nu[top]) > 0 and np.ptp(predicted[top]) > 0
    corr = float(np.corrcoef(nu[top], predicted[top])[0, 1]) if spread else float("nan")
    limit_v = dataclasses.replace(
        v,
        reason=f"{v.reason}; the limit law (f ~ N(0, K), {law.size} draws) has mean {np.mean(law):.4g} and "
        f"sd {law_sd:.3g} ± {law_se:.1g}, so the limit is random; at n = {top} corr({scaled}, ν*) = {corr:.3f}",
        evidence={**v.evidence, "law_mean": float(np.mean(law)), "law_sd": law_sd, "law_sd_se": law_se,
                  "law_quantiles": [float(q) for q in np.quantile(law, [0.05, 0.25, 0.5, 0.75, 0.95])],
                  "corr_at_largest_width": corr},
    )
    verdicts = tuple(guard_boundary(x, sw) for x in (order_v, limit_v))
    return SweepCheck(name, setup, sw, None, None, fits, verdicts, time.perf_counter() - t0, opts.tol, precision=precision)


register(Claim(
    "sp", "Hayou 2025, SP (random limit derived in polylr's docs)",
    "Under SP the optimal learning rate vanishes, η_n = Θ(n^-1), and n·η_n has a random limit: no transfer.",
    "deep linear MLP, SP (V ~ N(0, 1/n)), hidden layers trained, t = 1, interval [0, 4 η_∞^μP]/n",
    "exponent of mean η_n = -1 (sp.order); n·η_n − ν*(f^(0)) → 0 with ν* random (sp.random_limit)",
    lambda o: check_parametrization(SP, -1.0, "sp", o), accepts=LINEAR_OPTIONS,
))
register(Claim(
    "ntp", "Hayou 2025, NTP (random limit derived in polylr's docs)",
    "Under NTP (weights N(0,1), 1/√fan_in multipliers, raw learning rate) η_n = Θ(1) but its limit is random: no deterministic limit to transfer.",
    "deep linear MLP, NTP = SP initialisation with hidden learning rate η/n, t = 1, interval [0, 4 η_∞^μP]",
    "exponent of mean η_n = 0 (ntp.order); η_n − ν*(f^(0)) → 0 with ν* random (ntp.random_limit)",
    lambda o: check_parametrization(NTP, 0.0, "ntp", o), accepts=LINEAR_OPTIONS,
))
