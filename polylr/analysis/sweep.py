"""Monte Carlo across widths and seeds: per seed the exact loss polynomial and its argmin.

The result is a tidy table (one row per width and seed) plus the coefficient arrays; the same
table drives the confidence intervals, the rates, the plots and the JSON output.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.stats

from .argmin import argmin
from .argmin_batch import fast_argmins
from ..engines.bounds import EPS, MAX_SEEDS, check_dense_memory, loss_error
from ..engines.coeffs import MAX_OUTPUT_DEGREE, check_degree_allowed, finite_width_polys
from ..engines.samplers import resolve_sampler
from ..engines.shallow import check_shallow, shallow_width_polys
from ..core.choices import METHODS, SWEEP_SAMPLERS, Method, SweepSampler, check_choice
from ..core.errors import NotResolved, PolylrError, TooLarge, check_finite, check_int, check_interval
from ..core.poly import EtaPoly
from ..core.setup import Setup, check_width
from .rows import SweepRows

@dataclass(frozen=True)
class WidthSummary:
    width: int
    seeds: int
    mean: float
    sd: float
    se: float
    ci: tuple[float, float]
    boundary_fraction: float
    non_unique_fraction: float

    def to_dict(self) -> dict:
        return {**self.__dict__, "ci": list(self.ci)}


@dataclass(frozen=True, eq=False)
class Sweep:
    """η_n per (width, seed), with the loss coefficients behind them.

    The interval at width n is ``interval`` scaled by ``n^order`` (``order = 0``: the same interval
    at every width): compact in the scaled learning rate ``ν = n^-order · η``.
    """

    setup: Setup
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    master_seed: int
    interval: tuple[float, float]
    order: float
    rows: SweepRows  # one entry per (width, seed), as columns; records (dicts) are converted on construction
    loss: dict = field(repr=False)  # width -> (seeds, degree + 1) loss coefficients (polynomial widths)
    outputs: dict = field(repr=False)  # width -> (seeds, degree + 1, m) output coefficients (polynomial widths)
    seconds: dict = field(default_factory=dict)  # width -> wall time of the width
    curves: dict = field(default_factory=dict, repr=False)  # width -> (η grid, seed-mean loss) (evaluation widths)
    grid_values: dict = field(default_factory=dict, repr=False)  # width -> (seeds, grid) per-seed loss (evaluation widths)
    sampler: str = "dense"  # the sampler asked for ("dense", "gram", "auto", "shallow"); per width: frames.sampler_at

    def __post_init__(self) -> None:
        if not isinstance(self.rows, SweepRows):
            object.__setattr__(self, "rows", SweepRows.from_records(self.rows))

    def to_pandas(self):
        """The rows as a pandas DataFrame, one row per (width, seed) with its context (needs pandas)."""
        from .frames import sweep_frame  # noqa: PLC0415 (optional dependency, loaded on use)

        return sweep_frame(self, "pandas")

    def to_arrow(self):
        """The rows as a pyarrow Table (needs the ``parquet`` extra)."""
        from .frames import sweep_frame  # noqa: PLC0415

        return sweep_frame(self, "arrow")

    def interval_at(self, width: int) -> tuple[float, float]:
        f = float(width) ** self.order
        return self.interval[0] * f, self.interval[1] * f

    def etas(self, width: int) -> np.ndarray:
        return np.array(self.rows.eta[self.rows.width == width])

    def summary(self, width: int) -> WidthSummary:
        rows = self.rows.at(width)
        e = rows.eta
        k = e.size
        sd = float(e.std(ddof=1)) if k > 1 else math.nan
        se = sd / math.sqrt(k) if k > 1 else math.nan
        half = float(scipy.stats.t.ppf(0.975, k - 1)) * se if k > 1 else math.inf
        return WidthSummary(
            width=width,
            seeds=k,
            mean=float(e.mean()),
            sd=sd,
            se=se,
            ci=(float(e.mean() - half), float(e.mean() + half)),
            boundary_fraction=float(np.mean(rows.on_boundary)),
            non_unique_fraction=float(np.mean(~rows.unique)),
        )

    def mean_loss(self, width: int) -> EtaPoly:
        """Seed mean of the loss polynomial (the mean of polynomials is the polynomial of means)."""
        err = None
        if width in self.outputs:  # the seeds' bounds, averaged, plus the mean's own rounding
            err = loss_error(self.outputs[width], self.setup.data.y).mean(axis=0) + len(self.seeds) * EPS * np.abs(self.loss[width]).mean(axis=0)
        return EtaPoly(self.loss[width].mean(axis=0), "float64", label=f"E L_{{{width}}}", error=err, nonnegative=True)

    def mean_loss_curve(self, width: int, points: int = 400) -> tuple[np.ndarray, np.ndarray]:
        """``(η, seed-mean loss)`` on the width's interval: from the polynomials, or the grid values of
        evaluation mode."""
        if width in self.loss:
            etas = np.linspace(*self.interval_at(width), points)
            return etas, self.mean_loss(width)(etas)
        return self.curves[width]


def parse_widths(widths) -> tuple[int, ...]:
    ws = tuple(check_width(w) for w in widths)
    if not ws:
        raise PolylrError("widths must be a non-empty list of integers >= 1")
    if len(set(ws)) != len(ws):
        raise PolylrError(f"widths must be distinct, got {list(ws)}")
    return tuple(sorted(ws))


RESOLUTION = 1e-3  # float64 must resolve the loss to this fraction of its minimum (see float_resolves)


def float_resolves(coeffs: np.ndarray, lo: float, hi: float, vmin: float, points: int = 513) -> bool:
    """Whether float64 noise could not have decided the argmin of the loss polynomial on ``[lo, hi]``.

    Evaluating ``Σ c_k η^k`` in float64 errs by about ``err(η) = (degree + 1)·ε·Σ|c_k||η|^k`` (times a
    safety factor 4). At high degree the coefficients alternate and cancel (t = 3, L = 3: loss degree
    186, by 18 orders of magnitude near η ≈ 2), and there the polynomial's values are noise. We
    require, on a ``points``-point grid, ``L(η) − err(η) ≥ (1 − RESOLUTION)·min``: the noise can
    neither blur the minimum by more than ``RESOLUTION`` of its value nor create a lower one."""
    if not vmin > 0:
        return False
    e = np.linspace(lo, hi, points)
    poly = np.polynomial.polynomial.polyval
    with np.errstate(over="ignore", invalid="ignore"):
        err = 4.0 * coeffs.size * np.finfo(np.float64).eps * poly(np.abs(e), np.abs(coeffs))
        return bool(np.all(poly(e, coeffs) - err >= (1.0 - RESOLUTION) * vmin))


def shallow_argmins(setup: Setup, width: int, seeds, lo: float, hi: float, master_seed: int):
    """``(loss coefficients, argmins)`` of the shallow sampler's networks ``seeds`` at ``width`` on
    ``[lo, hi]``; :class:`~polylr.NotResolved` where float64 cannot resolve a network's loss."""
    coeffs, errors = shallow_width_polys(setup, width, seeds, master_seed=master_seed, return_error=True)
    out = []
    for s, row, row_err in zip(seeds, coeffs, errors):
        a = argmin(EtaPoly(row, "float64", error=row_err, nonnegative=True), lo, hi)
        if not float_resolves(row, lo, hi, a.value):
            raise NotResolved(
                f"float64 cannot resolve the loss polynomial of network {s} at width {width} on [{lo:.4g}, {hi:.4g}] "
                f"(t = {setup.steps}): use fewer steps or a smaller interval"
            )
        out.append(a)
    return coeffs, out


def _row(width: int, seed: int, a, method: str) -> dict:
    return {
        "width": width,
        "seed": seed,
        "eta": a.eta,
        "loss_min": a.value,
        "on_boundary": a.on_boundary,
        "unique": a.unique,
        "local_minima": len(a.local_minima),
        "method": method,
    }


def sweep(
    setup: Setup,
    widths,
    seeds: int | Sequence[int],
    interval: tuple[float, float],
    *,
    order: float = 0.0,
    master_seed: int = 0,
    progress=None,
    method: Method = "auto",
    grid: int = 81,
    key=None,
    sampler: SweepSampler = "dense",
    runner=None,
) -> Sweep:
    """For each width n and each seed ``0..seeds-1``: the argmin of the seed's loss on ``interval``
    scaled by ``n^order`` (see :class:`Sweep`).

    ``method``: ``"polynomial"`` takes the certified argmin of the exact loss polynomial (an error
    when its degree is beyond the engine's limit); ``"gd"`` uses evaluation mode (gradient descent
    on a ``grid``-point grid, refined: :func:`polylr.finite_argmins`), for any t; ``"auto"`` (default)
    uses the polynomial where its degree is allowed and :func:`polylr.argmin` accepts it (its error
    bound cannot move the minimiser; else :class:`~polylr.NotResolved`, which ``"polynomial"``
    raises), and gradient descent for the other seeds. Each row records its method.
    ``progress`` is an optional callback ``progress(done, total)`` called as seeds finish (the CLI
    draws a progress bar with it; the analysis layer knows nothing of displays).
    ``key`` (a JAX key) replaces ``jax.random.key(master_seed)``; ``sampler`` (``"dense"``, ``"gram"``,
    ``"auto"``: see :func:`polylr.finite_width_polys`) is used by both methods, so a seed's
    polynomial and its gradient descent see the same network; ``"shallow"`` (L = 1, hidden layer
    trained) draws each network's loss polynomial exactly in law at a cost independent of n
    (:func:`polylr.shallow_width_polys`: numpy draws from ``[master_seed, width, seed]``, no ``key``),
    takes its certified argmin, refuses (:class:`~polylr.NotResolved`) where float64 cannot resolve
    it, and records the method ``"shallow"``.
    ``seeds``: a count (seeds ``0..seeds-1``) or explicit seed ids (a chunk: a seed's row depends only
    on its key, so chunks of a sweep give the same rows as the whole).
    ``runner`` (e.g. a :class:`polylr.Runner`: a results store, chunks on an executor), given with a
    seed count, computes the sweep instead: ``runner(setup, widths, seeds, interval, order=,
    master_seed=, progress=, method=, grid=)``, which calls :func:`sweep` with explicit seed ids per
    chunk. It rebuilds networks from ``master_seed`` and the sampler's name (a name, not a sampler
    object; no ``key``).
    """
    from .grid import finite_argmins

    widths = parse_widths(widths)
    explicit = not isinstance(seeds, numbers.Integral) or isinstance(seeds, bool)
    if explicit:
        seed_list = tuple(check_int("seed", s, lo=0, hi=2**32 - 1) for s in np.atleast_1d(np.asarray(seeds)).tolist())
        if not seed_list or len(set(seed_list)) != len(seed_list):
            raise PolylrError(f"seed ids must be distinct non-negative integers, at least one, got {seed_list}")
        n_seeds = len(seed_list)
    else:
        n_seeds = check_int("seeds (number of seeds per width)", seeds, lo=1, hi=MAX_SEEDS)
        seed_list = tuple(range(n_seeds))
    shallow = check_choice("sampler", sampler, SWEEP_SAMPLERS) == "shallow" if isinstance(sampler, str) else False
    if shallow:
        check_shallow(setup)
        if key is not None or method == "gd":
            raise PolylrError(f"sampler='shallow' draws from master_seed and has no network to descend; got key={key!r}, method={method!r}")
    dense = [w for w in widths if not shallow and resolve_sampler(sampler, setup, w).name == "dense"]
    if dense:  # the Gram path is width-free; the dense one holds L·n² weights per network
        check_dense_memory(setup, dense)
    lo, hi = check_interval(*interval)
    master_seed = check_int("master seed", master_seed, lo=0, hi=2**63 - 1)
    check_choice("method", method, METHODS)
    grid = check_int("grid (points of the evaluation grid)", grid, lo=3)
    try:
        if not shallow:  # the shallow sampler's degree is 2t whatever the depth formula says
            check_degree_allowed(setup, MAX_OUTPUT_DEGREE)
        polynomial = method != "gd"
    except TooLarge:
        if method == "polynomial":
            raise
        polynomial = False
    order = check_finite("order", order)
    if runner is not None and (key is not None or not isinstance(sampler, str)):
        raise PolylrError(f"runner= computes sweeps from master_seed and a sampler's name; got key={key!r}, sampler={sampler!r}")
    if runner is not None and not explicit:
        return runner(setup, widths, n_seeds, (lo, hi), order=order, master_seed=master_seed, progress=progress,
                      method=method, grid=grid, sampler=sampler)
    rows, loss, outputs, seconds, curves, grid_values = [], {}, {}, {}, {}, {}
    total, done = len(widths) * n_seeds, 0
    report = progress if progress is not None else (lambda done, total: None)
    for w in widths:
        t0 = time.perf_counter()
        scale = float(w) ** order
        found, rest = {}, list(seed_list)
        if shallow:
            loss[w], argmins = shallow_argmins(setup, w, seed_list, lo * scale, hi * scale, master_seed)
            found.update((s, (a, "shallow")) for s, a in zip(seed_list, argmins))
            rest, done = [], done + len(seed_list)
            report(done, total)
        elif polynomial:
            polys = finite_width_polys(setup, w, seed_list, master_seed=master_seed, key=key, sampler=sampler)
            loss[w], outputs[w] = polys.loss, polys.outputs
            rest = []
            # a vectorised certificate proves most argmins; the others go to the exact path (argmin_batch)
            fast = fast_argmins(polys.loss, lo * scale, hi * scale, errors=loss_error(polys.outputs, setup.data.y),
                                nonnegative=True)
            for i, s in enumerate(seed_list):
                try:  # argmin refuses (NotResolved) when the loss's error bound could move the minimiser
                    a = fast[i] if fast[i] is not None else argmin(polys.loss_poly(i), lo * scale, hi * scale)
                except NotResolved:
                    if method == "polynomial":
                        raise
                    rest.append(s)
                    continue
                found[s] = (a, "polynomial")
                done += 1
                report(done, total)
        if rest:
            etas = np.linspace(lo * scale, hi * scale, grid)
            argmins, values = finite_argmins(
                setup, w, rest, etas, master_seed=master_seed, key=key, sampler=sampler, return_values=True
            )
            found.update((s, (a, "gd")) for s, a in zip(rest, argmins))
            if not polynomial:
                curves[w] = (etas, np.mean(values, axis=0))
                grid_values[w] = np.asarray(values)
            done += len(rest)
            report(done, total)
        rows += [_row(w, s, *found[s]) for s in seed_list]
        seconds[w] = time.perf_counter() - t0
    return Sweep(setup, widths, seed_list, master_seed, (lo, hi), order, tuple(rows), loss, outputs, seconds, curves,
                 grid_values, getattr(sampler, "name", sampler))
