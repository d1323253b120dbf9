"""Throughput of the evaluation engine: (network, η) training runs per second, and its memory bound.

For a ReLU MLP (depth 3, μP with Adam's rule, Adam, full batch on synthetic(m=16, d=16), 20 steps)
at widths 256 and 1024, trains 8 seeds × 16 learning rates (2 seeds × 16 at n ≥ 1024) with :func:`polylr.train_curves` and
reports runs per second, runs·steps per second, the chunk shape and the estimated working memory of a
chunk with the data (kept under the 512 MiB chunk budget, far under the 8 GiB limit), plus the peak resident memory
of the process. A too-large request (width 2^17) is refused with its estimate before allocating.

    PYTHONPATH=. python benchmarks/nonlinear_throughput.py [--widths 256,1024] [--dtype float32] [--chunk-mib 512]

On a GPU (when JAX sees one) the same script gives the device figure; ``--chunk-mib`` (default the
engine's 512 MiB) measures whether a larger chunk (more networks per compiled call) is faster there.
"""

from __future__ import annotations

import argparse
import resource
import time

import jax
import numpy as np

import polylr
from polylr.engines.mlp import CHUNK_BYTES


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="256,1024")
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--etas", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--chunk-mib", type=int, default=CHUNK_BYTES // 2**20)
    a = ap.parse_args()
    chunk = a.chunk_mib * 2**20
    data = polylr.Data.synthetic(16, 16, noise=0.1, seed=0)
    tr = polylr.Training(net=polylr.MLP(depth=3, activation="relu", param=polylr.MUP_ADAM), optimizer=polylr.Optimizer("adam"),
                         data=data, steps=a.steps, dtype=a.dtype)
    grid = np.geomspace(1e-3, 1.0, a.etas)
    print(f"backend {jax.default_backend()}, jax {jax.__version__}, {a.dtype}, depth 3, Adam, {a.steps} steps, "
          f"{a.seeds} seeds x {a.etas} etas, chunks of at most {a.chunk_mib} MiB")
    for w in (int(x) for x in a.widths.split(",")):
        seeds = a.seeds if w < 1024 else max(1, a.seeds // 4)  # a rate, not a campaign: fewer runs at n >= 1024
        polylr.train_curves(tr, w, range(seeds), grid[:8], chunk_bytes=chunk)  # compile outside the timing (the same chunk shape)
        t, c = time.perf_counter(), time.process_time()
        cv = polylr.train_curves(tr, w, range(seeds), grid, chunk_bytes=chunk)
        dt, cpu = time.perf_counter() - t, time.process_time() - c
        runs = cv.objective.size
        chunk_mib = (cv.chunk[0] * (tr.seed_bytes(w) + cv.chunk[1] * tr.pair_bytes(w)) + tr.data_bytes()) / 2**20
        print(f"n = {w:5d}: {runs} runs in {dt:6.2f} s = {runs / dt:7.2f} runs/s = {runs * a.steps / dt:8.1f} run-steps/s "
              f"(CPU time {cpu:.2f} s: {runs / cpu:.2f} runs per CPU-second); "
              f"chunk {cv.chunk} (est. {chunk_mib:.0f} MiB); diverged {int(cv.diverged.sum())}")
    print(f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    try:
        polylr.train_curves(tr, 2**17, [0], grid)
    except polylr.PolylrError as e:
        print(f"refused: {e}")


if __name__ == "__main__":
    main()
