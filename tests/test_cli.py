"""The command line end to end, and every bad input: a clear error, exit code 2, no files written."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import polylr
from polylr.claims.width_free import SAMPLER
from polylr.cli.main import app
from tolerances import SAME_QUANTITY_REL

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_check_theorem1_small_campaign(tmp_path):
    out = tmp_path / "res"
    r = run("check", "theorem1", "--widths", "64,128,256", "--seeds", 6, "--depth", 2, "--out", out, "--json")
    assert r.exit_code == 0, r.output
    folder = out / "theorem1"
    assert sorted(p.name for p in folder.iterdir()) == ["error_loglog.png", "eta_vs_width.png", "loss_curves.png", "results.json",
                                                        "summary.json"]
    assert "theorem1.limit" in (out / "report.md").read_text()
    res = {**json.loads((folder / "summary.json").read_text()), "rows": json.loads((folder / "results.json").read_text())}
    assert res["campaign"]["widths"] == [64, 128, 256] and res["campaign"]["seeds"] == 6
    assert {v["claim"] for v in res["verdicts"]} == {"theorem1.limit", "theorem1.rate"}
    assert all(v["status"] in ("holds", "fails", "inconclusive") for v in res["verdicts"])
    assert len(res["rows"]) == 18 and res["environment"]["x64"] is True
    # The recorded seed reproduces a row: same key, same polynomial, same argmin.
    row = res["rows"][4]
    setup = polylr.Setup(depth=2)
    assert res["campaign"]["sampler"] == SAMPLER and row["sampler"] in ("dense", "gram")  # the row's own sampler
    polys = polylr.finite_width_polys(setup, row["width"], [row["seed"]], master_seed=res["campaign"]["master_seed"],
                                      sampler=row["sampler"])
    eta = polylr.argmin(polys.loss_poly(0), *res["campaign"]["interval"]).eta
    assert eta == pytest.approx(row["eta"], rel=SAME_QUANTITY_REL)
    # --json prints the same document on stdout (tables go to stderr).
    doc = json.loads(r.stdout)  # always a list, versioned: summary.json plus the rows of results.json
    assert doc[0]["schema_version"] == 2 and doc == [res]


def test_version_help_and_list():
    assert run("--version").output.startswith("polylr ")
    assert "--budget" in run("check", "--help").output
    listing = run("check", "--list").output
    assert all(name in listing for name in polylr.REGISTRY)


def _npz(tmp_path, X, y):
    path = tmp_path / "data.npz"
    np.savez(path, X=np.asarray(X, dtype=float), y=np.asarray(y, dtype=float))
    return path


BAD = {
    "width below 1": (["--widths", "0,64"], "width n must be >= 1, got 0"),
    "depth below 1": (["--depth", "0"], "depth L must be >= 1, got 0"),
    "lo >= hi": (["--interval", "2,1"], "lo < hi"),
    "unknown parametrization": (["--param", "xyz"], "unknown parametrization 'xyz'"),
    "unknown claim": (["--seeds", "2"], None),
    "unknown budget": (["--budget", "huge"], "unknown budget 'huge'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_options(tmp_path, case):
    extra, message = BAD[case]
    names = ["nonsense"] if case == "unknown claim" else ["theorem1"]
    r = run("check", *names, *extra, "--out", tmp_path / "out")
    assert r.exit_code == 2, r.output
    assert (message or "unknown claim 'nonsense'") in " ".join(r.output.split())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("names", [["degree"], ["hayou-fig4"], ["theorem1", "rf-ridge"], ["--all"]])
def test_depth_refused_where_the_claim_fixes_its_own(tmp_path, names):
    """--depth was silently ignored by the claims that set their own depths; now one line naming those that take it."""
    r = run("check", *names, "--depth", 2, "--out", tmp_path / "out")
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output
    assert "--depth applies only to claims that take it (theorem1, sp, ntp, theorem3, fast-transfer, theorem1.law, theorem3.law)" in \
        " ".join(r.output.split())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "X, y, message",
    [
        ([[1.0, np.nan], [0.0, 1.0]], [1.0, 2.0], "X must be finite"),
        ([[1.0, 0.0], [0.0, 1.0]], [1.0, np.inf], "y must be finite"),
        ([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [1.0, 2.0], "X has 3 rows, y has 2"),
        ([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], [1.0, 1.0, -1.0, -1.0], "K y = 0"),
    ],
)
def test_bad_data(tmp_path, X, y, message):
    r = run("check", "theorem1", "--data", _npz(tmp_path, X, y), "--out", tmp_path / "out")
    assert r.exit_code == 2, r.output
    assert message in " ".join(r.output.split())
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = run("check", "theorem1", "--out", blocker / "sub")
    assert r.exit_code == 2
    assert "not writable" in r.output
    assert blocker.read_text() == "not a folder"


def test_bad_setup_values_in_the_api():
    with pytest.raises(polylr.PolylrError, match="steps t must be >= 1, got 0"):
        polylr.Setup(steps=0)
    with pytest.raises(polylr.PolylrError, match="depth L must be >= 1"):
        polylr.Setup(depth=-1)
    with pytest.raises(polylr.PolylrError, match="width n must be >= 1"):
        polylr.finite_width_polys(polylr.Setup(), 0, [0])
    with pytest.raises(polylr.PolylrError, match="train must be one of"):
        polylr.Setup(train="some")


def test_degree_beyond_the_limit_is_refused_before_any_work():
    setup = polylr.Setup(depth=3, steps=4)  # f^(4) has degree 3 * 156 = 468
    with pytest.raises(polylr.PolylrError, match="degree 468 .* allows output degree <= 250"):
        polylr.finite_width_polys(setup, 8, [0])


def test_check_all_writes_one_report_and_a_latex_table(tmp_path, monkeypatch):
    # The claims that train networks take minutes even at the tiny budget: they are checked in
    # tests/test_nonlinear.py (and through the CLI there, at a tiny size); --all here covers the rest.
    for name in ("hayou-fig4", "hayou-fig5", "gwb-relu-kindex", "gwb-relu-ball", "gwb-decomposition", "theorem1.law", "theorem3.law"):
        # the law claims: tests/test_law.py
        monkeypatch.delitem(polylr.REGISTRY, name)
    for name in [n for n in polylr.REGISTRY if n.startswith("lingle-")]:  # tests/test_lingle.py
        monkeypatch.delitem(polylr.REGISTRY, name)
    out = tmp_path / "all"
    r = run("check", "--all", "--budget", "tiny", "--latex", "--out", out)  # --widths, --seeds: degree and rf-ridge refuse them
    assert r.exit_code == 0, r.output
    report = (out / "report.md").read_text()
    for name in polylr.REGISTRY:
        assert (out / name / "results.json").is_file()
        assert f"## {name}" in report
    assert (out / "report.tex").read_text().startswith(r"\begin{tabular}")


def test_param_option_is_for_theorem1_only(tmp_path):
    r = run("check", "sp", "--param", "ntp", "--out", tmp_path / "o")
    assert r.exit_code == 2 and "--param applies only to claims that take it (theorem1" in r.output
    assert not (tmp_path / "o").exists()


def test_derive_prints_and_writes(tmp_path):
    r = run("derive", "--depth", 2, "--steps", 1)
    assert r.exit_code == 0 and r.stdout == polylr.derive(2, 1, "markdown")
    target = tmp_path / "d" / "L1t2.tex"
    assert run("derive", "--depth", 1, "--steps", 2, "--latex", "--out", target).exit_code == 0
    assert target.read_text() == polylr.derive(1, 2, "latex")
    bad = run("derive", "--depth", 3, "--steps", 2)
    assert bad.exit_code == 2 and "raw terms" in bad.output


def test_phase_map_command(tmp_path):
    out = tmp_path / "pm"
    r = run("phase-map", "--v", "2,3", "--c", "0", "--widths", "64,128,256", "--seeds", 8, "--out", out)
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "phase_map.json").read_text())
    assert [(c["v"], c["c"]) for c in doc["cells"]] == [(2.0, 0.0), (3.0, 0.0)]
    # the heuristic predicts for 1 <= v < 3 only: v = 3 is measured, with no prediction
    assert [(c["predicted_order"], c["predicted_spread"]) for c in doc["cells"]] == [(0.0, -0.5), (None, None)]
    assert "—" in r.output
    assert (out / "phase_map.png").read_bytes().startswith(b"\x89PNG")
    bad = run("phase-map", "--v", "0.5", "--out", tmp_path / "bad")
    assert bad.exit_code == 2 and "v must be >= 1" in bad.output
    assert not (tmp_path / "bad").exists()


def test_check_theorem3_with_steps(tmp_path):
    out = tmp_path / "t3"
    r = run("check", "theorem3", "--steps", 2, "--widths", "64,128,256", "--seeds", 8, "--out", out, "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)[0]
    assert res["setup"]["steps"] == 2 and {v["claim"] for v in res["verdicts"]} == {"theorem3.unique", "theorem3.limit"}
    assert res["eta_inf"] == pytest.approx(polylr.limit_argmin(polylr.Setup(steps=2), res["campaign"]["interval"])[0].eta, rel=SAME_QUANTITY_REL)
    assert sorted(p.name for p in (out / "theorem3").iterdir()) == ["error_loglog.png", "eta_vs_width.png", "loss_curves.png", "results.json",
                                                                    "summary.json"]
    r = run("check", "theorem1", "--steps", 2, "--out", tmp_path / "no")
    assert r.exit_code == 2 and "--steps applies only to claims that take it (theorem3" in r.output and not (tmp_path / "no").exists()
    r = run("check", "theorem3", "--steps", 0, "--out", tmp_path / "no")
    assert r.exit_code == 2 and "steps" in r.output and not (tmp_path / "no").exists()
