"""`--budget` on every command that samples (issue 12): phase-map and verify take it too."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from polylr.claims.width_free import PHASE_MAP_BUDGETS
from polylr.cli.main import app


@pytest.mark.slow  # the tiny budget is widths 64..1024 x 16 seeds (Gram path): compile-bound
def test_phase_map_takes_the_budget(tmp_path):
    widths, seeds = PHASE_MAP_BUDGETS["tiny"]  # the phase map's own budgets (widths to 2^20 by default)
    r = CliRunner().invoke(app, ["phase-map", "--budget", "tiny", "--v", "1", "--c", "0", "--depth", "1",
                                 "--out", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["widths"] == list(widths) and doc["seeds"] == seeds


def test_budget_errors_are_one_line(tmp_path):
    for args in (["phase-map", "--budget", "nope", "--out", str(tmp_path / "a")],
                 ["verify", "verify/fig3.toml", "--budget", "tiny", "--out", str(tmp_path / "b")],
                 ["verify", "verify/theorem1.toml", "--budget", "nope", "--out", str(tmp_path / "c")]):
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2 and r.output.startswith("error:") and len(r.output.strip().splitlines()) == 1, (args, r.output)
