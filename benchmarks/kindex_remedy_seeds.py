"""Is the second minimum of gwb-relu-kindex's remedy curve at n = 128 (`--budget default`) real?

Trains the remedy panel (``MUP_ADAM.with_lr_factor(output=1/50)``, two-layer ReLU with biases, Adam,
batch 256, T = 256, squared loss) on the `default` budget's data, held-out points and grid (16
log-spaced η on [0.01, 3], master seed 0: seeds 0..7 are the claim's own networks) with more seeds,
grid only (the claim's ``modes`` test reads the grid curves only), and saves the validation losses
``(S, E)`` per width to ``OUT/remedy_n{n}.npz`` with the CPU time. ``analyse`` applies the claim's
``modes`` test (through ``polylr.claims.nonlinear.modes``) to the disjoint 8-seed blocks, to random
8-seed subsets and to all seeds, and gives each extra local minimum's depth below its hump with a
paired t over seeds next to the ``modes`` threshold (for all seeds and for each block with 2 modes).
``--panel mup`` trains the μP panel instead (issue 14: its second minimum at n = 512).

    OPENBLAS_NUM_THREADS=1 nice -n 10 PYTHONPATH=. python benchmarks/kindex_remedy_seeds.py train OUT SEEDS WIDTHS [--panel remedy|mup] [--master-seed M] [--grid LO,HI,K]
    PYTHONPATH=. python benchmarks/kindex_remedy_seeds.py analyse OUT
"""
import glob
import math
import resource
import time

import numpy as np


def training(panel: str = "remedy", master: int = 0):
    import polylr
    from polylr.claims.nonlinear import kindex_data

    param = polylr.MUP_ADAM.with_lr_factor(output=1 / 50) if panel == "remedy" else polylr.MUP_ADAM
    return polylr.Training(
        net=polylr.MLP(depth=0, activation="relu", bias=True, param=param), optimizer=polylr.Optimizer("adam"),
        data=kindex_data(256 * 256, seed=master), eval_data=kindex_data(2048, seed=master + 1_000_003), steps=256, batch=256,
        loss="squared", order_seed=1,
    )


GRID = np.geomspace(0.01, 3.0, 16)  # KINDEX_BUDGETS["default"]["grid"]


def train(out: str, widths: str, seeds: int, panel: str = "remedy", master: int = 0, grid: np.ndarray = GRID) -> None:
    import pathlib

    import polylr

    pathlib.Path(out).mkdir(parents=True, exist_ok=True)
    tr = training(panel, master)
    for n in map(int, widths.split(",")):
        c0, t0 = time.process_time(), time.perf_counter()
        cv = polylr.train_curves(tr, n, range(seeds), grid, master_seed=master)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        np.savez(f"{out}/{panel}_n{n}.npz", objective=cv.objective, grid=grid, master_seed=master, seeds=np.arange(seeds), cpu=cpu, wall=wall)
        print(f"{panel} n = {n}, master seed {master}: {seeds} seeds x {grid.size} η in {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"({1e3 * cpu / (seeds * grid.size):.0f} ms CPU per run incl. compile); diverged {int(np.sum(~np.isfinite(cv.objective)))}; "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB", flush=True)


def n_modes(obj: np.ndarray, grid: np.ndarray) -> list[float]:
    from polylr.claims.nonlinear import modes

    return [float(grid[i]) for i in modes(grid, obj)]


def depths(obj: np.ndarray, grid: np.ndarray, allm: list[float]) -> None:
    """Each local minimum of the seed-mean curve other than its best, against the highest point
    between it and the best one: depth and paired t over the seeds."""
    from polylr.claims.nonlinear import dip_threshold

    S = obj.shape[0]
    with np.errstate(invalid="ignore"):
        m = obj.mean(axis=0)
    best = int(np.nanargmin(m))
    local = [i for i in range(grid.size) if (i == 0 or m[i - 1] > m[i]) and (i == grid.size - 1 or m[i + 1] >= m[i])]
    for i in local:  # each other local minimum of the mean curve against its highest point between it and the best one
        if i == best or i in (0, grid.size - 1):
            continue
        lo, hi = sorted((i, best))
        p = lo + int(np.argmax(m[lo:hi + 1]))
        d = obj[:, p] - obj[:, i]  # paired over seeds
        t = d.mean() / (d.std(ddof=1) / math.sqrt(S))
        thr = dip_threshold(obj, i, p)  # what `modes` asks of a dip against this hump
        print(f"    local minimum η ≈ {grid[i]:.3g} ({'a mode' if float(grid[i]) in allm else 'not significant'}): depth below η ≈ {grid[p]:.3g} {d.mean():.3e} ({d.mean() / m[i]:.1%} of its loss), "
              f"paired t = {t:.2f} over {S} seeds (the `modes` threshold {thr:.2e}); its loss {m[i] / m[best]:.2f}× the optimum's")


def analyse(out: str, draws: int = 2000) -> None:
    rng = np.random.default_rng(14)
    for f in sorted(glob.glob(f"{out}/*_n*.npz")):
        z = np.load(f)
        obj, grid = z["objective"], z["grid"]
        S = obj.shape[0]
        print(f"== {f}: {S} seeds, {float(z['cpu']):.1f} s CPU")
        allm = n_modes(obj, grid)
        print(f"  all {S} seeds: modes at η ≈ {', '.join(f'{e:.3g}' for e in allm)}")
        depths(obj, grid, allm)
        for a in range(0, S - 7, 8):
            bm = n_modes(obj[a:a + 8], grid)
            print(f"  seeds {a}..{a + 7}: modes at η ≈ {', '.join(f'{e:.3g}' for e in bm)}")
            if len(bm) > 1:  # the block's own extra minima, with their paired t over its 8 seeds
                depths(obj[a:a + 8], grid, bm)
        multi = sum(len(n_modes(obj[rng.choice(S, 8, replace=False)], grid)) > 1 for _ in range(draws))
        print(f"  random 8-seed subsets (without replacement, {draws}): {multi / draws:.1%} give 2 or more modes")
        with np.errstate(invalid="ignore"):
            m, sd = obj.mean(axis=0), obj.std(axis=0, ddof=1)
        print("  η, mean, sd, se(S), per-seed argmin counts:")
        am = np.bincount(np.argmin(np.where(np.isfinite(obj), obj, np.inf), axis=1), minlength=grid.size)
        for i, g in enumerate(grid):
            print(f"   {g:7.4f} {m[i]:.4e} {sd[i]:.3e} {sd[i] / math.sqrt(S):.3e} {am[i]}")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("train", "analyse"))
    ap.add_argument("out")
    ap.add_argument("seeds", nargs="?", type=int, default=32)
    ap.add_argument("widths", nargs="?", default="128")
    ap.add_argument("--panel", choices=("remedy", "mup"), default="remedy")
    ap.add_argument("--master-seed", type=int, default=0, help="data seed, held-out seed - 1_000_003 and weight master seed (the claim's --master-seed)")
    ap.add_argument("--grid", default=None, help="lo,hi,k: k log-spaced η (default: the budget's 0.01,3,16)")
    a = ap.parse_args()
    if a.what == "train":
        g = GRID if a.grid is None else np.geomspace(*map(float, a.grid.split(",")[:2]), int(a.grid.split(",")[2]))
        train(a.out, a.widths, a.seeds, a.panel, a.master_seed, g)
    else:
        analyse(a.out)
