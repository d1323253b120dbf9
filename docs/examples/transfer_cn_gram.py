"""The tutorial's c_n exponent at widths where it is asymptotic: L = 1, t = 2, the tutorial's data set and
K = I, widths 2^8 … 2^16, 256 networks, the Gram sampler (the shallow sampler refuses here: float64 cannot
resolve some networks' t = 2 loss polynomials at n = 4096; the Gram path falls back to gradient descent).

    PYTHONPATH=. python docs/examples/transfer_cn_gram.py
"""

import time, numpy as np, polylr, polylr.testing as pt
X = np.array([[1, .3], [.2, 1], [.5, -.4]]); y = np.array([1, -.5, .7])
W = tuple(2**k for k in range(8, 17))
for name, data in (("generic", polylr.Data(X, y)), ("K = I", polylr.Data(np.sqrt(2) * np.eye(2), np.array([1.0, -0.5])))):
    t0 = time.perf_counter()
    setup = polylr.Setup(data=data, depth=1, steps=2)
    g = pt.transfer_gaps(setup, W, 256, sampler="gram")
    v = pt.assert_fast_transfer(g, allow_inconclusive=True, fast=(name == "generic"))
    f = v.evidence["fits"]["fits"]
    print(name, v.status, "c exponent", round(f["c"]["exponent"], 3), [round(x, 3) for x in f["c"]["ci"]],
          "b exponent", round(f["b"]["exponent"], 3), [round(x, 3) for x in f["b"]["ci"]], "2b-a", round(v.evidence["point"], 3),
          [round(x, 3) for x in v.evidence["interval"]], f"{time.perf_counter()-t0:.0f} s", flush=True)
