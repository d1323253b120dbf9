"""polylr's public testing kit: hypothesis strategies for its inputs, assertions for limit
claims, and Monte Carlo budgets (see ``docs/testing.md``).

- strategies (:mod:`polylr.testing.strategies`): :func:`datasets`, :func:`setups`,
  :func:`widths`, :func:`parametrizations`, :func:`intervals`, :func:`samplers`; for the nonlinear
  engine :func:`abcs`, :func:`mlps`, :func:`optimizers`, :func:`trainings`;
- assertions (:mod:`polylr.testing.assertions`): :func:`assert_converges`,
  :func:`assert_exponent`, :func:`assert_polynomial_matches`; theorem-level
  (:mod:`polylr.testing.theorems`): :func:`assert_limit`, :func:`assert_rate`, :func:`assert_law`;
  :func:`assert_fast_transfer` (:mod:`polylr.testing.transfer`);
- theorem fuzzing (:mod:`polylr.testing.fuzz`): :func:`fuzz_claim`;
- budgets (:mod:`polylr.testing.budget`): :class:`MCBudget`; the pytest plugin
  :mod:`polylr.testing.plugin` adds ``--polylr-budget``, the ``mc_budget`` marker and fixture, the
  session-scoped ``mc_budgets`` fixture and the hypothesis settings profile ``"polylr"``.

Importing this module imports neither pytest (the plugin does) nor hypothesis (the strategies do,
with a clear error naming the ``test`` extra when it is missing).
"""

from .assertions import assert_converges as assert_converges
from .assertions import assert_exponent as assert_exponent
from .assertions import assert_polynomial_matches as assert_polynomial_matches
from .theorems import argmins_by_width as argmins_by_width
from .theorems import assert_law as assert_law
from .theorems import assert_limit as assert_limit
from .theorems import assert_rate as assert_rate
from .transfer import assert_fast_transfer as assert_fast_transfer
from .transfer import transfer_gaps as transfer_gaps
from .fuzz import FuzzReport as FuzzReport
from .fuzz import fuzz_claim as fuzz_claim
from .budget import LEVELS as LEVELS
from .budget import MCBudget as MCBudget

_STRATEGIES = (
    "InvalidStrategyArgument", "abcs", "datasets", "intervals", "mlps", "optimizers", "parametrizations", "samplers", "setups",
    "trainings", "widths",
)


def __getattr__(name: str):
    """Strategies load on first use, so the plugin and the assertions work without hypothesis."""
    if name in _STRATEGIES:
        from . import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'polylr.testing' has no attribute {name!r}")

__all__ = [
    "LEVELS",
    "MCBudget",
    "FuzzReport",
    "InvalidStrategyArgument",
    "abcs",
    "mlps",
    "optimizers",
    "samplers",
    "trainings",
    "argmins_by_width",
    "assert_converges",
    "assert_law",
    "assert_fast_transfer",
    "assert_limit",
    "assert_rate",
    "fuzz_claim",
    "transfer_gaps",
    "assert_exponent",
    "assert_polynomial_matches",
    "datasets",
    "intervals",
    "parametrizations",
    "setups",
    "widths",
]
