"""Argmins from function values: bracketing on a grid, refined by a vectorised zoom (evaluation
mode, where no η-polynomial is available), and per-seed argmins of finite-width networks by
gradient descent."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..core.choices import SamplerName
from ..core.errors import PolylrError, check_int
from ..core.setup import Setup
from ..engines.evaluate import check_etas, gd_networks, loss_from_outputs
from .argmin import NEAR_TOL, Argmin, LocalMin


def finite_argmins(
    setup: Setup,
    width: int,
    seeds,
    etas,
    *,
    master_seed: int = 0,
    key=None,
    sampler: SamplerName = "dense",
    xtol: float = 1e-9,
    return_values: bool = False,
):
    """Per seed, the minimiser of ``L_n^(t)`` on ``[etas[0], etas[-1]]`` by gradient descent
    (evaluation mode: :func:`argmins_on_grid` on the grid ``etas``, refined to ``xtol·max(1, η)``).

    Each chunk of seeds is drawn once and every refinement round is one batched gradient descent;
    the networks are those of :func:`polylr.finite_width_polys` (same ``key`` and ``sampler``). For any t
    and parametrization.
    With ``return_values`` also the loss on the grid, shape ``(len(seeds), len(etas))``.
    """
    grid = check_etas(etas)
    y = setup.data.y
    found, values = [], []
    for part, gd in gd_networks(setup, width, seeds, master_seed, key, sampler, eta_max=float(np.max(np.abs(grid)))):
        def loss(x, gd=gd):
            return loss_from_outputs(gd(x), y)

        values.append(loss(np.broadcast_to(grid, (len(part), grid.size))))
        found += argmins_on_grid(grid, values[-1], loss, xtol=xtol)
    return (found, np.concatenate(values)) if return_values else found



def argmin_on_grid(etas, values, func: Callable[[np.ndarray], np.ndarray] | None = None, **refine) -> Argmin:
    """Minimiser of a function known on an increasing grid ``etas`` (``values`` = its values there),
    on the interval ``[etas[0], etas[-1]]``.

    Every grid point lower than its neighbours brackets a local minimum; with ``func`` (vectorised:
    an array of η to an array of values) each bracket is refined, all brackets in one call per
    round, by sampling ``points`` equispaced points inside it and keeping the lowest with its two
    neighbours (a bracketing zoom: like golden-section search, but with ``points`` evaluations per
    round, which suits vectorised evaluation; the bracket shrinks by ``(points + 1)/2`` a round),
    to ``xtol · max(1, |η|)``. A minimum at an end of the grid is checked on 8
    points of the first (last) grid interval: if none is lower it is reported on the boundary
    (``on_boundary=True``), otherwise refined as an interior bracket. Minima narrower than the grid
    spacing can be missed: the grid must resolve the function. Returns the same :class:`Argmin` as
    the certified polynomial :func:`polylr.argmin` (local minima by increasing η, near minima within
    1 %); non-finite values count as ``+inf``. ``refine``: ``xtol`` (default 1e-10), ``points``
    (16), ``max_iter`` (100). It is a one-row call of :func:`argmins_on_grid`, which does the same
    for many functions at once.

    Example (the limit at t = 10, and one seed at width 1024)::

        etas = np.linspace(0.0, 2.0, 81)
        f = lambda e: polylr.limit_loss_values(setup, e)
        eta_inf = polylr.argmin_on_grid(etas, f(etas), f).eta
        g = lambda e: polylr.finite_loss_values(setup, 1024, [seed], e)[0]
        eta_n = polylr.argmin_on_grid(etas, g(etas), g).eta
    """
    e = check_etas(etas)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != e.shape:
        raise PolylrError(f"values must have the shape of etas {e.shape}, got {v.shape}")
    batch = None if func is None else (lambda x: np.asarray(func(x[0]), dtype=np.float64).reshape(1, -1))
    return argmins_on_grid(e, v[None], batch, **refine)[0]


def argmins_on_grid(
    etas,
    values,
    func: Callable[[np.ndarray], np.ndarray] | None = None,
    *,
    xtol: float = 1e-10,
    points: int = 16,
    max_iter: int = 100,
) -> list[Argmin]:
    """:func:`argmin_on_grid` for S functions on one grid at once: ``values`` has shape ``(S, E)``
    and ``func`` maps an ``(S, k)`` array of η (row s for function s) to their ``(S, k)`` values, so
    each refinement round is one call for all functions (one batched gradient descent)."""
    e = check_etas(etas)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[1:] != e.shape:
        raise PolylrError(f"values must have the shape of etas {e.shape} (one row per function), got {v.shape}")
    if e.size < 3:
        raise PolylrError(f"the grid needs at least 3 points, got {e.size}")
    if not np.all(np.diff(e) > 0):
        raise PolylrError("etas must be strictly increasing")
    points = check_int("points", points, lo=2)
    v = np.where(np.isfinite(v), v, np.inf)
    if not np.all(np.any(np.isfinite(v), axis=1)):
        raise PolylrError("every value on the grid is non-finite: choose a smaller eta range")
    S, n = v.shape
    interval = (float(e[0]), float(e[-1]))

    def call(x: np.ndarray) -> np.ndarray:
        out = np.asarray(func(x), dtype=np.float64).reshape(x.shape)
        return np.where(np.isfinite(out), out, np.inf)

    left = np.concatenate([np.full((S, 1), np.inf), v[:, :-1]], axis=1)
    right = np.concatenate([v[:, 1:], np.full((S, 1), np.inf)], axis=1)
    is_min = (v < left) & (v <= right) & np.isfinite(v)
    found = [[] for _ in range(S)]  # per function: (eta, value, on_boundary)
    brackets = [[] for _ in range(S)]  # per function: (a, b, c, f(b)) with f(b) <= f(a), f(c)
    for s, i in zip(*np.nonzero(is_min[:, 1:-1])):
        brackets[s].append((e[i], e[i + 1], e[i + 2], v[s, i + 1]))
    ends = [(0, 0, 1), (n - 1, n - 2, n - 1)]  # (end index, grid interval next to it)
    if func is not None and is_min[:, [0, n - 1]].any():  # 8 points inside each end interval, all functions in one call
        xs = np.concatenate([np.linspace(e[a], e[b], 10)[1:-1] for _, a, b in ends])
        fx = call(np.broadcast_to(xs, (S, xs.size)).copy())
    for s in range(S):
        for k, (i, a, b) in enumerate(ends):
            if not is_min[s, i]:
                continue
            if func is None:
                found[s].append((e[i], v[s, i], True))
                continue
            f8 = fx[s, 8 * k : 8 * k + 8]
            j = int(np.argmin(f8))
            if f8[j] < v[s, i]:
                pts = np.concatenate([[e[a]], xs[8 * k : 8 * k + 8], [e[b]]])
                brackets[s].append((pts[j], pts[j + 1], pts[j + 2], f8[j]))
            else:
                found[s].append((e[i], v[s, i], True))
    B = max(len(b) for b in brackets)
    if B:
        # Pad every function to B brackets (repeating its first, or a dummy) so the rounds stay rectangular.
        rows = [b + [b[0] if b else (e[0], e[0], e[0], np.inf)] * (B - len(b)) for b in brackets]
        a, b, c, fb = (np.array([[r[q] for r in row] for row in rows], dtype=np.float64) for q in range(4))
        if func is not None:
            # Zoom: sample `points` equispaced interior points of every bracket in one call, keep
            # the lowest sample and its two neighbours; the bracket shrinks by (points + 1) / 2.
            frac = np.arange(1, points + 1) / (points + 1)
            for _ in range(max_iter):
                done = c - a <= xtol * np.maximum(1.0, np.abs(b))  # converged brackets stay as they are,
                if np.all(done):  # so a function's answer does not depend on the others in the batch
                    break
                xs = a[..., None] + (c - a)[..., None] * frac  # (S, B, points)
                fx = call(xs.reshape(S, B * points)).reshape(xs.shape)
                grid = np.concatenate([a[..., None], xs, c[..., None]], axis=-1)  # sorted per bracket
                inf = np.full((S, B, 1), np.inf)
                vals = np.concatenate([inf, fx, inf], axis=-1)
                k = np.argmin(vals, axis=-1)[..., None]
                fk = np.take_along_axis(vals, k, -1)[..., 0]
                keep = fk >= fb  # the old centre is still the lowest
                below = np.argmax(grid >= b[..., None], axis=-1)[..., None] - 1  # last point < b
                above = np.argmax(grid > b[..., None], axis=-1)[..., None]  # first point > b
                at = lambda idx: np.take_along_axis(grid, idx, -1)[..., 0]  # noqa: E731
                new_a = np.where(done, a, np.where(keep, at(below), at(k - 1)))
                new_c = np.where(done, c, np.where(keep, at(above), at(k + 1)))
                b = np.where(done | keep, b, at(k))
                fb = np.where(done | keep, fb, fk)
                a, c = new_a, new_c
        for s in range(S):
            found[s] += [(float(b[s, j]), float(fb[s, j]), False) for j in range(len(brackets[s]))]
    return [_as_argmin(f, interval) if np.any(np.isfinite(v[s])) and np.any(v[s] != v[s, 0]) else _flat(v[s], interval)
            for s, f in enumerate(found)]


def _flat(v: np.ndarray, interval) -> Argmin:
    only = LocalMin(interval[0], float(v[0]), True)
    return Argmin(interval[0], float(v[0]), interval, True, (only,), (), flat=True)


def _as_argmin(found: list, interval) -> Argmin:
    mins = tuple(LocalMin(float(x), float(fx), bool(bd)) for x, fx, bd in sorted(found))
    best = min(range(len(mins)), key=lambda i: mins[i].value)
    vmin = mins[best].value
    near = tuple(mm for i, mm in enumerate(mins) if i != best and mm.value - vmin <= abs(vmin) * NEAR_TOL)
    return Argmin(
        eta=mins[best].eta,
        value=vmin,
        interval=interval,
        on_boundary=mins[best].on_boundary,
        local_minima=mins,
        near_minima=near,
    )
