"""Monte Carlo of the finite-width law of η_n and of the optimal loss, against the delta-method prediction.

Per width, networks are drawn by the Gram sampler (``finite_width_polys(..., sampler="gram")``, exact
in law) and each network's η_n is found by a **local Newton search** on ``L_n'`` started from η_∞
(:func:`local_argmins`), vectorised over networks in float64. Why that is the argmin the theory
speaks of, and how it is checked:

- at large n, ``L_n`` is within O(n^-1/2) of ``L_∞`` in every coefficient, so near η_∞ (where
  ``L_∞'' > 0``) ``L_n'`` has exactly one simple root within O(n^-1/2) of η_∞ and Newton converges to
  it quadratically from η_∞;
- each result is accepted only if Newton converged (last step <= 1e-12·(1 + |η|)), ``L_n'' > 0``
  there, it lies inside the interval, and no point of a 513-point grid of the interval has a lower
  loss by more than 1e-12 of the largest grid value (else the network is handed to the certified
  :func:`polylr.argmin`);
- the first ``CROSS_CHECK`` (20) accepted networks of each width are recomputed by the certified
  argmin; a difference over ``CROSS_TOL`` (1e-9) refuses the width (:class:`~polylr.NotResolved`),
  and the largest one is reported (the Monte Carlo table's title, and ``certified_cross_check`` in
  each width's JSON).

The bias is estimated two ways: the plain mean of η_n − η_∞, and with the **control variate**
``g·(θ − Eθ)`` (the first-order term of the delta method, whose mean is exactly zero because
``Eθ`` is known exactly): subtracting it removes the O(n^-1/2) fluctuation and leaves an O(n^-1)
remainder, so n·bias is measured with an error independent of n. The control variate needs each
network's inputs θ, which :func:`polylr.engines.law.network_inputs` recovers from the same keys and
the same draws: a network the sampler drew again with its upper-bound capacities (its tight ones
overflowed) is paired with the θ of that draw, and such networks are counted
(``upper_capacity_networks`` in each width's JSON).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.errors import InvalidInput, NotResolved, check_int, check_interval
from ..core.poly import EtaPoly
from ..core.setup import Setup, check_width
from ..engines.coeffs import finite_width_polys
from ..engines.law import LawDerivatives, network_inputs
from .argmin import argmin

NEWTON_ITERS = 40
GRID_POINTS = 513
MAX_NETWORKS = 10**6
# Networks per chunk (bounds memory: the Gram sampler's coefficients for a chunk, ~1 KB each).
CHUNK = 8192
# Accepted Newton argmins per width recomputed by the certified argmin, and the largest |Δη| allowed
# (measured ≤ 8e-14 on the documented setups: Newton's 1e-12 stop against the certified bracket).
CROSS_CHECK = 20
CROSS_TOL = 1e-9


def _polyval(c, x):
    """Horner, vectorised: ``c (S, D+1)`` ascending, ``x (S,)`` -> ``(S,)``."""
    out = np.zeros(c.shape[0])
    for k in range(c.shape[1] - 1, -1, -1):
        out = out * x + c[:, k]
    return out


def local_argmins(loss: np.ndarray, start: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(eta, value, ok)`` per row of ``loss`` (ascending η-coefficients, shape ``(S, D+1)``): Newton on
    ``L'`` from ``start``; ``ok`` is False where Newton did not converge, ``L'' <= 0``, the root left
    ``[lo, hi]``, or a grid point of the interval has a lower loss (see the module docstring)."""
    loss = np.asarray(loss, dtype=np.float64)
    S, D1 = loss.shape
    k = np.arange(D1, dtype=np.float64)
    d1 = (loss * k)[:, 1:]
    d2 = (d1 * k[:-1])[:, 1:]  # (L')': the η^(i−1) coefficient is i·d1[i]
    eta = np.full(S, float(start))
    step = np.full(S, np.inf)
    with np.errstate(all="ignore"):
        for _ in range(NEWTON_ITERS):
            step = _polyval(d1, eta) / _polyval(d2, eta)
            eta = eta - step
            if np.all(np.abs(step) <= 1e-12 * (1 + np.abs(eta))):
                break
        curv = _polyval(d2, eta)
        value = _polyval(loss, eta)
        ok = np.isfinite(eta) & (np.abs(step) <= 1e-12 * (1 + np.abs(eta))) & (curv > 0) & (eta >= lo) & (eta <= hi)
        grid = np.linspace(lo, hi, GRID_POINTS)
        V = np.stack([_polyval(loss, np.full(S, g)) for g in grid], axis=1)
        tol = 1e-12 * np.maximum(np.abs(value), np.max(np.abs(V), axis=1))
        ok &= np.min(V, axis=1) >= value - tol
    return eta, value, ok


@dataclass(frozen=True, eq=False)
class LawSample:
    """Monte Carlo at one width: per network η_n, the optimal loss a_n, and the control variates."""

    width: int
    seeds: np.ndarray
    etas: np.ndarray
    losses: np.ndarray
    linear: np.ndarray  # (S, 2): g·(θ − Eθ) for (η, loss); mean exactly zero
    certified: int  # networks handed to the certified argmin
    seconds: float
    cross_checked: int = 0  # accepted Newton argmins recomputed by the certified argmin
    cross_diff: float = 0.0  # their largest |η_Newton − η_certified|
    upper_capacity: int = 0  # networks drawn again with the upper-bound capacities (FiniteWidthPolys.upper_seeds)


def law_sample(
    setup: Setup, derivs: LawDerivatives, width: int, networks: int, interval: tuple[float, float], *,
    master_seed: int = 0, first_seed: int = 0,
) -> LawSample:
    """η_n and a_n for ``networks`` Gram networks at ``width`` (seeds ``first_seed …``)."""
    import time

    width = check_width(width)
    networks = check_int("networks", networks, lo=2, hi=MAX_NETWORKS)
    lo, hi = check_interval(*interval)
    if width <= derivs.sampler.K:
        raise InvalidInput(f"width n = {width} must exceed the Gram capacity K = {derivs.sampler.K} (the law uses the Gram path)")
    t0 = time.perf_counter()
    seeds = np.arange(first_seed, first_seed + networks, dtype=np.int64)
    etas, losses, lin = [], [], []
    handed, checked, diff, upper = 0, 0, 0.0, 0
    for s in range(0, networks, CHUNK):
        part = seeds[s : s + CHUNK]
        P = finite_width_polys(setup, width, part, master_seed=master_seed, sampler="gram")
        eta, val, ok = local_argmins(P.loss, derivs.eta_inf, lo, hi)
        for i in np.nonzero(ok)[0][: CROSS_CHECK - checked]:
            d = abs(argmin(P.loss_poly(int(i)), lo, hi).eta - float(eta[i]))
            if not d <= CROSS_TOL:
                raise NotResolved(f"width n = {width}, seed {int(part[i])}: the local Newton argmin η = {float(eta[i]):.12g} is "
                                  f"{d:.3g} from the certified one (allowed {CROSS_TOL:g}); the law's Monte Carlo is not trusted here")
            checked, diff = checked + 1, max(diff, d)
        for i in np.nonzero(~ok)[0]:
            a = argmin(P.loss_poly(int(i)), lo, hi)
            eta[i], val[i] = a.eta, a.value
            handed += 1
        # θ of the very networks P holds: a seed redrawn with the upper-bound capacities has its θ from that draw
        tz, tr = network_inputs(setup, width, part, master_seed=master_seed, upper_seeds=P.upper_seeds)
        upper += len(P.upper_seeds)
        etas.append(eta)
        losses.append(val)
        lin.append(derivs.linear_term(tz, tr, width))
    return LawSample(width, seeds, np.concatenate(etas), np.concatenate(losses), np.concatenate(lin), handed,
                     time.perf_counter() - t0, checked, diff, upper)


@dataclass(frozen=True)
class Estimate:
    """A statistic with its 95 % bootstrap percentile interval."""

    value: float
    lo: float
    hi: float

    def contains(self, x: float) -> bool:
        return self.lo <= x <= self.hi

    def to_json(self) -> dict:
        return {"value": self.value, "ci95": [self.lo, self.hi]}


def bootstrap(stat, data: np.ndarray, *, n_boot: int = 1000, seed: int = 0, chunk: int = 100) -> Estimate:
    """``stat`` (a function of a 1-d array, vectorised along axis -1) with a percentile interval over
    ``n_boot`` resamples drawn by ``numpy.random.default_rng(seed)``."""
    data = np.asarray(data, dtype=np.float64)
    rng = np.random.default_rng(seed)
    vals = []
    for s in range(0, n_boot, chunk):
        idx = rng.integers(0, data.size, size=(min(chunk, n_boot - s), data.size))
        vals.append(stat(data[idx]))
    vals = np.concatenate(vals)
    lo, hi = np.quantile(vals, [0.025, 0.975])
    return Estimate(float(stat(data[None])[0]), float(lo), float(hi))


def sd_scaled(x: np.ndarray, width: int) -> np.ndarray:
    return np.std(x, axis=-1, ddof=1) * math.sqrt(width)


@dataclass(frozen=True, eq=False)
class LawStats:
    """Per width: √n·sd and n·(mean − limit) (plain and with the control variate), for η and the loss."""

    width: int
    networks: int
    sd_eta: Estimate
    bias_eta: Estimate
    bias_eta_cv: Estimate
    sd_loss: Estimate
    bias_loss: Estimate
    bias_loss_cv: Estimate
    certified: int
    seconds: float
    cross_checked: int = 0
    cross_diff: float = 0.0
    upper_capacity: int = 0

    def to_json(self) -> dict:
        return {
            "width": self.width, "networks": self.networks,
            "sqrt_n_sd_eta": self.sd_eta.to_json(), "n_bias_eta": self.bias_eta.to_json(),
            "n_bias_eta_control_variate": self.bias_eta_cv.to_json(),
            "sqrt_n_sd_loss": self.sd_loss.to_json(), "n_bias_loss": self.bias_loss.to_json(),
            "n_bias_loss_control_variate": self.bias_loss_cv.to_json(),
            "certified_fallbacks": self.certified, "seconds": self.seconds,
            "certified_cross_check": {"networks": self.cross_checked, "max_abs_eta_difference": self.cross_diff},
            "upper_capacity_networks": self.upper_capacity,
        }


def law_stats(sample: LawSample, eta_inf: float, loss_inf: float, *, n_boot: int = 1000, boot_seed: int = 0) -> LawStats:
    n = sample.width
    if not (np.all(np.isfinite(sample.etas)) and np.all(np.isfinite(sample.losses))):
        raise NotResolved(f"non-finite η_n or optimal loss at width {n}")
    sd = lambda x: sd_scaled(x, n)  # noqa: E731
    mean = lambda x: n * np.mean(x, axis=-1)  # noqa: E731
    b = dict(n_boot=n_boot)
    return LawStats(
        n, sample.etas.size,
        bootstrap(sd, sample.etas, seed=boot_seed, **b),
        bootstrap(mean, sample.etas - eta_inf, seed=boot_seed + 1, **b),
        bootstrap(mean, sample.etas - eta_inf - sample.linear[:, 0], seed=boot_seed + 2, **b),
        bootstrap(sd, sample.losses, seed=boot_seed + 3, **b),
        bootstrap(mean, sample.losses - loss_inf, seed=boot_seed + 4, **b),
        bootstrap(mean, sample.losses - loss_inf - sample.linear[:, 1], seed=boot_seed + 5, **b),
        sample.certified, sample.seconds, sample.cross_checked, sample.cross_diff, sample.upper_capacity,
    )


def limit_argmin_value(setup: Setup, limit_loss: EtaPoly, interval) -> float:
    """η_∞: the certified argmin of the limit loss on the interval (refused on the boundary)."""
    a = argmin(limit_loss, *interval)
    if a.on_boundary:
        raise NotResolved(f"the limit loss's minimiser on {list(interval)} sits on the interval's end (η = {a.eta:.6g}): widen it")
    return a.eta
