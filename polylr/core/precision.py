"""Scoped float64: polylr never flips JAX's global ``jax_enable_x64`` flag.

Every public function that runs JAX code where results meet theory is decorated with
:func:`float64`, which runs it inside ``jax.enable_x64(True)`` (a context manager; jit caches
trace separately inside and outside it) and is expected to return NumPy arrays or Python
numbers, so nothing 64-bit leaks into the caller's float32 JAX code.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

import jax

F = TypeVar("F", bound=Callable)


def float64(fn: F) -> F:
    """Run ``fn`` with JAX's 64-bit mode switched on for the duration of the call only."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
