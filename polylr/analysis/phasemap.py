"""Phase map of learning-rate transfer over width exponents, at t = 1.

Over a grid of (v, c) — output weights ``V ~ N(0, n^-v)``, hidden learning rate ``η·n^-c``, the
other exponents as in μP — measure the width exponent of the optimal learning rate η_n and the
exponent of its relative seed spread ``sd(η_n) / mean(η_n)``, each with a bootstrap CI.

The scaling argument of polylr's docs (one step: the η¹ coefficient of f^(1) grows like
``n^(2 − v − c)``, the output at initialisation like ``n^((1 − v)/2)``, the η² coefficient relative
to the squared η¹ one like ``n^((v − 3)/2)``) predicts ``η_n ∝ n^(v + c − 2)`` for ``1 ≤ v < 3``
and a relative spread ``∝ n^max(−1/2, (1 − v)/2, (v − 3)/2)``, and nothing for ``v ≥ 3``:
transfer with a deterministic limit on the line ``v + c = 2`` for ``1 < v < 3``, concentrating
fastest (n^-1/2) at μP's ``v = 2``. The map measures, it does not assume: each cell's interval
is ``[lo, hi]·n^(v + c − 2)`` (compact in the predicted scaled learning rate), and cells whose
minimisers hit the interval's end are flagged.

The same argument names the limit of the scaled optimum ``ν_n = n^-(v + c − 2)·η_n`` for
``1 < v < 3``: the η¹ coefficient of f^(1), scaled, tends to μP's ``(L/m)Ky`` and f^(0) → 0, so
``ν_n → η_∞^μP``. Each cell also reports the width exponents of the error ``mean |ν_n − η_∞^μP|``,
of its bias ``|mean ν_n − η_∞^μP|`` and of the fluctuation ``sd(ν_n)``, separately (measured in every
cell; ``limit_predicted`` says where the argument predicts convergence: elsewhere, e.g. v = 1,
where the limit is random, the error exponent is expected near 0).

Widths: on the width-free Gram sampler (``sampler="auto"``) the map reaches 2^20; every Gram width
of every cell is checked in extended precision (:func:`polylr.analysis.precision.check_precision`)
and the map refuses (:class:`~polylr.NotResolved`) where float64 does not resolve η_n.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..core.errors import PolylrError, check_finite
from ..engines.limit import eta_inf_t1
from .precision import check_precision, require_precision
from .rates import fit_rate
from ..core.setup import MUP, Parametrization, Setup
from .sweep import parse_widths, sweep


@dataclass(frozen=True, eq=False)
class PhaseMap:
    """Measured exponents on the (v, c) grid; arrays are indexed ``[i_v, i_c]``."""

    vs: tuple[float, ...]
    cs: tuple[float, ...]
    widths: tuple[int, ...]
    seeds: int
    master_seed: int
    interval: tuple[float, float]
    order: np.ndarray  # exponent of mean η_n
    order_ci: np.ndarray  # (..., 2)
    spread: np.ndarray  # exponent of sd(η_n) / mean(η_n)
    spread_ci: np.ndarray
    boundary: np.ndarray  # largest fraction of seeds on the interval's end, over widths
    seconds: float
    eta_inf: float = float("nan")  # μP's η_∞^(1): the predicted limit of ν_n for 1 < v < 3
    error: np.ndarray | None = None  # exponent of mean |ν_n − η_∞|
    error_ci: np.ndarray | None = None
    bias: np.ndarray | None = None  # exponent of |mean ν_n − η_∞|
    bias_ci: np.ndarray | None = None
    fluctuation: np.ndarray | None = None  # exponent of sd(ν_n)
    fluctuation_ci: np.ndarray | None = None
    precision: np.ndarray | None = None  # largest relative float64 error of η_n over the cell's checked Gram widths
    sampler: str = "dense"

    @staticmethod
    def limit_predicted(v: float) -> bool:
        """Whether the scaling argument predicts ``ν_n → η_∞^μP`` (``1 < v < 3``)."""
        return 1 < v < 3

    @staticmethod
    def predicted_order(v: float, c: float) -> float:
        """Heuristic ``v + c − 2``; nan for ``v ≥ 3``, where the η² term is no longer smaller than the
        squared η¹ one and the argument says nothing."""
        return v + c - 2 if v < 3 else float("nan")

    @staticmethod
    def predicted_spread(v: float) -> float:
        """Heuristic: CLT fluctuations n^-1/2, the output at initialisation n^((1-v)/2), and the
        η² coefficient relative to the squared η¹ one n^((v-3)/2); the slowest wins. nan for
        ``v ≥ 3`` (outside the argument's range)."""
        return max(-0.5, (1 - v) / 2, (v - 3) / 2) if v < 3 else float("nan")

    def to_dict(self) -> dict:
        cells = []
        for i, v in enumerate(self.vs):
            for j, c in enumerate(self.cs):
                cells.append({
                    "v": v, "c": c,
                    "order": float(self.order[i, j]), "order_ci": [float(x) for x in self.order_ci[i, j]],
                    "predicted_order": _prediction(self.predicted_order(v, c)),
                    "spread": float(self.spread[i, j]), "spread_ci": [float(x) for x in self.spread_ci[i, j]],
                    "predicted_spread": _prediction(self.predicted_spread(v)),
                    "boundary_fraction": float(self.boundary[i, j]),
                })
                if self.error is not None:
                    cells[-1].update({
                        "limit_predicted": self.limit_predicted(v),
                        **{k: float(getattr(self, k)[i, j]) for k in ("error", "bias", "fluctuation")},
                        **{f"{k}_ci": [float(x) for x in getattr(self, f"{k}_ci")[i, j]] for k in ("error", "bias", "fluctuation")},
                        "precision": None if self.precision is None else float(self.precision[i, j]),
                    })
        return {"widths": list(self.widths), "seeds": self.seeds, "master_seed": self.master_seed,
                "interval": list(self.interval), "eta_inf": self.eta_inf, "sampler": self.sampler, "cells": cells,
                "seconds": self.seconds}


def _prediction(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None  # no prediction (v >= 3): JSON null, an absent value


def phase_map(
    setup: Setup | None = None,
    vs=(1.0, 1.5, 2.0, 2.5),
    cs=(-0.5, 0.0, 0.5, 1.0),
    widths=(64, 128, 256, 512),
    seeds: int = 16,
    interval: tuple[float, float] | None = None,
    *,
    master_seed: int = 0,
    n_boot: int = 500,
    progress=None,
    sampler: str = "auto",
) -> PhaseMap:
    """Measure the exponents of η_n and of its relative spread on the (v, c) grid, and those of the
    error, bias and fluctuation of ν_n (see module doc). ``progress(done, total)`` is called as seeds
    finish, over all cells. ``sampler``: as :func:`polylr.sweep` (``"auto"``: Gram above the crossover)."""
    setup = (setup if setup is not None else Setup()).replace(steps=1, train="hidden")
    vs = tuple(check_finite("v", v) for v in vs)
    cs = tuple(check_finite("c", c) for c in cs)
    if not vs or not cs:
        raise PolylrError("the phase map needs at least one v and one c")
    bad = [v for v in vs if v < 1]
    if bad:
        raise PolylrError(f"v must be >= 1 (below 1 the output at initialisation diverges with width), got {bad}")
    widths = parse_widths(widths)
    if len(widths) < 2:
        raise PolylrError(f"the phase map needs at least 2 widths, got {list(widths)}")
    eta_inf = eta_inf_t1(setup.replace(param=MUP))
    if interval is None:
        interval = (0.0, 4.0 * eta_inf)
    t0 = time.perf_counter()
    shape = (len(vs), len(cs))
    order, spread, boundary, precision = np.empty(shape), np.empty(shape), np.empty(shape), np.zeros(shape)
    order_ci, spread_ci = np.empty(shape + (2,)), np.empty(shape + (2,))
    split = {k: (np.empty(shape), np.empty(shape + (2,))) for k in ("error", "bias", "fluctuation")}
    cells = len(vs) * len(cs)
    for i, v in enumerate(vs):
        for j, c in enumerate(cs):
            k = i * len(cs) + j
            cell_progress = None if progress is None else (lambda d, n, k=k: progress(k * n + d, cells * n))
            param = Parametrization(f"v={v:g},c={c:g}", out_var=v, hidden_lr=c)
            # the interval scales like n^(v + c − 2) at every v (outside the heuristic's range too)
            sw = sweep(setup.replace(param=param), widths, seeds, interval, order=v + c - 2, master_seed=master_seed,
                       progress=cell_progress, sampler=sampler)
            report = check_precision(sw, sampler=sampler)
            require_precision(report, f"phase map cell v = {v:g}, c = {c:g}")
            precision[i, j] = max((p.relative for p in report.values()), default=float("nan"))
            etas = [sw.etas(w) for w in widths]
            f = fit_rate(widths, etas, statistic="mean_abs", n_boot=n_boot, boot_seed=master_seed)
            rel = [e / np.mean(e) for e in etas]
            g = fit_rate(widths, rel, statistic="sd", n_boot=n_boot, boot_seed=master_seed + 1)
            order[i, j], order_ci[i, j] = f.exponent, f.ci
            spread[i, j], spread_ci[i, j] = g.exponent, g.ci
            gaps = [e * float(w) ** -(v + c - 2) - eta_inf for e, w in zip(etas, widths)]
            for k, (stat, salt) in {"error": ("mean_abs", 2), "bias": ("abs_mean", 3), "fluctuation": ("sd", 4)}.items():
                fit = fit_rate(widths, gaps, statistic=stat, n_boot=n_boot, boot_seed=master_seed + salt)
                split[k][0][i, j], split[k][1][i, j] = fit.exponent, fit.ci
            boundary[i, j] = max(sw.summary(w).boundary_fraction for w in widths)
    return PhaseMap(vs, cs, widths, seeds, master_seed, interval, order, order_ci, spread, spread_ci, boundary,
                    time.perf_counter() - t0, eta_inf, *split["error"], *split["bias"], *split["fluctuation"], precision,
                    sampler if isinstance(sampler, str) else sampler.name)


def fmt_prediction(x: float | None) -> str:
    """A prediction for display: two decimals, or — outside the heuristic's range (v ≥ 3)."""
    return "—" if x is None or not np.isfinite(x) else f"{x:.2f}"
