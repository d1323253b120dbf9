"""Sweep rows are columns (one numpy array per field) with a records view; statistics read the columns."""

import jax
import numpy as np
import pytest

import polylr
from polylr.analysis.rows import ROW_FIELDS, SweepRows

RECORDS = [
    {"width": 8, "seed": 0, "eta": 1.0, "loss_min": 0.5, "on_boundary": False, "unique": True, "local_minima": 1, "method": "polynomial"},
    {"width": 8, "seed": 1, "eta": 1.5, "loss_min": 0.25, "on_boundary": True, "unique": False, "local_minima": 2, "method": "gd"},
    {"width": 16, "seed": 0, "eta": 2.0, "loss_min": 0.125, "on_boundary": False, "unique": True, "local_minima": 1, "method": "polynomial"},
]


def test_columns_round_trip_to_records_with_python_values():
    rows = SweepRows.from_records(RECORDS)
    assert len(rows) == 3 and rows.records() == RECORDS and list(rows) == RECORDS and rows[1] == RECORDS[1]
    assert all(type(v) in (int, float, bool, str) for r in rows for v in r.values())
    assert rows.eta.dtype == np.float64 and rows.on_boundary.dtype == np.bool_ and not rows.eta.flags.writeable
    assert rows.at(8).records() == RECORDS[:2]
    assert rows == SweepRows.from_records(RECORDS)
    assert rows != SweepRows.from_records([{**RECORDS[0], "eta": 1.25}, *RECORDS[1:]])  # negative control


def test_columns_must_have_one_length():
    cols = {k: [r[k] for r in RECORDS] for k in ROW_FIELDS}
    with pytest.raises(polylr.PolylrError, match="sweep row column eta has 2 entries, the others 3"):
        SweepRows(**{**cols, "eta": [1.0, 2.0]})


def test_a_sweep_holds_columns_and_its_statistics_read_them():
    sw = polylr.sweep(polylr.Setup(depth=1), [8, 16], 3, (0.0, 3.0), master_seed=7)
    assert isinstance(sw.rows, SweepRows) and len(sw.rows) == 6
    for w in sw.widths:
        direct = np.array([r["eta"] for r in sw.rows if r["width"] == w])  # the records view, independently
        assert np.array_equal(sw.etas(w), direct)
        s = sw.summary(w)
        assert s.mean == direct.mean()
        assert s.boundary_fraction == np.mean([r["on_boundary"] for r in sw.rows if r["width"] == w])


def test_runner_refuses_what_it_cannot_reproduce():
    # a key, or a sampler object (its parameters are not part of the stored sweep's identity), cannot be stored
    with pytest.raises(polylr.PolylrError, match="runner= computes sweeps from master_seed and a sampler's name"):
        polylr.sweep(polylr.Setup(depth=1), [8, 16], 3, (0.0, 3.0), key=jax.random.key(0), runner=polylr.Runner())
    with pytest.raises(polylr.PolylrError, match="runner= computes sweeps from master_seed and a sampler's name"):
        polylr.sweep(polylr.Setup(depth=1), [8, 16], 3, (0.0, 3.0), sampler=polylr.DenseSampler(), runner=polylr.Runner())


def test_the_shallow_sampler_plugs_into_sweep():
    setup = polylr.Setup(depth=1, steps=2)
    sw = polylr.sweep(setup, [8, 64], 3, (0.0, 3.0), master_seed=5, sampler="shallow")
    assert {r["method"] for r in sw.rows} == {"shallow"}
    for w in sw.widths:  # independently: the sampler's polynomials, minimised one by one
        coeffs = polylr.shallow_width_polys(setup, w, [0, 1, 2], master_seed=5)
        assert np.array_equal(sw.loss[w], coeffs)
        assert np.array_equal(sw.etas(w), [polylr.argmin(polylr.EtaPoly(c, "float64"), 0.0, 3.0).eta for c in coeffs])
    for kw, message in [({"method": "gd"}, "has no network to descend"), ({"key": __import__("jax").random.key(0)}, "has no network")]:
        with pytest.raises(polylr.PolylrError, match=message):
            polylr.sweep(setup, [8, 64], 3, (0.0, 3.0), sampler="shallow", **kw)
    with pytest.raises(polylr.PolylrError, match="shallow sampler needs depth L = 1"):
        polylr.sweep(polylr.Setup(depth=2), [8, 64], 3, (0.0, 3.0), sampler="shallow")
