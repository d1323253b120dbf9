"""The CLI's side of the results store: open the campaign's store, pick the executor, the JAX
compilation cache, and ``polylr export``."""

from __future__ import annotations

import contextlib
import re
import os
from pathlib import Path
from typing import Annotated

import typer

from ..analysis.frames import data_hash
from ..analysis.distributed import DaskExecutor, DeviceExecutor, Runner, SerialExecutor, check_cluster
from ..core.errors import InvalidInput, PolylrError
from ..report.store import STORE_SCHEMA_VERSION, STORE_NAME
from ..report.store import EXPORT_FORMATS, ResultStore, campaign_identity, export

__all__ = ["STORE_SCHEMA_VERSION", "STORE_NAME", "data_hash", "cache_dir", "enable_compilation_cache", "check_campaign", "rebuild_report",
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


def check_campaign(root: Path, description: dict, *, resume: bool, fresh: bool, cluster: str | None, devices: bool = False) -> None:
    """Validate the store options before any folder is made or work done. ``resume``: ``root`` must
    already hold this campaign (one line naming what it holds otherwise)."""
    if resume and fresh:
        raise InvalidInput("give --resume or --fresh, not both")
    if cluster is not None and devices:
        raise InvalidInput("give --cluster or --devices, not both (the chunks run on the cluster's workers or on this machine's devices)")
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
    from .guard import fail  # noqa: PLC0415

    try:
        path = export(folder, fmt, out)
    except PolylrError as e:
        fail(str(e))
    print(f"wrote {path}")



_SYNTHETIC = re.compile(r"synthetic\(m=(\d+), d=(\d+), noise=([^,]+), seed=(\d+)\)")


def _stored_data(source: str, want_hash: str, data: Path | None):
    """The campaign's data set: rebuilt from its recorded source (the built-in synthetic data, or the
    file it was read from, or ``data``), and checked against the stored hash."""
    from ..core.setup import Data  # noqa: PLC0415

    m = _SYNTHETIC.fullmatch(source)
    if data is not None:
        ds = Data.from_file(data)
    elif m:
        ds = Data.synthetic(int(m.group(1)), int(m.group(2)), noise=float(m.group(3)), seed=int(m.group(4)))
    elif Path(source).is_file():
        ds = Data.from_file(source)
    else:
        raise InvalidInput(f"the campaign's data ({source!r}) is not a file here: give it with --data")
    from ..core.setup import Setup  # noqa: PLC0415

    got = data_hash(Setup(data=ds))
    if got != want_hash:
        raise InvalidInput(f"the data given ({ds.source!r}) has hash {got}, the campaign's has {want_hash}: not the same data set")
    return ds


def rebuild_report(folder: Path, *, fmt: str = "png", latex: bool = False, data: Path | None = None,
                   campaign: str | None = None) -> list[Path]:
    """Re-render a ``polylr check`` campaign's report (``report.md``, each claim's ``results.json``
    and figures) from its results store alone: every sweep row is read from the store (a missing row
    is an error, no network is trained); the deterministic, cheap parts (limits η_∞, fits with their
    recorded bootstrap seeds) are recomputed. Returns the files written."""
    import dataclasses  # noqa: PLC0415

    from ..claims.base import CheckOptions, get_budget, get_claim  # noqa: PLC0415
    from ..core.setup import Parametrization, Setup  # noqa: PLC0415
    from ..report import render  # noqa: PLC0415
    from .options import claim_setup  # noqa: PLC0415

    folder = Path(folder)
    if not (folder / STORE_NAME).is_file():
        raise InvalidInput(f"{str(folder)!r} holds no results store ({STORE_NAME})")
    store = ResultStore(folder, create=False)
    try:
        known = store.campaigns()
        if campaign is not None:
            known = [c for c in known if c["campaign"] == campaign]
            if not known:
                raise InvalidInput(f"the store holds no campaign {campaign!r}")
        finished = [c for c in known if c["finished"]]
        if not finished:
            raise InvalidInput(f"{str(folder)!r} holds no finished campaign: complete it with polylr check ... --resume")
        desc = finished[-1]["description"]
        stored_claims = store.claims()
        missing = [c for c in desc["claims"] if c not in stored_claims]
        if missing:
            raise InvalidInput(f"claim(s) {', '.join(missing)} keep no rows or scans in the results store: their report cannot be rebuilt from it")
        sd = desc["setup"]
        ds = _stored_data(sd["data"], desc["data_hash"], data)
        setup = Setup(data=ds, depth=sd["depth"], steps=1, param=Parametrization.parse(sd["parametrization"]))
        budget = get_budget(desc["budget"])
        if desc.get("format", 1) >= 2:  # the options as given
            widths, seeds = (tuple(desc["widths"]) if desc["widths"] is not None else None), desc["seeds"]
            own_setup = lambda claim: claim_setup(claim, setup, desc["steps"])  # noqa: E731
        else:  # format 1 recorded the shared table's widths and seeds, and theorem3's t
            widths = None if tuple(desc["widths"]) == tuple(budget.widths) else tuple(desc["widths"])
            seeds = None if desc["seeds"] == budget.seeds else desc["seeds"]
            own_setup = lambda claim: setup.replace(steps=desc["steps"]) if claim.name == "theorem3" else setup  # noqa: E731
        interval = tuple(desc["interval"]) if desc["interval"] is not None else None
        opts = CheckOptions(setup=setup, budget=budget, widths=widths, seeds=seeds, interval=interval,
                            master_seed=desc["master_seed"], tol=desc["tol"])
        results, figures, written = [], {}, []
        for name in desc["claims"]:
            claim = get_claim(name)
            own = own_setup(claim)
            offline = Runner(store, SerialExecutor(), claim=name, offline=True)
            result = claim.run(dataclasses.replace(opts, setup=own, runner=offline))
            files = render.render(result, fmt)
            written += render.write_files(folder / name, files) if (folder / name).is_dir() else \
                render.write_files(render.prepare_out(folder / name)[0], files)
            figures[name] = render.figure_names(files)
            results.append(result)
    finally:
        store.close()
    report = {"report.md": render.markdown_report(results, budget.name, figures).encode()}
    if latex:
        report["report.tex"] = render.latex_table(results).encode()
    return written + render.write_files(folder, report)
