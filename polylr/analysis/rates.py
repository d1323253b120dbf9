"""Rates across widths: the exponent p of a per-width statistic ``s(n) ≈ C n^p``.

The exponent is the least-squares slope of ``log s`` against ``log n``; its confidence interval
comes from a bootstrap over seeds (seeds are resampled with replacement within each width,
independently across widths, and the fit is redone), with an explicit, recorded bootstrap seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..core.errors import InvalidInput, PolylrError, check_int

# Each statistic reduces the last axis (seeds), so one call serves all bootstrap resamples.
STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean_abs": lambda e: np.mean(np.abs(e), axis=-1),
    "rms": lambda e: np.sqrt(np.mean(e**2, axis=-1)),
    "abs_mean": lambda e: np.abs(np.mean(e, axis=-1)),
    "sd": lambda e: np.std(e, ddof=1, axis=-1),
}


@dataclass(frozen=True)
class RateFit:
    """``statistic(n) ≈ prefactor · n^exponent`` with a bootstrap percentile interval ``ci``."""

    quantity: str
    statistic: str
    exponent: float
    ci: tuple[float, float]
    prefactor: float
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    values: tuple[float, ...]
    value_ci: tuple[tuple[float, float], ...]
    level: float
    n_boot: int
    boot_seed: int

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["ci"] = list(self.ci)
        d["value_ci"] = [list(c) for c in self.value_ci]
        return d


def log_slope(logn: np.ndarray, logs: np.ndarray) -> tuple[float, float]:
    A = np.stack([np.ones_like(logn), logn], axis=1)
    (c, p), *_ = np.linalg.lstsq(A, logs, rcond=None)
    return float(p), float(c)


def _slope_interval(logn: np.ndarray, boot_vals: np.ndarray, a: float) -> tuple[float, float]:
    """Percentile interval of the bootstrap slopes. A resample whose statistic is 0 at some width
    has log = −∞ there, so its slope is +∞ or −∞ (by the side of the mean log-width that width is
    on) or undefined (zeros on both sides, or at the mean); it is kept as such — never dropped,
    which would bias the interval — and an undefined slope counts against both ends."""
    ok = np.all(boot_vals > 0, axis=1)
    slopes = np.array([log_slope(logn, np.log(v))[0] for v in boot_vals[ok]])
    if ok.all():
        return float(np.quantile(slopes, a)), float(np.quantile(slopes, 1 - a))
    side = np.sign(logn - logn.mean())  # a zero at a width above the mean log-width pulls the slope to −∞
    zero = boot_vals[~ok] <= 0
    up = np.all(~zero | (side < 0), axis=1)  # every zero sits below the mean: slope +∞
    down = np.all(~zero | (side > 0), axis=1)
    lo = np.concatenate([slopes, np.where(up, np.inf, -np.inf)])
    hi = np.concatenate([slopes, np.where(down, -np.inf, np.inf)])
    return float(np.quantile(lo, a, method="lower")), float(np.quantile(hi, 1 - a, method="higher"))


def fit_rate(
    widths: Sequence[int],
    samples: Sequence[np.ndarray],
    *,
    statistic: str = "mean_abs",
    quantity: str = "",
    n_boot: int = 2000,
    boot_seed: int = 0,
    level: float = 0.95,
) -> RateFit:
    """Fit the exponent of ``statistic(samples[k])`` against ``widths[k]``.

    ``samples[k]`` holds one value per seed at ``widths[k]`` (e.g. ``η_n − η_∞`` per seed).
    """
    if statistic not in STATISTICS:
        raise PolylrError(f"statistic must be one of {sorted(STATISTICS)}, got {statistic!r}")
    if len(widths) != len(samples):
        raise PolylrError(f"got {len(widths)} widths but {len(samples)} sample arrays")
    if len(widths) < 2:
        raise PolylrError(f"a rate needs at least 2 widths, got {len(widths)}")
    n_boot = check_int("n_boot", n_boot, lo=10)
    if not 0 < level < 1:
        raise PolylrError(f"level must be in (0, 1), got {level}")
    stat = STATISTICS[statistic]
    widths = [check_int("width n", w, lo=1) for w in widths]  # a negative width gave LinAlgError (issue 10)
    if len(set(widths)) != len(widths):
        raise InvalidInput(f"widths must be distinct, got {widths}")
    samples = [np.asarray(s, dtype=np.float64) for s in samples]
    for w, s in zip(widths, samples):
        if not np.all(np.isfinite(s)):  # NaN gave a NaN exponent (issue 10)
            raise InvalidInput(f"width {w}: the samples must be finite, got {s[~np.isfinite(s)][:3].tolist()}")
    need = 2 if statistic == "sd" else 1
    for w, s in zip(widths, samples):
        if s.size < need:
            raise PolylrError(f"width {w}: statistic {statistic!r} needs >= {need} seeds, got {s.size}")
    values = np.array([float(stat(s)) for s in samples])
    if np.any(values <= 0):
        raise PolylrError(f"cannot fit a power law: {statistic} is 0 at width(s) {[w for w, v in zip(widths, values) if v <= 0]}")
    logn = np.log(np.asarray(widths, dtype=np.float64))
    p, c = log_slope(logn, np.log(values))

    rng = np.random.default_rng(boot_seed)
    boot_vals = np.empty((n_boot, len(widths)))
    for k, s in enumerate(samples):
        idx = rng.integers(0, s.size, size=(n_boot, s.size))
        boot_vals[:, k] = stat(s[idx])
    a = (1 - level) / 2
    ci = _slope_interval(logn, boot_vals, a)
    value_ci = tuple((float(np.quantile(boot_vals[:, k], a)), float(np.quantile(boot_vals[:, k], 1 - a))) for k in range(len(widths)))
    return RateFit(
        quantity=quantity,
        statistic=statistic,
        exponent=p,
        ci=ci,
        prefactor=float(np.exp(c)),
        widths=tuple(int(w) for w in widths),
        seeds=tuple(s.size for s in samples),
        values=tuple(float(v) for v in values),
        value_ci=value_ci,
        level=level,
        n_boot=n_boot,
        boot_seed=boot_seed,
    )

