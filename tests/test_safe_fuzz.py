"""Issue 10, item 5: a CLI fuzz test. Random argument lists for every command end with exit 0, or
exit 2 with one line starting with 'error:' on stderr (click's own usage errors, exit 2 with its
'Usage:' box, count as refusals too) -- never a traceback, never a hang (each example runs under a
30 s alarm). Values are drawn from pools mixing valid, boundary and invalid ones, kept small enough
that a valid run is cheap (a few seconds)."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from polylr.cli.main import app

runner = CliRunner()
PER_EXAMPLE_S = 30

INTS = st.sampled_from(["0", "1", "2", "-1", "x", "1.5", "99999999999", "", "3"])
WIDTHS = st.sampled_from(["2,4", "1", "0", "abc", "4..2", "2..8", "2,2", "-4,8", "1e3", "2,,4", "99999999999,2"])
INTERVALS = st.sampled_from(["0,1", "1,0", "0,1e300", "-1,1", "nan,1", "0", "a,b", "0,inf", "0.5,0.7"])
FLOATS = st.sampled_from(["1", "1.5", "1e308", "-2", "nan", "x", "", "0.5,2"])

COMMON = {
    "check": [
        ("--widths", WIDTHS), ("--seeds", INTS), ("--depth", st.sampled_from(["1", "2", "0", "x"])),
        ("--steps", st.sampled_from(["1", "2", "0", "-1", "1000000", "x"])),
        ("--param", st.sampled_from(["mup", "sp", "ntp", "v=1.5,c=0.5", "zz", "v=x", ""])),
        ("--interval", INTERVALS), ("--budget", st.sampled_from(["tiny", "huge", ""])),
        ("--master-seed", INTS), ("--tol", st.sampled_from(["0.1", "0", "0.7", "nan", "x"])),
        ("--m", st.sampled_from(["4", "0", "-1"])), ("--d", st.sampled_from(["2", "0"])),
        ("--data", st.sampled_from(["missing.csv", ".", "data.csv", "data.npz"])),
    ],
    "derive": [
        ("--depth", st.sampled_from(["1", "2", "0", "-1", "x", "99999"])),
        ("--steps", st.sampled_from(["1", "2", "0", "x", "10", "20", "99999"])),
        ("--out", st.sampled_from(["d.md", ".", "sub/d.tex"])),
    ],
    "phase-map": [
        ("--v", st.sampled_from(["2", "1e308", "0.5", "x", "", "nan"])), ("--c", st.sampled_from(["0", "1e308", "x", "-0.5"])),
        ("--widths", WIDTHS), ("--seeds", INTS), ("--depth", st.sampled_from(["1", "0"])),
        ("--data", st.sampled_from(["missing.csv", ".", "data.csv"])),
    ],
    "verify": [],
}
CLAIMS = st.sampled_from(["theorem1", "theorem3", "sp", "ntp", "nosuch", "--all", "--list"])
TOMLS = st.sampled_from([
    'kind = "claims"\nclaims = ["theorem1"]\nwidths = "2,4"\nseeds = 2\nbudget = "tiny"\n',
    'kind = "claims"\nclaims = ["theorem1"]\nwidths = "64,128x"\nseeds = 2\n',
    'kind = "curves"\nwidths = "2,4"\nseeds = 1\nsteps = [1]\n[eta]\npoints = 3\n',
    'kind = "curves"\nwidths = [2, "4"]\n',
    'kind = "nope"\n',
    'kind = "claims"\nclaims = []\n',
    "not toml [[[",
    'kind = "claims"\nclaims = ["theorem1"]\nwidths = [2, 4]\nseeds = 2\n[data]\nfile = "data.csv"\n',
])


@st.composite
def argv(draw):
    cmd = draw(st.sampled_from(sorted(COMMON)))
    args = [cmd]
    if cmd == "check":
        args += draw(st.lists(CLAIMS, min_size=0, max_size=2))
    opts = COMMON[cmd]
    if opts:
        for name, values in draw(st.lists(st.sampled_from(opts), max_size=4, unique_by=lambda o: o[0])):
            args += [name, draw(values)]
    if cmd in ("check", "phase-map") and "--widths" not in args:
        args += ["--widths", "2,4"]  # keep a valid run cheap
    if cmd in ("check", "phase-map") and "--seeds" not in args:
        args += ["--seeds", "2"]
    if cmd == "phase-map":
        args += [o for o in (["--v", "2"] if "--v" not in args else []) + (["--c", "0"] if "--c" not in args else [])]
    return args, (draw(TOMLS) if cmd == "verify" else None)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang("an example ran over its time limit")


def _invoke_and_check(args, toml, limit_s):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "data.csv").write_text("x1,x2,y\n1,2,3\n2,1,1\n0.5,1,2\n1,1,1\n")
        (tmp / "data.npz").write_bytes(b"PK\x03\x04garbage")
        if toml is not None:
            (tmp / "c.toml").write_text(toml)
            args = args + [str(tmp / "c.toml")]
        if args[0] != "verify" and "--out" not in args:
            args = args + ["--out", str(tmp / "out")]
        args = [str(tmp / a) if a in ("data.csv", "data.npz", "missing.csv", "d.md", "sub/d.tex") else a for a in args]
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(limit_s)
        try:
            import os

            cwd = os.getcwd()
            os.chdir(tmp)  # verify writes results/<name> relative to the working directory
            try:
                r = runner.invoke(app, args)
            finally:
                os.chdir(cwd)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
    assert not isinstance(r.exception, Hang), (args, "hang")
    assert r.exit_code in (0, 2), (args, r.exit_code, r.output[-2000:], repr(r.exception))
    assert "Traceback" not in r.output, (args, r.output[-2000:])
    if r.exit_code == 2 and "Usage:" not in r.stderr:
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, r.stderr)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv())
def test_cli_fuzz(case):
    """Full: valid runs included (tiny widths, but compilation makes some take 30-60 s on 2 cores)."""
    _invoke_and_check(*case, limit_s=4 * PER_EXAMPLE_S)


QUICK = st.sampled_from([["--seeds", "0"], ["--widths", "0"], ["--depth", "0"], ["--interval", "1,0"], ["--data", "data.npz"]])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv(), QUICK, st.sampled_from(["1", "2", "0", "x", "-1"]), st.sampled_from(["1", "2", "0", "x"]))
def test_cli_fuzz_quick(case, bad, depth, steps):
    """Default run (<= 30 s): random argument lists with one invalid value appended for check and
    phase-map (so the run stops at validation), derive at small sizes, and every campaign kind."""
    args, toml = case
    if args[0] in ("check", "phase-map"):
        args = args + bad  # phase-map has no --interval: a click usage error, also exit 2
    elif args[0] == "derive":
        out = args[args.index("--out") : args.index("--out") + 2] if "--out" in args else []
        args = ["derive", "--depth", depth, "--steps", steps, *out]
    elif toml is not None and "[eta]" in toml:
        return  # a valid curves campaign: a real run (covered by the slow test)
    _invoke_and_check(args, toml, limit_s=PER_EXAMPLE_S)
