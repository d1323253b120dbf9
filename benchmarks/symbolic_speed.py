"""Speed of the symbolic engine: term counts and times per (depth L, steps t).

Target (issue): the expansions for (L = 3, t = 1) and (L = 2, t = 2) each under 10 s.

    PYTHONPATH=. python benchmarks/symbolic_speed.py

Columns: raw = estimate_terms (terms created before collecting), terms = collected monomials,
words = distinct word kinds, expand = expansion time (cold cache), limit = Wick orders and μP
limit of every coefficient, derive = Markdown document, evaluate = one compiled evaluation at
width 64 with m = 8 data points (warm).
"""

import time

import polylr
from polylr.engines import expand
from polylr.engines import scaling

CASES = [(1, 1), (2, 1), (3, 1), (4, 1), (6, 1), (8, 1), (1, 2), (2, 2), (1, 6), (1, 12)]


def timed(f):
    start = time.perf_counter()
    out = f()
    return out, time.perf_counter() - start


def main() -> None:
    print(f"{'L':>2} {'t':>2} {'degree':>6} {'raw':>7} {'terms':>6} {'words':>5} "
          f"{'expand s':>9} {'limit s':>8} {'derive s':>9} {'evaluate s':>10}")
    data = polylr.Data.synthetic(m=8, d=4, seed=0)
    for L, t in CASES:
        expand.expand.cache_clear()
        scaling.word_scaling.cache_clear()
        e, t_expand = timed(lambda: polylr.expand(L, t))
        _, t_limit = timed(lambda: polylr.limit_coefficients(e))
        _, t_derive = timed(lambda: polylr.derive(L, t))
        setup = polylr.Setup(data, depth=L, steps=t)
        W0, Ws, V = polylr.draw_weights(polylr.weight_key(0, 64, 0), setup, 64)
        _, t_eval = timed(lambda: e.evaluate(setup, W0, Ws, V))
        print(f"{L:>2} {t:>2} {e.degree:>6} {e.raw_terms:>7} {sum(e.term_counts):>6} {len(e.words):>5} "
              f"{t_expand:>9.3f} {t_limit:>8.3f} {t_derive:>9.3f} {t_eval:>10.3f}")
    for L, t in [(3, 2), (2, 3)]:
        _, t_err = timed(lambda: _refused(L, t))
        print(f"{L:>2} {t:>2} refused in {t_err * 1e3:.2f} ms: estimate {polylr.estimate_terms(L, t):.3g} raw terms")


def _refused(L, t):
    try:
        polylr.expand(L, t)
    except polylr.PolylrError:
        return
    raise AssertionError(f"expand({L}, {t}) should be beyond the symbolic limit")


if __name__ == "__main__":
    main()
