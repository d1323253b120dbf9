"""Budgets of the claims that run on the width-free (Gram) sampler, and the bias/fluctuation split
of a rate.

On the Gram path a network costs the same at n = 2^20 as at n = 2^6 (engines/gram.py), and the
certified argmin is batched (analysis/argmin_batch.py), so these claims measure deep in the
asymptotic regime. The widths and seeds below replace the shared :data:`~polylr.claims.base.BUDGETS`
for them when the user gives none (``--widths`` / ``--seeds`` still win); the bootstrap size stays
the budget's. Sized on 2 shared cores (benchmarks/argmin_batch_speed.py): ``default`` keeps
``polylr check theorem1`` around a minute.
"""

from __future__ import annotations

from ..analysis.precision import check_precision, require_precision
from .base import CheckOptions, fit_exponent

# (widths, seeds per width) by budget name, per number of steps t
WIDTH_FREE_BUDGETS = {
    1: {
        "tiny": (tuple(2**k for k in range(6, 15)), 64),
        "quick": (tuple(2**k for k in range(6, 17)), 256),
        "default": (tuple(2**k for k in range(6, 21)), 1000),
        "thorough": (tuple(2**k for k in range(6, 21)), 4000),
    },
    2: {
        "tiny": (tuple(2**k for k in range(6, 13)), 32),
        "quick": (tuple(2**k for k in range(6, 15)), 64),
        "default": (tuple(2**k for k in range(6, 21)), 128),
        "thorough": (tuple(2**k for k in range(6, 21)), 1000),
    },
    3: {  # every seed by gradient descent (evaluation mode: the t = 3 polynomial is beyond float64)
        "tiny": (tuple(2**k for k in range(6, 13, 2)), 8),
        "quick": (tuple(2**k for k in range(6, 21, 2)), 16),
        "default": (tuple(2**k for k in range(6, 21, 2)), 64),
        "thorough": (tuple(2**k for k in range(6, 21)), 256),
    },
}
# t >= 4 where the polynomial program is beyond the engine (L = 3): every seed by gradient descent on
# Gram networks whose span is discovered by gradient descent (engines/gram_gd.py; dense below n = 256).
EVALUATION_BUDGETS = {
    "tiny": (tuple(2**k for k in range(6, 13, 2)), 8),
    "quick": (tuple(2**k for k in range(6, 21, 2)), 16),
    "default": (tuple(2**k for k in range(6, 21, 2)), 32),
    "thorough": (tuple(2**k for k in range(6, 21)), 128),
}
# The phase map's (widths, seeds per width and cell): 16 cells by default, so fewer seeds than theorem1.
PHASE_MAP_BUDGETS = {
    "tiny": (tuple(2**k for k in range(6, 11)), 16),
    "quick": (tuple(2**k for k in range(6, 17, 2)), 64),
    "default": (tuple(2**k for k in range(6, 21, 2)), 256),
    "thorough": (tuple(2**k for k in range(6, 21)), 1000),
}
SAMPLER = "auto"  # Gram coordinates above the dense/Gram crossover, dense below (the same law)


def width_free_budget(opts: CheckOptions, steps: int) -> tuple[tuple[int, ...], int] | None:
    """``(widths, seeds)`` for a width-free claim at ``steps``: the user's, else this module's
    budget of that name; None where no width-free budget exists (use the shared one)."""
    table = WIDTH_FREE_BUDGETS.get(steps, EVALUATION_BUDGETS if steps >= 4 else None)
    if table is None or opts.budget.name not in table:
        return None
    widths, seeds = table[opts.budget.name]
    return (opts.widths if opts.widths is not None else widths, opts.seeds if opts.seeds is not None else seeds)


def phase_map_budget(level: str | None, widths=None, seeds: int | None = None) -> tuple[tuple[int, ...], int]:
    """``(widths, seeds)`` of the phase map at budget ``level`` (``None``: ``default``); the user's
    ``widths`` / ``seeds`` win."""
    from .base import get_budget

    w, s = PHASE_MAP_BUDGETS[get_budget(level if level is not None else "default").name]
    return (w if widths is None else widths, s if seeds is None else seeds)


def precision_report(sw, claim: str) -> dict:
    """The float64 precision check of ``sw``'s Gram widths (:func:`polylr.analysis.precision.check_precision`:
    the widths where the sampler ``sw`` was drawn with, ``sw.sampler``, realised Gram networks, checked
    on those same networks), as JSON-ready rows; :class:`~polylr.NotResolved` (the claim refuses,
    naming the width and the measured error) where the arithmetic error of η_n exceeds its share of
    the Monte Carlo error."""
    report = check_precision(sw)  # on the sweep's own sampler's networks
    require_precision(report, claim)
    return {str(w): p.to_dict() for w, p in report.items()}


def bias_and_fluctuation(sw, errors, opts: CheckOptions, salt: int, labels=("|mean(η_n) − η_∞|", "sd(η_n)")) -> dict:
    """The two parts of ``η_n − η_∞`` fitted separately (each with its bootstrap CI over seeds):
    ``bias`` = |mean(η_n) − η_∞| and ``fluctuation`` = sd(η_n) against n. They need not share a
    rate; where the bias falls below the Monte Carlo error of the mean (sd/√seeds) its fit measures
    noise, and its CI says so. ``labels``: the two quantities' names."""
    return {
        "bias": fit_exponent(sw, errors, "abs_mean", labels[0], opts, salt),
        "fluctuation": fit_exponent(sw, errors, "sd", labels[1], opts, salt + 1),
    }
