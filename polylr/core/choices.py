"""The string vocabularies of polylr's options, as ``Literal`` types, and the one validator.

Every option that takes one of a few words is typed by a ``Literal`` here, and checked by
:func:`check_choice` where it enters polylr (a ``Setup``, :func:`polylr.sweep`, the sampler seam,
the testing kit), with one line naming the option, the allowed words and the bad value::

    train must be one of hidden, all, got 'some'

Budget levels live in :mod:`polylr.core.budget` (``Level``, ``check_level``).
"""

from __future__ import annotations

from typing import Literal, get_args

from .errors import InvalidInput

Train = Literal["hidden", "all"]
"""Which layers gradient descent trains: the hidden ``n×n`` layers only (the papers' choice) or all."""
Method = Literal["auto", "polynomial", "gd"]
"""How a sweep finds η_n: the certified argmin of the exact polynomial, gradient descent on a grid, or both."""
SamplerName = Literal["auto", "dense", "gram"]
"""Which sampler realises a network's weights (:mod:`polylr.engines.samplers`)."""
SweepSampler = Literal["auto", "dense", "gram", "shallow"]
"""A sweep's sampler: a network sampler, or ``"shallow"`` (L = 1: each network's loss polynomial drawn
exactly in law, :mod:`polylr.engines.shallow`)."""

TRAIN_CHOICES: tuple[str, ...] = get_args(Train)
METHODS: tuple[str, ...] = get_args(Method)
SAMPLERS: tuple[str, ...] = get_args(SamplerName)
SWEEP_SAMPLERS: tuple[str, ...] = get_args(SweepSampler)


def check_choice(name: str, value, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices`` (strings), else :class:`~polylr.InvalidInput` in one line."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value
