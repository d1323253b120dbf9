"""Setup types: the data, the parametrization and the training set-up, as frozen dataclasses.

A :class:`Setup` fully describes the experiment except the width ``n``, which every engine takes
as a separate argument: the finite-width engines need one, the infinite-width engine does not,
and a campaign sweeps it.

The network is the deep linear MLP ``f(x) = V^T W_L ... W_1 W_0 x`` with ``W_0`` of shape
``(n, d)``, ``L`` hidden ``n x n`` layers and ``V`` in ``R^n``; the loss is
``(1/2m) sum_i (f(x_i) - y_i)^2``, minimised by full-batch gradient descent.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .choices import TRAIN_CHOICES, Train, check_choice
from .errors import InvalidInput, PolylrError, check_finite, check_int
from .inputs import check_scale, read_csv, read_npz

MAX_EXPONENT = 16  # width exponents of a parametrization (μP, SP, NTP use 0..2)


def _frozen_array(name: str, a: np.ndarray) -> np.ndarray:
    if np.iscomplexobj(a) or np.asarray(a).dtype.kind in "USOV":
        raise PolylrError(f"{name} must hold real numbers, got dtype {np.asarray(a).dtype}")
    a = np.array(a, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise PolylrError(
            f"{name} must be finite; entry {tuple(int(i) for i in bad)} is {a[tuple(bad)]}"
        )
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Data:
    """A regression data set: inputs ``X`` of shape ``(m, d)`` and targets ``y`` of shape ``(m,)``.

    ``source`` says where it came from (recorded in every result).
    """

    X: np.ndarray
    y: np.ndarray
    source: str = "arrays"

    def __post_init__(self) -> None:
        X = _frozen_array("X", self.X)
        y = _frozen_array("y", self.y)
        if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
            raise PolylrError(f"X must be a 2-d array of shape (m, d) with m, d >= 1, got shape {X.shape}")
        if y.ndim != 1:
            raise PolylrError(f"y must be a 1-d array of shape (m,), got shape {y.shape}")
        if y.shape[0] != X.shape[0]:
            raise PolylrError(
                f"X and y must have the same number of points: X has {X.shape[0]} rows, y has {y.shape[0]}"
            )
        check_scale("X", X)
        check_scale("y", y)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @property
    def m(self) -> int:
        """Number of data points."""
        return self.X.shape[0]

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.X.shape[1]

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 (first 16 hex digits) of the float64 bytes of ``X`` and ``y`` with their shapes:
        two data sets with one digest are one. Computed once per object (the arrays are read-only)."""
        h = hashlib.sha256()
        for a in (self.X, self.y):
            a = np.ascontiguousarray(a, dtype=np.float64)
            h.update(repr(a.shape).encode())
            h.update(a.tobytes())
        return h.hexdigest()[:16]

    @property
    def K(self) -> np.ndarray:
        """The input kernel ``X X^T / d`` (the infinite-width feature kernel under all three parametrizations)."""
        return self.X @ self.X.T / self.d

    @classmethod
    def synthetic(cls, m: int = 16, d: int = 4, *, noise: float = 0.1, seed: int = 0) -> Data:
        """The papers' synthetic regression: ``x ~ N(0, I_d)``, ``w* ~ N(0, I_d / d)``, ``y = X w* + noise * eps``.

        Drawn with ``numpy.random.default_rng(seed)``; the seed is part of :attr:`source`.
        """
        m = check_int("m (number of data points)", m, lo=1)
        d = check_int("d (input dimension)", d, lo=1)
        noise = check_finite("noise", noise)
        if noise < 0:
            raise PolylrError(f"noise must be >= 0, got {noise}")
        seed = check_int("data seed", seed, lo=0)
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((m, d))
        w_star = rng.standard_normal(d) / math.sqrt(d)
        y = X @ w_star + noise * rng.standard_normal(m)
        return cls(X, y, source=f"synthetic(m={m}, d={d}, noise={noise}, seed={seed})")

    @classmethod
    def from_file(cls, path: str | Path) -> Data:
        """Load a data set from ``.npz`` (arrays ``X`` and ``y``) or ``.csv`` (last column is ``y``; a
        header row is skipped if it is not numeric)."""
        path = Path(path)
        if path.is_dir():
            raise PolylrError(f"data file {str(path)!r} is a directory, not a .npz or .csv file")
        if not path.is_file():
            raise PolylrError(f"data file {str(path)!r} does not exist")
        suffix = path.suffix.lower()
        if suffix == ".npz":
            X, y = read_npz(path)
        elif suffix == ".csv":
            X, y = read_csv(path)
        else:
            raise PolylrError(f"data file must end in .npz or .csv, got {str(path)!r}")
        return cls(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64), source=str(path))


class Scales(NamedTuple):
    """A parametrization at one width: initial standard deviations and learning-rate factors.

    ``W_0 ~ N(0, in_std²)``, ``W_l ~ N(0, hidden_std²)``, ``V ~ N(0, out_std²)``; gradient descent
    at base rate η uses ``η·in_lr``, ``η·hidden_lr``, ``η·out_lr``.
    """

    in_std: float
    hidden_std: float
    out_std: float
    in_lr: float
    hidden_lr: float
    out_lr: float

    @property
    def stds(self) -> tuple[float, float, float]:
        """``(in_std, hidden_std, out_std)``."""
        return (self.in_std, self.hidden_std, self.out_std)

    @property
    def lrs(self) -> tuple[float, float, float]:
        """``(in_lr, hidden_lr, out_lr)``."""
        return (self.in_lr, self.hidden_lr, self.out_lr)


@dataclass(frozen=True)
class Parametrization:
    """Width scalings of initialisation and learning rates, as data.

    In the standard form used throughout:
    ``W_0 ~ N(0, n^-in_var / d)``, ``W_l ~ N(0, n^-hidden_var)``, ``V ~ N(0, n^-out_var)``;
    gradient descent on ``W_0``, ``W_l``, ``V`` uses the learning rates
    ``eta * n^-in_lr * d^-in_lr_d``, ``eta * n^-hidden_lr`` and ``eta * n^-out_lr``
    (the input and output rates matter only when all layers are trained).
    """

    name: str
    out_var: float = 2.0
    hidden_lr: float = 0.0
    hidden_var: float = 1.0
    in_var: float = 0.0
    in_lr: float = -1.0
    in_lr_d: float = 0.0
    out_lr: float = 1.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name != "name":
                value = check_finite(f"parametrization exponent {f.name}", getattr(self, f.name))
                if abs(value) > MAX_EXPONENT:  # n^±1e308 overflows (issue 10: phase-map --v 1e308)
                    raise InvalidInput(f"parametrization exponent {f.name} must be in [-{MAX_EXPONENT}, {MAX_EXPONENT}], got {value:g}")
                object.__setattr__(self, f.name, value)

    def scales(self, width: int, d: int) -> Scales:
        """Standard deviations and learning-rate factors at a given width."""
        n = float(width)
        return Scales(
            in_std=math.sqrt(n ** -self.in_var / d),
            hidden_std=math.sqrt(n ** -self.hidden_var),
            out_std=math.sqrt(n ** -self.out_var),
            in_lr=n ** -self.in_lr * float(d) ** -self.in_lr_d,
            hidden_lr=n ** -self.hidden_lr,
            out_lr=n ** -self.out_lr,
        )

    @property
    def exponents(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "name"}

    @classmethod
    def parse(cls, text: str) -> Parametrization:
        """``"mup"``, ``"sp"``, ``"ntp"`` or custom exponents ``"out_var=1.5,hidden_lr=0.5"``
        (``v`` and ``c`` are accepted for ``out_var`` and ``hidden_lr``; unnamed exponents take μP's values)."""
        key = text.strip().lower()
        if key in PRESETS:
            return PRESETS[key]
        if "=" not in key:
            raise PolylrError(
                f"unknown parametrization {text!r}; choose one of {sorted(PRESETS)} or give exponents such as 'v=1.5,c=0.5'"
            )
        alias = {"v": "out_var", "c": "hidden_lr"}
        allowed = [f.name for f in dataclasses.fields(cls) if f.name != "name"]
        values: dict[str, float] = {}
        for part in key.split(","):
            k, _, v = part.partition("=")
            k = alias.get(k.strip(), k.strip())
            if k not in allowed:
                raise PolylrError(f"unknown exponent {k!r} in {text!r}; allowed: v, c, {', '.join(allowed)}")
            values[k] = check_finite(f"exponent {k}", v)
        return cls(name="custom(" + ",".join(f"{k}={_exact(v)}" for k, v in values.items()) + ")", **values)


def _exact(value: float) -> str:
    """Shortest text that round-trips to ``value`` ("1" rather than "1.0")."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


MUP = Parametrization("mup", out_var=2.0, hidden_lr=0.0, in_lr=-1.0, out_lr=1.0)
SP = Parametrization("sp", out_var=1.0, hidden_lr=0.0, in_lr=0.0, out_lr=0.0)
NTP = Parametrization("ntp", out_var=1.0, hidden_lr=1.0, in_lr=0.0, in_lr_d=1.0, out_lr=1.0)
PRESETS = {"mup": MUP, "sp": SP, "ntp": NTP}


@dataclass(frozen=True, eq=False)
class Setup:
    """Everything but the width: data, depth ``L`` (number of hidden ``n x n`` layers), number of
    gradient steps ``t``, parametrization, and which layers are trained (``"hidden"``, the paper's
    choice, or ``"all"``)."""

    data: Data = field(default_factory=Data.synthetic)
    depth: int = 3
    steps: int = 1
    param: Parametrization = MUP
    train: Train = "hidden"

    def __post_init__(self) -> None:
        if not isinstance(self.data, Data):
            raise PolylrError(f"data must be a polylr.Data, got {type(self.data).__name__}")
        object.__setattr__(self, "depth", check_int("depth L", self.depth, lo=1))
        object.__setattr__(self, "steps", check_int("steps t", self.steps, lo=1))
        if isinstance(self.param, str):
            object.__setattr__(self, "param", Parametrization.parse(self.param))
        if not isinstance(self.param, Parametrization):
            raise PolylrError(f"param must be a Parametrization or a name, got {self.param!r}")
        check_choice("train", self.train, TRAIN_CHOICES)

    def replace(self, **changes) -> Setup:
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict:
        """A JSON-ready record of the setup (recorded with every result)."""
        return {
            "data": self.data.source,
            "m": self.data.m,
            "d": self.data.d,
            "depth": self.depth,
            "steps": self.steps,
            "parametrization": self.param.name,
            "exponents": self.param.exponents,
            "train": self.train,
        }


def check_width(width) -> int:
    return check_int("width n", width, lo=1)
