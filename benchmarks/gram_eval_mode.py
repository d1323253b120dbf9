"""Benchmark: evaluation mode (gradient descent at grid points, no polynomial) on the Gram path.

Issue 9, item 4: ``theorem3 --steps 5, 10`` run on the Gram sampler, so t = 10 at n = 2^20 should
cost what it costs at n = 64. Setup: the claim's (built-in synthetic data m = 16, d = 4, L = 3),
interval [0, 2 η_∞^(1)], an 81-point grid refined by batched gradient descent
(:func:`polylr.finite_argmins`, what ``sweep(method="gd")`` and theorem3 at t >= 3 call). Per
network time, each row timed warm (a first call on other seeds compiles): dense networks at the
``--dense`` widths, Gram networks at the ``--gram`` widths. At t <= 3 the Gram network is the one its
t-step polynomial program queries; at t >= 4 (beyond the polynomial engine) its span is discovered
by gradient descent (engines/gram_gd.py), and the Gram time includes that discovery (a batch of 32
seeds: use ``--seeds`` a multiple of 32 for a fair per-network time).

    OPENBLAS_NUM_THREADS=1 python benchmarks/gram_eval_mode.py [--seeds 32] [--dense-seeds 8] [--steps 3 5 10]
        [--dense 64 128 256 512 1024] [--gram 128 1048576]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import polylr


def per_network(setup, width, seeds, etas, sampler):
    polylr.finite_argmins(setup, width, range(1000, 1000 + seeds), etas, sampler=sampler)  # compile, untimed
    t0, c0 = time.perf_counter(), time.process_time()
    polylr.finite_argmins(setup, width, range(seeds), etas, sampler=sampler)
    return (time.perf_counter() - t0) / seeds, (time.process_time() - c0) / seeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=32, help="seeds per Gram row")
    ap.add_argument("--dense-seeds", type=int, default=8, help="seeds per dense row")
    ap.add_argument("--steps", type=int, nargs="+", default=[3, 5, 10])
    ap.add_argument("--dense", type=int, nargs="*", default=[64, 128, 256, 512, 1024])
    ap.add_argument("--gram", type=int, nargs="*", default=[128, 2**20])
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()}", flush=True)
    for t in args.steps:
        setup = polylr.Setup(steps=t)
        etas = np.linspace(0.0, 2 * polylr.eta_inf_t1(setup), 81)
        rows = [(n, "dense", args.dense_seeds) for n in args.dense] + [(n, "gram", args.seeds) for n in args.gram]
        base = None
        for n, sampler, seeds in rows:
            try:
                wall, cpu = per_network(setup, n, seeds, etas, sampler)
            except polylr.PolylrError as e:
                print(f"t = {t}, n = {n}, sampler {sampler}: refused ({e})", flush=True)
                continue
            base = wall if base is None else base
            print(f"t = {t}, n = {n}, sampler {sampler}: {wall * 1e3:.1f} ms wall, {cpu * 1e3:.1f} ms CPU per network "
                  f"({seeds} seeds, warm), wall ratio to the first row {wall / base:.2f}", flush=True)
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
