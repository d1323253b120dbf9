"""polylr.testing: strategies draw only valid inputs and shrink to small ones; the assertions pass
and fail when they should, with readable messages; the Monte Carlo budget scales as documented."""

import math
import re
import textwrap
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

import polylr
import polylr.testing as pt
from polylr import PolylrError
from polylr.engines.coeffs import MAX_OUTPUT_DEGREE
from polylr.engines.limit import limit_t1
from polylr.core.setup import PRESETS
from tolerances import INTERVAL_SLACK_REL

# -- strategies: invariants ----------------------------------------------------------------


def kernel_ratio(data):
    K = data.K
    return np.linalg.norm(K @ data.y) / (np.linalg.norm(K, 2) * np.linalg.norm(data.y))


def assert_valid_data(data, m_range, d_range, max_cond, min_ky, noise):
    assert isinstance(data, polylr.Data)
    assert m_range[0] <= data.m <= m_range[1] and d_range[0] <= data.d <= d_range[1]
    assert data.X.dtype == data.y.dtype == np.float64
    assert np.all(np.isfinite(data.X)) and np.all(np.isfinite(data.y))
    assert np.max(np.abs(data.X)) <= 2 and np.max(np.abs(data.y)) <= 4 * data.d + noise
    if max_cond is not None:
        assert np.linalg.cond(data.X) <= max_cond
    assert kernel_ratio(data) >= min_ky
    eta_inf = polylr.eta_inf_t1(polylr.Setup(data=data, depth=2))  # K y ≠ 0, so η_∞ exists
    assert math.isfinite(eta_inf) and eta_inf > 0


@given(pt.datasets())
def test_datasets_default_invariants(data):
    assert_valid_data(data, (1, 8), (1, 6), 100.0, 0.1, 0.5)


@given(pt.datasets(m=st.integers(3, 5), d=2, noise=0.0, max_cond=None, min_ky=0.5))
def test_datasets_chosen_sizes_and_thresholds(data):
    assert_valid_data(data, (3, 5), (2, 2), None, 0.5, 0.0)


@given(pt.datasets(m=6, d=6, max_cond=3.0))
def test_datasets_condition_bound_is_kept_for_square_data(data):
    assert_valid_data(data, (6, 6), (6, 6), 3.0, 0.1, 0.5)


@given(pt.setups())
def test_setups_are_valid(setup):
    assert isinstance(setup, polylr.Setup)
    assert 1 <= setup.depth <= 3 and 1 <= setup.steps <= 2 and setup.train == "hidden"
    assert setup.param in PRESETS.values()
    assert polylr.output_degree(setup) <= MAX_OUTPUT_DEGREE


@given(pt.setups(depth=st.integers(1, 3), steps=st.integers(1, 3), param="mup", train=st.sampled_from(["hidden", "all"]), max_output_degree=40))
def test_setups_respect_the_degree_limit(setup):
    assert setup.param == polylr.MUP
    assert polylr.output_degree(setup) <= 40


@given(pt.parametrizations(presets=["sp", "ntp"], exponents={"v": (1.0, 2.0), "c": st.sampled_from([0.0, 0.5, 1.0]), "in_lr": -1.0}))
def test_parametrizations_presets_and_custom_ranges(param):
    assert isinstance(param, polylr.Parametrization)
    if param.name.startswith("custom("):
        assert 1.0 <= param.out_var <= 2.0 and param.hidden_lr in (0.0, 0.5, 1.0) and param.in_lr == -1.0
        # unnamed exponents take μP's values
        assert (param.hidden_var, param.in_var, param.out_lr) == (polylr.MUP.hidden_var, polylr.MUP.in_var, polylr.MUP.out_lr)
    else:
        assert param in (polylr.SP, polylr.NTP)


@given(pt.widths(4, 32))
def test_widths_in_range(n):
    assert isinstance(n, int) and 4 <= n <= 32


@given(pt.intervals())
def test_intervals_default(interval):
    lo, hi = interval
    assert 0 <= lo < hi <= 10 and hi - lo >= 0.01 * (1 - INTERVAL_SLACK_REL)
    polylr.core.errors.check_interval(lo, hi)  # what the argmin requires


@given(st.data())
def test_intervals_contain_the_point(data):
    c = data.draw(st.floats(0.5, 3.0))
    lo, hi = data.draw(pt.intervals(0.5, 3.0, min_length=0.25, containing=c))
    assert 0.5 <= lo <= c <= hi <= 3.0 and hi - lo >= 0.25 * (1 - INTERVAL_SLACK_REL)


@given(pt.intervals(containing=st.floats(0, 10)))
def test_intervals_with_a_drawn_point(interval):
    lo, hi = interval
    assert 0 <= lo < hi <= 10


# -- strategies: shrinking -----------------------------------------------------------------

# find() the minimal example, fresh each run, without the (slow, here useless) explain phase.
FIND = settings(database=None, phases=[Phase.generate, Phase.shrink])


def test_datasets_shrink_to_one_point_in_one_dimension():
    data = find(pt.datasets(), lambda d: True, settings=FIND)
    assert (data.m, data.d) == (1, 1) and data.X.tolist() == [[1.0]]
    bigger = find(pt.datasets(), lambda d: d.m >= 4, settings=FIND)
    assert (bigger.m, bigger.d) == (4, 1)
    np.testing.assert_array_equal(bigger.X, np.eye(4, 1))  # E shrinks to 0


def test_setups_shrink_to_depth_one_step_one_mup():
    setup = find(pt.setups(), lambda s: True, settings=FIND)
    assert (setup.depth, setup.steps, setup.param, setup.train) == (1, 1, polylr.MUP, "hidden")
    assert (setup.data.m, setup.data.d) == (1, 1)
    deep = find(pt.setups(), lambda s: s.depth >= 2 and s.param != polylr.MUP, settings=FIND)
    assert (deep.depth, deep.steps, deep.param, deep.data.m) == (2, 1, polylr.SP, 1)


def test_other_strategies_shrink_to_simple_values():
    assert find(pt.intervals(), lambda i: True, settings=FIND) == (0.0, 1.0)
    assert find(pt.widths(2, 100), lambda n: n > 10, settings=FIND) == 11
    custom = find(pt.parametrizations(presets=(), exponents={"v": (1.0, 2.0)}), lambda p: True, settings=FIND)
    assert custom.out_var == 1.0 and custom.name == "custom(out_var=1)"


# -- strategies: argument validation -------------------------------------------------------


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: pt.datasets(m=0), r"m \(number of data points\) must be >= 1, got 0"),
        (lambda: pt.datasets(d=2.5), r"d \(input dimension\) must be an integer, got 2.5"),
        (lambda: pt.datasets(noise=-1), "noise must be >= 0, got -1"),
        (lambda: pt.datasets(max_cond=0.5), r"max_cond must be >= 1 .* got 0.5"),
        (lambda: pt.datasets(min_ky=1.5), r"min_ky must be in \(0, 1\) .* got 1.5"),
        (lambda: pt.setups(depth=0), "depth L must be >= 1, got 0"),
        (lambda: pt.setups(train="some"), "train must be one of hidden, all, got 'some'"),
        (lambda: pt.setups(param="xp"), "unknown parametrization 'xp'"),
        (lambda: pt.setups(data=np.eye(2)), "data must be a polylr.Data"),
        (lambda: pt.setups(depth=3, steps=4), "degree 468 in η; max_output_degree allows <= 250"),
        (lambda: pt.parametrizations(presets=["mup", "xp"]), r"preset must be one of \['mup', 'ntp', 'sp'\], got 'xp'"),
        (lambda: pt.parametrizations(presets="mup"), "presets must be a sequence"),
        (lambda: pt.parametrizations(presets=()), "at least one preset or some exponents"),
        (lambda: pt.parametrizations(exponents={"w": 1.0}), "unknown or repeated exponent 'w'"),
        (lambda: pt.parametrizations(exponents={"v": 1.0, "out_var": 2.0}), "unknown or repeated exponent 'out_var'"),
        (lambda: pt.parametrizations(exponents={"v": (2.0, 1.0)}), r"range must have lo <= hi, got \(2.0, 1.0\)"),
        (lambda: pt.parametrizations(exponents={"v": math.inf}), "exponent out_var must be finite"),
        (lambda: pt.widths(0, 10), r"min_value \(smallest width\) must be >= 1, got 0"),
        (lambda: pt.widths(10, 5), r"max_value \(largest width\) must be >= 10, got 5"),
        (lambda: pt.intervals(-1.0, 2.0), "min_value must be >= 0 .* got -1.0"),
        (lambda: pt.intervals(2.0, 1.0), "max_value must be > min_value = 2.0, got 1.0"),
        (lambda: pt.intervals(0.0, 1.0, min_length=2.0), r"min_length must be in \[1e-09, .* = 1\], got 2.0"),
        (lambda: pt.intervals(0.0, 1.0, containing=1.5), r"containing must lie in \[min_value, max_value\] = \[0.0, 1.0\], got 1.5"),
    ],
)
def test_bad_arguments_are_rejected_eagerly(make, match):
    with pytest.raises(PolylrError, match=match):
        make()


@pytest.mark.parametrize(
    "strategy, match",
    [
        (pt.datasets(m=st.just(0)), r"m \(number of data points\) must be >= 1, got 0"),
        (pt.setups(data=polylr.Data.synthetic(2, 1), depth=st.just(-1)), "depth L must be >= 1, got -1"),
        (pt.setups(data=polylr.Data.synthetic(2, 1), param=st.just(3)), "param must be a Parametrization"),
        (pt.intervals(0.0, 1.0, containing=st.just(2.0)), "containing must lie in"),
    ],
)
def test_bad_drawn_values_are_rejected_when_drawn(strategy, match):
    with pytest.raises(PolylrError, match=match):
        find(strategy, lambda x: True, settings=FIND)


# -- assert_converges ----------------------------------------------------------------------

WIDTHS = (64, 128, 256, 512, 1024, 2048)


def synthetic(exponent, seeds, *, limit=1.5, bias=0.0, seed=0, shape=()):
    """Estimates ``limit + bias + 2 n^exponent Z``: mean |estimate − limit| is exactly ∝ n^exponent when bias = 0."""
    rng = np.random.default_rng(seed)
    return {n: limit + bias + 2.0 * n**exponent * rng.standard_normal((seeds, *shape)) for n in WIDTHS}


def test_converges_at_the_right_rate():
    v = pt.assert_converges(synthetic(-0.5, 200), 1.5, rate=-0.5)
    assert v.status == "holds" and v.evidence["ci"][1] <= -0.4
    assert abs(v.evidence["exponent"] + 0.5) < 0.05
    assert pt.assert_converges(synthetic(-0.5, 200), 1.5, rate=None).status == "holds"
    # a faster decay than claimed passes: O(n^-1/2) is an upper bound
    assert pt.assert_converges(synthetic(-1.0, 200), 1.5, rate=-0.5).status == "holds"


def test_converges_with_one_value_per_point_and_an_array_limit():
    limit = np.array([0.5, -1.0, 2.0])
    estimates = synthetic(-0.5, 100, limit=limit, shape=(3,))
    assert pt.assert_converges(estimates, limit, rate=-0.5).status == "holds"
    with pytest.raises(AssertionError, match="false on this evidence"):
        pt.assert_converges(estimates, limit[::-1], rate=-0.5)  # wrong limit for two of the points


def test_fails_on_a_sequence_that_does_not_converge():
    estimates = synthetic(0.0, 200)
    for rate in (-0.5, None):
        with pytest.raises(AssertionError) as info:
            pt.assert_converges(estimates, 1.5, rate=rate, name="η_n")
        msg = str(info.value)
        assert "assert_converges failed" in msg and "false on this evidence" in msg
        assert "fitted exponent" in msg and "95% CI" in msg and "mean |η_n − limit|" in msg
        for n in WIDTHS:  # one row per width: width, seeds, value, its CI
            assert re.search(rf"^ +{n} +200 +\d\.\d+e[+-]\d+ +\[", msg, re.MULTILINE), msg


def test_fails_on_a_wrong_rate():
    estimates = synthetic(-0.25, 200)
    with pytest.raises(AssertionError, match=r"fitted exponent of .* -0\.2\d\d.*lies above -0\.40"):
        pt.assert_converges(estimates, 1.5, rate=-0.5)
    assert pt.assert_converges(estimates, 1.5, rate=None).status == "holds"  # it does converge


def test_fails_on_a_wrong_limit():
    with pytest.raises(AssertionError, match="false on this evidence"):
        pt.assert_converges(synthetic(-0.5, 200, bias=0.2), 1.5, rate=None)


def test_too_few_seeds_is_inconclusive_and_says_so():
    estimates = synthetic(-0.5, 6)  # true rate, but 6 seeds cannot tell
    with pytest.raises(AssertionError, match="8 seeds are needed") as info:
        pt.assert_converges(estimates, 1.5)
    assert "undecided on this evidence" in str(info.value)


def test_straddling_interval_is_inconclusive_and_says_so():
    estimates = synthetic(-0.45, 12)  # a rate at the edge, 12 seeds: the interval straddles it
    with pytest.raises(AssertionError, match="more seeds or widths are needed") as info:
        pt.assert_converges(estimates, 1.5)
    assert "undecided on this evidence" in str(info.value) and "straddles" in str(info.value)
    assert pt.assert_converges(estimates, 1.5, allow_inconclusive=True).status == "inconclusive"


@given(st.floats(-1.2, -0.65), st.integers(0, 2**32 - 1))
def test_property_decays_faster_than_claimed_pass(exponent, seed):
    pt.assert_converges(synthetic(exponent, 200, seed=seed), 1.5, rate=-0.5, n_boot=300)


@given(st.floats(-0.25, 0.5), st.integers(0, 2**32 - 1))
def test_property_slower_decays_fail(exponent, seed):
    with pytest.raises(AssertionError, match="false on this evidence"):
        pt.assert_converges(synthetic(exponent, 200, seed=seed), 1.5, rate=-0.5, n_boot=300)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"rate": 0.5}, r"rate \+ tol < 0 .* got rate = 0.5, tol = 0.1"),
        ({"rate": -0.05}, r"rate \+ tol < 0"),
        ({"rate": None, "tol": 0.0}, "with rate=None, tol must be > 0"),
        ({"level": 1.0}, r"level must be in \(0, 1\), got 1.0"),
        ({"limit": np.ones(2)}, r"limit of shape \(2,\) must broadcast to the per-seed shape \(\)"),
        ({"limit": math.nan}, "limit must be finite"),
        ({"estimates_by_width": {64: np.ones(3)}}, r"at least 2 widths, got \[64\]"),
        ({"estimates_by_width": [np.ones(3), np.ones(3)]}, "must be a mapping width -> array"),
        ({"estimates_by_width": {64: np.ones(3), 128: [1.0, np.nan]}}, r"at width 128: entry \(1,\) is nan"),
        ({"estimates_by_width": {64: np.ones(3), 0: np.ones(3)}}, "width n must be >= 1, got 0"),
        ({"estimates_by_width": {64: np.ones(3), 128: np.ones(3)}}, "mean_abs is 0 at width"),
    ],
)
def test_assert_converges_rejects_bad_inputs(kwargs, match):
    args = {"estimates_by_width": synthetic(-0.5, 10), "limit": 1.0 if "estimates_by_width" in kwargs else 1.5, **kwargs}
    with pytest.raises(PolylrError, match=match):
        pt.assert_converges(**args)


# -- assert_exponent -----------------------------------------------------------------------


def test_assert_exponent_pins_the_exponent_from_both_sides():
    rng = np.random.default_rng(5)
    samples = {n: n**-0.5 * rng.standard_normal(300) for n in WIDTHS}
    for statistic in ("mean_abs", "rms", "sd"):
        assert pt.assert_exponent(samples, -0.5, statistic=statistic).status == "holds"
    for wrong in (-1.0, 0.0, -0.3):
        with pytest.raises(AssertionError, match=r"assert_exponent failed.*false on this evidence"):
            pt.assert_exponent(samples, wrong, tol=0.1)
    few = {n: s[:4] for n, s in samples.items()}
    with pytest.raises(AssertionError, match="more seeds or widths are needed"):
        pt.assert_exponent(few, -0.5)
    assert pt.assert_exponent(few, -0.5, allow_inconclusive=True).status == "inconclusive"
    with pytest.raises(PolylrError, match=r"need a 1-d array \(one value per seed\), got shape \(300, 1\)"):
        pt.assert_exponent({n: s[:, None] for n, s in samples.items()}, -0.5)
    with pytest.raises(PolylrError, match="statistic must be one of"):
        pt.assert_exponent(samples, -0.5, statistic="median")


# -- assert_polynomial_matches -------------------------------------------------------------


def test_polynomial_matches_a_closed_form():
    setup = polylr.Setup(data=polylr.Data.synthetic(6, 3, seed=2), depth=3)
    data, L = setup.data, setup.depth
    Ky = data.K @ data.y

    def loss(eta):
        return np.sum((eta * L / data.m * Ky - data.y) ** 2) / (2 * data.m)

    etas = np.linspace(0, 4 * polylr.eta_inf_t1(setup), 9)
    pt.assert_polynomial_matches(limit_t1(setup).loss, loss, etas)
    pt.assert_polynomial_matches(limit_t1(setup, exact=True).loss, loss, etas)


def test_polynomial_tolerance_is_aware_of_cancellation():
    """(η − 1)^10 expanded has coefficients up to 252 that cancel near η = 1: the float64 value there
    is rounding noise ~1e-14 while the true value is ~1e-20; that is a match to float64 accuracy."""
    p = polylr.EtaPoly([-1.0, 1.0]) ** 10  # float64: an exact polynomial now evaluates exactly
    etas = [0.99, 0.999, 1.0, 1.001, 2.0]
    pt.assert_polynomial_matches(p, lambda eta: float((Fraction(eta) - 1) ** 10), etas, rtol=1e-13)
    naive = [abs(p(e) - (e - 1) ** 10) <= 1e-13 * abs((e - 1) ** 10) for e in etas]
    assert not all(naive)  # a tolerance relative to |fn(η)| alone would reject it


def test_polynomial_mismatch_fails_with_the_worst_points():
    p = polylr.EtaPoly([1.0, -2.0, 0.5], label="q")
    with pytest.raises(AssertionError) as info:
        pt.assert_polynomial_matches(p, lambda eta: 1 - 2 * eta + 0.5 * eta**2 + 1e-6 * eta**3, [0.0, 1.0, 3.0])
    msg = str(info.value)
    assert "q differs from fn at 2 of 3 points" in msg
    worst = msg.splitlines()[2].split()
    assert float(worst[0]) == 3.0  # the largest excess first
    with pytest.raises(AssertionError, match="1 of 1 points"):
        pt.assert_polynomial_matches(p, lambda eta: math.nan, [1.0])
    with pytest.raises(PolylrError, match="must return a real number"):
        pt.assert_polynomial_matches(p, lambda eta: "one", [1.0])
    with pytest.raises(PolylrError, match="etas must be a non-empty 1-d array"):
        pt.assert_polynomial_matches(p, lambda eta: 0.0, [])
    with pytest.raises(PolylrError, match="poly must be a polylr.EtaPoly"):
        pt.assert_polynomial_matches([1.0], lambda eta: 0.0, [1.0])


# -- Monte Carlo budget --------------------------------------------------------------------


def test_budget_levels_scale_as_documented():
    base = dict(seeds=33, widths=(256, 64, 128), n_boot=1000)
    assert pt.MCBudget.at("default", **base) == pt.MCBudget("default", 33, (64, 128, 256), 1000)
    assert pt.MCBudget.at("quick", **base) == pt.MCBudget("quick", 17, (64, 128, 256), 500)
    assert pt.MCBudget.at("tiny", **base) == pt.MCBudget("tiny", 9, (64, 128, 256), 250)
    assert pt.MCBudget.at("thorough", **base) == pt.MCBudget("thorough", 132, (64, 128, 256, 512), 2000)
    assert pt.MCBudget.at("quick", seeds=2, widths=(8, 16), n_boot=300).n_boot == 200
    assert pt.MCBudget.at("quick", seeds=2, widths=(8, 16), n_boot=50).n_boot == 50
    with pytest.raises(PolylrError, match=r"unknown budget 'huge'; choose one of tiny, quick, default, thorough"):
        pt.MCBudget.at("huge")
    with pytest.raises(PolylrError, match="at least 2 distinct"):
        pt.MCBudget.at(widths=(64, 64))
    with pytest.raises(PolylrError, match=r"seeds \(per width\) must be >= 2, got 1"):
        pt.MCBudget.at(seeds=1)


INNER_TEST = """
import pytest

@pytest.mark.mc_budget(seeds=10, widths=(8, 16), n_boot=400)
def test_marked(mc_budget):
    assert (mc_budget.seeds, mc_budget.widths, mc_budget.n_boot) == {marked}

def test_unmarked(mc_budget):
    assert mc_budget.level == {level!r}
"""


@pytest.mark.parametrize(
    "args, ci, level, marked",
    [
        ([], None, "default", (10, (8, 16), 400)),
        ([], "1", "quick", (5, (8, 16), 200)),
        (["--polylr-budget=thorough"], "1", "thorough", (40, (8, 16, 32), 800)),
    ],
)
def test_plugin_option_marker_and_fixture(pytester, monkeypatch, args, ci, level, marked):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # load the plugin once, by -p
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makepyfile(textwrap.dedent(INNER_TEST.format(marked=marked, level=level)))
    result = pytester.runpytest("-p", "polylr.testing.plugin", "--strict-markers", *args)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"polylr Monte Carlo budget: {level}*"])


def test_plugin_loads_by_its_entry_point_without_side_effects(pytester, monkeypatch):
    """Installing polylr registers its plugin (pytest11 entry point); since importing polylr changes
    no global state, a session that loads it keeps JAX in 32-bit mode."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    pytester.makepyfile(
        "import jax\n"
        "def test_x64_untouched():\n"
        "    import polylr  # noqa: F401\n"
        "    assert jax.config.jax_enable_x64 is False\n"
    )
    pytester.runpytest("--polylr-budget=quick").assert_outcomes(passed=1)
    result = pytester.runpytest("-p", "no:polylr", "--polylr-budget=quick")  # negative control: plugin off
    assert result.ret == pytest.ExitCode.USAGE_ERROR
