"""Theorem-level assertions: a limit, a rate of fluctuation or of bias, a limit law, each with honest
statistics (the interval it used is in the returned verdict and in the failure message).

- :func:`assert_limit`: the minimiser η_n (or any per-network statistic) converges to ``limit``:
  the per-network error ``|η_n − limit|`` decays at least like ``n^-tol`` (the bootstrap
  confidence interval of its fitted exponent lies at or below ``-tol``);
- :func:`assert_rate`: ``kind="fluctuation"``: the standard deviation across networks ``sd(η_n)``
  scales like ``n^exponent``; ``kind="bias"``: ``|mean η_n − limit|`` scales like ``n^exponent``
  (the confidence interval of the exponent lies within ``exponent ± tol``);
- :func:`assert_law`: a sample follows a law (Kolmogorov–Smirnov, exact level ``alpha``): the hook
  for a limit law such as ``√n (η_n − η_∞) → N(0, σ²)``.

Each takes either the samples (a mapping width → one value per network) or, for the first two, a
:class:`polylr.Setup` with ``widths``, ``networks`` and ``interval``: then η_n is computed by
:func:`polylr.sweep` (``sampler=`` is passed through to it when given, e.g. a width-free sampler
that makes widths to 2^20 as cheap as width 64; without it the dense engine is used, practical to
width ~1024) and the default ``limit`` is the exact infinite-width minimiser
(:func:`polylr.limit_argmin`).

False-positive rates (a true claim failed), measured by ``tests/test_testing_theorems.py``
(``--runslow`` for the long runs) on synthetic true cases with the defaults ``level=0.95``,
``tol=0.1``: see ``docs/testing.md`` ("False-positive rates"). By construction a decided failure
("fails") of a true claim needs the bootstrap interval to miss the truth, which a 95 % interval
does at most ~2.5 % per side; an "inconclusive" verdict (the interval straddles an edge) also fails
the assertion unless ``allow_inconclusive=True``, and its frequency is a matter of budget (seeds,
widths), which is why the measured rates come with the budget they were measured at.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import scipy.stats

from ..analysis.rates import fit_rate
from ..analysis.sweep import sweep
from ..claims.base import FAILS, HOLDS, Verdict, verdict_within
from ..claims.theorem3 import limit_argmin
from ..core.errors import PolylrError, check_finite
from ..core.setup import Setup
from .assertions import assert_converges, by_width, check_level, outcome, table
from .keywords import SAMPLED, Options, shared_keywords

__all__ = ["argmins_by_width", "assert_law", "assert_limit", "assert_rate"]

KINDS = ("fluctuation", "bias")


def argmins_by_width(
    setup: Setup,
    widths: Any,
    networks: int,
    interval: tuple[float, float],
    *,
    master_seed: int = 0,
    sampler: Any = None,
) -> dict[int, np.ndarray]:
    """η_n on ``interval`` for networks ``0..networks-1`` at each width: ``{width: array}``.

    ``sampler`` (when not None) is passed to :func:`polylr.sweep`; None uses its default engine."""
    if not isinstance(setup, Setup):
        raise PolylrError(f"setup must be a polylr.Setup, got {type(setup).__name__}")
    extra = {} if sampler is None else {"sampler": sampler}
    sw = sweep(setup, widths, networks, interval, master_seed=master_seed, **extra)
    return {w: sw.etas(w) for w in sw.widths}


def _samples(target: Any, o: Options, what: str) -> dict:
    if isinstance(target, Setup):
        if o.widths is None or o.networks is None or o.interval is None:
            raise PolylrError(f"{what}: with a Setup, pass widths=, networks= and interval= (η_n is computed by polylr.sweep)")
        return argmins_by_width(target, o.widths, o.networks, o.interval, master_seed=o.master_seed, sampler=o.sampler)
    if not isinstance(target, Mapping):
        raise PolylrError(f"{what}: the first argument must be a polylr.Setup or a mapping width -> values, got {type(target).__name__}")
    return dict(target)


def _default_limit(target: Any, limit: Any, interval, what: str) -> float:
    if limit is not None:
        return check_finite("limit", limit)
    if not isinstance(target, Setup):
        raise PolylrError(f"{what}: pass limit= (it defaults to the exact limit minimiser only when given a Setup)")
    return float(limit_argmin(target, interval)[0].eta)


@shared_keywords((*SAMPLED, "name"))
def assert_limit(target: Setup | Mapping[int, Any], limit: float | None = None, *, o: Options) -> Verdict:
    """Assert that η_n (per network) converges to ``limit`` as the width grows.

    ``target`` is a :class:`polylr.Setup` (then ``widths``, ``networks``, ``interval`` are needed and
    η_n is computed, ``limit`` defaulting to the exact limit minimiser η_∞ on ``interval``) or a
    mapping width → one value per network. Holds when the ``level`` bootstrap interval of the
    exponent of ``mean |η_n − limit|`` lies at or below ``-tol``; fails when it lies above (e.g. a
    wrong limit: the error stops decaying); otherwise inconclusive (fails unless allowed). Returns
    the :class:`polylr.Verdict` (``evidence["fit"]`` holds the fit and its interval).
    """
    samples = _samples(target, o, "assert_limit")
    lim = _default_limit(target, limit, o.interval, "assert_limit")
    try:
        verdict = assert_converges(
            samples, lim, rate=None, tol=o.tol, level=o.level, n_boot=o.n_boot, boot_seed=o.boot_seed,
            allow_inconclusive=o.allow_inconclusive, name=o.name,
        )
    except AssertionError as e:
        head, _, rest = str(e).partition("\n")
        head = head.replace("assert_converges failed", "assert_limit failed").replace("the limit'", f"the limit {lim:.10g}'")
        raise AssertionError(f"{head}\n{rest}") from None
    return Verdict("assert_limit", f"{o.name} -> {lim:.10g}", verdict.status, verdict.reason, {**verdict.evidence, "limit": lim})


@shared_keywords((*SAMPLED, "name"))
def assert_rate(
    target: Setup | Mapping[int, Any],
    exponent: float = -0.5,
    *,
    kind: str = "fluctuation",
    limit: float | None = None,
    o: Options,
) -> Verdict:
    """Assert a rate in n of the fluctuation or of the bias of η_n (per network).

    - ``kind="fluctuation"``: ``sd(η_n) ≈ C n^exponent`` (standard deviation across networks; no
      limit needed). Fluctuations are what a single network sees: at t = 1 the exponent is -1/2.
    - ``kind="bias"``: ``|mean η_n − limit| ≈ C n^exponent``. The bias is much smaller than the
      fluctuation (about 1/n against n^-1/2 at t = 1), so its standard error
      ``sd / √networks`` must be well below it at every width: the assertion refuses
      (:class:`polylr.PolylrError`) when at some width the bias is not resolved (its estimate is
      within 2 standard errors of 0), rather than fit noise.

    Holds when the ``level`` bootstrap interval of the fitted exponent lies within
    ``[exponent − tol, exponent + tol]``, fails when it lies outside (a wrong exponent), else is
    inconclusive (fails unless allowed). ``target`` as in :func:`assert_limit`.
    """
    if kind not in KINDS:
        raise PolylrError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    exponent = check_finite("exponent", exponent)
    tol = check_finite("tol", o.tol)
    if not tol > 0:
        raise PolylrError(f"tol must be > 0, got {tol}")
    level, name = check_level(o.level), o.name
    samples = _samples(target, o, "assert_rate")
    ws, arrays = by_width(samples, "samples")
    for w, a in zip(ws, arrays):
        if a.ndim != 1 or a.size < 2:
            raise PolylrError(f"samples at width {w}: need a 1-d array with >= 2 networks, got shape {a.shape}")
    if kind == "fluctuation":
        statistic, quantity, values = "sd", f"sd({name})", arrays
    else:
        lim = _default_limit(target, limit, o.interval, "assert_rate")
        values = [a - lim for a in arrays]
        for w, e in zip(ws, values):
            bias, se = float(e.mean()), float(e.std(ddof=1) / math.sqrt(e.size))
            if not abs(bias) > 2 * se:
                raise PolylrError(
                    f"assert_rate(kind='bias'): at width {w} the bias {bias:.3e} is within 2 standard errors "
                    f"({se:.3e}, {e.size} networks) of 0: not resolved; use more networks (the standard error falls "
                    f"like 1/sqrt(networks)) or smaller widths"
                )
        statistic, quantity = "abs_mean", f"|mean {name} − {lim:.6g}|"
    fit = fit_rate(ws, values, statistic=statistic, quantity=quantity, n_boot=o.n_boot, boot_seed=o.boot_seed, level=level)
    statement = f"{quantity} ~ n^{exponent:g} (tolerance {tol:g})"
    v = verdict_within(f"assert_rate({kind})", statement, fit, exponent, tol)
    verdict = Verdict(v.claim, statement, v.status, v.reason, {**v.evidence, "fit": fit.to_dict(), "interval": list(fit.ci)})
    details = [
        f"  {v.reason}",
        *table(fit, [a.size for a in arrays], quantity),
        f"  bootstrap: {fit.n_boot} resamples over networks, seed {fit.boot_seed}",
    ]
    return outcome(verdict, f"assert_rate(kind={kind!r})", details, o.allow_inconclusive)


def assert_law(
    sample: Any,
    law: Any,
    *,
    alpha: float = 0.01,
    name: str = "sample",
) -> Verdict:
    """Assert that ``sample`` (1-d, independent draws) follows ``law``: a frozen ``scipy.stats``
    distribution (anything with a ``cdf``), a callable CDF, or a second sample (two-sample test).

    Kolmogorov–Smirnov test (``scipy.stats.kstest``): fails when its p-value is below ``alpha``, so
    for a continuous law with no fitted parameters the false-positive rate per call is exactly
    ``alpha``. The hook for limit laws: ``assert_law(sqrt(n) * (eta_n - eta_inf), scipy.stats.norm(0, sigma))``.
    Returns a :class:`polylr.Verdict` whose evidence holds the statistic D, the p-value and n.
    """
    alpha = check_finite("alpha", alpha)
    if not 0 < alpha < 1:
        raise PolylrError(f"alpha must be in (0, 1), got {alpha}")
    x = np.asarray(sample, dtype=np.float64)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
        raise PolylrError(f"sample must be a 1-d array of >= 2 finite values, got shape {x.shape}")
    if hasattr(law, "cdf"):
        cdf, what = law.cdf, f"{getattr(getattr(law, 'dist', None), 'name', 'law')}{getattr(law, 'args', ())}"
    elif callable(law):
        cdf, what = law, getattr(law, "__name__", "cdf")
    else:
        cdf = np.asarray(law, dtype=np.float64)
        if cdf.ndim != 1 or cdf.size < 2 or not np.all(np.isfinite(cdf)):
            raise PolylrError("law must be a scipy.stats distribution, a callable CDF or a 1-d sample of >= 2 finite values")
        what = f"a reference sample of {cdf.size}"
    res = scipy.stats.kstest(x, cdf)
    D, p = float(res.statistic), float(res.pvalue)
    statement = f"{name} ~ {what}"
    ev = {"statistic": D, "pvalue": p, "n": int(x.size), "alpha": alpha, "mean": float(x.mean()), "sd": float(x.std(ddof=1))}
    reason = f"Kolmogorov–Smirnov D = {D:.4f}, p = {p:.3g} from {x.size} values (fails when p < {alpha:g})"
    verdict = Verdict("assert_law", statement, HOLDS if p >= alpha else FAILS, reason, ev)
    details = [f"  {reason}", f"  sample mean {ev['mean']:.6g}, sd {ev['sd']:.6g}"]
    return outcome(verdict, "assert_law", details, False)

