"""The house rules, checked: layers (import-linter), no private names across modules, and no
global side effects on import."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def _private_imports(path: Path) -> list[str]:
    """``from polylr... import _x`` and ``polylr.<...>._x`` across modules (tests, benchmarks, package)."""
    bad = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("polylr")):
            bad += [f"{path}:{node.lineno}: {a.name}" for a in node.names if a.name.startswith("_") and a.name != "__version__"]
            if any(part.startswith("_") for part in (node.module or "").split(".")):
                bad.append(f"{path}:{node.lineno}: module {node.module}")
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if re.search(r"\bpolylr(\.[a-z]\w*)*\._[a-z]\w*", line):
            bad.append(f"{path}:{i}: {line.strip()}")
    return bad


def test_no_private_names_across_modules():
    files = [*ROOT.joinpath("polylr").rglob("*.py"), *ROOT.joinpath("tests").glob("*.py"), *ROOT.joinpath("benchmarks").glob("*.py")]
    bad = [b for f in files for b in _private_imports(f)]
    assert not bad, "\n".join(bad)


def test_private_import_checker_catches_one(tmp_path):
    """Negative control: the checker finds a planted private import."""
    f = tmp_path / "x.py"
    f.write_text("from polylr.engines.coeffs import _draw\nimport polylr\npolylr.analysis.sweep._resolved\n")
    assert len(_private_imports(f)) == 2


def test_import_changes_no_global_state():
    """``import polylr`` leaves JAX in 32-bit mode and matplotlib's backend alone, a float32 JAX
    computation stays float32, and polylr's own results are float64 all the same."""
    code = (
        "import sys, matplotlib, jax, jax.numpy as jnp\n"
        "backend = dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "import polylr\n"
        "assert jax.config.jax_enable_x64 is False, 'x64 switched on'\n"
        "assert jnp.ones(3).dtype == jnp.float32\n"
        "assert (jnp.ones(3) * 0.1).dtype == jnp.float32\n"
        "assert dict.__getitem__(matplotlib.rcParams, 'backend') == backend, 'backend changed'\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "p = polylr.finite_width_polys(polylr.Setup(), 8, [0])\n"
        "assert p.loss.dtype.name == 'float64'\n"
        "assert jax.config.jax_enable_x64 is False\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
