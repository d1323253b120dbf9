"""The GPU checks of the evaluation engine, in one device call (benchmarks/gpu_session.sh runs them).

    python benchmarks/gpu_session.py env                 # backend, devices; --budget thorough picks thorough-gpu
    python benchmarks/gpu_session.py precision           # GPU vs the same machine's CPU, float64 and float32
    python benchmarks/gpu_session.py kindex OUT SECONDS TGZ [WIDTHS]  # gwb-relu-kindex at the paper's T = 2^14, in priority order

``precision`` trains GWB's k-index network (two-layer ReLU with biases, μP for Adam, Adam, batch 256)
for 64 steps at n = 1024, seed 0, 8 learning rates, on the GPU and on the CPU of the same machine,
and prints the largest relative difference of the held-out losses: float64 GPU vs float64 CPU
(reduction order only), float32 GPU (polylr's scope: true float32 products) vs float64, and
float32 GPU under JAX's default precision (TF32 on this GPU) vs float64 — what the scope prevents.

``kindex`` trains, within SECONDS, the μP panel (n = 256 … 32768, seeds 0 and 1), then the remedy
panel (second-layer learning rate ÷ 50), then seeds 2 and 3 of both, then seeds 4 to 7, then seeds
0 and 1 of μP with the first layer's rate × 1/8 (OUT/slow-first: the constant that moves the optimum
up toward the paper's ~10^-1, docs/nonlinear.md), on 16 learning rates: the 12 of the CPU run (docs/nonlinear.md, a factor 2.04 apart from 0.00118 to 3)
and 4 midpoints near the optimum. Files go to OUT/mup and OUT/remedy (benchmarks/kindex_jump.py's
format, so its ``report`` reads them; OUT/slow-first likewise); what benchmarks/data/kindex-T16384-gpu.tgz already holds is
unpacked there first and not trained again, so each GPU session continues the last. TGZ (an archive
of the folders) is rewritten after each file, so whatever finished comes back even if the call is
cut off; it replaces the archive in benchmarks/data. The chunk of (seed, η) pairs per compiled call
is raised to 48 GiB (memory limit 96 GiB) for the GPU: the 8 GiB default exists for laptops.
"""

from __future__ import annotations

import os
import sys
import tarfile
import time

import jax
import numpy as np

import kindex_jump as kj
import polylr
from polylr.claims.base import CheckOptions, budget_entry, get_budget
from polylr.claims.nonlinear import KINDEX_BUDGETS, kindex_data
from polylr.engines.mlp import GIB

CPU_GRID = np.geomspace(0.00118, 3.0, 12)
ETAS = np.sort(np.concatenate([CPU_GRID, np.sqrt(CPU_GRID[1:5] * CPU_GRID[2:6])]))  # + midpoints 0.0035 … 0.029


def env() -> None:
    print(f"jax {jax.__version__}, backend {jax.default_backend()}, devices {jax.devices()}")
    b = budget_entry(CheckOptions(budget=get_budget("thorough")), KINDEX_BUDGETS)
    print(f"gwb-relu-kindex --budget thorough here: widths {b['widths']}, seeds {b['seeds']}, steps {b['steps']}")


def precision() -> None:
    import polylr.analysis.train as train_module

    tr = polylr.Training(net=polylr.MLP(depth=0, activation="relu", bias=True, param=polylr.MUP_ADAM),
                         optimizer=polylr.Optimizer("adam"), data=kindex_data(64 * 256, seed=0),
                         eval_data=kindex_data(8192, seed=1_000_003), steps=64, batch=256, order_seed=1)
    g = np.geomspace(0.002, 0.5, 8)

    def held_out(dtype: str, device: str) -> np.ndarray:  # "gpu": the default backend (a CPU where there is no GPU)
        with jax.default_device(jax.devices()[0] if device == "gpu" else jax.devices("cpu")[0]):
            return polylr.train_curves(tr.replace(dtype=dtype), 1024, [0], g).objective[0]

    ref_cpu = held_out("float64", "cpu")
    rel = lambda a, b: float(np.max(np.abs(a - b) / np.abs(b)))  # noqa: E731
    print(f"held-out loss, float64 CPU: {' '.join(f'{v:.6e}' for v in ref_cpu)}")
    ref = held_out("float64", "gpu")
    print(f"float64 GPU vs float64 CPU: max relative difference {rel(ref, ref_cpu):.2e}")
    print(f"float32 GPU (true float32 products) vs float64 GPU: {rel(held_out('float32', 'gpu'), ref):.2e}")
    print(f"float32 CPU vs float64 CPU: {rel(held_out('float32', 'cpu'), ref_cpu):.2e}")
    scope = train_module._numerics
    train_module._numerics = lambda: jax.enable_x64(True)  # JAX's default precision: TF32 products on this GPU
    try:
        print(f"float32 GPU under JAX's default precision vs float64 GPU: {rel(held_out('float32', 'gpu'), ref):.2e}")
    finally:
        train_module._numerics = scope


DONE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "kindex-T16384-gpu.tgz")


def kindex(out: str, seconds: float, tgz: str, widths: list[int]) -> None:
    stop = time.time() + seconds
    if os.path.exists(DONE):
        with tarfile.open(DONE) as t:
            t.extractall(out, filter="data")
    t0 = time.perf_counter()
    data = kindex_data(kj.T * kj.B, seed=0)
    print(f"data: {time.perf_counter() - t0:.0f} s", flush=True)
    mup, remedy, slow = (kj.training(data, output=k, input=j).replace(memory_limit=96 * GIB) for k, j in ((1, 1), (kj.REMEDY, 1), (1, 1 / 8)))
    plan = [(p, tr, seeds) for seeds in ([0, 1], [2, 3], [4, 5, 6, 7]) for p, tr in (("mup", mup), ("remedy", remedy))]
    plan += [("slow-first", slow, [0, 1])]
    panels = dict.fromkeys(p for p, _, _ in plan)  # the folders, in order

    def pack() -> None:
        with tarfile.open(tgz + ".tmp", "w:gz") as t:
            for panel in panels:
                if os.path.isdir(os.path.join(out, panel)):
                    t.add(os.path.join(out, panel), arcname=panel)
        os.replace(tgz + ".tmp", tgz)

    for panel, tr, seeds in plan:
        if time.time() > stop:
            break
        print(f"== {panel}, seeds {seeds}, {stop - time.time():.0f} s left", flush=True)
        kj.run(os.path.join(out, panel), widths, seeds, ETAS, tr, chunk_bytes=48 * GIB, after=pack)


if __name__ == "__main__":
    a = sys.argv[1:]
    if a == ["env"]:
        env()
    elif a == ["precision"]:
        precision()
    elif a[:1] == ["kindex"] and len(a) in (4, 5):
        kindex(a[1], float(a[2]), a[3], [int(w) for w in (a[4] if len(a) == 5 else "256,1024,4096,8192,16384,32768").split(",")])
    else:
        raise SystemExit(__doc__)
