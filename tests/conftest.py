"""Test settings: strict rank promotion (float64 is NOT switched on globally: polylr scopes it itself), a `slow` marker, hypothesis profiles, and
polylr's pytest plugin (the Monte Carlo budget `--polylr-budget` and the `mc_budget` fixture).

`pytest` runs the default (fast) suite; `pytest --runslow` adds the long Monte Carlo runs.
When the environment variable CI is set, hypothesis uses its derandomised "ci" profile and the
Monte Carlo budget defaults to "quick".
"""

import os

import jax
import pytest
from hypothesis import HealthCheck, settings

# polylr's own plugin (--polylr-budget, the mc_budget marker and fixture) loads by its pytest11 entry point.
pytest_plugins = ["pytester"]  # tests/test_testing.py runs the plugin in an inner pytest

jax.config.update("jax_numpy_rank_promotion", "raise")

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile(
    "ci", parent=settings.get_profile("default"), derandomize=True, database=None
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
