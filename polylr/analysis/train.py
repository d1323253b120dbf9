"""Evaluation engine for networks and optimizers beyond the polynomial: train, record, find η*.

For one width, a batch of seeds and a grid of learning rates, :func:`train_curves` trains every
(seed, η) pair of a :class:`~polylr.engines.mlp.Training` at once (JAX, ``vmap`` over seeds and
over η, ``lax.scan`` over steps), in chunks that bound the working memory, and returns the loss
curves. A run whose loss becomes NaN or ±inf is marked ``diverged`` and its objective is ``+inf``:
it is never a minimum. :func:`scan_lr` adds the optimal learning rates: per seed, the grid minima
refined by the bracketing zoom of evaluation mode (:func:`polylr.argmins_on_grid`, applied in
``log η``, so ``xtol`` is a relative tolerance on η), and the minimiser of the seed-mean curve.

The initial weights of seed ``s`` at width ``n`` come from ``polylr.weight_key(master_seed, n, s)``
with the same flat draw as :func:`polylr.draw_weights` (hidden layers, then the input layer, then
the output vector), drawn in float64 and cast to the run's float type; with linear activation, the
``mup-sgd`` preset and only the hidden layers trained, the engine therefore trains exactly the
networks whose loss polynomials :func:`polylr.finite_width_polys` computes (the tests check this).
float32 is the default here for speed; ``Training(dtype="float64")`` runs in float64. The float type
is recorded in every result.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import time
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .argmin import Argmin, LocalMin
from ..engines.coeffs import weight_key
from ..core.errors import PolylrError, check_finite, check_int
from ..core.jsonsafe import json_float, json_ready
from .grid import argmin_on_grid, argmins_on_grid
from ..engines.mlp import CHUNK_BYTES, Training, check_grid

_ACT = {
    "linear": lambda x: x,
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "gelu": lambda x: jax.nn.gelu(x, approximate=True),
}


ETA_CHUNK = 8  # learning rates per compiled call (scan_lr's refinement asks for 8 per bracket)


class OptConfig(NamedTuple):
    """The optimizer's part of a compiled program's static configuration (hashable); every model
    family's config carries one as its field ``opt`` (:func:`opt_config` builds it)."""

    name: str
    momentum: float
    b1: float
    b2: float
    eps: float
    weight_decay: float
    decay: str


def opt_config(opt) -> OptConfig:
    """The :class:`OptConfig` of a :class:`~polylr.engines.mlp.Optimizer`."""
    return OptConfig(opt.name, opt.momentum, opt.b1, opt.b2, opt.eps, opt.weight_decay, opt.decay)


class _Config(NamedTuple):
    """Everything static about a compiled training program (hashable)."""

    n: int
    d: int
    L: int
    activation: str
    bias: bool
    bias_std: float
    stds: tuple
    mult: tuple
    lrs: tuple  # (input, hidden, output, bias of layer 0, bias of hidden layers), 0 when frozen
    opt: OptConfig
    loss: str
    dtype: str
    minibatch: bool
    has_eval: bool


# -- the model seam: other network families plug in here ----------------------------------------


class ModelSpec(NamedTuple):
    """A network family for the engine: ``config(training, width)`` returns a hashable NamedTuple
    carrying the fields ``opt`` (an :class:`OptConfig`), ``dtype, minibatch, has_eval`` plus the
    family's own; ``init(key, cfg)`` the float64
    parameter dict; ``loss(p, X, y, cfg)`` a scalar; ``lr_tree(p, cfg)`` each parameter's learning-rate
    factor (0 = frozen). The training type must offer ``data, eval_data, dtype, batch, order(),
    check_memory(width), describe()`` like :class:`~polylr.engines.mlp.Training`."""

    config: object
    init: object
    loss: object
    lr_tree: object


_MODELS: dict[type, ModelSpec] = {}  # training type -> spec
_BY_CONFIG: dict[type, ModelSpec] = {}  # config type -> spec


def register_model(training_type: type, config_type: type, spec: ModelSpec) -> None:
    """Let :func:`train_curves` and :func:`scan_lr` train ``training_type`` (see :class:`ModelSpec`)."""
    _MODELS[training_type] = spec
    _BY_CONFIG[config_type] = spec


def _known(tr) -> bool:
    if isinstance(tr, Training):
        return True
    if type(tr) not in _MODELS and type(tr).__name__ == "LMTraining":
        from . import train_lm  # noqa: F401  (registers the character-level model on first use)
    return type(tr) in _MODELS


def _config(tr, width: int):
    if not isinstance(tr, Training):
        return _MODELS[type(tr)].config(tr, width)
    net, opt = tr.net, tr.optimizer
    s = net.param.scales(width, tr.data.d)
    on = {k: float(k in net.train) for k in ("input", "hidden", "output")}
    lrs = (s.lr[0] * on["input"], s.lr[1] * on["hidden"], s.lr[2] * on["output"],
           s.bias_lr * on["input"], s.bias_lr * on["hidden"])
    return _Config(
        width, tr.data.d, net.depth, net.activation, net.bias, float(net.bias_std), s.std, s.mult, lrs,
        opt_config(opt), tr.loss, tr.dtype,
        tr.batch is not None, tr.eval_data is not None,
    )


def init_params(key: jax.Array, tr: Training, width: int) -> dict:
    """The initial parameters of one network (float64 numpy arrays): ``W0 (n, d)``, ``Ws (L, n, n)``,
    ``V (n,)`` and, with biases, ``b (L + 1, n)``. With ``bias=False`` and the same parametrization
    these are exactly :func:`polylr.draw_weights` for the same key."""
    if not _known(tr):
        raise PolylrError(f"init_params needs a polylr Training or LMTraining, got {type(tr).__name__}")
    cfg = _config(tr, check_int("width n", width, lo=1))
    with jax.enable_x64(True):
        p = _init(key, cfg)
        return {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}


def _init(key, cfg: _Config) -> dict:
    if type(cfg) is not _Config:
        return _BY_CONFIG[type(cfg)].init(key, cfg)
    n, d, L = cfg.n, cfg.d, cfg.L
    z = jax.random.normal(key, (L * n * n + n * d + n,), dtype=jnp.float64)  # the layout of polylr.draw_weights
    p = {
        "Ws": cfg.stds[1] * z[: L * n * n].reshape(L, n, n),
        "W0": cfg.stds[0] * z[L * n * n : L * n * n + n * d].reshape(n, d),
        "V": cfg.stds[2] * z[L * n * n + n * d :],
    }
    if cfg.bias:
        p["b"] = cfg.bias_std * jax.random.normal(jax.random.fold_in(key, 1), (L + 1, n), dtype=jnp.float64)
    return p


def _forward(p, X, cfg: _Config):
    act = _ACT[cfg.activation]
    z = cfg.mult[0] * (X @ p["W0"].T)
    if cfg.bias:
        z = z + p["b"][0][None, :]
    h = act(z)

    def layer(h, wb):
        z = cfg.mult[1] * (h @ wb[0].T)
        if cfg.bias:
            z = z + wb[1][None, :]
        return act(z), None

    if cfg.L:
        bs = p["b"][1:] if cfg.bias else jnp.zeros((cfg.L, 1), h.dtype)
        h, _ = jax.lax.scan(layer, h, (p["Ws"], bs))
    return cfg.mult[2] * (h @ p["V"])


def _loss(p, X, y, cfg: _Config):
    if type(cfg) is not _Config:
        return _BY_CONFIG[type(cfg)].loss(p, X, y, cfg)
    f = _forward(p, X, cfg)
    if cfg.loss == "squared":
        return jnp.sum((f - y) ** 2) / (2 * y.shape[0])
    return jnp.mean(jax.nn.softplus(f) - y * f)  # binary cross-entropy on the logit f, y ∈ {0, 1}


def _base(o: OptConfig) -> optax.GradientTransformation:
    if o.name == "sgd":
        return optax.identity()
    if o.name == "momentum":
        return optax.trace(decay=o.momentum)
    if o.name in ("adam", "adamw"):
        return optax.scale_by_adam(b1=o.b1, b2=o.b2, eps=o.eps)
    return optax.scale_by_lion(b1=o.b1, b2=o.b2)


def _lr_tree(p, cfg: _Config) -> dict:
    if type(cfg) is not _Config:
        return _BY_CONFIG[type(cfg)].lr_tree(p, cfg)
    lr = {"W0": cfg.lrs[0], "Ws": cfg.lrs[1], "V": cfg.lrs[2]}
    if cfg.bias:
        lr["b"] = np.array([cfg.lrs[3]] + [cfg.lrs[4]] * cfg.L, dtype=cfg.dtype)[:, None]
    return lr


def _train_one(p0, eta, X, y, order, Xe, ye, cfg: _Config, keep: bool = False):
    """One (network, η) pair: the loss on each step's batch before its update ``(steps,)``, the
    training loss after the last step (full batch: on all the data; minibatch: on the last batch),
    and the held-out loss (or the training loss again). With ``keep`` the first output is instead
    ``(curve, iterates)``: the parameters before every update, each leaf ``(steps, ...)``."""
    base = _base(cfg.opt)
    lr = _lr_tree(p0, cfg)
    trained = {k: (np.asarray(v) != 0).astype(cfg.dtype) if isinstance(v, np.ndarray) else float(v != 0) for k, v in lr.items()}
    wd, decay = cfg.opt.weight_decay, cfg.opt.decay

    def step(carry, idx):
        p, st = carry
        Xb, yb = (X[idx], y[idx]) if cfg.minibatch else (X, y)
        value, g = jax.value_and_grad(_loss)(p, Xb, yb, cfg)
        u, st = base.update(g, st, p)
        new = {}
        for k in p:
            upd = u[k] + wd * p[k] if (wd and decay == "coupled") else u[k]
            q = p[k] - eta * lr[k] * upd
            if wd and decay == "independent":
                q = q - wd * trained[k] * p[k]
            new[k] = q
        return (new, st), ((value, p) if keep else value)

    xs = order if cfg.minibatch else None
    (p, _), curve = jax.lax.scan(step, (p0, base.init(p0)), xs, length=order.shape[0])
    if keep:  # w_0 .. w_T: the iterates before each update, then the last
        curve, path = curve
        curve = (curve, jax.tree.map(lambda a, b: jnp.concatenate([a, b[None]]), path, p))
    if cfg.minibatch and order.shape[0]:  # the last batch after its update (a full pass would cost an epoch)
        final = _loss(p, X[order[-1]], y[order[-1]], cfg)
    else:
        final = _loss(p, X, y, cfg)
    ev = _loss(p, Xe, ye, cfg) if cfg.has_eval else final
    return curve, final, ev


@functools.partial(jax.jit, static_argnames=("cfg",))
def _run(keys, etas, X, y, order, Xe, ye, *, cfg: _Config):
    dt = jnp.dtype(cfg.dtype)

    def seed(key, es):
        p0 = jax.tree.map(lambda a: a.astype(dt), _init(key, cfg))
        return jax.vmap(lambda e: _train_one(p0, e, X, y, order, Xe, ye, cfg))(es)

    return jax.vmap(seed)(keys, etas)


@contextlib.contextmanager
def _numerics():
    """The scope every training program runs in: float64 allowed (never a global switch) and true
    float32 matrix products. JAX's default float32 dot on recent NVIDIA GPUs is TF32 (10-bit
    mantissa; https://docs.jax.dev/en/latest/201/precision.html), which would make a run that says
    "float32" on a GPU a different, less precise computation than the same run on the CPU."""
    with jax.enable_x64(True), jax.default_matmul_precision("highest"):
        yield


def _check_seeds(seeds) -> tuple[int, ...]:
    s = tuple(check_int("seed", v, lo=0) for v in np.atleast_1d(np.asarray(seeds)).tolist())
    if not s:
        raise PolylrError("seeds must be a non-empty list of non-negative integers")
    return s


def _device_data(tr) -> tuple:
    """The training data, its minibatch order and the held-out data (the training data again
    without any) as JAX arrays in the run's float type (call inside the training scope, which enables float64)."""
    dt = np.dtype(tr.dtype)
    ev = tr.eval_data if tr.eval_data is not None else tr.data
    return (jnp.asarray(tr.data.X, dt), jnp.asarray(tr.data.y, dt), jnp.asarray(tr.order(), jnp.int32),
            jnp.asarray(ev.X, dt), jnp.asarray(ev.y, dt))


@dataclass(frozen=True, eq=False)
class Curves:
    """Training results for every (seed, η): ``curve[s, e, k]`` is the loss on step k's batch before
    update k; ``final`` the training loss after the last step (full batch: all the data; minibatch:
    the last batch); ``eval`` the held-out loss (None
    without held-out data); ``objective`` what argmins minimise (``eval``, else ``final``; ``+inf``
    where ``diverged``); ``diverged`` marks runs whose loss became NaN or ±inf."""

    training: Training
    width: int
    seeds: tuple[int, ...]
    master_seed: int
    etas: np.ndarray  # (S, E)
    curve: np.ndarray  # (S, E, steps)
    final: np.ndarray  # (S, E)
    eval: np.ndarray | None
    objective: np.ndarray
    diverged: np.ndarray
    dtype: str
    chunk: tuple[int, int]
    seconds: float

    def to_json(self) -> dict:
        return {
            "width": self.width, "seeds": list(self.seeds), "master_seed": self.master_seed, "dtype": self.dtype,
            "etas": json_safe(self.etas), "final": json_safe(self.final), "objective": json_safe(self.objective),
            "eval": None if self.eval is None else json_safe(self.eval), "diverged": self.diverged.tolist(),
            "training": self.training.describe(), "seconds": self.seconds, "chunk": list(self.chunk),
        }


def json_safe(a) -> list:
    """A float array (or sequence) as nested lists in polylr's JSON convention (:mod:`polylr.core.jsonsafe`)."""
    return json_ready(np.asarray(a, dtype=np.float64))


def chunk_shape(tr: Training, width: int, seeds: int, etas: int, chunk_bytes: int = CHUNK_BYTES) -> tuple[int, int]:
    """The chunk ``(seeds, η)`` in which :func:`train_curves` trains ``seeds × etas`` pairs at
    ``width``: its estimate ``seeds · (seed_bytes + η · pair_bytes)`` stays within ``chunk_bytes``
    (at least one pair) and, with the data, within the training's ``memory_limit``; a single pair
    over the limit is refused here (:meth:`Training.check_memory`), before anything is allocated."""
    S = check_int("number of seeds", seeds, lo=1)
    E = check_int("number of learning rates", etas, lo=1)
    chunk_bytes = check_int("chunk_bytes", chunk_bytes, lo=1)
    per_pair = tr.check_memory(width)  # data + one seed + one pair fit in memory_limit, or refuse here
    per_seed = tr.seed_bytes(width)
    budget = max(per_pair + per_seed, min(chunk_bytes, tr.memory_limit - tr.data_bytes()))
    pairs = max(1, (budget - per_seed) // per_pair)
    # Chunk shapes: at most ETA_CHUNK η per call (the refinement rounds ask for multiples of 8, so
    # a scan compiles one program per width instead of one per round's shape), in multiples of 4,
    # then as many seeds (each with its own float64 draw) as fit in the budget.
    ec = max(1, min(pairs, ETA_CHUNK, -(-E // 4) * 4))
    if ec < E and ec > 4:
        ec -= ec % 4
    sc = max(1, min(S, budget // (per_seed + ec * per_pair)))
    sc = -(-S // -(-S // sc))  # balanced: 16 seeds at most 13 per chunk run as 2 x 8, not 2 x 13 (10 padded)
    return sc, ec


def train_curves(tr: Training, width: int, seeds, etas, *, master_seed: int = 0, chunk_bytes: int = CHUNK_BYTES) -> Curves:
    """Train every (seed, η) pair at ``width``: ``etas`` is one grid for all seeds (``(E,)``) or one
    per seed (``(S, E)``). Work is split into chunks of ``(seeds, η)`` pairs whose estimated working
    memory (:meth:`Training.pair_bytes`) stays within ``chunk_bytes``; a single pair over the
    training's ``memory_limit`` is refused before anything is allocated."""
    return _train_curves(tr, width, seeds, etas, master_seed, chunk_bytes, None)


def _train_curves(tr, width, seeds, etas, master_seed, chunk_bytes, device) -> Curves:
    """:func:`train_curves` with the data already on the device (``device``: :func:`_device_data`'s
    arrays, which a scan converts once for all its rounds), or None."""
    if not _known(tr):
        raise PolylrError(f"train_curves needs a polylr Training or LMTraining, got {type(tr).__name__}")
    width = check_int("width n", width, lo=1)
    seeds = _check_seeds(seeds)
    master_seed = check_int("master seed", master_seed, lo=0)
    e = check_grid(etas)
    if e.ndim == 1:
        e = np.broadcast_to(e, (len(seeds), e.size))
    elif e.shape[0] != len(seeds):
        raise PolylrError(f"a per-seed eta grid must have one row per seed ({len(seeds)}), got shape {e.shape}")
    S, E = e.shape
    sc, ec = chunk_shape(tr, width, S, E, chunk_bytes)
    cfg = _config(tr, width)
    t0 = time.perf_counter()
    with _numerics():
        dt = np.dtype(tr.dtype)
        X, y, order, Xe, ye = device if device is not None else _device_data(tr)
        Sp, Ep = -(-S // sc) * sc, -(-E // ec) * ec
        seed_idx = np.concatenate([np.arange(S), np.full(Sp - S, S - 1)])
        eta_p = np.concatenate([e, np.repeat(e[:, -1:], Ep - E, axis=1)], axis=1)[seed_idx].astype(dt)
        keys = jnp.stack([weight_key(master_seed, width, seeds[i]) for i in seed_idx])
        outs = []
        for a in range(0, Sp, sc):
            row = []
            for b in range(0, Ep, ec):
                c, f, v = _run(keys[a : a + sc], jnp.asarray(eta_p[a : a + sc, b : b + ec]), X, y, order, Xe, ye, cfg=cfg)
                row.append((np.asarray(c, np.float64), np.asarray(f, np.float64), np.asarray(v, np.float64)))
            outs.append([np.concatenate([r[q] for r in row], axis=1) for q in range(3)])
    curve, final, val = (np.concatenate([o[q] for o in outs])[:S, :E] for q in range(3))
    diverged = ~np.isfinite(val) | ~np.isfinite(final) | ~np.all(np.isfinite(curve), axis=-1)
    objective = np.where(diverged, np.inf, val)
    return Curves(
        tr, width, seeds, master_seed, np.array(e), curve, final, val if tr.eval_data is not None else None,
        objective, diverged, tr.dtype, (sc, ec), time.perf_counter() - t0,
    )


# -- the trajectory seam (used by polylr.analysis.decompose) ------------------------------------


@functools.partial(jax.jit, static_argnames=("cfg",))
def _run_paths(key, etas, X, y, order, Xe, ye, *, cfg: _Config):
    dt = jnp.dtype(cfg.dtype)
    p0 = jax.tree.map(lambda a: a.astype(dt), _init(key, cfg))
    return jax.vmap(lambda e: _train_one(p0, e, X, y, order, Xe, ye, cfg, keep=True)[0])(etas)


def train_paths(tr: Training, width: int, seed: int, etas, *, master_seed: int = 0) -> tuple[np.ndarray, dict]:
    """The whole trajectory of one network (seed ``seed`` at ``width``, the same initial weights and
    program as :func:`train_curves`) at each learning rate of ``etas`` ``(E,)``: the batch losses
    ``(E, steps)`` and the iterates ``w_0 .. w_T`` as a dict of float64 arrays ``(E, steps + 1, ...)``
    (keys as :func:`init_params`). Refuses (before any work) when the iterates would need more than
    the training's ``memory_limit``."""
    if not isinstance(tr, Training):
        raise PolylrError(f"train_paths needs a polylr Training, got {type(tr).__name__}")
    width = check_int("width n", width, lo=1)
    seed = check_int("seed", seed, lo=0)
    master_seed = check_int("master seed", master_seed, lo=0)
    e = check_grid(etas)
    if e.ndim != 1:
        raise PolylrError(f"train_paths takes a 1-d learning-rate grid, got shape {e.shape}")
    check_path_memory(tr, width, e.size)
    cfg = _config(tr, width)
    with _numerics():
        dt = np.dtype(tr.dtype)
        X, y, order, Xe, ye = _device_data(tr)
        curve, path = _run_paths(weight_key(master_seed, width, seed), jnp.asarray(e, dt), X, y, order, Xe, ye, cfg=cfg)
        return np.asarray(curve, np.float64), {k: np.asarray(v, np.float64) for k, v in path.items()}


def check_path_memory(tr: Training, width: int, n_etas: int) -> int:
    """Refuse (before any work) when keeping every iterate of ``n_etas`` runs at ``width`` (float64;
    four copies: the iterates, their EMA, the gradients and the differences of the decomposition)
    plus one run's working memory would exceed the training's ``memory_limit``; else the bytes."""
    need = 4 * 8 * n_etas * (tr.steps + 1) * tr.net.n_params(width, tr.data.d) + tr.check_memory(width)
    if need > tr.memory_limit:
        raise PolylrError(
            f"width n = {width}: keeping {tr.steps + 1} iterates at {n_etas} learning rates needs about "
            f"{need / 2**30:.2f} GiB, over the memory limit {tr.memory_limit / 2**30:.2f} GiB; use fewer steps, "
            "learning rates or a smaller width"
        )
    return need


@functools.partial(jax.jit, static_argnames=("cfg", "per_sample"))
def _grads(points, X, y, *, cfg: _Config, per_sample: bool):
    if not per_sample:
        return jax.vmap(lambda p: jax.value_and_grad(_loss)(p, X, y, cfg))(points)
    m = X.shape[0]
    one = lambda p, x, t: jax.grad(_loss)(p, x[None], t[None], cfg)  # noqa: E731
    return jax.vmap(lambda p: (_loss(p, X, y, cfg), jax.tree.map(lambda g: g / m, jax.vmap(one, (None, 0, 0))(p, X, y))))(points)


def loss_grads(tr: Training, width: int, points: dict, *, data=None, per_sample: bool = False,
               chunk_bytes: int = CHUNK_BYTES) -> tuple[np.ndarray, dict]:
    """The objective and its gradient at a stack of parameter points (a dict like
    :func:`train_paths`' iterates, each leaf ``(K, ...)``), in the training's float type, returned in
    float64: the loss ``(K,)`` and the gradient (leaves ``(K, ...)``). The objective is the training
    loss on ``data`` (default: the held-out data when given, else the training data). With
    ``per_sample`` the gradient leaves are ``(K, m, ...)``: the gradient of each point's share
    ``ℓ_i / m`` of the loss, so that they sum over ``i`` to the full gradient. Points are processed
    in chunks whose estimated working memory stays within ``chunk_bytes``."""
    if not isinstance(tr, Training):
        raise PolylrError(f"loss_grads needs a polylr Training, got {type(tr).__name__}")
    width = check_int("width n", width, lo=1)
    data = data if data is not None else (tr.eval_data if tr.eval_data is not None else tr.data)
    cfg = _config(tr, width)
    K = next(iter(points.values())).shape[0]
    P = tr.net.n_params(width, data.d)
    # working memory of one point: parameters, gradient(s), activations of the data (float64 bound)
    per = 8 * (P * (2 + (data.m if per_sample else 0)) + 3 * data.m * width * (tr.net.depth + 1))
    if per > tr.memory_limit:
        raise PolylrError(f"width n = {width}: one gradient {'per sample ' if per_sample else ''}on {data.m} points needs about "
                          f"{per / 2**30:.2f} GiB, over the memory limit {tr.memory_limit / 2**30:.2f} GiB")
    chunk = max(1, min(K, chunk_bytes // per))
    with _numerics():
        dt = np.dtype(tr.dtype)
        X, y = jnp.asarray(data.X, dt), jnp.asarray(data.y, dt)
        vals, grads = [], []
        for a in range(0, K, chunk):
            pts = {k: jnp.asarray(v[a : a + chunk], dt) for k, v in points.items()}
            if pts[next(iter(pts))].shape[0] < chunk:  # pad the last chunk: one compiled shape
                pad = chunk - pts[next(iter(pts))].shape[0]
                pts = {k: jnp.concatenate([v, jnp.repeat(v[-1:], pad, axis=0)]) for k, v in pts.items()}
            value, g = _grads(pts, X, y, cfg=cfg, per_sample=per_sample)
            vals.append(np.asarray(value, np.float64))
            grads.append({k: np.asarray(v, np.float64) for k, v in g.items()})
        return (np.concatenate(vals)[:K], {k: np.concatenate([g[k] for g in grads])[:K] for k in grads[0]})


# -- optimal learning rates ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LRScan:
    """A learning-rate scan at one width: the curves on the grid, each seed's refined argmin and the
    argmin of the seed-mean objective (a seed that diverges at η makes the mean ``+inf`` there).
    ``etas_star[s]`` is seed s's optimal η (NaN when every grid point diverged); ``mean_argmin`` is
    None when the mean is infinite on the whole grid."""

    grid: np.ndarray
    curves: Curves
    argmins: tuple[Argmin | None, ...]
    mean_argmin: Argmin | None
    evaluations: int
    seconds: float

    @property
    def width(self) -> int:
        return self.curves.width

    @property
    def etas_star(self) -> np.ndarray:
        return np.array([np.nan if a is None else a.eta for a in self.argmins])

    @property
    def mean_curve(self) -> np.ndarray:
        return np.mean(self.curves.objective, axis=0)

    @property
    def diverged_fraction(self) -> np.ndarray:
        """Per grid η, the fraction of seeds that diverged."""
        return np.mean(self.curves.diverged, axis=0)

    def to_json(self) -> dict:
        return {
            "width": self.width, "grid": json_safe(self.grid), "etas_star": json_safe(self.etas_star),
            "argmins": [None if a is None else _argmin_json(a) for a in self.argmins],
            "mean_argmin": None if self.mean_argmin is None else _argmin_json(self.mean_argmin),
            "mean_curve": json_safe(self.mean_curve), "diverged": self.curves.diverged.tolist(),
            "evaluations": self.evaluations, "seconds": self.seconds, "dtype": self.curves.dtype,
            "seeds": list(self.curves.seeds), "master_seed": self.curves.master_seed,
        }

    def to_record(self) -> tuple[dict, bytes]:
        """The scan as a JSON-ready dict and an ``.npz`` blob of its arrays (no pickles), which
        :meth:`from_record` turns back into an equal scan given the same training: the results
        store keeps a claim's scans this way (:meth:`polylr.Runner.scan`). The per-step curves are
        kept in the run's float type (they were computed in it: no rounding), the rest in float64."""
        c = self.curves
        meta = {"format": SCAN_FORMAT, "width": c.width, "seeds": list(c.seeds), "master_seed": c.master_seed, "dtype": c.dtype,
                "chunk": list(c.chunk), "curve_seconds": c.seconds, "evaluations": self.evaluations, "seconds": self.seconds,
                "argmins": [None if a is None else a.to_dict() for a in self.argmins],
                "mean_argmin": None if self.mean_argmin is None else self.mean_argmin.to_dict()}
        arrays = {"grid": self.grid, "etas": c.etas, "curve": c.curve.astype(c.dtype), "final": c.final, "objective": c.objective,
                  "diverged": c.diverged, **({} if c.eval is None else {"eval": c.eval})}
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return meta, buf.getvalue()

    @classmethod
    def from_record(cls, training, meta: dict, blob: bytes) -> "LRScan":
        """The scan that :meth:`to_record` wrote, with ``training`` (the one it was computed with)."""
        if meta.get("format") != SCAN_FORMAT:
            raise PolylrError(f"a stored scan has format {meta.get('format')!r}; this polylr reads format {SCAN_FORMAT}")
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
        curves = Curves(training, meta["width"], tuple(meta["seeds"]), meta["master_seed"], a["etas"], a["curve"].astype(np.float64),
                        a["final"], a.get("eval"), a["objective"], a["diverged"], meta["dtype"], tuple(meta["chunk"]), meta["curve_seconds"])
        return cls(a["grid"], curves, tuple(None if d is None else _argmin_from(d) for d in meta["argmins"]),
                   None if meta["mean_argmin"] is None else _argmin_from(meta["mean_argmin"]), meta["evaluations"], meta["seconds"])


SCAN_FORMAT = 1  # of LRScan.to_record


def scan_identity(tr, width: int, seeds, etas, *, master_seed: int = 0, refine: bool = True, xtol: float = 0.01,
                  points: int = 8, max_rounds: int = 8, refine_mean: bool | None = None) -> tuple[str, dict]:
    """What determines :func:`scan_lr`'s result, as a JSON-ready dict, and its identity (SHA-256,
    16 hex digits): the training (:meth:`~polylr.Training.describe`, and the digests of its data and
    held-out data), JAX's backend (float32 results differ in their last bits between a CPU and a
    GPU), the width, seeds, grid, master seed and refinement settings. The chunk size is left out."""
    return record_identity({"format": SCAN_FORMAT, **training_identity(tr), "width": int(width),
                            "seeds": [int(s) for s in _check_seeds(seeds)], "grid": [float(g) for g in _scan_grid(etas)],
                            "master_seed": int(master_seed), "refine": bool(refine), "xtol": float(xtol), "points": int(points),
                            "max_rounds": int(max_rounds), "refine_mean": refine if refine_mean is None else bool(refine_mean)})


# The version of the training programs' numbers (this module's and analysis.train_lm's): raise it
# when a change moves what a (training, width, seed, η) computes, so that stored scans are not reused.
TRAINING_PROGRAM = 1


def training_identity(tr) -> dict:
    """What a training contributes to a stored result's identity: its description, the digests of
    its data and held-out data, JAX's backend (float32 results differ in their last bits between a
    CPU and a GPU) and :data:`TRAINING_PROGRAM`."""
    return {"training": tr.describe(), "data_digest": tr.data.digest, "eval_digest": None if tr.eval_data is None else tr.eval_data.digest,
            "backend": jax.default_backend(), "program": TRAINING_PROGRAM}


def record_identity(desc: dict) -> tuple[str, dict]:
    """``(SHA-256 of desc's canonical JSON, 16 hex digits; desc)``."""
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:16], desc


def _argmin_from(d: dict) -> Argmin:
    """The :class:`Argmin` of ``Argmin.to_dict``."""
    lm = lambda ms: tuple(LocalMin(m["eta"], m["value"], m["on_boundary"]) for m in ms)  # noqa: E731
    return Argmin(d["eta"], d["value"], tuple(d["interval"]), d["on_boundary"], lm(d["local_minima"]), lm(d["near_minima"]),
                  d["flat"], None if d["eta_bounds"] is None else tuple(d["eta_bounds"]))


def _argmin_json(a: Argmin) -> dict:
    d = a.to_dict()
    d["eta"], d["value"] = json_float(a.eta), json_float(a.value)
    return d


def _exp_argmin(a: Argmin) -> Argmin:
    """An argmin found in u = log η, returned in η."""
    ex = lambda m: LocalMin(float(np.exp(m.eta)), m.value, m.on_boundary)  # noqa: E731
    return Argmin(
        float(np.exp(a.eta)), a.value, (float(np.exp(a.interval[0])), float(np.exp(a.interval[1]))), a.on_boundary,
        tuple(ex(m) for m in a.local_minima), tuple(ex(m) for m in a.near_minima), a.flat,
    )


def scan_lr(
    tr: Training, width: int, seeds, etas, *, master_seed: int = 0, refine: bool = True, xtol: float = 0.01,
    points: int = 8, max_rounds: int = 8, chunk_bytes: int = CHUNK_BYTES, refine_mean: bool | None = None,
) -> LRScan:
    """Train on the grid ``etas`` (increasing, positive; log-spaced is natural), then find each
    seed's optimal η on ``[etas[0], etas[-1]]`` and that of the seed mean. With ``refine`` every grid
    minimum is refined by the bracketing zoom of :func:`polylr.argmins_on_grid` in ``u = log η``
    (``points`` new trainings per bracket and round, to ``|Δ log η| <= xtol``, at most ``max_rounds``
    rounds); a minimum at an end of the grid is checked on 8 points inside the end interval and
    reported ``on_boundary`` if none is lower. Diverged runs count as ``+inf``. ``refine_mean``
    (default: as ``refine``) refines the seed-mean curve's minimum too (8 trainings per seed and round);
    without it the mean's optimum is the grid point's. :func:`grid_scan` builds the unrefined scan
    from saved losses."""
    grid = _scan_grid(etas)
    xtol = check_finite("xtol", xtol)
    if xtol <= 0:
        raise PolylrError(f"xtol must be > 0, got {xtol}")
    t0 = time.perf_counter()
    cv = train_curves(tr, width, seeds, grid, master_seed=master_seed, chunk_bytes=chunk_bytes)  # checks tr and the sizes
    seeds, u = cv.seeds, np.log(grid)
    count = [cv.objective.size]
    held = []

    def device() -> tuple:  # the data on the device once for all refinement rounds (1 GiB at GWB's T = 2^14)
        if not held:
            with _numerics():
                held.append(_device_data(tr))
        return held[0]

    def sub(idx):  # the objective of the seeds idx at their rows of log η
        sub_seeds = tuple(seeds[i] for i in idx)

        def f(us: np.ndarray) -> np.ndarray:
            c = _train_curves(tr, width, sub_seeds, np.exp(us), master_seed, chunk_bytes, device())
            count[0] += c.objective.size
            return c.objective

        return f

    every = sub(range(len(seeds)))

    def mean(us: np.ndarray) -> np.ndarray:
        return np.mean(every(np.broadcast_to(us, (len(seeds), us.size))), axis=0)

    refine_mean = refine if refine_mean is None else refine_mean
    found, mean_min = _optima(u, cv.objective, sub if refine else None, mean if refine_mean else None,
                              xtol=xtol, points=points, max_iter=max_rounds)
    return LRScan(grid, cv, found, mean_min, count[0], time.perf_counter() - t0)


def _scan_grid(etas) -> np.ndarray:
    """A scan's grid: :func:`polylr.engines.mlp.check_grid`, and 1-d, >= 3 points, strictly increasing."""
    grid = check_grid(etas)
    if grid.ndim != 1 or grid.size < 3:
        raise PolylrError(f"the learning-rate grid must be 1-d with >= 3 points, got shape {grid.shape}")
    if not np.all(np.diff(grid) > 0):
        i = int(np.argmin(np.diff(grid) > 0))
        raise PolylrError(f"the learning-rate grid must be strictly increasing, got {grid[i + 1]:.6g} after {grid[i]:.6g}")
    return grid


def _optima(u: np.ndarray, objective: np.ndarray, sub=None, mean=None, **refine) -> tuple[tuple[Argmin | None, ...], Argmin | None]:
    """Each seed's argmin (None where its row is all ``+inf``) and the seed mean's, found on the grid
    ``u = log η`` and returned in η; ``sub(idx)`` gives the refining function of the seeds ``idx``
    and ``mean`` that of the seed mean (None: the grid's minima)."""
    ok = np.any(np.isfinite(objective), axis=1)
    found: list[Argmin | None] = [None] * objective.shape[0]
    if ok.any():
        idx = np.nonzero(ok)[0]
        for i, a in zip(idx, argmins_on_grid(u, objective[idx], None if sub is None else sub(idx), **refine)):
            found[i] = _exp_argmin(a)
    mc = np.mean(objective, axis=0)
    mean_min = _exp_argmin(argmin_on_grid(u, mc, mean, **refine)) if np.any(np.isfinite(mc)) else None
    return tuple(found), mean_min


def grid_scan(grid, objective, *, width: int, seeds=None, training: Training | None = None) -> LRScan:
    """The :class:`LRScan` that ``scan_lr(training, width, seeds, grid, refine=False)`` returns when
    its trainings give the losses ``objective`` (shape ``(S, len(grid))``, one row per seed;
    non-finite where a run diverged), built without training: saved or constructed losses. Each
    seed's optimum and the seed mean's are the grid's minima (a seed whose row is all non-finite
    has None); ``curves.diverged`` is where ``objective`` is not finite, ``curves.objective`` the
    losses with ``+inf`` there. ``grid``: increasing, positive, >= 3 points; ``seeds`` (default
    ``0..S-1``) and ``training`` (default ``Training()``, whose ``dtype`` the curves report) only
    label the result; ``curves.curve`` is empty (no steps recorded) and ``curves.final`` the
    losses again. Example: ``polylr.grid_scan(np.geomspace(0.01, 3, 9), losses, width=4096)``."""
    g = _scan_grid(grid)
    width = check_int("width n", width, lo=1)
    try:
        raw = np.asarray(objective, dtype=np.float64)
    except (TypeError, ValueError):
        raise PolylrError(f"the objective must be an array of numbers, got {type(objective).__name__}") from None
    if raw.ndim != 2 or raw.shape[0] < 1 or raw.shape[1] != g.size:
        raise PolylrError(f"the objective must have shape (seeds >= 1, {g.size}) (one row per seed, one column per grid η), got {raw.shape}")
    S, E = raw.shape
    seeds = tuple(range(S)) if seeds is None else _check_seeds(seeds)
    if len(seeds) != S:
        raise PolylrError(f"seeds must name the objective's {S} rows, got {len(seeds)} seeds")
    training = Training() if training is None else training
    if not _known(training):
        raise PolylrError(f"grid_scan's training must be a polylr Training or LMTraining, got {type(training).__name__}")
    diverged = ~np.isfinite(raw)
    obj = np.where(diverged, np.inf, raw)
    cv = Curves(training, width, seeds, 0, np.array(np.broadcast_to(g, (S, E))), np.zeros((S, E, 0)), obj, None, obj,
                diverged, training.dtype, (S, E), 0.0)
    found, mean_min = _optima(np.log(g), obj)
    return LRScan(g, cv, found, mean_min, S * E, 0.0)
