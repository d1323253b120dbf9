"""Time to the infinite-width limit polynomial (a script, not a test).

Targets (issue): exact limit polynomial for (t = 2, L = 3, m = 64) in <= 5 s and for
(t = 3, L = 2, m = 16) in <= 30 s on 2 CPU cores. Data: ``Data.synthetic(m, d=8, seed=0)``
(noise 0.1). Each case is run ``--repeat`` times (default 5) after one warm-up call; the minimum
and median wall times are printed. Also timed, for scale: evaluation mode at t = 5 and t = 10.

    PYTHONPATH=. python benchmarks/limit_speed.py
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import polylr

CASES = [  # (steps t, depth L, points m, target seconds)
    (2, 3, 64, 5.0),
    (3, 2, 16, 30.0),
]


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up (imports, first-call caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"polylr {polylr.__version__}; data: Data.synthetic(m, d=8, seed=0)")
    print(f"{'case':<22}{'mode':<8}{'loss deg':>9}{'min s':>11}{'median s':>11}{'target s':>10}  ok")
    for t, L, m, target in CASES:
        setup = polylr.Setup(polylr.Data.synthetic(m, 8, seed=0), L, t)
        for exact in (True, False):
            lim = polylr.limit_polys(setup, exact=exact)
            best, med = _time(lambda: polylr.limit_polys(setup, exact=exact), args.repeat)
            mode = "exact" if exact else "float"
            print(
                f"{f't={t}, L={L}, m={m}':<22}{mode:<8}{lim.degree:>9}{best:>11.4f}{med:>11.4f}{target:>10.0f}  "
                f"{'yes' if med <= target else 'NO'}"
            )
    etas = np.linspace(0.0, 2.0, 201)
    for t in (5, 10):
        setup = polylr.Setup(polylr.Data.synthetic(16, 8, seed=0), 3, t)
        best, med = _time(lambda: polylr.limit_loss_values(setup, etas), args.repeat)
        print(
            f"{f't={t}, L=3, m=16':<22}{'values':<8}{polylr.limit_degree(setup):>9}{best:>11.4f}{med:>11.4f}"
            f"{'':>10}  (201 values of L_inf on [0, 2])"
        )


if __name__ == "__main__":
    main()
