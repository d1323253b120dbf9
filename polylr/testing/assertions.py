"""Assertions for limit claims: convergence at a rate, a fitted exponent, a polynomial's values.

Each raises :class:`AssertionError` with a readable, multi-line message (the fitted exponent, its
confidence interval, the per-width values), and :class:`polylr.PolylrError` for inputs it cannot
judge (too few widths, non-finite values, an exactly zero statistic).

The exponent assertions use polylr's verdict semantics (:mod:`polylr.claims.base`): a claim about an
exponent *holds* when the whole bootstrap confidence interval satisfies it, *fails* when the whole
interval violates it, and is *inconclusive* when the interval straddles the edge. Inconclusive
evidence fails the assertion too, saying that more seeds or widths are needed, unless the caller
passes ``allow_inconclusive=True``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..claims.base import FAILS, HOLDS, INCONCLUSIVE, Verdict, verdict_at_most, verdict_within
from ..core.errors import PolylrError, check_finite
from ..core.poly import EtaPoly
from ..analysis.rates import RateFit, fit_rate
from ..analysis.sweep import parse_widths
from .keywords import Options, shared_keywords

__all__ = ["assert_converges", "assert_exponent", "assert_polynomial_matches"]


def _by_width(samples_by_width: Any, what: str) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Widths (ascending) and their float64 arrays (axis 0: seeds), validated."""
    if not isinstance(samples_by_width, Mapping):
        raise PolylrError(
            f"{what} must be a mapping width -> array of per-seed values, got {type(samples_by_width).__name__}"
        )
    widths = parse_widths(samples_by_width.keys())
    if len(widths) < 2:
        raise PolylrError(f"{what}: a rate needs at least 2 widths, got {list(widths)}")
    arrays = []
    for w in widths:
        a = np.asarray(samples_by_width[w], dtype=np.float64)
        if a.ndim < 1 or a.shape[0] < 1 or a.size < 1:
            raise PolylrError(f"{what} at width {w}: need an array with at least one seed (axis 0), got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
            raise PolylrError(f"{what} at width {w}: entry {bad} is {a[bad]}; all values must be finite")
        arrays.append(a)
    return widths, arrays


def _table(fit: RateFit, seeds: Sequence[int], header: str) -> list[str]:
    col = max(len(header), 12)
    rows = [f"  {'width':>7}  {'seeds':>5}  {header:>{col}}  {fit.level:.0%} CI"]
    for w, k, v, (a, b) in zip(fit.widths, seeds, fit.values, fit.value_ci):
        rows.append(f"  {w:>7}  {k:>5}  {v:>{col}.6e}  [{a:.3e}, {b:.3e}]")
    return rows


def _outcome(verdict: Verdict, who: str, details: list[str], allow_inconclusive: bool) -> Verdict:
    """Return the verdict when it passes, else raise with a message headed by what failed."""
    if verdict.status == HOLDS or (verdict.status == INCONCLUSIVE and allow_inconclusive):
        return verdict
    lines = [f"{who} failed: the claim '{verdict.statement}' is "
             f"{'false' if verdict.status == FAILS else 'undecided'} on this evidence", *details]
    if verdict.status == INCONCLUSIVE:
        lines.append("  inconclusive: more seeds or widths are needed to decide (or pass allow_inconclusive=True)")
    raise AssertionError("\n".join(lines))


def _check_level(level: float) -> float:
    level = check_finite("level", level)
    if not 0 < level < 1:
        raise PolylrError(f"level must be in (0, 1), got {level}")
    return level


@shared_keywords(("tol", "level", "n_boot", "boot_seed", "allow_inconclusive", "name"), name=("str", "estimate"))
def assert_converges(estimates_by_width: Mapping[int, Any], limit: float | Any, rate: float | None = -0.5, *, o: Options) -> Verdict:
    """Assert that estimates converge to ``limit`` as the width grows, at least as fast as ``n^rate``.

    ``estimates_by_width`` maps each width ``n`` to an array whose axis 0 indexes independent seeds;
    further axes (e.g. one value per data point) are averaged within a seed, and ``limit`` (a number
    or an array) broadcasts against those further axes. The error of seed ``s`` at width ``n`` is
    ``e_s(n) = mean |estimate_s − limit|``; :func:`polylr.fit_rate` fits ``mean_s e_s(n) ≈ C n^p``
    with a bootstrap confidence interval over seeds (``level``, ``n_boot`` resamples drawn from
    ``boot_seed``).

    The claim "error = O(n^rate)" holds when the interval's upper end is at most ``rate + tol``;
    with ``rate=None`` the claim is only "converges", i.e. decays at least like ``n^-tol``. This is
    the edge :func:`polylr.check_theorem1` uses. A faster decay than claimed passes (it is an upper
    bound); use :func:`assert_exponent` to pin an exponent from both sides. The assertion fails
    when the whole interval lies above the edge (the claim is false on this evidence), and when
    it straddles the edge unless ``allow_inconclusive`` is true.

    Returns the :class:`polylr.Verdict` (status ``"holds"``, or ``"inconclusive"`` when allowed);
    its ``evidence["fit"]`` is the fit as a dict.
    """
    tol, name = check_finite("tol", o.tol), o.name
    if rate is None:
        if not tol > 0:
            raise PolylrError(f"with rate=None, tol must be > 0 (the claim is a decay like n^-tol), got {tol}")
        edge, claim, what = -tol, "converges", f"a decay at least like n^-{tol:g}"
    else:
        rate = check_finite("rate", rate)
        if tol < 0 or not rate + tol < 0:
            raise PolylrError(
                f"need tol >= 0 and rate + tol < 0 (else the claim does not imply convergence), got rate = {rate}, tol = {tol}"
            )
        edge, claim, what = rate + tol, f"= O(n^{rate:g})", f"rate {rate:g} plus tolerance {tol:g}"
    level = _check_level(o.level)
    widths, arrays = _by_width(estimates_by_width, "estimates_by_width")
    lim = np.asarray(limit, dtype=np.float64)
    if not np.all(np.isfinite(lim)):
        raise PolylrError(f"limit must be finite, got {limit!r}")
    errors = []
    for w, a in zip(widths, arrays):
        point_shape = a.shape[1:]
        if lim.ndim > len(point_shape) or np.broadcast_shapes(point_shape, lim.shape) != point_shape:
            raise PolylrError(
                f"limit of shape {lim.shape} must broadcast to the per-seed shape {point_shape} of the "
                f"estimates at width {w} (axis 0 of the estimates indexes seeds)"
            )
        errors.append(np.abs(a - lim).reshape(a.shape[0], -1).mean(axis=1))
    quantity = f"mean |{name} − limit|"
    fit = fit_rate(widths, errors, quantity=quantity, n_boot=o.n_boot, boot_seed=o.boot_seed, level=level)
    statement = f"{quantity} {claim}" if rate is not None else f"{name} converges to the limit"
    verdict = verdict_at_most("assert_converges", statement, fit, edge, what)
    verdict = Verdict(verdict.claim, statement, verdict.status, verdict.reason, {**verdict.evidence, "fit": fit.to_dict()})
    details = [
        f"  {verdict.reason}",
        f"  (the claim holds when the CI's upper end is <= {edge:g})",
        *_table(fit, [a.shape[0] for a in arrays], quantity),
        f"  bootstrap: {fit.n_boot} resamples over seeds, seed {fit.boot_seed}",
    ]
    return _outcome(verdict, "assert_converges", details, o.allow_inconclusive)


@shared_keywords(("level", "n_boot", "boot_seed", "allow_inconclusive", "name"), name=("str", "samples"))
def assert_exponent(
    samples_by_width: Mapping[int, Any], expected: float, *, tol: float = 0.1, statistic: str = "mean_abs", o: Options
) -> Verdict:
    """Assert that ``statistic(samples) ≈ C n^p`` with ``p`` within ``tol`` of ``expected``.

    ``samples_by_width`` maps each width to a 1-d array with one value per seed (reduce or ravel
    first); ``statistic`` is one of :func:`polylr.fit_rate`'s (``"mean_abs"``, ``"rms"``,
    ``"abs_mean"``, ``"sd"``). Holds when the whole bootstrap confidence interval lies in
    ``[expected − tol, expected + tol]``; fails when it lies entirely outside; otherwise it is
    inconclusive, which fails unless ``allow_inconclusive`` is true. Returns the
    :class:`polylr.Verdict`.
    """
    expected = check_finite("expected", expected)
    tol = check_finite("tol", tol)
    if not tol > 0:
        raise PolylrError(f"tol must be > 0, got {tol}")
    level, name = _check_level(o.level), o.name
    widths, arrays = _by_width(samples_by_width, "samples_by_width")
    for w, a in zip(widths, arrays):
        if a.ndim != 1:
            raise PolylrError(
                f"samples_by_width at width {w}: need a 1-d array (one value per seed), got shape {a.shape}"
            )
    quantity = f"{statistic}({name})"
    fit = fit_rate(widths, arrays, statistic=statistic, quantity=quantity, n_boot=o.n_boot, boot_seed=o.boot_seed, level=level)
    statement = f"{quantity} ~ n^{expected:g} (tolerance {tol:g})"
    verdict = verdict_within("assert_exponent", statement, fit, expected, tol)
    verdict = Verdict(verdict.claim, statement, verdict.status, verdict.reason, {**verdict.evidence, "fit": fit.to_dict()})
    reason = verdict.reason
    details = [
        f"  {reason}",
        *_table(fit, [a.size for a in arrays], quantity),
        f"  bootstrap: {fit.n_boot} resamples over seeds, seed {fit.boot_seed}",
    ]
    return _outcome(verdict, "assert_exponent", details, o.allow_inconclusive)


def _values_of(fn: Callable[[Any], Any], x: np.ndarray) -> np.ndarray:
    """``fn`` at every point of ``x``: one vectorised call when ``fn`` takes arrays, else point by point."""
    try:
        value = np.asarray(fn(x.copy()))
    except Exception:  # a scalar-only fn (float(eta), math.exp, if eta > ...): fall back below
        value = None
    if value is not None and value.shape == x.shape and value.dtype.kind in "biuf":
        return value.astype(np.float64)
    want = np.empty_like(x)
    for i, eta in enumerate(x.tolist()):
        v = fn(eta)
        try:
            want[i] = float(v)
        except (TypeError, ValueError):
            raise PolylrError(f"fn({eta!r}) must return a real number, got {v!r}") from None
    return want


def assert_polynomial_matches(
    poly: EtaPoly,
    fn: Callable[[Any], Any],
    etas: Any,
    *,
    rtol: float = 1e-10,
    atol: float = 0.0,
) -> None:
    """Assert that ``poly(η)`` equals ``fn(η)`` at each η in ``etas``, to float64 evaluation accuracy.

    ``fn`` may be vectorised or scalar: it is first called once with the float64 array of all the
    η values and used as is when it returns real numbers of that shape; otherwise (it raises, or
    returns another shape) it is called with one Python float at a time and must return a real
    number. Both give the same verdict. The allowed
    difference at η is ``atol + rtol · max(|fn(η)|, Σ_k |c_k| |η|^k)``: the second term is the
    size of the terms being summed, which bounds the rounding error of evaluating a polynomial in
    float64 even where its value cancels to nearly 0 (a bound relative to ``|fn(η)|`` alone
    would then fail on rounding noise).
    """
    if not isinstance(poly, EtaPoly):
        raise PolylrError(f"poly must be a polylr.EtaPoly, got {type(poly).__name__}")
    if not callable(fn):
        raise PolylrError(f"fn must be callable, got {fn!r}")
    rtol, atol = check_finite("rtol", rtol), check_finite("atol", atol)
    if rtol < 0 or atol < 0:
        raise PolylrError(f"rtol and atol must be >= 0, got rtol = {rtol}, atol = {atol}")
    x = np.asarray(etas, dtype=np.float64)
    if x.ndim > 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise PolylrError(f"etas must be a non-empty 1-d array of finite numbers, got {etas!r}")
    x = np.atleast_1d(x)
    p = poly.to_float()
    got = np.atleast_1d(p(x))
    size = np.polynomial.polynomial.polyval(np.abs(x), np.abs(p.coeffs))
    want = _values_of(fn, x)
    allowed = atol + rtol * np.maximum(np.abs(want), size)
    diff = np.abs(got - want)
    bad = ~(diff <= allowed)  # also catches fn returning nan or inf
    if not np.any(bad):
        return
    excess = np.divide(diff, allowed, out=np.full_like(diff, np.inf), where=(allowed > 0) & np.isfinite(diff))
    worst = [i for i in np.argsort(-excess, kind="stable") if bad[i]][:10]
    label = poly.label or "poly"
    lines = [
        f"assert_polynomial_matches failed: {label} differs from fn at {int(bad.sum())} of {x.size} points "
        f"(allowed: {atol:g} + {rtol:g} · max(|fn(η)|, Σ|c_k η^k|)); worst:",
        f"  {'η':>14}  {'poly(η)':>22}  {'fn(η)':>22}  {'|difference|':>12}  {'allowed':>10}",
    ]
    for i in worst:
        lines.append(f"  {x[i]:>14.8g}  {got[i]:>22.15e}  {want[i]:>22.15e}  {diff[i]:>12.3e}  {allowed[i]:>10.3e}")
    raise AssertionError("\n".join(lines))


# Shared with polylr.testing.theorems (public names: no underscore names cross modules).
by_width, check_level, outcome, table = _by_width, _check_level, _outcome, _table
