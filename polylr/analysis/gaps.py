"""Fast-transfer gaps (Ghosh, Wu & Bietti, ICLR 2026, Definition 1) per network, and their rates.

For the metric φ_n(η) = L_n^(t)(η) (the loss after t full-batch GD steps, a polynomial in η) with
minimiser η_n on a compact interval, and its infinite-width limit φ_∞ = L_∞^(t) with minimiser η_∞:

- loss gap                 a_n = |φ_n(η_n) − φ_∞(η_∞)|,
- hyperparameter gap       b_n = |η_n − η_∞|,
- transfer suboptimality   c_n = φ_∞(η_n) − φ_∞(η_∞)  (≥ 0 whenever η_n lies in the interval).

polylr has φ_n per network (its exact η-polynomial, or gradient descent where float64 cannot resolve
the polynomial) and φ_∞ exactly (the limit polynomial in rationals), so a_n, b_n, c_n are computed
per network: c_n by evaluating the exact rational limit polynomial at the float η_n (no cancellation
error), a_n from the certified minimum value of the network's polynomial.

Rates: a_n ~ n^-α, b_n ~ n^-β, fitted to the seed means (:func:`polylr.fit_rate`), with a *paired*
bootstrap over networks (the same resample of networks for all three gaps, so that differences of
exponents such as 2β − α get an honest interval). Transfer is **fast** (Definition 2) when
c_n = o(a_n); with power laws and local strong convexity (c_n ≍ b_n², Proposition 1) that is
β > α/2.

Verdict rules (:func:`transfer_decisions`), tolerance ``tol`` (default 0.1), as the house rule
"converges means a decay at least like n^-tol":

- ``fast``: the paired interval of 2β − α lies at or above ``tol`` → holds (fast); wholly below →
  fails (not fast); straddling → inconclusive, and the reason says which way the point estimate
  leans;
- ``ratio``: Definition 2 read directly: the exponent of mean c_n / mean a_n at most −tol;
- ``c_b2``: c_n ≍ b_n² (Proposition 1): exponent(c) − 2·exponent(b) within 0 ± tol.

Fewer than 8 networks per width or 3 widths: inconclusive whatever the interval.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import flint
import jax
import numpy as np

from .argmin import MAX_DEGREE as MAX_ARGMIN_DEGREE
from .argmin import Argmin, argmin
from ..core.choices import SWEEP_SAMPLERS, SweepSampler, check_choice
from ..core.errors import InvalidInput, PolylrError, check_finite, check_int, check_interval
from ..engines.evaluate import limit_loss_values
from ..engines.limit import check_supported
from ..engines.tp import limit_polys
from ..engines.bounds import shallow_loss_error
from ..engines.shallow import shallow_loss_coeffs, shallow_loss_exact
from .grid import argmin_on_grid
from ..core.poly import EtaPoly, fmpq_to_float, to_fmpq
from .rates import STATISTICS, fit_rate
from ..core.setup import Data, Setup
from .sweep import Sweep, float_resolves, sweep
from ..engines.tp import limit_degree

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"
MIN_SEEDS, MIN_WIDTHS = 8, 3
GAPS = ("a", "b", "c")
NAMES = {"a": "a_n = |φ_n(η_n) − φ_∞(η_∞)|", "b": "b_n = |η_n − η_∞|", "c": "c_n = φ_∞(η_n) − φ_∞(η_∞)"}


# -- data for the exact cases ------------------------------------------------------------------


def identity_gram_data(m: int = 4, d: int = 8, *, seed: int = 0) -> Data:
    """A data set with ``X Xᵀ = I_m`` (orthonormal rows, ``m <= d``) and Gaussian targets: the
    Sakai–Imaizumi counterexample, where K = I/d has one positive eigenvalue and transfer is not
    fast. Drawn with ``numpy.random.default_rng(seed)`` (a QR factorisation of a Gaussian matrix)."""
    m = check_int("m (number of data points)", m, lo=1)
    d = check_int("d (input dimension)", d, lo=m)
    seed = check_int("data seed", seed, lo=0)
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, m)))
    y = rng.standard_normal(m)
    return Data(q.T, y, source=f"identity_gram(m={m}, d={d}, seed={seed})")


# -- the limit's optimum -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LimitOptimum:
    """η_∞ and φ_∞(η_∞) on the interval; ``loss`` is the exact rational limit polynomial (None in
    evaluation mode, where the limit is evaluated numerically at each η)."""

    argmin: Argmin
    loss: EtaPoly | None
    method: str
    curvature: float  # φ_∞''(η_∞): Proposition 1 predicts c_n ≈ curvature/2 · b_n²

    @property
    def eta(self) -> float:
        return self.argmin.eta

    @property
    def value(self) -> float:
        return self.argmin.value

    def excess(self, etas) -> np.ndarray:
        """φ_∞(η) − φ_∞(η_∞) at each η: in exact rationals from the limit polynomial (float η are
        exact binary rationals), else from evaluation mode."""
        etas = np.asarray(etas, dtype=np.float64)
        if self.loss is not None:
            p = self.loss.as_fmpq_poly()
            base = p(to_fmpq(self.eta))
            return np.array([fmpq_to_float(p(to_fmpq(float(e))) - base) for e in etas.ravel()]).reshape(etas.shape)
        # evaluation mode: η_∞ comes from a refined grid; the value is recomputed at it, so the excess
        # at η_∞ itself is exactly 0
        return limit_loss_values(self.setup_, etas.ravel()).reshape(etas.shape) - self.value

    setup_: Setup | None = field(default=None, repr=False)


MAX_EXACT_STEPS = 10  # the exact rational limit costs seconds beyond (L = 1: 8.6 s at t = 30, 71 s at t = 50)


def limit_optimum(setup: Setup, interval: tuple[float, float], *, grid: int = 801, mode: str = "auto") -> LimitOptimum:
    """The limit's minimiser on ``interval``. ``mode="exact"``: the certified argmin of the exact
    rational limit polynomial (its degree must be at most the argmin's limit, 500);
    ``"evaluation"``: the limit engine's values on a ``grid``-point grid, refined
    (:func:`polylr.argmin_on_grid`); ``"auto"``: exact when allowed and t <= 10, evaluation beyond."""
    check_supported(setup)
    lo, hi = check_interval(*interval)
    if mode not in ("auto", "exact", "evaluation"):
        raise PolylrError(f"mode must be one of auto, exact, evaluation; got {mode!r}")
    exact_ok = limit_degree(setup) <= MAX_ARGMIN_DEGREE
    if mode == "exact" and not exact_ok:
        raise PolylrError(f"the limit polynomial has degree {limit_degree(setup)} > {MAX_ARGMIN_DEGREE}: use mode='evaluation'")
    if mode == "exact" or (mode == "auto" and exact_ok and setup.steps <= MAX_EXACT_STEPS):
        loss = limit_polys(setup, exact=True).loss
        a = argmin(loss, lo, hi)
        curv = fmpq_to_float(loss.as_fmpq_poly().derivative().derivative()(to_fmpq(a.eta)))
        return LimitOptimum(a, loss, "exact", curv)
    etas = np.linspace(lo, hi, check_int("grid", grid, lo=3))

    def f(e):
        return limit_loss_values(setup, e)

    a = argmin_on_grid(etas, f(etas), f)
    h = 1e-4 * max(abs(a.eta), 1.0)
    v = f(np.array([a.eta - h, a.eta, a.eta + h]))
    return LimitOptimum(a, None, "evaluation", float((v[0] - 2 * v[1] + v[2]) / h**2), setup_=setup)


# -- gaps per network ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Gaps:
    """a_n, b_n, c_n per (width, network), with the sweep and the limit behind them.

    ``a[w]``, ``b[w]``, ``c[w]`` are arrays over the networks (seeds ``0..seeds-1``) at width ``w``;
    ``a_signed[w]`` is φ_n(η_n) − φ_∞(η_∞) before the absolute value.
    """

    setup: Setup
    sweep: Sweep
    limit: LimitOptimum
    a_signed: dict
    a: dict
    b: dict
    c: dict
    seconds: float
    sampler: str = "dense"

    @property
    def widths(self) -> tuple[int, ...]:
        return self.sweep.widths

    @property
    def eta_inf(self) -> float:
        return self.limit.eta

    def gap(self, name: str) -> list[np.ndarray]:
        """Per-width arrays of gap ``name`` (``"a"``, ``"b"`` or ``"c"``)."""
        if name not in GAPS:
            raise PolylrError(f"gap must be one of {GAPS}, got {name!r}")
        return [getattr(self, name)[w] for w in self.widths]

    def swapped(self) -> Gaps:
        """The same gaps with a_n and c_n exchanged: a negative control for the verdict rules (it
        must turn a `fast` verdict into `not fast`)."""
        return Gaps(self.setup, self.sweep, self.limit, dict(self.c), dict(self.c), dict(self.b), dict(self.a), self.seconds,
                    self.sampler)

    def rows(self) -> list[dict]:
        """One row per (width, network): η_n, φ_n(η_n), a_n, b_n, c_n, c_n/a_n, the argmin method."""
        out = []
        for r in self.sweep.rows:
            w, s = r["width"], r["seed"]
            k = self.sweep.seeds.index(s)
            a, b, c = float(self.a[w][k]), float(self.b[w][k]), float(self.c[w][k])
            out.append({
                "width": w, "seed": s, "eta": r["eta"], "loss_min": r["loss_min"], "a": a, "a_signed": float(self.a_signed[w][k]),
                "b": b, "c": c, "c_over_a": c / a if a > 0 else math.inf, "c_over_b2": c / b**2 if b > 0 else math.nan,
                "on_boundary": r["on_boundary"], "method": r["method"],
            })
        return out


def network_gaps(
    setup: Setup,
    widths,
    seeds: int,
    interval: tuple[float, float],
    *,
    master_seed: int = 0,
    progress=None,
    sampler: SweepSampler = "auto",
    runner=None,
) -> Gaps:
    """a_n, b_n, c_n for networks ``0..seeds-1`` at each width.

    η_n is each network's minimiser on ``interval``; η_∞ the limit's (:func:`limit_optimum`).
    ``sampler``: ``"dense"`` draws full weights with the keys of :func:`polylr.sweep` and takes the
    exact polynomial's certified argmin where float64 resolves it, gradient descent otherwise
    (``method="auto"``; ``"gd"`` for every network when float64 cannot resolve even the limit
    polynomial); ``"shallow"`` (L = 1 only) draws networks exactly in law at cost O(d³ + m·d²), any n ≥ d
    (:mod:`polylr.engines.shallow`) and takes the certified argmin of their closed-form polynomial;
    ``"gram"`` is ``"dense"`` with the width-free Gram sampler of :func:`polylr.sweep` (exact in law,
    cost independent of n, widths above its capacity K); ``"auto"`` is ``"shallow"`` at L = 1 and ``"dense"`` otherwise. μP with the hidden layers
    trained only (the limit engine's scope). JAX runs in float64 whatever the global flag says.
    ``runner``: computes the dense sweeps (see :func:`polylr.sweep`).
    """
    check_supported(setup)
    lo, hi = check_interval(*interval)
    check_int("seeds (networks per width)", seeds, lo=1)
    check_choice("sampler", sampler, SWEEP_SAMPLERS)
    if sampler == "auto":
        sampler = "shallow" if setup.depth == 1 and setup.train == "hidden" else "dense"
    t0 = time.perf_counter()
    with jax.enable_x64(True):
        lim = limit_optimum(setup, (lo, hi))
        if sampler == "shallow":
            sw = sweep(setup, widths, seeds, (lo, hi), master_seed=master_seed, progress=progress, sampler="shallow")
        else:
            method = "gd"
            if lim.loss is not None:
                method = "auto" if float_resolves(lim.loss.to_float().coeffs, lo, hi, lim.value) else "gd"
            sw = sweep(setup, widths, seeds, (lo, hi), master_seed=master_seed, progress=progress, method=method,
                       sampler=sampler, runner=runner if sampler == "dense" else None)
    a_signed, a, b, c = {}, {}, {}, {}
    for w in sw.widths:
        rows = sw.rows.at(w)
        eta, phi = rows.eta, rows.loss_min
        a_signed[w] = phi - lim.value
        a[w] = np.abs(a_signed[w])
        b[w] = np.abs(eta - lim.eta)
        # φ_∞(η_n) − φ_∞(η_∞) ≥ 0 exactly when η_∞ is the exact minimiser; the float η_∞ is within
        # one rounding of it, which can leave an excess of −1e-30-ish for η_n ≈ η_∞: clip at 0
        c[w] = np.maximum(lim.excess(eta), 0.0)
    return Gaps(setup, sw, lim, a_signed, a, b, c, time.perf_counter() - t0, sampler)


# -- rates with a paired bootstrap -------------------------------------------------------------------


@dataclass(frozen=True)
class GapFits:
    """Fitted exponents of the seed means of a_n, b_n, c_n (``fits``, from :func:`polylr.fit_rate`,
    each with its bootstrap interval) and paired-bootstrap intervals of their combinations:
    ``g = 2β − α`` (fast when > 0), ``h = e_c − 2 e_b`` (0 when c ≍ b²) and ``r = e_c − e_a`` (the
    exponent of mean c_n / mean a_n), where e_q is the fitted exponent of q, α = −e_a, β = −e_b."""

    fits: dict
    combos: dict  # name -> (point, (lo, hi))
    level: float
    n_boot: int
    boot_seed: int

    @property
    def alpha(self) -> float:
        return -self.fits["a"].exponent + 0.0  # + 0.0: a calibrated exponent of 0 reads 0, not -0

    @property
    def beta(self) -> float:
        return -self.fits["b"].exponent + 0.0

    def to_dict(self) -> dict:
        return {
            "fits": {k: f.to_dict() for k, f in self.fits.items()},
            "alpha": self.alpha, "beta": self.beta,
            "combos": {k: {"point": p, "ci": list(ci)} for k, (p, ci) in self.combos.items()},
            "level": self.level, "n_boot": self.n_boot, "boot_seed": self.boot_seed,
        }


def paired_slopes(widths, samples: dict, *, n_boot: int, boot_seed: int, statistic: str = "mean_abs") -> dict:
    """Bootstrap slopes of log(statistic) against log n for several quantities measured on the same
    networks, resampling the networks once for all of them (the resample protocol of
    :func:`polylr.fit_rate`: ``default_rng(boot_seed)``, then per width ``integers(0, k, (n_boot, k))``,
    so each quantity's marginal interval is fit_rate's with the same ``statistic``). ``samples[name]``
    is a list of per-width arrays of equal sizes across names. ``statistic`` is one of fit_rate's:
    ``"mean_abs"`` (the seed mean of per-network gaps, as against an exact limit) or ``"abs_mean"``
    (|seed mean|: for signed differences from a noisy reference, whose absolute values would add the
    noise). A resample whose statistic is 0 at some width gives a slope of ±inf or nan for that
    quantity (kept, as fit_rate keeps them)."""
    if statistic not in STATISTICS:
        raise PolylrError(f"statistic must be one of {sorted(STATISTICS)}, got {statistic!r}")
    stat = STATISTICS[statistic]
    names = list(samples)
    sizes = [np.asarray(s).size for s in samples[names[0]]]
    for nm in names:
        if [np.asarray(s).size for s in samples[nm]] != sizes:
            raise PolylrError(f"paired bootstrap needs the same networks for every quantity; {nm!r} differs")
    rng = np.random.default_rng(boot_seed)
    boot = {nm: np.empty((n_boot, len(widths))) for nm in names}
    for k, size in enumerate(sizes):
        idx = rng.integers(0, size, size=(n_boot, size))
        for nm in names:
            boot[nm][:, k] = stat(np.asarray(samples[nm][k], dtype=np.float64)[idx])
    logn = np.log(np.asarray(widths, dtype=np.float64))
    A = np.stack([np.ones_like(logn), logn - logn.mean()], axis=1)
    out = {}
    for nm in names:
        v = boot[nm]
        ok = np.all(v > 0, axis=1)
        slopes = np.full(n_boot, np.nan)
        if ok.any():
            coef, *_ = np.linalg.lstsq(A, np.log(v[ok]).T, rcond=None)
            slopes[ok] = coef[1]
        out[nm] = slopes
    return out


def fit_gaps(gaps: Gaps, *, n_boot: int = 2000, boot_seed: int = 0, level: float = 0.95) -> GapFits:
    """Exponents of the seed means of a_n, b_n, c_n (each by :func:`polylr.fit_rate` with one shared
    ``boot_seed``) and paired intervals of 2β − α, e_c − 2e_b and e_c − e_a."""
    return fit_gap_samples(gaps.widths, {q: gaps.gap(q) for q in GAPS}, n_boot=n_boot, boot_seed=boot_seed, level=level)


def fit_gap_samples(widths, samples: dict, *, reference: int | None = None, quantities: dict | None = None,
                    n_boot: int = 2000, boot_seed: int = 0, level: float = 0.95) -> GapFits:
    """:func:`fit_gaps` on per-width samples of some of the gaps: ``samples`` maps ``"a"``, ``"b"``
    and optionally ``"c"`` to per-width arrays (one value per network, the same networks for every
    gap); each gap's exponent by :func:`polylr.fit_rate` with one shared ``boot_seed``, and paired
    intervals (:func:`paired_slopes`) of the combinations whose gaps are given (2β − α needs a and b;
    e_c − 2e_b and e_c − e_a need c). ``quantities`` names the gaps in the fits (default a_n, b_n, c_n).

    ``reference=None``: the samples are per-network gaps to an exact limit (statistic: the seed mean,
    ``"mean_abs"``), as in :func:`fit_gaps`. ``reference=R`` (a width above every one of ``widths``,
    when no limit is known): the samples are signed differences from the metric at width R (e.g. a
    seed's φ*_n − φ*_R), the statistic is |seed mean| (``"abs_mean"``), and every fitted exponent
    (point, bootstrap replicate, interval) is mapped through :func:`calibrate_proxy`: gaps to a
    finite reference vanish at R, which steepens their log-log slope (at widths 32..256 against 512,
    exact power laws with α = 0.57 and β = α/2 would read 2β − α = +0.64 uncalibrated)."""
    n_boot = check_int("n_boot", n_boot, lo=10)
    if not {"a", "b"} <= set(samples) <= set(GAPS):
        raise PolylrError(f"samples must hold the gaps 'a' and 'b' (and optionally 'c'), got {sorted(samples)}")
    statistic = "mean_abs" if reference is None else "abs_mean"
    names = {q: NAMES[q].split(" = ")[0] for q in GAPS} | dict(quantities or {})
    qs = [q for q in GAPS if q in samples]
    fits = {
        q: fit_rate(widths, samples[q], statistic=statistic, quantity=names[q], n_boot=n_boot, boot_seed=boot_seed, level=level)
        for q in qs
    }
    slopes = paired_slopes(widths, {q: samples[q] for q in qs}, n_boot=n_boot, boot_seed=boot_seed, statistic=statistic)
    if reference is not None:
        def cal(e):  # a fitted exponent (negative: decay) -> the calibrated exponent
            return -calibrate_proxy(widths, reference, -np.asarray(e, dtype=np.float64)) + 0.0  # + 0.0: no -0.0

        fits = {q: dataclasses.replace(f, exponent=float(cal(f.exponent)), ci=(float(cal(f.ci[0])), float(cal(f.ci[1]))),
                                       prefactor=math.nan, quantity=f"{f.quantity} (exponent calibrated for the reference n = {reference})")
                for q, f in fits.items()}
        slopes = {q: cal(v) for q, v in slopes.items()}
    e = {q: fits[q].exponent for q in qs}
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    combos = {"2β − α": (float(-2 * e["b"] + e["a"]), _percentiles(-2 * slopes["b"] + slopes["a"], lo_q, hi_q))}
    if "c" in qs:
        for name, point, boot in (
            ("e_c − 2e_b", e["c"] - 2 * e["b"], slopes["c"] - 2 * slopes["b"]),
            ("e_c − e_a", e["c"] - e["a"], slopes["c"] - slopes["a"]),
        ):
            combos[name] = (float(point), _percentiles(boot, lo_q, hi_q))
    return GapFits(fits, combos, level, n_boot, boot_seed)


_PROXY_TABLE = np.concatenate([np.geomspace(1e-6, 1.0, 2000), np.linspace(1.0, 40.0, 4000)[1:]])


def calibrate_proxy(widths, reference: int, rates) -> np.ndarray:
    """Decay rates fitted to gaps against a finite reference width, mapped to the rates of the
    power law behind them. If a metric is ``m_n = m_∞ + A n^-e`` (e > 0), its gaps to the reference
    width R are ``A (n^-e − R^-e)``, and their least-squares log-log slope over ``widths`` is a decay
    rate ``g(e) > e`` (the gap vanishes at R), increasing in e, with ``g(0+) > 0`` (0.66 at widths
    32..256, R = 512) and ``g(e) → e`` for large e. Returns ``g⁻¹(rate)`` elementwise (tabulated on
    e in (0, 40], linear beyond); a rate at or below ``g(0+)`` is what a metric that does not
    converge (e <= 0) also gives: 0; nan stays nan, +inf stays +inf."""
    W = np.asarray([check_int("width n", w, lo=1) for w in widths], dtype=np.float64)
    R = check_int("reference width", reference, lo=1)
    if W.size < 2 or not np.all(W < R):
        raise InvalidInput(f"calibrate_proxy needs >= 2 widths below the reference {R}, got {W.astype(int).tolist()}")
    L = np.log(W)
    Lc = L - L.mean()
    E = _PROXY_TABLE
    # log(n^-e − R^-e) = −e log n + log(1 − (n/R)^e), the second term via expm1 (accurate as e → 0)
    logs = -E[:, None] * L[None, :] + np.log(-np.expm1(E[:, None] * np.log(W / R)[None, :]))
    G = -(logs @ Lc) / (Lc @ Lc)
    if not np.all(np.diff(G) > 0):
        raise PolylrError(f"the proxy calibration is not monotone for widths {W.astype(int).tolist()} and reference {R}")
    r = np.asarray(rates, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = np.interp(r, G, E)
        out = np.where(r >= G[-1], r - G[-1] + E[-1], out)
        out = np.where(r <= G[0], 0.0, out)
    return np.where(np.isnan(r), np.nan, out)


def _percentiles(boot: np.ndarray, lo_q: float, hi_q: float) -> tuple[float, float]:
    """Percentile interval; an undefined (nan) resample counts against both ends, as in fit_rate."""
    bad = ~np.isfinite(boot) & np.isnan(boot)
    good = boot[~bad]
    lo = np.concatenate([good, np.full(bad.sum(), -np.inf)])
    hi = np.concatenate([good, np.full(bad.sum(), np.inf)])
    return float(np.quantile(lo, lo_q, method="lower")), float(np.quantile(hi, hi_q, method="higher"))


# -- verdict rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One verdict's content: ``status`` (holds / fails / inconclusive), a sentence, and numbers."""

    key: str
    statement: str
    status: str
    reason: str
    evidence: dict


def _underpowered(gaps: Gaps) -> str | None:
    return _too_few(len(gaps.widths), min(len(gaps.a[w]) for w in gaps.widths))


def _too_few(widths: int, k: int) -> str | None:
    if k >= MIN_SEEDS and widths >= MIN_WIDTHS:
        return None
    return (f"from {widths} widths and {k} networks per width: at least {MIN_WIDTHS} widths and "
            f"{MIN_SEEDS} networks are needed for a trustworthy interval")


def _ci(ci) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _at_least(key, statement, what, point, ci, edge, weak, yes, no, ev, extra=""):
    """"``point`` ≥ ``edge``": holds when the whole interval is at or above, fails when wholly below."""
    where = f"{what} {point:.3f}, CI {_ci(ci)}"
    tail = f"; {extra}" if extra else ""
    if weak:
        return Decision(key, statement, INCONCLUSIVE, f"{where} {weak}{tail}", ev)
    if ci[0] >= edge:
        return Decision(key, statement, HOLDS, f"{where} {yes}{tail}", ev)
    if ci[1] < edge:
        return Decision(key, statement, FAILS, f"{where} {no}{tail}", ev)
    lean = "fast" if point >= edge else "not fast"
    return Decision(key, statement, INCONCLUSIVE,
                    f"{where} straddles the edge: the point estimate leans {lean}; more networks or widths are needed{tail}", ev)


def _check_tol(tol: float) -> float:
    tol = check_finite("tol", tol)
    if not 0 < tol < 0.5:
        raise PolylrError(f"tol must be in (0, 0.5), got {tol}")
    return tol


def _rates(fits: GapFits) -> str:
    f = fits.fits
    c = f", exponent of c_n {f['c'].exponent:.3f} {_ci(f['c'].ci)}" if "c" in f else ""
    return (f"α = {fits.alpha:.3f} {_ci((-f['a'].ci[1] + 0.0, -f['a'].ci[0] + 0.0))}, β = {fits.beta:.3f} "
            f"{_ci((-f['b'].ci[1] + 0.0, -f['b'].ci[0] + 0.0))}{c} ({fits.level:.0%} intervals, paired bootstrap over networks)")


def _base(fits: GapFits) -> dict:
    f = fits.fits
    return {"level": fits.level, "alpha": fits.alpha, "beta": fits.beta, "exponents": {q: f[q].exponent for q in f},
            "exponent_cis": {q: list(f[q].ci) for q in f}}


def fast_decision(fits: GapFits, *, tol: float = 0.1) -> Decision:
    """The ``fast`` verdict of :func:`transfer_decisions` alone (2β − α against ``tol``), for fits of
    a_n and b_n only (:func:`fit_gap_samples`): inconclusive with fewer than 3 widths or 8 networks
    per width (counted from the fit of a_n)."""
    tol = _check_tol(tol)
    a = fits.fits["a"]
    return _fast(fits, tol, _too_few(len(a.widths), min(a.seeds)))


def _fast(fits: GapFits, tol: float, weak: str | None) -> Decision:
    p, ci = fits.combos["2β − α"]
    return _at_least(
        "fast", "transfer is fast: β > α/2 (a_n ~ n^-α, b_n ~ n^-β; Definition 2 with Proposition 1)",
        "2β − α =", p, ci, tol, weak,
        f"lies at or above {tol:g} (c_n/a_n ~ n^-(2β−α) decays at least like n^-{tol:g}): fast",
        f"lies below {tol:g}: not fast", {**_base(fits), "quantity": "2β − α", "point": p, "ci": list(ci), "edge": tol}, _rates(fits),
    )


def transfer_decisions(gaps: Gaps, fits: GapFits, *, tol: float = 0.1) -> tuple[Decision, ...]:
    """The three verdicts (``fast``, ``ratio``, ``c_b2``) from the fitted gaps (rules in the module
    docstring)."""
    tol = _check_tol(tol)
    weak = _underpowered(gaps)
    base = _base(fits)
    out = [_fast(fits, tol, weak)]
    p, ci = fits.combos["e_c − e_a"]
    # "exponent of c/a at most −tol", written as "−exponent at least tol"
    d = _at_least(
        "ratio", "c_n = o(a_n) (Definition 2, measured directly: mean c_n / mean a_n)",
        "minus the exponent of mean c_n / mean a_n:", -p, (-ci[1], -ci[0]), tol, weak,
        f"lies at or above {tol:g} (c_n/a_n decays at least like n^-{tol:g}): fast",
        f"lies below {tol:g} (c_n is not o(a_n) at this tolerance): not fast",
        {**base, "quantity": "e_c − e_a", "point": p, "ci": list(ci), "edge": -tol},
    )
    out.append(d)
    p, ci = fits.combos["e_c − 2e_b"]
    ev = {**base, "quantity": "e_c − 2e_b", "point": p, "ci": list(ci), "target": 0.0, "tol": tol}
    where = f"e_c − 2e_b = {p:.3f}, CI {_ci(ci)}"
    statement = "c_n ≍ b_n² (Proposition 1: local strong convexity of φ_∞)"
    band = f"[{-tol:.2f}, {tol:.2f}]"
    if weak:
        out.append(Decision("c_b2", statement, INCONCLUSIVE, f"{where} {weak}", ev))
    elif -tol <= ci[0] and ci[1] <= tol:
        out.append(Decision("c_b2", statement, HOLDS, f"{where} lies within {band}", ev))
    elif ci[1] < -tol or ci[0] > tol:
        out.append(Decision("c_b2", statement, FAILS, f"{where} lies outside {band}", ev))
    else:
        out.append(Decision("c_b2", statement, INCONCLUSIVE, f"{where} overlaps the edge of {band}", ev))
    return tuple(out)


# -- the L = 1 closed form (Sakai & Imaizumi) ---------------------------------------------------------


def shallow_loss_closed_form(data: Data, W0, W1, V, steps: int, *, exact: bool = True) -> EtaPoly:
    """The loss after ``steps`` GD steps of a one-hidden-layer linear net (L = 1, only W_1 trained,
    learning rate η with no width factor, i.e. μP's hidden rate):
    ``L^(t)(η) = (2m)^-1 χ₀ᵀ (I − η A/m)^{2t} χ₀`` with ``A = ‖V‖² (X W_0ᵀ)(X W_0ᵀ)ᵀ`` and
    ``χ₀ = f^(0)(X) − y``, ``f^(0)(X) = X W_0ᵀ W_1ᵀ V``.

    ``exact=True`` computes it in rationals from the float weights (every float is an exact binary
    rational), so it is the exact loss polynomial of these weights; cost O(m²·n + t·m²) rational
    operations — keep n·m small. ``exact=False``: float64 coefficients with their error bound. Both
    evaluate the closed form of :mod:`polylr.engines.shallow` (``shallow_loss_exact``,
    ``shallow_loss_coeffs``) on these weights' ``(A, χ₀)``."""
    steps = check_int("steps t", steps, lo=1)
    W0, W1, V = (np.asarray(a, dtype=np.float64) for a in (W0, W1, V))
    if W1.ndim == 3:
        if W1.shape[0] != 1:
            raise PolylrError(f"the closed form is for one hidden layer (L = 1); got {W1.shape[0]} hidden layers")
        W1 = W1[0]
    X, y, m = data.X, data.y, data.m
    if not exact:
        F = X @ W0.T
        A, chi = float(V @ V) * (F @ F.T), F @ (W1.T @ V) - y
        return EtaPoly(shallow_loss_coeffs(A, chi, steps), "float64", label="L^{(t)} (closed form)",
                       error=shallow_loss_error(A, chi, steps), nonnegative=True)
    q = lambda a: [[to_fmpq(float(v)) for v in row] for row in np.atleast_2d(a)]  # noqa: E731
    Xq, W0q, W1q = flint.fmpq_mat(q(X)), flint.fmpq_mat(q(W0)), flint.fmpq_mat(q(W1))
    Vq = flint.fmpq_mat(q(V[:, None]))
    yq = flint.fmpq_mat(q(y[:, None]))
    F = Xq * W0q.transpose()
    A = (Vq.transpose() * Vq)[0, 0] * (F * F.transpose())
    chi = F * (W1q.transpose() * Vq) - yq
    return EtaPoly(shallow_loss_exact(A, [chi[i, 0] for i in range(m)], steps), "QQ", label="L^{(t)} (closed form)")


def shallow_limit_closed_form(data: Data, steps: int) -> EtaPoly:
    """The L = 1 infinite-width limit ``(2m)^-1 yᵀ (I − η K/m)^{2t} y`` (A_n → K, χ₀ → −y), exact."""
    steps = check_int("steps t", steps, lo=1)
    Xq = flint.fmpq_mat([[to_fmpq(float(v)) for v in row] for row in data.X])
    K = (Xq * Xq.transpose()) * flint.fmpq(1, data.d)
    # χ₀ → −y; the loss is even in χ, so y serves as χ
    loss = shallow_loss_exact(K, [to_fmpq(float(v)) for v in data.y], steps)
    return EtaPoly(loss, "QQ", label="L_\\infty^{(t)} (closed form, L = 1)")


def long_horizon_eta(data: Data) -> float:
    """Sakai & Imaizumi's t → ∞ limit of η_∞^(t) for L = 1: ``2m / (λ₊ + λ₋)`` over the extreme
    *active* eigenvalues of K = XXᵀ/d (those whose eigenvectors carry part of y)."""
    w, U = np.linalg.eigh(data.K)
    weight = (U.T @ data.y) ** 2
    scale = max(float(np.max(np.abs(w))), 1e-300)
    active = (w > 1e-12 * scale) & (weight > 1e-24 * float(data.y @ data.y))
    if not active.any():
        raise PolylrError("no active eigen-direction of K carries part of y (K y = 0): η_∞ is undefined")
    lam = w[active]
    return float(2 * data.m / (lam.max() + lam.min()))
