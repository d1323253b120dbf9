"""A network, its parametrization, its optimizer and its training run, as validated frozen data.

The network is an MLP with input dimension ``d``, width ``n`` and ``depth`` ``L`` hidden ``n x n``
layers (the same convention as polylr's deep linear :class:`polylr.Setup`; ``L = 0`` is a
two-layer network ``f(x) = Σ_i a_i φ(w_i·x + b_i)``)::

    h_0 = φ(n^-a_in  W_0 x + b_0)                  W_0 ∈ R^{n×d}
    h_l = φ(n^-a_hid W_l h_{l-1} + b_l)            W_l ∈ R^{n×n}, l = 1..L
    f   =   n^-a_out Vᵀ h_L                        V ∈ R^n

(the multipliers are pure powers of n: no constant factor; ``b`` only with ``bias=True``).

An :class:`ABC` parametrization gives, per layer type (input, hidden, output), the width exponents of
the initial standard deviation (``std = n^-b``, divided by ``√d`` for the input layer), of the
multiplier (``n^-a``) and of the learning rate (``η · n^-c`` times a constant factor). Biases (when
on) start at ``bias_std · N(0, 1)`` and train at ``η · n^-c_bias``. Presets (Yang et al. 2022,
"Tensor Programs V", Table 3, in its "multipliers = 1" form; see docs/nonlinear.md):

=============  =============  ============  ===========  ============
preset         init std b     multiplier a  lr c (SGD)   lr c (Adam)
=============  =============  ============  ===========  ============
μP input       0 (1/√d)       0             -1 (η·n)     0 (η)
μP hidden      1/2            0             0            1 (η/n)
μP output      1              0             1            1
SP (all)       0, 1/2, 1/2    0             0            0
=============  =============  ============  ===========  ============

``MUP_SGD`` equals polylr's deep linear μP (``polylr.MUP``) exponent for exponent.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..core.errors import PolylrError, check_finite, check_int
from ..core.setup import Data

ACTIVATIONS = ("linear", "relu", "tanh", "gelu")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "lion")
LOSSES = ("squared", "logistic")
LAYERS = ("input", "hidden", "output")
DECAY_MODES = ("coupled", "independent")
DTYPES = ("float32", "float64")
GIB = 2**30
MEMORY_LIMIT = 8 * GIB  # no (seed, η) pair may need more than this; chunks stay well below it
CHUNK_BYTES = 512 * 2**20  # working memory per vmapped chunk of (seed, η) pairs


def _triple(name: str, value) -> tuple[float, float, float]:
    try:
        t = tuple(value)
    except TypeError:
        raise PolylrError(f"{name} must be three numbers (input, hidden, output), got {value!r}") from None
    if len(t) != 3:
        raise PolylrError(f"{name} must be three numbers (input, hidden, output), got {len(t)}")
    return tuple(check_finite(f"{name}[{LAYERS[i]}]", v) for i, v in enumerate(t))


class ABCScales(NamedTuple):
    """An abc-parametrization at one width: per layer type (input, hidden, output) the initial std,
    the multiplier and the learning-rate factor (without η); and the biases' learning-rate factor."""

    std: tuple[float, float, float]
    mult: tuple[float, float, float]
    lr: tuple[float, float, float]
    bias_lr: float


@dataclass(frozen=True)
class ABC:
    """Width exponents per layer type (input, hidden, output): initial std ``n^-init``, multiplier
    ``n^-mult``, learning rate ``η · lr_factor · n^-lr``; biases train at ``η · n^-bias_lr``."""

    name: str
    init: tuple[float, float, float] = (0.0, 0.5, 1.0)
    mult: tuple[float, float, float] = (0.0, 0.0, 0.0)
    lr: tuple[float, float, float] = (-1.0, 0.0, 1.0)
    bias_lr: float = -1.0
    lr_factor: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        for f in ("init", "mult", "lr", "lr_factor"):
            object.__setattr__(self, f, _triple(f"{self.name}.{f}", getattr(self, f)))
        object.__setattr__(self, "bias_lr", check_finite(f"{self.name}.bias_lr", self.bias_lr))
        if any(v < 0 for v in self.lr_factor):
            raise PolylrError(f"{self.name}.lr_factor must be >= 0, got {self.lr_factor}")

    def scales(self, width: int, d: int) -> ABCScales:
        """Initial stds, multipliers and learning-rate factors (without η) at width ``n``."""
        n = float(width)
        std = tuple(n ** -b for b in self.init)
        return ABCScales(
            std=(std[0] / math.sqrt(d), std[1], std[2]),
            mult=tuple(n ** -a for a in self.mult),
            lr=tuple(f * n ** -c for f, c in zip(self.lr_factor, self.lr)),
            bias_lr=n ** -self.bias_lr,
        )

    def with_lr_factor(self, input: float = 1.0, hidden: float = 1.0, output: float = 1.0) -> ABC:
        """The same exponents with constant per-layer learning-rate factors (e.g. output ÷ 50)."""
        label = f"{self.name}*lr({input:g},{hidden:g},{output:g})"
        return dataclasses.replace(self, name=label, lr_factor=(input, hidden, output))

    def describe(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}


MUP_SGD = ABC("mup-sgd", init=(0.0, 0.5, 1.0), lr=(-1.0, 0.0, 1.0), bias_lr=-1.0)
MUP_ADAM = ABC("mup-adam", init=(0.0, 0.5, 1.0), lr=(0.0, 1.0, 1.0), bias_lr=0.0)
SP_SGD = ABC("sp-sgd", init=(0.0, 0.5, 0.5), lr=(0.0, 0.0, 0.0), bias_lr=0.0)
SP_ADAM = ABC("sp-adam", init=(0.0, 0.5, 0.5), lr=(0.0, 0.0, 0.0), bias_lr=0.0)
ABC_PRESETS = {p.name: p for p in (MUP_SGD, MUP_ADAM, SP_SGD, SP_ADAM)}


def abc_preset(name: str) -> ABC:
    """A preset by name: ``mup-sgd``, ``mup-adam``, ``sp-sgd``, ``sp-adam``."""
    if name not in ABC_PRESETS:
        raise PolylrError(f"unknown parametrization {name!r}; choose one of {', '.join(ABC_PRESETS)}")
    return ABC_PRESETS[name]


@dataclass(frozen=True)
class MLP:
    """The network without its width: ``depth`` hidden ``n x n`` layers (≥ 0), the activation,
    biases on/off, the parametrization and which layer types are trained."""

    depth: int = 3
    activation: str = "relu"
    bias: bool = False
    param: ABC = MUP_SGD
    train: tuple[str, ...] = LAYERS
    bias_std: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "depth", check_int("depth L", self.depth, lo=0, hi=4096))
        if self.activation not in ACTIVATIONS:
            raise PolylrError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if not isinstance(self.bias, bool):
            raise PolylrError(f"bias must be True or False, got {self.bias!r}")
        if isinstance(self.param, str):
            object.__setattr__(self, "param", abc_preset(self.param))
        if not isinstance(self.param, ABC):
            raise PolylrError(f"param must be an ABC or a preset name, got {self.param!r}")
        train = (self.train,) if isinstance(self.train, str) else tuple(self.train)
        bad = [t for t in train if t not in LAYERS]
        if bad or not train:
            raise PolylrError(f"train must be a non-empty subset of {LAYERS}, got {self.train!r}")
        object.__setattr__(self, "train", tuple(t for t in LAYERS if t in train))
        std = check_finite("bias_std", self.bias_std)
        if std < 0:
            raise PolylrError(f"bias_std must be >= 0, got {std}")

    def n_params(self, width: int, d: int) -> int:
        n, L = width, self.depth
        return L * n * n + n * d + n + (n * (L + 1) if self.bias else 0)


@dataclass(frozen=True)
class Optimizer:
    """An optax optimizer by name. ``sgd``; ``momentum`` (heavy ball, ``momentum``); ``adam``
    (``b1``, ``b2``, ``eps``); ``adamw`` = adam with weight decay; ``lion`` (``b1``, ``b2``).
    Weight decay (sgd, momentum, adamw, lion) is ``coupled`` (θ −= η·lr_l·λ·θ, optax's convention)
    or ``independent`` of the learning rate (θ −= λ·θ; Wortsman et al. 2023, Lingle 2024)."""

    name: str = "sgd"
    momentum: float = 0.9
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    decay: str = "coupled"

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise PolylrError(f"unknown optimizer {self.name!r}; choose one of {', '.join(OPTIMIZERS)}")
        for k in ("momentum", "b1", "b2"):
            v = check_finite(k, getattr(self, k))
            if not 0 <= v < 1:
                raise PolylrError(f"{k} must be in [0, 1), got {v}")
        if not check_finite("eps", self.eps) > 0:
            raise PolylrError(f"eps must be > 0, got {self.eps}")
        wd = check_finite("weight_decay", self.weight_decay)
        if wd < 0:
            raise PolylrError(f"weight_decay must be >= 0, got {wd}")
        if wd > 0 and self.name == "adam":
            raise PolylrError("weight_decay applies to sgd, momentum, adamw and lion; use 'adamw' for Adam with weight decay")
        if self.decay not in DECAY_MODES:
            raise PolylrError(f"decay must be one of {DECAY_MODES}, got {self.decay!r}")

    @property
    def slots(self) -> int:
        """Optimizer state vectors per parameter (for the memory estimate)."""
        return {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2, "lion": 1}[self.name]


def _check_loss_targets(loss: str, data: Data, what: str) -> None:
    if loss == "logistic" and not np.all((data.y == 0) | (data.y == 1)):
        raise PolylrError(f"the logistic loss needs {what} targets in {{0, 1}}, got values such as {data.y[(data.y != 0) & (data.y != 1)][:3]}")


@dataclass(frozen=True, eq=False)
class Training:
    """One training run without width, seed and η: the network, the optimizer, the data (and
    optional held-out data on which the final loss is also reported), ``steps`` updates, the batch
    size (``None``: full batch), the seed of the data order, the loss and the float type.

    With minibatches the final training loss is taken on the last batch (a full pass over the data
    would cost as much as an epoch); give ``eval_data`` for a held-out objective.
    Minibatches follow one order drawn from ``numpy.random.default_rng(order_seed)``: a fresh
    permutation of the data each epoch, the same for every network seed and η (common random
    numbers, so loss-vs-η curves are smooth in η). The objective whose argmin is sought is the loss
    after the last step on ``eval_data`` when given, else the final training loss: on the full
    training data with full batch, on the last batch with minibatches.
    """

    net: MLP = field(default_factory=MLP)
    optimizer: Optimizer = field(default_factory=Optimizer)
    data: Data = field(default_factory=Data.synthetic)
    steps: int = 20
    batch: int | None = None
    loss: str = "squared"
    eval_data: Data | None = None
    order_seed: int = 0
    dtype: str = "float32"
    memory_limit: int = MEMORY_LIMIT

    def __post_init__(self) -> None:
        if not isinstance(self.net, MLP):
            raise PolylrError(f"net must be a polylr MLP, got {type(self.net).__name__}")
        if not isinstance(self.optimizer, Optimizer):
            raise PolylrError(f"optimizer must be a polylr Optimizer, got {type(self.optimizer).__name__}")
        if not isinstance(self.data, Data):
            raise PolylrError(f"data must be a polylr.Data, got {type(self.data).__name__}")
        object.__setattr__(self, "steps", check_int("steps", self.steps, lo=0))
        if self.batch is not None:
            try:
                b = check_int("batch", self.batch, lo=1, hi=self.data.m)
            except PolylrError:
                raise PolylrError(f"batch must be an integer in [1, {self.data.m}] (the number of data points), got {self.batch!r}") from None
            object.__setattr__(self, "batch", b)
        if self.loss not in LOSSES:
            raise PolylrError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        _check_loss_targets(self.loss, self.data, "training")
        if self.eval_data is not None:
            if not isinstance(self.eval_data, Data):
                raise PolylrError(f"eval_data must be a polylr.Data or None, got {type(self.eval_data).__name__}")
            if self.eval_data.d != self.data.d:
                raise PolylrError(f"eval_data must have d = {self.data.d} inputs like the training data, got {self.eval_data.d}")
            _check_loss_targets(self.loss, self.eval_data, "held-out")
        object.__setattr__(self, "order_seed", check_int("order_seed", self.order_seed, lo=0))
        if self.dtype not in DTYPES:
            raise PolylrError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        object.__setattr__(self, "memory_limit", check_int("memory_limit (bytes)", self.memory_limit, lo=2**20))

    def replace(self, **changes) -> Training:
        return dataclasses.replace(self, **changes)

    @property
    def batch_size(self) -> int:
        return self.data.m if self.batch is None else self.batch

    def order(self) -> np.ndarray:
        """The data indices of every step, shape ``(steps, batch)`` (seeded, epoch by epoch)."""
        m, b = self.data.m, self.batch_size
        if self.batch is None:
            return np.broadcast_to(np.arange(m), (self.steps, m))
        rng = np.random.default_rng(self.order_seed)
        per_epoch = m // b
        epochs = -(-self.steps // per_epoch) if self.steps else 0
        idx = [rng.permutation(m)[: per_epoch * b].reshape(per_epoch, b) for _ in range(epochs)]
        return np.concatenate(idx)[: self.steps] if idx else np.zeros((0, b), dtype=np.int64)

    def pair_bytes(self, width: int) -> int:
        """Estimated working memory of one (seed, η) pair at ``width``: parameters, their gradient,
        update and optimizer state, and the activations of one batch kept for the backward pass."""
        width = check_int("width n", width, lo=1)
        item = 4 if self.dtype == "float32" else 8
        P = self.net.n_params(width, self.data.d)
        rows = max(self.batch_size, self.eval_data.m if self.eval_data is not None else 0)
        acts = 3 * rows * width * (self.net.depth + 1)
        return item * (P * (4 + self.optimizer.slots) + acts)

    def seed_bytes(self, width: int) -> int:
        """Memory of one seed's initial weights, shared by its η: the float64 draw and its cast."""
        P = self.net.n_params(check_int("width n", width, lo=1), self.data.d)
        return P * (8 + (4 if self.dtype == "float32" else 8))

    def data_bytes(self) -> int:
        """Memory of the data on the device: training and held-out inputs and targets in the run's
        float type, and the int32 data order (``steps x batch``)."""
        item = 4 if self.dtype == "float32" else 8
        rows = self.data.m + (self.eval_data.m if self.eval_data is not None else 0)
        return item * rows * (self.data.d + 1) + 4 * self.steps * self.batch_size

    def check_memory(self, width: int) -> int:
        """Refuse (before allocating anything) when the data, one seed's initial weights and one
        (seed, η) pair together would exceed ``memory_limit``; return the pair's estimate."""
        pair = self.pair_bytes(width)
        need = pair + self.seed_bytes(width) + self.data_bytes()
        if need > self.memory_limit:
            raise PolylrError(
                f"width n = {width}: one (seed, eta) training run needs about {need / GIB:.2f} GiB "
                f"({self.net.n_params(width, self.data.d)} parameters, {self.dtype}, {self.optimizer.name}, data "
                f"{self.data_bytes() / GIB:.2f} GiB), over the memory limit {self.memory_limit / GIB:.2f} GiB; "
                "use a smaller width, depth or data set"
            )
        return pair

    def describe(self) -> dict:
        """A JSON-ready record of what is trained: stored with each :class:`~polylr.analysis.train.Curves`
        (``Curves.to_json``), a decomposition scan's JSON, and in the ``extra`` of each panel of the
        training claims' results (``summary.json``: ``extra.<panel>.training``)."""
        net = self.net
        return {
            "depth": net.depth, "activation": net.activation, "bias": net.bias, "bias_std": net.bias_std,
            "param": net.param.describe(), "train": list(net.train),
            "optimizer": dataclasses.asdict(self.optimizer),
            "data": self.data.source, "m": self.data.m, "d": self.data.d,
            "eval_data": None if self.eval_data is None else self.eval_data.source,
            "steps": self.steps, "batch": self.batch, "loss": self.loss, "order_seed": self.order_seed,
            "dtype": self.dtype,
        }


def check_grid(etas) -> np.ndarray:
    """A learning-rate grid: a non-empty 1-d or 2-d array of finite positive numbers."""
    try:
        a = np.asarray(etas, dtype=np.float64)
    except (TypeError, ValueError):
        raise PolylrError(f"learning rates must be numbers, got {etas!r}") from None
    if a.ndim == 0:
        a = a[None]
    if a.size == 0 or a.ndim > 2:
        raise PolylrError(f"the learning-rate grid must be a non-empty 1-d (or per-seed 2-d) array, got shape {a.shape}")
    bad = a[~(np.isfinite(a) & (a > 0))]
    if bad.size:
        raise PolylrError(f"learning rates must be finite and > 0, got {bad[0]}")
    return a
