"""``assert_fast_transfer``: Ghosh, Wu & Bietti's fast transfer (Definition 2 with Proposition 1) as
a test assertion, with the estimators of the ``fast-transfer`` claim.

Per network: the loss gap a_n, the hyperparameter gap b_n and the transfer suboptimality c_n
(:func:`polylr.network_gaps`); their width exponents with a paired bootstrap over networks
(:func:`polylr.fit_gaps`); the verdict ``fast`` of :func:`polylr.transfer_decisions`: the paired
``level`` interval of 2β − α (a_n ~ n^-α, b_n ~ n^-β) at or above ``tol`` is fast, wholly below is
not fast, straddling is undecided.

``assert_fast_transfer(target)`` asserts *fast*; ``fast=False`` asserts *not fast* (e.g. the
L = 1 counterexample XXᵀ = I). A decided verdict the other way raises AssertionError with the
numbers; an undecided one raises too unless ``allow_inconclusive=True``. The false-positive rates
(a true claim failed) are measured in ``tests/test_testing_transfer.py`` and stated in
``docs/testing.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..analysis.gaps import GAPS, Gaps, fit_gaps, network_gaps, transfer_decisions
from ..claims.base import FAILS, HOLDS, INCONCLUSIVE, Verdict
from ..core.choices import SWEEP_SAMPLERS, SweepSampler, check_choice
from ..core.errors import PolylrError, check_finite, check_int
from ..core.setup import Setup
from ..engines.limit import eta_inf_t1
from .assertions import by_width, check_level, outcome
from .keywords import SAMPLED, Options, shared_keywords

__all__ = ["assert_fast_transfer", "transfer_gaps"]


@dataclass(frozen=True, eq=False)
class GapSamples:
    """a_n, b_n, c_n per width given as samples (the part of :class:`polylr.Gaps` the fits read)."""

    widths: tuple[int, ...]
    a: dict
    b: dict
    c: dict

    def gap(self, name: str) -> list[np.ndarray]:
        return [getattr(self, name)[w] for w in self.widths]


def _gap_samples(target: Mapping) -> GapSamples:
    missing = [q for q in GAPS if q not in target]
    if missing:
        raise PolylrError(f"gap samples must map each of 'a', 'b', 'c' to a mapping width -> values; missing {missing}")
    parsed = {}
    for q in GAPS:
        ws, arrays = by_width(target[q], f"gap {q!r}")
        for w, arr in zip(ws, arrays):
            if arr.ndim != 1 or np.any(arr < 0):
                raise PolylrError(f"gap {q!r} at width {w}: need a 1-d array of values >= 0 (one per network), got shape {arr.shape}")
        parsed[q] = (ws, arrays)
    ws = parsed["a"][0]
    for q in GAPS:
        if parsed[q][0] != ws:
            raise PolylrError(f"gap {q!r} has widths {list(parsed[q][0])}, gap 'a' has {list(ws)}: they must be the same")
        for w, arr, ref in zip(ws, parsed[q][1], parsed["a"][1]):
            if arr.size != ref.size:
                raise PolylrError(f"gap {q!r} at width {w} has {arr.size} networks, gap 'a' has {ref.size}: the gaps must be paired")
    return GapSamples(ws, *({w: v for w, v in zip(ws, parsed[q][1])} for q in GAPS))


def transfer_gaps(
    setup: Setup,
    widths: Any,
    networks: int,
    interval: tuple[float, float] | None = None,
    *,
    master_seed: int = 0,
    sampler: SweepSampler = "auto",
) -> Gaps:
    """a_n, b_n, c_n for networks ``0..networks-1`` at each width (:func:`polylr.network_gaps`);
    ``interval`` defaults to ``[0, 2 η_∞^(1)]``, as in the ``fast-transfer`` claim; ``sampler`` is
    one of :data:`polylr.core.choices.SWEEP_SAMPLERS` (the sweep's)."""
    if not isinstance(setup, Setup):
        raise PolylrError(f"setup must be a polylr.Setup, got {type(setup).__name__}")
    sampler = check_choice("sampler", sampler, SWEEP_SAMPLERS)
    networks = check_int("networks (per width)", networks, lo=2)
    if interval is None:
        interval = (0.0, 2.0 * eta_inf_t1(setup))
    return network_gaps(setup, widths, networks, interval, master_seed=master_seed, sampler=sampler)


def _table(g, fits) -> list[str]:
    rows = [f"  {'width':>8}  {'networks':>8}  {'mean a_n':>11}  {'mean b_n':>11}  {'mean c_n':>11}  {'median c_n/a_n':>14}"]
    for w in g.widths:
        a, b, c = (np.asarray(getattr(g, q)[w], dtype=np.float64) for q in GAPS)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = float(np.median(np.where(a > 0, c / a, np.inf)))
        rows.append(f"  {w:>8}  {a.size:>8}  {a.mean():>11.4e}  {b.mean():>11.4e}  {c.mean():>11.4e}  {ratio:>14.4g}")
    f = fits.fits
    rows.append(
        f"  fitted exponents ({fits.level:.0%} intervals, paired bootstrap over networks, {fits.n_boot} resamples, seed "
        f"{fits.boot_seed}): a_n {f['a'].exponent:.3f} [{f['a'].ci[0]:.3f}, {f['a'].ci[1]:.3f}], "
        f"b_n {f['b'].exponent:.3f} [{f['b'].ci[0]:.3f}, {f['b'].ci[1]:.3f}], c_n {f['c'].exponent:.3f} "
        f"[{f['c'].ci[0]:.3f}, {f['c'].ci[1]:.3f}]"
    )
    return rows


@shared_keywords(SAMPLED, sampler=("SweepSampler", "auto"))
def assert_fast_transfer(target: Setup | Gaps | Mapping[str, Mapping[int, Any]], *, fast: bool = True, o: Options) -> Verdict:
    """Assert that learning-rate transfer is fast (``fast=True``) or not fast (``fast=False``).

    ``target`` is a :class:`polylr.Setup` (then ``widths`` and ``networks`` are needed; the gaps
    are computed by :func:`transfer_gaps` with ``interval``, ``master_seed`` and ``sampler``:
    ``"auto"`` (the exact-in-law shallow sampler at L = 1, dense otherwise), ``"shallow"``,
    ``"dense"`` or ``"gram"``), a :class:`polylr.Gaps`, or samples ``{"a": {width: values}, "b":
    ..., "c": ...}`` (one value >= 0 per network, the same networks for the three gaps).

    Holds when the ``fast`` verdict of :func:`polylr.transfer_decisions` (2β − α >= ``tol`` on its
    paired ``level`` interval) is the one asserted; fails when the opposite verdict is decided;
    otherwise inconclusive (raises unless ``allow_inconclusive``). Returns the
    :class:`polylr.Verdict`; ``evidence`` holds the fits, ``interval`` (the interval of 2β − α) and
    the three decisions (``fast``, ``ratio``, ``c_b2``) with their reasons.
    """
    if not isinstance(fast, bool):
        raise PolylrError(f"fast must be True or False, got {fast!r}")
    tol = check_finite("tol", o.tol)
    if not 0 < tol < 0.5:
        raise PolylrError(f"tol must be in (0, 0.5), got {tol}")
    level = check_level(o.level)
    n_boot = check_int("n_boot", o.n_boot, lo=10)
    if isinstance(target, Setup):
        if o.widths is None or o.networks is None:
            raise PolylrError("assert_fast_transfer: with a Setup, pass widths= and networks= (the gaps are computed by polylr.network_gaps)")
        g = transfer_gaps(target, o.widths, o.networks, o.interval, master_seed=o.master_seed, sampler=o.sampler)
    elif isinstance(target, Gaps):
        g = target
    elif isinstance(target, Mapping):
        g = _gap_samples(target)
    else:
        raise PolylrError(
            f"assert_fast_transfer: target must be a polylr.Setup, a polylr.Gaps or a mapping of 'a', 'b', 'c' samples, "
            f"got {type(target).__name__}"
        )
    fits = fit_gaps(g, n_boot=n_boot, boot_seed=o.boot_seed, level=level)
    decisions = {d.key: d for d in transfer_decisions(g, fits, tol=tol)}
    d = decisions["fast"]
    if d.status == INCONCLUSIVE:
        status = INCONCLUSIVE
    else:
        status = HOLDS if (d.status == HOLDS) == fast else FAILS
    point, ci = fits.combos["2β − α"]
    statement = f"transfer is {'' if fast else 'not '}fast: 2β − α {'>=' if fast else '<'} {tol:g} (c_n = {'o' if fast else 'not o'}(a_n))"
    reason = d.reason
    evidence = {
        "fits": fits.to_dict(), "interval": list(ci), "point": point, "tol": tol, "fast": fast,
        "decisions": {k: {"status": v.status, "reason": v.reason} for k, v in decisions.items()},
        "widths": list(g.widths), "networks": [int(np.asarray(g.a[w]).size) for w in g.widths],
    }
    verdict = Verdict("assert_fast_transfer", statement, status, reason, evidence)
    details = [f"  {reason}", *_table(g, fits)]
    if not math.isfinite(point):
        details.append("  (a non-finite exponent: some gap's seed mean is 0 at a width)")
    return outcome(verdict, "assert_fast_transfer", details, o.allow_inconclusive)
