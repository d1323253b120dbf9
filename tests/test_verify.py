"""Campaigns (verify/*.toml): every committed file is valid; curves agree with the polynomial
engines; claims campaigns equal `polylr check`; bad files fail cleanly and write nothing."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import polylr
from polylr import campaigns
from polylr.cli.main import app
from polylr.testing import assert_polynomial_matches
from tolerances import POLY_VS_GD_REL, SAME_QUANTITY_REL

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("path", sorted((ROOT / "verify").glob("*.toml")), ids=lambda p: p.name)
def test_committed_campaigns_are_valid(path):
    doc = campaigns.load(path)
    if doc["kind"] == "claims":
        assert all(name in polylr.REGISTRY for name in doc["claims"])
    else:
        spec = campaigns.curves_from(doc, path.name)
        assert campaigns.eta_grid(spec.setup, spec.eta).size == doc["eta"]["points"]


def test_curves_campaign_agrees_with_the_polynomial_engines(tmp_path):
    (tmp_path / "c.toml").write_text(
        'kind = "curves"\nsteps = [2]\nparams = ["mup", "sp"]\nwidths = [16, 32]\nseeds = 3\ndepth = 2\n'
        'data = { m = 6, d = 3, seed = 2 }\neta = { lo = 0.0, hi = 1.5, points = 9, scale = "linear" }\n'
    )
    r = run("verify", tmp_path / "c.toml", "--out", tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["curves.json", "curves.png"]
    res = json.loads((tmp_path / "out" / "curves.json").read_text())
    etas = np.array(res["etas"])
    setup = polylr.Setup(data=polylr.Data.synthetic(6, 3, seed=2), depth=2, steps=2)
    for c in res["curves"]:  # gradient descent on the grid = seed mean of the exact polynomials
        s = setup.replace(param=c["param"])
        polys = polylr.finite_width_polys(s, c["width"], range(3))
        mean = polylr.EtaPoly(np.mean([polys.loss_poly(i).coeffs for i in range(3)], axis=0))
        assert_polynomial_matches(mean, dict(zip(etas.tolist(), c["mean_loss"])).__getitem__, etas, rtol=SAME_QUANTITY_REL)
    limit = polylr.limit_polys(setup, exact=True).loss  # evaluation mode = the exact limit polynomial
    np.testing.assert_allclose(res["limit"][0]["loss"], [float(limit(float(e))) for e in etas], rtol=POLY_VS_GD_REL)


def test_claims_campaign_is_polylr_check(tmp_path):
    (tmp_path / "t1.toml").write_text(
        'kind = "claims"\nclaims = ["theorem1"]\nwidths = [64, 128, 256]\nseeds = 8\ndepth = 2\ndata = { m = 8, d = 3, seed = 1 }\n'
    )
    r = run("verify", tmp_path / "t1.toml", "--out", tmp_path / "a")
    assert r.exit_code == 0, r.output
    r = run("check", "theorem1", "--widths", "64,128,256", "--seeds", 8, "--depth", 2, "--m", 8, "--d", 3, "--data-seed", 1,
            "--out", tmp_path / "b")
    assert r.exit_code == 0, r.output
    a, b = (json.loads((tmp_path / x / "theorem1" / "results.json").read_text()) for x in "ab")  # the tidy rows
    va, vb = (json.loads((tmp_path / x / "theorem1" / "summary.json").read_text())["verdicts"] for x in "ab")
    assert a == b and va == vb


@pytest.mark.parametrize(
    "text, message",
    [
        ('kind = "figure"', "kind must be 'claims' or 'curves'"),
        ('kind = "curves"\nwidth = [8]', "unknown key"),
        ('kind = "claims"\nclaims = []', "claims must be a non-empty list"),
        ('kind = "claims"\nclaims = ["theorem9"]', "unknown claim 'theorem9'"),
        ('kind = "curves"\neta = { lo = 0.0, scale = "log" }', "need 0 < lo < hi"),
        ('kind = "curves"\nsteps = [0]', "steps t must be"),
        ('kind = "curves"\nparams = ["xp"]', "unknown parametrization"),
        ('kind = "curves"\ndata = { m = 4, file = "x.npz" }', "'file' excludes"),
        ("kind = ", "not valid TOML"),
    ],
)
def test_bad_campaigns_fail_cleanly_and_write_nothing(tmp_path, text, message):
    (tmp_path / "bad.toml").write_text(text)
    r = run("verify", tmp_path / "bad.toml", "--out", tmp_path / "out")
    assert r.exit_code == 2 and message in r.output, r.output
    assert not (tmp_path / "out").exists()
    r = run("verify", tmp_path / "missing.toml", "--out", tmp_path / "out")
    assert r.exit_code == 2 and "does not exist" in r.output
