"""Claims of the papers as checks with verdicts.

A :class:`Verdict` says whether a claim ``holds``, ``fails`` or is ``inconclusive`` on the
evidence, with the numbers and a sentence saying why. Verdicts about exponents compare a
bootstrap confidence interval with an edge: a claimed decay "exponent ≤ edge" holds when the
whole interval lies at or below the edge, fails when the whole interval lies above it, and is
inconclusive when the interval straddles it (too few seeds or widths to tell). With tolerance
``tol`` (default 0.1), "converges" means an edge of ``-tol`` (a decay at least like n^-tol) and
"error = O(n^-1/2)" an edge of ``-1/2 + tol``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ._errors import PolylrError, check_finite
from ._limit import Limit, eta_inf_t1, limit_t1
from ._rates import RateFit, fit_rate
from ._setup import MUP, Setup
from ._sweep import Sweep, sweep

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"

THEOREM1_WIDTHS = tuple(2**k for k in range(6, 12))
THEOREM1_SEEDS = 48


@dataclass(frozen=True)
class Verdict:
    claim: str
    statement: str
    status: str
    reason: str
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def exponent_verdict(claim: str, statement: str, fit: RateFit, edge: float, what: str) -> Verdict:
    """Verdict on "the exponent of ``fit`` is at most ``edge``" (``what`` says what the edge means)."""
    lo, hi = fit.ci
    evidence = {"exponent": fit.exponent, "ci": [lo, hi], "edge": edge, "level": fit.level}
    where = f"fitted exponent {fit.exponent:.3f}, {fit.level:.0%} CI [{lo:.3f}, {hi:.3f}]"
    if hi <= edge:
        return Verdict(claim, statement, HOLDS, f"{where} lies at or below {edge:.2f} ({what})", evidence)
    if lo > edge:
        return Verdict(claim, statement, FAILS, f"{where} lies above {edge:.2f} ({what})", evidence)
    return Verdict(claim, statement, INCONCLUSIVE, f"{where} straddles {edge:.2f} ({what}): more seeds or widths are needed", evidence)


@dataclass(frozen=True, eq=False)
class CheckResult:
    """Everything a check produced: the sweep, the limit, the fits and the verdicts."""

    name: str
    setup: Setup
    sweep: Sweep
    eta_inf: float
    limit: Limit
    fits: dict[str, RateFit]
    verdicts: tuple[Verdict, ...]
    seconds: float
    tol: float

    def errors(self, width: int) -> np.ndarray:
        return self.sweep.etas(width) - self.eta_inf


def check_theorem1(
    setup: Setup | None = None,
    widths=THEOREM1_WIDTHS,
    seeds: int = THEOREM1_SEEDS,
    interval: tuple[float, float] | None = None,
    *,
    master_seed: int = 0,
    tol: float = 0.1,
    n_boot: int = 2000,
    progress=None,
) -> CheckResult:
    """Hayou's Theorem 1 at t = 1: under μP the optimal learning rate η_n converges to
    η_∞ = (m/L) yᵀKy/‖Ky‖² > 0, with error O(n^-1/2).

    η_n is the exact argmin of each seed's loss polynomial on ``interval`` (default
    ``[0, 4 η_∞]``). The error exponent is fitted to the seed mean of ``|η_n − η_∞|``; the spread
    exponent to the seed standard deviation of η_n. ``setup.param`` may differ from μP to test the
    claim where it should fail; η_∞ is always the μP limit (the claim's prediction).
    """
    setup = setup if setup is not None else Setup()
    if setup.steps != 1:
        raise PolylrError(f"Theorem 1 is about one gradient step (t = 1), got steps = {setup.steps}")
    tol = check_finite("tol", tol)
    if not 0 < tol < 0.5:
        raise PolylrError(f"tol must be in (0, 0.5), got {tol}")
    mup = setup.replace(param=MUP, train="hidden")
    eta_inf = eta_inf_t1(mup)
    limit = limit_t1(mup)
    if interval is None:
        interval = (0.0, 4.0 * eta_inf)
    t0 = time.perf_counter()
    sw = sweep(setup, widths, seeds, interval, master_seed=master_seed, progress=progress)
    errs = [sw.etas(w) - eta_inf for w in sw.widths]
    fits = {
        "error": fit_rate(sw.widths, errs, statistic="mean_abs", quantity="|η_n − η_∞|", n_boot=n_boot, boot_seed=master_seed),
        "spread": fit_rate(sw.widths, [sw.etas(w) for w in sw.widths], statistic="sd", quantity="sd(η_n)", n_boot=n_boot, boot_seed=master_seed + 1)
        if seeds > 1
        else None,
    }
    fits = {k: v for k, v in fits.items() if v is not None}
    err = fits["error"]
    note = _boundary_note(sw)
    v = exponent_verdict("theorem1.limit", "η_n → η_∞ > 0 as n → ∞", err, -tol, f"a decay at least like n^-{tol:g}")
    limit_verdict = Verdict(
        v.claim, v.statement, v.status,
        f"η_∞ = {eta_inf:.6g} > 0; mean |η_n − η_∞|: {v.reason}{note}",
        {**v.evidence, "eta_inf": eta_inf},
    )
    v = exponent_verdict("theorem1.rate", "|η_n − η_∞| = O(n^-1/2)", err, -0.5 + tol, f"-1/2 plus tolerance {tol:g}")
    rate_verdict = Verdict(v.claim, v.statement, v.status, f"mean |η_n − η_∞|: {v.reason}{note}", v.evidence)
    return CheckResult(
        "theorem1", setup, sw, eta_inf, limit, fits, (limit_verdict, rate_verdict), time.perf_counter() - t0, tol
    )


def _boundary_note(sw: Sweep) -> str:
    top = sw.summary(sw.widths[-1])
    if top.boundary_fraction > 0:
        return (
            f" (note: at n = {top.width}, {top.boundary_fraction:.0%} of the seeds have their minimiser on the "
            "interval's boundary: consider a wider interval)"
        )
    return ""
