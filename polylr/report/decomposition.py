"""Plots of the trajectory decomposition (Ghosh–Wu–Bietti's Figures 6–10 in style), on
:class:`matplotlib.figure.Figure` objects made by :func:`polylr.report.plots.figure` (never pyplot).

- :func:`plot_fixed_k`: at each fixed ``k`` the top-``k`` part ``φ_n^k(ν)`` (left) and the residual
  ``φ_n − φ_n^k`` (right) against ν, one line per width with its 95 % band over seeds (their
  Figures 5–7 at a width-free ``k``);
- :func:`plot_topk`: the total linearised loss ``φ_n(ν)`` (left) and the top-``κ̂(n)`` part
  ``φ_n^{κ̂}(ν)`` (right) against the learning rate ν, one line per width, the largest width's
  top-``κ̂(n)`` curve dashed beside each (their Figure 6);
- :func:`plot_residual`: the residual ``φ_n − φ_n^{κ̂}`` against ν (their Figure 7);
- :func:`plot_kvec`: ``κ̂(n)`` against ν (left) and ``φ_n^k`` against ``k`` at one ν (right)
  (their Figure 8);
- :func:`plot_linearisation`: ``L(ω_T) − L(ω_0)`` and ``φ`` against ν (their Figure 3a).
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from ..analysis.decompose import DecompositionScan, Truncation, topk_at
from .plots import figure, to_bytes

NU = r"learning rate $\nu$ (μP $\eta$)"


def _colors(widths):
    cmap = colormaps["viridis"]
    return {w: cmap(i / max(1, len(widths) - 1)) for i, w in enumerate(widths)}


def _finish(ax, ylabel: str, title: str = "", xlog: bool = True) -> None:
    """The common axis dressing: log2 ν axis, labels, small title and legend."""
    if xlog:
        ax.set_xscale("log", base=2)
        ax.set_xlabel(NU)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)


def _band(ax, x, Y, color, label):
    """Seed mean of ``Y (S, E)`` with a 95 % normal band (±1.96 standard errors)."""
    m = np.mean(Y, axis=0)
    se = np.std(Y, axis=0, ddof=1) / np.sqrt(Y.shape[0]) if Y.shape[0] > 1 else np.zeros_like(m)
    ax.plot(x, m, marker=".", color=color, label=label)
    ax.fill_between(x, m - 1.96 * se, m + 1.96 * se, color=color, alpha=0.2, lw=0)


def plot_fixed_k(scan: DecompositionScan, ok: np.ndarray, ks, title: str = ""):
    """Figure: one row per fixed ``k``; left the top-``k`` part ``φ_n^k(ν)``, right the residual
    ``φ_n − φ_n^k``, one line per width (seed mean, 95 % band), the total ``φ_n`` of the largest
    width dotted for scale."""
    ks = tuple(ks)
    fig, axes = figure(len(ks), 2, (10, 3.4 * len(ks)), squeeze=False)
    eta, col = scan.grid[ok], _colors(scan.widths)
    nmax = scan.widths[-1]
    for r, k in enumerate(ks):
        a, b = axes[r]
        for w in scan.widths:
            T = scan.topk(w)[:, ok]
            _band(a, eta, T[..., k - 1], col[w], f"n = {w}")
            _band(b, eta, T[..., -1] - T[..., k - 1], col[w], f"n = {w}")
        tot = np.mean(scan.topk(nmax)[:, ok, -1], axis=0)
        a.plot(eta, tot, ls=":", color="k", lw=0.9, label=rf"total $\phi_{{{nmax}}}$")
        _finish(a, rf"top-{k} part $\phi_n^{{{k}}}$", rf"top-{k} part $\phi_n^{{{k}}}(\nu)$ (band: 95 % over seeds)")
        _finish(b, rf"residual $\phi_n - \phi_n^{{{k}}}$", rf"residual $\phi_n - \phi_n^{{{k}}}(\nu)$")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def _means(scan: DecompositionScan, ok: np.ndarray) -> dict:
    return {w: np.nanmean(scan.topk(w), axis=0)[ok] for w in scan.widths}


def plot_topk(scan: DecompositionScan, trunc: dict[int, Truncation], ok: np.ndarray, title: str = ""):
    """Figure: left the total ``φ_n``, right ``φ_n^{κ̂(n)}`` (solid) and ``φ_{n_max}^{κ̂(n)}`` (dashed)."""
    fig, (a, b) = figure(1, 2, (10, 3.8))
    eta, Ph, col = scan.grid[ok], _means(scan, ok), _colors(scan.widths)
    nmax = scan.widths[-1]
    for w in scan.widths:
        a.plot(eta, Ph[w][:, -1], marker=".", color=col[w], label=f"n = {w}")
        t = trunc.get(w)
        if t is not None and t.kappa is not None:
            b.plot(eta, topk_at(Ph[w], t.kappa), marker=".", color=col[w], label=f"n = {w}")
            b.plot(eta, topk_at(Ph[nmax], t.kappa), ls="--", color=col[w], lw=0.9)
    b.plot(eta, Ph[nmax][:, -1], color=col[nmax], marker=".", label=f"n = {nmax} (proxy of ∞, total)")
    a.set_title(r"total $\phi_n(\nu)$", fontsize=9)
    b.set_title(r"top-$\hat\kappa(n)$ part $\phi_n^{\hat\kappa}(\nu)$ (dashed: $\phi_{n_{max}}^{\hat\kappa(n)}$)", fontsize=9)
    for ax in (a, b):
        _finish(ax, "linearised loss change")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def plot_residual(scan: DecompositionScan, trunc: dict[int, Truncation], ok: np.ndarray, title: str = ""):
    """Figure: the residual ``φ_n − φ_n^{κ̂(n)}`` (solid) and ``φ_{n_max} − φ_{n_max}^{κ̂(n)}`` (dashed)."""
    fig, ax = figure(1, 1, (5.4, 3.8))
    eta, Ph, col = scan.grid[ok], _means(scan, ok), _colors(scan.widths)
    nmax = scan.widths[-1]
    for w in scan.widths[:-1]:
        t = trunc.get(w)
        if t is None or t.kappa is None:
            continue
        ax.plot(eta, Ph[w][:, -1] - topk_at(Ph[w], t.kappa), marker=".", color=col[w], label=f"n = {w}")
        ax.plot(eta, Ph[nmax][:, -1] - topk_at(Ph[nmax], t.kappa), ls="--", color=col[w], lw=0.9)
    _finish(ax, r"residual $\phi_n - \phi_n^{\hat\kappa}$", title or "residual (dashed: the largest width with the same κ̂)")
    return fig


def plot_kvec(scan: DecompositionScan, trunc: dict[int, Truncation], ok: np.ndarray, at: int | None = None, title: str = ""):
    """Figure: left ``κ̂(n)`` against ν; right ``φ_n^k`` against ``k`` at grid index ``at``
    (default: the argmin of the largest width's total)."""
    fig, (a, b) = figure(1, 2, (10, 3.8))
    eta, Ph, col = scan.grid[ok], _means(scan, ok), _colors(scan.widths)
    nmax = scan.widths[-1]
    at = int(np.argmin(Ph[nmax][:, -1])) if at is None else at
    for w in scan.widths:
        t = trunc.get(w)
        if t is not None and t.kappa is not None:
            a.plot(eta, t.kappa, marker="o", color=col[w], label=f"n = {w}")
        b.plot(np.arange(1, w + 1), Ph[w][at], color=col[w], label=f"n = {w}")
    a.set_xscale("log", base=2)
    a.set_yscale("log", base=2)
    a.set_xlabel(NU)
    a.set_ylabel(r"$\hat\kappa(n)$ (Algorithm 1)")
    b.set_xscale("log", base=2)
    b.set_xlabel("k")
    b.set_ylabel(rf"$\phi_n^k$ at $\nu$ = {eta[at]:.3g}")
    for ax in (a, b):
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def plot_linearisation(scan: DecompositionScan, ok: np.ndarray, title: str = ""):
    """Figure: the EMA loss change ``L(ω_T) − L(ω_0)`` (solid) and ``φ`` (dashed) against ν."""
    fig, ax = figure(1, 1, (5.4, 3.8))
    eta, col = scan.grid[ok], _colors(scan.widths)
    for w in scan.widths:
        ax.plot(eta, np.nanmean(scan.loss_change[w], axis=0)[ok], marker=".", color=col[w], label=f"n = {w}")
        ax.plot(eta, np.nanmean(scan.phi[w], axis=0)[ok], ls="--", color=col[w], lw=0.9)
    _finish(ax, r"EMA loss change (solid), $\phi$ (dashed)", title or "linearisation of the EMA trajectory")
    return fig


def decomposition_figures(scan: DecompositionScan, trunc: dict[int, Truncation], ok: np.ndarray, stem: str,
                          fmt: str = "png", title: str = "", ks=(), ok_fixed: np.ndarray | None = None) -> dict[str, bytes]:
    """The figures rendered as ``fmt``, keyed ``{stem}.{kind}.{fmt}``: ``fixedk`` (with ``ks``),
    ``topk``, ``residual`` and ``kappa`` (when Algorithm 1 found a truncation at some width) and
    ``linearisation``. ``ok_fixed`` (default ``ok``) are the grid points of the fixed-k figure."""
    okf = ok if ok_fixed is None else ok_fixed
    figs = {"fixedk": plot_fixed_k(scan, okf, ks, title)} if ks and okf.any() else {}
    if any(t is not None and t.kappa is not None for t in trunc.values()):
        figs.update(topk=plot_topk(scan, trunc, ok, title), residual=plot_residual(scan, trunc, ok, title),
                    kappa=plot_kvec(scan, trunc, ok, title=title))
    figs["linearisation"] = plot_linearisation(scan, ok, title)
    for f in figs.values():
        f.set_layout_engine("constrained")
    return {f"{stem}.{k}.{fmt}": to_bytes(f, fmt) for k, f in figs.items()}
