"""The degree formula deg f^(t) = L·d_t against the engine's polynomials."""

from __future__ import annotations

import time

import numpy as np

from ..core.setup import MUP, Data, Setup
from ..engines.coeffs import degree_formula, finite_width_polys, output_degree
from .base import FAILS, HOLDS, CheckOptions, Claim, Verdict, register
from .results import DegreeCheck

def check_degree(opts: CheckOptions | None = None, **kw) -> DegreeCheck:
    """deg f^(t) = L·d_t with d_0 = 0, d_{s+1} = 1 + (2L − 1) d_s, for L, t ∈ {1, 2, 3}: the engine's
    polynomial has that degree and a non-zero leading coefficient at every data point (width 6)."""
    opts = opts if opts is not None else CheckOptions(**kw)
    base = opts.setup if opts.setup is not None else Setup(data=Data.synthetic(4, 3, seed=0))
    t0 = time.perf_counter()
    rows = []
    for L in (1, 2, 3):
        for t in (1, 2, 3):
            setup = base.replace(depth=L, steps=t, param=MUP, train="hidden")
            polys = finite_width_polys(setup, 6, [opts.master_seed])
            lead = polys.outputs[0, -1, :]
            rows.append(
                {"depth": L, "steps": t, "formula": degree_formula(L, t), "engine": output_degree(setup),
                 "leading_nonzero": bool(np.all(lead != 0))}
            )
    bad = [r for r in rows if r["formula"] != r["engine"] or not r["leading_nonzero"]]
    statement = "deg f^(t) = L·d_t, d_{t+1} = 1 + (2L−1)·d_t"
    if bad:
        v = Verdict("degree", statement, FAILS, f"mismatch at {[(r['depth'], r['steps']) for r in bad]}", {"rows": rows})
    else:
        degs = ", ".join(f"L={r['depth']} t={r['steps']}: {r['formula']}" for r in rows)
        v = Verdict("degree", statement, HOLDS, f"engine degrees equal the formula with non-zero leading coefficients ({degs})", {"rows": rows})
    return DegreeCheck("degree", tuple(rows), (v,), time.perf_counter() - t0)


register(Claim(
    "degree", "polylr (docs/theory.md), implicit in Hayou 2025",
    "After t GD steps f^(t) is a polynomial in η of degree L·d_t, d_0 = 0, d_{t+1} = 1 + (2L − 1)·d_t.",
    "deep linear MLP, hidden layers trained, L, t ∈ {1, 2, 3}",
    "engine degree = formula, leading coefficient non-zero",
    check_degree, accepts=("data",),  # its own depths, steps and width
))
