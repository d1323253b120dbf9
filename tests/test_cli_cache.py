"""The JAX persistent compilation cache is on by default in ``polylr check`` and ``--no-cache``
skips it (issue 12, part 2c); the folder is the documented one."""

import contextlib

import jax
import pytest
from typer.testing import CliRunner

from polylr.cli import campaign_store
from polylr.cli.main import app
from polylr.core.errors import PolylrError

ARGS = ["check", "theorem1", "--widths", "8,16", "--seeds", "2"]


@pytest.fixture
def probes(monkeypatch):
    """Record whether the cache was turned on, and stop the campaign where its first sweep would start."""
    calls = []
    monkeypatch.setattr(campaign_store, "enable_compilation_cache", lambda: calls.append("cache"))

    @contextlib.contextmanager
    def stop(*args, **kwargs):
        raise PolylrError("stopped before the first sweep")
        yield  # pragma: no cover

    monkeypatch.setattr(campaign_store, "runner", stop)
    return calls


@pytest.mark.parametrize("flags, expected", [([], ["cache"]), (["--no-cache"], [])], ids=["default", "no-cache"])
def test_cache_is_on_by_default_and_no_cache_skips_it(tmp_path, probes, flags, expected):
    r = CliRunner().invoke(app, [*ARGS, "--out", str(tmp_path / "o"), *flags])
    assert r.exit_code == 2 and "stopped before the first sweep" in r.output, r.output
    assert probes == expected


def test_enable_compilation_cache_points_jax_at_the_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    monkeypatch.setenv("POLYLR_CACHE_DIR", str(tmp_path / "jax-cache"))
    before = (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs)
    try:
        assert campaign_store.enable_compilation_cache() == tmp_path / "jax-cache"
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "jax-cache") and (tmp_path / "jax-cache").is_dir()
    finally:  # the rest of the test session runs uncached, as before
        jax.config.update("jax_compilation_cache_dir", before[0])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", before[1])
