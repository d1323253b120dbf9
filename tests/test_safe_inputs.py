"""Issue 10: inputs parsed exactly, work bounded before it starts, messages naming the real cause.

Each test is a bullet of the issue's "Why" and failed on main before the fix (see the commit)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import polylr
from polylr.cli.main import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(r, *needles):
    assert r.exit_code == 2, (r.exit_code, r.output, r.exception)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert "Aborted" not in r.output and "Traceback" not in r.output


# -- 2. inputs parsed exactly ------------------------------------------------------------------


def test_toml_widths_string_is_parsed_like_the_cli(tmp_path):
    # main: widths = "64,128" ran widths [1, 2, 4, 6, 8] (the string iterated character by character).
    from polylr.campaigns import curves_from

    assert curves_from({"kind": "curves", "widths": "64,128"}).widths == (64, 128)
    assert curves_from({"kind": "curves", "widths": "64..256"}).widths == (64, 128, 256)
    with pytest.raises(polylr.InvalidInput, match="widths"):
        curves_from({"kind": "curves", "widths": True})


def test_toml_claims_values_are_type_checked(tmp_path):
    # main: widths = "1024" failed with "width n must be >= 1, got 0"; a string seeds crashed later.
    c = tmp_path / "c.toml"
    c.write_text('kind = "claims"\nclaims = ["theorem1"]\nwidths = "1024"\n')
    one_line_error(run("verify", c, "--out", tmp_path / "o"), "at least 2 widths", "1024")
    c.write_text('kind = "claims"\nclaims = ["theorem1"]\nseeds = "4"\n')
    one_line_error(run("verify", c, "--out", tmp_path / "o"), "seeds must be an integer")
    c.write_text('kind = "claims"\nclaims = ["theorem1"]\ntol = "0.1"\n')
    one_line_error(run("verify", c, "--out", tmp_path / "o"), "tol must be a finite number")


def test_csv_with_byte_order_mark_keeps_every_row(tmp_path):
    # main: the BOM made the header look numeric-less... and the first data row was dropped.
    p = tmp_path / "d.csv"
    p.write_bytes("\ufeffx1,x2,y\n1,2,3\n4,5,6.5\n7,8,9\n".encode("utf-8"))
    d = polylr.Data.from_file(p)
    assert d.m == 3 and d.y.tolist() == [3.0, 6.5, 9.0]
    p.write_bytes("\ufeff1,2,3\n4,5,6.5\n".encode("utf-8"))  # a BOM and no header
    assert polylr.Data.from_file(p).m == 2


def test_csv_first_row_with_a_typo_is_refused_not_dropped(tmp_path):
    # main: "1,2..5,3" was taken for a header and silently dropped.
    p = tmp_path / "d.csv"
    p.write_text("1,2..5,3\n4,5,6\n7,8,9\n")
    with pytest.raises(polylr.InvalidInput, match=r"line 1 .*'2\.\.5'"):
        polylr.Data.from_file(p)


@pytest.mark.parametrize(
    "name, content, needle",
    [
        ("latin.csv", b"x,y\n1,\xe9\n", "not UTF-8"),
        ("nul.csv", b"1,2\x00\x01\n", "NUL bytes"),
        ("empty.npz", b"", "is empty"),
        ("garbage.npz", bytes(range(256)), "npz"),
    ],
)
def test_bad_files_give_one_line(tmp_path, name, content, needle):
    # main: raw tracebacks (Latin-1, garbage .npz) and a bare "Aborted." (empty .npz).
    p = tmp_path / name
    p.write_bytes(content)
    one_line_error(run("check", "theorem1", "--data", p, "--out", tmp_path / "o"), needle, name)


@pytest.mark.parametrize(
    "X, y, needle",
    [
        (np.array([[1, "a"]] * 4, dtype=object), np.ones(4), "numeric .npz"),
        (np.ones((4, 2)) * (1 + 1j), np.ones(4), "complex"),
        (np.array([["1", "2"]] * 4), np.ones(4), "strings"),
    ],
)
def test_npz_arrays_must_be_real_numbers(tmp_path, X, y, needle):
    # main: object arrays -> traceback; complex X silently dropped its imaginary part; strings -> traceback.
    p = tmp_path / "d.npz"
    np.savez(p, X=X, y=y)
    with pytest.raises(polylr.InvalidInput, match=needle):
        polylr.Data.from_file(p)


def test_directory_as_data_says_so(tmp_path):
    # main: "does not exist".
    with pytest.raises(polylr.PolylrError, match="is a directory"):
        polylr.Data.from_file(tmp_path)


# -- 3. work bounded before it starts ------------------------------------------------------------


def test_dense_width_over_the_memory_limit_is_refused_before_work():
    # main: width 2^20 died with a JAX out-of-memory traceback after 12 s.
    with pytest.raises(polylr.TooLarge, match=r"GiB of (dense )?weights per network"):
        polylr.sweep(polylr.Setup(), [2**20, 2**21], 2, (0, 1))
    with pytest.raises(polylr.TooLarge):
        polylr.finite_width_polys(polylr.Setup(), 2**20, [0])


def test_one_width_and_huge_seeds_are_refused_before_work(tmp_path):
    # main: one width ran 133 s (width 8192) before "a rate needs at least 2 widths"; --seeds
    # 99999999999 raised MemoryError.
    one_line_error(run("check", "theorem1", "--widths", "8192", "--out", tmp_path / "o"), "at least 2 widths")
    one_line_error(run("check", "theorem1", "--seeds", "99999999999", "--out", tmp_path / "o"), "seeds")
    assert not (tmp_path / "o").exists()


# -- 4. messages naming the real cause ----------------------------------------------------------


@pytest.mark.parametrize("scale, key, word", [(1e200, "X", "overflows"), (1e-200, "X", "underflows"), (1e200, "y", "overflows")])
def test_data_scale_is_named(scale, key, word):
    # main: X × 1e200 said "interval must have lo < hi, got 0, 0"; y × 1e200 "the polynomial is too
    # high-degree"; X × 1e-200 a traceback.
    d = polylr.Data.synthetic()
    X, y = (d.X * scale, d.y) if key == "X" else (d.X, d.y * scale)
    with pytest.raises(polylr.InvalidInput, match=rf"data's scale \(max \|{key}\| = .*\) {word} float64; rescale"):
        polylr.Data(X, y)


def test_environment_failures_are_one_line(tmp_path, monkeypatch):
    # main: a full disk, or JAX_PLATFORMS=cuda without a GPU, gave raw tracebacks.
    def full(*a, **k):
        raise OSError(28, "No space left on device", str(tmp_path / "o"))

    monkeypatch.setattr("polylr.report.render.write_files", full)
    r = run("derive", "--out", tmp_path / "o" / "d.md")
    one_line_error(r, "No space left on device")



def test_unavailable_jax_platform_is_one_line_in_process(monkeypatch):
    import jax

    def no_device():
        raise AssertionError()  # what JAX 0.10 raises when JAX_PLATFORMS names a missing plugin

    monkeypatch.setenv("JAX_PLATFORMS", "cuda")
    monkeypatch.setattr(jax, "devices", no_device)
    one_line_error(run("derive"), "JAX_PLATFORMS='cuda'", "set it to 'cpu'")


@pytest.mark.slow
def test_unavailable_jax_platform_is_one_line(tmp_path):  # a subprocess: 5-35 s
    # main: JAX_PLATFORMS=cuda without a GPU gave a raw traceback (a bare AssertionError in JAX 0.10).
    import os
    import subprocess
    import sys

    env = {**os.environ, "JAX_PLATFORMS": "cuda", "PYTHONPATH": os.pathsep.join(sys.path)}
    r = subprocess.run([sys.executable, "-m", "polylr", "derive"], env=env, capture_output=True, text=True, timeout=120)
    if r.returncode == 0:  # a machine with a working CUDA backend
        return
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:"), r.stderr[-2000:]
    assert "JAX_PLATFORMS='cuda'" in lines[0]


def test_huge_parametrization_exponent_is_one_line(tmp_path):
    # main: phase-map --v 1e308 raised OverflowError (traceback). Found by tests/test_safe_fuzz.py.
    one_line_error(run("phase-map", "--v", "1e308", "--widths", "2,4", "--seeds", "2", "--out", tmp_path / "o"), "out_var", "1e+308")
    with pytest.raises(polylr.InvalidInput):
        polylr.Parametrization.parse("c=1e308")


def test_fit_rate_refuses_nan_and_negative_widths():
    # main: NaN samples gave a NaN exponent; a negative width raised LinAlgError.
    ok = [np.array([1.0, 1.1]), np.array([0.7, 0.8])]
    with pytest.raises(polylr.InvalidInput, match="finite"):
        polylr.fit_rate([64, 128], [ok[0], np.array([np.nan, 0.8])], n_boot=20)
    with pytest.raises(polylr.InvalidInput, match="width n"):
        polylr.fit_rate([-64, 128], ok, n_boot=20)


def test_derive_huge_depth_is_refused(tmp_path):
    # main: derive --depth 99999 hung (--steps 10) or raised ValueError (4300-digit limit). Found by the fuzz test.
    one_line_error(run("derive", "--depth", "99999", "--steps", "1", "--out", tmp_path / "d.md"), "depth L", "99999")
