"""Conventions of the command line (issue 12, part 4): help texts without ``<bool>``, a --help that
imports neither JAX nor sympy nor matplotlib, one error line and exit code 2 for every usage error,
tables that do not wrap in logs, --format for figures, --json on every command that produces
results, progress bars with an ETA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

import polylr
from importlib import import_module

cli = import_module("polylr.cli.main")  # the module; the attribute polylr.cli.main is its main function

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def run(*args, env=None):
    return runner.invoke(cli.app, [str(a) for a in args], env=env)


def commands() -> list[str]:
    return sorted(get_command(cli.app).commands)


def test_commands_are_there():
    assert {"check", "derive", "phase-map", "verify"} <= set(commands())


@pytest.mark.parametrize("args", [[], *([c] for c in ("check", "derive", "phase-map", "verify"))], ids=lambda a: " ".join(a) or "polylr")
def test_help_has_no_type_placeholder_for_flags(args):
    r = run(*args, "--help", env=WIDE)
    assert r.exit_code == 0, r.output
    assert "<bool>" not in r.output
    assert "--help" in r.output and "Show this message and exit." in r.output


def test_every_command_help_is_free_of_bool_placeholders():
    # Also commands added later: the group, not each command, removes the placeholder.
    for name in commands():
        assert "<bool>" not in run(name, "--help", env=WIDE).output, name


def test_a_plain_typer_app_would_show_the_placeholder():
    # Negative control: the same check fails on an app without polylr's group.
    plain = typer.Typer()

    @plain.command()
    def go(flag: bool = typer.Option(False, "--flag")) -> None:  # pragma: no cover
        pass

    assert "<bool>" in runner.invoke(plain, ["--help"], env=WIDE).output


def test_budget_shows_its_choices():
    assert polylr.core.budget.LEVELS == tuple(polylr.BUDGETS)  # the one vocabulary the CLI shows
    out = run("check", "--help", env=WIDE).output
    assert "tiny|quick|default|thorough" in out
    assert all("png|pdf|svg" in run(c, "--help", env=WIDE).output for c in ("check", "phase-map", "verify"))
    assert all("--json" in run(c, "--help", env=WIDE).output for c in ("check", "derive", "phase-map", "verify"))


HEAVY = ("jax", "sympy", "matplotlib", "scipy", "rich", "pydantic", "numpy")


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"]], ids=["polylr", "check"])
def test_help_imports_no_heavy_module(argv):
    # Deterministic rather than a timing (benchmarks/cli_help_time.py times it: < 1 s is the target):
    # which heavy modules `polylr --help` loads, in a fresh process. typer is the control that the
    # probe sees imports; rich and pydantic (typer's converters) were 0.1 s and 0.3 s of --help before.
    code = (
        "import sys\n"
        "from polylr.cli.main import main\n"
        f"sys.argv = ['polylr', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        f"print('loaded:', ','.join(m for m in {(*HEAVY, 'typer')!r} if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"})
    assert r.returncode == 0, r.stderr
    assert "Usage:" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "loaded: typer"


def test_public_names_load_on_first_use():
    # `import polylr` is light (the --help test above imports the package); the first public name
    # read binds every exported name and the subpackages, as eager imports did.
    assert {"Setup", "sweep", "REGISTRY", "check_theorem1"} <= set(dir(polylr))
    assert polylr.Setup is import_module("polylr.core.setup").Setup
    assert polylr.engines is import_module("polylr.engines") and len(polylr.REGISTRY) >= 5
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        polylr.nothing
    with pytest.raises(AttributeError):  # a private name never triggers the load
        getattr(polylr, "_private")


USAGE = {
    "unknown option": (["check", "--bogus"], "No such option: --bogus"),
    "bad integer": (["check", "theorem1", "--seeds", "abc"], "Invalid value for '--seeds'"),
    "missing argument": (["verify"], "Missing argument 'campaign'"),
    "unknown command": (["nosuch"], "No such command 'nosuch'"),
    "option without value": (["derive", "--depth"], "requires an argument"),
    "polylr's own error": (["check", "theorem1", "--budget", "huge"], "unknown budget 'huge'"),
    "bad format": (["phase-map", "--format", "gif"], "--format must be one of png, pdf, svg, got 'gif'"),
}


@pytest.mark.parametrize("case", USAGE, ids=list(USAGE))
def test_usage_errors_are_one_line_with_exit_code_2(case, tmp_path):
    args, message = USAGE[case]
    r = run(*args, "--out", tmp_path / "o") if case in ("polylr's own error", "bad format") else run(*args)
    assert r.exit_code == 2, r.output
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.stderr
    assert r.stdout == ""
    assert not (tmp_path / "o").exists()


def test_usage_error_in_a_real_process():
    r = subprocess.run([sys.executable, "-m", "polylr", "check", "--bogus"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: No such option: --bogus")
    assert "╭" not in r.stderr  # no boxed panel


def test_tables_do_not_wrap_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert cli.console().width == 10_000  # pytest's stdout is not a terminal
    monkeypatch.setenv("COLUMNS", "50")
    assert cli.console().width == 50  # COLUMNS is respected
    r = run("check", "--list", env={"COLUMNS": None})
    assert r.exit_code == 0
    for claim in polylr.REGISTRY.values():  # every cell on one line
        assert any(claim.statement in line and claim.prediction in line for line in r.stdout.splitlines()), claim.name


def test_progress_bars_show_an_eta(monkeypatch):
    import io

    from rich.console import Console

    buf = io.StringIO()
    monkeypatch.setattr(cli, "console", lambda stderr=False: Console(file=buf, force_terminal=True, width=120))
    with cli.progress_bar("x") as progress:  # the analysis layer sees only this callback
        progress(1, 4)
        progress("μP n = 4096")  # a claim's note of its stage, beside the label (the claim)
    assert "ETA" in buf.getvalue() and "1/4" in buf.getvalue() and "x: μP n = 4096" in buf.getvalue()


def test_progress_notes_are_lines_in_a_log(monkeypatch, capsys):
    """Where stderr is not a terminal (a log, a batch job) there is no bar, but each stage a claim
    notes is one plain line, so that a long run's log says where it got to."""
    with cli.progress_bar("gwb-relu-kindex") as progress:
        progress(1, 4)  # counts draw nothing in a log
        progress("μP n = 64")
    err = capsys.readouterr().err
    assert err.startswith("gwb-relu-kindex: μP n = 64 (") and err.endswith(" s)\n") and err.count("\n") == 1


def test_format_svg_and_json_for_check(tmp_path):
    out = tmp_path / "res"
    # The shapes of tests/test_cli.py's campaign: in one pytest run the compiled programs are reused.
    r = run("check", "theorem1", "--widths", "64,128,256", "--seeds", 6, "--depth", 2, "--format", "svg", "--json", "--out", out)
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (out / "theorem1").iterdir())
    assert names == ["error_loglog.svg", "eta_vs_width.svg", "loss_curves.svg", "results.json", "summary.json"]
    for name in names[:3]:
        text = (out / "theorem1" / name).read_text()
        assert text.startswith("<?xml") and "<svg" in text
    assert "(theorem1/loss_curves.svg)" in (out / "report.md").read_text()
    assert json.loads(r.stdout)[0]["verdicts"]  # --json of check is always a list


def test_format_and_json_for_phase_map(tmp_path):
    out = tmp_path / "pm"
    r = run("phase-map", "--v", "2,3", "--c", "0", "--widths", "64,128,256", "--seeds", 8,  # as tests/test_cli.py
            "--format", "svg", "--json", "--out", out)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["phase_map.json", "phase_map.svg"]
    assert "<svg" in (out / "phase_map.svg").read_text()
    assert json.loads(r.stdout) == json.loads((out / "phase_map.json").read_text())


def test_format_and_json_for_verify_claims(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('kind = "claims"\nclaims = ["theorem1"]\nwidths = [64, 128, 256]\nseeds = 6\ndepth = 2\n')
    r = run("verify", toml, "--out", tmp_path / "out", "--format", "pdf", "--json")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "theorem1" / "loss_curves.pdf").read_bytes().startswith(b"%PDF")
    (doc,) = json.loads(r.stdout)  # --json of check is always a list of versioned results
    assert doc["schema_version"] == 2
    folder = tmp_path / "out" / "theorem1"  # each: summary.json with the tidy rows of results.json
    assert doc == {**json.loads((folder / "summary.json").read_text()), "rows": json.loads((folder / "results.json").read_text())}


@pytest.mark.slow  # about 30 s: compiles the evaluation-mode programs
def test_format_and_json_for_verify_curves(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('kind = "curves"\nsteps = [1]\nparams = ["mup"]\nwidths = [8, 16]\nseeds = 2\ndepth = 1\n'
                    'eta = { lo = 0.1, hi = 2.0, points = 9 }\n')
    r = run("verify", toml, "--out", tmp_path / "out", "--format", "pdf", "--json")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["curves.json", "curves.pdf"]
    assert (tmp_path / "out" / "curves.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads(r.stdout) == json.loads((tmp_path / "out" / "curves.json").read_text())


def test_json_for_derive():
    r = run("derive", "--depth", 1, "--steps", 1, "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc == {"depth": 1, "steps": 1, "format": "markdown", "text": polylr.derive(1, 1, "markdown")}
