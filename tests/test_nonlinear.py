"""The evaluation engine for networks and optimizers (polylr.train_curves / scan_lr) and its claims.

The essential check ties the new engine to the exact one: with linear activation, plain SGD, full
batch, μP (polylr's scales) and only the hidden layers trained, the engine trains the very networks
whose loss polynomials polylr.polys_from_weights computes, so its loss at every grid η must equal
the polynomial's value up to float64 round-off.
"""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import polylr

EPS = np.finfo(np.float64).eps


def linear_training(setup: polylr.Setup, dtype="float64") -> polylr.Training:
    return polylr.Training(
        net=polylr.MLP(depth=setup.depth, activation="linear", param=polylr.MUP_SGD, train=("hidden",)),
        optimizer=polylr.Optimizer("sgd"), data=setup.data, steps=setup.steps, dtype=dtype,
    )


# -- the cross-check with the exact polynomial -------------------------------------------------


def test_linear_sgd_equals_exact_polynomial():
    setup = polylr.Setup(depth=3, steps=2)  # loss degree 36 (t = 3 gives 186 but compiles 4x slower)
    steps = setup.steps
    tr = linear_training(setup)
    width, seeds = 32, (0, 3)
    e1 = polylr.eta_inf_t1(setup)
    etas = np.linspace(0.05, 1.5, 12) * e1
    cv = polylr.train_curves(tr, width, seeds, etas, master_seed=7)
    assert cv.dtype == "float64" and cv.curve.dtype == np.float64
    assert not cv.diverged.any()
    for s, seed in enumerate(seeds):
        key = polylr.weight_key(7, width, seed)
        W0, Ws, V = polylr.draw_weights(key, setup, width)
        p = polylr.init_params(key, tr, width)
        # The same networks: identical initial weights, bit for bit.
        assert np.array_equal(p["W0"], np.asarray(W0)) and np.array_equal(p["Ws"], np.asarray(Ws))
        assert np.array_equal(p["V"], np.asarray(V))
        for k in (1, steps):  # the loss before update 1 (curve) and after the last step (final)
            _, loss = polylr.polys_from_weights(setup.replace(steps=k), W0, Ws, V)
            exact = np.polynomial.polynomial.polyval(etas, loss)
            # Horner's round-off bound scales with Σ|c_k| η^k (the polynomial is ill-conditioned at
            # large η: up to 8e5 times |L| here, 1e16 at t = 3), so the tolerance is relative to it.
            # Measured: max |engine − polynomial| / (eps Σ|c_k|η^k) = 0.54 (L = 3, t = 2; 0.62 at
            # t = 3); the bound 16 leaves a margin of about 30.
            cond = np.polynomial.polynomial.polyval(etas, np.abs(loss))
            got = cv.final[s] if k == steps else cv.curve[s, :, k]
            assert np.all(np.abs(got - exact) <= 16 * EPS * cond), (k, np.max(np.abs(got - exact) / (EPS * cond)))
        _, loss0 = polylr.polys_from_weights(setup.replace(steps=1), W0, Ws, V)
        np.testing.assert_allclose(cv.curve[s, :, 0], loss0[0], rtol=1e-14)  # step 0: the initial loss
    # An independent implementation of the same GD (rank-one updates): equal at every η, including
    # where the monomial polynomial is ill-conditioned. Measured max relative difference 2.5e-15.
    gd = polylr.finite_loss_values(setup, width, seeds, etas, master_seed=7)
    np.testing.assert_allclose(cv.final, gd, rtol=1e-12)


def test_engine_float64_without_global_x64():
    """The engine scopes float64 itself: with JAX's x64 flag off it gives the same float64 numbers."""
    setup = polylr.Setup(depth=2, steps=2)
    tr = linear_training(setup)
    etas = np.array([0.2, 0.5])
    ref = polylr.train_curves(tr, 16, [1], etas).final
    with jax.enable_x64(False):
        got = polylr.train_curves(tr, 16, [1], etas).final
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, ref)
    # float32 is allowed, and recorded; it agrees to float32 round-off.
    cv32 = polylr.train_curves(tr.replace(dtype="float32"), 16, [1], etas)
    assert cv32.dtype == "float32" and cv32.to_json()["dtype"] == "float32"
    np.testing.assert_allclose(cv32.final, ref, rtol=1e-4)  # measured 1.2e-6


def test_training_runs_with_true_float32_products(monkeypatch):
    """JAX's default float32 matrix product on recent NVIDIA GPUs is TF32 (10-bit mantissa): every
    training program runs inside default_matmul_precision("highest"), scoped like float64. A CPU
    computes true float32 either way, so the scope itself is checked here; on a GPU
    benchmarks/gpu_session.py measures the difference it makes."""
    import polylr.analysis.train as train_module

    seen = []
    real = train_module._run

    def spy(*a, **k):
        seen.append(jax.config.jax_default_matmul_precision)
        return real(*a, **k)

    monkeypatch.setattr(train_module, "_run", spy)
    tr = linear_training(polylr.Setup(depth=2, steps=2), dtype="float32")
    polylr.train_curves(tr, 16, [1], np.array([0.2, 0.5]))
    assert seen == ["highest"]
    assert jax.config.jax_default_matmul_precision is None  # scoped, not a global side effect


# -- divergence ------------------------------------------------------------------------------------


def test_divergence_is_reported_never_a_minimum():
    setup = polylr.Setup(depth=3, steps=10)
    e1 = polylr.eta_inf_t1(setup)
    grid = np.geomspace(e1 / 20, 50 * e1, 14)
    cv = polylr.train_curves(linear_training(setup, "float64"), 16, [0, 1], grid)
    assert cv.diverged[:, -1].all() and not cv.diverged[:, 0].any()  # at 50 η_∞^(1) every run overflows
    scan = polylr.scan_lr(linear_training(setup, "float32"), 16, [0, 1], grid, xtol=0.05)
    div = scan.curves.diverged
    assert np.array_equal(div, cv.diverged)
    assert np.all(np.isinf(scan.curves.objective[div]))
    for a in scan.argmins:
        assert a is not None and a.eta < grid[np.argmax(div[0])] and math.isfinite(a.value)
    assert "inf" in json.dumps(scan.to_json(), allow_nan=False)  # diverged values are strings, never NaN


def test_every_eta_diverged_gives_no_argmin():
    setup = polylr.Setup(depth=3, steps=10)
    e1 = polylr.eta_inf_t1(setup)
    scan = polylr.scan_lr(linear_training(setup, "float32"), 16, [0], np.geomspace(100 * e1, 1000 * e1, 4))
    assert scan.curves.diverged.all() and scan.argmins == (None,) and scan.mean_argmin is None
    assert np.isnan(scan.etas_star[0])


# -- Adam: the per-layer learning rates, and argmins stable under grid refinement -------------------


def test_one_adam_step_by_hand():
    """One Adam step moves each trained weight by η·lr_layer·g/(|g| + eps) (bias-corrected first
    step); μP's Adam rule gives lr = 1, 1/n, 1/n to input, hidden, output weights."""
    data = polylr.Data.synthetic(8, 3, seed=2)
    n, eta = 16, 0.03
    tr = polylr.Training(net=polylr.MLP(depth=2, activation="tanh", param=polylr.MUP_ADAM), optimizer=polylr.Optimizer("adam"),
                         data=data, steps=1, dtype="float64")
    p = polylr.init_params(polylr.weight_key(0, n, 0), tr, n)

    def loss(q):
        h = jnp.tanh(data.X @ q["W0"].T)
        for W in q["Ws"]:
            h = jnp.tanh(h @ W.T)
        return jnp.sum((h @ q["V"] - data.y) ** 2) / (2 * data.m)

    with jax.enable_x64(True):  # the reference in float64 too (JAX's global flag is off in the tests)
        g = jax.grad(loss)({k: jnp.asarray(v) for k, v in p.items()})
        lr = {"W0": 1.0, "Ws": 1.0 / n, "V": 1.0 / n}
        q = {k: p[k] - eta * lr[k] * np.asarray(g[k]) / (np.abs(np.asarray(g[k])) + 1e-8) for k in p}
        want = float(loss(q))
    got = polylr.train_curves(tr, n, [0], [eta]).final[0, 0]
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.slow  # ~20-45 s on 2 shared cores (compiles several training programs)
def test_adam_linear_argmins_stable_under_grid_refinement():
    data = polylr.Data.synthetic(16, 16, noise=0.1, seed=0)
    tr = polylr.Training(net=polylr.MLP(depth=2, activation="linear", param=polylr.MUP_ADAM), optimizer=polylr.Optimizer("adam"),
                         data=data, steps=3, dtype="float64")
    # Adam's loss-vs-η landscape grows rugged at large η (several local minima per seed beyond
    # η ≈ 0.4 at t = 3): a grid must resolve the function, so the interval stops at 0.4.
    coarse, fine = np.geomspace(0.01, 0.4, 13), np.geomspace(0.01, 0.4, 25)
    a = polylr.scan_lr(tr, 32, range(3), coarse, xtol=1e-3)
    b = polylr.scan_lr(tr, 32, range(3), fine, xtol=1e-3)
    assert not any(x.on_boundary for x in a.argmins + b.argmins)
    # Refined in log η to 1e-3, both grids must agree to a few xtol (measured max 1.4e-4 per seed, 2.8e-4 for the mean curve:
    # a margin of 10).
    assert np.max(np.abs(np.log(a.etas_star / b.etas_star))) < 3e-3
    assert abs(math.log(a.mean_argmin.eta / b.mean_argmin.eta)) < 3e-3
    # Negative control: without refinement the grid minima differ by up to half the coarse grid's
    # spacing (0.31 in log η): the test above would fail for an engine that does not refine.
    c = polylr.scan_lr(tr, 32, range(3), coarse, refine=False)
    assert np.max(np.abs(np.log(c.etas_star / b.etas_star))) > 10 * 3e-3


# -- optimizers and minibatches ---------------------------------------------------------------------


@pytest.mark.slow  # ~20-45 s on 2 shared cores (compiles several training programs)
def test_optimizers_and_weight_decay_modes():
    data = polylr.Data.synthetic(12, 4, seed=1)
    base = polylr.Training(net=polylr.MLP(depth=1, activation="gelu", bias=True, bias_std=0.1), data=data, steps=5)
    out = {}
    for name, opt in {
        "momentum": polylr.Optimizer("momentum", momentum=0.9),
        "lion": polylr.Optimizer("lion", b1=0.9, b2=0.99),
        "adamw-coupled": polylr.Optimizer("adamw", weight_decay=0.5, decay="coupled"),
        "adamw-independent": polylr.Optimizer("adamw", weight_decay=0.5, decay="independent"),
        "adam": polylr.Optimizer("adam"),
    }.items():
        out[name] = polylr.train_curves(base.replace(optimizer=opt, net=base.net), 16, [0], [0.01, 0.1]).final[0]
        assert np.all(np.isfinite(out[name])), name
    # Independent decay (λθ per step) is much stronger than coupled (η·lr·λθ) at small η.
    assert not np.allclose(out["adamw-coupled"], out["adamw-independent"])
    assert not np.allclose(out["adamw-coupled"], out["adam"])


def test_minibatch_order_is_seeded_and_epochwise():
    data = polylr.Data.synthetic(10, 3, seed=0)
    tr = polylr.Training(data=data, steps=7, batch=4, order_seed=3)
    o = tr.order()
    assert o.shape == (7, 4)
    assert len(set(o[:2].ravel())) == 8  # one epoch (2 batches of 4 of 10 points) without repeats
    assert np.array_equal(o, tr.order()) and not np.array_equal(o, tr.replace(order_seed=4).order())
    cv = polylr.train_curves(tr, 8, [0], [0.1])
    assert cv.curve.shape == (1, 1, 7) and np.all(np.isfinite(cv.curve))


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("make,match", [
    (lambda: polylr.MLP(activation="swish"), "unknown activation 'swish'"),
    (lambda: polylr.Optimizer("rmsprop"), "unknown optimizer 'rmsprop'"),
    (lambda: polylr.Optimizer("adam", weight_decay=0.1), "use 'adamw'"),
    (lambda: polylr.Training(steps=-1), "steps must be >= 0"),
    (lambda: polylr.Training(batch=17), r"batch must be an integer in \[1, 16\]"),
    (lambda: polylr.Training(loss="hinge"), "unknown loss 'hinge'"),
    (lambda: polylr.Training(loss="logistic"), "logistic loss needs training targets"),
    (lambda: polylr.train_curves(polylr.Training(), 8, [0], []), "non-empty"),
    (lambda: polylr.train_curves(polylr.Training(), 8, [0], [0.1, -0.2]), r"finite and > 0, got -0.2"),
    (lambda: polylr.train_curves(polylr.Training(), 8, [0], [0.0]), r"finite and > 0, got 0.0"),
    (lambda: polylr.scan_lr(polylr.Training(), 8, [0], [0.1, 0.3, 0.2]), "strictly increasing"),
    (lambda: polylr.train_curves(polylr.Training(), 2**17, [0], [0.1]), r"needs about [0-9.]+ GiB .* over the memory limit 8.00 GiB"),
])
def test_bad_input_one_line_error(make, match):
    with pytest.raises(polylr.PolylrError, match=match) as e:
        make()
    assert "\n" not in str(e.value)


# -- the claims' machinery (tiny, underpowered on purpose) ----------------------------------------


def test_modes_counts_separated_minima():
    from polylr.claims.nonlinear import modes

    g = np.geomspace(1e-3, 1, 15)
    rng = np.random.default_rng(0)
    two = np.array([5, 4, 3, 2, 1, 2, 3, 2.5, 1.2, 2, 4, 6, np.inf, np.inf, np.inf], dtype=float)
    noise = rng.normal(size=(8, 15))
    noise -= noise.mean(axis=0)  # the seed mean is the curve itself
    assert modes(g, two + 0.01 * noise) == [4, 8]
    # the second dip (rise 1.8 to the hump at index 6) within 3 standard errors of the paired rise
    # (noise sd 2: se about 2·√2/√8 = 1) is no mode
    assert modes(g, two + 2.0 * noise) == [4]
    one = np.array([5, 4, 3, 2, 1.5, 1, 1.2, 2, 3, 4, 5, 6, 7, 8, 9], dtype=float)
    assert modes(g, one + 0.01 * noise) == [5]
    assert modes(g, one[None]) == [5]  # one seed: the 1 % floor only


def test_modes_pairs_the_rise_over_seeds():
    """A dip made by two of eight seeds spiking at the hump is not a mode (the paired rise's standard
    error is large), although the mean's standard error at the minimum is tiny (the rule before
    counted it); the same mean dip present in every seed is a mode."""
    from polylr.claims.nonlinear import modes

    g = np.geomspace(1e-3, 1, 9)
    base = np.array([5, 3, 1, 2, 3, 2.6, 3, 5, 7], dtype=float)  # one minimum at index 2; a shoulder at 4..6
    flat = np.tile(base, (8, 1)) + 1e-3 * np.random.default_rng(1).normal(size=(8, 9))
    spiky = flat.copy()
    spiky[:2, 4] += 4.0  # two seeds spike at the hump: mean hump 4.0, dip at index 5 (2.6) prominence 0.4
    mean = spiky.mean(axis=0)
    assert mean[4] - mean[5] > 3 * spiky[:, 5].std(ddof=1) / np.sqrt(8) + 0.01 * mean[5]  # the old rule's mode
    assert modes(g, spiky) == [2]
    every = flat.copy()
    every[:, 4] += 1.0  # the same mean hump, in every seed
    assert modes(g, every) == [2, 5]


@pytest.mark.slow  # ~20-45 s on 2 shared cores (compiles several training programs)
def test_claim_result_protocol(tmp_path):
    r = polylr.check_hayou_fig5(polylr.CheckOptions(budget=polylr.BUDGETS["tiny"], widths=(8, 16), seeds=2))
    assert r.name == "hayou-fig5" and r.seconds > 0
    assert {v.status for v in r.verdicts} <= {"holds", "fails", "inconclusive"}
    assert r.verdicts[0].status == "inconclusive"  # 2 seeds: underpowered by design
    json.dumps(r.to_json(), allow_nan=False)
    assert all(len(cols) == len(row) for _, cols, rows in r.tables() for row in rows)
    ((name, png),) = r.figures().items()
    assert name == "hayou-fig5.png" and png.startswith(b"\x89PNG")
    assert "hayou-fig5" in r.markdown()
    for name in ("hayou-fig4", "hayou-fig5", "gwb-relu-kindex", "gwb-relu-ball"):
        assert name in polylr.REGISTRY


def test_ball_data_is_balanced():
    from polylr.claims.nonlinear import ball_data, chi2_median

    # The threshold is the median of χ²_64, so P(y = 1) = 1/2: Monte Carlo with its standard error.
    y = ball_data(40000, seed=3).y
    assert abs(y.mean() - 0.5) < 4 * 0.5 / math.sqrt(y.size)
    assert abs(chi2_median(2) - 2 * math.log(2)) < 1e-12  # χ²_2 is exponential with mean 2


@pytest.mark.slow  # ~30 s: trains 2 widths x 2 seeds x a refined grid through the command line
def test_cli_check_writes_an_evaluation_claim(tmp_path):
    from typer.testing import CliRunner

    from polylr.cli import app

    out = tmp_path / "o"
    r = CliRunner().invoke(app, ["check", "hayou-fig5", "--budget", "tiny", "--widths", "8,16", "--seeds", "2", "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "hayou-fig5" / "summary.json").read_text())
    assert doc["check"] == "hayou-fig5" and doc["budget"]["widths"] == [8, 16]
    assert (out / "hayou-fig5" / "hayou-fig5.png").stat().st_size > 0
    assert "## hayou-fig5" in (out / "report.md").read_text()


def test_thorough_on_a_gpu_picks_the_gpu_entry_and_says_so(monkeypatch):
    """`--budget thorough` takes a claim's `thorough-gpu` entry when JAX's backend is a GPU (the
    H200 session saw widths 256 … 32768 for gwb-relu-kindex), records which entry ran, and keeps
    the user's widths and seeds; other levels, and thorough on a CPU, are unchanged."""
    from polylr.claims.base import CheckOptions, budget_entry, get_budget
    from polylr.claims.nonlinear import KINDEX_BUDGETS

    def entry(level, **kw):
        return budget_entry(CheckOptions(budget=get_budget(level), **kw), KINDEX_BUDGETS)

    monkeypatch.setattr(jax, "default_backend", lambda: "cpu")  # also where the tests run on a GPU
    cpu = entry("thorough")
    assert (cpu["entry"], cpu["widths"]) == ("thorough", KINDEX_BUDGETS["thorough"]["widths"])
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    gpu = entry("thorough")
    assert (gpu["budget"], gpu["entry"]) == ("thorough", "thorough-gpu")
    assert gpu["widths"] == KINDEX_BUDGETS["thorough-gpu"]["widths"] and gpu["steps"] == 2**14
    assert entry("quick")["entry"] == "quick"
    mine = entry("thorough", widths=(4096, 8192), seeds=2)
    assert (mine["widths"], mine["seeds"], mine["steps"]) == ((4096, 8192), 2, 2**14)


def test_gpu_entries_train_many_pairs_per_call(monkeypatch):
    """The GWB claims' thorough-gpu entries raise the chunk of (seed, η) pairs per compiled call and
    the memory limit (the default 512 MiB chunk trains one pair at a time from n = 4096: 176 s for
    n = 4096 with 2 seeds on the H200); the scan and the training receive them, and budget_entry
    caps the limit at 90 % of a smaller device's memory."""
    from polylr.analysis.train import chunk_shape
    from polylr.claims import nonlinear as nl
    from polylr.claims.base import CheckOptions, budget_entry, get_budget
    from polylr.engines.mlp import CHUNK_BYTES, MEMORY_LIMIT

    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    for table in (nl.KINDEX_BUDGETS, nl.BALL_BUDGETS):
        b = budget_entry(CheckOptions(budget=get_budget("thorough"), widths=(4096, 8192), seeds=2), table)
        b["steps"] = 4  # the training data's size only; the entry's 8192 held-out points
        tr = nl._gwb_training(nl.kindex_data(4 * 256, seed=0), nl.kindex_data(b["eval_m"], seed=1), b, "squared", nl.MUP_ADAM)
        grid = np.geomspace(*b["grid"][:2], b["grid"][2])
        assert tr.memory_limit == b["memory_limit"] > MEMORY_LIMIT and b["chunk_bytes"] > CHUNK_BYTES
        assert chunk_shape(tr, 4096, 2, 32, b["chunk_bytes"]) == (2, 8)  # 16 pairs per call, not 1
        assert chunk_shape(tr, 4096, 2, 32) == (1, 1)
        seen = {}

        class Recorder:  # a check's Runner: the claim's scans go through its scan
            def scan(self, *a, **kw):
                seen.update(kw)

        nl._scan(tr, 4096, b, grid, CheckOptions(runner=Recorder()))
        assert seen["chunk_bytes"] == b["chunk_bytes"]


def test_a_scan_puts_its_data_on_the_device_twice_not_once_per_round(monkeypatch):
    """scan_lr converts the training data (steps × batch points: 1 GiB at GWB's T = 2^14, about 1 s
    a call) for the grid and once for all refinement rounds, not once per round's call."""
    import polylr.analysis.train as train_module

    made, calls = [], []
    real_data, real_train = train_module._device_data, train_module._train_curves
    monkeypatch.setattr(train_module, "_device_data", lambda tr: made.append(1) or real_data(tr))
    monkeypatch.setattr(train_module, "_train_curves", lambda *a: calls.append(1) or real_train(*a))
    setup = polylr.Setup(depth=1, steps=3)
    polylr.scan_lr(linear_training(setup), 8, (0, 1), np.linspace(0.05, 1.0, 8) * polylr.eta_inf_t1(setup), xtol=0.01)
    assert len(calls) >= 3 and len(made) == 2  # the grid's call and 2 or more refinement rounds
