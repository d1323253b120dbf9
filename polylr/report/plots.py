"""Every plot polylr draws, as bytes: drawn on :class:`matplotlib.figure.Figure` objects directly,
so importing or plotting never touches pyplot's global state or matplotlib's backend."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from ..analysis.phasemap import PhaseMap, fmt_prediction
from ..core.setup import MUP

if TYPE_CHECKING:
    from ..campaigns import LossCurves


def nu_label(order: float) -> str:
    """Name of the scaled learning rate ν = n^-order·η."""
    if order == 0:
        return r"\eta"
    if order == -1:
        return r"n\,\eta"
    return rf"n^{{{-order:g}}}\eta"


def figure(rows: int = 1, cols: int = 1, figsize=(6.4, 4.4), **kw):
    """A figure and its axes, made without pyplot (no global figure registry, no backend choice)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(rows, cols, **kw)


def to_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The figure rendered as ``fmt`` (png, pdf or svg)."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight")
    return buf.getvalue()


def plot_phase_map(pm: PhaseMap, fmt: str = "png") -> bytes:
    """Heat maps (exponent of η_n; of its relative spread; where measured, of the error, bias and
    fluctuation of ν_n against μP's η_∞) with the predicted values and the transfer line v + c = 2."""
    split = pm.error is not None
    fig, axes = figure(2, 3, (16, 9.2)) if split else figure(1, 2, (11, 4.6))
    axes = np.ravel(axes)
    none = lambda v, c: float("nan")  # noqa: E731  (no prediction drawn)
    panels = [
        (axes[0], pm.order, pm.order_ci, lambda v, c: PhaseMap.predicted_order(v, c), "exponent of η_n", "coolwarm"),
        (axes[1], pm.spread, pm.spread_ci, lambda v, c: PhaseMap.predicted_spread(v), "exponent of sd(η_n)/mean(η_n)", "viridis"),
    ]
    if split:
        panels += [
            (axes[3], pm.error, pm.error_ci, none, "exponent of mean |ν_n − η_∞^μP| (error)", "viridis"),
            (axes[4], pm.bias, pm.bias_ci, none, "exponent of |mean ν_n − η_∞^μP| (bias)", "viridis"),
            (axes[5], pm.fluctuation, pm.fluctuation_ci, none, "exponent of sd(ν_n) (fluctuation)", "viridis"),
        ]
        axes[2].axis("off")
        axes[2].text(0.0, 0.5, f"ν_n = n^-(v+c-2)·η_n; η_∞^μP = {pm.eta_inf:.5g}\n(the limit of ν_n for 1 < v < 3)\n"
                     f"sampler: {pm.sampler}", fontsize=9, va="center")
    for ax, val, ci, pred, title, cmap in panels:
        lim = max(0.5, float(np.max(np.abs(val))))
        im = ax.imshow(val, origin="lower", cmap=cmap, vmin=-lim if cmap == "coolwarm" else None,
                       vmax=lim if cmap == "coolwarm" else None, aspect="auto")
        for i, v in enumerate(pm.vs):
            for j, c in enumerate(pm.cs):
                flag = "*" if pm.boundary[i, j] > 0.1 else ""
                tail = f"\npred {fmt_prediction(pred(v, c))}" if pred is not none else ""
                ax.text(j, i, f"{val[i, j]:.2f}{flag}\n[{ci[i, j, 0]:.2f}, {ci[i, j, 1]:.2f}]{tail}",
                        ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(pm.cs)), [f"{c:g}" for c in pm.cs])
        ax.set_yticks(range(len(pm.vs)), [f"{v:g}" for v in pm.vs])
        ax.set_xlabel("c (hidden learning rate η·n^-c)")
        ax.set_ylabel("v (output variance n^-v)")
        # The transfer line v + c = 2 in index coordinates (grids need not be uniform: interpolate).
        cj = np.interp([2 - v for v in pm.vs], pm.cs, range(len(pm.cs)), left=np.nan, right=np.nan)
        ax.plot(cj, range(len(pm.vs)), "k--", lw=1.2, label="v + c = 2")
        ax.set_title(title)
        fig.colorbar(im, ax=ax, shrink=0.85)
        ax.legend(loc="upper right", fontsize=7)
    fig.suptitle(f"t = 1, widths {list(pm.widths)}, {pm.seeds} seeds; * = minimiser on the interval's end for > 10 % of seeds",
                 fontsize=9)
    return to_bytes(fig, fmt)


def plot_curves(c: LossCurves, fmt: str = "png") -> bytes:
    sp = c.spec
    rows, cols = len(sp.steps), len(sp.params)
    fig, axes = figure(rows, cols, (4.6 * cols, 3.6 * rows), squeeze=False)
    cmap = colormaps["viridis"]
    for i, t in enumerate(sp.steps):
        for j, p in enumerate(sp.params):
            ax = axes[i][j]
            for k, w in enumerate(sp.widths):
                ax.plot(c.etas, c.mean[(t, p.name, w)], color=cmap(k / max(1, len(sp.widths) - 1)), lw=1.3, label=f"n = {w}")
            if p == MUP and t in c.limit:
                ax.plot(c.etas, c.limit[t][0], "k--", lw=1.5, label=r"limit $L_\infty$")
            ax.set_ylim(0.0, 1.5 * max(float(c.mean[(t, p.name, w)][0]) for w in sp.widths))
            ax.set_xscale("log" if c.etas[0] > 0 else "linear")
            ax.set_title(f"{p.name}, t = {t}")
            ax.set_xlabel(r"learning rate $\eta$")
            ax.set_ylabel(f"seed-mean loss after {t} steps")
            ax.legend(fontsize=7)
    fig.suptitle(f"{sp.title} ({sp.seeds} seeds, L = {sp.setup.depth}, m = {sp.setup.data.m})")
    fig.tight_layout()
    return to_bytes(fig, fmt)
