"""The assertions' shared keywords (polylr.testing.keywords): declared once, shown written out."""

import inspect

import pytest

import polylr.testing as pt
from polylr.testing.keywords import Options, shared_keywords

SAMPLED = ["widths", "networks", "interval", "tol", "level", "n_boot", "boot_seed", "master_seed", "sampler",
           "allow_inconclusive"]


@pytest.mark.parametrize(("fn", "keywords", "defaults"), [
    (pt.assert_limit, ["limit", *SAMPLED, "name"], {"sampler": None, "name": "η_n"}),
    (pt.assert_rate, ["exponent", "kind", "limit", *SAMPLED, "name"], {"kind": "fluctuation", "name": "η_n"}),
    (pt.assert_fast_transfer, ["fast", *SAMPLED], {"sampler": "auto", "tol": 0.1}),
    (pt.assert_converges, ["limit", "rate", "tol", "level", "n_boot", "boot_seed", "allow_inconclusive", "name"],
     {"name": "estimate", "level": 0.95}),
    (pt.assert_exponent, ["expected", "tol", "statistic", "level", "n_boot", "boot_seed", "allow_inconclusive", "name"],
     {"name": "samples", "n_boot": 1000}),
])
def test_signatures_list_every_keyword_in_order(fn, keywords, defaults):
    params = inspect.signature(fn).parameters
    assert list(params)[1:] == keywords
    assert all(params[k].default == v for k, v in defaults.items())
    assert params["allow_inconclusive"].kind is inspect.Parameter.KEYWORD_ONLY


def test_a_wrong_keyword_is_a_type_error_as_for_any_function():
    with pytest.raises(TypeError, match="bogus"):
        pt.assert_limit({64: [1.0], 128: [1.0]}, 1.0, bogus=1)


def test_the_body_gets_the_values_passed_with_defaults_filled():
    @shared_keywords(("tol", "name"), name=("str", "x"))
    def f(a, *, o: Options):
        return a, o.tol, o.name

    assert f(1) == (1, 0.1, "x")
    assert f(2, tol=0.5) == (2, 0.5, "x")
    with pytest.raises(ValueError, match="unknown"):
        shared_keywords(("tolerance",))
