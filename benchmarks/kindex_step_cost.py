"""Per run-step cost of gwb-relu-kindex's network (two-layer ReLU with biases, μP with Adam's rule,
Adam, batch 256, d = 64, 8192 held-out points) at large width: wall and process CPU time of
:func:`polylr.train_curves` for 2 seeds × 4 η × 32 steps after one compiling call, per run and step.
Used to estimate what the paper's jump (T = 2^14 at n = 4096, 8192) costs on a CPU (docs/nonlinear.md).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/kindex_step_cost.py [1024,4096,8192]
"""
import resource
import sys
import time

import numpy as np

import polylr
from polylr.claims.nonlinear import kindex_data

steps = 32
for n in map(int, (sys.argv[1] if len(sys.argv) > 1 else "1024,4096,8192").split(",")):
    tr = polylr.Training(net=polylr.MLP(depth=0, activation="relu", bias=True, param=polylr.MUP_ADAM), optimizer=polylr.Optimizer("adam"),
                         data=kindex_data(256 * steps, seed=0), eval_data=kindex_data(8192, seed=1_000_003), steps=steps, batch=256, order_seed=1)
    g = np.geomspace(0.05, 1.0, 4)
    polylr.train_curves(tr, n, [0], g)  # compile
    c0 = time.process_time(); t = time.perf_counter()
    cv = polylr.train_curves(tr, n, [0, 1], g)
    dt, cpu = time.perf_counter() - t, time.process_time() - c0
    rs = cv.objective.size * steps
    print(f"n = {n}: {rs} run-steps in {dt:.2f} s wall, {cpu:.2f} s CPU: {1e3*dt/rs:.2f} ms wall, {1e3*cpu/rs:.2f} ms CPU per run-step; chunk {cv.chunk}", flush=True)
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/2**20:.2f} GiB")
