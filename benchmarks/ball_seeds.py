"""gwb-relu-ball with many seeds, in seed batches that survive interruption (docs/nonlinear.md, "Weak
vs fast: what deciding it costs").

    # train: seeds FROM..TO-1 in batches of BATCH, every width, the claim's default budget's settings;
    # one JSON per (batch, width) under DIR (grid curves, optima, CPU time); existing seeds are skipped
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. nice -n 10 python benchmarks/ball_seeds.py run DIR FROM TO [BATCH] [--refine]
    # verdicts: seeds 0..S-1 (the largest S present at every width, or at most MAX), optima on the
    # grid (no refinement; with --refine: the refined optima, where every seed was run with --refine)
    PYTHONPATH=. python benchmarks/ball_seeds.py verdicts DIR [MAX] [--refine]

    # the weak-vs-fast verdict of a saved claim run (its DIR/gwb-relu-ball/summary.json, or the
    # results.json of a run made before commit cd4fa7f: per-seed refined optima), recomputed with
    # the claim's current estimator, bootstrap seed and the budget's n_boot
    PYTHONPATH=. python benchmarks/ball_seeds.py rejudge SUMMARY_JSON

A seed's curves do not depend on the other seeds of its batch (checked: seeds 4..11 at n = 32
reproduce the 8-seed batches 0..7 and 8..15 bit for bit), so the verdicts are those of
``polylr check gwb-relu-ball --seeds S`` with the same refinement.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import sys
import time

import numpy as np

import polylr
from polylr.claims.base import BOUNDARY_LIMIT, CheckOptions
from polylr.claims.nonlinear import ball_gap_fits, ball_training, ball_verdicts


def run(out: str, lo: int, hi: int, batch: int, refine: bool) -> None:
    os.makedirs(out, exist_ok=True)
    b, tr, grid = ball_training(CheckOptions())
    for start in range(lo, hi, batch):
        for w in b["widths"]:
            done = set()
            for fn in glob.glob(os.path.join(out, f"*_n{w}.json")):
                done.update(json.load(open(fn))["seeds"])
            todo = tuple(s for s in range(start, min(start + batch, hi)) if s not in done)
            if not todo:
                continue
            c0, t0 = time.process_time(), time.perf_counter()
            sc = polylr.scan_lr(tr, w, todo, grid, master_seed=0, refine=refine, xtol=b["xtol"], max_rounds=b["rounds"],
                                refine_mean=False)
            rec = dict(width=w, seeds=list(todo), refined=refine, grid=[float(g) for g in grid],
                       etas_star=[float(e) for e in sc.etas_star], phi=[float(np.inf if a is None else a.value) for a in sc.argmins],
                       on_boundary=[bool(a is None or a.on_boundary) for a in sc.argmins],
                       curves=np.asarray(sc.curves.objective).tolist(), evaluations=int(sc.evaluations),
                       cpu=time.process_time() - c0, wall=time.perf_counter() - t0)
            with open(os.path.join(out, f"{'r' if refine else 'g'}{todo[0]}-{todo[-1]}_n{w}.json"), "w") as f:
                json.dump(rec, f)
            print(f"n = {w}, seeds {todo[0]}..{todo[-1]}: {rec['evaluations']} trainings, CPU {rec['cpu']:.1f} s, wall {rec['wall']:.1f} s", flush=True)


def verdicts(out: str, refine: bool, most: int | None = None) -> None:
    b, _, grid = ball_training(CheckOptions())
    ws = list(b["widths"])
    seeds = {w: {} for w in ws}
    cpu = 0.0
    for w in ws:
        for fn in glob.glob(os.path.join(out, f"*_n{w}.json")):
            r = json.load(open(fn))
            cpu += r["cpu"]
            if not np.allclose(r["grid"], grid):
                raise SystemExit(f"{fn}: another grid")
            for i, s in enumerate(r["seeds"]):
                if refine and not r["refined"]:
                    continue
                prev = seeds[w].get(s)
                if prev is not None and prev[0] != r["curves"][i]:
                    raise SystemExit(f"seed {s} at n = {w} differs between two files")
                seeds[w][s] = (r["curves"][i], r["etas_star"][i], r["phi"][i], r["on_boundary"][i])
    S = 0
    while (most is None or S < most) and all(S in seeds[w] for w in ws):
        S += 1
    if S < 2:
        raise SystemExit("fewer than 2 seeds at every width")
    scans = {}
    for w in ws:
        obj = np.array([seeds[w][s][0] for s in range(S)], dtype=np.float64)
        scans[w] = polylr.grid_scan(grid, obj, width=w)  # the grid's optima: what scan_lr(refine=False) returns
        if refine:  # the saved refined optima instead
            args = tuple(polylr.Argmin(seeds[w][s][1], seeds[w][s][2], (grid[0], grid[-1]), seeds[w][s][3]) for s in range(S))
            scans[w] = dataclasses.replace(scans[w], argmins=args)
    print(f"seeds 0..{S - 1} at widths {ws} ({'refined' if refine else 'grid'} optima); CPU time of all files {cpu:.0f} s")
    for w in ws:
        lg = np.log(scans[w].etas_star)
        print(f"n = {w}: geometric-mean η* {np.exp(lg.mean()):.4f}, sd of log η* {lg.std(ddof=1):.3f}, "
              f"φ* {np.mean([a.value for a in scans[w].argmins]):.4f}, on a grid end {np.mean([a.on_boundary for a in scans[w].argmins]):.0%}")
    vs, fits, _ = ball_verdicts(scans, CheckOptions())
    for k, f in fits.items():
        print(f"fit {k}: exponent {f.exponent:.3f}, 95% CI [{f.ci[0]:.3f}, {f.ci[1]:.3f}], values {[round(v, 4) for v in f.values]}")
    for v in vs:
        print(f"{v.claim}: {v.status} | {v.reason}")


def rejudge(path: str) -> None:
    r = json.load(open(path))
    if isinstance(r, list):  # results.json since schema 2: the tidy rows, without the panels' optima
        raise SystemExit(f"{path}: a results.json of tidy rows (one per verdict); pass the claim-level record, "
                         f"the summary.json next to it ({os.path.join(os.path.dirname(path) or '.', 'summary.json')})")
    if not isinstance(r, dict) or r.get("name") != "gwb-relu-ball":
        raise SystemExit(f"{path}: not a gwb-relu-ball result")
    ((lab, panel),) = r["panels"].items()
    ws = sorted(int(w) for w in panel)
    phis = [np.array([np.inf if a is None else a["value"] for a in panel[str(w)]["argmins"]]) for w in ws]
    logs = [np.log(np.array(panel[str(w)]["etas_star"], dtype=float)) for w in ws]
    opts = CheckOptions(budget=polylr.BUDGETS[r["budget"]["budget"]])
    gf = ball_gap_fits(ws, phis, logs, n_boot=opts.budget.n_boot, boot_seed=opts.master_seed * 16 + 16)
    d = polylr.fast_decision(gf, tol=opts.tol)
    print(f"{path}: budget {r['budget']['budget']}, widths {ws}, {min(p.size for p in phis)} seeds")
    for q in "ab":
        f = gf.fits[q]
        print(f"fit {f.quantity}: exponent {f.exponent:.3f}, 95% CI [{f.ci[0]:.3f}, {f.ci[1]:.3f}], values {[round(v, 4) for v in f.values]}")
    p, ci = gf.combos["2β − α"]
    print(f"β − α/2 = {p / 2:.3f}, 95% CI [{ci[0] / 2:.3f}, {ci[1] / 2:.3f}]")
    print(f"gwb-relu-ball.fast: {d.status} | {d.reason}")
    # the claim's grid's-end guard (ball_verdicts): optima on an end of the grid are bounds, not values
    ends = {w: float(np.mean([a is None or a["on_boundary"] for a in panel[str(w)]["argmins"]])) for w in ws}
    worst = max(ends, key=ends.get)
    if ends[worst] > BOUNDARY_LIMIT:
        print(f"but at n = {worst} {ends[worst]:.0%} of the seeds' optima sit on the grid's end (limit {BOUNDARY_LIMIT:.0%}): "
              "the claim reports gwb-relu-ball.fast inconclusive")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--refine"]
    ref = "--refine" in sys.argv
    if args[:1] == ["run"] and len(args) in (4, 5):
        run(args[1], int(args[2]), int(args[3]), int(args[4]) if len(args) == 5 else 8, ref)
    elif args[:1] == ["rejudge"] and len(args) == 2:
        rejudge(args[1])
    elif args[:1] == ["verdicts"] and len(args) in (2, 3):
        verdicts(args[1], ref, int(args[2]) if len(args) == 3 else None)
    else:
        raise SystemExit(__doc__)
