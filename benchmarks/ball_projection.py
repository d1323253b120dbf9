"""How many seeds per width would decide gwb-relu-ball's weak vs fast verdict? A parametric
bootstrap: per-seed log η*_n ~ N(log of the given geometric means, sd²) and φ*_n ~ N(given means,
0.006²) (the measured φ* spread is 0.003–0.008), S seeds per width, the claim's estimator
(``joint_gap``: β − α/2 with a joint bootstrap over seeds, 300 resamples), 40 replications per S;
"decides" = the 95 % CI lies entirely above or below tol = 0.1 (docs/nonlinear.md, "Weak vs fast:
what deciding it costs").

    PYTHONPATH=. python benchmarks/ball_projection.py ETAS SD PHIS [S,S,...]
    # the 64-seed measurement:
    PYTHONPATH=. python benchmarks/ball_projection.py 0.0814,0.0906,0.1033,0.1150,0.1213 0.29 0.5947,0.5009,0.4208,0.3730,0.3430
"""

from __future__ import annotations

import sys

import numpy as np

from polylr.claims.nonlinear import joint_gap

WIDTHS = (32, 64, 128, 256, 512)


def main(etas: list[float], sd: float, phis: list[float], sizes: list[int], reps: int = 40, tol: float = 0.1) -> None:
    if not (len(etas) == len(phis) == len(WIDTHS)):
        raise SystemExit(f"give {len(WIDTHS)} geometric means and {len(WIDTHS)} φ* means (widths {WIDTHS})")
    mu = np.log(etas)
    rng = np.random.default_rng(2)
    for S in sizes:
        res = []
        for rep in range(reps):
            logs = [rng.normal(m, sd, S) for m in mu]
            ph = [rng.normal(m, 0.006, S) for m in phis]
            g, ci, _, _ = joint_gap(WIDTHS, ph, logs, 300, rep)
            res.append((g, ci[0], ci[1]))
        r = np.array(res)
        dec = np.mean((r[:, 2] < tol) | (r[:, 1] > tol))
        print(f"S = {S}: median β − α/2 {np.median(r[:, 0]):.3f}, median 95% CI [{np.median(r[:, 1]):.2f}, {np.median(r[:, 2]):.2f}], "
              f"decides in {dec:.0%} of {reps}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    sizes = [int(x) for x in sys.argv[4].split(",")] if len(sys.argv) == 5 else [64, 200, 400, 800, 1600]
    main([float(x) for x in sys.argv[1].split(",")], float(sys.argv[2]), [float(x) for x in sys.argv[3].split(",")], sizes)
