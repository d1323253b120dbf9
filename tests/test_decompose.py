"""The trajectory decomposition (polylr.analysis.decompose) and its claim's sanity checks.

Independent computations: the alignment matrix formed densely and diagonalised by numpy (against
the QR route), the inner product ⟨G, δW⟩, a central finite difference of the engine's loss along
the EMA step (against the gradient inner products), hand-built rank-one updates (MCI = 1), and the
rank-one structure of deep linear GD (top-1 share = 1). Negative controls: a full-rank update has
MCI well above 1; a ReLU network's GD trajectory has top-1 share below 1.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polylr.analysis.decompose import (
    alignment_eigs, component_psi, conv_error, decompose_path, ema_points, lipschitz, mean_component_index,
    minimize_proxy, select_truncation,
)
from polylr.analysis.train import loss_grads, train_paths
from polylr.core.errors import PolylrError
from polylr.core.setup import Data
from polylr.engines.mlp import MLP, MUP_SGD, Optimizer, Training

EPS = np.finfo(np.float64).eps


# -- the eigen-split sums to the inner product -------------------------------------------------


@given(
    r=st.integers(1, 24), c=st.integers(1, 24), version=st.sampled_from(["column", "row"]),
    seed=st.integers(0, 2**31 - 1), scale=st.floats(1e-6, 1e6),
)
def test_alignment_eigs_sum_to_inner_product(r, c, version, seed, scale):
    rng = np.random.default_rng(seed)
    G, D = rng.standard_normal((r, c)) * scale, rng.standard_normal((r, c))
    lam = alignment_eigs(G, D, version=version)
    side = c if version == "column" else r
    assert lam.shape == (side,)
    assert np.all(np.diff(np.abs(lam)) <= 1e-12 * np.abs(lam).max())  # ordered by magnitude
    # Σλ = trace S = ⟨G, D⟩ up to round-off of an eigendecomposition of S: error ≲ side·ε·‖S‖,
    # with ‖S‖ ≤ ‖G‖‖D‖; measured ≤ 0.79·side·ε·‖G‖_F‖D‖_F over 3000 draws (and ≤ 0.59 against
    # the dense eigvalsh below), so 64 leaves a margin of ~80.
    scale_ = np.linalg.norm(G) * np.linalg.norm(D)
    assert abs(lam.sum() - np.sum(G * D)) <= 64 * side * EPS * scale_
    # Independent: the dense symmetric matrix and numpy's eigvalsh (covers the QR route).
    S = 0.5 * (G.T @ D + D.T @ G) if version == "column" else 0.5 * (G @ D.T + D @ G.T)
    dense = np.linalg.eigvalsh(S)
    dense = dense[np.argsort(-np.abs(dense), kind="stable")]
    np.testing.assert_allclose(np.sort(lam), np.sort(dense), atol=64 * side * EPS * scale_)


def test_alignment_eigs_refuses_mismatched_shapes():
    with pytest.raises(PolylrError, match="one shape"):
        alignment_eigs(np.zeros((3, 2)), np.zeros((2, 3)))


# -- on real networks: components sum to φ, φ is the directional derivative -----------------------


def _net(depth, activation, bias, opt="momentum", steps=4, m=12, d=5):
    data = Data.synthetic(m, d, seed=3)
    return Training(net=MLP(depth=depth, activation=activation, bias=bias, param=MUP_SGD), optimizer=Optimizer(opt),
                    data=data, steps=steps, dtype="float64")


NETWORKS = [(0, "relu", True, 8), (1, "tanh", False, 6), (2, "relu", True, 5)]  # few shapes: few compilations


@settings(max_examples=10, deadline=None)
@given(net=st.sampled_from(NETWORKS), seed=st.integers(0, 2**20), eta=st.floats(0.01, 1.0),
       ema=st.sampled_from([0.0, 0.5, 0.9]), every=st.integers(1, 2))
def test_parts_sum_to_linearised_change_on_random_networks(net, seed, eta, ema, every):
    depth, activation, bias, width = net
    tr = _net(depth, activation, bias)
    _, path = train_paths(tr, width, seed, [eta])
    one = {k: v[0] for k, v in path.items()}
    if not all(np.all(np.isfinite(v)) for v in one.values()):
        return
    dec = decompose_path(tr, width, one, ema=ema, every=every)
    # Parts vs the direct inner products: a sum of ~K·width eigenvalues, each exact to ~width·ε·‖S‖;
    # measured ≤ 3.8e-16 relative to Σ|δφ_s| (12 random networks); 1e-12 leaves a margin > 1e3.
    assert abs(dec.components.sum() - dec.phi) <= 1e-12 * max(np.sum(np.abs(dec.step_phi)), 1e-300)


def test_linearised_change_is_the_directional_derivative():
    tr = _net(1, "tanh", False)
    width = 6
    _, path = train_paths(tr, width, 1, [0.3])
    one = {k: v[0] for k, v in path.items()}
    dec = decompose_path(tr, width, one, ema=0.5, every=1)
    # Independent: each δφ_s equals the central difference of the engine's loss along the EMA step
    # (h = 1e-4 of the step: truncation ~h², round-off ~ε/h; measured ≤ 1.8e-9 relative; 1e-6 leaves ~500).
    _, om = ema_points(one, 0.5, 1)
    h = 1e-4
    for s in range(len(dec.step_phi)):
        dlt = {k: v[s + 1] - v[s] for k, v in om.items()}
        pts = {k: np.stack([om[k][s] + h * dlt[k], om[k][s] - h * dlt[k]]) for k in om}
        lv, _ = loss_grads(tr, width, pts)
        fd = (lv[0] - lv[1]) / (2 * h)
        assert abs(fd - dec.step_phi[s]) <= 1e-6 * max(abs(fd), 1e-8)


def test_per_sample_parts_add_up_to_the_components():
    tr = _net(1, "tanh", False)
    _, path = train_paths(tr, 6, 0, [0.2])
    dec = decompose_path(tr, 6, {k: v[0] for k, v in path.items()}, ema=0.3, mci_points=12)
    # Σ_i ψ_ij = Λ_j (all 12 points): measured 1.4e-17 relative to Σ|Λ|; 1e-12 leaves a margin > 1e4.
    np.testing.assert_allclose(dec.psi.sum(axis=0), dec.components, atol=1e-12 * np.abs(dec.components).sum())
    assert dec.mci.shape == (12,) and np.all((dec.mci >= 1) & (dec.mci <= 6))


# -- MCI -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["column", "row"])
def test_mci_of_a_rank_one_update_is_one(version):
    rng = np.random.default_rng(0)
    r, c, m = 9, 7, 5
    a, b = rng.standard_normal(r), rng.standard_normal(c)
    coef = rng.standard_normal(m)
    Gi = coef[:, None, None] * np.outer(a, b)[None]  # every per-sample gradient along a bᵀ
    D = -0.1 * Gi.sum(axis=0)  # a GD step: rank one
    lam, U = alignment_eigs(Gi.sum(axis=0), D, version=version, vectors=True)
    psi = component_psi(Gi, D, U, version=version)
    np.testing.assert_allclose(psi.sum(axis=0), lam[: U.shape[-1]], atol=1e-14)
    mci = mean_component_index(psi)
    # all weight in component 1: MCI = 1 up to the round-off of the zero components (measured exactly 0 off)
    np.testing.assert_allclose(mci, 1.0, atol=1e-12)


def test_mci_negative_control_full_rank_update():
    rng = np.random.default_rng(1)
    r, c, m = 9, 7, 5
    Gi = rng.standard_normal((m, r, c))
    D = rng.standard_normal((r, c))  # unrelated to the gradient: spread over components
    lam, U = alignment_eigs(Gi.sum(axis=0), D, version="column", vectors=True)
    mci = mean_component_index(component_psi(Gi, D, U, version="column"))
    assert np.all(mci > 2.0)  # measured 2.39–4.34 here; a rank-one update gives exactly 1


# -- the deep linear net: degenerate ----------------------------------------------------------------


def test_linear_gd_top1_share_is_one():
    tr = Training(net=MLP(depth=2, activation="linear", param=MUP_SGD, train=("hidden",)), optimizer=Optimizer("sgd"),
                  data=Data.synthetic(16, 8, seed=0), steps=6, dtype="float64")
    _, path = train_paths(tr, 32, 0, [0.05, 0.4])
    for e in range(2):
        one = {k: v[e] for k, v in path.items()}
        dec = decompose_path(tr, 32, one, ema=0.0)
        assert dec.rank == 1
        # measured |1 − share| ≤ 3.4e-16 (and ≤ 2.3e-16 for φ²/φ with the EMA)
        assert abs(dec.share(1) - 1) <= 1e-12
        ema = decompose_path(tr, 32, one, ema=0.7)  # EMA steps are sums of rank-one updates: rank ≤ 2
        assert ema.rank == 2 and abs(ema.share(2) - 1) <= 1e-12


def test_relu_gd_negative_control_top1_share_below_one():
    tr = Training(net=MLP(depth=2, activation="relu", param=MUP_SGD, train=("hidden",)), optimizer=Optimizer("sgd"),
                  data=Data.synthetic(16, 8, seed=0), steps=6, dtype="float64")
    _, path = train_paths(tr, 32, 0, [0.4])
    dec = decompose_path(tr, 32, {k: v[0] for k, v in path.items()}, ema=0.0)
    assert dec.rank > 1 and abs(dec.share(1) - 1) > 1e-3  # measured share 0.655, rank 16


# -- Algorithm 1 pieces -------------------------------------------------------------------------------


def test_conv_error_and_lipschitz():
    u = np.arange(5.0)
    assert conv_error(u, (u - 2) ** 2) == 0.0
    assert conv_error(u, -((u - 2) ** 2)) == 1.0
    assert lipschitz(u, 3 * u) == pytest.approx(3.0)


def test_truncation_recovers_planted_invariant_part():
    # φ^k = top (width-invariant bowl, carried by k ≤ 2) + tail (width-dependent slope, k > 2).
    u = np.arange(-3.0, 4.0)
    top = (u - 0.0) ** 2 - 10

    def Phi(n, slope):
        P = np.zeros((u.size, n))
        for k in range(1, n + 1):
            P[:, k - 1] = top * min(k, 2) / 2 + slope * u * max(0, min(k, n) - 2) / (n - 2)
        return P

    Phis = {8: Phi(8, 0.9), 16: Phi(16, 0.5), 32: Phi(32, 0.1)}
    tr = select_truncation(u, Phis, taus=(1e-3, 1e-2, 0.1, 1.0), eps_cvx=0.0, eps_amin=1.0)
    for n in (8, 16):  # at u = 0 the tails vanish, so any κ ≥ 2 is as good there
        assert tr[n].kappa is not None, tr[n]
        assert all(k == 2 if x != 0 else k >= 2 for k, x in zip(tr[n].kappa, u)), tr[n]
    # negative control: every φ^k concave in u (no convex part to find): Algorithm 1 fails
    bad = {n: -(u**2)[:, None] * np.arange(1, n + 1)[None] for n in (8, 16)}
    res = select_truncation(u, bad, taus=(1e-3, 1.0), eps_cvx=0.0, eps_amin=1.0)
    assert res[8].kappa is None and res[8].tried == 4


def test_minimize_proxy_prefers_matching_curves():
    u = np.arange(4.0)
    A = np.cumsum(np.ones((4, 6)), axis=1)
    B = A.copy()
    B[:, 3:] += 5.0  # the curves agree for k ≤ 3 only
    kap = minimize_proxy(u, A, B, 1e-3, 1e-3)
    assert np.all(kap <= 3)


# -- the command line -----------------------------------------------------------------------------


def _cli(*args):
    from typer.testing import CliRunner

    from polylr.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_decompose_refuses_one_width_before_work(tmp_path):
    r = _cli("decompose", "--widths", "64", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "at least 2 widths" in r.output
    assert not (tmp_path / "o").exists()


def test_cli_decompose_linear_example(tmp_path):
    import json

    r = _cli("decompose", "--example", "linear", "--widths", "8,16", "--seeds", 2, "--steps", 3, "--out", tmp_path / "o", "--mci", 4)
    assert r.exit_code == 0, r.output
    assert "gwb-decomposition.linear.degenerate: holds" in r.output and "MCI of 4 points" in r.output
    doc = json.loads((tmp_path / "o" / "decompose.json").read_text())
    assert doc["example"] == "linear" and doc["mci"]["points"] == 4
    # raw GD on a deep linear net: every point's loss change sits in component 1
    assert all(abs(m - 1) < 1e-9 for m in doc["mci"]["mci"])


def test_scan_refuses_oversized_trajectories_before_any_work():
    from polylr.analysis.decompose import decompose_scan

    tr = _net(1, "relu", False, steps=400).replace(memory_limit=2**20)
    with pytest.raises(PolylrError, match="keeping 401 iterates at 3 learning rates"):
        decompose_scan(tr, [8, 64], [0], [0.1, 0.2, 0.3])


# -- Algorithm 1 end to end on a planted spectrum: κ̂ is known ------------------------------------------


def test_truncation_finds_the_planted_kappa_through_the_eigen_split():
    # Per width n and grid point u: G = Q diag(g) Qᵀ, δW = Q diag(d) Qᵀ commute, so the alignment
    # matrix has the planted eigenvalues g_j d_j exactly. Three top eigenvalues, width-invariant,
    # of mixed sign (magnitudes 0.8, 0.5, 0.3 of u² − 10 < 0: ordering by λ instead of |λ| would put
    # the positive one last) carry a bowl; n − 3 small tail eigenvalues carry t_n·u, a slope that
    # changes with the width. Algorithm 1 must return κ̂ = 3 (any κ ≥ 3 at u = 0, where tails vanish).
    u = np.arange(-2.0, 2.01, 0.5)
    rng = np.random.default_rng(5)
    top = np.array([0.8, -0.3, 0.5])[None, :] * (u**2 - 10)[:, None]  # (E, 3); |λ| ≥ 1.8 on the grid
    Phis = {}
    for n, t in ((16, 2.0), (32, 1.0), (64, 0.5)):
        Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        lam = []
        for i, x in enumerate(u):
            want = np.concatenate([top[i], np.full(n - 3, t * x / (n - 3))])  # tail |λ| ≤ 0.31 < 1.8
            g = rng.uniform(0.5, 2.0, n)
            G, D = Q @ np.diag(g) @ Q.T, Q @ np.diag(want / g) @ Q.T
            lam.append(alignment_eigs(G, D))
        lam = np.array(lam)
        assert np.allclose(np.sort(lam, axis=1), np.sort(np.concatenate([top, np.repeat((t * u / (n - 3))[:, None], n - 3, 1)], 1), axis=1), atol=1e-12)
        Phis[n] = np.cumsum(lam, axis=1)
    res = select_truncation(u, Phis)  # the claim's tolerances (TRUNCATION_DEFAULTS)
    for n in (16, 32):
        assert res[n].kappa is not None, res[n]
        assert all(k == 3 if x != 0 else k >= 3 for k, x in zip(res[n].kappa, u)), res[n]
    # negative control: order by signed value (most negative first) instead of magnitude: φ^3 then
    # includes a tail eigenvalue instead of the positive top one, and the top-3 curves differ by width
    bad = {n: np.cumsum(np.sort(np.diff(P, prepend=0.0, axis=1), axis=1), axis=1) for n, P in Phis.items()}
    assert not np.allclose(bad[16][:, 2], bad[64][:, 2], atol=0.1)
    assert np.allclose(Phis[16][:, 2], Phis[64][:, 2], atol=1e-12)


# -- the fixed-k verdict logic: planted cases -----------------------------------------------------------


def _planted_tops(drift, slope, *, seeds=8, widths=(16, 32, 64, 128), noise=0.05, seed=0):
    """φ_n^k per seed (S, E, n): component 1 a bowl (u − drift·log2(n/16))² − 5 plus seed noise, the
    other n − 1 components sharing a residual slope·u (the same at every width)."""
    u = np.arange(-3.0, 3.01, 0.5)
    rng = np.random.default_rng(seed)
    tops = {}
    for n in widths:
        c = drift * np.log2(n / 16)
        lam = np.zeros((seeds, u.size, n))
        lam[..., 0] = (u - c) ** 2 - 5 + noise * rng.standard_normal((seeds, u.size))
        lam[..., 1:] = (slope * u / (n - 1))[None, :, None]
        tops[n] = np.cumsum(lam, axis=-1)
    return u, tops


def _status(res):
    return {v.claim.rsplit(".", 1)[-1]: v.status for v in res["verdicts"]}


def test_fixed_k_verdicts_fail_when_the_top_k_argmin_drifts_with_width():
    from polylr.claims.decomposition import fixed_k_verdicts

    # planted drift: the top-1 argmin moves by 0.5 in log2 ν per doubling (1.5 from n = 16 to 128),
    # the residual is flat (slope 0.2, curvature 2: it moves the optimum by 0.1)
    u, tops = _planted_tops(drift=0.5, slope=0.2)
    res = fixed_k_verdicts(u, tops, 1, tol=0.5, n_boot=200, seed=1, name="t")
    assert _status(res) == {"top1-invariant": "fails", "top1-residual-flat": "holds"}, res["verdicts"]
    # measured I = 1.52, CI [1.49, 1.56] (planted 1.5); residual move 0.098, CI [0.094, 0.123]
    # (planted L/μ = 0.2/2); margins to tol = 0.5: ~1.0 and ~0.38 in log2 ν
    assert abs(res["stats"]["I_lo"] - 1.5) < 0.1 and res["ci"]["I"][0] > 1.0
    # positive control, same seeds, noise and residual: no drift holds
    u, tops = _planted_tops(drift=0.0, slope=0.2)
    res = fixed_k_verdicts(u, tops, 1, tol=0.5, n_boot=200, seed=1, name="t")
    assert _status(res) == {"top1-invariant": "holds", "top1-residual-flat": "holds"}, res["verdicts"]
    # measured I = 0.011, CI [0.008, 0.047]
    # a steep residual (slope 3: moves the optimum by 1.5; measured 1.52, CI [1.50, 1.90]) fails flatness
    u, tops = _planted_tops(drift=0.0, slope=3.0)
    res = fixed_k_verdicts(u, tops, 1, tol=0.5, n_boot=200, seed=1, name="t")
    assert _status(res)["top1-residual-flat"] == "fails", res["verdicts"]


def test_fixed_k_verdicts_do_not_hold_on_an_argmin_at_the_grid_end():
    from polylr.claims.decomposition import fixed_k_verdicts

    # every width's top-1 part is minimised beyond the grid (drift puts the bowl's centre at u ≥ 4):
    # distances between grid ends are lower bounds only, so "holds" is not allowed
    u, tops = _planted_tops(drift=0.0, slope=0.2)
    tops = {n: T + (-8 * u)[None, :, None] for n, T in tops.items()}
    res = fixed_k_verdicts(u, tops, 1, tol=0.5, n_boot=100, seed=2, name="t")
    assert all(res["stats"]["at_end"].values())
    assert _status(res)["top1-invariant"] == "inconclusive" and res["ci"]["I"][1] == np.inf
    # too few seeds: inconclusive whatever the numbers
    u, tops = _planted_tops(drift=0.5, slope=0.2, seeds=4)
    assert _status(fixed_k_verdicts(u, tops, 1, n_boot=50, name="t"))["top1-invariant"] == "inconclusive"


def test_degenerate_truncation_rule():
    from polylr.analysis.decompose import Truncation
    from polylr.claims.decomposition import degenerate_widths

    t = lambda n, k: Truncation(n, tuple(k), (1e-3, 1e-3), 0.0, 0.0, 1)  # noqa: E731
    # measured at the quick budget: mlp κ̂(16) = 16,16,16,16,3 (degenerate), κ̂(64) = 17,17,17,18,21 (not)
    frac, bad = degenerate_widths({16: t(16, [16, 16, 16, 16, 3]), 64: t(64, [17, 17, 17, 18, 21]),
                                   32: Truncation(32, None, None, float("nan"), float("nan"), 64)})
    assert bad == [16] and frac[16] == 1.0 and abs(frac[64] - 17 / 64) < 1e-15 and 32 not in frac


def test_cli_decompose_mlp_writes_the_fixed_k_figure(tmp_path):
    import json

    r = _cli("decompose", "--example", "mlp", "--widths", "8,16", "--seeds", 2, "--steps", 4, "--out", tmp_path / "o")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o" / "decompose.mlp.fixedk.png").stat().st_size > 0
    assert "fixed k" in r.output and "gwb-decomposition.mlp.top1-invariant: inconclusive" in r.output  # 2 seeds < 8
    doc = json.loads((tmp_path / "o" / "decompose.json").read_text())
    assert set(doc["fixed_k"]) == {"1", "4"} and len(doc["grid_used_fixed_k"]) == 12


def test_kappa_table_says_not_run_where_algorithm_1_was_not_attempted():
    # Two grid learning rates: Algorithm 1 needs 3, so it is never attempted; the κ̂ column must not
    # read "Fail" (a failure that did not happen) but "not run", with the reason in the title and JSON.
    import dataclasses

    from polylr.analysis.decompose import Truncation
    from polylr.claims.decomposition import decompose_example

    e = decompose_example("mlp", widths=(8, 16), seeds=2, steps=4, ema=0.95, eval_m=64, grid=[0.1, 0.2], n_boot=50)
    title, cols, rows = e.table()
    kappa = [r[cols.index("κ̂(n) per ν")] for r in rows]
    assert kappa == ["not run", "-"]  # n = 16 is the proxy of infinite width
    assert "κ̂ not run" in title and "(3 needed)" in title and e.truncation == {}
    assert e.to_json()["truncation_not_run"] == e.not_run and "(3 needed)" in e.not_run
    # control: where Algorithm 1 ran and found no truncation, the table still says Fail
    failed = dataclasses.replace(e, truncation={8: Truncation(8, None, None, float("nan"), float("nan"), 64)}, not_run="")
    title, cols, rows = failed.table()
    assert [r[cols.index("κ̂(n) per ν")] for r in rows] == ["Fail", "-"] and "not run" not in title
    assert failed.to_json()["truncation_not_run"] is None


# -- bounds before work: every example's widths, the MCI, the budgets --------------------------------


class _Trained(Exception):
    """Raised by a stand-in train_paths: a trajectory was about to be trained."""


def _no_training(monkeypatch):
    import polylr.analysis.decompose as dec
    import polylr.claims.decomposition as cd

    def train_paths(*a, **k):
        raise _Trained()

    monkeypatch.setattr(dec, "train_paths", train_paths)
    monkeypatch.setattr(cd, "train_paths", train_paths)


def test_check_refuses_a_later_example_before_training_the_first(monkeypatch):
    """Only the mlp example (third) is over its memory limit (1 MiB, monkeypatched): the claim
    refuses before kindex and ball are trained. Previously each example checked its own widths when
    it started, so --budget thorough trained kindex and ball before mlp was refused."""
    import polylr
    import polylr.claims.decomposition as cd

    _no_training(monkeypatch)
    real = cd.example_training
    monkeypatch.setattr(cd, "example_training", lambda name, steps, **kw: (
        real(name, steps, **kw).replace(memory_limit=2**20) if name == "mlp" else real(name, steps, **kw)))
    with pytest.raises(PolylrError, match=r"width n = 16: keeping 33 iterates at 12 learning rates .* over the memory limit 0.00 GiB"):
        cd.check_decomposition(polylr.CheckOptions(budget=polylr.BUDGETS["tiny"]))


def test_thorough_fits_the_default_memory_limit_and_thorough_gpu_is_refused_up_front(monkeypatch):
    """The estimate (check_path_memory) of every example at every thorough width is within the
    default 8 GiB (mlp at n = 256: 6.4 GiB; at 512, the old thorough's largest width, 24.9 GiB); on a
    GPU (backend monkeypatched) thorough-gpu is over it and refused before any training."""
    import jax

    import polylr
    from polylr.analysis.train import check_path_memory
    from polylr.claims.decomposition import DECOMP_BUDGETS, EXAMPLES, GRIDS, check_decomposition, example_training
    from polylr.engines.mlp import GIB

    b = DECOMP_BUDGETS["thorough"]
    for ex in EXAMPLES:
        tr = example_training(ex, b["steps"], eval_m=b["eval_m"])
        assert all(check_path_memory(tr, w, GRIDS[ex].size) <= 8 * GIB for w in b["widths"])
    mlp = example_training("mlp", b["steps"], eval_m=b["eval_m"])
    with pytest.raises(PolylrError, match=r"width n = 512: .* 24.9\d GiB"):
        check_path_memory(mlp, 512, GRIDS["mlp"].size)
    _no_training(monkeypatch)
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    with pytest.raises(PolylrError, match=r"width n = 512: .* over the memory limit 8.00 GiB"):  # kindex: 15.5 GiB
        check_decomposition(polylr.CheckOptions(budget=polylr.BUDGETS["thorough"]))


def test_too_many_mci_points_are_refused_before_the_scan(monkeypatch):
    import polylr.analysis.decompose as dec
    from polylr.claims.decomposition import decompose_example

    _no_training(monkeypatch)
    monkeypatch.setattr(dec, "MCI_BYTES", 2**16)  # 64 KiB: 64 points of the n = 16 mlp (321 parameters) need 160 KiB
    with pytest.raises(PolylrError, match=r"mci_points = 64: per-sample gradients at width 16 .* over 0 MiB"):
        decompose_example("mlp", widths=(8, 16), seeds=2, steps=4, ema=0.9, mci_points=64)
    with pytest.raises(_Trained):  # control: 4 points fit, and the scan starts
        decompose_example("mlp", widths=(8, 16), seeds=2, steps=4, ema=0.9, mci_points=4)


def test_algorithm_1_failure_names_the_tolerances_used():
    # ε_cvx = -1 (no curve can be that convex) and one τ: Algorithm 1 fails; the reason must give
    # those, not TRUNCATION_DEFAULTS (ε_cvx = 0.25, eight τ).
    from polylr.claims.decomposition import decompose_example

    e = decompose_example("mlp", widths=(8, 16), seeds=2, steps=8, ema=0.9, n_boot=20, truncation=dict(eps_cvx=-1.0, taus=(0.5,)))
    v = {x.claim: x for x in e.verdicts}["gwb-decomposition.mlp.topk-invariant"]
    assert "Algorithm 1 found no truncation at n = [8] (ε_cvx = -1.0, ε_amin = 1.0 in log2 ν, τ ∈ (0.5,))" in v.reason, v.reason
    with pytest.raises(PolylrError, match="truncation keys"):
        decompose_example("mlp", widths=(8, 16), seeds=2, steps=8, ema=0.9, truncation=dict(eps=1.0))


def test_cli_decompose_thorough_on_a_gpu_takes_the_thorough_gpu_entry(monkeypatch, tmp_path):
    """As polylr check (claims.base.budget_entry): `--budget thorough` on a GPU (backend
    monkeypatched) passes the thorough-gpu entry's sizes; on a CPU the thorough entry's."""
    import jax

    import polylr.claims.decomposition as cd

    seen = []

    def fake(example, **kw):
        seen.append(kw)
        raise PolylrError("stopped before training")

    monkeypatch.setattr(cd, "decompose_example", fake)
    for backend, entry in (("cpu", "thorough"), ("gpu", "thorough-gpu")):
        monkeypatch.setattr(jax, "default_backend", lambda backend=backend: backend)
        r = _cli("decompose", "--budget", "thorough", "--out", tmp_path / backend)
        assert r.exit_code != 0 and "stopped before training" in r.output
        want = cd.DECOMP_BUDGETS[entry]
        assert (seen[-1]["widths"], seen[-1]["seeds"], seen[-1]["steps"], seen[-1]["ema"], seen[-1]["eval_m"]) == (
            want["widths"], want["seeds"], want["steps"], want["ema"], want["eval_m"])
