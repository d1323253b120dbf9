"""Reports rebuilt from the results store alone (issue 12): delete a campaign's outputs, run
``polylr report DIR``, and every file comes back identical except the claims' own running time
(``seconds``, which is the rebuild's); a store missing rows refuses with one line and trains nothing."""

from __future__ import annotations

import re
import shutil
import sqlite3

from typer.testing import CliRunner

from polylr.cli.main import app

ARGS = ["check", "theorem1", "--widths", "8,16", "--seeds", "3", "--depth", "1"]


def _masked(path) -> bytes:
    text = path.read_bytes()
    if path.suffix in (".json", ".md"):  # the claims' running time: "seconds": 1.23 / "; 1.2 s." / "(1.2 s)"
        text = re.sub(rb'"seconds": [0-9.e+-]+', b'"seconds": S', text)
        text = re.sub(rb"; [0-9.]+ s\.", b"; S s.", text)
        text = re.sub(rb"\n\([0-9.]+ s\)\n", b"\n(S s)\n", text)  # the training claims' line
    return text


def _rebuilt_identical(tmp_path, args):
    """Run ``args`` into a folder, delete everything but the store, ``polylr report`` it: the same files."""
    out = tmp_path / "run"
    r = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    orig = tmp_path / "orig"
    shutil.copytree(out, orig)
    for p in list(out.iterdir()):
        if p.name != "results.sqlite" and not p.name.startswith("results.sqlite-"):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    r = CliRunner().invoke(app, ["report", str(out)])
    assert r.exit_code == 0, r.output
    files = sorted(p.relative_to(orig) for p in orig.rglob("*") if p.is_file() and "results.sqlite" not in p.name)
    assert files and sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file() and "results.sqlite" not in p.name) == files
    for f in files:
        assert _masked(out / f) == _masked(orig / f), f
    return out


def test_report_is_rebuilt_from_the_store(tmp_path):
    out = _rebuilt_identical(tmp_path, ARGS)
    import json

    rows = json.loads((out / "theorem1" / "results.json").read_text())  # tidy: context in every row
    assert rows and all({"depth", "parametrization", "steps", "master_seed", "interval_lo", "eta_inf"} <= set(r) for r in rows)
    # Negative control: a row removed from the store is refused (nothing is recomputed), one line.
    with sqlite3.connect(out / "results.sqlite") as db:
        db.execute("DELETE FROM rows WHERE rowid IN (SELECT rowid FROM rows LIMIT 1)")
    r = CliRunner().invoke(app, ["report", str(out)])
    assert r.exit_code == 2 and "lacks 1 of the" in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_report_without_a_store_is_one_line(tmp_path):
    r = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert r.exit_code == 2 and "holds no results store" in r.output and len(r.output.strip().splitlines()) == 1


def test_report_rebuilds_the_options_as_given(tmp_path):
    """The campaign records --widths/--seeds/--steps as given: a claim taking --steps other than theorem3
    is rebuilt at its t, and --widths/--seeds equal to the shared budget table are told from the claim's
    own budget (both were rebuilt wrongly, and refused for missing rows, when the shared table was recorded)."""
    import polylr

    tiny = polylr.BUDGETS["tiny"]
    _rebuilt_identical(tmp_path / "a", ["check", "fast-transfer", "--depth", "2", "--steps", "2", "--widths", "16,32,64", "--seeds", "8"])
    _rebuilt_identical(tmp_path / "b", ["check", "theorem1", "--budget", "tiny", "--widths", ",".join(map(str, tiny.widths)),
                                        "--seeds", str(tiny.seeds)])


def test_report_reads_a_format_1_campaign(tmp_path):
    """A store written before the description recorded the options as given (format 1: the shared
    table's widths and seeds, theorem3's t, no "format" key) is still rebuilt."""
    import json

    out = tmp_path / "run"
    assert CliRunner().invoke(app, [*ARGS, "--out", str(out)]).exit_code == 0
    with sqlite3.connect(out / "results.sqlite") as db:
        (cid, text), = db.execute("SELECT campaign, description FROM campaigns").fetchall()
        desc = json.loads(text)
        assert desc.pop("format") == 2 and desc["steps"] is None
        desc.update(widths=[8, 16], seeds=3, steps=2)  # what format 1 recorded for ARGS
        db.execute("UPDATE campaigns SET description = ? WHERE campaign = ?", (json.dumps(desc, sort_keys=True), cid))
    before = (out / "theorem1" / "summary.json").read_bytes()
    (out / "theorem1" / "summary.json").unlink()
    r = CliRunner().invoke(app, ["report", str(out)])
    assert r.exit_code == 0, r.output
    assert _masked(out / "theorem1" / "summary.json") == re.sub(rb'"seconds": [0-9.e+-]+', b'"seconds": S', before)


def test_a_training_claims_report_is_rebuilt_from_its_scans(tmp_path):
    """The claims that train networks keep each width's learning-rate scan in the store (table
    scans): their report is rebuilt from those alone, the same files; a scan removed is refused."""
    out = _rebuilt_identical(tmp_path, ["check", "gwb-relu-kindex", "--budget", "tiny", "--seeds", "2"])
    with sqlite3.connect(out / "results.sqlite") as db:
        db.execute("DELETE FROM scans WHERE rowid IN (SELECT rowid FROM scans LIMIT 1)")
    r = CliRunner().invoke(app, ["report", str(out)])
    assert r.exit_code == 2 and "lacks claim 'gwb-relu-kindex''s scan" in r.output and len(r.output.strip().splitlines()) == 1, r.output


def test_the_decompositions_report_is_rebuilt_from_its_stored_widths(tmp_path):
    """gwb-decomposition keeps each example's decomposition at one width in the store (table scans):
    its report is rebuilt from those alone, the same files."""
    _rebuilt_identical(tmp_path, ["check", "gwb-decomposition", "--budget", "tiny", "--widths", "8,16", "--seeds", "2"])
