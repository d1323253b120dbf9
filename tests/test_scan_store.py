"""The trained networks' learning-rate scans in the results store (Runner.scan): a scan read back
equals the one computed, a changed setting computes again, and a check of a training claim resumes at
the width it was on (a GWB paper-scale run on a GPU needs more than one device lease)."""

import json
import sqlite3

import jax
import numpy as np
import pytest
from typer.testing import CliRunner

import polylr
import polylr.analysis.distributed as distributed
from polylr.analysis.train import LRScan, scan_identity
from polylr.cli.main import app
from polylr.report.store import ResultStore


def tiny_training() -> polylr.Training:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    data = polylr.Data(X, np.tanh(X[:, 0]), source="test")
    held = polylr.Data(X[:16] + 0.1, np.tanh(X[:16, 0] + 0.1), source="held")
    return polylr.Training(net=polylr.MLP(depth=1, activation="relu", param=polylr.MUP_ADAM), optimizer=polylr.Optimizer("adam"),
                           data=data, eval_data=held, steps=6, batch=16, order_seed=1)


GRID = np.geomspace(0.01, 1.0, 6)


def same_scan(a: LRScan, b: LRScan) -> bool:
    ca, cb = a.curves, b.curves
    arrays = all(np.array_equal(x, y) for x, y in ((a.grid, b.grid), (ca.etas, cb.etas), (ca.curve, cb.curve), (ca.final, cb.final),
                                                  (ca.eval, cb.eval), (ca.objective, cb.objective), (ca.diverged, cb.diverged)))
    return arrays and a.argmins == b.argmins and a.mean_argmin == b.mean_argmin and ca.seeds == cb.seeds and a.evaluations == b.evaluations


def test_a_scan_record_reads_back_equal():
    tr = tiny_training()
    s = polylr.scan_lr(tr, 8, (0, 1), GRID, xtol=0.2, max_rounds=2)
    meta, blob = s.to_record()
    back = LRScan.from_record(tr, json.loads(json.dumps(meta)), blob)  # as the store keeps it: JSON and an .npz
    assert same_scan(s, back) and back.curves.training is tr and back.curves.curve.dtype == np.float64
    assert back.to_json() == s.to_json()
    with pytest.raises(polylr.PolylrError, match="format"):
        LRScan.from_record(tr, {**meta, "format": 99}, blob)


def test_runner_reads_a_stored_scan_and_recomputes_a_changed_one(tmp_path, monkeypatch):
    tr = tiny_training()
    with ResultStore(tmp_path) as store:
        first = distributed.Runner(store, claim="c")
        s = first.scan(tr, 8, range(2), GRID, xtol=0.2, max_rounds=2)
        assert (first.computed, first.reused) == (2, 0)
        trained = []
        real = distributed.scan_lr
        monkeypatch.setattr(distributed, "scan_lr", lambda *a, **kw: trained.append(kw) or real(*a, **kw))
        again = distributed.Runner(store, claim="c")
        assert same_scan(again.scan(tr, 8, range(2), GRID, xtol=0.2, max_rounds=2), s)
        assert (again.computed, again.reused, trained) == (0, 2, [])  # read back, nothing trained
        other = again.scan(tr, 8, range(2), GRID, xtol=0.2, max_rounds=2, master_seed=1)  # the control: other networks
        assert len(trained) == 1 and again.computed == 2 and not same_scan(other, s)
        assert again.scan(tr, 8, range(2), GRID, xtol=0.2, max_rounds=2, chunk_bytes=2**20) is not None and len(trained) == 1
        offline = distributed.Runner(store, claim="c", offline=True)
        with pytest.raises(polylr.NotResolved, match="lacks claim 'c'"):
            offline.scan(tr, 16, range(2), GRID, xtol=0.2, max_rounds=2)
    with sqlite3.connect(tmp_path / "results.sqlite") as c:
        assert c.execute("SELECT claim, width FROM scans ORDER BY rowid").fetchall() == [("c", 8), ("c", 8)]


def test_scan_identity_names_what_decides_the_scan():
    tr = tiny_training()
    key, desc = scan_identity(tr, 8, range(2), GRID, xtol=0.2)
    assert desc["data_digest"] == tr.data.digest and desc["eval_digest"] == tr.eval_data.digest and desc["backend"] == jax.default_backend()
    assert scan_identity(tr, 8, [0, 1], list(GRID), xtol=0.2)[0] == key
    moved = polylr.Data(tr.data.X.copy(), tr.data.y + 1e-12, source="test")  # same source name, other numbers
    changed = [scan_identity(tr.replace(data=moved), 8, range(2), GRID, xtol=0.2), scan_identity(tr, 16, range(2), GRID, xtol=0.2),
               scan_identity(tr, 8, range(3), GRID, xtol=0.2), scan_identity(tr, 8, range(2), GRID * 1.01, xtol=0.2),
               scan_identity(tr, 8, range(2), GRID, xtol=0.2, master_seed=1), scan_identity(tr.replace(steps=7), 8, range(2), GRID, xtol=0.2),
               scan_identity(tr, 8, range(2), GRID, xtol=0.2, refine_mean=False)]
    assert len({key, *(k for k, _ in changed)}) == 1 + len(changed)


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_training_claim_resumes_at_the_width_it_was_on(tmp_path):
    """A check of gwb-relu-kindex stopped after its first widths (here: run on them alone) is
    continued on more widths by reading those widths' scans back, and ends with the results of an
    uninterrupted run; the counts are (width, seed) rows, one scan per panel and width."""
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    common = ("--budget", "tiny", "--seeds", 2)
    r = cli("check", "gwb-relu-kindex", *common, "--widths", "16,32", "--out", out)
    assert r.exit_code == 0, r.output
    assert "0 rows reused, 8 computed" in r.output  # 2 panels x 2 widths x 2 seeds
    r = cli("check", "gwb-relu-kindex", *common, "--widths", "16,32,48", "--out", out)
    assert r.exit_code == 0, r.output
    assert "8 rows reused, 4 computed" in r.output
    r = cli("check", "gwb-relu-kindex", *common, "--widths", "16,32,48", "--out", fresh)
    assert r.exit_code == 0 and "0 rows reused, 12 computed" in r.output, r.output
    resumed, whole = (json.loads((d / "gwb-relu-kindex" / "results.json").read_text()) for d in (out, fresh))
    assert resumed == whole


def _scans(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as c:
            return c.execute("SELECT count(*) FROM scans").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_killed_training_claim_resumes_with_its_finished_scans(tmp_path):
    """SIGTERM in the middle of gwb-relu-kindex: the scans committed so far stay, and the same
    command with --resume reads them back and trains only the rest (the counts say so), ending with
    the results of an uninterrupted run."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)  # the wheels' folder too, where one is set
    env = {**os.environ, "PYTHONPATH": path, "POLYLR_CACHE_DIR": str(tmp_path / "cache")}
    out, fresh, widths = tmp_path / "out", tmp_path / "fresh", "16,24,32"
    cmd = [sys.executable, "-m", "polylr", "check", "gwb-relu-kindex", "--budget", "tiny", "--seeds", "2", "--widths", widths]
    p = subprocess.Popen([*cmd, "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while _scans(out / "results.sqlite") == 0 and p.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    done = _scans(out / "results.sqlite")
    assert p.returncode != 0, "the check finished before the signal: nothing was interrupted"
    assert 0 < done < 6  # 2 panels x 3 widths
    r = subprocess.run([*cmd, "--out", str(out), "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{2 * done} rows reused, {2 * (6 - done)} computed" in r.stdout
    r = subprocess.run([*cmd, "--out", str(fresh)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    resumed, whole = (json.loads((d / "gwb-relu-kindex" / "results.json").read_text()) for d in (out, fresh))
    assert resumed == whole


def test_an_interrupted_check_says_what_it_kept(tmp_path, monkeypatch):
    """Ctrl-C (KeyboardInterrupt) after two scans: the check says how many rows the store keeps and
    how to go on; the --resume run reads them back."""
    out = tmp_path / "out"
    real, calls = distributed.scan_lr, []

    def stop_at_the_third(*a, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(distributed, "scan_lr", stop_at_the_third)
    r = CliRunner().invoke(app, ["check", "gwb-relu-kindex", "--budget", "tiny", "--seeds", "2", "--out", str(out)])
    assert isinstance(r.exception, KeyboardInterrupt) or r.exit_code != 0, r.output
    assert f"interrupted: {out / 'results.sqlite'} keeps the 4 (width, seed) rows computed so far" in r.output  # 2 scans x 2 seeds
    monkeypatch.setattr(distributed, "scan_lr", real)
    r = cli("check", "gwb-relu-kindex", "--budget", "tiny", "--seeds", "2", "--out", out, "--resume")
    assert r.exit_code == 0 and "4 rows reused, 4 computed" in r.output, r.output


def test_export_has_one_row_per_trained_network(tmp_path):
    """polylr export of a training claim's campaign: one row per (panel, width, seed), method
    "train", whose optimum is the claim's own per-seed η* (summary.json), with its parametrization."""
    out = tmp_path / "out"
    assert cli("check", "gwb-relu-kindex", "--budget", "tiny", "--seeds", 2, "--out", out).exit_code == 0
    assert cli("export", out, "--format", "json").exit_code == 0
    rows = json.loads((out / "results.json").read_text())
    assert len(rows) == 2 * 2 * 2 and {r["method"] for r in rows} == {"train"} and {r["width"] for r in rows} == {16, 32}
    panels = json.loads((out / "gwb-relu-kindex" / "summary.json").read_text())["panels"]
    names = {"μP": "mup-adam", "μP, 2nd-layer lr ÷ 50": "mup-adam*lr(1,1,0.02)"}
    for label, scans in panels.items():
        for w, s in scans.items():
            got = sorted((r["seed"], r["eta"]) for r in rows if r["parametrization"] == names[label] and r["width"] == int(w))
            assert got == list(enumerate(s["etas_star"])), (label, w)


def test_a_new_training_program_is_another_scan(monkeypatch):
    """Raising TRAINING_PROGRAM (a change to what the training computes) changes every identity, so an
    old store's scans are not read back as if the new program had computed them."""
    import polylr.analysis.train as train_module

    tr = tiny_training()
    key, desc = scan_identity(tr, 8, range(2), GRID)
    assert desc["program"] == train_module.TRAINING_PROGRAM
    monkeypatch.setattr(train_module, "TRAINING_PROGRAM", train_module.TRAINING_PROGRAM + 1)
    assert scan_identity(tr, 8, range(2), GRID)[0] != key
