"""Fuzz a limit claim over data sets: at L = 1 (one trained hidden layer), fixed t = 2, under μP,
the minimiser η_n fluctuates like n^-1/2 around η_∞ (Sakai & Imaizumi's b_n = Θ_p(n^-1/2)).

The claim returns a badness score (the distance of the fitted exponent of sd(η_n) from -1/2) that
hypothesis pushes up, and fails (AssertionError) where the exponent's 95 % interval lies outside
-1/2 ± 0.1; fuzz_claim then shrinks to a minimal data set. Dense engine: widths 64..256 (pass
``sampler=`` to argmins_by_width for the width-free sampler and widths to 2^20).

    PYTHONPATH=. python docs/examples/fuzz_l1_fluctuation.py [max_examples] [min_ky]
"""

import sys

import numpy as np

import polylr
from polylr.testing import argmins_by_width, assert_rate, datasets, fuzz_claim

WIDTHS, NETWORKS = (64, 128, 256), 256


def claim(data: polylr.Data) -> float:
    setup = polylr.Setup(data=data, depth=1, steps=2, param="mup")
    interval = (0.0, 3 * polylr.eta_inf_t1(setup))
    samples = argmins_by_width(setup, WIDTHS, NETWORKS, interval)
    v = assert_rate(samples, -0.5, kind="fluctuation", allow_inconclusive=True)
    fit = v.evidence["fit"]
    print(f"m={data.m} d={data.d} cond(X)={np.linalg.cond(data.X):.3g}: {v.reason}", flush=True)
    return abs(fit["exponent"] + 0.5)


if __name__ == "__main__":
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    min_ky = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    report = fuzz_claim(claim, datasets(m=3, d=2, min_ky=min_ky), max_examples=examples, seed=0)
    print(report.markdown())
