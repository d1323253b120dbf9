"""Exact rational gradient descent on given float64 weights (a test reference, independent of the
JAX engine): matrices of ``flint.fmpq_poly`` in η, hidden layers trained, as MISSION.md."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np


def _q(x) -> flint.fmpq:
    n, d = float(x).as_integer_ratio()
    return flint.fmpq(n, d)


def _mat(a) -> list:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        return [flint.fmpq_poly([_q(v)]) for v in a]
    return [[flint.fmpq_poly([_q(v)]) for v in row] for row in a]


def _matvec(M, v):
    return [sum((Mi[j] * v[j] for j in range(len(v))), flint.fmpq_poly([])) for Mi in M]


def _tmatvec(M, v):
    return [sum((M[i][j] * v[i] for i in range(len(v))), flint.fmpq_poly([])) for j in range(len(M[0]))]


def exact_outputs(setup, W0, Ws, V, width: int) -> list:
    """``f^(t)(x_i)`` as exact ``fmpq_poly`` for each data point."""
    X, y, L, t = setup.data.X, setup.data.y, setup.depth, setup.steps
    m = X.shape[0]
    lr = _q(setup.param.scales(width, setup.data.d).hidden_lr)
    eta = flint.fmpq_poly([0, 1])
    W = [_mat(Ws[l]) for l in range(L)]
    Vq = _mat(V)
    W0q = _mat(W0)
    xs = [_mat(X[i]) for i in range(m)]
    h0 = [_matvec(W0q, x) for x in xs]  # W_0 x_i, constant
    for s in range(t + 1):
        hs = [[h] for h in h0]
        for l in range(L):
            for i in range(m):
                hs[i].append(_matvec(W[l], hs[i][-1]))
        f = [sum((Vq[j] * hs[i][L][j] for j in range(width)), flint.fmpq_poly([])) for i in range(m)]
        if s == t:
            return f
        chi = [f[i] - _q(y[i]) for i in range(m)]
        b = [None] * (L + 1)
        b[L] = Vq
        for l in range(L, 0, -1):
            b[l - 1] = _tmatvec(W[l - 1], b[l])
        upd = []
        for l in range(1, L + 1):
            a = [sum((hs[i][l - 1][j] * chi[i] for i in range(m)), flint.fmpq_poly([])) * flint.fmpq(1, m) for j in range(width)]
            upd.append([[b[l][r] * a[c] * (eta * lr) for c in range(width)] for r in range(width)])
        for l in range(L):
            W[l] = [[W[l][r][c] - upd[l][r][c] for c in range(width)] for r in range(width)]
    raise AssertionError("unreachable")


def exact_loss_coeffs(setup, W0, Ws, V, width: int) -> list[Fraction]:
    f = exact_outputs(setup, W0, Ws, V, width)
    m = len(f)
    loss = flint.fmpq_poly([])
    for i in range(m):
        chi = f[i] - _q(setup.data.y[i])
        loss += chi * chi
    loss = loss * flint.fmpq(1, 2 * m)
    return [Fraction(int(c.p), int(c.q)) for c in loss.coeffs()]
