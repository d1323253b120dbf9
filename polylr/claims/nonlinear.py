"""Claims about networks beyond polylr's polynomial: Hayou's Figures 4–5, Ghosh–Wu–Bietti's ReLU examples.

Each claim trains networks with :mod:`polylr.analysis.train` (evaluation only: no polynomial exists
for ReLU or Adam), finds the optimal learning rate per seed and of the seed mean at each width, and
turns the widths' optima into verdicts with polylr's rate fits (:func:`polylr.fit_rate`, bootstrap
over seeds) and verdict rules (:func:`polylr.claims.base.verdict_at_most`).

Shared definitions (docs/nonlinear.md has the details and measured numbers):

- **shift of the optimum** between consecutive widths n and 2n: ``|mean log η*_{2n} − mean log η*_n|``
  (the seed means of the per-seed optima); when ``log η*_n`` converges like ``n^-β`` the shifts
  decay like ``n^-β`` too, so its fitted exponent estimates ``-β`` without knowing the limit;
- **modes** of a loss-vs-η curve: local minima of the seed-mean curve on the grid whose rise on
  each side (the highest point of the mean curve before a lower point is reached, minus the minimum)
  exceeds three times the larger of two standard errors, the seed mean's at the minimum and that of
  the paired rise (hump − minimum per seed), plus 1 % of the minimum (:func:`modes`); "unimodal"
  means one mode;
- **stable** optimum (:func:`stable_verdict`): every width's geometric-mean optimum within a factor
  2 of the reference (the largest width's, or the exact limit's argmin), bootstrap over seeds;
- **jump** (:func:`jump_verdict`): the grid argmin of the seed-mean curve moves by a factor >= 2
  between consecutive widths in >= 95 % of bootstrap resamples.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import jax
import mpmath
import numpy as np

from matplotlib.figure import Figure

from ..report.plots import to_bytes
from .base import (
    BOUNDARY_LIMIT, FAILS, HOLDS, INCONCLUSIVE, MIN_SEEDS, Claim, CheckOptions, Verdict, budget_entry, lr_scan, progress_note, register, verdict_at_most,
)
from ..analysis.grid import argmin_on_grid
from ..engines.evaluate import limit_loss_values
from ..engines.limit import eta_inf_t1
from ..analysis.gaps import GapFits, fast_decision, fit_gap_samples
from ..analysis.rates import RateFit, fit_rate
from ..core.errors import PolylrError
from ..core.setup import Data, Setup
from ..engines.mlp import CHUNK_BYTES, GIB, MEMORY_LIMIT, MLP, MUP_ADAM, MUP_SGD, Optimizer, Training
from ..analysis.train import LRScan
from ..core.jsonsafe import json_ready

FIG_DATA = dict(m=16, d=16, noise=0.1, seed=0)  # Hayou's Figures 4–5 here: see docs/nonlinear.md


def _fig_data() -> Data:
    return Data.synthetic(**FIG_DATA)


# -- statistics on scans ------------------------------------------------------------------------


def dip_threshold(curves: np.ndarray, i: int, top: int, *, rel: float = 0.01, k_se: float = 3.0) -> float:
    """What the seed-mean rise from grid point ``i`` (a minimum) to ``top`` (a hump) of ``curves``
    (``(S, E)``) must exceed for ``modes`` to count the dip on that side: ``k_se`` times the larger
    of the standard errors of the mean at ``i`` and of the paired rise, plus ``rel`` of the mean at ``i``."""
    c = np.atleast_2d(np.asarray(curves, dtype=np.float64))
    S = c.shape[0]
    se = lambda x: float(np.std(x, ddof=1) / math.sqrt(S)) if S > 1 else 0.0  # noqa: E731
    return k_se * max(se(c[:, i]), se(c[:, top] - c[:, i])) + rel * abs(float(np.mean(c[:, i])))


def modes(grid: np.ndarray, curves: np.ndarray, *, rel: float = 0.01, k_se: float = 3.0) -> list[int]:
    """Indices of the significant local minima of the seed-mean curve of ``curves`` (``(S, E)``, one
    row per seed on ``grid``; non-finite values are peaks). A local minimum counts when, on each side,
    its prominence (the highest point of the mean curve between it and the next lower point) exceeds
    ``k_se`` standard errors plus ``rel·|value|``, where the standard error is the larger of the
    mean's at the minimum and that of the *paired* rise, hump − minimum per seed. The paired one is
    the test of a dip; the level's alone counted dips made by a few seeds spiking at the hump (the
    μP panel of gwb-relu-kindex at n = 512: paired t 1.0, docs/nonlinear.md). One seed: ``rel`` only.
    A side with no lower point, or where a seed diverges at the hump, rises without bound."""
    c = np.atleast_2d(np.asarray(curves, dtype=np.float64))
    n = c.shape[1]
    with np.errstate(invalid="ignore"):
        v = np.where(np.all(np.isfinite(c), axis=0), np.mean(c, axis=0), np.inf)
    out = []
    for i in range(n):
        if not np.isfinite(v[i]):
            continue
        if (i > 0 and v[i - 1] <= v[i]) or (i < n - 1 and v[i + 1] < v[i]):
            continue
        ok = True
        for step in (-1, 1):
            j, top = i + step, i
            while 0 <= j < n and v[j] >= v[i]:
                top = j if v[j] > v[top] else top
                j += step
            if not 0 <= j < n or not np.isfinite(v[top]):
                continue  # no lower point on this side, or a diverged hump: an unbounded rise
            ok &= bool(np.mean(c[:, top] - c[:, i]) > dip_threshold(c, i, top, rel=rel, k_se=k_se))
        if ok:
            out.append(i)
    return out


def _shift_fit(scans: dict[int, LRScan], label: str, n_boot: int, boot_seed: int) -> RateFit | None:
    """Fit of |mean log η*_{2n} − mean log η*_n| against n (pairs of consecutive widths)."""
    ws = sorted(scans)
    samples, at = [], []
    for a, b in zip(ws[:-1], ws[1:]):
        la, lb = np.log(scans[a].etas_star), np.log(scans[b].etas_star)
        if not (np.all(np.isfinite(la)) and np.all(np.isfinite(lb))):
            return None
        k = min(la.size, lb.size)
        samples.append(lb[:k] - la[:k])  # independent networks, paired by index: the mean is the shift
        at.append(a)
    if len(at) < 2 or any(abs(np.mean(s)) == 0 for s in samples):
        return None
    return fit_rate(at, samples, statistic="abs_mean", quantity=f"shift of log η* ({label})", n_boot=n_boot, boot_seed=boot_seed)


def _boundary_fraction(scan: LRScan) -> float:
    return float(np.mean([a is None or a.on_boundary for a in scan.argmins]))


def _guard(v: Verdict, scans: dict[int, LRScan]) -> Verdict:
    worst = max(scans, key=lambda w: _boundary_fraction(scans[w]))
    frac = _boundary_fraction(scans[worst])
    if frac <= BOUNDARY_LIMIT or v.status == INCONCLUSIVE:
        return v
    return dataclasses.replace(
        v, status=INCONCLUSIVE,
        reason=f"{v.reason}; but at n = {worst} the optimum sits on the grid's end (or every η diverged) for "
        f"{frac:.0%} of the seeds (limit {BOUNDARY_LIMIT:.0%}): widen the grid",
    )


# -- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NonlinearCheck:
    """A claim checked by training: per panel (a network/optimizer configuration) and width an
    :class:`~polylr.analysis.train.LRScan`; the rate fits; the verdicts; what was run (``budget``,
    including what differs from the paper) and extra numbers (e.g. the limit's argmin)."""

    name: str
    verdicts: tuple[Verdict, ...]
    seconds: float
    budget: dict
    panels: dict = field(repr=False)  # label -> {width: LRScan}
    fits: dict = field(default_factory=dict)  # label -> RateFit
    extra: dict = field(default_factory=dict)  # label -> JSON-ready numbers; "training": the panel's Training.describe()

    def to_json(self) -> dict:
        return json_ready({
            "name": self.name, "seconds": self.seconds, "budget": self.budget, "jax_version": jax.__version__,
            "backend": jax.default_backend(),
            "verdicts": [v.to_dict() for v in self.verdicts],
            "fits": {k: f.to_dict() for k, f in self.fits.items()},
            "extra": self.extra,
            "panels": {lab: {str(w): s.to_json() for w, s in sc.items()} for lab, sc in self.panels.items()},
        })

    def tables(self) -> list[tuple[str, list[str], list[list]]]:
        rows = []
        for lab, sc in self.panels.items():
            for w, s in sorted(sc.items()):
                e = s.etas_star
                m = s.mean_argmin
                rows.append([
                    lab, w, len(s.curves.seeds), _fmt(np.exp(np.nanmean(np.log(e)))), _fmt(np.nanstd(np.log(e), ddof=1) if e.size > 1 else float("nan")),
                    "-" if m is None else _fmt(m.eta), "-" if m is None else _fmt(m.value),
                    len(modes(s.grid, s.curves.objective)), f"{float(np.mean(s.curves.diverged)):.0%}", f"{_boundary_fraction(s):.0%}",
                ])
        cols = ["panel", "n", "seeds", "geo-mean η*", "sd log η*", "η* of mean", "mean loss there", "modes", "diverged", "on grid end"]
        out = [(f"{self.name}: optimal learning rates", cols, rows)]
        if self.fits:
            fr = [[k, f.quantity, f.statistic, _fmt(f.exponent), f"[{_fmt(f.ci[0])}, {_fmt(f.ci[1])}]", " ".join(map(str, f.widths))]
                  for k, f in self.fits.items()]
            out.append((f"{self.name}: fitted exponents", ["fit", "quantity", "statistic", "exponent", "95% CI", "widths"], fr))
        return out  # the report adds the verdict table

    def figures(self, fmt: str = "png") -> dict[str, bytes]:
        k = len(self.panels)
        fig = Figure(figsize=(4.2 * k, 3.6), layout="constrained")
        axes = fig.subplots(1, k, squeeze=False)[0]
        for ax, (lab, sc) in zip(axes, self.panels.items()):
            for w, s in sorted(sc.items()):
                mean = s.mean_curve
                ok = np.isfinite(mean)
                line, = ax.plot(s.grid[ok], mean[ok], marker=".", label=f"n = {w}")
                if s.mean_argmin is not None:
                    ax.plot([s.mean_argmin.eta], [s.mean_argmin.value], "*", color=line.get_color(), ms=9)
            ref = self.extra.get(lab, {}).get("eta_inf")
            if ref is not None:
                ax.axvline(ref, color="k", ls="--", lw=0.8, label="η*_∞ (limit)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("η")
            ax.set_ylabel("seed-mean loss")
            ax.set_title(lab, fontsize=9)
            ax.legend(fontsize=7)
        return {f"{self.name}.{fmt}": to_bytes(fig, fmt)}

    def markdown(self) -> str:
        lines = [f"## {self.name}", "", f"Budget: {self.budget.get('description', '')}", ""]
        lines += [f"- **{v.claim}** — {v.status}: {v.reason}" for v in self.verdicts]
        for title, cols, rows in self.tables()[:1]:
            lines += ["", f"**{title}**", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
        lines += ["", f"({self.seconds:.1f} s)"]
        return "\n".join(lines) + "\n"


def _fmt(x) -> str:
    x = float(x)
    return f"{x:.4g}" if math.isfinite(x) else str(x)


# -- budgets ------------------------------------------------------------------------------------


def _scan(tr: Training, w: int, b: dict, grid: np.ndarray, opts: CheckOptions) -> LRScan:
    """One width's scan with the budget's refinement: ``xtol``, at most ``rounds`` rounds, and the
    seed-mean curve's optimum refined or not (``refine_mean``); ``refine=False``: the grid's optima only;
    ``chunk_bytes`` (a GPU entry's): the working memory of one compiled call's (seed, η) pairs; through
    the results store when the check has one (:func:`~polylr.claims.base.lr_scan`)."""
    return lr_scan(opts, tr, w, range(b["seeds"]), grid, master_seed=opts.master_seed, refine=b.get("refine", True), xtol=b["xtol"],
                   max_rounds=b.get("rounds", 8), refine_mean=b.get("refine_mean", True), chunk_bytes=b.get("chunk_bytes", CHUNK_BYTES))


# -- hayou-fig4 ---------------------------------------------------------------------------------

FIG4_BUDGETS = {
    "tiny": dict(depths=(3,), widths=(8, 16), seeds=4, steps=20, xtol=0.1, rounds=2),
    "quick": dict(depths=(3,), widths=(16, 32, 64, 128), seeds=16, steps=20, xtol=0.05, rounds=3),
    "default": dict(depths=(3, 9), widths=(16, 32, 64, 128), seeds=16, steps=20, xtol=0.05, rounds=3),
    "thorough": dict(depths=(3, 9, 27), widths=(32, 64, 128, 256, 512), seeds=32, steps=20, xtol=0.02),
    "thorough-gpu": dict(depths=(3, 9, 27), widths=(128, 256, 512, 1024, 2048), seeds=32, steps=20, xtol=0.005),
}


def _fig4_training(L: int, steps: int, data: Data) -> Training:
    return Training(net=MLP(depth=L, activation="linear", param=MUP_SGD, train=("hidden",)), optimizer=Optimizer("sgd"),
                    data=data, steps=steps, dtype="float64")


RIVAL = 0.1  # another local minimum of the limit loss within 10 % of its minimum: a near tie of two basins


def rival_minima(lim, rel: float = RIVAL) -> list:
    """The limit loss's other local minima (away from its argmin by more than a factor 1.2 in η)
    whose value is within ``rel`` of the minimum (relative to ``|min|``): near-tied basins, where a
    finite width's optimum can sit in either and |log η*_n − log η*_∞| says nothing about a rate."""
    return [m for m in lim.local_minima if abs(math.log(m.eta / lim.eta)) > math.log(1.2) and m.value - lim.value <= rel * abs(lim.value)]


def check_hayou_fig4(opts: CheckOptions | None = None, **kw) -> NonlinearCheck:
    """Hayou's Figure 4: a deep linear MLP under μP trained by 20 full-batch GD steps at depths
    3, 9, 27 (only the hidden layers trained, as in polylr's deep linear setup), by the evaluation
    engine in float64. Per depth: the optimum η*_n per seed (grid + bracketing refinement), and the
    limit's argmin η*_∞ from the exact Tensor-Programs limit (:func:`polylr.limit_loss_values`,
    refined to 1e-6). Verdicts per depth: ``.stable`` (every width's geometric-mean η*_n within a
    factor 2 of η*_∞, :func:`stable_verdict`) and the rate: the mean of |log η*_n − log η*_∞|
    decays at least like n^-tol (``inconclusive`` when the limit loss has a rival minimum,
    :func:`rival_minima`)."""
    opts = opts if opts is not None else CheckOptions(**kw)
    b = budget_entry(opts, FIG4_BUDGETS)
    data = _fig_data()
    preflight([_fig4_training(L, b["steps"], data) for L in b["depths"]], b["widths"])
    t0 = time.perf_counter()
    panels, fits, extra, verdicts, trained = {}, {}, {}, [], {}
    for i, L in enumerate(b["depths"]):
        lab = f"L = {L}, t = {b['steps']}"
        setup = Setup(data=data, depth=L, steps=b["steps"])
        e1 = eta_inf_t1(setup)
        grid = np.geomspace(e1 / 32, 1.5 * e1, 17)
        f = lambda e, setup=setup: limit_loss_values(setup, e)  # noqa: E731
        lim = argmin_on_grid(grid, f(grid), f, xtol=1e-6)
        extra[lab] = {"eta_inf": lim.eta, "limit_loss": lim.value, "eta_inf_t1": e1, "limit_on_boundary": lim.on_boundary,
                      "limit_local_minima": [[m.eta, m.value] for m in lim.local_minima]}
        tr = _fig4_training(L, b["steps"], data)
        trained[lab] = tr.describe()
        scans = {}
        for w in b["widths"]:
            progress_note(opts, f"{lab} n = {w}")
            scans[w] = _scan(tr, w, b, grid, opts)
        panels[lab] = scans
        verdicts.append(stable_verdict(f"hayou-fig4.L{L}.stable", lab, scans, opts.budget.n_boot, opts.master_seed * 16 + 70 + i,
                                       ref=None if lim.on_boundary else lim.eta))
        errs = [np.log(scans[w].etas_star) - math.log(lim.eta) for w in b["widths"]]
        statement = f"{lab}: η*_n → η*_∞ (the exact limit's argmin) as n → ∞"
        if not all(np.all(np.isfinite(e)) for e in errs):
            verdicts.append(Verdict(f"hayou-fig4.L{L}", statement, INCONCLUSIVE, "some seed diverged at every grid η", extra[lab]))
            continue
        fit = fit_rate(b["widths"], errs, statistic="mean_abs", quantity=f"|log η*_n − log η*_∞| ({lab})",
                       n_boot=opts.budget.n_boot, boot_seed=opts.master_seed * 16 + 6 + i)
        fits[lab] = fit
        top = b["widths"][-1]
        gap = float(np.exp(np.mean(errs[-1])) - 1)
        v = verdict_at_most(f"hayou-fig4.L{L}", statement, fit, -opts.tol, f"a decay at least like n^-{opts.tol:g}")
        v = dataclasses.replace(
            v, reason=f"η*_∞ = {lim.eta:.5g} (limit engine); at n = {top} the geometric-mean η*_n is {gap:+.2%} from it; {v.reason}",
            evidence={**v.evidence, **extra[lab]},
        )
        if lim.on_boundary and v.status != INCONCLUSIVE:
            v = dataclasses.replace(v, status=INCONCLUSIVE, reason=f"{v.reason}; but the limit's argmin sits on the grid's end")
        rivals = rival_minima(lim)
        if rivals and v.status != INCONCLUSIVE:
            v = dataclasses.replace(v, status=INCONCLUSIVE, reason=f"{v.reason}; but the limit loss has other minima within "
                                    f"{RIVAL:.0%} of its minimum {lim.value:.4g} (" + ", ".join(f"η ≈ {m.eta:.4g}: {m.value:.4g}" for m in rivals)
                                    + "): which basin a finite width's optimum sits in is not settled at these widths")
        verdicts.append(_guard(v, scans))
    # what was trained (summary.json's record), in new dicts: extra[lab] is also the verdicts' evidence
    extra = {lab: {**ex, "training": trained[lab]} for lab, ex in extra.items()}
    budget = {
        **b, "data": data.source, "dtype": "float64", "optimizer": "sgd (full batch)", "trained": "hidden layers",
        "description": f"depths {b['depths']}, widths {b['widths']}, {b['seeds']} seeds, t = {b['steps']} GD steps, "
        f"data {data.source}, float64; the paper's data set and widths are not in our sources",
    }
    return NonlinearCheck("hayou-fig4", tuple(verdicts), time.perf_counter() - t0, budget, panels, fits, extra)


# -- hayou-fig5 ---------------------------------------------------------------------------------

FIG5_BUDGETS = {
    "tiny": dict(runs=((3, 20),), widths=(8, 16), seeds=4, xtol=0.1, rounds=2),
    "quick": dict(runs=((3, 20),), widths=(32, 64, 128, 256), seeds=16, xtol=0.05, rounds=3),
    "default": dict(runs=((3, 20), (9, 20)), widths=(32, 64, 128, 256), seeds=16, xtol=0.05, rounds=3),
    "thorough": dict(runs=((3, 20), (9, 20), (27, 20), (9, 100)), widths=(64, 128, 256, 512), seeds=32, xtol=0.01),
    "thorough-gpu": dict(runs=((3, 20), (9, 20), (27, 20), (9, 100)), widths=(128, 256, 512, 1024, 2048), seeds=32, xtol=0.01),
}


def _transfer_verdicts(name: str, lab: str, scans: dict[int, LRScan], opts: CheckOptions, salt: int):
    """"η*_n converges" (shift exponent) and "the loss-vs-η curve is unimodal" for one panel."""
    fit = _shift_fit(scans, lab, opts.budget.n_boot, opts.master_seed * 16 + salt)
    statement = f"{lab}: the optimal learning rate η*_n converges as n grows"
    ws = sorted(scans)
    means = [float(np.exp(np.nanmean(np.log(scans[w].etas_star)))) for w in ws]
    where = ", ".join(f"n = {w}: {m:.4g}" for w, m in zip(ws, means))
    if fit is None:
        conv = Verdict(f"{name}.converges", statement, INCONCLUSIVE, f"geometric-mean η*_n {where}; no shift rate could be fitted (a seed diverged everywhere, or a zero shift)", {"eta_star": means})
    else:
        conv = verdict_at_most(f"{name}.converges", statement, fit, -opts.tol, f"shifts decaying at least like n^-{opts.tol:g}")
        conv = dataclasses.replace(conv, reason=f"geometric-mean η*_n {where}; {conv.reason}; measured rate of log η*_n: n^{fit.exponent:.2f}",
                                   evidence={**conv.evidence, "eta_star": means})
        conv = _guard(conv, scans)
    spread = None
    logs = [np.log(scans[w].etas_star) for w in ws]
    stmt_c = f"{lab}: η*_n concentrates (its seed-to-seed spread vanishes: a deterministic limit)"
    if all(np.all(np.isfinite(x)) and x.size > 1 and np.ptp(x) > 0 for x in logs) and len(ws) > 1:
        spread = fit_rate(ws, logs, statistic="sd", quantity=f"sd of log η*_n ({lab})", n_boot=opts.budget.n_boot,
                          boot_seed=opts.master_seed * 16 + salt + 100)
        conc = _guard(verdict_at_most(f"{name}.concentrates", stmt_c, spread, -opts.tol, f"a decay at least like n^-{opts.tol:g}"), scans)
    else:
        conc = Verdict(f"{name}.concentrates", stmt_c, INCONCLUSIVE, "fewer than 2 seeds, a zero spread, or a seed diverged everywhere", {})
    counts = {}
    for w in ws:
        counts[w] = [float(scans[w].grid[i]) for i in modes(scans[w].grid, scans[w].curves.objective)]
    multi = {w: c for w, c in counts.items() if len(c) > 1}
    stmt_u = f"{lab}: the seed-mean loss-vs-η curve is unimodal at every width"
    txt = "; ".join(f"n = {w}: modes at η ≈ {', '.join(f'{e:.3g}' for e in c)}" for w, c in counts.items())
    if min(len(scans[w].curves.seeds) for w in ws) < 2:
        uni = Verdict(f"{name}.unimodal", stmt_u, INCONCLUSIVE, f"{txt}; fewer than 2 seeds: no standard error", {"modes": counts})
    elif multi:
        uni = Verdict(f"{name}.unimodal", stmt_u, FAILS, f"more than one significant minimum: {txt}", {"modes": counts})
    else:
        uni = Verdict(f"{name}.unimodal", stmt_u, HOLDS, f"one significant minimum at every width ({txt})", {"modes": counts})
    return fit, spread, conv, conc, uni


STABLE = 2.0  # "stable": every width's optimum within a factor 2 of the reference (a factor-2 LR sweep's resolution)


def stable_verdict(name: str, lab: str, scans: dict[int, LRScan], n_boot: int, boot_seed: int, *, factor: float = STABLE,
                   ref: float | None = None) -> Verdict:
    """Is the optimum stable across widths? ``D = max_n |mean log η*_n − mean log η*_ref|`` over the
    widths (``ref``: the largest width's seed mean, or a given η such as the limit's argmin), with a
    bootstrap over seeds (each width resampled independently): ``holds`` when the 95 % upper bound of
    D is <= log(factor), ``fails`` when its 95 % lower bound (2.5 % quantile) is above log(factor)."""
    stmt = f"{lab}: η*_n is stable across widths (within a factor {factor:g} of " + (
        "the largest width's)" if ref is None else f"η*_∞ = {ref:.4g})")
    ws = sorted(scans)
    logs = {w: np.log(scans[w].etas_star) for w in ws}
    if not all(np.all(np.isfinite(x)) and x.size >= 2 for x in logs.values()):
        return Verdict(name, stmt, INCONCLUSIVE, "fewer than 2 seeds, or a seed diverged at every grid η", {})
    rng = np.random.default_rng(boot_seed)

    def dev(means: dict) -> float:
        r = math.log(ref) if ref is not None else means[ws[-1]]
        return max(abs(means[w] - r) for w in (ws if ref is not None else ws[:-1]))

    point = dev({w: float(np.mean(x)) for w, x in logs.items()})
    boot = np.array([dev({w: float(np.mean(x[rng.integers(0, x.size, x.size)])) for w, x in logs.items()}) for _ in range(n_boot)])
    lo, hi = (float(np.quantile(boot, q)) for q in (0.025, 0.975))
    geo = ", ".join(f"n = {w}: {math.exp(np.mean(x)):.4g}" for w, x in logs.items())
    txt = (f"geometric-mean η*_n {geo}; largest log-deviation D = {point:.3f} (a factor {math.exp(point):.3f}), "
           f"95% CI [{lo:.3f}, {hi:.3f}] against log {factor:g} = {math.log(factor):.3f}")
    ev = {"D": point, "ci": [lo, hi], "factor": factor, "ref": ref}
    if min(x.size for x in logs.values()) < MIN_SEEDS:
        return _guard(Verdict(name, stmt, INCONCLUSIVE, f"{txt}; at least {MIN_SEEDS} seeds are needed", ev), scans)
    if hi <= math.log(factor):
        return _guard(Verdict(name, stmt, HOLDS, txt, ev), scans)
    if lo > math.log(factor):
        return _guard(Verdict(name, stmt, FAILS, txt, ev), scans)
    return _guard(Verdict(name, stmt, INCONCLUSIVE, f"{txt}: more seeds are needed", ev), scans)


JUMP = math.log(2.0)  # a "jump" of the optimum: a factor >= 2 between consecutive widths


def jump_verdict(name: str, lab: str, scans: dict[int, LRScan], n_boot: int, boot_seed: int) -> Verdict:
    """Does the optimum of the seed-mean loss-vs-η curve jump (move by a factor >= 2) between two
    consecutive widths? Per pair of widths, a bootstrap over seeds (resampled independently at each
    width) of the grid argmin of the mean curve gives the fraction of resamples with a move of at
    least a factor 2: ``holds`` when that fraction is >= 95 % for some pair, ``fails`` when it is
    <= 5 % for every pair (no jump at these widths), else ``inconclusive``. A move of one grid
    interval never counts, whatever its factor: a grid argmin steps by one interval when the true
    optimum moves by any amount across the midpoint between two grid points (on a grid of spacing
    >= a factor 2 a move counts from two intervals on; the claim's grids, spacing 1.46, need two
    intervals for a factor 2 anyway)."""
    stmt = f"{lab}: the optimum of the seed-mean curve jumps (by a factor >= 2) between consecutive widths"
    ws = sorted(scans)
    rng = np.random.default_rng(boot_seed)

    def boot_argmins(s: LRScan) -> np.ndarray:
        obj = s.curves.objective
        idx = rng.integers(0, obj.shape[0], (n_boot, obj.shape[0]))
        with np.errstate(invalid="ignore"):
            means = np.mean(obj[idx], axis=1)  # (n_boot, E); +inf where a resampled seed diverged
        return np.log(s.grid)[np.argmin(np.where(np.isfinite(means), means, np.inf), axis=1)]

    if len(ws) < 2 or min(len(scans[w].curves.seeds) for w in ws) < 2:
        return Verdict(name, stmt, INCONCLUSIVE, "fewer than 2 widths or 2 seeds", {})
    boots = {w: boot_argmins(scans[w]) for w in ws}
    opt = {w: (None if scans[w].mean_argmin is None else scans[w].mean_argmin.eta) for w in ws}
    step = {w: float(np.max(np.diff(np.log(scans[w].grid)))) for w in ws}  # the coarsest grid interval
    need = {(a, b): max(JUMP - 1e-12, 1.5 * max(step[a], step[b])) for a, b in zip(ws[:-1], ws[1:])}
    frac = {f"{a}->{b}": float(np.mean(np.abs(boots[b] - boots[a]) >= need[a, b])) for a, b in zip(ws[:-1], ws[1:])}
    where = ", ".join(f"n = {w}: {'-' if e is None else f'{e:.3g}'}" for w, e in opt.items())
    txt = f"optimum of the mean curve {where}; bootstrap fraction of a factor-2 move per pair: " + ", ".join(
        f"{k} {v:.0%}" for k, v in frac.items())
    ev = {"eta_star_mean_curve": opt, "jump_fraction": frac, "n_boot": n_boot}
    if max(frac.values()) >= 0.95:
        # Say where and which way: a move between the smallest widths is the approach to the
        # limit as much as a jump (gwb-relu-kindex on a GPU: 256 -> 1024, then none to 32768).
        moves = [f"{a}->{b} (optimum x{opt[b] / opt[a]:.3g})" for a, b in zip(ws[:-1], ws[1:])
                 if frac[f"{a}->{b}"] >= 0.95 and opt[a] and opt[b]]
        return Verdict(name, stmt, HOLDS, f"{txt}; the jump{'s' if len(moves) > 1 else ''}: {', '.join(moves)}", ev)
    if max(frac.values()) <= 0.05:
        return Verdict(name, stmt, FAILS, f"{txt}: no jump at these widths", ev)
    return Verdict(name, stmt, INCONCLUSIVE, f"{txt}: more seeds are needed", ev)


def check_hayou_fig5(opts: CheckOptions | None = None, **kw) -> NonlinearCheck:
    """Hayou's Figure 5: a ReLU MLP under μP trained with Adam (μP's Adam rule: hidden and output
    learning rates η/n), full batch, all layers trained, depths 3, 9, 27 for 20 steps and depth 9 for
    100 steps. Per run: the optimum per seed and of the seed mean at each width; verdicts: η*_n is
    stable (``.stable``, within a factor 2 of the largest width's), converges (``.converges``: the
    shift between consecutive widths decays at least like n^-tol; the rate is reported),
    concentrates (``.concentrates``: its seed spread decays) and the seed-mean curve is unimodal
    (``.unimodal``)."""
    opts = opts if opts is not None else CheckOptions(**kw)
    b = budget_entry(opts, FIG5_BUDGETS)
    data = _fig_data()
    grid = np.geomspace(1e-3, 3.0, 16)
    t0 = time.perf_counter()
    panels, fits, verdicts, extra = {}, {}, [], {}
    trainings = [Training(net=MLP(depth=L, activation="relu", param=MUP_ADAM), optimizer=Optimizer("adam"), data=data, steps=t)
                 for L, t in b["runs"]]
    preflight(trainings, b["widths"])
    for i, ((L, t), tr) in enumerate(zip(b["runs"], trainings)):
        lab = f"L = {L}, t = {t}"
        extra[lab] = {"training": tr.describe()}
        scans = {}
        for w in b["widths"]:
            progress_note(opts, f"{lab} n = {w}")
            scans[w] = _scan(tr, w, b, grid, opts)
        panels[lab] = scans
        fit, spread, conv, conc, uni = _transfer_verdicts(f"hayou-fig5.L{L}.t{t}", lab, scans, opts, 8 + i)
        fits.update({k: f for k, f in ((f"{lab}: shift", fit), (f"{lab}: spread", spread)) if f is not None})
        stable = stable_verdict(f"hayou-fig5.L{L}.t{t}.stable", lab, scans, opts.budget.n_boot, opts.master_seed * 16 + 60 + i)
        verdicts += [stable, conv, conc, uni]
    budget = {
        **b, "data": data.source, "dtype": "float32", "optimizer": "adam (b1 0.9, b2 0.999, eps 1e-8), full batch",
        "grid": [float(g) for g in grid], "trained": "all layers",
        "description": f"runs (L, t) {b['runs']}, widths {b['widths']}, {b['seeds']} seeds, Adam, full batch, data {data.source}, "
        "float32, η grid 1e-3..3 (16 log-spaced points, refined); the paper's data set and widths are not in our sources",
    }
    return NonlinearCheck("hayou-fig5", tuple(verdicts), time.perf_counter() - t0, budget, panels, fits, extra)


# -- Ghosh–Wu–Bietti ----------------------------------------------------------------------------


def kindex_data(m: int, *, d: int = 64, k: int = 15, seed: int = 0) -> Data:
    """GWB's Gaussian k-index model: ``x ~ N(0, 4 I_d / d)``, ``y = √((d / 4k) Σ_{i ≤ k} x_i²)``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d)) * (2.0 / math.sqrt(d))
    y = np.sqrt(d / (4 * k) * np.sum(X[:, :k] ** 2, axis=1))
    return Data(X, y, source=f"kindex(m={m}, d={d}, k={k}, seed={seed})")


def chi2_median(d: int) -> float:
    """The median of χ²_d: the root of P(d/2, x/2) = 1/2 (mpmath's regularised lower incomplete gamma)."""
    start = d * (1 - 2 / (9 * d)) ** 3  # Wilson–Hilferty
    return float(mpmath.findroot(lambda x: mpmath.gammainc(d / 2, 0, x / 2, regularized=True) - 0.5, start))


def ball_data(m: int, *, d: int = 64, seed: int = 0) -> Data:
    """GWB's ball indicator: ``x ~ N(0, I_d)``, ``y = 1{‖x‖² > median of χ²_d}``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, d))
    y = (np.sum(X**2, axis=1) > chi2_median(d)).astype(np.float64)
    return Data(X, y, source=f"ball(m={m}, d={d}, seed={seed})")


# The GWB claims' GPU entries train many (seed, η) pairs per compiled call: with the default 512 MiB
# chunk a pair at n >= 4096 (the 8192 held-out activations) runs alone, and on the H200 gwb-relu-kindex
# at T = 2^14 took 176 s for n = 4096 with 2 seeds (grid and refinement), against 23 µs per run and step
# (8 pairs per call) in benchmarks/gpu_session.py's kindex runs, which use these sizes (docs/nonlinear.md).
# budget_entry caps the memory limit at 90 % of a smaller device's memory, and the chunk stays within it.
GPU_CHUNKS = dict(memory_limit=96 * GIB, chunk_bytes=48 * GIB)

# T = 256 steps: enough feature learning for the second mode of the μP curve to show at n >= 512
# (docs/nonlinear.md has the measurements); the paper's T = 2^14 and n to 2^15 need a GPU.
KINDEX_BUDGETS = {
    "tiny": dict(widths=(16, 32), seeds=4, steps=16, batch=256, eval_m=512, xtol=0.2, rounds=1, refine_mean=False, grid=(0.01, 3.0, 16)),
    "quick": dict(widths=(256, 512), seeds=8, steps=256, batch=256, eval_m=2048, xtol=0.2, rounds=1, refine_mean=False, grid=(0.01, 3.0, 16)),
    "default": dict(widths=(64, 128, 256, 512), seeds=8, steps=256, batch=256, eval_m=2048, xtol=0.1, rounds=2, refine_mean=False, grid=(0.01, 3.0, 16)),
    "thorough": dict(widths=(64, 128, 256, 512, 1024, 2048), seeds=16, steps=1024, batch=256, eval_m=4096, xtol=0.05, grid=(0.01, 3.0, 24)),
    "thorough-gpu": dict(widths=(256, 1024, 4096, 8192, 16384, 32768), seeds=8, steps=2**14, batch=256, eval_m=8192, xtol=0.02, grid=(1e-4, 3.0, 32),
                         **GPU_CHUNKS),
}
# T = 512 steps: the networks learn the ball (validation loss 0.51 at n = 64, 0.38 at n = 256 and
# 0.33 at n = 1024 against log 2 = 0.69 at T = 0); at T = 32 they barely move (0.69).
BALL_BUDGETS = {
    "tiny": dict(widths=(16, 32), seeds=4, steps=16, batch=256, eval_m=512, xtol=0.2, rounds=1, refine_mean=False, grid=(0.01, 3.0, 16)),
    "quick": dict(widths=(32, 64, 128, 256), seeds=8, steps=512, batch=256, eval_m=4096, xtol=0.1, rounds=2, refine_mean=False, grid=(0.01, 3.0, 16)),
    "default": dict(widths=(32, 64, 128, 256, 512), seeds=8, steps=512, batch=256, eval_m=4096, xtol=0.1, rounds=2, refine_mean=False, grid=(0.01, 3.0, 16)),
    "thorough": dict(widths=(64, 128, 256, 512, 1024, 2048), seeds=16, steps=2048, batch=256, eval_m=8192, xtol=0.05, grid=(0.01, 3.0, 24)),
    "thorough-gpu": dict(widths=(256, 1024, 4096, 8192, 16384), seeds=8, steps=2**14, batch=256, eval_m=8192, xtol=0.02, grid=(1e-3, 3.0, 32),
                         **GPU_CHUNKS),
}


def _grid(b: dict) -> np.ndarray:
    lo, hi, k = b["grid"]
    return np.geomspace(lo, hi, k)


def preflight(trainings, widths) -> None:
    """Every (training, width) of a check fits in memory (each training's ``check_memory``: the data,
    one seed's weights and one (seed, η) pair within its ``memory_limit``): refuse with the first
    estimate over the limit before anything is trained. Shared by the claims that train networks
    (here and :mod:`polylr.claims.lingle`), which call it with all their panels' trainings first."""
    for tr in trainings:
        for w in widths:
            tr.check_memory(w)


def _gwb_setup(opts: CheckOptions, budgets: dict, make_data) -> tuple[dict, Data, Data, np.ndarray]:
    """A GWB claim's budget entry, its online training data (``steps × batch`` points drawn from
    ``master_seed``), held-out data (``eval_m`` points from ``master_seed + 1_000_003``) and η grid."""
    b = budget_entry(opts, budgets)
    data = make_data(b["steps"] * b["batch"], seed=opts.master_seed)
    held = make_data(b["eval_m"], seed=opts.master_seed + 1_000_003)
    return b, data, held, _grid(b)


def _gwb_training(data: Data, eval_data: Data, b: dict, loss: str, param) -> Training:
    return Training(
        net=MLP(depth=0, activation="relu", bias=True, param=param), optimizer=Optimizer("adam"),
        data=data, eval_data=eval_data, steps=b["steps"], batch=b["batch"], loss=loss, order_seed=1,
        memory_limit=b.get("memory_limit", MEMORY_LIMIT),
    )


def check_gwb_kindex(opts: CheckOptions | None = None, **kw) -> NonlinearCheck:
    """Ghosh–Wu–Bietti, Figure 2 (appendix): a two-layer ReLU network (with biases) under μP trained
    with Adam (minibatch 256, squared loss) on the Gaussian 15-index model in d = 64; validation
    loss vs η per width. Verdicts per panel (``.mup``, ``.remedy`` = second-layer learning rate
    ÷ 50): ``.unimodal`` (the paper: fails under μP, holds with the remedy), ``.jump`` (the optimum
    of the seed-mean curve moves by a factor >= 2 between consecutive widths), ``.converges`` and
    ``.concentrates``. Fresh training data each step (online, as steps × batch points)."""
    opts = opts if opts is not None else CheckOptions(**kw)
    b, data, held, grid = _gwb_setup(opts, KINDEX_BUDGETS, kindex_data)
    t0 = time.perf_counter()
    panels, fits, verdicts = {}, {}, []
    runs = (("μP", MUP_ADAM), ("μP, 2nd-layer lr ÷ 50", MUP_ADAM.with_lr_factor(output=1 / 50)))
    trainings = [_gwb_training(data, held, b, "squared", param) for _, param in runs]
    preflight(trainings, b["widths"])
    extra = {lab: {"training": tr.describe()} for (lab, _), tr in zip(runs, trainings)}
    for i, ((lab, param), tr) in enumerate(zip(runs, trainings)):
        scans = {}
        for w in b["widths"]:
            progress_note(opts, f"{lab} n = {w}")
            scans[w] = _scan(tr, w, b, grid, opts)
        panels[lab] = scans
        tag = "gwb-relu-kindex" + (".mup" if i == 0 else ".remedy")
        fit, spread, conv, conc, uni = _transfer_verdicts(tag, lab, scans, opts, 12 + 2 * i)
        fits.update({k: f for k, f in ((f"{lab}: shift", fit), (f"{lab}: spread", spread)) if f is not None})
        verdicts += [conv, conc, uni, jump_verdict(f"{tag}.jump", lab, scans, opts.budget.n_boot, opts.master_seed * 16 + 40 + i)]
    budget = {
        **b, "grid": [float(g) for g in grid], "data": data.source, "eval_data": held.source, "dtype": "float32",
        "description": f"widths {b['widths']}, {b['seeds']} seeds, T = {b['steps']} Adam steps of batch {b['batch']} (online), "
        f"validation on {b['eval_m']} points, η grid {b['grid'][0]:g}..{b['grid'][1]:g} ({b['grid'][2]} log-spaced points, refined), "
        "float32; the paper uses T = 2^14 and widths to 2^15 (jump at n = 8192): "
        "only --budget thorough on a GPU approaches that scale",
    }
    return NonlinearCheck("gwb-relu-kindex", tuple(verdicts), time.perf_counter() - t0, budget, panels, fits, extra)


def check_gwb_ball(opts: CheckOptions | None = None, **kw) -> NonlinearCheck:
    """Ghosh–Wu–Bietti, Figure 5: a two-layer ReLU network (with biases) under μP trained with Adam
    (minibatch 256, logistic loss) on the ball indicator y = 1{‖x‖² > median χ²_64}. Per width the
    per-seed best validation loss φ*_n and optimum η*_n; the loss gap a_n ~ n^-α and the optimum's
    gap b_n ~ n^-β against the largest width (:func:`ball_gap_fits`). Verdicts (:func:`ball_verdicts`):
    weak transfer (``.converges``: η*_n converges), ``.concentrates``, ``.unimodal`` and fast transfer
    (``.fast``: 2β − α >= tol, the fast-transfer claim's rule); the paper finds b_n ~ √a_n: not fast."""
    opts = opts if opts is not None else CheckOptions(**kw)
    b, tr, grid = ball_training(opts)
    data, held = tr.data, tr.eval_data
    t0 = time.perf_counter()
    preflight([tr], b["widths"])
    scans = {}
    for w in b["widths"]:
        progress_note(opts, f"n = {w}")
        scans[w] = _scan(tr, w, b, grid, opts)
    lab = "μP, Adam, logistic"
    verdicts, fits, extra = ball_verdicts(scans, opts, lab)
    extra = {**extra, lab: {**extra.get(lab, {}), "training": tr.describe()}}  # a new dict: extra[lab] is also .fast's evidence
    budget = {
        **b, "grid": [float(g) for g in grid], "data": data.source, "eval_data": held.source, "dtype": "float32",
        "description": f"widths {b['widths']}, {b['seeds']} seeds, T = {b['steps']} Adam steps of batch {b['batch']} (online), "
        f"validation on {b['eval_m']} points, η grid {b['grid'][0]:g}..{b['grid'][1]:g} ({b['grid'][2]} log-spaced points, refined), "
        "float32; the paper uses T = 2^14 and widths to 2^14",
    }
    return NonlinearCheck("gwb-relu-ball", verdicts, time.perf_counter() - t0, budget, {lab: scans}, fits, extra)


def ball_training(opts: CheckOptions) -> tuple[dict, Training, np.ndarray]:
    """gwb-relu-ball's budget entry for ``opts``, its :class:`~polylr.Training` (μP Adam, logistic
    loss, online ball data) and its η grid: what :func:`check_gwb_ball` scans at each width (so that
    seeds can be scanned in batches: a seed's curves do not depend on the other seeds of its batch)."""
    b, data, held, grid = _gwb_setup(opts, BALL_BUDGETS, ball_data)
    return b, _gwb_training(data, held, b, "logistic", MUP_ADAM), grid


def ball_gap_fits(widths, phis, logs, *, n_boot: int, boot_seed: int) -> GapFits:
    """gwb-relu-ball's rates: the fast-transfer claim's estimators (:func:`polylr.fit_gap_samples`)
    on φ*_n (per-seed best validation loss) and log η*_n, per-seed lists over ``widths``. No limit is
    known for ReLU networks trained with Adam, so the largest width R stands in for it (as GWB use
    their largest width as the infinite-width proxy) and is left out of the fit: a_n = |mean φ*_n −
    mean φ*_R|, b_n = |mean log η*_n − mean log η*_R| (seeds paired by index: the mean of the
    differences is the difference of the means), exponents calibrated for the finite reference
    (:func:`polylr.calibrate_proxy`), 2β − α with the paired bootstrap over seeds. Raises
    :class:`~polylr.core.errors.PolylrError` when a gap is 0 (no power law can be fitted)."""
    ws = [int(w) for w in widths]
    k = min(np.asarray(x).size for x in list(phis) + list(logs))
    ph = [np.asarray(x, dtype=np.float64)[:k] for x in phis]
    lg = [np.asarray(x, dtype=np.float64)[:k] for x in logs]
    samples = {"a": [p - ph[-1] for p in ph[:-1]], "b": [x - lg[-1] for x in lg[:-1]]}
    for q, name in (("a", "φ*"), ("b", "log η*")):
        scale = max(float(np.max(np.abs(x))) for x in (ph if q == "a" else lg))
        zero = [w for w, d in zip(ws, samples[q]) if abs(float(np.mean(d))) <= 1e-12 * max(scale, 1.0)]
        if zero:
            raise PolylrError(f"the seed mean of {name} at width(s) {zero} equals the reference n = {ws[-1]}'s (to round-off): no power law")
    return fit_gap_samples(ws[:-1], samples, reference=ws[-1], n_boot=n_boot, boot_seed=boot_seed,
                           quantities={"a": f"a_n = |φ*_n − φ*_{ws[-1]}|", "b": f"b_n = |log η*_n − log η*_{ws[-1]}|"})


def ball_verdicts(scans: dict[int, LRScan], opts: CheckOptions, lab: str = "μP, Adam, logistic") -> tuple[tuple[Verdict, ...], dict, dict]:
    """gwb-relu-ball's verdicts (``converges``, ``concentrates``, ``unimodal``, ``fast``), its fits and
    its α, β from the per-width scans (so that scans computed in parts, e.g. seed batches, give the
    claim's verdicts). ``fast`` is :func:`polylr.fast_decision` on :func:`ball_gap_fits`, inconclusive
    (like ``converges`` and ``concentrates``) when at some width more than ``BOUNDARY_LIMIT`` of the
    per-seed optima sit on the grid's end: there η*_n and φ*_n are bounds, not values."""
    fit, spread, conv, conc, uni = _transfer_verdicts("gwb-relu-ball", lab, scans, opts, 18)
    ws = sorted(scans)
    phis = [np.array([np.inf if a is None else a.value for a in scans[w].argmins]) for w in ws]
    logs = [np.log(scans[w].etas_star) for w in ws]
    fits, extra = {}, {}
    fits.update({k: f for k, f in (("b_n", fit), ("spread", spread)) if f is not None})
    stmt = "transfer is fast: β > α/2 (b_n = o(√a_n))"
    if len(ws) < 4:
        fast = Verdict("gwb-relu-ball.fast", stmt, INCONCLUSIVE, f"{len(ws)} widths: at least 4 are needed (3 fitted, the largest as the limit)", {})
    elif not (all(np.all(np.isfinite(p)) for p in phis) and all(np.all(np.isfinite(x)) for x in logs)):
        fast = Verdict("gwb-relu-ball.fast", stmt, INCONCLUSIVE, "some seed diverged at every grid η", {})
    else:
        try:
            gf = ball_gap_fits(ws, phis, logs, n_boot=opts.budget.n_boot, boot_seed=opts.master_seed * 16 + 16)
        except PolylrError as e:
            gf, why = None, str(e)
        if gf is None:
            fast = Verdict("gwb-relu-ball.fast", stmt, INCONCLUSIVE, why, {})
        else:
            fits.update({"a_n vs n_max": gf.fits["a"], "b_n vs n_max": gf.fits["b"]})
            d = fast_decision(gf, tol=opts.tol)
            p, ci = gf.combos["2β − α"]
            extra[lab] = {**d.evidence, "two_beta_minus_alpha": p, "beta_minus_half_alpha": p / 2, "ci_half": [ci[0] / 2, ci[1] / 2],
                          "reference_width": ws[-1], "phi_star": [float(np.mean(x)) for x in phis]}
            reason = (f"{d.reason}; gaps against the largest width n = {ws[-1]} (the limit's stand-in, left out of the fit), "
                      f"exponents calibrated for it; β − α/2 = {p / 2:.3f}")
            if d.status == FAILS:
                reason += ("; weak, not fast: as the paper reports" if conv.status == HOLDS else
                           f"; not fast, as the paper reports; that η*_n converges (weak transfer) is {conv.status} at these widths: "
                           "see gwb-relu-ball.converges")
            # Like .converges: optima on the grid's end are bounds, not values, so b_n (and φ*_n) there
            # say nothing about a rate; past BOUNDARY_LIMIT of the seeds at some width, no verdict.
            fast = _guard(Verdict("gwb-relu-ball.fast", stmt, d.status, reason, extra[lab]), scans)
    return (conv, conc, uni, fast), fits, extra


register(Claim(
    "hayou-fig4", "Hayou 2025, Figure 4",
    "Under μP a deep linear MLP trained by 20 full-batch GD steps has a width-stable optimal learning rate at depths 3, 9 and 27, equal in the limit to the exact limit's argmin.",
    "deep linear MLP, μP, hidden layers trained, t = 20, data synthetic(m=16, d=16, noise=0.1), evaluation engine in float64",
    "per depth: every width's geometric-mean η*_n within a factor 2 of η*_∞ (hayou-fig4.L3.stable, bootstrap CI) and "
    "mean |log η*_n − log η*_∞| decaying at least like n^-tol (hayou-fig4.L3)",
    check_hayou_fig4,
))
register(Claim(
    "hayou-fig5", "Hayou 2025, Figure 5 (his §6 leaves the case open)",
    "Under μP a ReLU MLP trained with Adam has a width-stable optimal learning rate (depths 3, 9, 27 at 20 steps; depth 9 at 100 steps).",
    "ReLU MLP, μP with Adam's rule, all layers trained, full batch, data synthetic(m=16, d=16, noise=0.1)",
    "η*_n within a factor 2 across widths (….stable); the shift of log η*_n between widths decays (….converges, rate "
    "reported); the seed spread of log η*_n vanishes (….concentrates); the loss-vs-η curve is unimodal (….unimodal)",
    check_hayou_fig5,
))
register(Claim(
    "gwb-relu-kindex", "Ghosh, Wu, Bietti 2025, Figure 2 (appendix)",
    "A two-layer ReLU net under μP with Adam on a Gaussian 15-index target has bimodal loss-vs-η curves and an optimum that jumps at large width; dividing the second-layer learning rate by 50 removes the bimodality.",
    "two-layer ReLU with biases, μP (Adam), squared loss, batch 256, d = 64, k = 15, online data",
    "gwb-relu-kindex.mup.unimodal fails (bimodal), gwb-relu-kindex.mup.jump holds (the optimum moves by a factor >= 2 "
    "between consecutive widths), gwb-relu-kindex.remedy.unimodal holds",
    check_gwb_kindex,
))
register(Claim(
    "gwb-relu-ball", "Ghosh, Wu, Bietti 2025, Figure 5",
    "A two-layer ReLU net under μP with Adam on the ball indicator has weak but not fast learning-rate transfer (b_n ~ √a_n).",
    "two-layer ReLU with biases, μP (Adam), logistic loss, batch 256, d = 64, online data",
    "η*_n converges (gwb-relu-ball.converges) but β > α/2 fails (gwb-relu-ball.fast)",
    check_gwb_ball,
))
