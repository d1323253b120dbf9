"""Benchmark: evaluation mode (gradient descent at grid points, no polynomial) on the Gram path.

Issue 9, item 4: ``theorem3 --steps 5, 10`` run on the Gram sampler, so t = 10 at n = 2^20 should
cost what it costs at n = 64. Setup: the claim's (built-in synthetic data m = 16, d = 4, L = 3),
interval [0, 2 η_∞^(1)], an 81-point grid refined by batched gradient descent
(:func:`polylr.finite_argmins`, what ``sweep(method="gd")`` and theorem3 at t >= 3 call). Per
network time at n = 64 (dense, and Gram where n > K) and n = 2^20 (Gram), the same number of seeds,
each timed warm (a first call on other seeds compiles). The Gram network is the one its t-step
polynomial program queries, so the Gram path needs that program (output degree <= 250: t <= 3 at
L = 3); beyond it (t = 5, 10) the benchmark shows the dense cost at n = 64 and 256 and the refusal
at 2^20.

    OPENBLAS_NUM_THREADS=1 python benchmarks/gram_eval_mode.py [--seeds 16] [--steps 3 5 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import polylr


def per_network(setup, width, seeds, etas, sampler):
    polylr.finite_argmins(setup, width, range(1000, 1000 + seeds), etas, sampler=sampler)  # compile, untimed
    t0 = time.perf_counter()
    polylr.finite_argmins(setup, width, range(seeds), etas, sampler=sampler)
    return (time.perf_counter() - t0) / seeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--steps", type=int, nargs="+", default=[3, 5, 10])
    args = ap.parse_args()
    for t in args.steps:
        setup = polylr.Setup(steps=t)
        etas = np.linspace(0.0, 2 * polylr.eta_inf_t1(setup), 81)
        try:
            K = polylr.GramSampler.for_setup(setup, 2**20).K
        except polylr.TooLarge as e:
            print(f"t = {t}: no Gram path ({e})", flush=True)
            K = None
        rows = [(64, "dense")] + ([(64, "gram"), (2**20, "gram")] if K is not None and K < 64 else [(256, "dense"), (2**20, "auto")])
        base = None
        for n, sampler in rows:
            try:
                dt = per_network(setup, n, args.seeds, etas, sampler)
            except polylr.TooLarge as e:
                print(f"t = {t}, n = {n}, sampler {sampler}: refused ({e})", flush=True)
                continue
            base = dt if base is None else base
            print(f"t = {t} (K = {K}), n = {n}, sampler {sampler}: {dt * 1e3:.1f} ms per network "
                  f"({args.seeds} seeds, warm), ratio to the first row {dt / base:.2f}", flush=True)


if __name__ == "__main__":
    main()
