"""Campaigns in ``verify/``: TOML files that reproduce a paper's figure or run a set of claims.

Two kinds:

- ``kind = "claims"``: the options of ``polylr check`` (``claims``, ``budget``, ``widths``, ``seeds``,
  ``depth``, ``steps``, ``interval``, ``master_seed``, ``tol``, ``data``); running it is ``polylr
  check`` with those options.
- ``kind = "curves"``: loss against learning rate after t steps, for several widths and
  parametrizations, seed means by gradient descent on a grid (evaluation mode), with the μP limit
  curve overlaid: the shape of Hayou's Figure 3. Writes ``curves.png`` and ``curves.json``.

Every value is validated before any work, with the allowed keys named.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .core.errors import PolylrError, check_finite, check_int
from .core.inputs import parse_widths_text, toml_widths
from .analysis.grid import argmin_on_grid
from .engines.evaluate import finite_loss_values, limit_loss_values
from .engines.coeffs import KEY_SCHEME
from .engines.limit import eta_inf_t1
from .core.setup import MUP, Data, Parametrization, Setup
from .analysis.sweep import parse_widths
from .claims.theorem3 import limit_argmin

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CLAIMS_KEYS = {"kind", "title", "claims", "budget", "widths", "seeds", "depth", "steps", "interval", "master_seed", "tol", "data"}
CURVES_KEYS = {"kind", "title", "steps", "params", "widths", "seeds", "depth", "eta", "data", "master_seed"}
DATA_KEYS = {"m", "d", "seed", "noise", "file"}
ETA_KEYS = {"lo", "hi", "points", "scale", "unit"}


def load(path: Path) -> dict:
    """Read and check a campaign file; returns its table with ``kind`` validated."""
    path = Path(path)
    if not path.is_file():
        raise PolylrError(f"campaign file {str(path)!r} does not exist")
    try:
        doc = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PolylrError(f"campaign file {str(path)!r} is not valid TOML: {e}") from None
    kind = doc.get("kind")
    allowed = {"claims": CLAIMS_KEYS, "curves": CURVES_KEYS}
    if kind not in allowed:
        raise PolylrError(f"{path.name}: kind must be 'claims' or 'curves', got {kind!r}")
    check_keys(path.name, doc, allowed[kind])
    return doc


def check_keys(where: str, table: dict, keys: set) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise PolylrError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(keys)}")


def data_from(table: dict | None, where: str) -> Data:
    table = table or {}
    if not isinstance(table, dict):
        raise PolylrError(f"{where}: data must be a table such as {{m = 16, d = 4, seed = 0}} or {{file = 'data.npz'}}")
    check_keys(f"{where} [data]", table, DATA_KEYS)
    if "file" in table:
        if set(table) != {"file"}:
            raise PolylrError(f"{where} [data]: 'file' excludes the synthetic-data keys m, d, seed, noise")
        return Data.from_file(table["file"])
    return Data.synthetic(table.get("m", 16), table.get("d", 4), noise=table.get("noise", 0.1), seed=table.get("seed", 0))


# -- curves (paper figure 3) ---------------------------------------------------------------


@dataclass(frozen=True)
class CurvesSpec:
    """What a ``kind = "curves"`` campaign asks for (checked by :func:`curves_from`)."""

    title: str
    setup: Setup
    steps: tuple[int, ...]
    params: tuple[Parametrization, ...]
    widths: tuple[int, ...]
    seeds: int
    eta: dict  # the [eta] table: see eta_grid
    master_seed: int


@dataclass(frozen=True, eq=False)
class LossCurves:
    """Seed-mean loss after t steps on an η grid, per (t, parametrization, width), and the μP limit."""

    spec: CurvesSpec
    etas: np.ndarray
    mean: dict  # (t, param name, width) -> seed-mean loss on etas (+inf where some seed diverged)
    argmin: dict  # (t, param name, width) -> argmin of the seed-mean curve on the grid (grid resolution)
    limit: dict  # t -> (limit loss on etas, limit argmin)

    def to_dict(self) -> dict:
        sp = self.spec
        return {
            "title": sp.title,
            "setup": sp.setup.describe(),
            "steps": list(sp.steps),
            "params": [p.name for p in sp.params],
            "widths": list(sp.widths),
            "seeds": sp.seeds,
            "master_seed": sp.master_seed,
            "key": KEY_SCHEME,
            "etas": self.etas.tolist(),
            "curves": [
                {"steps": t, "param": p, "width": w, "mean_loss": v.tolist(), "argmin_of_mean": self.argmin[(t, p, w)]}
                for (t, p, w), v in self.mean.items()
            ],
            "limit": [{"steps": t, "loss": v.tolist(), "argmin": a} for t, (v, a) in self.limit.items()],
        }


def curves_from(doc: dict, where: str = "campaign") -> CurvesSpec:
    """The checked specification of a ``kind = "curves"`` table (run it with :func:`run_curves`)."""
    steps = doc.get("steps", [5, 10])
    if not isinstance(steps, list) or not steps:
        raise PolylrError(f"{where}: steps must be a non-empty list of integers >= 1, got {steps!r}")
    params = doc.get("params", ["mup", "sp"])
    if not isinstance(params, list) or not params:
        raise PolylrError(f"{where}: params must be a non-empty list such as ['mup', 'sp'], got {params!r}")
    eta = doc.get("eta", {})
    check_keys(f"{where} [eta]", eta, ETA_KEYS)
    setup = Setup(data=data_from(doc.get("data"), where), depth=doc.get("depth", 3))
    return CurvesSpec(
        title=str(doc.get("title", "loss against learning rate")),
        setup=setup,
        steps=tuple(check_int("steps t", t, lo=1) for t in steps),
        params=tuple(Parametrization.parse(p) for p in params),
        widths=parse_widths(parse_widths_text(toml_widths(where, doc.get("widths", [64, 256, 1024])))),
        seeds=check_int("seeds", doc.get("seeds", 8), lo=1),
        eta=eta,
        master_seed=check_int("master seed", doc.get("master_seed", 0), lo=0),
    )


def eta_grid(setup: Setup, eta: dict) -> np.ndarray:
    """The η grid: ``points`` values from ``lo`` to ``hi``, linear or log (``scale``), in units of
    ``η_∞^(1)`` (``unit = "eta_inf"``, default) or absolute (``unit = "absolute"``)."""
    points = check_int("eta.points", eta.get("points", 121), lo=3)
    scale, unit = eta.get("scale", "log"), eta.get("unit", "eta_inf")
    if scale not in ("log", "linear"):
        raise PolylrError(f"eta.scale must be 'log' or 'linear', got {scale!r}")
    if unit not in ("eta_inf", "absolute"):
        raise PolylrError(f"eta.unit must be 'eta_inf' or 'absolute', got {unit!r}")
    lo = check_finite("eta.lo", eta.get("lo", 1e-3 if scale == "log" else 0.0))
    hi = check_finite("eta.hi", eta.get("hi", 2.0))
    if not 0 <= lo < hi or (scale == "log" and lo <= 0):
        raise PolylrError(f"eta: need 0 {'<' if scale == 'log' else '<='} lo < hi, got lo = {lo}, hi = {hi}")
    u = eta_inf_t1(setup.replace(param=MUP)) if unit == "eta_inf" else 1.0
    grid = np.geomspace(lo, hi, points) if scale == "log" else np.linspace(lo, hi, points)
    return grid * u


def run_curves(spec: CurvesSpec, progress=None) -> LossCurves:
    """The curves; the finite-width minimisers are those of the seed-mean curve on the grid (grid
    resolution), the limit's is :func:`polylr.limit_argmin` on the grid's range (exact or refined)."""
    setup, steps, params, widths = spec.setup, spec.steps, spec.params, spec.widths
    etas = eta_grid(setup, spec.eta)
    mean, best, limit = {}, {}, {}
    total, done = len(steps) * len(params) * len(widths), 0
    for t in steps:
        for p in params:
            s = setup.replace(steps=t, param=p)
            for w in widths:
                v = finite_loss_values(s, w, range(spec.seeds), etas, master_seed=spec.master_seed).mean(axis=0)
                mean[(t, p.name, w)] = v
                best[(t, p.name, w)] = argmin_on_grid(etas, v).eta if np.any(np.isfinite(v)) else None
                done += 1
                if progress is not None:
                    progress(done, total)
        if any(p == MUP for p in params):
            s = setup.replace(steps=t, param=MUP)
            limit[t] = (limit_loss_values(s, etas), limit_argmin(s, (float(etas[0]), float(etas[-1])))[0].eta)
    return LossCurves(spec, etas, mean, best, limit)
