"""Benchmark: the Theorem 1 campaign by polylr against grid search, and against the sampling floor.

Campaign: L = 3, m = 500, d = 8 (built-in synthetic data, seed 0), widths 64..2048, 8 seeds,
interval [0, 4 η_∞].

- polylr: exact loss polynomial per seed (``polylr.sweep``) and its certified argmin.
- baseline (grid search, as done today): for each width and seed, a 120-point grid on
  [0, 4 η_∞], then a 60-point refinement between the best point's neighbours; each point is one
  full-batch gradient step (jax.grad, jit-compiled) and one forward pass for the loss.
- floor: drawing the L·n² + n·d + n Gaussian weights of each seed (jit-compiled), which any method
  must do; the target is polylr ≤ 1.5 × floor per seed.

Both methods use the same weights (the same keys) and are timed warm (every shape compiled
beforehand by a first, untimed pass), so the ratio compares work, not compilation; cold totals are
printed too.

    python benchmarks/theorem1_vs_grid.py            # the full campaign (the grid takes a while)
    python benchmarks/theorem1_vs_grid.py --quick    # widths 64..512, 4 seeds
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import polylr
from polylr.engines.coeffs import lr_factors

GRID, REFINE = 120, 60


def grid_search(setup, width, seed, lo, hi):
    """η_n by grid search: each point is one gradient step and one forward pass."""
    X, y = jnp.asarray(setup.data.X), jnp.asarray(setup.data.y)
    hidden_lr = lr_factors(setup, width)[1]
    W0, Ws, V = polylr.draw_weights(polylr.weight_key(0, width, seed), setup, width)

    def losses_at(etas):
        return np.array([float(_step_and_loss(W0, Ws, V, X, y, hidden_lr, float(e))) for e in etas])

    coarse = np.linspace(lo, hi, GRID)
    k = int(np.argmin(losses_at(coarse)))
    a, b = coarse[max(k - 1, 0)], coarse[min(k + 1, GRID - 1)]
    fine = np.linspace(a, b, REFINE)
    return float(fine[int(np.argmin(losses_at(fine)))])


def _loss(Ws, W0, V, X, y):
    h = X @ W0.T
    for i in range(Ws.shape[0]):
        h = h @ Ws[i].T
    return jnp.mean((h @ V - y) ** 2) / 2


@jax.jit
def _step_and_loss(W0, Ws, V, X, y, hidden_lr, eta):
    g = jax.grad(_loss)(Ws, W0, V, X, y)  # one full-batch gradient step on the hidden layers
    return _loss(Ws - eta * hidden_lr * g, W0, V, X, y)  # one forward pass


def floor_seconds(setup, width, seeds):
    s = setup.param.scales(width, setup.data.d)
    draw = jax.jit(lambda k: polylr.engines.coeffs.draw_dense(k, setup.data.d, width, setup.depth, *s.stds))
    jax.block_until_ready(draw(polylr.weight_key(0, width, 0)))
    t0 = time.perf_counter()
    for sd in range(seeds):
        jax.block_until_ready(draw(polylr.weight_key(0, width, sd)))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="widths 64..512 and 4 seeds")
    args = ap.parse_args()
    widths = [64, 128, 256, 512] if args.quick else [64, 128, 256, 512, 1024, 2048]
    seeds = 4 if args.quick else 8
    setup = polylr.Setup(data=polylr.Data.synthetic(500, 8, seed=0), depth=3, steps=1)
    eta_inf = polylr.eta_inf_t1(setup)
    lo, hi = 0.0, 4 * eta_inf
    print(f"campaign: L = 3, m = 500, d = 8, widths {widths}, {seeds} seeds, interval [0, {hi:.4g}]; "
          f"jax {jax.__version__} on {jax.default_backend()}, {jax.device_count()} device(s)")

    t0 = time.perf_counter()
    polylr.sweep(setup, widths, seeds, (lo, hi))
    polylr_cold = time.perf_counter() - t0
    per_width = {}
    t0 = time.perf_counter()
    for w in widths:
        t1 = time.perf_counter()
        sw = polylr.sweep(setup, [w], seeds, (lo, hi))
        per_width[w] = (time.perf_counter() - t1, sw.etas(w))
    polylr_warm = time.perf_counter() - t0

    grid_eta, grid_time = {}, {}
    t0 = time.perf_counter()
    for w in widths:  # warm-up: compile every shape once (one grid point per width)
        W0, Ws, V = polylr.draw_weights(polylr.weight_key(0, w, 0), setup, w)
        float(_step_and_loss(W0, Ws, V, jnp.asarray(setup.data.X), jnp.asarray(setup.data.y), 1.0, 0.1))
    grid_compile = time.perf_counter() - t0
    for w in widths:
        t1 = time.perf_counter()
        grid_eta[w] = np.array([grid_search(setup, w, sd, lo, hi) for sd in range(seeds)])
        grid_time[w] = time.perf_counter() - t1
        print(f"  grid search n = {w}: {grid_time[w]:.1f} s", flush=True)
    grid_warm = sum(grid_time.values())

    floors = {w: floor_seconds(setup, w, seeds) for w in widths}
    print()
    print(f"{'n':>6} {'polylr s':>10} {'grid s':>10} {'speed-up':>9} {'floor s':>9} {'polylr/floor':>12} {'max |Δη|':>10}")
    for w in widths:
        pt, pe = per_width[w]
        print(f"{w:>6} {pt:>10.3f} {grid_time[w]:>10.2f} {grid_time[w] / pt:>9.0f} {floors[w]:>9.3f} "
              f"{pt / floors[w]:>12.2f} {np.max(np.abs(pe - grid_eta[w])):>10.2e}")
    floor_total = sum(floors.values())
    worst = max(float(np.max(np.abs(per_width[w][1] - grid_eta[w]))) for w in widths)
    step = 4 * eta_inf / (GRID - 1) * 2 / (REFINE - 1)
    print()
    print(f"polylr (warm): {polylr_warm:.2f} s    grid search (warm): {grid_warm:.1f} s    "
          f"speed-up: {grid_warm / polylr_warm:.0f}x")
    print(f"cold (with compilation): polylr {polylr_cold:.2f} s, grid {grid_warm + grid_compile:.1f} s")
    print(f"polylr per seed over the floor (all widths): {polylr_warm / floor_total:.2f}x "
          f"(largest width: {per_width[widths[-1]][0] / floors[widths[-1]]:.2f}x)")
    print(f"largest |η_n(polylr) − η_n(grid)|: {worst:.2e} (grid resolution after refinement: {step:.2e})")


if __name__ == "__main__":
    with jax.enable_x64(True):  # the floor's draw and the grid search in float64, as polylr computes
        main()
