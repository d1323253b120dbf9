"""The short examples in the public docstrings (rendered as "Examples" on the API pages) run as
doctests, so they cannot rot."""

import doctest
from importlib import import_module

import pytest

MODULES = ["polylr.core.jsonsafe", "polylr.core.inputs", "polylr.analysis.transfer_budget"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"  # the control: the examples were found
    assert result.failed == 0
