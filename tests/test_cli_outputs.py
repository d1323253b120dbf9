"""Commands that write one output folder (phase-map, decompose, verify's curves) share one run,
``compute_into``: nothing is left behind when the work fails or is interrupted. And an argument
with a metavar is listed by it in --help (``CLAIM...``), not by its name and type."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import polylr

cli = import_module("polylr.cli.main")  # the module; the attribute polylr.cli.main is its main function
runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def test_compute_into_writes_the_files_and_returns_the_result(tmp_path):
    result, written = cli.compute_into(tmp_path / "out", "test", lambda progress: (42, {"a.txt": b"x"}))
    assert result == 42 and written == [tmp_path / "out" / "a.txt"] and written[0].read_bytes() == b"x"


@pytest.mark.parametrize("error", [polylr.PolylrError("refused"), KeyboardInterrupt()], ids=["refusal", "interrupt"])
def test_compute_into_leaves_nothing_behind(tmp_path, error):
    def compute(progress):
        raise error

    with pytest.raises(type(error)):
        cli.compute_into(tmp_path / "out", "test", compute)
    assert not (tmp_path / "out").exists()


def test_compute_into_keeps_a_folder_it_did_not_create(tmp_path):
    # Negative control of the test above: an existing folder is the user's and stays.
    (tmp_path / "out").mkdir()

    def compute(progress):
        raise polylr.PolylrError("refused")

    with pytest.raises(polylr.PolylrError):
        cli.compute_into(tmp_path / "out", "test", compute)
    assert (tmp_path / "out").is_dir()


@pytest.mark.parametrize("error", [polylr.PolylrError("refused by the test"), KeyboardInterrupt()], ids=["refusal", "interrupt"])
def test_phase_map_leaves_no_folder_when_its_work_fails(tmp_path, monkeypatch, error):
    # Before compute_into, an interrupted phase map left an empty output folder behind.
    def phase_map(*args, **kwargs):
        raise error

    monkeypatch.setattr(import_module("polylr.analysis.phasemap"), "phase_map", phase_map)
    out = tmp_path / "pm"
    r = runner.invoke(cli.app, ["phase-map", "--widths", "64,128", "--seeds", "2", "--out", str(out)], env=WIDE)
    if isinstance(error, KeyboardInterrupt):
        assert r.exit_code != 0
    else:
        assert r.exit_code == 2 and r.output.strip().splitlines() == ["error: refused by the test"]
    assert not out.exists()


def test_check_help_lists_its_claim_argument_by_metavar():
    out = runner.invoke(cli.app, ["check", "--help"], env=WIDE).output
    assert "[OPTIONS] [CLAIM]..." in out
    assert "  CLAIM...  Claims to check (see --list)." in out
    for name in sorted(typer.main.get_command(cli.app).commands):
        assert "<list[" not in runner.invoke(cli.app, [name, "--help"], env=WIDE).output, name


def test_a_plain_typer_app_would_list_name_and_type():
    # Negative control: the same argument without polylr's group shows typer's "names... <list[str]>"-style line.
    plain = typer.Typer()

    @plain.command()
    def go(names: list[str] = typer.Argument(None, metavar="CLAIM", help="Claims.")) -> None:  # pragma: no cover
        pass

    out = runner.invoke(plain, ["--help"], env=WIDE).output
    assert "<list[str]>" in out and "CLAIM..." not in out


def test_the_claim_names_still_reach_the_command(tmp_path):
    r = runner.invoke(cli.app, ["check", "nosuch", "--out", str(tmp_path / "o")], env=WIDE)
    assert r.exit_code == 2 and "unknown claim 'nosuch'" in r.output
    assert not Path(tmp_path / "o").exists()
