"""The character-level model of :mod:`polylr.engines.charlm` in JAX, plugged into the evaluation
engine through :func:`polylr.analysis.train.register_model` (importing this module registers it;
:func:`polylr.train_curves` imports it on first use of an ``LMTraining``).

Training, optimizers (Adam, AdamW, Lion, SGD), per-layer learning rates, coupled or independent
weight decay, chunking, divergence detection and the argmin refinement are the engine's own
(:mod:`polylr.analysis.train`); this module only gives the parameters, their learning-rate
factors and the loss. Initial weights of seed ``s`` at width ``n`` come from
``polylr.weight_key(master_seed, n, s)`` (one flat float64 normal draw, cut into the matrices in
the order ``E, W1, W2, [W3], U``), so the same seed gives the same network under every ablation
that does not change the shapes.
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


def lm_config(tr: LMTraining, width: int) -> LMConfig:
    net, opt = tr.net, tr.optimizer
    s = net.param.scales(width, tr.context)  # embedding std n^-init[0] / √context: h_0 has O(1) coordinates
    f = net.ffn * width
    stds = (s.std[0], s.std[1], s.std[2])
    lrs = (s.lr[0], s.lr[1], s.lr[2], s.bias_lr if net.gains else 0.0)
    return LMConfig(
        width, f, tr.context, net.vocab, net.blocks, net.activation, net.gains, stds, s.mult, lrs,
        opt_config(opt), tr.dtype,
        tr.batch is not None, tr.eval_data is not None,
    )


def _shapes(cfg: LMConfig) -> list[tuple[str, tuple[int, ...], float]]:
    n, f, B, V = cfg.n, cfg.f, cfg.blocks, cfg.vocab
    out = [("E", (cfg.context, V, n), cfg.stds[0]), ("W1", (B, n, f), cfg.stds[1]), ("W2", (B, f, n), cfg.stds[1] * math.sqrt(n / f))]  # fan-in f
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
    p["g"] = jnp.ones((cfg.blocks + 1, cfg.n), dtype=jnp.float64)
    return p


def _rms(h, g):
    return h * jax.lax.rsqrt(jnp.mean(h * h, axis=-1, keepdims=True) + RMS_EPS) * g[None, :]


def _act(cfg: LMConfig, a, p3=None):
    if cfg.activation == "relu":
        return jax.nn.relu(a)
    if cfg.activation == "gelu":
        return jax.nn.gelu(a, approximate=True)
    if cfg.activation == "relu2":
        return jnp.square(jax.nn.relu(a))
    return jax.nn.silu(a) * p3  # swiglu


def lm_logits(p, X, cfg: LMConfig):
    """Logits ``(batch, vocab)`` for character-id windows ``X`` ``(batch, context)`` (float ids)."""
    ids = X.astype(jnp.int32)
    h = cfg.mult[0] * jnp.sum(p["E"][jnp.arange(cfg.context)[None, :], ids], axis=1)  # (batch, n)
    m = cfg.mult[1]

    def block(h, w):
        x = _rms(h, w["g"])
        a = m * (x @ w["W1"])
        u = _act(cfg, a, m * (x @ w["W3"]) if cfg.activation == "swiglu" else None)
        return h + m * (u @ w["W2"]), None

    if cfg.blocks:
        ws = {"W1": p["W1"], "W2": p["W2"], "g": p["g"][:-1]}
        if cfg.activation == "swiglu":
            ws["W3"] = p["W3"]
        h, _ = jax.lax.scan(block, h, ws)
    return cfg.mult[2] * (_rms(h, p["g"][-1]) @ p["U"])


def lm_loss(p, X, y, cfg: LMConfig):
    """Mean softmax cross-entropy (nats) of the next character."""
    logits = lm_logits(p, X, cfg)
    logz = jax.nn.logsumexp(logits, axis=-1)
    return jnp.mean(logz - jnp.take_along_axis(logits, y.astype(jnp.int32)[:, None], axis=-1)[:, 0])


def lm_lr_tree(p, cfg: LMConfig) -> dict:
    lr = {"E": cfg.lrs[0], "W1": cfg.lrs[1], "W2": cfg.lrs[1], "U": cfg.lrs[2], "g": cfg.lrs[3]}
    if cfg.activation == "swiglu":
        lr["W3"] = cfg.lrs[1]
    return lr


def lm_init_params(key, tr: LMTraining, width: int) -> dict:
    """The initial parameters of one character model as float64 numpy arrays."""
    with jax.enable_x64(True):
        return {k: np.asarray(v, dtype=np.float64) for k, v in lm_init(key, lm_config(tr, width)).items()}


register_model(LMTraining, LMConfig, ModelSpec(lm_config, lm_init, lm_loss, lm_lr_tree))
