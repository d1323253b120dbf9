"""polylr.grid_scan: the LRScan of saved losses is the one scan_lr(refine=False) returns for them."""

import dataclasses

import numpy as np
import pytest

import polylr


def test_grid_scan_equals_the_engines_unrefined_scan():
    # A tiny ReLU net under SGD, 4 steps, on a grid reaching η = 400: the top of the grid diverges,
    # at a different η for seed 2 (finite, 2e16, at η = 14.3 where seeds 0 and 1 diverge).
    tr = polylr.Training(net=polylr.MLP(depth=1, activation="relu", param=polylr.MUP_SGD), optimizer=polylr.Optimizer("sgd"),
                         data=polylr.Data.synthetic(16, 16, seed=0), steps=4)
    grid = np.geomspace(0.05, 400, 10)
    sc = polylr.scan_lr(tr, 8, [0, 1, 2], grid, refine=False)
    cv = sc.curves
    assert cv.diverged.any() and not cv.diverged.all(axis=1).any()
    assert not np.array_equal(cv.diverged[0], cv.diverged[2])  # the mask is not one column cut

    g = polylr.grid_scan(sc.grid, cv.objective, width=8, seeds=cv.seeds, training=tr)
    assert g.argmins == sc.argmins and g.mean_argmin == sc.mean_argmin
    np.testing.assert_array_equal(g.curves.diverged, cv.diverged)
    np.testing.assert_array_equal(g.curves.objective, cv.objective)
    np.testing.assert_array_equal(g.curves.etas, cv.etas)
    assert (g.width, g.curves.seeds, g.curves.dtype, g.evaluations) == (sc.width, cv.seeds, cv.dtype, sc.evaluations)
    # Independently: the grid points of least loss, per seed and of the seed mean.
    np.testing.assert_array_equal(g.etas_star, grid[np.argmin(cv.objective, axis=1)])
    assert g.mean_argmin.eta == grid[np.argmin(np.mean(cv.objective, axis=0))]

    # A seed whose every run diverged (NaN counts as diverged) has no optimum, and the seed mean
    # is then +inf everywhere: no mean optimum; the other seeds' optima are unchanged.
    obj = cv.objective.copy()
    obj[1] = np.nan
    h = polylr.grid_scan(grid, obj, width=8)
    assert h.argmins[1] is None and h.mean_argmin is None
    assert (h.argmins[0], h.argmins[2]) == (sc.argmins[0], sc.argmins[2])
    assert h.curves.diverged[1].all() and np.all(h.curves.objective[1] == np.inf)
    assert h.curves.seeds == (0, 1, 2) and np.isnan(h.etas_star[1])
    # The refined optima replace the grid's with dataclasses.replace (what benchmarks/ball_seeds.py does).
    assert dataclasses.replace(h, argmins=(None,) * 3).argmins == (None,) * 3


GRID = [0.01, 0.1, 1.0]


@pytest.mark.parametrize("make, match", [
    (lambda: polylr.grid_scan([0.1, 0.01, 1.0], np.ones((2, 3)), width=8), "strictly increasing"),
    (lambda: polylr.grid_scan([0.01, 0.1], np.ones((2, 2)), width=8), ">= 3 points"),
    (lambda: polylr.grid_scan([[0.01, 0.1, 1.0]] * 2, np.ones((2, 3)), width=8), "1-d"),
    (lambda: polylr.grid_scan([-0.01, 0.1, 1.0], np.ones((2, 3)), width=8), r"finite and > 0, got -0.01"),
    (lambda: polylr.grid_scan(GRID, np.ones((2, 4)), width=8), r"shape \(seeds >= 1, 3\) .* got \(2, 4\)"),
    (lambda: polylr.grid_scan(GRID, np.ones(3), width=8), r"got \(3,\)"),
    (lambda: polylr.grid_scan(GRID, np.ones((0, 3)), width=8), r"got \(0, 3\)"),
    (lambda: polylr.grid_scan(GRID, [["a", 1, 2]], width=8), "array of numbers"),
    (lambda: polylr.grid_scan(GRID, np.ones((2, 3)), width=0), "width n must be"),
    (lambda: polylr.grid_scan(GRID, np.ones((2, 3)), width=8, seeds=[0, 1, 2]), "objective's 2 rows, got 3 seeds"),
    (lambda: polylr.grid_scan(GRID, np.ones((2, 3)), width=8, training="x"), "Training or LMTraining, got str"),
])
def test_grid_scan_bad_input_one_line_error(make, match):
    with pytest.raises(polylr.PolylrError, match=match) as e:
        make()
    assert "\n" not in str(e.value)
