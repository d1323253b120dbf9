"""Theorem 2 of Ghosh, Wu & Bietti (useful transfer) as a calculator.

With a loss gap a_n ~ n^-α, a hyperparameter gap b_n ~ n^-β, one training run at width n costing
n^r flops and h tuned hyperparameters, a compute budget F gives (the paper's Theorem 2 and its proof
in Appendix C.3, grid search with resolution ρ, |grid| ~ ρ^-h):

- **direct** tuning (grid search at one width n): error ~ F^(−2α/(hα + 2r)) at n* ~ F^(2/(hα + 2r));
  the grid has ~ F^(hα/(hα + 2r)) points;
- **transfer** (grid search at a proxy width n, one run at width M with the transferred values):
  error ~ F^(−α/r) + F^(−2β/(hβ + r)), i.e. exponent min(α/r, 2β/(hβ + r)), at n* ~ F^(1/(hβ + r))
  and M* ~ F^(1/r); the proxy grid has ~ F^(hβ/(hβ + r)) points.

Transfer pays (a larger error exponent) iff β > α/2, the fast-transfer condition.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import PolylrError, check_finite, check_int


@dataclass(frozen=True)
class TransferBudget:
    """Exponents of F (the compute budget) for direct tuning and for transfer."""

    alpha: float
    beta: float
    r: float
    h: int
    direct_error: float  # error ~ F^-direct_error
    direct_width: float  # n* ~ F^direct_width
    direct_grid: float  # grid points ~ F^direct_grid
    transfer_error: float
    proxy_width: float
    final_width: float
    proxy_grid: float
    source: str = "arguments"
    note: str = ""

    @property
    def gain(self) -> float:
        """transfer_error − direct_error: > 0 when transfer pays."""
        return self.transfer_error - self.direct_error

    @property
    def pays(self) -> bool:
        return self.beta > self.alpha / 2

    @property
    def bottleneck(self) -> str:
        """Which term limits transfer: the final model's loss gap (α/r) or the transferred value (2β/(hβ + r))."""
        a, b = self.alpha / self.r, 2 * self.beta / (self.h * self.beta + self.r)
        return "final width (α/r)" if a < b else ("transferred hyperparameter (2β/(hβ + r))" if b < a else "both")

    def to_dict(self) -> dict:
        return {**self.__dict__, "gain": self.gain, "pays": self.pays, "bottleneck": self.bottleneck}

    def lines(self) -> list[str]:
        verdict = ("transfer pays: β > α/2" if self.pays else
                   "transfer does not pay: β = α/2 (same exponent)" if self.beta == self.alpha / 2 else
                   "transfer does not pay: β < α/2 (direct tuning has the larger error exponent)")
        return [
            f"inputs: α = {self.alpha:g}, β = {self.beta:g}, r = {self.r:g}, h = {self.h} ({self.source})",
            f"direct tuning:  error ~ F^-{self.direct_error:.4g}   width n* ~ F^{self.direct_width:.4g}   grid ~ F^{self.direct_grid:.4g} points",
            f"transfer:       error ~ F^-{self.transfer_error:.4g}   proxy width n* ~ F^{self.proxy_width:.4g}   "
            f"final width M* ~ F^{self.final_width:.4g}   proxy grid ~ F^{self.proxy_grid:.4g} points",
            f"limited by: {self.bottleneck}",
            f"{verdict}; exponent gain {self.gain:+.4g}",
        ] + ([self.note] if self.note else [])


def transfer_budget(alpha: float, beta: float, r: float = 2.0, h: int = 1, *, source: str = "arguments") -> TransferBudget:
    """Theorem 2's exponents for loss-gap exponent ``alpha``, hyperparameter-gap exponent ``beta``,
    cost exponent ``r`` (one run at width n costs n^r) and ``h`` tuned hyperparameters.

    Examples
    --------
    Random-features ridge (α = β = 1, r = 2): transfer pays, since β > α/2.

    >>> tb = transfer_budget(1.0, 1.0, r=2.0, h=1)
    >>> tb.direct_error, tb.transfer_error, tb.pays
    (0.4, 0.5, True)
    """
    alpha = check_finite("alpha", alpha)
    beta = check_finite("beta", beta)
    r = check_finite("r", r)
    if alpha <= 0:
        raise PolylrError(f"alpha (a_n ~ n^-alpha) must be > 0, got {alpha}")
    if beta <= 0:
        raise PolylrError(f"beta (b_n ~ n^-beta) must be > 0, got {beta}")
    if r <= 0:
        raise PolylrError(f"r (a run at width n costs n^r) must be > 0, got {r}")
    h = check_int("h (number of tuned hyperparameters)", h, lo=1)
    d = h * alpha + 2 * r
    t = h * beta + r
    return TransferBudget(
        alpha, beta, r, h,
        direct_error=2 * alpha / d, direct_width=2 / d, direct_grid=h * alpha / d,
        transfer_error=min(alpha / r, 2 * beta / t), proxy_width=1 / t, final_width=1 / r, proxy_grid=h * beta / t,
        source=source,
    )


def budget_from_results(path: str | Path, r: float = 2.0, h: int = 1) -> TransferBudget:
    """Theorem 2 with α and β from a finished ``fast-transfer`` run: its ``summary.json`` (or its folder,
    or its ``results.json``, beside which the summary lies)."""
    path = Path(path)
    if path.is_dir() or path.name == "results.json":
        path = (path if path.is_dir() else path.parent) / "summary.json"
    if not path.is_file():
        raise PolylrError(f"results file {str(path)!r} does not exist")
    try:
        doc = json.loads(path.read_text())
        fits = doc["fits"]
        alpha, beta = float(fits["alpha"]), float(fits["beta"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise PolylrError(f"{str(path)!r} is not a fast-transfer summary.json (needs fits.alpha and fits.beta)") from None
    if not (math.isfinite(alpha) and math.isfinite(beta)):
        raise PolylrError(f"{str(path)!r}: alpha = {alpha}, beta = {beta} are not finite")
    tb = transfer_budget(alpha, beta, r, h, source=f"fitted in {path}")
    combo = fits.get("combos", {}).get("2β − α")
    if combo:
        lo, hi = combo["ci"]
        note = (f"the run's paired {fits.get('level', 0.95):.0%} interval of 2β − α is [{lo:.3f}, {hi:.3f}]: "
                + ("the sign of the gain is settled" if lo > 0 or hi < 0 else "it contains 0, so whether transfer pays is not settled"))
        tb = dataclasses.replace(tb, note=note)
    return tb
