"""Per run-step cost of gwb-relu-kindex's network (two-layer ReLU with biases, μP with Adam's rule,
Adam, batch 256, d = 64, 8192 held-out points) at large width: the *marginal* wall and process CPU
time of :func:`polylr.train_curves` per run and step, from 2 seeds × 4 η trained for 32 and for 160
steps (each after one compiling call): (time at 160 − time at 32) / (8 runs × 128 steps), so each
run's fixed cost (the 8192-point held-out evaluation, ~0.2 s at n = 8192) is not spread over the
steps (it was in an earlier version, which overstated the cost about 2× at n >= 4096).
Used to estimate what the paper's T = 2^14 costs on a CPU (docs/nonlinear.md).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/kindex_step_cost.py [1024,4096,8192]
"""
import resource
import sys
import time

import numpy as np

import polylr
from polylr.claims.nonlinear import kindex_data


def timed(n: int, steps: int) -> tuple[float, float, int]:
    tr = polylr.Training(net=polylr.MLP(depth=0, activation="relu", bias=True, param=polylr.MUP_ADAM), optimizer=polylr.Optimizer("adam"),
                         data=kindex_data(256 * steps, seed=0), eval_data=kindex_data(8192, seed=1_000_003), steps=steps, batch=256, order_seed=1)
    g = np.geomspace(0.05, 1.0, 4)
    polylr.train_curves(tr, n, [0], g)  # compile
    c0, t0 = time.process_time(), time.perf_counter()
    cv = polylr.train_curves(tr, n, [0, 1], g)
    return time.perf_counter() - t0, time.process_time() - c0, cv.objective.size


for n in map(int, (sys.argv[1] if len(sys.argv) > 1 else "1024,4096,8192").split(",")):
    (w1, c1, runs), (w2, c2, _) = timed(n, 32), timed(n, 160)
    rs = runs * (160 - 32)
    print(f"n = {n}: marginal {1e3 * (w2 - w1) / rs:.2f} ms wall, {1e3 * (c2 - c1) / rs:.2f} ms CPU per run-step "
          f"({runs} runs; fixed cost per run {(w1 - 32 * (w2 - w1) / (160 - 32)) / runs:.3f} s wall)", flush=True)
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/2**20:.2f} GiB")
