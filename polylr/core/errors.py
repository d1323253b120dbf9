"""The one exception type users catch, and small validators that name the bad value."""

from __future__ import annotations

import math
import numbers
from typing import Any


class PolylrError(ValueError):
    """A bad input or an impossible request. The message names the value and what is allowed.

    Code that handles one kind of failure catches its subclass, never this base class:
    """


class InvalidInput(PolylrError):
    """An argument outside its allowed range or of the wrong type."""


class TooLarge(PolylrError):
    """A request whose work (degree, memory, term count, time) is over a limit, refused before it starts."""


class NotResolved(PolylrError):
    """float64 (or the method asked for) cannot resolve the answer to the precision it would claim."""


def check_int(name: str, value: Any, *, lo: int, hi: int | None = None) -> int:
    """Return ``value`` as an int in ``[lo, hi]`` or raise a :class:`PolylrError` naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInput(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        allowed = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise InvalidInput(f"{name} must be {allowed}, got {value}")
    return value


def check_finite(name: str, value: Any) -> float:
    """Return ``value`` as a finite float or raise naming it."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(x):
        raise InvalidInput(f"{name} must be finite, got {x}")
    return x


def check_interval(lo: Any, hi: Any, *, name: str = "interval") -> tuple[float, float]:
    """A compact learning-rate interval ``0 <= lo < hi < inf``."""
    lo_f = check_finite(f"{name} lower end", lo)
    hi_f = check_finite(f"{name} upper end", hi)
    if lo_f < 0:
        raise InvalidInput(f"{name} must lie in [0, inf): lower end {lo_f} is negative")
    if not lo_f < hi_f:
        raise InvalidInput(f"{name} must have lo < hi, got lo = {lo_f}, hi = {hi_f}")
    return lo_f, hi_f
