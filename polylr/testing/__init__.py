"""polylr's public testing kit: hypothesis strategies for its inputs, assertions for limit
claims, and Monte Carlo budgets (see ``docs/testing.md``).

- strategies (:mod:`polylr.testing.strategies`): :func:`datasets`, :func:`setups`,
  :func:`widths`, :func:`parametrizations`, :func:`intervals`;
- assertions (:mod:`polylr.testing.assertions`): :func:`assert_converges`,
  :func:`assert_exponent`, :func:`assert_polynomial_matches`;
- budgets (:mod:`polylr.testing.budget`): :class:`MCBudget`; the pytest plugin
  :mod:`polylr.testing.plugin` adds ``--polylr-budget``, the ``mc_budget`` fixture and marker.

Importing this module imports neither pytest (the plugin does) nor hypothesis (the strategies do,
with a clear error naming the ``test`` extra when it is missing).
"""

from .assertions import assert_converges as assert_converges
from .assertions import assert_exponent as assert_exponent
from .assertions import assert_polynomial_matches as assert_polynomial_matches
from .budget import LEVELS as LEVELS
from .budget import MCBudget as MCBudget

_STRATEGIES = ("datasets", "intervals", "parametrizations", "setups", "widths")


def __getattr__(name: str):
    """Strategies load on first use, so the plugin and the assertions work without hypothesis."""
    if name in _STRATEGIES:
        from . import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'polylr.testing' has no attribute {name!r}")

__all__ = [
    "LEVELS",
    "MCBudget",
    "assert_converges",
    "assert_exponent",
    "assert_polynomial_matches",
    "datasets",
    "intervals",
    "parametrizations",
    "setups",
    "widths",
]
