"""The string vocabularies (train, sweep method, sampler, budget) are Literal types, refused in one
line naming the option, the allowed words and the bad value, before any work."""

from typing import get_args

import pytest

import polylr
from polylr.core.budget import LEVELS, Level
from polylr.core.choices import METHODS, SAMPLERS, TRAIN_CHOICES, Method, SamplerName, Train, check_choice


def test_the_tuples_are_the_literal_types():
    assert TRAIN_CHOICES == get_args(Train) == ("hidden", "all")
    assert METHODS == get_args(Method) == ("auto", "polynomial", "gd")
    assert SAMPLERS == get_args(SamplerName) == ("auto", "dense", "gram")
    assert LEVELS == get_args(Level)


@pytest.mark.parametrize("value", ["some", "HIDDEN", "", None, 1, ["hidden"]])
def test_check_choice_refuses_in_one_line(value):
    with pytest.raises(polylr.InvalidInput) as e:
        check_choice("train", value, TRAIN_CHOICES)
    assert str(e.value) == f"train must be one of hidden, all, got {value!r}"
    assert check_choice("train", "all", TRAIN_CHOICES) == "all"


def test_every_entry_point_refuses_a_bad_word_before_work():
    setup = polylr.Setup(depth=1)
    cases = [
        (lambda: polylr.Setup(train="some"), "train must be one of hidden, all, got 'some'"),
        (lambda: polylr.sweep(setup, [64, 128], 2, (0, 1), method="exact"), "method must be one of auto, polynomial, gd, got 'exact'"),
        (lambda: polylr.sweep(setup, [64, 128], 2, (0, 1), sampler="sparse"), "sampler must be one of auto, dense, gram, shallow, got 'sparse'"),
        (lambda: polylr.finite_width_polys(setup, 64, [0], sampler="sparse"), "sampler must be one of auto, dense, gram, got 'sparse'"),
        (lambda: polylr.get_claim("theorem1").check("huge"), "unknown budget 'huge'; choose one of tiny, quick, default, thorough"),
    ]
    for call, message in cases:
        with pytest.raises(polylr.InvalidInput) as e:
            call()
        assert str(e.value) == message and "\n" not in message
