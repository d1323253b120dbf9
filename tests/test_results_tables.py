"""results.json loads as a table (issue 12): ``pd.read_json(path)`` with default arguments gives the
tidy rows, each with its context (sampler and key scheme included); the claim-level record lies in
summary.json; ``--json`` is always a list of ``{summary..., "rows": [...]}``; ±inf and NaN survive."""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

import polylr
from polylr.claims.base import Verdict
from polylr.cli.main import app
from polylr.report import render

pd = pytest.importorskip("pandas")

CONTEXT = {"width", "seed", "eta", "loss_min", "method", "data", "data_hash", "depth", "steps", "parametrization",
           "master_seed", "interval_lo", "interval_hi", "width_lo", "width_hi", "key_scheme", "sampler", "eta_inf", "check"}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    out = tmp_path_factory.mktemp("t") / "res"
    # The shapes of tests/test_cli.py's campaign: in one pytest run the compiled programs are reused.
    r = CliRunner().invoke(app, ["check", "theorem1", "--widths", "64,128,256", "--seeds", "6", "--depth", "2", "--out", str(out),
                                 "--json"])
    assert r.exit_code == 0, r.output
    return out, json.loads(r.stdout)


def test_results_json_is_a_table_for_pandas_defaults(campaign):
    out, _ = campaign
    df = pd.read_json(out / "theorem1" / "results.json")  # exactly this: no orient, no dtype
    assert df.shape[0] == 3 * 6 and CONTEXT <= set(df.columns)
    assert sorted(set(df["width"])) == [64, 128, 256] and df["eta"].dtype == "float64"
    assert set(df["depth"]) == {2} and set(df["check"]) == {"theorem1"} and set(df["schema_version"]) == {2}
    assert set(df["sampler"]) <= {"dense", "gram"} and df["key_scheme"].str.startswith("jax.random.fold_in").all()
    # Negative control: the version-1 layout (sections of different lengths in one object) does not load.
    summary = json.loads((out / "theorem1" / "summary.json").read_text())
    old = out / "old.json"
    old.write_text(json.dumps({**summary, "rows": json.loads((out / "theorem1" / "results.json").read_text())}))
    with pytest.raises(ValueError):
        pd.read_json(old)


def test_row_reproduces_from_its_recorded_sampler_and_key(campaign):
    out, _ = campaign
    row = pd.read_json(out / "theorem1" / "results.json").iloc[7]
    setup = polylr.Setup(depth=int(row["depth"]))
    polys = polylr.finite_width_polys(setup, int(row["width"]), [int(row["seed"])], master_seed=int(row["master_seed"]),
                                      sampler=row["sampler"])
    # the same network, the same certified argmin: equal to the last bit on one machine
    assert polylr.argmin(polys.loss_poly(0), row["width_lo"], row["width_hi"]).eta == row["eta"]


def test_json_output_is_summary_plus_rows(campaign):
    out, doc = campaign
    assert isinstance(doc, list) and len(doc) == 1
    (d,) = doc
    assert {"schema_version", "check", "environment", "verdicts", "seconds", "rows"} <= set(d)
    summary = json.loads((out / "theorem1" / "summary.json").read_text())
    assert d == {**summary, "rows": json.loads((out / "theorem1" / "results.json").read_text())}
    assert "rows" not in summary and summary["rows_file"] == "results.json"


@dataclass
class _Result:
    """A minimal result of the ClaimResult protocol, with non-finite numbers and no rows of its own."""

    name: str = "toy"
    seconds: float = 0.5
    rows: list | None = None

    @property
    def verdicts(self):
        return (Verdict("toy.a", "a holds", "holds", "because", {"exponent": -math.inf, "ci": [math.nan, 1.0]}),)

    def to_json(self):
        return {"value": math.inf} if self.rows is None else {"value": math.inf, "rows": self.rows}

    def tables(self):
        return []

    def figures(self, fmt="png"):
        return {}

    def markdown(self):
        return "## toy\n"


def test_inf_and_nan_survive_and_rowless_claims_write_their_verdicts(tmp_path):
    rows = [{"width": 8, "eta": math.inf, "loss": math.nan}, {"width": 16, "eta": -math.inf, "loss": 0.5}]
    files = render.render(_Result(rows=rows))
    assert render.figure_names(files) == []
    render.write_files(tmp_path, files)
    df = pd.read_json(tmp_path / "results.json")
    assert df["eta"].tolist() == [math.inf, -math.inf] and math.isnan(df["loss"][0]) and df["loss"][1] == 0.5
    assert json.loads((tmp_path / "summary.json").read_text())["value"] == "inf"  # polylr's JSON convention
    # A claim with no per-network rows: its results.json is its verdict table.
    render.write_files(tmp_path, render.render(_Result()))
    df = pd.read_json(tmp_path / "results.json")
    assert df["claim"].tolist() == ["toy.a"] and df["status"].tolist() == ["holds"]
    assert json.loads(df["evidence"][0]) == {"exponent": "-inf", "ci": ["nan", 1.0]}


def test_version_1_store_is_upgraded_with_the_sampler_column(tmp_path):
    spec = polylr.SweepSpec(polylr.Setup(depth=1), (8,), 2, (0.0, 3.0))
    row = {"eta": 0.5, "loss_min": 1.0, "on_boundary": False, "unique": True, "local_minima": 1, "method": "polynomial",
           "seconds": 0.0, "loss": None, "outputs": None, "grid_etas": None, "grid_values": None}
    with polylr.ResultStore(tmp_path) as store:
        store.write(spec, [{**row, "width": 8, "seed": s} for s in range(2)], "c")
    with sqlite3.connect(tmp_path / "results.sqlite") as db:  # as a version-1 store was
        db.execute('ALTER TABLE rows DROP COLUMN "sampler"')
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with polylr.ResultStore(tmp_path, create=False) as store:
        assert [r["sampler"] for r in store.records()] == ["dense", "dense"]
    with sqlite3.connect(tmp_path / "results.sqlite") as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)  # and on to 3 (table scans)
        assert db.execute("SELECT count(*) FROM scans").fetchone() == (0,)
