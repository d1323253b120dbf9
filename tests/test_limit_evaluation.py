"""Evaluation mode of the limit at large t: right values or a refusal, never a silent wrong number.

The old value-mode interpreter held data vectors in the Krylov basis ``u_j = (K/m)^j y``; in float64
that basis cancels catastrophically at large t (L = 1, t = 50, η = 4: loss 1.8e5 where it is
0.0053). The reference here is independent of the interpreter: at L = 1 (only W_1 trained, the
backward vector ``g_1 = nV`` never changes) the μP limit is kernel gradient descent
``χ^(s+1) = (I − η K/m) χ^(s)``, ``χ^(0) = −y``, run in exact rational arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest

import polylr
from polylr.engines import evaluate

from tolerances import EVALUATION_REL


def kernel_gd_loss(data: polylr.Data, eta: float, steps: int) -> float:
    """``(1/2m)|(I − ηK/m)^t y|²`` exactly (K = XXᵀ/d), correctly rounded."""
    X, y = data.X, data.y
    m, d = X.shape
    q = lambda v: flint.fmpq(*float(v).as_integer_ratio())  # noqa: E731
    Xq = flint.fmpq_mat(m, d, [q(v) for v in X.ravel()])
    Km = Xq * Xq.transpose() * flint.fmpq(1, d * m)
    chi = flint.fmpq_mat(m, 1, [-q(v) for v in y])
    e = q(eta)
    for _ in range(steps):
        chi = chi - e * (Km * chi)
    s = (chi.transpose() * chi)[0, 0]
    return float(Fraction(int(s.p), int(s.q)) / (2 * m))


def test_depth_one_t50_equals_exact_kernel_gradient_descent():
    # The reported silent wrong answer: L = 1, t = 50 on the built-in data. Old code: 1.78e5 at
    # η = 4 (relative error 3e7); measured now: <= 2e-16 relative at every point.
    setup = polylr.Setup(depth=1, steps=50)
    etas = np.linspace(0.0, 4.0, 21)
    got = polylr.limit_loss_values(setup, etas)
    want = np.array([kernel_gd_loss(setup.data, e, 50) for e in etas])
    np.testing.assert_allclose(got, want, rtol=EVALUATION_REL, atol=0)  # measured 2e-16: margin 5e4


def test_depth_one_outputs_on_other_data():
    data = polylr.Data.synthetic(12, 5, seed=3)
    setup = polylr.Setup(data, 1, 30)
    etas = np.array([0.5, 2.0, 3.0])
    out = polylr.limit_output_values(setup, etas)
    loss = np.sum((out - data.y) ** 2, axis=1) / (2 * data.m)
    want = np.array([kernel_gd_loss(data, e, 30) for e in etas])
    finite = np.isfinite(want)
    np.testing.assert_allclose(loss[finite], want[finite], rtol=EVALUATION_REL, atol=0)


def test_the_accuracy_check_can_refuse(monkeypatch):
    # Negative control: with a tolerance below float64's own rounding (1e-16) every nonzero value
    # is refused: the float64 and extended runs of L = 3, t = 10 differ by ~1e-16..1e-13 relative.
    setup = polylr.Setup(depth=3, steps=10)
    etas = np.linspace(0.2, 1.2, 6)
    assert np.all(np.isfinite(polylr.limit_loss_values(setup, etas)))
    monkeypatch.setattr(evaluate, "VALUE_REL_TOL", 1e-20)
    with pytest.raises(polylr.NotResolved, match=r"limit loss at eta = .*estimated error"):
        polylr.limit_loss_values(setup, etas)


@pytest.mark.slow
def test_amplified_rounding_is_refused():
    # L = 3, t = 50, η = 1.1: float64 and extended precision differ by 1.2e-5 on a loss of 0.033
    # (measured): refused rather than returned (64 s on 2 loaded cores).
    with pytest.raises(polylr.NotResolved, match="eta = 1.1"):
        polylr.limit_loss_values(polylr.Setup(depth=3, steps=50), [1.1])


def test_arb_reference_agrees_and_restores_precision(monkeypatch):
    # Where long double is no wider than float64 the reference run is arb balls at 128 bits.
    setup = polylr.Setup(depth=2, steps=5)
    etas = np.linspace(0.0, 1.0, 5)
    ext = polylr.limit_loss_values(setup, etas)
    monkeypatch.setattr(evaluate, "REFERENCE_PRECISION", "arb")
    prec = flint.ctx.prec
    arb = polylr.limit_loss_values(setup, etas)
    assert flint.ctx.prec == prec
    np.testing.assert_allclose(arb, ext, rtol=EVALUATION_REL, atol=0)


def test_progress_is_reported():
    calls = []
    polylr.limit_loss_values(polylr.Setup(depth=1, steps=5), [0.5], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(k, 12) for k in range(1, 13)]  # 2 runs (float64, extended) × (t + 1) steps
