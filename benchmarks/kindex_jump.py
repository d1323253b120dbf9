"""Ghosh–Wu–Bietti's kindex jump at the smallest setting that could show it (docs/nonlinear.md,
"The jump at the paper's T"): μP (MUP_ADAM), two-layer ReLU with biases, Adam, T = 2^14 steps of
batch 256 on fresh data, n = 4096 and 8192, 9 log-spaced η on [0.01, 3] (a factor 2.04 apart),
8192 held-out points, float32, seeds 0 and 1; ETAS adds learning rates to a grid.

    # train: one JSON per (seed, width, call) in OUT (Curves.to_json, CPU and wall time, the batch
    # loss every 256 steps); η already in OUT for that (seed, width) are skipped, and a file is
    # written whole or not at all, so an interrupted run resumes
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/kindex_jump.py run OUT [WIDTHS] [SEEDS] [ETAS] [--remedy]
    # other panels: the second- (first-) layer learning rate times K (J) (--remedy is K = 1/50), T steps
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/kindex_jump.py run OUT ... --output-lr K --input-lr J --steps T
    # what the files say: per width (on the η every seed has) the seed-mean curve, its significant
    # minima (the claim's `modes`), each seed's grid optimum, the claim's jump verdict; a figure
    PYTHONPATH=. python benchmarks/kindex_jump.py report OUT [PNG]
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import time

import numpy as np

import polylr
from polylr.claims.base import CheckOptions
from polylr.claims.nonlinear import jump_verdict, kindex_data, modes
from polylr.engines.mlp import CHUNK_BYTES

T, B = 2**14, 256
GRID = np.geomspace(0.01, 3.0, 9)


REMEDY = 1 / 50  # GWB's remedy: the second-layer learning rate ÷ 50


def training(data: polylr.Data | None = None, *, output: float = 1.0, input: float = 1.0, steps: int = T) -> polylr.Training:
    """The claim's μP training at T = 2^14, with the second layer's learning rate times ``output``
    (the remedy: :data:`REMEDY`) and the first layer's (not its biases') times ``input`` (use another
    OUT for each: a folder holds one panel); ``steps`` instead of T; ``data``: the training data if
    already drawn (``kindex_data(steps * B, seed=0)``, half a minute to draw at T = 2^14)."""
    param = polylr.MUP_ADAM if output == input == 1 else polylr.MUP_ADAM.with_lr_factor(input=input, output=output)
    return polylr.Training(net=polylr.MLP(depth=0, activation="relu", bias=True, param=param),
                           optimizer=polylr.Optimizer("adam"), data=data or kindex_data(steps * B, seed=0),
                           eval_data=kindex_data(8192, seed=1_000_003), steps=steps, batch=B, order_seed=1)


def run(out: str, widths: list[int], seeds: list[int], etas: np.ndarray, tr: polylr.Training, *,
        chunk_bytes: int = CHUNK_BYTES, after=None) -> None:
    """Train what OUT lacks with ``tr`` (:func:`training`); ``chunk_bytes`` the working memory per
    compiled call, ``after()`` called after each file is written."""
    os.makedirs(out, exist_ok=True)
    have = load(out)
    for s in seeds:
        for n in widths:
            todo = np.array([e for e in etas if not np.any(np.isclose(e, have.get(n, {}).get(s, {}).get("etas", [])))])
            if not todo.size:
                continue
            path = os.path.join(out, f"s{s}_n{n}_{todo[0]:.4g}-{todo[-1]:.4g}.json")
            c0, t0 = time.process_time(), time.perf_counter()
            cv = polylr.train_curves(tr, n, [s], todo, chunk_bytes=chunk_bytes)
            every = cv.curve[0, :, ::256]
            rec = {**cv.to_json(), "cpu_seconds": time.process_time() - c0, "wall_seconds": time.perf_counter() - t0,
                   "curve_every_256": np.where(np.isfinite(every), every, None).tolist()}
            with open(path + ".tmp", "w") as f:
                json.dump(rec, f)
            os.replace(path + ".tmp", path)  # a file is complete or absent
            print(f"seed {s} n = {n}: {rec['wall_seconds']:.0f} s wall, {rec['cpu_seconds']:.0f} s CPU, chunk {cv.chunk}; eval "
                  + " ".join(f"{v:.3e}" for v in cv.objective[0]), flush=True)
            if after:
                after()


def load(out: str) -> dict[int, dict[int, dict]]:
    """Per width and seed: the learning rates trained (sorted), their validation losses (``inf``
    where diverged), the batch-loss traces and the CPU and wall time of all the files."""
    recs: dict[int, dict[int, dict]] = {}
    panels: dict[str, str] = {}
    for fn in sorted(glob.glob(os.path.join(out, "s*_n*.json"))):
        s, n = map(int, re.match(r"s(\d+)_n(\d+)", os.path.basename(fn)).groups())
        r = json.load(open(fn))
        d = recs.setdefault(n, {}).setdefault(s, {"etas": [], "objective": [], "trace": [], "cpu": 0.0, "wall": 0.0})
        panel = (r["training"]["param"]["name"], r["training"]["steps"])
        if panels.setdefault("panel", panel) != panel:
            raise SystemExit(f"{fn}: parametrization and steps {panel}, but {panels['panel']} elsewhere in {out} (one panel per folder)")
        d["panel"], d["steps"] = panel[0], panel[1]
        d["etas"] += r["etas"][0]
        d["objective"] += [np.inf if v is None else v for v in r["objective"][0]]
        d["trace"] += r["curve_every_256"]
        d["cpu"] += r["cpu_seconds"]
        d["wall"] += r["wall_seconds"]
    for by in recs.values():
        for d in by.values():
            o = np.argsort(d["etas"])
            d["etas"], d["objective"] = np.asarray(d["etas"])[o], np.asarray(d["objective"], dtype=np.float64)[o]
            d["trace"] = [d["trace"][i] for i in o]
    return recs


def scan(n: int, by_seed: dict[int, dict]) -> polylr.LRScan:
    """The files of one width, on the learning rates every seed has, as the LRScan that
    scan_lr(refine=False) would return."""
    ss = sorted(by_seed)
    grid = np.array([e for e in by_seed[ss[0]]["etas"] if all(np.any(np.isclose(e, by_seed[s]["etas"])) for s in ss)])
    obj = np.array([[by_seed[s]["objective"][np.argmin(np.abs(by_seed[s]["etas"] - e))] for e in grid] for s in ss])
    return polylr.grid_scan(grid, obj, width=n, seeds=ss)


def _panel(recs) -> tuple[str, str, int]:
    """The verdict tag, the label and the steps T of the folder's panel (μP, the remedy, or μP
    with other first- and second-layer learning-rate factors)."""
    first = next(iter(next(iter(recs.values())).values()))
    name, steps = first["panel"], first["steps"]
    if name == "mup-adam":
        return "mup", "μP", steps
    j, _, k = (float(v) for v in re.search(r"lr\(([^)]+)\)", name).group(1).split(","))
    if j == 1 and abs(k - REMEDY) < 1e-12:
        return "remedy", "μP, 2nd-layer lr ÷ 50", steps
    return f"in{j:g}-out{k:g}", f"μP, lr × {j:g} (1st layer), × {k:g} (2nd)", steps


def report(out: str, png: str | None) -> None:
    recs = load(out)
    if not recs:
        raise SystemExit(f"no s*_n*.json files in {out}")
    scans = {n: scan(n, recs[n]) for n in sorted(recs)}
    cpu = sum(r["cpu"] for by in recs.values() for r in by.values())
    wall = sum(r["wall"] for by in recs.values() for r in by.values())
    print(f"T = {_panel(recs)[2]}, batch {B}; {cpu:.0f} s CPU, {wall:.0f} s wall in all files")
    for n, sc in scans.items():
        obj = sc.curves.objective
        mean = np.mean(obj, axis=0)
        print(f"n = {n}, seeds {list(sc.curves.seeds)}:")
        print("  η:      " + " ".join(f"{g:9.3g}" for g in sc.grid))
        for s, row in zip(sc.curves.seeds, obj):
            print(f"  seed {s}: " + " ".join(f"{v:.3e}" for v in row) + f"  -> grid optimum {sc.grid[np.argmin(row)]:.3g}"
                  + (" (grid end)" if np.argmin(row) in (0, row.size - 1) else ""))
        print("  mean:   " + " ".join(f"{v:.3e}" for v in mean) + f"  -> grid optimum {sc.mean_argmin.eta:.3g}")
        ms = modes(sc.grid, obj)
        print(f"  significant minima of the mean curve (the claim's modes): {[float(f'{sc.grid[i]:.3g}') for i in ms]}")
    if len(scans) >= 2:
        tag, lab, _ = _panel(recs)
        v = jump_verdict(f"gwb-relu-kindex.{tag}.jump", lab, scans, CheckOptions().budget.n_boot, 40)
        print(f"{v.claim}: {v.status} | {v.reason}")
    if png:
        figure(recs, scans, png)
        print(f"figure: {png}")


def figure(recs, scans, png: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for k, (n, sc) in enumerate(scans.items()):
        col = f"C{k}"
        for row in sc.curves.objective:
            a.plot(sc.grid, row, color=col, alpha=0.35, lw=0.8)
        mean = np.mean(sc.curves.objective, axis=0)
        a.plot(sc.grid, mean, "o-", color=col, label=f"n = {n} (mean of {len(sc.curves.seeds)} seed{'s' if len(sc.curves.seeds) > 1 else ''})")
        s0 = min(recs[n])
        e = int(np.argmin(np.abs(recs[n][s0]["etas"] - sc.grid[np.argmin(mean)])))
        trace = np.array([np.nan if v is None else v for v in recs[n][s0]["trace"][e]], dtype=float)
        b.plot(np.arange(trace.size) * 256, trace, color=col, lw=0.8, label=f"n = {n}, η = {sc.grid[np.argmin(mean)]:.3g}, seed {s0}")
    a.set(xscale="log", yscale="log", xlabel="η (Adam, μP)", ylabel=f"validation loss after T = {_panel(recs)[2]} steps",
          title=f"gwb-relu-kindex, {_panel(recs)[1]}: loss vs learning rate")
    b.set(yscale="log", xlabel="step", ylabel="batch loss (every 256th step)", title="training at each width's optimum")
    a.legend(fontsize=8)
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def _option(a: list[str], flag: str, default: float) -> float:
    """The value after ``flag`` in ``a`` (both removed), else ``default``."""
    if flag not in a:
        return default
    i = a.index(flag)
    if i + 1 >= len(a):
        raise SystemExit(f"{flag} needs a value")
    v = float(a[i + 1])
    del a[i : i + 2]
    return v


if __name__ == "__main__":
    remedy = "--remedy" in sys.argv
    a = [x for x in sys.argv[1:] if x != "--remedy"]
    output, input_, steps = _option(a, "--output-lr", 1.0), _option(a, "--input-lr", 1.0), int(_option(a, "--steps", T))
    if a[:1] == ["run"] and 2 <= len(a) <= 5:
        run(a[1], [int(w) for w in (a[2] if len(a) > 2 else "4096,8192").split(",")],
            [int(s) for s in (a[3] if len(a) > 3 else "0,1").split(",")],
            np.array([float(e) for e in a[4].split(",")]) if len(a) > 4 else GRID,
            training(output=REMEDY if remedy else output, input=input_, steps=steps))
    elif a[:1] == ["report"] and len(a) in (2, 3):
        report(a[1], a[2] if len(a) == 3 else None)
    else:
        raise SystemExit(__doc__)
