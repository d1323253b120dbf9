"""Benchmark: the batched certified argmin (analysis/argmin_batch.py) against the exact per-network
path (analysis/argmin.py), and end-to-end sweep throughput on the Gram path.

Setup: the built-in data (L = 3, m = 500, d = 8, μP, hidden layers trained), interval
[0, 4 η_∞^(1)], sampler="gram".

1. Same batch of loss polynomials (n = 2^20), both paths side by side: time per network, their
   ratio, how many the fast path certified and whether every certified argmin equals the exact one
   (η and value within 4 units in the last place, same local minima, eta_bounds enclosing the
   exact ones). t = 1 and t = 2.
2. End to end, ``polylr.sweep`` (coefficients + certified argmins, fast path with exact fallback)
   at widths 2^6 … 2^20 (15 widths): networks per second, t = 1 and t = 2 (targets of issue 9:
   >= 2000/s and >= 100/s on 2 cores). Warm (an untimed first call compiles).

    OPENBLAS_NUM_THREADS=1 python benchmarks/argmin_batch_speed.py            # 1000 / 200 seeds per width
    OPENBLAS_NUM_THREADS=1 python benchmarks/argmin_batch_speed.py --quick    # fewer

Timings on a shared machine are pessimistic; the ratio is the robust number.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import polylr
from polylr.analysis.argmin import argmin
from polylr.analysis.argmin_batch import fast_argmins
from polylr.core.errors import NotResolved
from polylr.core.setup import Setup
from polylr.engines.bounds import loss_error
from polylr.engines.limit import eta_inf_t1


def _same(f, a) -> bool:
    if a is None or len(f.local_minima) != len(a.local_minima) or len(f.near_minima) != len(a.near_minima):
        return False
    for x, y in zip(f.local_minima, a.local_minima):
        if abs(x.eta - y.eta) > 4 * np.spacing(y.eta) or abs(x.value - y.value) > 4 * np.spacing(y.value):
            return False
        if x.on_boundary != y.on_boundary:
            return False
    if a.eta_bounds is not None:
        return f.eta_bounds is not None and f.eta_bounds[0] <= a.eta_bounds[0] and f.eta_bounds[1] >= a.eta_bounds[1]
    return f.eta_bounds is None


def side_by_side(steps: int, seeds: int, hi: float) -> None:
    setup = Setup().replace(steps=steps)
    P = polylr.finite_width_polys(setup, 2**20, range(seeds), sampler="gram", master_seed=7)
    t0 = time.perf_counter()
    fast = fast_argmins(P.loss, 0.0, hi, errors=loss_error(P.outputs, setup.data.y), nonnegative=True)
    fallback = [i for i, f in enumerate(fast) if f is None]
    for i in fallback:
        try:
            argmin(P.loss_poly(i), 0.0, hi)
        except NotResolved:
            pass
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    exact = []
    for i in range(seeds):
        try:
            exact.append(argmin(P.loss_poly(i), 0.0, hi))
        except NotResolved:
            exact.append(None)
    t_exact = time.perf_counter() - t0
    agree = sum(_same(f, a) for f, a in zip(fast, exact) if f is not None)
    print(f"t = {steps}: {seeds} networks at n = 2^20, degree {P.loss.shape[1] - 1}: fast path certified "
          f"{seeds - len(fallback)}, equal to the exact argmin {agree}/{seeds - len(fallback)}; "
          f"fast+fallback {1e3 * t_fast / seeds:.3f} ms/network, exact {1e3 * t_exact / seeds:.3f} ms/network, "
          f"ratio {t_exact / t_fast:.1f}x")


def end_to_end(steps: int, seeds: int, hi: float) -> None:
    setup = Setup().replace(steps=steps)
    widths = [2**k for k in range(6, 21)]
    polylr.sweep(setup, widths[:2], 8, (0.0, hi), sampler="gram", master_seed=1)  # warm (compile)
    t0 = time.perf_counter()
    sw = polylr.sweep(setup, widths, seeds, (0.0, hi), sampler="gram")
    dt = time.perf_counter() - t0
    methods = {m: sum(r["method"] == m for r in sw.rows) for m in ("polynomial", "gd")}
    print(f"t = {steps}: sweep over {len(widths)} widths 2^6..2^20 x {seeds} seeds = {len(sw.rows)} networks in "
          f"{dt:.1f} s: {len(sw.rows) / dt:.0f} networks/s ({methods})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    hi = 4.0 * eta_inf_t1(Setup())
    side_by_side(1, 200 if args.quick else 1000, hi)
    side_by_side(2, 50 if args.quick else 200, hi)
    end_to_end(1, 200 if args.quick else 1000, hi)
    end_to_end(2, 20 if args.quick else 200, hi)


if __name__ == "__main__":
    main()
