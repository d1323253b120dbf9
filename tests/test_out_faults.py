"""``--out`` on a full disk fails before any work, with one line (issue 12, part 5). A full disk is
simulated by a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored: a write past the limit then fails
with EFBIG, as a write to a full disk fails with ENOSPC): ``polylr check`` must refuse in its output
check, before JAX compiles anything, and leave no results store behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
resource = pytest.importorskip("resource")

PROBE = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
from polylr.cli.main import main
sys.argv = ['polylr', 'check', 'theorem1', '--widths', '8,16', '--seeds', '2', '--out', sys.argv[1]]
main()
"""


def _run(out: Path, limit: int):
    return subprocess.run([sys.executable, "-c", PROBE, str(out), str(limit)], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), "POLYLR_CACHE_DIR": str(out.parent / "cache")})


def test_full_disk_out_fails_before_any_work(tmp_path):
    out = tmp_path / "out"
    r = _run(out, 4096)
    assert r.returncode == 2, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: output folder") and "not writable: File too large" in lines[0]
    # before any work: the output check precedes the results store and every sweep, and the folder it
    # made is removed again (no store, no report: nothing was computed)
    assert not out.exists()


def test_room_enough_is_accepted_by_the_probe(tmp_path):
    # Control: the same probe with a limit above what it writes passes the output check (the run then
    # fails later, writing the store past the limit, as one line too).
    from polylr.report.render import PROBE_BYTES, prepare_out

    path, created = prepare_out(tmp_path / "ok")
    assert created and path.is_dir() and not any(path.iterdir()) and PROBE_BYTES >= 4096
