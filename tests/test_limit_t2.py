"""The t = 2 closed form against the interpreter, and the committed derivation document."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_limit import rational_data

import polylr
from polylr.engines import limit_t2
from tolerances import SAME_QUANTITY_REL

DOC = Path(__file__).resolve().parents[1] / "proofs" / "limit_t2.md"


@settings(max_examples=40)
@given(data=rational_data(max_m=8), depth=st.integers(1, 5))
def test_closed_form_equals_interpreter_exactly(data, depth):
    setup = polylr.Setup(data, depth, 2)
    closed = polylr.limit_t2_closed_form(setup, exact=True)
    engine = polylr.limit_polys(setup, exact=True)
    assert closed.loss == engine.loss
    assert all(a == b for a, b in zip(closed.outputs, engine.outputs, strict=True))


@pytest.mark.parametrize("depth", [1, 2, 3, 6])
def test_closed_form_float_on_larger_data(depth):
    setup = polylr.Setup(polylr.Data.synthetic(120, 10, seed=depth), depth, 2)
    closed, engine = polylr.limit_t2_closed_form(setup), polylr.limit_polys(setup)
    assert closed.loss.max_rel_diff(engine.loss) <= SAME_QUANTITY_REL
    assert max(a.max_rel_diff(b) for a, b in zip(closed.outputs, engine.outputs)) <= SAME_QUANTITY_REL
    assert closed.output_degree == 3 * depth - 1 and closed.degree == 6 * depth - 2


def test_low_order_claims_hold():
    limit_t2.check_low_orders(max_depth=6)  # the document generator checks L <= 12


def test_kernel_part_of_low_orders():
    """The η and η² terms are two steps of kernel GD with kernel LK/m (checked numerically)."""
    data = polylr.Data.synthetic(9, 4, seed=1)
    L, m, K, y = 3, data.m, data.K, data.y
    lim = polylr.limit_t2_closed_form(polylr.Setup(data, L, 2))
    c = np.array([p.coeffs[:3] for p in lim.outputs])  # (m, 3)
    np.testing.assert_allclose(c[:, 0], 0, atol=0)
    np.testing.assert_allclose(c[:, 1], 2 * L * K @ y / m, rtol=SAME_QUANTITY_REL)
    np.testing.assert_allclose(c[:, 2], -(L**2) * K @ K @ y / m**2, rtol=SAME_QUANTITY_REL)


def test_committed_document_is_up_to_date():
    assert DOC.is_file(), f"{DOC} is missing: run polylr.write_limit_t2_document('proofs/limit_t2.md')"
    assert DOC.read_text(encoding="utf-8") == polylr.limit_t2_document(), (
        "proofs/limit_t2.md differs from what polylr.limit_t2_document() generates; regenerate it with "
        "polylr.write_limit_t2_document('proofs/limit_t2.md') and review the diff"
    )


def test_write_document(tmp_path):
    out = polylr.write_limit_t2_document(tmp_path / "t2.md")
    assert out.read_text(encoding="utf-8") == polylr.limit_t2_document()
    with pytest.raises(polylr.PolylrError, match="is a directory"):
        polylr.write_limit_t2_document(tmp_path)
