"""pytest plugin for Monte Carlo budgets, registered by polylr's ``pytest11`` entry point (so
every pytest session of an environment with polylr installed has it; ``-p no:polylr`` turns it off).
It is safe to load everywhere: importing polylr changes no global state (JAX stays in 32-bit mode).

- option ``--polylr-budget={tiny,quick,default,thorough}``: the level; when not given, ``quick`` if
  the environment variable ``CI`` is set (non-empty), else ``default``;
- marker ``@pytest.mark.mc_budget(seeds=..., widths=..., n_boot=...)``: what a test needs at the
  ``default`` level (each keyword optional; defaults in :mod:`polylr.testing.budget`);
- fixture ``mc_budget``: the :class:`~polylr.testing.MCBudget` for the test, i.e. its marker's
  values scaled to the level (:meth:`MCBudget.at`); function-scoped (it reads the test's marker);
- fixture ``mc_budgets`` (session-scoped, so safe under hypothesis's ``@given`` with no health
  check suppressed): a function ``mc_budgets(seeds=..., widths=..., n_boot=...)`` giving the
  :class:`~polylr.testing.MCBudget` at the session's level;
- hypothesis settings profile ``"polylr"`` (when hypothesis is installed): no deadline, the
  ``too_slow`` and ``function_scoped_fixture`` health checks suppressed (every polylr fixture is
  the same object for every example), derandomised; use it with
  ``@settings(settings.get_profile("polylr"), max_examples=...)`` or ``settings.load_profile("polylr")``.
  Loading the plugin also registers polylr's type strategies (``st.from_type(polylr.Data)``).

The level is shown in pytest's header.
"""

from __future__ import annotations

import os

import pytest

from .budget import LEVELS, MCBudget  # noqa: F401  (LEVELS: the --polylr-budget choices)

MARKER = "mc_budget"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("polylr").addoption(
        "--polylr-budget",
        choices=LEVELS,
        default=None,
        help="Monte Carlo budget for tests using the mc_budget or mc_budgets fixture: tiny (a quarter of "
        "the seeds), quick (half the seeds), default, or thorough (4x seeds, one more width). Default: quick "
        "when the CI environment variable is set, else default.",
    )


PROFILE = "polylr"


def _register_hypothesis() -> None:
    """Register the ``polylr`` settings profile and polylr's type strategies, if hypothesis is installed."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # pragma: no cover - hypothesis is in the test extra
        return
    settings.register_profile(
        PROFILE,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    from . import strategies  # noqa: F401  (registers st.from_type for Data, Setup, Parametrization)


def pytest_configure(config: pytest.Config) -> None:
    _register_hypothesis()
    config.addinivalue_line(
        "markers",
        f"{MARKER}(seeds=..., widths=..., n_boot=...): the Monte Carlo budget a test needs at the 'default' "
        "level; the mc_budget fixture scales it by --polylr-budget",
    )


def budget_level(config: pytest.Config) -> str:
    """The level chosen by ``--polylr-budget``, else by the ``CI`` environment variable."""
    return config.getoption("--polylr-budget") or ("quick" if os.environ.get("CI") else "default")


def pytest_report_header(config: pytest.Config) -> str:
    return f"polylr Monte Carlo budget: {budget_level(config)} (--polylr-budget)"


@pytest.fixture
def mc_budget(request: pytest.FixtureRequest) -> MCBudget:
    """The test's Monte Carlo budget: its ``mc_budget`` marker's values scaled to the level."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None and marker.args:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keywords only (seeds=, widths=, n_boot=), got {marker.args!r}")
    return MCBudget.at(budget_level(request.config), **(marker.kwargs if marker is not None else {}))


@pytest.fixture(scope="session")
def mc_budgets(request: pytest.FixtureRequest):
    """A function ``(seeds=..., widths=..., n_boot=...) -> MCBudget`` at the session's level.
    Session-scoped, so hypothesis's ``function_scoped_fixture`` health check does not fire."""
    level = budget_level(request.config)

    def at(**needs) -> MCBudget:
        return MCBudget.at(level, **needs)

    return at
