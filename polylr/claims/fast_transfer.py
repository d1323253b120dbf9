"""The claim ``fast-transfer`` (Ghosh, Wu & Bietti, ICLR 2026, Definitions 1–2, Proposition 1).

For the loss after t steps as a function of the learning rate, per network: the loss gap a_n, the
hyperparameter gap b_n and the transfer suboptimality c_n (:mod:`polylr.analysis.gaps`), their
width exponents (α, β, e_c) with paired bootstrap intervals, and three verdicts: ``fast``
(β > α/2), ``ratio`` (c_n = o(a_n) directly) and ``c_b2`` (c_n ≍ b_n²). A negative control is run
on every check: the same gaps with a_n and c_n swapped, whose ``fast`` verdict must not hold when
the real one does.

Widths and networks come from the budget: at L = 1 the exact-in-law shallow sampler (cost O(d³ + m·d²), independent of n
per network) gets :data:`SHALLOW_BUDGETS`; deeper networks use the dense engine with the budget's
own widths and seeds. ``--widths`` / ``--seeds`` override either.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from matplotlib import colormaps
from matplotlib.figure import Figure

from ..report.plots import to_bytes
from .base import BOUNDARY_LIMIT, INCONCLUSIVE, LINEAR_OPTIONS, CheckOptions, Claim, Verdict, register
from ..engines.limit import eta_inf_t1
from ..core.jsonsafe import json_ready
from ..core.setup import Setup
from ..analysis.frames import sweep_records
from ..analysis.gaps import GAPS, GapFits, Gaps, fit_gaps, network_gaps, transfer_decisions

NAME = "fast-transfer"

# (widths, networks per width) for the shallow sampler, by budget name
SHALLOW_BUDGETS = {
    "tiny": (tuple(2**k for k in range(6, 13)), 128),
    "quick": (tuple(2**k for k in range(6, 15)), 256),
    "default": (tuple(2**k for k in range(8, 17)), 256),
    "thorough": (tuple(2**k for k in range(8, 19)), 1024),
}


def _ci_mean(x: np.ndarray) -> tuple[float, float, float]:
    """Mean with a normal-approximation 95 % interval (±1.96 standard errors)."""
    k = x.size
    mean = float(np.mean(x))
    se = float(np.std(x, ddof=1) / math.sqrt(k)) if k > 1 else math.inf
    return mean, mean - 1.96 * se, mean + 1.96 * se


@dataclass(frozen=True, eq=False)
class FastTransferCheck:
    """Result of the ``fast-transfer`` check (the claim protocol: name, verdicts, seconds, to_json,
    tables, plot, markdown)."""

    name: str
    setup: Setup
    gaps: Gaps
    fits: GapFits
    verdicts: tuple[Verdict, ...]
    control: tuple  # decisions with a_n and c_n swapped (negative control)
    control_fits: GapFits
    seconds: float
    tol: float
    budget: str
    master_seed: int

    # -- numbers ---------------------------------------------------------------------------

    def _kappa(self) -> float:
        """φ_∞''(η_∞)/2, or 0 when it is negligible (κ η_∞² below 1e-10 of φ_∞(0): a limit flat to
        higher order at its minimiser, as for XXᵀ = I at t >= 2)."""
        lim = self.gaps.limit
        k = lim.curvature / 2
        scale = abs(float(lim.excess([self.gaps.sweep.interval[0]])[0]) + lim.value)
        return k if k * max(lim.eta, 1e-300) ** 2 > 1e-10 * scale else 0.0

    def width_rows(self) -> list[dict]:
        g, k = self.gaps, self._kappa()
        out = []
        for w in g.widths:
            row = {"width": w, "networks": int(g.a[w].size)}
            for q in GAPS:
                x = getattr(g, q)[w]
                mean, lo, hi = _ci_mean(x)
                row[q] = {"median": float(np.median(x)), "mean": mean, "ci": [lo, hi]}
            a, b, c = g.a[w], g.b[w], g.c[w]
            with np.errstate(divide="ignore", invalid="ignore"):
                row["median_c_over_a"] = float(np.median(np.where(a > 0, c / a, np.inf)))
                row["median_c_over_kb2"] = float(np.median(c / (k * b**2))) if k > 0 else math.nan
            row["boundary_fraction"] = g.sweep.summary(w).boundary_fraction
            row["seconds"] = g.sweep.seconds.get(w)
            out.append(row)
        return out

    def records(self) -> list[dict]:
        """The tidy rows of ``results.json``: one per (width, network) with its gaps and its context."""
        return [{**ctx, **row} for ctx, row in zip(sweep_records(self.gaps.sweep), self.gaps.rows())]

    def to_json(self) -> dict:
        g = self.gaps
        lim = g.limit
        return json_ready({
            "check": self.name,
            "setup": self.setup.describe(),
            "campaign": {
                "widths": list(g.widths), "networks": len(g.sweep.seeds), "master_seed": self.master_seed,
                "sampler": g.sampler,
                "key": ("numpy.random.default_rng([master_seed, width, seed])" if g.sampler == "shallow" else
                        "jax.random.fold_in(jax.random.fold_in(jax.random.key(master_seed), width), seed)"),
                "interval": list(g.sweep.interval), "tol": self.tol, "budget": self.budget,
            },
            "limit": {"eta_inf": lim.eta, "value": lim.value, "method": lim.method, "curvature": lim.curvature,
                      "unique": lim.argmin.unique, "on_boundary": lim.argmin.on_boundary,
                      "coefficients": None if lim.loss is None else [float(c) for c in lim.loss.to_float().coeffs],
                      "coefficient_errors": None if lim.loss is None or lim.loss.to_float().error is None
                      else [float(e) for e in lim.loss.to_float().error]},
            "widths": self.width_rows(),
            "fits": self.fits.to_dict(),
            "verdicts": [v.to_dict() for v in self.verdicts],
            "negative_control": {"swap": "a_n <-> c_n", "fits": self.control_fits.to_dict(),
                                 "verdicts": [dataclasses.asdict(d) for d in self.control]},
            "rows": g.rows(),
            "seconds": self.seconds,
        })

    def tables(self) -> list[tuple[str, list[str], list[list]]]:
        g = self.gaps
        t = self.setup.steps
        title = (f"{self.name}: gaps per width (L = {self.setup.depth}, t = {t}, η_∞ = {g.eta_inf:.6g}, "
                 f"φ_∞(η_∞) = {g.limit.value:.6g}, sampler {g.sampler})")
        cols = ["n", "networks", "mean a_n", "mean b_n", "mean c_n", "median c_n/a_n", "median c_n/(κb_n²)", "on boundary"]  # κ = φ_∞''(η_∞)/2
        rows = []
        flat = self._kappa() == 0  # c_n/(κb_n²) undefined: say why instead of printing nan
        for r in self.width_rows():
            rows.append([str(r["width"]), str(r["networks"]), f"{r['a']['mean']:.3g}", f"{r['b']['mean']:.3g}",
                         f"{r['c']['mean']:.3g}", f"{r['median_c_over_a']:.3g}",
                         "n/a: κ = 0" if flat else f"{r['median_c_over_kb2']:.3g}", f"{r['boundary_fraction']:.0%}"])
        f = self.fits
        lvl = f"{f.level:.0%}"
        fit_rows = [[f.fits[q].quantity + " (seed mean)", f"{f.fits[q].exponent:.3f}", f"[{f.fits[q].ci[0]:.3f}, {f.fits[q].ci[1]:.3f}]"] for q in GAPS]
        fit_rows += [[k, f"{p:.3f}", f"[{ci[0]:.3f}, {ci[1]:.3f}] (paired)"] for k, (p, ci) in f.combos.items()]
        fit_rows += [["negative control (a ↔ c): 2β − α", f"{self.control_fits.combos['2β − α'][0]:.3f}",
                      "[{:.3f}, {:.3f}] (paired)".format(*self.control_fits.combos['2β − α'][1])]]
        return [
            (title, cols, rows),
            (f"fitted width exponents ({lvl} bootstrap intervals over networks; α = {f.alpha:.3f}, β = {f.beta:.3f})",
             ["quantity", "exponent", "CI"], fit_rows),
        ]  # the report adds the verdict table

    # -- plots -------------------------------------------------------------------------------

    def figures(self, fmt: str = "png") -> dict[str, bytes]:
        out = {}
        g, f = self.gaps, self.fits
        n = np.array(g.widths, dtype=float)

        fig = Figure(figsize=(6.4, 4.6))
        ax = fig.subplots()
        for q, colour in zip(GAPS, ("C0", "C1", "C2")):
            fit = f.fits[q]
            v = np.array(fit.values)
            ci = np.array(fit.value_ci).T
            ax.errorbar(n, v, yerr=[v - ci[0], ci[1] - v], fmt="o", color=colour, capsize=3,
                        label=f"mean {fit.quantity}")
            ax.plot(n, fit.prefactor * n**fit.exponent, "-", color=colour,
                    label=rf"fit $n^{{{fit.exponent:.2f}}}$, CI [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("width n")
        ax.set_ylabel("gap (mean over networks)")
        p, ci = f.combos["2β − α"]
        ax.set_title(f"{self.name}: L = {self.setup.depth}, t = {self.setup.steps}; 2β − α = {p:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]",
                     fontsize=9)
        ax.legend(fontsize=7)
        out[f"gaps_loglog.{fmt}"] = to_bytes(fig, fmt)

        fig = Figure(figsize=(6.4, 4.6))
        ax = fig.subplots()
        cmap = colormaps["viridis"]
        allb = []
        for i, w in enumerate(g.widths):
            b2, c = g.b[w] ** 2, g.c[w]
            ok = (b2 > 0) & (c > 0)
            allb.append(b2[ok])
            ax.scatter(b2[ok], c[ok], s=6, color=cmap(i / max(1, len(g.widths) - 1)), label=f"n = {w}", alpha=0.7)
        k = self._kappa()
        allb = np.concatenate(allb) if allb else np.array([])
        if k == 0:
            ax.plot([], [], " ", label=r"$\varphi_\infty''(\eta_\infty) = 0$: no quadratic law")
        if k > 0 and allb.size:
            xs = np.geomspace(allb.min(), allb.max(), 50)
            ax.plot(xs, k * xs, "k--", lw=1, label=r"$c = \frac{1}{2}\varphi_\infty''(\eta_\infty)\, b^2$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"$b_n^2 = (\eta_n - \eta_\infty)^2$")
        ax.set_ylabel(r"$c_n = \varphi_\infty(\eta_n) - \varphi_\infty(\eta_\infty)$")
        ax.set_title(f"{self.name}: c_n against b_n² per network (Proposition 1)", fontsize=9)
        ax.legend(fontsize=7, markerscale=2)
        out[f"c_vs_b2.{fmt}"] = to_bytes(fig, fmt)
        return out

    def markdown(self) -> str:
        g, f = self.gaps, self.fits
        lines = [
            f"## {self.name}", "",
            f"Setup: {self.setup.describe()}; widths {list(g.widths)}, {len(g.sweep.seeds)} networks per width "
            f"(sampler `{g.sampler}`, master seed {self.master_seed}), interval [{g.sweep.interval[0]:.6g}, "
            f"{g.sweep.interval[1]:.6g}]; η_∞ = {g.eta_inf:.6g} ({g.limit.method}); {self.seconds:.1f} s.", "",
            "| n | mean a_n | mean b_n | mean c_n | median c_n/a_n |", "|---|---|---|---|---|",
        ]
        for r in self.width_rows():
            lines.append(f"| {r['width']} | {r['a']['mean']:.4g} | {r['b']['mean']:.4g} | {r['c']['mean']:.4g} | {r['median_c_over_a']:.3g} |")
        lines += ["", "| quantity | exponent | CI |", "|---|---|---|"]
        lines += [f"| {f.fits[q].quantity} | {f.fits[q].exponent:.3f} | [{f.fits[q].ci[0]:.3f}, {f.fits[q].ci[1]:.3f}] |" for q in GAPS]
        lines += [f"| {k} | {p:.3f} | [{ci[0]:.3f}, {ci[1]:.3f}] |" for k, (p, ci) in f.combos.items()]
        lines += ["", "| claim | verdict | why |", "|---|---|---|"]
        lines += [f"| `{v.claim}` | **{v.status}** | {v.reason.replace('|', '/')} |" for v in self.verdicts]
        lines += ["", f"![gaps]({self.name}/gaps_loglog.png) ![c vs b²]({self.name}/c_vs_b2.png)"]
        return "\n".join(lines) + "\n"


def _budget(opts: CheckOptions, sampler: str) -> tuple[tuple[int, ...], int]:
    if sampler == "shallow" and opts.budget.name in SHALLOW_BUDGETS:
        widths, seeds = SHALLOW_BUDGETS[opts.budget.name]
    else:
        widths, seeds = opts.budget.widths, opts.budget.seeds
    return (opts.widths if opts.widths is not None else widths, opts.seeds if opts.seeds is not None else seeds)


def check_fast_transfer(opts: CheckOptions | None = None, *, sampler: str = "auto", **kw) -> FastTransferCheck:
    """Ghosh–Wu–Bietti's fast transfer for the loss after t steps (``setup.steps``; default setup:
    built-in data, L = 1, t = 1): the gaps per network, their exponents, and the verdicts
    ``fast-transfer.fast``, ``.ratio`` and ``.c_b2`` (rules: :mod:`polylr.analysis.gaps`).

    The interval defaults to ``[0, 2 η_∞^(1)]`` (as for theorem3). A verdict that would hold or fail
    becomes inconclusive when the limit's minimiser is not unique or sits on the interval's end, or
    when more than 10 % of the networks at some width have their minimiser on an end.
    """
    opts = opts if opts is not None else CheckOptions(**kw)
    setup = opts.setup if opts.setup is not None else Setup(depth=1)
    if sampler == "auto":
        sampler = "shallow" if setup.depth == 1 and setup.train == "hidden" else "dense"
    widths, seeds = _budget(opts, sampler)
    interval = opts.interval if opts.interval is not None else (0.0, 2.0 * eta_inf_t1(setup))
    t0 = time.perf_counter()
    gaps = network_gaps(setup, widths, seeds, interval, master_seed=opts.master_seed, progress=opts.progress, sampler=sampler,
                        runner=opts.runner)
    n_boot = opts.budget.n_boot
    fits = fit_gaps(gaps, n_boot=n_boot, boot_seed=opts.master_seed * 16 + 7)
    decisions = transfer_decisions(gaps, fits, tol=opts.tol)
    swapped = gaps.swapped()
    control_fits = fit_gaps(swapped, n_boot=n_boot, boot_seed=opts.master_seed * 16 + 7)
    control = transfer_decisions(swapped, control_fits, tol=opts.tol)
    lim = gaps.limit.argmin
    worst = max(gaps.widths, key=lambda w: gaps.sweep.summary(w).boundary_fraction)
    frac = gaps.sweep.summary(worst).boundary_fraction
    verdicts = []
    for d in decisions:
        v = Verdict(f"{NAME}.{d.key}", d.statement, d.status, d.reason, d.evidence)
        if v.status != INCONCLUSIVE and (lim.on_boundary or not lim.unique):
            v = dataclasses.replace(v, status=INCONCLUSIVE, reason=f"{v.reason}; but the limit's minimiser is not unique "
                                    "or sits on the interval's end, so η_∞ is not a well-defined target")
        elif v.status != INCONCLUSIVE and frac > BOUNDARY_LIMIT:
            v = dataclasses.replace(v, status=INCONCLUSIVE, reason=f"{v.reason}; but at n = {worst} the minimiser sits on "
                                    f"the interval's end for {frac:.0%} of the networks (limit {BOUNDARY_LIMIT:.0%}): widen the interval")
        verdicts.append(v)
    return FastTransferCheck(NAME, setup, gaps, fits, tuple(verdicts), control, control_fits, time.perf_counter() - t0,
                             opts.tol, opts.budget.name, opts.master_seed)


def _run(opts: CheckOptions) -> FastTransferCheck:
    return check_fast_transfer(opts)


CLAIM = register(Claim(
    NAME, "Ghosh, Wu & Bietti, ICLR 2026 (arXiv 2512.22768), Definitions 1–2, Proposition 1; Sakai & Imaizumi 2026 for L = 1",
    "Transfer of the learning rate is fast: the transfer suboptimality c_n = φ_∞(η_n) − φ_∞(η_∞) is o(a_n), the loss gap; "
    "with a_n ~ n^-α, b_n = |η_n − η_∞| ~ n^-β that is β > α/2.",
    "deep linear MLP, μP, hidden layers trained, φ = loss after t steps (--steps, default 1), interval [0, 2 η_∞^(1)]; "
    "L = 1 is proved fast at fixed t with ≥ 2 active eigen-directions of K in y (not fast when XXᵀ = I)",
    "2β − α ≥ tol (fast-transfer.fast), exponent of c_n/a_n ≤ −tol (fast-transfer.ratio), c_n ≍ b_n² (fast-transfer.c_b2)",
    _run,
    accepts=(*LINEAR_OPTIONS, "steps", "param"),
))
