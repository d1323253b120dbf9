"""Does float64 resolve η_n on the Gram path? An a-posteriori precision check per width.

The Gram sampler computes each network's η-polynomial in float64 from coordinates whose size
depends on the parametrization (under SP the forward vectors have norm ~√n, so the output at
initialisation is a sum with cancellation ~√n). The loss's own error bound
(:func:`polylr.engines.bounds.loss_error`) assumes exact output coefficients, so it cannot see
that. This check recomputes the loss slope of the *same* networks independently:

- the network of seed s, written out as matrices in coordinates of its span
  (:func:`polylr.gram_weights`: gradient descent on them is gradient descent on that network);
- plain gradient descent on those matrices in extended precision (numpy ``clongdouble``: a 64-bit
  mantissa on x86-64, 2^11 times finer than float64), at the complex point ``η_n + ih``: the
  complex-step derivative ``L'(η_n) = Im L(η_n + ih)/h`` has no cancellation, so it is accurate
  to the working precision;
- one Newton step ``Δη = L'(η_n)/L''(η_n)`` (``L''`` by a central difference of two such slopes
  at ``η_n ± 1e-3·d``, d the distance from η_n to the nearer end of the interval: relative error
  ~1e-6, and a relative error of 1e-3 there would change Δη by 1e-3 of itself) is the distance from the float64 η_n to the extended-precision
  minimiser near it. It works alike for η_n from the polynomial and from gradient descent
  (evaluation mode: it then also measures the grid refinement's resolution).

The check compares ``max |Δη|`` over the checked seeds with the Monte Carlo standard error of the
mean of η_n at that width (``sd/√seeds``, the smallest statistical scale any reported exponent
uses): it passes when the arithmetic error is below :data:`SHARE` of it. Seeds whose η_n sits on
an end of the interval are not checked (counted in the result).
Where ``long double`` is no finer than float64 (macOS on arm64, Windows), the same recursion runs in
python-flint's 128-bit ball arithmetic instead (:func:`gd_loss_arb`, one network at a time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import NotResolved
from ..engines.coeffs import gram_weights
from ..engines.samplers import resolve_sampler, scales_of

SHARE = 0.01  # arithmetic error allowed, as a share of the Monte Carlo standard error of mean η_n
CHECKED_SEEDS = 8  # seeds checked per width (the first ones: a seed's network depends only on its key)
EXTENDED = np.clongdouble
EXTENDED_EPS = float(np.finfo(np.longdouble).eps)


@dataclass(frozen=True)
class WidthPrecision:
    """The precision check at one width: ``error`` = max |Δη| over ``checked`` seeds, ``scale`` = the
    Monte Carlo standard error of mean η_n, ``ok`` = ``error <= SHARE·scale``."""

    width: int
    checked: int
    skipped: int
    error: float
    relative: float  # error / |mean η_n|
    scale: float
    ok: bool

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def gd_loss_extended(X, y, W0, Ws, V, eta, steps: int, lrs, train_all: bool = False):
    """The loss after ``steps`` GD steps at (complex) learning rates ``eta`` (shape ``(S,)``), for a
    batch of networks in coordinates: ``W0 (S, K, d)``, ``Ws (S, L, K, K)``, ``V (S, K)``; in
    :data:`EXTENDED` arithmetic, transposes without conjugation (so the loss is analytic in η)."""
    c = EXTENDED
    X, y = np.asarray(X, dtype=c), np.asarray(y, dtype=c)
    W0 = np.asarray(W0, dtype=c)
    Ws = [np.asarray(Ws[:, l], dtype=c) for l in range(Ws.shape[1])]
    V = np.asarray(V, dtype=c)
    eta = np.asarray(eta, dtype=c)[:, None, None]
    m = X.shape[0]
    in_lr, hidden_lr, out_lr = (c(x) for x in lrs)
    T = lambda A: np.swapaxes(A, -1, -2)  # noqa: E731

    def forward(W0, Ws):
        H = [W0 @ X.T]  # (S, K, m)
        for W in Ws:
            H.append(W @ H[-1])
        return H

    for _ in range(steps):
        H = forward(W0, Ws)
        chi = np.einsum("sk,skm->sm", V, H[-1]) - y
        delta = V[:, :, None] * chi[:, None, :] / m  # (S, K, m)
        gV = np.einsum("skm,sm->sk", H[-1], chi) / m
        grads = [None] * len(Ws)
        for l in range(len(Ws) - 1, -1, -1):
            grads[l] = delta @ T(H[l])
            delta = T(Ws[l]) @ delta
        g0 = delta @ X
        Ws = [W - eta * hidden_lr * g for W, g in zip(Ws, grads)]
        if train_all:
            W0 = W0 - eta * in_lr * g0
            V = V - eta[:, 0] * out_lr * gV
    f = np.einsum("sk,skm->sm", V, forward(W0, Ws)[-1])
    return np.sum((f - y) ** 2, axis=-1) / (2 * m)


ARB_BITS = 128  # working precision of the fallback (flint's ball arithmetic) where long double is double


def gd_loss_arb(X, y, W0, Ws, V, eta, steps: int, lrs, train_all: bool = False) -> np.ndarray:
    """:func:`gd_loss_extended` in python-flint's complex ball arithmetic at :data:`ARB_BITS` bits,
    one network at a time: the check's arithmetic where ``long double`` is no finer than float64
    (macOS on arm64, Windows). Returns the loss's imaginary parts (``acb``) per network."""
    import flint  # noqa: PLC0415

    def mat(A):
        A = np.atleast_2d(np.asarray(A))
        return flint.acb_mat(A.shape[0], A.shape[1], [flint.acb(complex(a).real, complex(a).imag) for a in A.ravel()])

    m = X.shape[0]
    old = flint.ctx.prec
    flint.ctx.prec = ARB_BITS
    try:
        Xm, XT, ym = mat(X), mat(np.asarray(X).T), mat(np.asarray(y)[None, :])
        in_lr, hidden_lr, out_lr = (flint.acb(float(x)) for x in lrs)
        out = []
        for s in range(len(eta)):
            e = flint.acb(complex(eta[s]).real, complex(eta[s]).imag)
            w0, ws, v = mat(W0[s]), [mat(Ws[s, l]) for l in range(Ws.shape[1])], mat(np.asarray(V[s])[None, :])

            def forward(w0, ws):
                H = [w0 * XT]
                for W in ws:
                    H.append(W * H[-1])
                return H

            for _ in range(steps):
                H = forward(w0, ws)
                chi = v * H[-1] - ym  # (1, m)
                delta = v.transpose() * chi / m  # (K, m)
                gV = chi * H[-1].transpose() / m  # (1, K)
                grads = [None] * len(ws)
                for l in range(len(ws) - 1, -1, -1):
                    grads[l] = delta * H[l].transpose()
                    delta = ws[l].transpose() * delta
                g0 = delta * Xm
                ws = [W - e * hidden_lr * g for W, g in zip(ws, grads)]
                if train_all:
                    w0 = w0 - e * in_lr * g0
                    v = v - e * out_lr * gV
            r = v * forward(w0, ws)[-1] - ym
            out.append(sum((r[0, j] ** 2 for j in range(m)), flint.acb(0)) / (2 * m))
        return out
    finally:
        flint.ctx.prec = old


def eta_errors(sw, width: int, seeds) -> np.ndarray:
    """``Δη`` (see the module doc) for ``seeds`` (indices into ``sw.seeds``) at ``width``."""
    setup = sw.setup
    idx = np.asarray(seeds, dtype=int)
    ids = [sw.seeds[i] for i in idx]
    sampler = resolve_sampler("gram", setup, width)
    lo, hi = sw.interval_at(width)
    # the span of a network beyond the polynomial program is discovered on the sweep's grid, |η| <= max(|lo|, |hi|)
    W0, Ws, V = gram_weights(setup, width, ids, master_seed=sw.master_seed, sampler=sampler, eta_max=max(abs(lo), abs(hi)))
    _, lrs = scales_of(setup, width)
    etas = sw.etas(width)[idx].astype(np.longdouble)
    h = np.longdouble(2.0**-120 * max(abs(lo), abs(hi)))
    # L'' by a central difference of slopes, on the minimiser's own scale (its distance to the
    # interval's ends: under SP η_n ~ 1/n is far smaller than a fixed interval), relative error ~1e-6
    step = np.longdouble(1e-3) * np.minimum(etas - np.longdouble(lo), np.longdouble(hi) - etas)

    def slope(at):
        args = (setup.data.X, setup.data.y, W0, Ws, V, at + 1j * h, setup.steps, lrs, setup.train == "all")
        if EXTENDED_EPS < np.finfo(np.float64).eps / 2:
            return gd_loss_extended(*args).imag / h
        # long double is double here: the same recursion in 128-bit ball arithmetic
        return np.array([float((v.imag / float(h)).mid()) for v in gd_loss_arb(*args)], dtype=np.longdouble)

    d1 = slope(etas)
    d2 = (slope(etas + step) - slope(etas - step)) / (2 * step)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d2 > 0, np.abs(np.asarray(d1 / d2, dtype=np.float64)), np.inf)


def check_precision(sw, widths=None, checked: int = CHECKED_SEEDS, sampler=None) -> dict[int, WidthPrecision]:
    """The precision check (module doc) at each Gram width of ``sw`` (default: every width that
    ``sampler``, the one ``sw`` was drawn with (default ``sw.sampler``), realised on the Gram path:
    its networks are the ones rebuilt and checked; none for ``"shallow"``); ``{width: WidthPrecision}``."""
    out = {}
    widths = sw.widths if widths is None else widths
    sampler = sw.sampler if sampler is None else sampler
    for w in widths:
        if sampler == "shallow" or resolve_sampler(sampler, sw.setup, w).name != "gram":
            continue
        etas = sw.etas(w)
        lo, hi = sw.interval_at(w)
        rows = sw.rows
        methods = [m for wd, m in zip(rows.width, rows.method) if wd == w]
        inside = [i for i, e in enumerate(etas) if lo < e < hi and methods[i] in ("polynomial", "gd")]
        pick = inside[:checked]
        scale = float(np.std(etas, ddof=1) / np.sqrt(len(etas))) if len(etas) > 1 else float("nan")
        err = float(np.max(eta_errors(sw, w, pick))) if pick else 0.0
        rel = err / abs(float(np.mean(etas))) if np.mean(etas) != 0 else float("inf")
        out[w] = WidthPrecision(w, len(pick), len(etas) - len(pick), err, rel, scale, bool(err <= SHARE * scale))
    return out


def require_precision(report: dict[int, WidthPrecision], claim: str) -> None:
    """:class:`~polylr.NotResolved` naming the first width where float64 did not resolve η_n."""
    for w, p in report.items():
        if not p.ok:
            why = f"arithmetic error of η_n {p.error:.3g} exceeds {SHARE:g} of its Monte Carlo error {p.scale:.3g}"
            raise NotResolved(f"{claim}: float64 does not resolve η_n at n = {w} on the Gram path ({why}); use smaller widths")
