"""The results store, resume, export and scale-out: exact (bit-for-bit) equality with the plain
one-process sweep is the oracle throughout; faults (SIGTERM/SIGINT, concurrent writers, read-only
folders) must leave a store that completes to exactly those rows."""

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import polylr
from polylr.claims.width_free import SAMPLER
from polylr.cli.main import app
from polylr.report.store import STORE_SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
SETUP = polylr.Setup(depth=1)
WIDTHS, SEEDS, INTERVAL = (8, 16), 5, (0.0, 3.0)


@pytest.fixture(scope="module")
def reference():
    """The plain one-process sweep (the engine's own batching)."""
    return polylr.sweep(SETUP, WIDTHS, SEEDS, INTERVAL, master_seed=7)


def assert_same_sweep(a, b):
    """Bit for bit: rows (η_n, loss minimum, flags) and every coefficient array."""
    assert a.rows == b.rows
    assert a.widths == b.widths and a.seeds == b.seeds
    for w in a.widths:
        assert np.array_equal(a.loss[w], b.loss[w]) and np.array_equal(a.outputs[w], b.outputs[w])


def run_with(runner):
    return polylr.sweep(SETUP, WIDTHS, SEEDS, INTERVAL, master_seed=7, runner=runner)


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_chunking_is_bit_for_bit(reference, chunk):
    # Before the engine batched seeds in a fixed shape this failed (last-bit differences of 2e-16).
    assert_same_sweep(run_with(polylr.Runner(chunk_seeds=chunk)), reference)


def test_store_resume_recomputes_nothing_and_round_trips(tmp_path, reference):
    store = polylr.ResultStore(tmp_path)
    store.begin_campaign({"test": 1})
    first = polylr.Runner(store, chunk_seeds=2, claim="c")
    assert_same_sweep(run_with(first), reference)  # rebuilt from the store, so the store is exact
    assert first.computed == len(WIDTHS) * SEEDS
    again = polylr.Runner(store, chunk_seeds=3, claim="c")
    assert_same_sweep(run_with(again), reference)
    assert (again.computed, again.reused) == (0, len(WIDTHS) * SEEDS)
    # More seeds: only the new pairs are computed, and they equal a fresh sweep's.
    more = polylr.Runner(store, claim="c")
    big = polylr.sweep(SETUP, WIDTHS, SEEDS + 2, INTERVAL, master_seed=7, runner=more)
    assert more.computed == 2 * len(WIDTHS)
    assert big.rows == polylr.sweep(SETUP, WIDTHS, SEEDS + 2, INTERVAL, master_seed=7).rows
    # Tidy rows carry their context.
    df = big.to_pandas() if _has("pandas") else None
    if df is not None:
        assert len(df) == len(WIDTHS) * (SEEDS + 2) and set(df["depth"]) == {1} and set(df["master_seed"]) == {7}
    if _has("pyarrow"):
        t = big.to_arrow()
        assert t.num_rows == len(WIDTHS) * (SEEDS + 2) and t.column("eta").to_pylist() == [r["eta"] for r in big.rows]
    assert store.integrity() == "ok"
    store.close()


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def test_inf_and_nan_survive_store_and_exports(tmp_path, monkeypatch):
    spec = polylr.SweepSpec(SETUP, (8,), 3, INTERVAL)
    rows = [{"width": 8, "seed": s, "eta": e, "loss_min": v, "on_boundary": True, "unique": False, "local_minima": 0,
             "method": "gd", "seconds": 0.0, "loss": None, "outputs": None, "grid_etas": np.array([0.0, 1.0]),
             "grid_values": np.array([v, -math.inf])}
            for s, (e, v) in enumerate([(math.inf, math.nan), (-math.inf, 1.5), (0.25, math.inf)])]
    with polylr.ResultStore(tmp_path) as store:
        store.write(spec, rows, "c")
        back = store.load(spec, "c")
    for r in rows:
        got = back[(8, r["seed"])]
        for k in ("eta", "loss_min"):
            assert got[k] == r[k] or (math.isnan(got[k]) and math.isnan(r[k]))
        assert np.array_equal(got["grid_values"], r["grid_values"], equal_nan=True)
    csv_text = polylr.export_results(tmp_path, "csv").read_text()
    assert ",inf,nan," in csv_text and ",-inf,1.5," in csv_text
    doc = json.loads((polylr.export_results(tmp_path, "json")).read_text())
    assert [(d["eta"], d["loss_min"]) for d in doc] == [("inf", "nan"), ("-inf", 1.5), (0.25, "inf")]
    assert all(d["schema_version"] == STORE_SCHEMA_VERSION == 3 and d["depth"] == 1 and d["claim"] == "c" for d in doc)
    if _has("pyarrow"):
        import pyarrow.parquet

        t = pyarrow.parquet.read_table(polylr.export_results(tmp_path, "parquet")).to_pydict()
        assert t["eta"] == [math.inf, -math.inf, 0.25] and math.isnan(t["loss_min"][0])
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the extra were not installed
    r = CliRunner().invoke(app, ["export", str(tmp_path), "--format", "parquet"])
    assert r.exit_code == 2 and "pip install 'polylr[parquet]'" in r.output and len(r.output.strip().splitlines()) == 1
    r = CliRunner().invoke(app, ["export", str(tmp_path / "none"), "--format", "csv"])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_dask_local_cluster_equals_single_process(reference):
    pytest.importorskip("dask.distributed")
    executor = polylr.DaskExecutor("local:2", processes=False)
    try:
        got = run_with(polylr.Runner(executor=executor, chunk_seeds=2))
    finally:
        executor.close()
    assert_same_sweep(got, reference)


def test_cluster_and_resume_errors(tmp_path):
    runner = CliRunner()
    for flag, msg in [(["--cluster", "local:0"], "must be in [1, 256]"), (["--cluster", "http://x"], "'local:N' or 'tcp://host:port'"),
                      (["--resume"], "nothing to resume"), (["--cluster", "local:2", "--devices"], "give --cluster or --devices, not both")]:
        r = runner.invoke(app, ["check", "theorem1", "--widths", "8,16", "--seeds", "2", "--out", str(tmp_path / "o"), *flag])
        assert r.exit_code == 2 and msg in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()  # refused before any work


def _check_unwritable(out):
    t0 = time.perf_counter()
    r = CliRunner().invoke(app, ["check", "theorem1", "--widths", "8,16", "--seeds", "2", "--out", str(out)])
    assert r.exit_code == 2 and "not writable" in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert time.perf_counter() - t0 < 5  # before any work (a sweep would compile for seconds)


def test_unwritable_out_fails_before_work(tmp_path):
    (tmp_path / "file").write_text("")
    _check_unwritable(tmp_path / "file" / "out")  # a path under a file: fails as root too


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_out_fails_before_work(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        _check_unwritable(ro)
        assert not any(ro.iterdir())
    finally:
        ro.chmod(0o755)


WRITER = """
import sys, numpy as np, polylr
spec = polylr.SweepSpec(polylr.Setup(depth=1), (8,), 400, (0.0, 3.0))
store = polylr.ResultStore(sys.argv[1])
store.begin_campaign({"writer": sys.argv[2]})
for s in range(0, 400, 4):  # 100 transactions, the same rows from both writers
    store.write(spec, [{"width": 8, "seed": k, "eta": k / 7, "loss_min": 1.0, "on_boundary": False, "unique": True,
                        "local_minima": 1, "method": "polynomial", "seconds": 0.0, "loss": np.arange(5.0) * k,
                        "outputs": np.ones((5, 16)), "grid_etas": None, "grid_values": None} for k in range(s, s + 4)], "c")
"""


def _env(tmp_path):
    return {**os.environ, "PYTHONPATH": str(ROOT), "POLYLR_CACHE_DIR": str(tmp_path / "cache")}


def test_two_processes_share_one_store(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(i)], env=_env(tmp_path)) for i in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with polylr.ResultStore(tmp_path, create=False) as store:
        assert store.integrity() == "ok" and len(store.campaigns()) == 2
        rows = store.load(polylr.SweepSpec(polylr.Setup(depth=1), (8,), 400, (0.0, 3.0)), "c")
    assert sorted(rows) == [(8, k) for k in range(400)]
    assert all(r["eta"] == k / 7 and np.array_equal(r["loss"], np.arange(5.0) * k) for (_, k), r in rows.items())


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as c:
            return c.execute("SELECT count(*) FROM rows").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, pytest.param(signal.SIGINT, marks=pytest.mark.slow)])
def test_killed_campaign_resumes_to_the_uninterrupted_rows(tmp_path, sig):
    out, widths, seeds = tmp_path / "out", [8, 16, 32, 64], 3
    cmd = [sys.executable, "-m", "polylr", "check", "theorem1", "--widths", ",".join(map(str, widths)), "--seeds",
           str(seeds), "--depth", "1", "--out", str(out)]
    p = subprocess.Popen(cmd, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while _count(out / "results.sqlite") == 0 and p.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    p.send_signal(sig)
    p.wait(timeout=60)
    committed = _count(out / "results.sqlite")
    assert p.returncode != 0, "the campaign finished before the signal: nothing was interrupted"
    assert 0 < committed < len(widths) * seeds
    r = subprocess.run([*cmd, "--resume"], env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{committed} rows reused, {len(widths) * seeds - committed} computed" in r.stdout
    with sqlite3.connect(out / "results.sqlite") as c:
        lo, hi, ms = c.execute("SELECT DISTINCT interval_lo, interval_hi, master_seed FROM rows").fetchone()
        stored = c.execute("SELECT width, seed, eta, loss_min, on_boundary, \"unique\" FROM rows ORDER BY width, seed").fetchall()
    # theorem1 samples with claims.width_free.SAMPLER (Gram above the crossover, dense below)
    ref = polylr.sweep(SETUP, widths, seeds, (lo, hi), master_seed=ms, sampler=SAMPLER)
    assert stored == [(r["width"], r["seed"], r["eta"], r["loss_min"], int(r["on_boundary"]), int(r["unique"])) for r in ref.rows]


DEVICES = """
import jax, numpy as np, polylr
assert len(jax.devices()) == 2, jax.devices()
setup = polylr.Setup(depth=1)
ref = polylr.sweep(setup, (8, 16), 5, (0.0, 3.0), master_seed=7)
ex = polylr.DeviceExecutor()
got = polylr.sweep(setup, (8, 16), 5, (0.0, 3.0), master_seed=7, runner=polylr.Runner(executor=ex, chunk_seeds=2))
ex.close()
assert got.rows == ref.rows and all(np.array_equal(got.loss[w], ref.loss[w]) for w in ref.widths)
"""


@pytest.mark.slow  # a fresh process with 2 forced host devices: ~11 s CPU, ~50 s wall on a loaded machine
def test_seeds_sharded_over_two_devices_equal_one_device(tmp_path):
    env = {**_env(tmp_path), "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    r = subprocess.run([sys.executable, "-c", DEVICES], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]


def test_compilation_cache_folder(monkeypatch, tmp_path):
    from polylr.cli import campaign_store

    monkeypatch.setenv("POLYLR_CACHE_DIR", str(tmp_path / "c"))
    assert campaign_store.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("POLYLR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert campaign_store.cache_dir() == tmp_path / "x" / "polylr" / "jax"


def test_a_version_2_store_is_upgraded_with_its_rows(tmp_path):
    """Version 3 added the table of trained networks' scans; a version-2 store (no such table) opens
    as version 3 with its rows unchanged, and takes scans."""
    r = CliRunner().invoke(app, ["check", "theorem1", "--widths", "8,16", "--seeds", "2", "--depth", "1", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    with sqlite3.connect(tmp_path / "results.sqlite") as c:
        rows = c.execute("SELECT * FROM rows ORDER BY width, seed").fetchall()
        c.execute("DROP TABLE scans")
        c.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with polylr.ResultStore(tmp_path, create=False) as store:
        store.write_scan("c", "k", {}, {"width": 8}, b"x")
        assert store.load_scan("c", "k") == ({"width": 8}, b"x") and store.load_scan("c", "other") is None
    with sqlite3.connect(tmp_path / "results.sqlite") as c:
        assert c.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(STORE_SCHEMA_VERSION),)
        assert c.execute("SELECT * FROM rows ORDER BY width, seed").fetchall() == rows
