"""Monte Carlo budgets: how many seeds, which widths and how many bootstrap resamples a
statistical test uses, scaled by one named level.

A test states what it needs at the ``"default"`` level; the level scales it:

- ``tiny``: a quarter of the seeds (at least 2), the same widths, a quarter of the resamples (but
  not fewer than 100 unless the test asked for fewer);
- ``quick``: half the seeds (at least 2), the same widths, half the bootstrap resamples (but not
  fewer than 200 unless the test asked for fewer);
- ``default``: as stated;
- ``thorough``: four times the seeds, one more width (twice the largest), twice the resamples.

``quick`` keeps the widths because the widths' spread is what pins an exponent down; halving the
seeds halves the cost. Levels are :data:`polylr.core.budget.LEVELS`. The pytest plugin (:mod:`polylr.testing.plugin`) picks the level from
``--polylr-budget``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from ..core.budget import LEVELS, check_level  # noqa: F401  (LEVELS re-exported by polylr.testing)
from ..core.errors import PolylrError, check_int


DEFAULT_SEEDS = 64
DEFAULT_WIDTHS = (64, 128, 256, 512)
DEFAULT_N_BOOT = 1000


@dataclass(frozen=True)
class MCBudget:
    """A resolved budget: ``seeds`` per width, the ``widths`` (ascending) and ``n_boot``."""

    level: str
    seeds: int
    widths: tuple[int, ...]
    n_boot: int

    @classmethod
    def at(
        cls,
        level: str = "default",
        *,
        seeds: int = DEFAULT_SEEDS,
        widths: Sequence[int] = DEFAULT_WIDTHS,
        n_boot: int = DEFAULT_N_BOOT,
    ) -> MCBudget:
        """The budget at ``level`` for a test that needs ``seeds``, ``widths`` and ``n_boot`` at the
        ``"default"`` level (see the module's docstring)."""
        level = check_level(level)
        seeds = check_int("seeds (per width)", seeds, lo=2)
        n_boot = check_int("n_boot (bootstrap resamples)", n_boot, lo=10)
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
            raise PolylrError(f"widths must be a sequence of integers >= 1, got {widths!r}")
        ws = tuple(sorted(check_int("width", w, lo=1) for w in widths))
        if len(ws) < 2 or len(set(ws)) != len(ws):
            raise PolylrError(f"widths must hold at least 2 distinct integers >= 1, got {list(widths)}")
        if level == "tiny":
            seeds, n_boot = max(2, math.ceil(seeds / 4)), max(n_boot // 4, min(n_boot, 100))
        elif level == "quick":
            seeds, n_boot = max(2, math.ceil(seeds / 2)), max(n_boot // 2, min(n_boot, 200))
        elif level == "thorough":
            seeds, n_boot, ws = 4 * seeds, 2 * n_boot, ws + (2 * ws[-1],)
        return cls(level, seeds, ws, n_boot)
