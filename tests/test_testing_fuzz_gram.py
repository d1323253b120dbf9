"""Theorem fuzzing at widths up to 2^20 with the Gram sampler: docs/examples/fuzz_theorem1_gram.py
(Hayou's Theorem 1 over data sets and depths) holds on μP and fails, shrunk to a minimal data set,
under SP (the negative control, same widths and networks)."""

import importlib.util
from pathlib import Path

import pytest
from hypothesis import strategies as st

import polylr.testing as pt

PATH = Path(__file__).resolve().parents[1] / "docs" / "examples" / "fuzz_theorem1_gram.py"
spec = importlib.util.spec_from_file_location("fuzz_theorem1_gram", PATH)
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)

# One shape (m = d = 2, L = 1): one compilation of the Gram program; 32 networks per width
QUICK = dict(networks=32)


def fixed_shape():
    return example.cases(m=st.just(2), d=st.just(2), depth=st.just(1))


def test_theorem1_holds_at_widths_to_2_to_the_20_and_sp_fails():
    assert example.WIDTHS[-1] == 2**20
    r = pt.fuzz_claim(lambda c: example.theorem1(c[0], depth=c[1], **QUICK), fixed_shape(), max_examples=2, seed=0)
    assert r.status == "holds" and r.worst_score is not None and 0 < r.worst_score < 10  # C measured 1.4 … 2.7
    # negative control, same widths and networks: under SP η_n does not approach μP's η_∞
    bad = pt.fuzz_claim(lambda c: example.theorem1(c[0], depth=c[1], param="sp", **QUICK), fixed_shape(), max_examples=2,
                        seed=0, shrink=False)
    assert bad.status == "fails" and "is false" in bad.message


@pytest.mark.slow
def test_full_fuzzing_run_of_theorem1_at_2_to_the_20():
    # the run shipped in docs/testing.md: 25 examples, 128 networks, L = 1..3, m <= 8, d <= 6;
    # measured 865 s on 2 loaded cores (all 25 hold; worst C = 2.70 at L = 3)
    r = pt.fuzz_claim(lambda c: example.theorem1(c[0], depth=c[1]), example.cases(), max_examples=25, seed=0)
    print(r.markdown())
    r.assert_holds()
    assert r.worst_score < 10
