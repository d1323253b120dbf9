"""assert_fast_transfer: passes on fast transfer and on a proved counterexample asserted as not fast,
fails on planted false claims (same sample sizes), false-positive rates measured; the estimators are
the fast-transfer claim's (polylr.network_gaps, fit_gaps, transfer_decisions).

Synthetic gaps mimic what the L = 1 theorem (Sakai & Imaizumi) proves at fixed t:
- fast (≥ 2 active eigen-directions): a_n, b_n = Θ_p(n^-1/2), c_n ≍ b_n² = Θ_p(n^-1): 2β − α = 1/2;
- not fast (XXᵀ = I, t = 1): a_n, c_n = Θ_p(n^-1), b_n = Θ_p(n^-1/2): 2β − α = 0, the edge case
  of Definition 2 (the hardest case for fast=False);
with per-network half-normal / χ² fluctuations of the sizes measured on the real L = 1 networks.
"""

import numpy as np
import pytest

import polylr
import polylr.testing as pt
from false_positives import failure_rate  # noqa: E402

WIDTHS = (64, 256, 1024, 4096, 16384)


def synthetic(seed, *, alpha=0.5, networks=128, widths=WIDTHS):
    """b_n = 55 n^-1/2 |Z|, c_n = 1e-3 b_n², a_n = 2e-2 n^-α χ²_1 per network: 2β − α = 1 − α."""
    rng = np.random.default_rng(seed)
    out = {"a": {}, "b": {}, "c": {}}
    for n in widths:
        z1, z2 = rng.standard_normal(networks), rng.standard_normal(networks)
        b = 55.0 * n**-0.5 * np.abs(z1)
        out["b"][n] = b
        out["c"][n] = 1e-3 * b**2
        out["a"][n] = 2e-2 * n**-alpha * z2**2
    return out


# -- synthetic: true passes, planted false fails, with the numbers in the message ----------------


def test_fast_case_passes_and_reports_its_interval():
    v = pt.assert_fast_transfer(synthetic(0))
    assert v.status == "holds"
    lo, hi = v.evidence["interval"]
    assert 0.1 <= lo <= v.evidence["point"] <= hi  # 2β − α = 1/2 planted
    assert set(v.evidence["decisions"]) == {"fast", "ratio", "c_b2"} and v.evidence["decisions"]["c_b2"]["status"] == "holds"


def test_planted_not_fast_fails_with_the_numbers():
    # a_n ~ n^-1.2 with b_n ~ n^-1/2: 2β − α = -0.2, decided not fast at 128 networks
    with pytest.raises(AssertionError, match=r"(?s)assert_fast_transfer failed.*is false.*2β − α = .*lies below 0.1.*mean a_n.*fitted exponents"):
        pt.assert_fast_transfer(synthetic(1, alpha=1.2))


def test_not_fast_is_asserted_on_the_edge_case_and_fails_on_a_fast_case():
    # 2β − α = 0 exactly (XXᵀ = I at t = 1): "not fast" is decided
    assert pt.assert_fast_transfer(synthetic(2, alpha=1.0), fast=False).status == "holds"
    with pytest.raises(AssertionError, match=r"(?s)'transfer is not fast.*is false"):
        pt.assert_fast_transfer(synthetic(2), fast=False)


def test_undecided_is_reported_and_can_be_allowed():
    # 2β − α = 0.1 exactly: the interval straddles the edge
    with pytest.raises(AssertionError, match="undecided.*|inconclusive"):
        pt.assert_fast_transfer(synthetic(3, alpha=0.9))
    assert pt.assert_fast_transfer(synthetic(3, alpha=0.9), allow_inconclusive=True).status == "inconclusive"


@pytest.mark.parametrize(
    "target, kwargs, match",
    [
        ({"a": {64: [1.0]}, "b": {64: [1.0]}}, {}, "missing \\['c'\\]"),
        (lambda: {**synthetic(0), "c": {64: np.ones(128), 256: np.ones(128)}}, {}, "gap 'c' has widths"),
        (lambda: {**synthetic(0), "b": {n: -v for n, v in synthetic(0)["b"].items()}}, {}, "values >= 0"),
        (lambda: synthetic(0), {"tol": 0.7}, "tol must be in \\(0, 0.5\\)"),
        (lambda: synthetic(0), {"fast": "yes"}, "fast must be True or False"),
        (polylr.Setup(depth=1), {}, "pass widths= and networks="),
        ([1, 2], {}, "target must be a polylr.Setup"),
        (polylr.Setup(depth=1), {"widths": (64, 128), "networks": 4, "sampler": "Dense"},
         "sampler must be one of auto, dense, gram, shallow, got 'Dense'$"),
    ],
)
def test_bad_input_is_refused_in_one_line(target, kwargs, match):
    target = target() if callable(target) else target
    with pytest.raises(polylr.PolylrError, match=match) as info:
        pt.assert_fast_transfer(target, **kwargs)
    assert "\n" not in str(info.value)


def test_transfer_gaps_checks_the_sampler_word_before_any_work(monkeypatch):
    import inspect

    import polylr.testing.transfer as tt

    def no_work(*a, **k):
        raise AssertionError("work started before the sampler was checked")

    monkeypatch.setattr(tt, "eta_inf_t1", no_work)
    monkeypatch.setattr(tt, "network_gaps", no_work)
    for bad in ("Dense", "", 1, None):
        with pytest.raises(polylr.InvalidInput, match=r"^sampler must be one of auto, dense, gram, shallow, got "):
            pt.transfer_gaps(polylr.Setup(depth=1), (64, 128), 4, sampler=bad)
    # typed with the project's vocabulary, here and in the assertion's synthesised signature
    assert inspect.signature(pt.transfer_gaps).parameters["sampler"].annotation == "SweepSampler"
    assert inspect.signature(pt.assert_fast_transfer).parameters["sampler"].annotation == "SweepSampler"


# -- false-positive rates ------------------------------------------------------------------------

FP_CASES = {
    # name: one call on a true case from seed k (128 networks, 5 widths, 400 resamples)
    "fast": lambda k: pt.assert_fast_transfer(synthetic(1000 + k), n_boot=400, boot_seed=k),
    "not fast (t = 2: 2β − α = -1)": lambda k: pt.assert_fast_transfer(synthetic(2000 + k, alpha=2.0), fast=False, n_boot=400,
                                                                       boot_seed=k),
}


@pytest.mark.parametrize("name", sorted(FP_CASES))
def test_false_positive_rate_quick(name):
    # 25 runs: a true rate <= 5 % gives <= 3 failures with probability 0.97 (binomial)
    assert failure_rate(FP_CASES[name], 25) <= 3 / 25


# The edge case 2β = α (XXᵀ = I at t = 1) asserted not fast needs the interval of 2β − α wholly
# below tol = 0.1: measured (40 runs) 10/40 undecided at 128 networks, 0/40 at 512 and at 2048.
SLOW_FP_CASES = {
    **FP_CASES,
    "not fast (edge 2β = α, 512 networks)": lambda k: pt.assert_fast_transfer(
        synthetic(3000 + k, alpha=1.0, networks=512), fast=False, n_boot=400, boot_seed=k),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_FP_CASES))
def test_false_positive_rate_measured(name):
    # 400 runs; the rate is printed for docs/testing.md; allowed: 5 % plus 2 binomial s.e.
    rate = failure_rate(SLOW_FP_CASES[name], 400)
    print(f"assert_fast_transfer, {name}: false-positive rate {rate:.4f} over 400 true cases")
    assert rate <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 400)


# -- the real engine: L = 1 networks (exact-in-law shallow sampler), the proved cases --------------

REAL_WIDTHS = tuple(2**k for k in range(6, 15))  # 64 … 16384
REAL_NETWORKS = 128


def test_real_l1_generic_is_fast_and_identity_gram_is_not():
    # Measured (128 networks, 9 widths): generic 2β − α = 0.460 [0.399, 0.521] (fast);
    # XXᵀ = I: 0.036 [-0.018, 0.085] (not fast; the planted false claim "fast" fails on it)
    v = pt.assert_fast_transfer(polylr.Setup(depth=1), widths=REAL_WIDTHS, networks=REAL_NETWORKS)
    assert v.status == "holds" and v.evidence["networks"] == [REAL_NETWORKS] * len(REAL_WIDTHS)
    iso = pt.transfer_gaps(polylr.Setup(data=polylr.identity_gram_data(4, 8, seed=0), depth=1), REAL_WIDTHS, REAL_NETWORKS)
    with pytest.raises(AssertionError, match=r"(?s)is false.*lies below 0.1: not fast"):
        pt.assert_fast_transfer(iso)
    assert pt.assert_fast_transfer(iso, fast=False).status == "holds"


@pytest.mark.slow
def test_false_positive_rate_real_l1_networks():
    # 50 independent runs (master seeds) of the proved fast case: the rate is printed for the docs
    setup = polylr.Setup(depth=1)
    rate = failure_rate(lambda k: pt.assert_fast_transfer(setup, widths=REAL_WIDTHS, networks=REAL_NETWORKS, master_seed=k + 1,
                                                          n_boot=400, boot_seed=k), 50)
    print(f"assert_fast_transfer on real L = 1 networks: false-positive rate {rate:.3f} over 50 runs")
    assert rate <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 50)


@pytest.mark.slow
def test_gram_sampler_takes_deep_networks_to_large_widths():
    # L = 2 (no theorem): measured fast at t = 1, 2β − α = 0.387 [0.231, 0.560] (32 networks,
    # widths 2^8 … 2^14, 40 s); the swapped control (a_n ↔ c_n) must be decided not fast
    g = pt.transfer_gaps(polylr.Setup(depth=2), (2**8, 2**10, 2**12, 2**14), 32, sampler="gram")
    assert g.sampler == "gram"
    assert pt.assert_fast_transfer(g, allow_inconclusive=True).status in ("holds", "inconclusive")
    with pytest.raises(AssertionError, match="is false"):
        pt.assert_fast_transfer(g.swapped())
