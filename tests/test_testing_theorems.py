"""The testing kit, second edition: theorem-level assertions (assert_limit, assert_rate, assert_law)
pass on true claims and fail on planted false ones (wrong limit, wrong exponent, wrong law), with
their false-positive rates measured; theorem fuzzing shrinks to a minimal data set; ergonomics
(vectorised fn, type strategies, InvalidArgument, strategies for every argument, fixtures safe
under @given).

Synthetic samples mimic η_n at t = 1: η_n = ℓ + b/n + c n^-1/2 Z with Z standard normal, the
shape measured in /work/shared/MISSION.md (√n sd(η_n) ≈ 2.4, n · bias ≈ 5); the real-engine
tests use the dense engine at widths 64..256 (the width-free sampler, passed as ``sampler=``,
would take them to 2^20).
"""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import polylr
import polylr.testing as pt
from false_positives import failure_rate  # noqa: E402

WIDTHS = (16, 32, 64, 128, 256)
LIMIT, C_FLUCT, B_BIAS = 2.0, 2.5, 5.0


def synthetic(seed, widths=WIDTHS, networks=200, limit=LIMIT, c=C_FLUCT, b=B_BIAS, fluct_exp=-0.5, bias_exp=-1.0):
    rng = np.random.default_rng(seed)
    return {n: limit + b * n**bias_exp + c * n**fluct_exp * rng.standard_normal(networks) for n in widths}


# -- theorem-level assertions: true claims pass, planted false ones fail with the numbers shown --


def test_assert_limit_true_passes_and_reports_its_interval():
    v = pt.assert_limit(synthetic(0), LIMIT)
    assert v.status == "holds"
    lo, hi = v.evidence["fit"]["ci"]
    assert lo <= v.evidence["fit"]["exponent"] <= hi <= -0.1
    assert v.evidence["limit"] == LIMIT


def test_assert_limit_fails_on_a_planted_wrong_limit():
    # ℓ + 0.5: the error stops decaying once the fluctuation 2.5/√n falls below 0.5 (n >~ 25)
    with pytest.raises(AssertionError, match=r"(?s)assert_limit failed.*is false.*fitted exponent.*width  seeds"):
        pt.assert_limit(synthetic(0), LIMIT + 0.5)


def test_assert_rate_fluctuation_true_and_planted_wrong_exponents():
    s = synthetic(1)
    v = pt.assert_rate(s, -0.5, kind="fluctuation")
    assert v.status == "holds" and len(v.evidence["interval"]) == 2
    for wrong in (-1.0, -0.25, 0.0):
        with pytest.raises(AssertionError, match=r"(?s)assert_rate\(kind='fluctuation'\) failed.*is false.*sd\(η_n\)"):
            pt.assert_rate(s, wrong, kind="fluctuation")


def test_assert_rate_bias_true_and_planted_wrong_exponent():
    # bias 5/n against a standard error 2.5/√(n N): N = 20000 resolves it by 17 s.e. at n = 256
    # (N = 4000, 8 s.e., left the exponent's 95 % interval [-1.13, -0.95]: inconclusive at tol 0.1)
    s = synthetic(2, networks=20000)
    assert pt.assert_rate(s, -1.0, kind="bias", limit=LIMIT, n_boot=400).status == "holds"
    with pytest.raises(AssertionError, match=r"(?s)assert_rate\(kind='bias'\) failed.*is false"):
        pt.assert_rate(s, -0.5, kind="bias", limit=LIMIT, n_boot=400)
    # the planted wrong limit makes the "bias" constant: exponent 0, not -1
    with pytest.raises(AssertionError, match="is false"):
        pt.assert_rate(s, -1.0, kind="bias", limit=LIMIT + 0.3, n_boot=400)


def test_assert_rate_bias_refuses_an_unresolved_bias():
    with pytest.raises(polylr.PolylrError, match=r"bias .* within 2 standard errors .* not resolved"):
        pt.assert_rate(synthetic(3, networks=20), -1.0, kind="bias", limit=LIMIT)


def test_assert_law_true_and_planted_wrong_law():
    z = np.random.default_rng(4).normal(0.0, 2.4, size=3000)
    v = pt.assert_law(z, scipy.stats.norm(0, 2.4))
    assert v.status == "holds" and 0 <= v.evidence["pvalue"] <= 1
    with pytest.raises(AssertionError, match=r"(?s)assert_law failed.*D = .*p = "):
        pt.assert_law(z, scipy.stats.norm(0, 2.0))  # σ off by 20 %
    with pytest.raises(AssertionError, match="assert_law failed"):
        pt.assert_law(z, np.random.default_rng(5).normal(0.3, 2.4, size=3000))  # two-sample, shifted


def test_assertions_validate_their_input():
    with pytest.raises(polylr.PolylrError, match="kind must be one of fluctuation, bias"):
        pt.assert_rate(synthetic(0), -0.5, kind="variance")
    with pytest.raises(polylr.PolylrError, match="pass limit="):
        pt.assert_limit(synthetic(0))
    with pytest.raises(polylr.PolylrError, match="alpha must be in"):
        pt.assert_law(np.zeros(5), scipy.stats.norm(), alpha=2)


# -- false-positive rates: the assertion on many true cases; the budget is stated ------------------

FP_CASES = {
    # name: (one call on a true case from seed k, documented bound on the false-positive rate)
    "assert_limit": (lambda k: pt.assert_limit(synthetic(1000 + k), LIMIT, n_boot=400, boot_seed=k), 0.05),
    "assert_rate(fluctuation)": (lambda k: pt.assert_rate(synthetic(2000 + k), -0.5, n_boot=400, boot_seed=k), 0.05),
    "assert_law": (lambda k: pt.assert_law(np.random.default_rng(3000 + k).normal(size=500), scipy.stats.norm()), 0.01),
}


@pytest.mark.parametrize("name", sorted(FP_CASES))
def test_false_positive_rate_quick(name):
    # 40 runs: a true rate <= the bound gives <= 5 failures with probability > 0.98 (binomial)
    call, bound = FP_CASES[name]
    assert failure_rate(call, 40) <= 0.125


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FP_CASES))
def test_false_positive_rate_measured(name):
    # 400 runs; the rate is printed for docs/testing.md; the check allows 2 binomial s.e. above the bound
    call, bound = FP_CASES[name]
    rate = failure_rate(call, 400)
    print(f"{name}: false-positive rate {rate:.4f} over 400 true cases (bound {bound})")
    assert rate <= bound + 2 * np.sqrt(bound * (1 - bound) / 400)


@pytest.mark.slow
def test_false_positive_rate_bias():
    call = lambda k: pt.assert_rate(synthetic(4000 + k, networks=20000), -1.0, kind="bias", limit=LIMIT, n_boot=400, boot_seed=k)  # noqa: E731
    rate = failure_rate(call, 100)
    print(f"assert_rate(bias): false-positive rate {rate:.4f} over 100 true cases")
    assert rate <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 100)


# -- on the real engine: η_n of a depth-1, t = 1 μP network (dense engine) ------------------------

X4 = np.array([[1.0, 0.2, 0.0], [0.1, 1.0, 0.3], [0.0, 0.2, 1.0], [0.5, 0.0, 0.4]])
Y4 = np.array([1.0, -0.5, 0.8, 0.3])
REAL_WIDTHS = (64, 128, 256)
# 128 networks: ~18 s with the compilation of 3 widths. The exponent of sd(η_n) is then not decided
# at tol 0.1 (95 % CI [-0.69, -0.45]); 512 networks (50 s) gave -0.565 [-0.639, -0.491], still
# pre-asymptotic at n = 64 (√n sd = 21.8, 19.3, 19.9), so the true -1/2 is checked on synthetic
# samples above, and here only "not false" (holds or inconclusive), next to the planted -1 failing.
REAL_NETWORKS = 128


@pytest.fixture(scope="module")
def real():
    setup = polylr.Setup(data=polylr.Data(X4, Y4), depth=1, steps=1, param="mup")
    eta_inf = float(polylr.limit_argmin(setup, (0.0, 20.0))[0].eta)
    interval = (0.0, 3 * eta_inf)
    return setup, eta_inf, interval, pt.argmins_by_width(setup, REAL_WIDTHS, REAL_NETWORKS, interval)


def test_real_limit_and_fluctuation_rate(real):
    setup, eta_inf, interval, samples = real
    v = pt.assert_limit(setup, widths=REAL_WIDTHS, networks=REAL_NETWORKS, interval=interval)  # the limit defaults to η_∞
    assert v.status == "holds" and v.evidence["limit"] == pytest.approx(eta_inf, rel=1e-12)
    with pytest.raises(AssertionError, match="assert_limit failed"):
        pt.assert_limit(samples, 1.5 * eta_inf)  # planted wrong limit
    assert pt.assert_rate(samples, -0.5, kind="fluctuation", allow_inconclusive=True).status in ("holds", "inconclusive")
    with pytest.raises(AssertionError, match="is false"):
        pt.assert_rate(samples, -1.0, kind="fluctuation")  # planted wrong exponent


# -- theorem fuzzing ---------------------------------------------------------------------------


def test_fuzz_claim_shrinks_to_a_minimal_data_set():
    def claim(data):  # false exactly when m >= 3
        assert data.m < 3, f"m = {data.m}"

    r = pt.fuzz_claim(claim, pt.datasets(), max_examples=50, seed=0)
    assert r.status == "fails" and r.example.m == 3 and r.example.d == 1 and "m = 3" in r.message
    with pytest.raises(AssertionError, match="minimal example"):
        r.assert_holds()
    again = pt.fuzz_claim(claim, pt.datasets(), max_examples=50, seed=0)
    assert again.example.m == r.example.m and np.array_equal(again.example.X, r.example.X)  # deterministic


def test_fuzz_claim_tracks_the_worst_case_and_reports_errors():
    r = pt.fuzz_claim(lambda data: float(np.linalg.cond(data.X)), pt.datasets(m=2, d=2), max_examples=30)
    assert r.status == "holds" and r.worst_score == pytest.approx(np.linalg.cond(r.worst_example.X))
    assert r.worst_score <= 100.0  # the strategy's max_cond

    def boom(data):
        raise polylr.PolylrError("engine refused")

    e = pt.fuzz_claim(boom, pt.datasets(), max_examples=5)
    assert e.status == "error" and "PolylrError: engine refused" in e.message and e.example.m == 1
    with pytest.raises(polylr.PolylrError, match="data must be a hypothesis strategy"):
        pt.fuzz_claim(boom, [1, 2])


# -- ergonomics -------------------------------------------------------------------------------


def test_vectorised_and_scalar_fn_give_the_same_verdict():
    p = polylr.EtaPoly(np.array([1.0, -2.0, 0.5]), "float64")
    etas = np.linspace(0, 3, 7)
    vec = lambda e: 1 - 2 * e + 0.5 * e**2  # noqa: E731
    scalar = lambda e: float(1 - 2 * e + 0.5 * e**2)  # noqa: E731
    for fn in (vec, scalar, lambda e: np.float64(1 - 2 * e + 0.5 * e**2)):
        pt.assert_polynomial_matches(p, fn, etas)
    messages = []
    for fn in (lambda e: vec(e) + 1e-6, lambda e: scalar(e) + 1e-6):
        with pytest.raises(AssertionError) as info:
            pt.assert_polynomial_matches(p, fn, etas)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@settings(max_examples=5)
@given(data=st.from_type(polylr.Data), setup=st.from_type(polylr.Setup), param=st.from_type(polylr.Parametrization))
def test_from_type_draws_valid_objects(data, setup, param):
    assert isinstance(data, polylr.Data) and np.all(np.isfinite(data.X)) and data.X.shape == (data.m, data.d)
    assert isinstance(setup, polylr.Setup) and polylr.output_degree(setup) <= 250
    assert isinstance(param, polylr.Parametrization)


@pytest.mark.parametrize(
    "make",
    [
        lambda: pt.datasets(m=0),
        lambda: pt.datasets(noise=-1.0),
        lambda: pt.datasets(max_cond=0.5),
        lambda: pt.datasets(min_ky=1.5),
        lambda: pt.widths(0),
        lambda: pt.widths(8, 4),
        lambda: pt.setups(depth=0),
        lambda: pt.setups(train="some"),
        lambda: pt.setups(max_output_degree=0),
        lambda: pt.parametrizations(["xp"]),
        lambda: pt.intervals(5.0, 1.0),
        lambda: pt.intervals(0.0, 1.0, 2.0),
    ],
)
def test_invalid_arguments_raise_invalid_argument(make):
    with pytest.raises(InvalidArgument) as info:
        make()
    assert isinstance(info.value, polylr.PolylrError) and "\n" not in str(info.value)


def test_every_argument_takes_a_strategy():
    @settings(max_examples=1)
    @given(pt.datasets(m=st.just(0)))
    def bad_draw(data):
        pass

    with pytest.raises(InvalidArgument, match="m \\(number of data points\\) must be >= 1"):
        bad_draw()

    @settings(max_examples=10)
    @given(
        data=pt.datasets(m=2, d=2, noise=st.floats(0, 1), min_ky=st.floats(0.05, 0.5), max_cond=st.sampled_from([None, 50.0])),
        n=pt.widths(st.integers(1, 4), st.integers(8, 16)),
        iv=pt.intervals(max_value=st.floats(1.0, 2.0), min_length=st.just(0.5)),
    )
    def check(data, n, iv):
        assert data.m == 2 and 1 <= n <= 16 and iv[1] <= 2.0 and iv[1] - iv[0] >= 0.5 - 1e-12

    check()


@settings(max_examples=3)
@given(data=pt.datasets(m=2, d=2))
def test_session_budget_fixture_is_safe_under_given(data, mc_budgets):
    # no suppress_health_check: mc_budgets is session-scoped
    b = mc_budgets(seeds=16, widths=(8, 16))
    assert b.widths[:2] == (8, 16) and b.seeds >= 2


def test_polylr_profile_is_registered():
    from hypothesis import HealthCheck

    profile = settings.get_profile("polylr")
    assert profile.deadline is None and HealthCheck.function_scoped_fixture in profile.suppress_health_check
