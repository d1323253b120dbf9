"""Sakai & Imaizumi's L = 1, fixed-t gaps on the dense engine (docs/testing.md, tutorial step 2):
b_n = η_n − η_∞ and c_n = L_n(η_∞) − L_n(η_n) per network at t = 2, widths 64..512, 256 networks,
for a generic data set and for K = I (XXᵀ = d·I, where c_n = Θ(n^-t)).

    PYTHONPATH=. python docs/examples/transfer_gaps_l1.py      (about 3 min on 2 cores)
"""

import time
import numpy as np
import polylr
from polylr.testing import assert_exponent, assert_rate

P = np.polynomial.polynomial.polyval


def transfer_gaps(setup, widths, networks, interval):
    """Per network and width: b_n = η_n − η_∞ and c_n = L_n(η_∞) − L_n(η_n) >= 0."""
    eta_inf = polylr.limit_argmin(setup, interval)[0].eta
    sw = polylr.sweep(setup, widths, networks, interval, method="polynomial")
    b = {n: sw.etas(n) - eta_inf for n in widths}
    c = {n: P(eta_inf, sw.loss[n].T) - P(sw.etas(n), sw.loss[n].T, tensor=False) for n in widths}
    return b, c

t0 = time.time()
data = polylr.Data(np.array([[1.0, 0.3], [0.2, 1.0], [0.5, -0.4]]), np.array([1.0, -0.5, 0.7]))
setup = polylr.Setup(data=data, depth=1, steps=2, param="mup")
interval = (0.0, 3 * polylr.eta_inf_t1(setup))
b, c = transfer_gaps(setup, (64, 128, 256, 512), 256, interval)
print("eta_inf_t1", polylr.eta_inf_t1(setup), "interval", interval)
for n in b: print(n, np.sqrt(n)*b[n].std(), n*c[n].mean(), c[n].min())
print(assert_rate(b, -0.5, kind="fluctuation", allow_inconclusive=True).reason)
print(assert_exponent(c, -1.0, allow_inconclusive=True).reason)
# XXᵀ = d·I: K = I, all eigenvalues equal: c_n = Θ(n^-t)
iso = polylr.Setup(data=polylr.Data(np.sqrt(2) * np.eye(2), np.array([1.0, -0.5])), depth=1, steps=2, param="mup")
iv = (0.0, 3 * polylr.eta_inf_t1(iso))
b2, c2 = transfer_gaps(iso, (64, 128, 256, 512), 256, iv)
for n in b2: print(n, np.sqrt(n)*b2[n].std(), n*c2[n].mean(), c2[n].min())
try: assert_exponent(c2, -1.0)
except AssertionError as e: print(e)
print(time.time()-t0)
