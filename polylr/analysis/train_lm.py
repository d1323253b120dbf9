"""The character-level model of :mod:`polylr.engines.charlm` in JAX, plugged into the evaluation
engine through :func:`polylr.analysis.train.register_model` (importing this module registers it;
:func:`polylr.train_curves` imports it on first use of an ``LMTraining``).

Training, optimizers (Adam, AdamW, Lion, SGD), per-layer learning rates, coupled or independent
weight decay, chunking, divergence detection and the argmin refinement are the engine's own
(:mod:`polylr.analysis.train`); this module only gives the parameters, their learning-rate
factors and the loss. Initial weights of seed ``s`` at width ``n`` come from
``polylr.weight_key(master_seed, n, s)`` (one flat float64 normal draw, cut into the matrices in
the order ``E, W1, W2, [W3], U``; the transformer's ``T, P, WQ, WK, WV, WO, W1, W2, [W3], U``), so
the same seed gives the same network under every ablation that does not change the shapes (zero
query init draws ``WQ`` too and multiplies it by 0: the other matrices are the default's).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..engines.charlm import LMTraining
from .train import ModelSpec, OptConfig, opt_config, register_model

RMS_EPS = 1e-6


class LMConfig(NamedTuple):
    """Everything static about a compiled character-model program (hashable)."""

    n: int
    f: int
    context: int
    vocab: int
    blocks: int
    activation: str
    gains: bool
    stds: tuple  # embedding, block matrices (fan-in n), unembedding
    mult: tuple
    lrs: tuple  # embedding, block matrices, unembedding, gains
    opt: OptConfig
    dtype: str
    minibatch: bool
    has_eval: bool
    arch: str = "mlp"
    heads: int = 1
    zero_query: bool = False


def lm_config(tr: LMTraining, width: int) -> LMConfig:
    net, opt = tr.net, tr.optimizer
    width = net.check_width(width)
    # Embedding std n^-init[0] / √fan-in, so h_0 has O(1) coordinates: the MLP model sums ``context``
    # embeddings, the transformer one token and one position embedding per position.
    s = net.param.scales(width, 2 if net.arch == "transformer" else tr.context)
    f = net.ffn * width
    stds = (s.std[0], s.std[1], s.std[2])
    lrs = (s.lr[0], s.lr[1], s.lr[2], s.bias_lr if net.gains else 0.0)
    return LMConfig(
        width, f, tr.context, net.vocab, net.blocks, net.activation, net.gains, stds, s.mult, lrs,
        opt_config(opt), tr.dtype,
        tr.batch is not None, tr.eval_data is not None, net.arch, net.heads, net.zero_query,
    )


def _shapes(cfg: LMConfig) -> list[tuple[str, tuple[int, ...], float]]:
    n, f, B, V = cfg.n, cfg.f, cfg.blocks, cfg.vocab
    if cfg.arch == "transformer":
        out = [("T", (V, n), cfg.stds[0]), ("P", (cfg.context, n), cfg.stds[0])]
        out += [(k, (B, n, n), 0.0 if k == "WQ" and cfg.zero_query else cfg.stds[1]) for k in ("WQ", "WK", "WV", "WO")]
    else:
        out = [("E", (cfg.context, V, n), cfg.stds[0])]
    out += [("W1", (B, n, f), cfg.stds[1]), ("W2", (B, f, n), cfg.stds[1] * math.sqrt(n / f))]  # fan-in f
    if cfg.activation == "swiglu":
        out.append(("W3", (B, n, f), cfg.stds[1]))
    out.append(("U", (n, V), cfg.stds[2]))
    return out


def lm_init(key, cfg: LMConfig) -> dict:
    shapes = _shapes(cfg)
    total = sum(math.prod(s) for _, s, _ in shapes)
    z = jax.random.normal(key, (total,), dtype=jnp.float64)
    p, at = {}, 0
    for name, shape, std in shapes:
        size = math.prod(shape)
        p[name] = std * z[at : at + size].reshape(shape)
        at += size
    rows = (2 if cfg.arch == "transformer" else 1) * cfg.blocks + 1
    p["g"] = jnp.ones((rows, cfg.n), dtype=jnp.float64)
    return p


def _rms(h, g):
    return h * jax.lax.rsqrt(jnp.mean(h * h, axis=-1, keepdims=True) + RMS_EPS) * g.reshape((1,) * (h.ndim - 1) + (-1,))


def _act(cfg: LMConfig, a, p3=None):
    if cfg.activation == "relu":
        return jax.nn.relu(a)
    if cfg.activation == "gelu":
        return jax.nn.gelu(a, approximate=True)
    if cfg.activation == "relu2":
        return jnp.square(jax.nn.relu(a))
    return jax.nn.silu(a) * p3  # swiglu


def _mlp_block(cfg: LMConfig, h, w):
    m = cfg.mult[1]
    x = _rms(h, w["g"])
    a = m * (x @ w["W1"])
    u = _act(cfg, a, m * (x @ w["W3"]) if cfg.activation == "swiglu" else None)
    return h + m * (u @ w["W2"])


def _attention(cfg: LMConfig, h, w):
    """Causal multi-head self-attention on the pre-normed residual stream ``h`` ``(batch, T, n)``,
    logits ``q·k / d_head`` (μP's scale)."""
    m, H = cfg.mult[1], cfg.heads
    b, T, n = h.shape
    x = _rms(h, w["ga"])
    q, k, v = ((m * (x @ w[name])).reshape(b, T, H, n // H) for name in ("WQ", "WK", "WV"))
    scores = jnp.einsum("bihd,bjhd->bhij", q, k) / (n // H)
    causal = jnp.tril(jnp.ones((T, T), dtype=bool))
    a = jax.nn.softmax(jnp.where(causal[None, None], scores, -1e30), axis=-1)
    o = jnp.einsum("bhij,bjhd->bihd", a, v).reshape(b, T, n)
    return h + m * (o @ w["WO"])


def transformer_logits(p, X, cfg: LMConfig):
    """The transformer's logits ``(batch, context, vocab)``: position ``j`` predicts the next
    character after ``X[:, j]``."""
    ids = X.astype(jnp.int32)
    h = cfg.mult[0] * (p["T"][ids] + p["P"][None, :, :])  # (batch, T, n)
    B = cfg.blocks

    def layer(h, w):
        h = _attention(cfg, h, w)
        return _mlp_block(cfg, h, {**w, "g": w["gm"]}), None

    if B:
        g = p["g"][:-1].reshape(B, 2, cfg.n)
        ws = {k: p[k] for k in ("WQ", "WK", "WV", "WO", "W1", "W2") + (("W3",) if cfg.activation == "swiglu" else ())}
        h, _ = jax.lax.scan(layer, h, {**ws, "ga": g[:, 0], "gm": g[:, 1]})
    return cfg.mult[2] * (_rms(h, p["g"][-1]) @ p["U"])


def lm_logits(p, X, cfg: LMConfig):
    """Logits ``(batch, vocab)`` for character-id windows ``X`` ``(batch, context)`` (float ids):
    the MLP model's prediction of the character after the window, or the transformer's at the last
    position."""
    if cfg.arch == "transformer":
        return transformer_logits(p, X, cfg)[:, -1]
    ids = X.astype(jnp.int32)
    h = cfg.mult[0] * jnp.sum(p["E"][jnp.arange(cfg.context)[None, :], ids], axis=1)  # (batch, n)

    def block(h, w):
        return _mlp_block(cfg, h, w), None

    if cfg.blocks:
        ws = {"W1": p["W1"], "W2": p["W2"], "g": p["g"][:-1]}
        if cfg.activation == "swiglu":
            ws["W3"] = p["W3"]
        h, _ = jax.lax.scan(block, h, ws)
    return cfg.mult[2] * (_rms(h, p["g"][-1]) @ p["U"])


def lm_loss(p, X, y, cfg: LMConfig):
    """Mean softmax cross-entropy (nats) of the next character: after the window (MLP model), or
    after every position of the window (transformer: targets ``X[:, 1:]`` then ``y``)."""
    if cfg.arch == "transformer":
        logits = transformer_logits(p, X, cfg)
        target = jnp.concatenate([X[:, 1:], y[:, None]], axis=1).astype(jnp.int32)
    else:
        logits, target = lm_logits(p, X, cfg), y.astype(jnp.int32)
    logz = jax.nn.logsumexp(logits, axis=-1)
    return jnp.mean(logz - jnp.take_along_axis(logits, target[..., None], axis=-1)[..., 0])


def lm_lr_tree(p, cfg: LMConfig) -> dict:
    lr = {"W1": cfg.lrs[1], "W2": cfg.lrs[1], "U": cfg.lrs[2], "g": cfg.lrs[3]}
    if cfg.arch == "transformer":
        lr.update({"T": cfg.lrs[0], "P": cfg.lrs[0], "WQ": cfg.lrs[1], "WK": cfg.lrs[1], "WV": cfg.lrs[1], "WO": cfg.lrs[1]})
    else:
        lr["E"] = cfg.lrs[0]
    if cfg.activation == "swiglu":
        lr["W3"] = cfg.lrs[1]
    return lr


def lm_init_params(key, tr: LMTraining, width: int) -> dict:
    """The initial parameters of one character model as float64 numpy arrays."""
    with jax.enable_x64(True):
        return {k: np.asarray(v, dtype=np.float64) for k, v in lm_init(key, lm_config(tr, width)).items()}


register_model(LMTraining, LMConfig, ModelSpec(lm_config, lm_init, lm_loss, lm_lr_tree))
