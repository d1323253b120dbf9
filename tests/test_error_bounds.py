"""Every float64 η-polynomial that leaves polylr carries an error bound (issue 10), and the bounds
hold against exact rational arithmetic on the same inputs."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest

import polylr
from exact_gd import exact_loss_coeffs
from polylr.engines.bounds import shallow_loss_error
from polylr.engines.shallow import shallow_loss_coeffs, shallow_parts


def _exact_shallow(A, chi, t):
    """``(2m)^-1 χᵀ(I − ηA/m)^{2t}χ`` in rationals (A symmetrised as the float route does)."""
    m = chi.size
    q = lambda v: flint.fmpq(*float(v).as_integer_ratio())  # noqa: E731
    S = (A + A.T) / 2
    u = [flint.fmpq_poly([q(c)]) for c in chi]
    step = flint.fmpq_poly([0, flint.fmpq(-1, m)])
    for _ in range(t):
        Au = [sum((flint.fmpq_poly([q(S[i, j])]) * u[j] for j in range(m)), flint.fmpq_poly([0])) for i in range(m)]
        u = [u[i] + step * Au[i] for i in range(m)]
    loss = sum((ui * ui for ui in u), flint.fmpq_poly([0])) * flint.fmpq(1, 2 * m)
    c = [float(Fraction(int(x.p), int(x.q))) for x in loss.coeffs()]
    return np.array(c + [0.0] * (2 * t + 1 - len(c)))


def test_shallow_coefficients_within_their_bound():
    # Measured: worst |error| / bound = 0.044 over t in {1, 3, 10, 25}, widths 64 and 4096, 3 seeds
    # (margin 22); here t in {2, 5}, 2 seeds.
    worst = 0.0
    for t in (2, 5):
        setup = polylr.Setup(depth=1, steps=t)
        for seed in range(2):
            A, chi = shallow_parts(setup, 64, seed)
            c, e = shallow_loss_coeffs(A, chi, t), shallow_loss_error(A, chi, t)
            worst = max(worst, float(np.max(np.abs(c - _exact_shallow(A, chi, t)) / e)))
    assert worst <= 1.0
    coeffs, errors = polylr.shallow_width_polys(polylr.Setup(depth=1, steps=3), 64, [0, 1], return_error=True)
    assert coeffs.shape == errors.shape and np.all(errors > 0)


def test_float_closed_form_runs_and_carries_its_bound():
    # The float64 branch of shallow_loss_closed_form raised NameError (a stray `del M`) and had no bound.
    data = polylr.Data.synthetic(6, 3, seed=2)
    rng = np.random.default_rng(0)
    n = 16
    W0, W1, V = rng.standard_normal((n, 3)) / np.sqrt(3), rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n) / n
    fl = polylr.shallow_loss_closed_form(data, W0, W1, V, 4, exact=False)
    # the reference: gradient descent itself, in exact rationals on the same weights (μP's hidden rate is 1);
    # measured: worst |error| / bound = 0.078 (margin 13)
    x = np.array([float(c) for c in exact_loss_coeffs(polylr.Setup(data=data, depth=1, steps=4), W0, [W1], V, n)])
    assert fl.error is not None and fl.nonnegative
    assert np.all(np.abs(fl.coeffs[: x.size] - x) <= fl.error[: x.size])


def test_limit_float_interpreter_within_its_bound():
    # Loss degree 322 > ROUND_EXACT_DEGREE: the float64 interpreter's coefficients with the
    # SAFETY·(D+1)·ε·max|c| model. Measured: worst |error| / bound = 0.0048 (margin 200).
    setup = polylr.Setup(depth=2, steps=5)
    fl, ex = polylr.limit_polys(setup), polylr.limit_polys(setup, exact=True)
    x = np.array([float(c) for c in ex.loss.coeffs])
    assert fl.loss.error is not None
    assert np.all(np.abs(fl.loss.coeffs[: x.size] - x) <= fl.loss.error[: x.size])


def test_every_float_producer_attaches_an_error():
    setup = polylr.Setup(depth=2, steps=2)
    polys = [polylr.limit_polys(setup).loss, *polylr.limit_polys(setup).outputs,
             polylr.finite_width_polys(setup, 16, [0]).loss_poly(0)]
    for p in polys:
        assert p.domain == "float64" and p.error is not None, p.label


@pytest.mark.slow  # a claim run (17 s on 2 loaded cores)
def test_json_output_carries_the_bounds():
    import json

    from polylr.claims.base import CheckOptions, get_claim

    r = get_claim("theorem1").run(CheckOptions(setup=polylr.Setup(depth=1), widths=(8, 16), seeds=2))
    doc = r.to_json()
    d = json.loads(doc) if isinstance(doc, str) else doc
    assert len(d["limit_loss_error"]) == len(d["limit_loss_coefficients"]) and all(e >= 0 for e in d["limit_loss_error"])


def test_float_polynomial_overflow_is_silent_inf(recwarn):
    # `check theorem1 --interval 0,1e300` printed numpy's overflow RuntimeWarning under its tables.
    p = polylr.EtaPoly([1.0, 0.0, 1.0], "float64")
    assert p(1e300) == np.inf and not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_derive_out_directory_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from polylr.cli.main import app

    r = CliRunner().invoke(app, ["derive", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "is a directory" in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_exact_polynomial_beyond_float_range_rounds_to_inf():
    # An exact polynomial at a float η whose value exceeds float64 raised a raw OverflowError.
    p = polylr.EtaPoly([0, 0, 1], "QQ")
    assert p(1e200) == np.inf and p(np.array([1e200, 2.0]))[1] == 4.0
    assert polylr.EtaPoly([0, 0, -1], "QQ")(1e200) == -np.inf
