"""How many seeds per width would decide gwb-relu-ball's weak vs fast verdict? A parametric
bootstrap: per-seed log η*_n ~ N(log of the given geometric means, sd²) and φ*_n ~ N(given means,
0.006²) (the measured φ* spread is 0.003–0.008), S seeds per width, the claim's estimator
(``ball_gap_fits``: 2β − α from the gaps to the largest width, calibrated, with the paired bootstrap
over seeds, 300 resamples; ``fast_decision``'s rule), 40 replications per S; "decides" = the
verdict is not inconclusive (the 95 % CI of 2β − α lies at or above, or wholly below, tol = 0.1);
a replication with a zero gap counts as undecided (docs/nonlinear.md, "Weak vs fast: what deciding
it costs"). Prints β − α/2 (half of 2β − α) to compare with earlier estimates.

    PYTHONPATH=. python benchmarks/ball_projection.py ETAS SD PHIS [S,S,...]
    # the 64-seed measurement:
    PYTHONPATH=. python benchmarks/ball_projection.py 0.0814,0.0906,0.1033,0.1150,0.1213 0.29 0.5947,0.5009,0.4208,0.3730,0.3430
"""

from __future__ import annotations

import sys

import numpy as np

import polylr
from polylr.claims.nonlinear import ball_gap_fits

WIDTHS = (32, 64, 128, 256, 512)


def main(etas: list[float], sd: float, phis: list[float], sizes: list[int], reps: int = 40, tol: float = 0.1) -> None:
    if not (len(etas) == len(phis) == len(WIDTHS)):
        raise SystemExit(f"give {len(WIDTHS)} geometric means and {len(WIDTHS)} φ* means (widths {WIDTHS})")
    mu = np.log(etas)
    rng = np.random.default_rng(2)
    for S in sizes:
        res, status = [], []
        for rep in range(reps):
            logs = [rng.normal(m, sd, S) for m in mu]
            ph = [rng.normal(m, 0.006, S) for m in phis]
            try:
                gf = ball_gap_fits(WIDTHS, ph, logs, n_boot=300, boot_seed=rep)
            except polylr.PolylrError:
                res.append((np.nan, -np.inf, np.inf))
                status.append("inconclusive")
                continue
            g, ci = gf.combos["2β − α"]
            res.append((g / 2, ci[0] / 2, ci[1] / 2))
            status.append(polylr.fast_decision(gf, tol=tol).status)
        r = np.array(res)
        dec = np.mean([s != "inconclusive" for s in status])
        print(f"S = {S}: median β − α/2 {np.nanmedian(r[:, 0]):.3f}, median 95% CI [{np.median(r[:, 1]):.2f}, {np.median(r[:, 2]):.2f}], "
              f"decides in {dec:.0%} of {reps} (fast {status.count('holds')}, not fast {status.count('fails')})", flush=True)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    sizes = [int(x) for x in sys.argv[4].split(",")] if len(sys.argv) == 5 else [64, 200, 400, 800, 1600]
    main([float(x) for x in sys.argv[1].split(",")], float(sys.argv[2]), [float(x) for x in sys.argv[3].split(",")], sizes)
