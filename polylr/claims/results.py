"""What a check returns: result objects that follow one small protocol, so the report layer
renders any claim's result without knowing its type.

The protocol (:class:`ClaimResult`): ``name``, ``verdicts``, ``seconds``, and

- ``to_json()`` — a JSON-ready dict (the report adds ``check``, ``environment``, ``verdicts``,
  ``seconds``; it goes to ``summary.json``, its ``rows``, if any, to ``results.json``);
- optionally ``records()`` — the tidy rows of ``results.json`` (flat dicts; default: ``to_json()["rows"]``,
  else the verdicts; :func:`polylr.report.render.records`);
- ``tables()`` — ``(title, columns, rows)`` triples of plain cells for the terminal (the report
  adds the verdict table);
- ``figures(fmt)`` — ``{file name: bytes}``, each figure rendered as ``fmt`` (png, pdf, svg);
- ``markdown()`` — the result's section of the Markdown report.

:class:`SweepCheck` (a claim checked on a sweep over widths and seeds) and :class:`DegreeCheck`
are the two result types of the built-in claims; a new claim may return either or its own type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np
from matplotlib import colormaps

from ..analysis.frames import sweep_records
from ..analysis.rates import RateFit
from ..analysis.sweep import Sweep
from ..core.setup import Setup
from ..engines.coeffs import KEY_SCHEME
from ..engines.limit import Limit
from ..report.plots import figure, nu_label, to_bytes
from ..report.render import md_escape
from .base import Verdict

Table = tuple[str, list[str], list[list]]


@runtime_checkable
class ClaimResult(Protocol):
    """The result of a claim's check, as the report layer consumes it."""

    name: str
    verdicts: tuple[Verdict, ...]
    seconds: float

    def to_json(self) -> dict: ...

    def tables(self) -> list[Table]: ...

    def figures(self, fmt: str = "png") -> dict[str, bytes]: ...

    def markdown(self) -> str: ...


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
    precision: dict | None = None  # width -> the Gram path's float64 precision check (claims.width_free.precision_report)

    def limit_loss(self, etas) -> np.ndarray | None:
        """The limit loss at ``etas`` (from the polynomial, or evaluation mode), or None."""
        if self.limit is not None:
            return self.limit.loss(etas)
        return None if self.limit_values is None else self.limit_values(etas)

    def errors(self, width: int) -> np.ndarray:
        return self.sweep.etas(width) - self.eta_inf

    # -- the protocol ---------------------------------------------------------------------

    def width_rows(self) -> list[dict]:
        """One summary row per width (mean, CI, sd, boundary fraction, mean |η_n − η_∞|)."""
        sw = self.sweep
        out = []
        for w in sw.widths:
            row = {**sw.summary(w).to_dict(), "interval": list(sw.interval_at(w)), "seconds": sw.seconds.get(w)}
            if self.eta_inf is not None:
                row["mean_abs_error"] = float(np.mean(np.abs(self.errors(w))))
            out.append(row)
        return out

    def to_json(self) -> dict:
        sw = self.sweep
        return {
            "setup": self.setup.describe(),
            "campaign": {
                "widths": list(sw.widths),
                "seeds": len(sw.seeds),
                "master_seed": sw.master_seed,
                "key": KEY_SCHEME,
                "sampler": sw.sampler,  # as asked; each row of results.json records the one that drew it
                "interval": list(sw.interval),
                "interval_order": sw.order,
                "tol": self.tol,
            },
            "eta_inf": self.eta_inf,
            "limit_loss_coefficients": None if self.limit is None else [float(c) for c in self.limit.loss.to_float().coeffs],
            # each coefficient's error bound (the rounding of the exact limit, or the float engine's model)
            "limit_loss_error": _errors(None if self.limit is None else self.limit.loss),
            "widths": self.width_rows(),
            "fits": {k: f.to_dict() for k, f in self.fits.items()},
            "precision": self.precision,
        }

    def records(self) -> list[dict]:
        """The tidy rows (``results.json``): one per (width, seed), each with its context (data, depth,
        parametrization, steps, master seed, interval, sampler, key scheme) and η_∞."""
        return [{**rec, "eta_inf": self.eta_inf} for rec in sweep_records(self.sweep)]

    def tables(self) -> list[Table]:
        t = self.setup.steps
        step = "" if t == 1 else f"^({t})"
        lim = "" if self.eta_inf is None else f", η_∞{step} = {self.eta_inf:.6g}"
        steps = "" if t == 1 else f", t = {t}"
        has_err = self.eta_inf is not None
        cols = ["n", "seeds", "mean η_n", "95% CI", "sd"] + (["mean |η_n − η_∞|"] if has_err else []) + ["on boundary"]
        rows = []
        for row in self.width_rows():
            cells = [row["width"], row["seeds"], f"{row['mean']:.5g}", f"[{row['ci'][0]:.5g}, {row['ci'][1]:.5g}]", f"{row['sd']:.4g}"]
            rows.append(cells + ([f"{row['mean_abs_error']:.4g}"] if has_err else []) + [f"{row['boundary_fraction']:.0%}"])
        fits = [[f.quantity, f"{f.exponent:.3f}", f"[{f.ci[0]:.3f}, {f.ci[1]:.3f}] ({f.level:.0%})"] for f in self.fits.values()]
        out = [
            (f"{self.name}: η_n{step} per width ({self.setup.param.name}{steps}{lim})", cols, rows),
            ("fitted width exponents (bootstrap over seeds)", ["quantity", "exponent", "CI"], fits),
        ]
        if self.precision:
            prec = [[w, p["checked"], f"{p['error']:.2g}", f"{p['relative']:.2g}", f"{p['scale']:.2g}", "ok" if p["ok"] else "NO"]
                    for w, p in self.precision.items()]
            out.append(("float64 precision of η_n on the Gram path (extended-precision recomputation)",
                        ["n", "seeds checked", "max |Δη|", "relative", "MC error of mean", "resolved"], prec))
        return out

    def figures(self, fmt: str = "png") -> dict[str, bytes]:
        loglog = "error_loglog" if self.eta_inf is not None else "exponents_loglog"
        return {
            f"loss_curves.{fmt}": to_bytes(self._plot_loss_curves(), fmt),
            f"eta_vs_width.{fmt}": to_bytes(self._plot_eta_vs_width(), fmt),
            f"{loglog}.{fmt}": to_bytes(self._plot_loglog(), fmt),
        }

    def markdown(self) -> str:
        sw = self.sweep
        lines = [
            f"## {self.name}",
            "",
            f"Setup: {md_escape(str(self.setup.describe()))}.",
            "",
            f"Widths {list(sw.widths)}, {len(sw.seeds)} seeds per width (master seed {sw.master_seed}), interval "
            f"[{sw.interval[0]:.6g}, {sw.interval[1]:.6g}]" + (f"·n^{sw.order:g}" if sw.order else "")
            + (f"; η_∞ = {self.eta_inf:.6g}" if self.eta_inf is not None else "") + f"; {self.seconds:.1f} s.",
            "",
            "| n | mean η_n | 95% CI | sd | on boundary |",
            "|---|---|---|---|---|",
        ]
        for row in self.width_rows():
            lines.append(f"| {row['width']} | {row['mean']:.6g} | [{row['ci'][0]:.6g}, {row['ci'][1]:.6g}] | {row['sd']:.4g} | {row['boundary_fraction']:.0%} |")
        lines += ["", "| quantity | exponent | 95% CI |", "|---|---|---|"]
        lines += [f"| {md_escape(f.quantity)} | {f.exponent:.3f} | [{f.ci[0]:.3f}, {f.ci[1]:.3f}] |" for f in self.fits.values()]
        if self.precision:
            worst = max(p["relative"] for p in self.precision.values())
            lines += ["", f"float64 precision (Gram path, {len(self.precision)} widths checked in extended precision): "
                      f"largest relative error of η_n {worst:.2g}, below 1 % of the Monte Carlo error at every width."]
        return "\n".join(lines) + "\n"

    # -- plots ----------------------------------------------------------------------------

    def _plot_loss_curves(self):
        """Seed-mean loss against the scaled learning rate ν = n^-order·η, per width, with the limit."""
        sw = self.sweep
        lo, hi = sw.interval
        nu = np.linspace(lo, hi, 400)
        fig, ax = figure()
        cmap = colormaps["viridis"]
        tops = []
        for k, w in enumerate(sw.widths):
            etas, values = sw.mean_loss_curve(w)
            finite = values[np.isfinite(values)]
            tops.append(float(finite[0]) if finite.size else 1.0)
            ax.plot(etas / float(w) ** sw.order, values, color=cmap(k / max(1, len(sw.widths) - 1)), lw=1.4, label=f"n = {w}")
        limit = self.limit_loss(nu) if sw.order == 0 else None
        if limit is not None:
            ax.plot(nu, limit, "k--", lw=1.6, label=r"limit $L_\infty$")
            ax.axvline(self.eta_inf, color="0.4", lw=0.8, ls=":")
        ax.set_ylim(0, 1.6 * max(tops))
        ax.set_xlabel(rf"learning rate ${nu_label(sw.order)}$")
        ax.set_ylabel(rf"seed-mean loss $L_n^{{({self.setup.steps})}}$")
        ax.set_title(f"{self.name}: loss after t = {self.setup.steps} ({self.setup.param.name}, {len(sw.seeds)} seeds, L = {self.setup.depth})")
        ax.legend(fontsize=8)
        return fig

    def _plot_eta_vs_width(self):
        sw = self.sweep
        s = [sw.summary(w) for w in sw.widths]
        fig, ax = figure()
        means = np.array([x.mean for x in s])
        err = np.array([[x.mean - x.ci[0], x.ci[1] - x.mean] for x in s]).T
        ax.errorbar(sw.widths, means, yerr=err, fmt="o-", capsize=4, label=r"mean $\eta_n$, 95% CI")
        if self.eta_inf is not None:
            ax.axhline(self.eta_inf, color="k", ls="--", label=rf"$\eta_\infty = {self.eta_inf:.4g}$")
        if sw.order != 0:
            ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("width n")
        ax.set_ylabel(r"optimal learning rate $\eta_n$")
        ax.set_title(f"{self.name}: optimal learning rate across widths ({self.setup.param.name})")
        ax.legend()
        return fig

    def _plot_loglog(self):
        """Each fitted quantity against width with its fitted line; a reference slope n^-1/2."""
        fig, ax = figure()
        for f in self.fits.values():
            n = np.array(f.widths, dtype=float)
            v = np.array(f.values)
            ci = np.array(f.value_ci).T
            # a percentile CI of |mean| need not contain the point value (bias near 0): bars clipped at it
            yerr = [np.maximum(v - ci[0], 0.0), np.maximum(ci[1] - v, 0.0)]
            bars = ax.errorbar(n, v, yerr=yerr, fmt="o", capsize=4, label=f"{f.quantity} (bootstrap CI)")
            ax.plot(n, f.prefactor * n**f.exponent, "-", color=bars[0].get_color(),
                    label=rf"fit $n^{{{f.exponent:.2f}}}$, CI [{f.ci[0]:.2f}, {f.ci[1]:.2f}]")
        ref = self.fits["error"] if "error" in self.fits else self.fits["random_limit"]
        n = np.array(ref.widths, dtype=float)
        centre = np.exp(np.mean(np.log(n)))  # the reference line passes through the data's geometric centre
        ax.plot(n, np.exp(np.mean(np.log(ref.values))) * (n / centre) ** -0.5, "k--", lw=1, label=r"reference $n^{-1/2}$")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("width n")
        ax.set_title(f"{self.name}: width exponents")
        ax.legend(fontsize=7)
        return fig


@dataclass(frozen=True, eq=False)
class DegreeCheck:
    """The degree formula against the engine, one row per (depth, steps)."""

    name: str
    rows: tuple[dict, ...]
    verdicts: tuple[Verdict, ...]
    seconds: float

    COLUMNS = ("depth", "steps", "formula", "engine", "leading_nonzero")

    def to_json(self) -> dict:
        return {"rows": list(self.rows)}

    def tables(self) -> list[Table]:
        return [("degree of f^(t) in η", ["L", "t", "formula", "engine", "leading coeff ≠ 0"],
                 [[r[c] for c in self.COLUMNS] for r in self.rows])]

    def figures(self, fmt: str = "png") -> dict[str, bytes]:
        return {}

    def markdown(self) -> str:
        lines = [f"## {self.name}", "", "| L | t | formula | engine | leading coefficient ≠ 0 |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(str(r[c]) for c in self.COLUMNS) + " |" for r in self.rows]
        return "\n".join(lines) + "\n"


def _errors(poly) -> list[float] | None:
    """The per-coefficient error bounds of a polynomial as written to JSON (an exact polynomial: those
    of its correctly rounded float64 coefficients)."""
    if poly is None:
        return None
    err = poly.to_float().error
    return None if err is None else [float(e) for e in err]
