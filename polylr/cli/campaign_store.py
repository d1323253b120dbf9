"""The CLI's side of the results store: open the campaign's store, pick the executor, the JAX
compilation cache, and ``polylr export``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

from ..analysis.frames import data_hash
from ..analysis.distributed import DaskExecutor, DeviceExecutor, Runner, SerialExecutor, check_cluster
from ..core.errors import InvalidInput, PolylrError
from ..report.store import SCHEMA_VERSION, STORE_NAME
from ..report.store import EXPORT_FORMATS, ResultStore, campaign_identity, export

__all__ = ["SCHEMA_VERSION", "STORE_NAME", "data_hash", "cache_dir", "enable_compilation_cache", "check_campaign",
           "open_store", "make_executor", "runner", "export_command"]


def cache_dir() -> Path:
    """The JAX persistent compilation cache folder: ``$POLYLR_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/polylr/jax``, else ``~/.cache/polylr/jax``."""
    if os.environ.get("POLYLR_CACHE_DIR"):
        return Path(os.environ["POLYLR_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "polylr" / "jax"


def enable_compilation_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache in :func:`cache_dir` (unless ``JAX_COMPILATION_CACHE_DIR``
    already chose one); returns the folder, or None when it cannot be created (the run goes on uncached)."""
    import jax  # noqa: PLC0415

    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return path


def check_campaign(root: Path, description: dict, *, resume: bool, fresh: bool, cluster: str | None) -> None:
    """Validate the store options before any folder is made or work done. ``resume``: ``root`` must
    already hold this campaign (one line naming what it holds otherwise)."""
    if resume and fresh:
        raise InvalidInput("give --resume or --fresh, not both")
    if cluster is not None:
        check_cluster(cluster)
    if not resume:
        return
    path = root / STORE_NAME
    if not path.is_file():
        raise InvalidInput(f"nothing to resume: {str(root)!r} holds no results store ({STORE_NAME})")
    cid = campaign_identity(description)
    with ResultStore(root, create=False) as probe:
        known = [c["campaign"] for c in probe.campaigns()]
    if cid not in known:
        raise InvalidInput(f"nothing to resume: {str(root)!r} holds no campaign {cid} (it holds {', '.join(known) or 'none'}); drop --resume to start it")


def open_store(root: Path, description: dict, *, fresh: bool) -> ResultStore:
    """The store of ``root`` with this campaign begun (``fresh``: stored rows discarded first).
    Finished (width, seed) rows of the same sweeps are reused."""
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(root / STORE_NAME) + suffix).unlink(missing_ok=True)
    store = ResultStore(root)
    store.begin_campaign(description)
    return store


def make_executor(cluster: str | None, devices: bool):
    if cluster is not None:
        return DaskExecutor(check_cluster(cluster))
    return DeviceExecutor() if devices else SerialExecutor()


@contextlib.contextmanager
def runner(store: ResultStore, executor, claim: str):
    """A :class:`Runner` for one claim's sweeps (pass it as ``CheckOptions(runner=...)``): chunks
    committed to the store as they finish; its counts are added to the store's when the claim ends."""
    r = Runner(store, executor, claim=claim)
    try:
        yield r
    finally:
        store.reused += r.reused
        store.computed += r.computed


def export_command(
    folder: Annotated[Path, typer.Argument(help="An output folder of polylr check (holding results.sqlite).")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(EXPORT_FORMATS)} (parquet needs the 'parquet' extra).")] = "csv",
    out: Annotated[Path | None, typer.Option(help="Output file (default: FOLDER/results.FORMAT).")] = None,
) -> None:
    """Export the results store's rows as one tidy table: CSV, JSON (list of records) or Parquet."""
    from rich.console import Console  # noqa: PLC0415
    from rich.markup import escape  # noqa: PLC0415

    try:
        path = export(folder, fmt, out)
    except PolylrError as e:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(e))}", soft_wrap=True)
        raise typer.Exit(2) from None
    print(f"wrote {path}")

