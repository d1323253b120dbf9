"""The one vocabulary of Monte Carlo budget levels, shared by the claims (how many widths and
seeds a check spends) and the testing kit (how a statistical test's needs are scaled)."""

from __future__ import annotations

from typing import Literal

from .errors import InvalidInput

Level = Literal["tiny", "quick", "default", "thorough"]
LEVELS: tuple[Level, ...] = ("tiny", "quick", "default", "thorough")


def check_level(level: str) -> Level:
    """``level`` if it is one of :data:`LEVELS`, else an error naming the choices."""
    if level not in LEVELS:
        raise InvalidInput(f"unknown budget {level!r}; choose one of {', '.join(LEVELS)}")
    return level  # type: ignore[return-value]
