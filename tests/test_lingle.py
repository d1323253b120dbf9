"""Lingle's ablations at toy scale: the character model (engines/charlm.py, analysis/train_lm.py)
and the claims (claims/lingle.py).

Default run: the generated text, the model's μP scales, its loss against an independent NumPy
forward pass, one Adam step through the engine against optax by hand, validation, the verdict
rules on synthetic curves (both outcomes). Slow: a small μP-vs-SP contrast, and every ablation
claim at the ``quick`` budget against the outcome measured (docs/lingle.md), each with a negative
control of the opposite outcome.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import polylr
import polylr.analysis.train as train_module
from polylr.analysis.train_lm import lm_config, lm_init_params, lm_loss, lm_lr_tree, transformer_logits
from polylr.claims import lingle
from polylr.claims.base import CheckOptions, get_budget, get_claim
from polylr.engines.charlm import BASE_WIDTH, LM_MUP, LM_SP, CharLM, LMTraining, alphabet, char_data, toy_text


def small_training(**kw) -> LMTraining:
    data, held = char_data(512, eval_m=128, seed=3)
    base = dict(net=CharLM(blocks=2), optimizer=polylr.Optimizer("adam"), data=data, eval_data=held, steps=5, batch=16)
    return LMTraining(**{**base, **kw})


# -- the text --------------------------------------------------------------------------------------


def test_text_is_deterministic_and_in_the_alphabet():
    a, b, c = toy_text(5000, seed=1), toy_text(5000, seed=1), toy_text(5000, seed=2)
    assert a == b and a != c and len(a) == 5000
    assert set(a) <= set(alphabet()) and len(alphabet()) == 27
    data, held = char_data(300, context=5, eval_m=50, seed=1)
    ids = {ch: i for i, ch in enumerate(alphabet())}
    # Window i is characters i..i+4 of the text, its target character i+5.
    assert data.X.shape == (300, 5) and held.X.shape == (50, 5)
    for i in (0, 17, 299):
        assert [alphabet()[int(k)] for k in data.X[i]] == list(a[i : i + 5])
        assert data.y[i] == ids[a[i + 5]]
    assert not np.array_equal(held.X[:50], data.X[:50])  # the held-out text is another draw


def test_validation_is_one_line():
    with pytest.raises(polylr.PolylrError, match="activation"):
        CharLM(activation="tanh")
    with pytest.raises(polylr.PolylrError, match="character ids"):
        LMTraining(data=polylr.Data.synthetic(m=16, d=8))
    with pytest.raises(polylr.PolylrError, match="batch"):
        small_training(batch=10_000)
    with pytest.raises(polylr.PolylrError, match="memory limit"):
        polylr.train_curves(small_training(memory_limit=2**20), 4096, [0], [0.1])
    with pytest.raises(polylr.PolylrError, match="arch"):
        CharLM(arch="rnn")
    with pytest.raises(polylr.PolylrError, match="zero_query needs"):
        CharLM(zero_query=True)
    with pytest.raises(polylr.PolylrError, match="multiple of heads"):
        polylr.train_curves(small_training(net=CharLM(arch="transformer", heads=3)), 16, [0], [0.1])
    with pytest.raises(polylr.PolylrError, match="unknown ablation"):
        lingle.check_ablation("lingle-nope")


# -- the model -------------------------------------------------------------------------------------


@pytest.mark.parametrize("param", [LM_MUP, LM_SP], ids=["mup", "sp"])
def test_initial_scales(param):
    """Embeddings std 1/√context, block matrices 1/√fan-in, unembedding n^-1 (μP) or n^-1/2 (SP);
    learning-rate factors η·(BASE_WIDTH/n) for hidden and output under μP, η everywhere under SP."""
    tr = small_training(net=CharLM(blocks=2, activation="swiglu", param=param, ffn=2))
    n = 256
    p = lm_init_params(polylr.weight_key(0, n, 0), tr, n)
    out = n ** -1.0 if param is LM_MUP else n ** -0.5
    want = {"E": 1 / math.sqrt(8), "W1": n**-0.5, "W3": n**-0.5, "W2": (2 * n) ** -0.5, "U": out}
    for k, s in want.items():
        # Sample std of >= 6912 Gaussians: relative standard error <= 1/√(2·6912) ≈ 0.9%; 5% is > 5 SE.
        assert abs(np.std(p[k]) / s - 1) < 0.05, (k, np.std(p[k]), s)
    assert np.all(p["g"] == 1) and p["g"].shape == (3, n)
    cfg = lm_config(tr, n)
    hid = BASE_WIDTH / n if param is LM_MUP else 1.0
    assert cfg.lrs == (1.0, hid, hid, 0.0)  # gains frozen by default
    cfg_g = lm_config(small_training(net=CharLM(gains=True, param=param)), n)
    assert cfg_g.lrs[3] == 1.0  # trainable gains learn at η (vector-like)


def _numpy_loss(p, X, y, activation):
    """An independent forward pass (NumPy, float64) of the pre-norm MLP language model."""
    ids = X.astype(int)
    h = sum(p["E"][j][ids[:, j]] for j in range(ids.shape[1]))
    rms = lambda h, g: h / np.sqrt(np.mean(h * h, axis=1, keepdims=True) + 1e-6) * g  # noqa: E731
    for b in range(p["W1"].shape[0]):
        x = rms(h, p["g"][b])
        a = x @ p["W1"][b]
        if activation == "relu":
            u = np.maximum(a, 0)
        elif activation == "relu2":
            u = np.maximum(a, 0) ** 2
        else:
            u = a / (1 + np.exp(-a)) * (x @ p["W3"][b])
        h = h + u @ p["W2"][b]
    z = rms(h, p["g"][-1]) @ p["U"]
    z = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y.astype(int)]))


@pytest.mark.parametrize("activation", ["relu", "relu2", "swiglu"])
def test_loss_matches_independent_forward(activation):
    tr = small_training(net=CharLM(blocks=2, activation=activation))
    n = 24
    p = lm_init_params(polylr.weight_key(0, n, 1), tr, n)
    p["g"] = 1 + 0.1 * np.random.default_rng(0).standard_normal(p["g"].shape)  # gains away from 1
    cfg = lm_config(tr.replace(dtype="float64"), n)
    with jax.enable_x64(True):
        got = float(lm_loss({k: jnp.asarray(v) for k, v in p.items()}, jnp.asarray(tr.data.X), jnp.asarray(tr.data.y), cfg))
    want = _numpy_loss(p, tr.data.X, tr.data.y, activation)
    # Two float64 routes through a few hundred roundings each: measured agreement ~1e-15 relative.
    assert abs(got - want) <= 1e-12 * abs(want)
    assert abs(want - math.log(27)) < 0.1  # μP's zero-ish initial logits: loss ≈ log(vocab)


def _numpy_transformer_logits(p, X, activation, heads):
    """An independent forward pass (NumPy, float64, explicit loops over heads and positions) of the
    pre-norm causal transformer: logits (batch, context, vocab)."""
    ids = X.astype(int)
    h = p["T"][ids] + p["P"][None]
    rms = lambda h, g: h / np.sqrt(np.mean(h * h, axis=-1, keepdims=True) + 1e-6) * g  # noqa: E731
    n = h.shape[-1]
    dh = n // heads
    for b in range(p["WQ"].shape[0]):
        x = rms(h, p["g"][2 * b])
        q, k, v = x @ p["WQ"][b], x @ p["WK"][b], x @ p["WV"][b]
        o = np.zeros_like(h)
        for hd in range(heads):
            c = slice(hd * dh, (hd + 1) * dh)
            for i in range(h.shape[1]):
                s = np.einsum("bd,bjd->bj", q[:, i, c], k[:, : i + 1, c]) / dh  # positions 0..i only
                a = np.exp(s - s.max(axis=1, keepdims=True))
                a /= a.sum(axis=1, keepdims=True)
                o[:, i, c] = np.einsum("bj,bjd->bd", a, v[:, : i + 1, c])
        h = h + o @ p["WO"][b]
        x = rms(h, p["g"][2 * b + 1])
        a = x @ p["W1"][b]
        u = np.maximum(a, 0) if activation == "relu" else a / (1 + np.exp(-a)) * (x @ p["W3"][b])
        h = h + u @ p["W2"][b]
    return rms(h, p["g"][-1]) @ p["U"]


@pytest.mark.parametrize("activation, zero_query", [("relu", False), ("swiglu", False), ("relu", True)])
def test_transformer_matches_independent_forward(activation, zero_query):
    """The transformer's loss (every position predicts the next character) against the NumPy pass;
    its initial scales (token and position embeddings std 1/√2, attention matrices 1/√n, W_Q = 0
    under zero query init with the other matrices those of the default init for the same seed)."""
    net = CharLM(blocks=2, arch="transformer", heads=2, activation=activation, zero_query=zero_query)
    tr = small_training(net=net)
    n = 24
    p = lm_init_params(polylr.weight_key(0, n, 1), tr, n)
    default = lm_init_params(polylr.weight_key(0, n, 1), small_training(net=dataclasses.replace(net, zero_query=False)), n)
    assert p["g"].shape == (5, n) and set(p) >= {"T", "P", "WQ", "WK", "WV", "WO", "W1", "W2", "U"}
    assert (not np.any(p["WQ"])) if zero_query else np.array_equal(p["WQ"], default["WQ"])
    for k in set(p) - {"WQ"}:
        assert np.array_equal(p[k], default[k]), k  # the same draw, only W_Q zeroed
    p["g"] = 1 + 0.1 * np.random.default_rng(0).standard_normal(p["g"].shape)
    cfg = lm_config(tr.replace(dtype="float64"), n)
    with jax.enable_x64(True):
        got = float(lm_loss({k: jnp.asarray(v) for k, v in p.items()}, jnp.asarray(tr.data.X), jnp.asarray(tr.data.y), cfg))
    z = _numpy_transformer_logits(p, tr.data.X, activation, 2)
    target = np.concatenate([tr.data.X[:, 1:], tr.data.y[:, None]], axis=1).astype(int)
    z = z - z.max(axis=-1, keepdims=True)
    want = float(np.mean(np.log(np.exp(z).sum(-1)) - np.take_along_axis(z, target[..., None], -1)[..., 0]))
    # Two float64 routes (einsum/scan vs loops): measured agreement ~1e-16 relative; 1e-12 leaves 10^4.
    assert abs(got - want) <= 1e-12 * abs(want)
    assert abs(want - math.log(27)) < 0.1  # μP's small initial logits: loss ≈ log(vocab)


def test_transformer_is_causal_and_zero_query_is_uniform():
    """Changing the characters after position j leaves the logits at positions <= j unchanged; with
    W_Q = 0 each position's attention output is the plain mean of the values it may see."""
    tr = small_training(net=CharLM(blocks=1, arch="transformer", heads=2, zero_query=True))
    n = 16
    cfg = lm_config(tr.replace(dtype="float64"), n)
    p = lm_init_params(polylr.weight_key(0, n, 2), tr, n)
    X = tr.data.X[:32].copy()
    X2 = X.copy()
    X2[:, 5:] = (X2[:, 5:] + 7) % 27
    with jax.enable_x64(True):
        q = {k: jnp.asarray(v) for k, v in p.items()}
        z1 = np.asarray(transformer_logits(q, jnp.asarray(X), cfg))
        z2 = np.asarray(transformer_logits(q, jnp.asarray(X2), cfg))
    assert np.array_equal(z1[:, :5], z2[:, :5]) and not np.allclose(z1[:, 5:], z2[:, 5:])
    # Uniform attention by hand: o_i = mean_{j <= i} v_j, then the MLP block and the unembedding.
    rms = lambda h: h / np.sqrt(np.mean(h * h, axis=-1, keepdims=True) + 1e-6)  # noqa: E731
    h = p["T"][X.astype(int)] + p["P"][None]
    v = rms(h) @ p["WV"][0]
    h = h + (np.cumsum(v, axis=1) / np.arange(1, 9)[None, :, None]) @ p["WO"][0]
    h = h + np.maximum(rms(h) @ p["W1"][0], 0) @ p["W2"][0]
    np.testing.assert_allclose(z1, rms(h) @ p["U"], rtol=1e-11, atol=1e-14)  # float64 both ways


@pytest.mark.parametrize("arch", ["mlp", "transformer"])
def test_one_adam_step_by_hand(arch):
    """One full-batch Adam step through the engine equals θ − η·lr_l·adam(∇) computed with
    optax and jax.grad of the independent path, layer by layer (μP learning-rate factors)."""
    tr = small_training(steps=1, batch=None, dtype="float64", net=CharLM(blocks=1, gains=True, arch=arch))
    n, eta = 16, 0.01
    cv = polylr.train_curves(tr, n, [0], [eta])
    p0 = lm_init_params(polylr.weight_key(0, n, 0), tr, n)
    cfg = lm_config(tr, n)
    lr = lm_lr_tree(p0, cfg)
    hidden = ("W1", "W2", "U") + (("WQ", "WK", "WV", "WO") if arch == "transformer" else ())
    assert set(lr) == set(p0) and all(lr[k] == BASE_WIDTH / n for k in hidden)
    assert all(lr[k] == 1.0 for k in set(lr) - set(hidden))  # embeddings and gains: η
    with jax.enable_x64(True):
        X, y = jnp.asarray(tr.data.X), jnp.asarray(tr.data.y)
        q = {k: jnp.asarray(v) for k, v in p0.items()}
        g = jax.grad(lm_loss)(q, X, y, cfg)
        opt = optax.scale_by_adam()
        u, _ = opt.update(g, opt.init(q), q)
        p1 = {k: q[k] - eta * lr[k] * u[k] for k in q}
        Xe, ye = jnp.asarray(tr.eval_data.X), jnp.asarray(tr.eval_data.y)
        want = float(lm_loss(p1, Xe, ye, cfg))
        before = float(lm_loss(q, X, y, cfg))
    assert abs(cv.curve[0, 0, 0] - before) <= 1e-12 * before
    assert abs(cv.objective[0, 0] - want) <= 1e-12 * want  # float64 both ways: ~1e-15 measured


def test_mlp_training_unchanged_by_the_seam():
    """The MLP path still refuses non-Training objects and trains as before (the seam is additive)."""
    with pytest.raises(polylr.PolylrError, match="Training"):
        polylr.train_curves(object(), 8, [0], [0.1])
    tr = polylr.Training(net=polylr.MLP(depth=1, activation="relu", param=polylr.MUP_ADAM), optimizer=polylr.Optimizer("adam"), steps=3)
    cv = polylr.train_curves(tr, 8, [0], [0.01, 0.1])
    assert cv.objective.shape == (1, 2) and np.all(np.isfinite(cv.objective))


# -- the verdict rules on synthetic loss curves (no training) ----------------------------------------


def fake_scans(gamma: float, *, widths=(32, 64, 128), seeds=8, noise=0.05, seed=0):
    """Loss curves (log η − log η*_n)² + noise on the grid 2^-10..2^-2, with η*_n = 2^-6 (n/32)^γ
    jittered per seed: what scan_lr would return, without training."""
    from types import SimpleNamespace

    rng = np.random.default_rng(seed)
    grid = 2.0 ** np.arange(-10, -1)
    out = {}
    for w in widths:
        centre = math.log(2.0**-6) + gamma * math.log(w / 32) + noise * rng.standard_normal((seeds, 1))
        obj = 1 + (np.log(grid)[None, :] - centre) ** 2
        out[w] = SimpleNamespace(grid=grid, curves=SimpleNamespace(objective=obj), mean_curve=obj.mean(0), centre=centre[:, 0])
    return out


def test_vertex_argmins_recover_a_parabola():
    s = fake_scans(0.0, noise=0.3)[32]
    eta, end = lingle.vertex_argmins(s)
    # Each seed's curve is an exact parabola in log η: its vertex is the centre to round-off.
    assert not end.any()
    np.testing.assert_allclose(np.log(eta), s.centre, atol=1e-9)
    edge = fake_scans(0.0)[32]
    edge.curves.objective[:, 0] = 0.0  # every seed's minimum on the grid's first point
    assert lingle.vertex_argmins(edge)[1].all()


@pytest.mark.parametrize("gamma, paper, drift", [(0.0, "holds", "holds"), (-1.0, "fails", "fails"), (0.5, "fails", "fails")])
def test_verdict_rules(gamma, paper, drift):
    """γ = 0: both criteria hold; γ = -1 (SP-like) and +0.5: both fail (the same rules, opposite outcomes)."""
    scans = fake_scans(gamma)
    opts = CheckOptions(budget=get_budget("tiny"))
    assert lingle.paper_verdict("x.paper", "x", scans).status == paper
    fit, v = lingle.drift_verdict("x.drift", "x", scans, opts, 0)
    assert v.status == drift, v.reason
    assert abs(fit.exponent - gamma) < 0.05  # noise 0.05 in log η over 8 seeds: SE of γ ~ 0.02


def test_ablation_report_table_from_synthetic_scans(monkeypatch):
    """The result's first table is the ablation-table row: the paper's outcome next to both
    criteria (γ = 0 on synthetic curves: both hold). The per-width tables after it need real scans
    (the nonlinear claims' tests cover them): replaced by [] here."""
    from polylr.claims.nonlinear import NonlinearCheck

    monkeypatch.setattr(NonlinearCheck, "tables", lambda self: [])
    scans = fake_scans(0.0)
    opts = CheckOptions(budget=get_budget("tiny"))
    fit, dv = lingle.drift_verdict("lingle-mup.drift", "μP", scans, opts, 0)
    r = lingle.AblationCheck("lingle-mup", (lingle.paper_verdict("lingle-mup.paper", "μP", scans), dv), 0.0, {}, {"μP": scans},
                             {"μP": fit}, {"μP": {"paper_outcome": "holds", "key": "lingle-mup"}})
    (title, cols, rows), = r.tables()
    assert "Lingle" in title and cols[2] == "paper (Lingle)"
    assert rows == [["lingle-mup", "μP", "holds", "32 64 128", "-6 -6 -6", "holds", rows[0][6], "holds"]]


# -- memory: every panel and width checked before any training -------------------------------------


class _Trained(Exception):
    """Raised by a stand-in scan_lr: a training was about to start."""


def _no_training(monkeypatch) -> list:
    calls = []

    def scan(tr, w, *a, **k):
        calls.append(w)
        raise _Trained(w)

    monkeypatch.setattr(train_module, "scan_lr", scan)  # what claims.base.lr_scan calls without a Runner
    return calls


def test_ablation_refuses_a_too_wide_panel_before_any_training(monkeypatch):
    """Widths (16, 32, 2^20): the 2^20-wide character model is over the 8 GiB limit, and the claim
    refuses it before the smaller widths (and before the second panel's) are trained. Previously the
    claim trained n = 16 and 32 of the first panel first (scan_lr width by width)."""
    calls = _no_training(monkeypatch)
    with pytest.raises(polylr.PolylrError, match=r"width n = 1048576: .* over the memory limit 8.00 GiB"):
        lingle.check_ablation("lingle-decay", CheckOptions(budget=get_budget("tiny"), widths=(16, 32, 2**20), seeds=2))
    assert calls == []


def test_second_panel_over_its_limit_is_refused_before_the_first_trains(monkeypatch):
    # Only the second panel's training (index 1) gets a 1 MiB limit: it is still refused first.
    calls = _no_training(monkeypatch)
    made = []
    real = lingle.training_for

    def training_for(b, changes, optimizer, **kw):
        made.append(None)
        tr = real(b, changes, optimizer, **kw)
        return tr.replace(memory_limit=2**20) if len(made) == 2 else tr

    monkeypatch.setattr(lingle, "training_for", training_for)
    with pytest.raises(polylr.PolylrError, match=r"width n = 16: .* over the memory limit 0.00 GiB"):
        lingle.check_ablation("lingle-decay", CheckOptions(budget=get_budget("tiny"), widths=(16, 32), seeds=2))
    assert calls == [] and len(made) == 2


def test_thorough_gpu_entry_carries_its_memory_limit_to_the_trainings(monkeypatch):
    """On a GPU (JAX's backend monkeypatched: no GPU here) `thorough` takes the `thorough-gpu` entry,
    whose `memory_limit` (64 GiB) training_for passes to every panel's training; other entries keep
    the engine's 8 GiB. The plumbing is shown with a small stand-in entry whose 1 MiB limit refuses
    its width 16: without the pass-through the 8 GiB default would have let it train."""
    from polylr.engines.mlp import GIB, MEMORY_LIMIT

    gpu = lingle.BUDGETS["thorough-gpu"]
    assert gpu["memory_limit"] == 64 * GIB and "memory_limit" not in lingle.BUDGETS["thorough"]
    small = {**gpu, "m": 2048}  # the entry's model, batch and held-out set on a small training text (quick to build)
    tr = lingle.training_for(small, lingle.TRANSFORMER, polylr.Optimizer("adam"))
    assert tr.memory_limit == 64 * GIB and tr.check_memory(2048) > 8 * GIB  # zero-query's transformer at n = 2048: ~35 GiB
    assert lingle.training_for(lingle.BUDGETS["tiny"], {}, polylr.Optimizer("adam")).memory_limit == MEMORY_LIMIT

    calls = _no_training(monkeypatch)
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    monkeypatch.setitem(lingle.BUDGETS, "thorough-gpu", {**lingle.BUDGETS["tiny"], "memory_limit": 2**20})
    b = lingle.budget_for(CheckOptions(budget=get_budget("thorough")), "lingle-mup")
    assert (b["entry"], b["memory_limit"]) == ("thorough-gpu", 2**20)
    with pytest.raises(polylr.PolylrError, match=r"width n = 16: .* over the memory limit 0.00 GiB"):
        lingle.check_ablation("lingle-zero-query", CheckOptions(budget=get_budget("thorough"), widths=(16, 32), seeds=2))
    assert calls == []


def test_thorough_gpu_memory_limit_is_capped_by_the_device(monkeypatch):
    """The entry's 64 GiB assumes a large GPU: on a device that reports less memory (a 16 GiB one,
    monkeypatched), the limit is 90 % of it, so zero-query's n = 1024 (~17 GiB a pair) is refused
    with its estimate before any training instead of running out of device memory."""
    from polylr.claims.base import DEVICE_SHARE
    from polylr.engines.mlp import GIB

    class Device:
        def memory_stats(self):
            return {"bytes_limit": 16 * GIB}

    calls = _no_training(monkeypatch)
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    monkeypatch.setattr(jax, "devices", lambda *a: [Device()])
    b = lingle.budget_for(CheckOptions(budget=get_budget("thorough")), "lingle-zero-query")
    assert (b["entry"], b["memory_limit"]) == ("thorough-gpu", int(DEVICE_SHARE * 16 * GIB))
    with pytest.raises(polylr.PolylrError, match=r"width n = 1024: .* over the memory limit 14.40 GiB"):
        lingle.check_ablation("lingle-zero-query", CheckOptions(budget=get_budget("thorough"), seeds=2))
    assert calls == []
    # Without a reported memory (a CPU), the entry's own limit stands.
    monkeypatch.setattr(jax, "devices", lambda *a: [type("CPU", (), {"memory_stats": lambda self: None})()])
    assert lingle.budget_for(CheckOptions(budget=get_budget("thorough")), "lingle-zero-query")["memory_limit"] == 64 * GIB


# -- transfer: a small contrast (slow: four compilations) -------------------------------------------


@pytest.mark.slow  # four compilations: 194 s under load average ~20 on 2 cores
def test_mup_keeps_its_grid_argmin_where_sp_moves_it():
    """The claims' mechanism, small: widths 16 and 128, 4 seeds, 60 Adam steps, one block, grid
    2^-9..2^-3. μP: the same grid argmin at both widths (measured: index 4, 2^-5, at both); SP
    (negative control, the same shapes and seeds): the argmin moves down (measured: index 5 → 2)."""
    data, held = char_data(2048, eval_m=256, seed=0)
    grid = 2.0 ** np.arange(-9, -2)
    arg = {}
    for name, param in (("mup", LM_MUP), ("sp", LM_SP)):
        tr = LMTraining(net=CharLM(blocks=1, param=param), optimizer=polylr.Optimizer("adam"), data=data, eval_data=held, steps=60, batch=32)
        arg[name] = [int(np.argmin(polylr.train_curves(tr, w, range(4), grid).objective.mean(0))) for w in (16, 128)]
    assert arg["mup"][0] == arg["mup"][1], arg
    assert arg["sp"][1] < arg["sp"][0], arg


# -- the claims at the quick budget (slow) -----------------------------------------------------------

# Measured at the quick budget (docs/lingle.md has the numbers and the command): claim -> verdict ->
# status. Each claim also has a negative control whose expected outcome is the opposite: an
# ablation that holds under μP must break under SP (test_negative_control_sp_breaks); lingle-sp,
# which breaks, has lingle-mup (the same networks under μP, which holds) as its control.
MEASURED = {
    "lingle-mup": {"lingle-mup.paper": "holds", "lingle-mup.drift": "holds"},
    "lingle-sp": {"lingle-sp.paper": "fails", "lingle-sp.drift": "fails"},
    "lingle-gains": {"lingle-gains.paper": "holds", "lingle-gains.drift": "inconclusive"},  # γ = -0.17 [-0.30, -0.04]
    "lingle-decay": {"lingle-decay.coupled.paper": "holds", "lingle-decay.coupled.drift": "holds",
                     "lingle-decay.independent.paper": "holds", "lingle-decay.independent.drift": "holds"},
    "lingle-lion": {"lingle-lion.paper": "holds", "lingle-lion.drift": "holds"},
    "lingle-swiglu": {"lingle-swiglu.paper": "fails", "lingle-swiglu.drift": "inconclusive"},  # 2^-6, -7, -7; γ = -0.21 [-0.33, -0.09]
    "lingle-relu2": {"lingle-relu2.paper": "fails", "lingle-relu2.drift": "inconclusive"},  # 2^-6, -6, -7; γ = -0.23 [-0.42, -0.01]
    "lingle-zero-query": {"lingle-zero-query.default-query-init.paper": "holds", "lingle-zero-query.default-query-init.drift": "holds",
                          "lingle-zero-query.zero-query-init.paper": "fails", "lingle-zero-query.zero-query-init.drift": "holds"},
}


def _statuses(r):
    return {v.claim: v.status for v in r.verdicts}


def _timed(tag, run):
    """Run ``run()``, measuring wall and CPU (user + sys of this process, all threads) seconds;
    with ``POLYLR_LINGLE_OUT=DIR`` set, write the table rows, the verdicts and the times to
    ``DIR/{tag}.json`` (``benchmarks/lingle_ablations.py --load DIR`` prints them as one table)."""
    import json
    import os
    import pathlib
    import resource
    import time

    def cpu():
        u = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime

    t0, c0 = time.perf_counter(), cpu()
    r = run()
    wall, secs = time.perf_counter() - t0, cpu() - c0
    out = os.environ.get("POLYLR_LINGLE_OUT")
    if out:
        cols, rows = lingle.ablation_table([r])
        rec = {"tag": tag, "wall_s": wall, "cpu_s": secs, "budget": r.budget, "cols": cols, "rows": rows,
               "verdicts": [[v.claim, v.status, v.reason] for v in r.verdicts]}
        pathlib.Path(out).mkdir(parents=True, exist_ok=True)
        (pathlib.Path(out) / f"{tag}.json").write_text(json.dumps(rec, indent=1, ensure_ascii=False))
    return r


# Near ties: a grid argmin that moves one step between two nearly equal grid points, or a drift
# interval that overlaps the ±0.25 band's edge by a few hundredths, may flip on another CPU (float32
# sums in another order). For these only the robust part is asserted, per panel: the grid argmin
# moves at most one step over the widths (SP: 2 steps over 32..128, its controls 2-3), the fitted
# γ > -0.5 (SP: -0.86 [-0.96, -0.76]; the SP controls <= -0.79), and the drift verdict is not "fails"
# (that needs the whole interval below -0.25). Measured (quick budget) in the comments.
NEAR_TIES = {
    "lingle-gains": "2^-6 at every width; γ = -0.17 [-0.30, -0.04]: the lower end 0.05 past the band's edge",
    "lingle-swiglu": "2^-6, -7, -7 (a one-step move); γ = -0.21 [-0.33, -0.09]",
    "lingle-relu2": "2^-6, -6, -7 (a one-step move); γ = -0.23 [-0.42, -0.01]",
    # default init: 2^-7 at every width, γ = -0.02 [-0.08, +0.04]; zero query: 2^-6, -7, -7 with the seeds'
    # geometric-mean optimum at n = 32 2^-6.47 (0.0113), half-way between the two grid points; γ = -0.08 [-0.13, -0.02]
    "lingle-zero-query": "zero query: a one-step move at n = 32 (η* = 2^-6.47); γ = -0.08 [-0.13, -0.02]",
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(lingle.ABLATIONS))
def test_ablation_at_quick_budget(name):
    r = _timed(name, lambda: get_claim(name).check("quick"))
    got = _statuses(r)
    why = (got, [v.reason for v in r.verdicts])
    if name not in NEAR_TIES:
        assert got == MEASURED[name], why
        return
    vs = {v.claim: v for v in r.verdicts}
    for label, extra in r.extra.items():
        logs = list(vs[f"{extra['key']}.paper"].evidence["grid_argmin_log2"].values())
        assert max(logs) - min(logs) <= 1, why
        assert r.fits[label].exponent > -0.5, why
        assert vs[f"{extra['key']}.drift"].status != "fails", why


# lingle-mup under SP is exactly lingle-sp (same networks, seeds and grid): its control is that test.
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(lingle.ABLATIONS) - {"lingle-sp", "lingle-mup"}))
def test_negative_control_sp_breaks(name):
    """The same ablation under SP: the grid argmin must move (Lingle's criterion fails) and the drift
    exponent's interval must lie outside ±DRIFT_TOL, for every panel. Measured for lingle-swiglu
    (γ = -1.18 [-1.35, -0.99]), lingle-relu2 (-1.27 [-1.47, -1.02]) and lingle-decay; lingle-mup
    under SP is lingle-sp (γ = -0.86 [-0.96, -0.76])."""
    r = _timed(f"{name}.sp-control", lambda: lingle.check_ablation(name, CheckOptions(budget=get_budget("quick")), override={"param": LM_SP}))
    got = _statuses(r)
    assert set(got.values()) == {"fails"}, (got, [v.reason for v in r.verdicts])
