"""Benchmark: evaluation mode (gradient descent at grid points, no polynomial) on the Gram path.

Issue 9, item 4: ``theorem3 --steps 5, 10`` run on the Gram sampler, so t = 10 at n = 2^20 should
cost what it costs at n = 64. Setup: the claim's (built-in synthetic data m = 16, d = 4, L = 3),
interval [0, 2 η_∞^(1)], an 81-point grid refined by batched gradient descent
(:func:`polylr.finite_argmins`, what ``sweep(method="gd")`` and theorem3 at t >= 3 call). Per
network time at n = 64 (``auto``: the sampler it picks there, and the Gram sampler where n > K) and
n = 2^20 (Gram), the same number of seeds, each timed warm (a first call on other seeds compiles).

    OPENBLAS_NUM_THREADS=1 python benchmarks/gram_eval_mode.py [--seeds 16] [--steps 5 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import polylr
from polylr.engines.samplers import resolve_sampler


def per_network(setup, width, seeds, etas, sampler):
    polylr.finite_argmins(setup, width, range(1000, 1000 + seeds), etas, sampler=sampler)  # compile, untimed
    t0 = time.perf_counter()
    polylr.finite_argmins(setup, width, range(seeds), etas, sampler=sampler)
    return (time.perf_counter() - t0) / seeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--steps", type=int, nargs="+", default=[5, 10])
    args = ap.parse_args()
    for t in args.steps:
        setup = polylr.Setup(steps=t)
        etas = np.linspace(0.0, 2 * polylr.eta_inf_t1(setup), 81)
        K = polylr.GramSampler.for_setup(setup, 2**20).K
        small = resolve_sampler("auto", setup, 64).name
        rows = [(64, "auto", small), (2**20, "gram", "gram")]
        if K < 64:
            rows.insert(1, (64, "gram", "gram"))
        base = None
        for n, sampler, name in rows:
            dt = per_network(setup, n, args.seeds, etas, sampler)
            base = dt if base is None else base
            print(f"t = {t} (K = {K}), n = {n}, sampler {sampler} ({name}): {dt * 1e3:.1f} ms per network "
                  f"({args.seeds} seeds), ratio to n = 64 {dt / base:.2f}", flush=True)


if __name__ == "__main__":
    main()
