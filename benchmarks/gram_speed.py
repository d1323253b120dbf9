"""Benchmark: the Gram sampler (width-free, exact in law) against dense sampling and a fair grid search.

Setup: L = 3, m = 500, d = 8 (built-in synthetic data, seed 0), interval [0, 4 η_∞^(1)].
Everything is timed warm (each shape compiled by an untimed first call); compile times are printed.

1. Per-network time of the exact coefficients (``finite_width_polys``, sampler="gram") at
   n = 2^6 and n = 2^30 (t = 1): target ratio <= 1.5. Per-network times (here and in 4.) are the
   best of 3 warm runs: a single run's ratio swung from 0.8 to 1.6 on an idle machine.
2. Throughput end to end (``polylr.sweep``: coefficients, certified argmin η_n and the float64
   resolution check), sampler="gram", n = 2^20: t = 1 (target >= 2000 networks/s) and t = 2
   (target >= 100 networks/s).
3. η_n per network against a fair grid search at n = 1024 (dense networks of the same law: the
   gradient once per network, then one jit-compiled forward pass per grid point, 120 + 60 points):
   target >= 1000x.
4. Dense against Gram per network (coefficients only, t = 1) across widths: the crossover for
   ``sampler="auto"``.

    python benchmarks/gram_speed.py            # all of it
    python benchmarks/gram_speed.py --quick    # fewer networks
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import polylr

GRID, REFINE = 120, 60


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def per_network(setup, width, S, sampler, master_seed=1, repeat=3):
    """Seconds per network, the best of ``repeat`` warm timings (as timeit: one slow run measures the machine)."""
    polylr.finite_width_polys(setup, width, range(S), sampler=sampler, master_seed=master_seed + repeat)  # warm
    return min(timed(polylr.finite_width_polys, setup, width, range(S), sampler=sampler, master_seed=master_seed + r)[1]
               for r in range(repeat)) / S


def _loss(Ws, W0, V, X, y):
    h = X @ W0.T
    for i in range(Ws.shape[0]):
        h = h @ Ws[i].T
    return jnp.mean((h @ V - y) ** 2) / 2


_grad = jax.jit(jax.grad(_loss))
_forward = jax.jit(lambda Ws, g, W0, V, X, y, step: _loss(Ws - step * g, W0, V, X, y))


def fair_grid_search(setup, width, seed, lo, hi):
    """η_n by a fair grid search: the gradient once, then one forward pass per grid point."""
    with jax.enable_x64(True):
        X, y = jnp.asarray(setup.data.X), jnp.asarray(setup.data.y)
        hidden_lr = setup.param.scales(width, setup.data.d).hidden_lr
        W0, Ws, V = (jnp.asarray(a) for a in polylr.draw_weights(polylr.weight_key(0, width, seed), setup, width))
        g = _grad(Ws, W0, V, X, y)

        def losses(etas):
            return np.array([float(_forward(Ws, g, W0, V, X, y, e * hidden_lr)) for e in etas])

        coarse = np.linspace(lo, hi, GRID)
        k = int(np.argmin(losses(coarse)))
        fine = np.linspace(coarse[max(k - 1, 0)], coarse[min(k + 1, GRID - 1)], REFINE)
        return float(fine[int(np.argmin(losses(fine)))])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer networks")
    args = ap.parse_args()
    q = args.quick
    data = polylr.Data.synthetic(500, 8, seed=0)
    s1 = polylr.Setup(data=data, depth=3, steps=1)
    s2 = polylr.Setup(data=data, depth=3, steps=2)
    lo, hi = 0.0, 4 * polylr.eta_inf_t1(s1)
    print(f"L = 3, m = 500, d = 8; jax {jax.__version__} on {jax.default_backend()}, {jax.device_count()} device(s)")
    for s in (s1, s2):
        g = polylr.GramSampler.for_setup(s, 2**20)
        print(f"t = {s.steps}: Gram capacities K = {g.K}, forward {g.A}, backward {g.B}")

    # 1. width-independence
    S = 1024 if q else 4096
    _, cold = timed(polylr.finite_width_polys, s1, 2**6, range(8), sampler="gram", master_seed=7)
    small, large = per_network(s1, 2**6, S, "gram"), per_network(s1, 2**30, S, "gram")
    print(f"\n1. coefficients, t = 1, {S} networks: n = 2^6 {small * 1e6:.0f} us/network, n = 2^30 "
          f"{large * 1e6:.0f} us/network, ratio {large / small:.2f} (target <= 1.5); first call {cold:.1f} s")

    # 2. end-to-end throughput with eta_n
    for s, S in ((s1, 500 if q else 2000), (s2, 100 if q else 400)):
        polylr.sweep(s, [2**20], S, (lo, hi), sampler="gram", master_seed=3)  # warm
        sw, dt = timed(polylr.sweep, s, [2**20], S, (lo, hi), sampler="gram")
        methods = {r["method"] for r in sw.rows}
        print(f"2. sweep t = {s.steps}, n = 2^20, {S} networks: {S / dt:.0f} networks/s end to end (methods {methods})")
        polys, dtp = timed(polylr.finite_width_polys, s, 2**20, range(S), sampler="gram")
        t0 = time.perf_counter()
        for i in range(S):
            polylr.argmin(polys.loss_poly(i), lo, hi)
        dta = time.perf_counter() - t0
        print(f"   of which coefficients {S / dtp:.0f} networks/s, certified argmin {dta / S * 1e3:.2f} ms/network")

    # 3. against a fair grid search at n = 1024
    n, G = 1024, (2 if q else 4)
    fair_grid_search(s1, n, 0, lo, hi)  # warm
    _, grid_dt = timed(lambda: [fair_grid_search(s1, n, sd, lo, hi) for sd in range(G)])
    S = 500 if q else 2000
    polylr.sweep(s1, [n], S, (lo, hi), sampler="gram", master_seed=3)
    _, ours = timed(polylr.sweep, s1, [n], S, (lo, hi), sampler="gram")
    print(f"3. n = 1024: fair grid search {grid_dt / G * 1e3:.0f} ms/network, polylr (gram, certified η_n) "
          f"{ours / S * 1e3:.2f} ms/network: {grid_dt / G / (ours / S):.0f}x (target >= 1000x)")

    # 4. dense against gram per network (coefficients, t = 1)
    print("4. per network, coefficients, t = 1 (us):")
    S = 256 if q else 1024
    for n in (32, 64, 128, 256, 512):
        d = per_network(s1, n, S, "dense")
        g = per_network(s1, n, S, "gram")
        print(f"   n = {n:>4}: dense {d * 1e6:8.0f}   gram {g * 1e6:8.0f}   dense/gram {d / g:6.2f}")


if __name__ == "__main__":
    main()
