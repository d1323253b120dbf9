"""Data sets: synthetic draws, files, and validation."""

import numpy as np
import pytest

import polylr


def test_synthetic_is_seeded_and_recorded():
    a, b = polylr.Data.synthetic(10, 3, seed=4), polylr.Data.synthetic(10, 3, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    assert "seed=4" in a.source and a.m == 10 and a.d == 3
    assert not np.array_equal(a.X, polylr.Data.synthetic(10, 3, seed=5).X)
    with pytest.raises(ValueError):
        a.X[0, 0] = 1.0  # read-only


def test_npz_and_csv_round_trip(tmp_path):
    data = polylr.Data.synthetic(6, 2, seed=0)
    np.savez(tmp_path / "d.npz", X=data.X, y=data.y)
    np.testing.assert_array_equal(polylr.Data.from_file(tmp_path / "d.npz").y, data.y)
    rows = ["x1,x2,y"] + [",".join(repr(float(v)) for v in [*x, t]) for x, t in zip(data.X, data.y)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    loaded = polylr.Data.from_file(tmp_path / "d.csv")
    np.testing.assert_array_equal(loaded.X, data.X)
    np.testing.assert_array_equal(loaded.y, data.y)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.array([[1.0, np.nan]]), np.array([1.0]), "finite"),
        (np.array([[1.0, np.inf]]), np.array([1.0]), "finite"),
        (np.ones((3, 2)), np.ones(2), "same number of points"),
        (np.ones(3), np.ones(3), "2-d"),
    ],
)
def test_bad_arrays(X, y, match):
    with pytest.raises(polylr.PolylrError, match=match):
        polylr.Data(X, y)


def test_bad_files(tmp_path):
    with pytest.raises(polylr.PolylrError, match="does not exist"):
        polylr.Data.from_file(tmp_path / "missing.npz")
    np.savez(tmp_path / "bad.npz", X=np.ones((2, 2)))
    with pytest.raises(polylr.PolylrError, match="missing"):
        polylr.Data.from_file(tmp_path / "bad.npz")
    (tmp_path / "d.txt").write_text("1,2\n")
    with pytest.raises(polylr.PolylrError, match=".npz or .csv"):
        polylr.Data.from_file(tmp_path / "d.txt")
