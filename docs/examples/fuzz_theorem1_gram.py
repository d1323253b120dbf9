"""Fuzz Hayou's Theorem 1 over data sets at widths up to 2^20 with the width-free Gram sampler.

Theorem 1 (t = 1, μP, hidden layers trained, Ky ≠ 0): the minimiser η_n of each network's loss
on [0, 4 η_∞] converges to η_∞ = (m/L) yᵀKy/‖Ky‖² with |η_n − η_∞| = O(n^-1/2). Each drawn data
set (m, d, noise, scale, conditioning of X and hence of K = XXᵀ/d; with ‖Ky‖/(‖K‖‖y‖) and
‖y‖/‖X‖ bounded below, see data_sets) and depth L = 1..3 gets a width sweep n = 2^8, 2^11, 2^14, 2^17, 2^20 with the Gram sampler (exact in law, cost
independent of n); the claim

- fails (AssertionError, then hypothesis shrinks the data set) when the 95 % bootstrap interval of
  the exponent of mean |η_n − η_∞| lies wholly above -1/2 + 0.1 (``assert_converges``);
- otherwise returns a badness score that hypothesis's targeted search pushes up: the relative rate
  constant C = √n · mean |η_n − η_∞| / η_∞ at n = 2^20 (large C: the O(n^-1/2) holds with a large
  constant, i.e. width 2^20 is needed for a small relative error).

``--param sp`` is the negative control: the same run under SP, where η_n does not converge to
μP's η_∞, must fail.

    PYTHONPATH=. python docs/examples/fuzz_theorem1_gram.py [--examples 25] [--networks 128] [--param mup]
    PYTHONPATH=. python docs/examples/fuzz_theorem1_gram.py --ky-sweep      # C as Ky -> 0, one data set
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from hypothesis import strategies as st

import polylr
from polylr.testing import argmins_by_width, assert_converges, datasets, fuzz_claim

WIDTHS = (2**8, 2**11, 2**14, 2**17, 2**20)
NETWORKS = 128


def scaled(data: polylr.Data, scale: float) -> polylr.Data:
    """The same data set with X and y multiplied by ``scale`` (η_∞ scales like 1/scale²)."""
    return polylr.Data(scale * data.X, scale * data.y, source=f"{data.source} x {scale:g}")


MIN_KY, MIN_Y = 0.1, 0.1


def data_sets(m=st.integers(1, 8), d=st.integers(1, 6), *, min_ky=MIN_KY, min_y=MIN_Y):
    """Data sets over (m, d, noise, scale, conditioning), shrinking to m = d = 1, scale 1.

    Kept where widths <= 2^20 can be asymptotic (both bounds found by fuzzing, see docs/testing.md):
    ‖Ky‖ >= min_ky ‖K‖‖y‖ and ‖y‖ >= min_y ‖X‖_F (a target small against X is swamped by the
    random initial output, of size n^-1/2, up to n ~ (‖X‖/‖y‖)²). ``min_y=0`` drops the second."""
    base = datasets(m=m, d=d, noise=st.floats(0.0, 2.0), max_cond=st.sampled_from([10.0, 1e3, 1e5]), min_ky=min_ky)
    base = base.filter(lambda data: np.linalg.norm(data.y) >= min_y * np.linalg.norm(data.X))
    return st.builds(scaled, base, st.sampled_from([1.0, 0.1, 10.0, 0.01, 100.0]))


def cases(m=st.integers(1, 8), d=st.integers(1, 6), depth=st.integers(1, 3), **bounds):
    """(data set, depth L) pairs (``bounds``: ``min_ky``, ``min_y`` of :func:`data_sets`)."""
    return st.tuples(data_sets(m, d, **bounds), depth)


def ky_ratio(data: polylr.Data) -> float:
    """‖Ky‖ / (‖K‖₂ ‖y‖): how close Ky is to 0 (the theorem assumes Ky ≠ 0)."""
    K = data.K
    return float(np.linalg.norm(K @ data.y) / (np.linalg.norm(K, 2) * np.linalg.norm(data.y)))


def theorem1(data: polylr.Data, *, depth: int = 1, param: str = "mup", widths=WIDTHS, networks: int = NETWORKS,
             log=None) -> float:
    """The claim on one data set: raises AssertionError when refuted, else returns the relative rate constant."""
    setup = polylr.Setup(data=data, depth=depth, steps=1, param=param)
    eta_inf = polylr.eta_inf_t1(setup.replace(param="mup"))
    samples = argmins_by_width(setup, widths, networks, (0.0, 4 * eta_inf), sampler="gram")
    v = assert_converges(samples, eta_inf, rate=-0.5, allow_inconclusive=True, name="η_n")
    n = max(samples)
    const = math.sqrt(n) * float(np.mean(np.abs(samples[n] - eta_inf))) / eta_inf
    if log is not None:
        log(f"L={depth} m={data.m} d={data.d} cond(X)={np.linalg.cond(data.X):.3g} |Ky|/(|K||y|)={ky_ratio(data):.2g} "
            f"|y|={np.linalg.norm(data.y):.3g} "
            f"η_∞={eta_inf:.4g}: {v.status}, exponent {v.evidence['fit']['exponent']:.3f}, C = {const:.3g}")
    return const


def ky_sweep(networks: int = NETWORKS, eps=(1.0, 0.1, 1e-2, 1e-3, 1e-4)) -> None:
    """Ky → 0 directly: m = 4 points in d = 2 dimensions, y = ε·u + v with u in the range of K and v
    in its null space (so ‖Ky‖/(‖K‖‖y‖) ≈ ε); the relative rate constant C at each ε."""
    X = np.array([[1.0, 0.3], [0.2, 1.0], [0.5, -0.4], [-0.3, 0.6]])
    U, _, _ = np.linalg.svd(X)
    u, v = U[:, 0] + 0.5 * U[:, 1], U[:, 2] + U[:, 3]
    for e in eps:
        data = polylr.Data(X, e * u + v, source=f"Ky sweep eps={e:g}")
        try:
            theorem1(data, networks=networks, log=lambda s: print(f"ε = {e:g}: {s}", flush=True))
        except AssertionError as err:
            lines = str(err).splitlines()
            print(f"ε = {e:g}: |Ky|/(|K||y|)={ky_ratio(data):.2g}, η_∞={polylr.eta_inf_t1(polylr.Setup(data=data, depth=1)):.4g}: "
                  f"REFUTED at these widths: {lines[1].strip()}", flush=True)
            print("\n".join(lines[3:-1]), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=25)
    p.add_argument("--networks", type=int, default=NETWORKS)
    p.add_argument("--param", default="mup")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-ky", type=float, default=MIN_KY)
    p.add_argument("--min-y", type=float, default=MIN_Y)
    p.add_argument("--ky-sweep", action="store_true", help="instead of fuzzing: C as Ky -> 0 on one data set")
    a = p.parse_args()
    t0 = time.perf_counter()
    if a.ky_sweep:
        ky_sweep(a.networks)
        print(f"total {time.perf_counter() - t0:.0f} s; widths {WIDTHS}, {a.networks} networks per width")
        return
    report = fuzz_claim(
        lambda case: theorem1(case[0], depth=case[1], param=a.param, networks=a.networks, log=lambda s: print(s, flush=True)),
        cases(min_ky=a.min_ky, min_y=a.min_y), max_examples=a.examples, seed=a.seed,
    )
    print(report.markdown())
    print(f"total {time.perf_counter() - t0:.0f} s; widths {WIDTHS}, {a.networks} networks per width, param {a.param}")


if __name__ == "__main__":
    main()
