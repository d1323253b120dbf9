"""Hypothesis strategies for polylr's inputs: data sets, setups, widths, parametrizations,
learning-rate intervals and samplers; for the nonlinear engine, ABC parametrizations, MLP
descriptions, optimizers and training runs.

Every function returns a strategy. Every parameter accepts a plain value or a strategy, as in
``hypothesis.extra.numpy``: what to draw (sizes, depth, steps, the data, the parametrization, the
trained layers, the point an interval must contain) and thresholds alike (``max_cond``,
``min_ky``, ``noise``, ``max_output_degree``, a range's ends; a drawn threshold applies to that
example). Plain values are validated when the function is called and drawn values when they are
drawn; a bad one raises :class:`InvalidStrategyArgument` naming the value and
what is allowed: a subclass of both ``hypothesis.errors.InvalidArgument`` (as hypothesis's own
strategies raise) and :class:`polylr.PolylrError`. (Exceptions, plain values only:
``parametrizations``' and ``abcs``' preset lists, the ``exponents`` mapping, whose entries may be
strategies, ``abcs(custom=)`` and ``samplers(kinds=)``.)

Importing this module registers type strategies (``st.from_type(polylr.Data)``, ``Setup``,
``Parametrization``, ``ABC``, ``MLP``, ``Optimizer``, ``Training`` and the samplers ``DenseSampler``,
``GramSampler``): the functions below with their defaults.

Everything shrinks towards small, simple cases: few data points, low input dimension, depth 1,
one step, μP, the data set ``X = [[1.0]]``, and intervals starting at 0.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any, Callable, Mapping, Sequence

import numpy as np
try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
    from hypothesis.extra.numpy import arrays
    from hypothesis.strategies import SearchStrategy
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("polylr.testing's strategies need hypothesis: pip install 'polylr[test]'") from e

from ..engines.coeffs import MAX_OUTPUT_DEGREE, output_degree
from ..core.errors import PolylrError, check_finite, check_int
from ..core.choices import TRAIN_CHOICES, Train, check_choice
from ..core.setup import PRESETS, Data, Parametrization, Setup

__all__ = [
    "InvalidStrategyArgument", "abcs", "datasets", "intervals", "mlps", "optimizers", "parametrizations", "samplers", "setups",
    "trainings", "widths",
]


class InvalidStrategyArgument(InvalidArgument, PolylrError):
    """A bad argument to one of polylr's strategies (or a bad value drawn from a strategy passed as one)."""


def _invalid_as_hypothesis(fn: Callable) -> Callable:
    """Re-raise polylr's validation errors as :class:`InvalidStrategyArgument` (one line, same text)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InvalidStrategyArgument:
            raise
        except PolylrError as e:
            raise InvalidStrategyArgument(str(e)) from None

    return wrapper


def _drawn_thresholds(fn: Callable, names: tuple[str, ...]) -> Callable:
    """Let the keyword arguments ``names`` (thresholds) be strategies too: when one is, draw them
    all first and call ``fn`` with the drawn values (``flatmap``), so each example uses its own."""

    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs).arguments
        except TypeError as e:
            raise InvalidStrategyArgument(f"{fn.__name__}: {e}") from None
        drawn = {k: bound[k] for k in names if isinstance(bound.get(k), SearchStrategy)}
        if not drawn:
            return fn(*args, **kwargs)
        rest = {k: v for k, v in bound.items() if k not in drawn}
        return st.fixed_dictionaries(drawn).flatmap(lambda values: fn(**rest, **values))

    return wrapper

EXPONENT_NAMES = tuple(f.name for f in dataclasses.fields(Parametrization) if f.name != "name")
EXPONENT_ALIASES = {"v": "out_var", "c": "hidden_lr"}

# Entries of the perturbation E in X = J + E, and of the weights w in y = X w + r.
_E_BOUND = 1.0
_W_BOUND = 2.0


def _value_or_strategy(value: Any, check: Callable[[Any], Any]) -> SearchStrategy:
    """A strategy for a parameter: a plain value is checked now, a strategy's draws when drawn."""
    check = _invalid_as_hypothesis(check)
    if isinstance(value, SearchStrategy):
        return value.map(check)
    return st.just(check(value))


# -- data sets -----------------------------------------------------------------------------


def _kernel_ratio(X: np.ndarray, y: np.ndarray) -> float:
    """``‖K y‖ / (‖K‖₂ ‖y‖)`` with ``K = X Xᵀ / d``: 0 when ``K y = 0``, at most 1."""
    K = X @ X.T / X.shape[1]
    scale = np.linalg.norm(K, 2) * np.linalg.norm(y)
    return float(np.linalg.norm(K @ y) / scale) if scale > 0 else 0.0


def _data_ok(data: Data, max_cond: float | None, min_ky: float) -> bool:
    if max_cond is not None and not np.linalg.cond(data.X) <= max_cond:
        return False
    return _kernel_ratio(data.X, data.y) >= min_ky


def _floats(bound: float) -> SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_subnormal=False)


def _nonnegative(name: str) -> Callable[[Any], float]:
    """A check: the value as a finite float >= 0, else one line naming ``name``."""

    def check(v: Any) -> float:
        v = check_finite(name, v)
        if v < 0:
            raise PolylrError(f"{name} must be >= 0, got {v}")
        return v

    return check


def _one_of(name: str, choices: tuple[str, ...]) -> Callable[[Any], str]:
    """A check: the value if it is one of ``choices``, else one line naming ``name`` and them."""
    return functools.partial(check_choice, name, choices=choices)


def _instance(name: str, cls: type) -> Callable[[Any], Any]:
    """A check: the value if it is a ``cls``, else one line naming ``name`` and the type given."""

    def check(v: Any) -> Any:
        if not isinstance(v, cls):
            raise PolylrError(f"{name} must be a polylr.{cls.__name__} or a strategy of them, got {type(v).__name__}")
        return v

    return check


def _check_bool(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise PolylrError(f"{name} must be True or False, got {v!r}")
    return v



def _check_max_cond(v: Any) -> float | None:
    if v is None:
        return None
    v = check_finite("max_cond", v)
    if v < 1:
        raise PolylrError(f"max_cond must be >= 1 (a condition number is at least 1) or None, got {v}")
    return v


def _check_min_ky(v: Any) -> float:
    v = check_finite("min_ky", v)
    if not 0 < v < 1:
        raise PolylrError(f"min_ky must be in (0, 1) (the ratio ‖Ky‖ / (‖K‖ ‖y‖) is at most 1), got {v}")
    return v


@st.composite
def _draw_dataset(draw, m: SearchStrategy, d: SearchStrategy, noise_: float) -> Data:
    m_, d_ = draw(m), draw(d)
    E = draw(arrays(np.float64, (m_, d_), elements=_floats(_E_BOUND)))
    w = draw(arrays(np.float64, d_, elements=_floats(_W_BOUND)))
    r = draw(arrays(np.float64, m_, elements=_floats(noise_))) if noise_ > 0 else np.zeros(m_)
    X = np.eye(m_, d_) + E
    return Data(X, X @ w + r, source=f"polylr.testing.datasets (m={m_}, d={d_})")


@functools.partial(_drawn_thresholds, names=("noise", "max_cond", "min_ky"))
@_invalid_as_hypothesis
def datasets(
    m: int | SearchStrategy[int] = st.integers(1, 8),
    d: int | SearchStrategy[int] = st.integers(1, 6),
    *,
    noise: float | SearchStrategy[float] = 0.5,
    max_cond: float | None | SearchStrategy[float | None] = 100.0,
    min_ky: float | SearchStrategy[float] = 0.1,
) -> SearchStrategy[Data]:
    """Regression data sets :class:`polylr.Data` with ``m`` points in dimension ``d``.

    ``X = J + E`` where ``J`` is the ``m × d`` matrix with ones on its diagonal and ``E`` has
    entries in ``[-1, 1]``; the targets are ``y = X w + r`` with ``w`` in ``[-2, 2]^d`` and
    ``r`` in ``[-noise, noise]^m``. So every value is finite, ``|X| <= 2`` and
    ``|y| <= 4 d + noise``. Kept only when

    - ``X`` is well conditioned: ``cond(X) = σ_max / σ_min <= max_cond`` (over its ``min(m, d)``
      singular values; ``max_cond=None`` drops this condition), and
    - ``K y`` is bounded away from 0, as Hayou's theorems assume:
      ``‖K y‖ >= min_ky · ‖K‖₂ ‖y‖`` with ``K = X Xᵀ / d`` (so ``η_∞ = (m/L) yᵀKy / ‖Ky‖²`` is
      finite and positive).

    Every argument is a value or a strategy (a drawn ``min_ky`` near 0 probes the edge of the
    hypothesis Ky ≠ 0). Shrinks towards ``m = d = 1`` and ``E = 0``.
    """
    m_s = _value_or_strategy(m, lambda v: check_int("m (number of data points)", v, lo=1))
    d_s = _value_or_strategy(d, lambda v: check_int("d (input dimension)", v, lo=1))
    noise, max_cond, min_ky = _nonnegative("noise")(noise), _check_max_cond(max_cond), _check_min_ky(min_ky)
    return _draw_dataset(m_s, d_s, noise).filter(lambda data: _data_ok(data, max_cond, min_ky))


# -- parametrizations ----------------------------------------------------------------------


def _preset(name: Any) -> Parametrization:
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in PRESETS:
        raise PolylrError(f"preset must be one of {sorted(PRESETS)}, got {name!r}")
    return PRESETS[key]


def _exponent_strategy(name: str, spec: Any) -> SearchStrategy[float]:
    if isinstance(spec, SearchStrategy):
        return spec.map(lambda v: check_finite(f"exponent {name}", v))
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise PolylrError(f"exponent {name}: a range must be a pair (lo, hi), got {spec!r}")
        lo, hi = (check_finite(f"exponent {name} range end", v) for v in spec)
        if lo > hi:
            raise PolylrError(f"exponent {name}: range must have lo <= hi, got ({lo}, {hi})")
        return st.floats(lo, hi)
    return st.just(check_finite(f"exponent {name}", spec))


@_invalid_as_hypothesis
def parametrizations(
    presets: Sequence[str] = ("mup", "sp", "ntp"),
    *,
    exponents: Mapping[str, float | tuple[float, float] | SearchStrategy[float]] | None = None,
) -> SearchStrategy[Parametrization]:
    """:class:`polylr.Parametrization` objects: the named ``presets`` and, when ``exponents`` is
    given, custom ones.

    ``exponents`` maps exponent names (fields of :class:`polylr.Parametrization`, or the aliases
    ``v`` for ``out_var`` and ``c`` for ``hidden_lr``) to a value, a ``(lo, hi)`` range or a
    strategy; unnamed exponents take μP's values, as in :meth:`Parametrization.parse`, and the
    name is ``custom(...)``. Shrinks towards the first preset, then towards simple exponents.
    """
    if isinstance(presets, str) or not isinstance(presets, Sequence):
        raise PolylrError(f"presets must be a sequence of names from {sorted(PRESETS)}, got {presets!r}")
    chosen = [_preset(p) for p in presets]
    options = [st.sampled_from(chosen)] if chosen else []
    if exponents is not None:
        if not isinstance(exponents, Mapping) or not exponents:
            raise PolylrError(
                f"exponents must be a non-empty mapping from names in {list(EXPONENT_NAMES)} (or v, c) to "
                f"values, (lo, hi) ranges or strategies, got {exponents!r}"
            )
        parts = {}
        for key, spec in exponents.items():
            name = EXPONENT_ALIASES.get(key, key)
            if name not in EXPONENT_NAMES or name in parts:
                raise PolylrError(
                    f"unknown or repeated exponent {key!r}; allowed: {', '.join(EXPONENT_NAMES)} (aliases v, c)"
                )
            parts[name] = _exponent_strategy(name, spec)
        options.append(
            st.fixed_dictionaries(parts).map(
                lambda values: Parametrization.parse(",".join(f"{k}={v!r}" for k, v in values.items()))
            )
        )
    if not options:
        raise PolylrError("parametrizations needs at least one preset or some exponents")
    return st.one_of(options)


# -- setups and widths ---------------------------------------------------------------------


def _param_value(value: Any) -> Parametrization:
    if isinstance(value, Parametrization):
        return value
    if isinstance(value, str):
        return Parametrization.parse(value)
    raise PolylrError(f"param must be a Parametrization, a name such as 'mup', or a strategy, got {value!r}")


def _train_value(value: Any) -> str:
    return check_choice("train", value, TRAIN_CHOICES)


_data_value = _instance("data", Data)


@functools.partial(_drawn_thresholds, names=("max_output_degree",))
@_invalid_as_hypothesis
def setups(
    data: Data | SearchStrategy[Data] | None = None,
    depth: int | SearchStrategy[int] = st.integers(1, 3),
    steps: int | SearchStrategy[int] = st.integers(1, 2),
    param: Parametrization | str | SearchStrategy[Parametrization] | None = None,
    train: Train | SearchStrategy[str] = "hidden",
    *,
    max_output_degree: int | SearchStrategy[int] = MAX_OUTPUT_DEGREE,
) -> SearchStrategy[Setup]:
    """:class:`polylr.Setup` objects (everything but the width; draw that with :func:`widths`).

    ``data`` defaults to :func:`datasets`, ``param`` to :func:`parametrizations`. Kept only when
    the degree of f^(t) in η is at most ``max_output_degree`` (the exact engine's limit by
    default), so :func:`polylr.finite_width_polys` accepts every setup drawn. Shrinks towards
    depth 1, one step, μP and the smallest data set.
    """
    data_s = datasets() if data is None else _value_or_strategy(data, _data_value)
    depth_s = _value_or_strategy(depth, lambda v: check_int("depth L", v, lo=1))
    steps_s = _value_or_strategy(steps, lambda v: check_int("steps t", v, lo=1))
    param_s = parametrizations() if param is None else _value_or_strategy(param, _param_value)
    train_s = _value_or_strategy(train, _train_value)
    max_output_degree = check_int("max_output_degree", max_output_degree, lo=1)
    if not any(isinstance(v, SearchStrategy) for v in (depth, steps, train)):
        degree = output_degree(Setup(depth=depth, steps=steps, train=train))
        if degree > max_output_degree:
            raise PolylrError(
                f"depth {depth}, steps {steps}, train={train!r} give f^(t) of degree {degree} in η; "
                f"max_output_degree allows <= {max_output_degree}"
            )
    return st.builds(Setup, data=data_s, depth=depth_s, steps=steps_s, param=param_s, train=train_s).filter(
        lambda s: output_degree(s) <= max_output_degree
    )


@_invalid_as_hypothesis
def widths(
    min_value: int | SearchStrategy[int] = 1, max_value: int | SearchStrategy[int] = 64
) -> SearchStrategy[int]:
    """Network widths ``n`` in ``[min_value, max_value]``, shrinking towards ``min_value``.

    With the dense engine keep ``max_value`` at most about 1024 (its cost grows like n²); with a
    width-free sampler (passed as ``sampler=`` to the assertions) widths up to 2^20 cost what
    width 64 costs."""
    if not any(isinstance(v, SearchStrategy) for v in (min_value, max_value)):
        lo = check_int("min_value (smallest width)", min_value, lo=1)
        hi = check_int("max_value (largest width)", max_value, lo=lo)
        return st.integers(lo, hi)
    lo_s = _value_or_strategy(min_value, lambda v: check_int("min_value (smallest width)", v, lo=1))
    hi_s = _value_or_strategy(max_value, lambda v: check_int("max_value (largest width)", v, lo=1))

    @st.composite
    def draw_width(draw) -> int:
        lo, hi = draw(lo_s), draw(hi_s)
        if hi < lo:
            raise InvalidStrategyArgument(f"max_value (largest width) must be >= min_value = {lo}, got {hi}")
        return draw(st.integers(lo, hi))

    return draw_width()


# -- learning-rate intervals ---------------------------------------------------------------


@functools.partial(_drawn_thresholds, names=("min_value", "max_value", "min_length"))
@_invalid_as_hypothesis
def intervals(
    min_value: float | SearchStrategy[float] = 0.0,
    max_value: float | SearchStrategy[float] = 10.0,
    *,
    min_length: float | SearchStrategy[float] = 0.01,
    containing: float | SearchStrategy[float] | None = None,
) -> SearchStrategy[tuple[float, float]]:
    """Compact learning-rate intervals ``(lo, hi)`` with
    ``min_value <= lo < lo + min_length <= hi <= max_value`` (to float rounding in the middle),
    and ``lo <= containing <= hi`` when ``containing`` is given (e.g. η_∞, so that the interval
    holds the limit's argmin). Shrinks towards ``lo = min_value`` and a short, simple ``hi``.
    """
    lo_bound = check_finite("min_value", min_value)
    hi_bound = check_finite("max_value", max_value)
    if lo_bound < 0:
        raise PolylrError(f"min_value must be >= 0 (learning rates are non-negative), got {lo_bound}")
    if not hi_bound > lo_bound:
        raise PolylrError(f"max_value must be > min_value = {lo_bound}, got {hi_bound}")
    min_length = check_finite("min_length", min_length)
    smallest = 1e-9 * max(1.0, hi_bound)
    if not smallest <= min_length <= hi_bound - lo_bound:
        raise PolylrError(
            f"min_length must be in [{smallest:g}, max_value - min_value = {hi_bound - lo_bound:g}], got {min_length}"
        )

    def check_point(v: Any) -> float:
        v = check_finite("containing", v)
        if not lo_bound <= v <= hi_bound:
            raise PolylrError(f"containing must lie in [min_value, max_value] = [{lo_bound}, {hi_bound}], got {v}")
        return v

    point = st.none() if containing is None else _value_or_strategy(containing, check_point)

    @st.composite
    def draw_interval(draw) -> tuple[float, float]:
        c = draw(point)
        top_lo = hi_bound - min_length if c is None else min(c, hi_bound - min_length)
        lo = draw(st.floats(lo_bound, max(lo_bound, top_lo)))
        bottom_hi = lo + min_length if c is None else max(c, lo + min_length)
        hi = draw(st.floats(min(bottom_hi, hi_bound), hi_bound))
        return lo, hi

    return draw_interval()


# -- type strategies: st.from_type(polylr.Data) etc. draw with the defaults above ---------------

st.register_type_strategy(Data, st.deferred(datasets))
st.register_type_strategy(Parametrization, st.deferred(parametrizations))
st.register_type_strategy(Setup, st.deferred(setups))


# -- samplers --------------------------------------------------------------------------------------


def _sampler_kinds(kinds: Any) -> tuple[str, ...]:
    from ..engines.samplers import SAMPLERS

    if isinstance(kinds, str) or not isinstance(kinds, Sequence) or not kinds:
        raise PolylrError(f"kinds must be a non-empty sequence of names from {list(SAMPLERS)}, got {kinds!r}")
    bad = [k for k in kinds if k not in SAMPLERS]
    if bad:
        raise PolylrError(f"unknown sampler kind {bad[0]!r}; allowed: {', '.join(SAMPLERS)}")
    return tuple(dict.fromkeys(kinds))


_setup_value = _instance("setup", Setup)


def _sampler_for(setup: Setup, kind: str) -> SearchStrategy:
    from ..engines.gram import GramSampler
    from ..engines.samplers import DENSE

    if kind == "dense":
        return st.just(DENSE)
    if kind == "gram":  # the probed capacities, or the ones that cannot overflow
        return st.sampled_from(("probed", "upper")).map(
            lambda cap: GramSampler.for_setup(setup, 0) if cap == "probed" else GramSampler.upper(setup)
        )
    return st.just("auto")


@_invalid_as_hypothesis
def samplers(
    setup: Setup | SearchStrategy[Setup] | None = None,
    *,
    kinds: Sequence[str] = ("dense", "gram"),
) -> SearchStrategy[Any]:
    """Samplers for :func:`polylr.sweep` and :func:`polylr.finite_width_polys` (``sampler=``).

    Without ``setup``: the names in ``kinds`` (``"dense"``, ``"gram"``, ``"auto"``), which the
    engine resolves per setup and width. With ``setup`` (a value or a strategy): sampler objects
    sized for that setup: the dense sampler, and Gram samplers with the probed capacities
    (``GramSampler.for_setup``) or the capacities that cannot overflow (``GramSampler.upper``);
    ``"auto"`` stays a name. The dense sampler works at every width up to its memory cap (``8·L·n²``
    bytes per network, refused beyond 4 GiB: n ≈ 13 000 at L = 3); a Gram sampler needs ``n > K``
    (its capacity, ``sampler.K``; widths to 2^20 cost what width 64 costs). Shrinks towards the
    first kind.
    """
    kinds = _sampler_kinds(kinds)
    if setup is None:
        return st.sampled_from(kinds)
    setup_s = _value_or_strategy(setup, _setup_value)
    return st.tuples(setup_s, st.sampled_from(kinds)).flatmap(lambda sk: _sampler_for(*sk))


# -- nonlinear networks and optimizers (polylr.MLP, ABC, Optimizer, Training) -----------------------


@_invalid_as_hypothesis
def abcs(
    presets: Sequence[str] = ("mup-sgd", "mup-adam", "sp-sgd", "sp-adam"),
    *,
    custom: bool = False,
) -> SearchStrategy[Any]:
    """:class:`polylr.ABC` parametrizations of the nonlinear engine: the named presets and, with
    ``custom=True``, ABCs with drawn exponents (init std exponents in [0, 1], learning-rate
    exponents in [-1, 1], multipliers 1). Shrinks towards the first preset."""
    from ..engines.mlp import ABC, ABC_PRESETS

    if isinstance(presets, str) or not isinstance(presets, Sequence):
        raise PolylrError(f"presets must be a sequence of names from {sorted(ABC_PRESETS)}, got {presets!r}")
    bad = [p for p in presets if p not in ABC_PRESETS]
    if bad:
        raise PolylrError(f"unknown ABC preset {bad[0]!r}; allowed: {', '.join(ABC_PRESETS)}")
    _check_bool("custom", custom)
    options = [st.sampled_from([ABC_PRESETS[p] for p in presets])] if presets else []
    if custom:
        unit, signed = st.floats(0.0, 1.0), st.floats(-1.0, 1.0)
        options.append(st.builds(
            ABC, st.just("custom"), init=st.tuples(unit, unit, unit), lr=st.tuples(signed, signed, signed), bias_lr=signed,
        ))
    if not options:
        raise PolylrError("abcs needs at least one preset or custom=True")
    return st.one_of(options)


def _abc_value(value: Any):
    from ..engines.mlp import ABC, abc_preset

    if isinstance(value, ABC):
        return value
    if isinstance(value, str):
        return abc_preset(value)
    raise PolylrError(f"param must be a polylr.ABC, a preset name or a strategy, got {value!r}")


def _train_layers(value: Any) -> tuple[str, ...]:
    from ..engines.mlp import LAYERS

    t = (value,) if isinstance(value, str) else tuple(value)
    if not t or any(v not in LAYERS for v in t):
        raise PolylrError(f"train must be a non-empty subset of {LAYERS}, got {value!r}")
    return t


@_invalid_as_hypothesis
def mlps(
    depth: int | SearchStrategy[int] = st.integers(0, 2),
    activation: str | SearchStrategy[str] | None = None,
    bias: bool | SearchStrategy[bool] = st.booleans(),
    param: Any = None,
    train: Any = None,
    *,
    bias_std: float | SearchStrategy[float] = 0.0,
) -> SearchStrategy[Any]:
    """:class:`polylr.MLP` network descriptions (everything but the width): ``depth`` hidden n×n
    layers, ``activation`` (default: any of ``polylr.engines.mlp.ACTIVATIONS``), biases on/off,
    ``param`` (default :func:`abcs`), ``train`` (default: any non-empty subset of the layer types).
    Shrinks towards a linear two-layer network under the first preset, every layer trained."""
    from ..engines.mlp import ACTIVATIONS, LAYERS, MLP

    depth_s = _value_or_strategy(depth, lambda v: check_int("depth L (hidden n x n layers)", v, lo=0, hi=4096))
    act_s = st.sampled_from(ACTIVATIONS) if activation is None else _value_or_strategy(activation, _one_of("activation", ACTIVATIONS))
    bias_s = _value_or_strategy(bias, functools.partial(_check_bool, "bias"))
    param_s = abcs() if param is None else _value_or_strategy(param, _abc_value)
    if train is None:
        train_s = st.lists(st.sampled_from(LAYERS), min_size=1, max_size=3, unique=True).map(lambda t: tuple(sorted(t, key=LAYERS.index)))
        train_s = st.one_of(st.just(LAYERS), train_s)
    else:
        train_s = _value_or_strategy(train, _train_layers)
    std_s = _value_or_strategy(bias_std, _nonnegative("bias_std"))
    return st.builds(MLP, depth=depth_s, activation=act_s, bias=bias_s, param=param_s, train=train_s, bias_std=std_s)


@_invalid_as_hypothesis
def optimizers(
    name: str | SearchStrategy[str] | None = None,
    *,
    weight_decay: float | SearchStrategy[float] = st.sampled_from([0.0, 1e-4, 1e-2]),
    decay: str | SearchStrategy[str] = st.sampled_from(["coupled", "independent"]),
) -> SearchStrategy[Any]:
    """:class:`polylr.Optimizer` descriptions: ``name`` (default: any of ``sgd``, ``momentum``,
    ``adam``, ``adamw``, ``lion``) with drawn hyperparameters (momentum, b1 in [0, 0.99], b2 in
    [0.9, 0.9999], eps in [1e-10, 1e-6]) and ``weight_decay`` (0 for ``adam``, which takes none).
    Shrinks towards plain SGD."""
    from ..engines.mlp import DECAY_MODES, OPTIMIZERS, Optimizer

    name_s = st.sampled_from(OPTIMIZERS) if name is None else _value_or_strategy(name, _one_of("optimizer name", OPTIMIZERS))
    wd_s = _value_or_strategy(weight_decay, _nonnegative("weight_decay"))
    decay_s = _value_or_strategy(decay, _one_of("decay", DECAY_MODES))
    unit = st.floats(0.0, 0.99)

    @st.composite
    def draw_optimizer(draw) -> Optimizer:
        nm, wd = draw(name_s), draw(wd_s)  # always drawn, so that shrinking prefers sgd (fewer draws is "simpler")
        wd = 0.0 if nm == "adam" else wd
        return Optimizer(
            nm, momentum=draw(unit), b1=draw(unit), b2=draw(st.floats(0.9, 0.9999)), eps=draw(st.floats(1e-10, 1e-6)),
            weight_decay=wd, decay=draw(decay_s),
        )

    return draw_optimizer()


def _binary(data: Data) -> Data:
    """The same inputs with targets ``1[y > median(y)]`` (both classes when the y differ)."""
    return Data(data.X, (data.y > np.median(data.y)).astype(np.float64), source=f"{data.source} (binary targets)")


@_invalid_as_hypothesis
def trainings(
    net: Any = None,
    optimizer: Any = None,
    data: Data | SearchStrategy[Data] | None = None,
    steps: int | SearchStrategy[int] = st.integers(1, 4),
    *,
    batch: int | None | SearchStrategy[int | None] = None,
    loss: str | SearchStrategy[str] = "squared",
    dtype: str | SearchStrategy[str] = "float64",
) -> SearchStrategy[Any]:
    """:class:`polylr.Training` runs (without width, seed and η): ``net`` (default :func:`mlps`),
    ``optimizer`` (default :func:`optimizers`), ``data`` (default ``datasets(m=1..6, d=1..4)``; for
    ``loss="logistic"`` the default data get targets in {0, 1}), ``steps``, ``batch`` (``None``:
    full batch, or a size <= m; a strategy is drawn per example), the loss and the float type.
    Every run drawn is accepted by :func:`polylr.train_curves`. Shrinks towards one full-batch SGD
    step of a linear two-layer network on one data point."""
    from ..engines.mlp import DTYPES, LOSSES, MLP, Optimizer, Training

    net_s = mlps() if net is None else _value_or_strategy(net, _instance("net", MLP))
    opt_s = optimizers() if optimizer is None else _value_or_strategy(optimizer, _instance("optimizer", Optimizer))
    steps_s = _value_or_strategy(steps, lambda v: check_int("steps", v, lo=0))
    loss_s, dtype_s = _value_or_strategy(loss, _one_of("loss", LOSSES)), _value_or_strategy(dtype, _one_of("dtype", DTYPES))
    batch_s = None if batch is None else _value_or_strategy(batch, lambda v: None if v is None else check_int("batch", v, lo=1))
    given_data = None if data is None else _value_or_strategy(data, _data_value)

    @st.composite
    def draw_training(draw) -> Training:
        loss_ = draw(loss_s)
        if given_data is None:
            d = draw(datasets(m=st.integers(1, 6), d=st.integers(1, 4)))
            d = _binary(d) if loss_ == "logistic" else d
        else:
            d = draw(given_data)
        b = None if batch_s is None else draw(batch_s)
        if b is not None and b > d.m:
            raise InvalidStrategyArgument(f"batch must be in [1, {d.m}] (the number of data points), got {b}")
        try:
            return Training(net=draw(net_s), optimizer=draw(opt_s), data=d, steps=draw(steps_s), batch=b, loss=loss_,
                            dtype=draw(dtype_s))
        except PolylrError as e:
            raise InvalidStrategyArgument(str(e)) from None

    return draw_training()


# Type strategies for the samplers and the nonlinear engine's descriptions (st.from_type).
def _register_engine_types() -> None:
    from ..engines.gram import GramSampler
    from ..engines.mlp import ABC, MLP, Optimizer, Training
    from ..engines.samplers import DenseSampler

    st.register_type_strategy(DenseSampler, st.deferred(lambda: samplers(setups(), kinds=("dense",))))
    small = st.deferred(lambda: setups(datasets(m=st.integers(1, 3), d=st.integers(1, 3)), depth=st.integers(1, 2), steps=1))
    st.register_type_strategy(GramSampler, st.deferred(lambda: samplers(small, kinds=("gram",))))
    st.register_type_strategy(ABC, st.deferred(abcs))
    st.register_type_strategy(MLP, st.deferred(mlps))
    st.register_type_strategy(Optimizer, st.deferred(optimizers))
    st.register_type_strategy(Training, st.deferred(trainings))


_register_engine_types()
