"""The ``polylr`` command line."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..core.version import __version__
from .guard import guarded
from ..analysis import phasemap as phasemaps
from ..report import campaigns
from ..report import derive as derivations
from ..analysis.phasemap import fmt_prediction
from ..report import plots, render
from ..claims.base import REGISTRY, CheckOptions, get_budget, get_claim
from ..core.errors import PolylrError, check_int, check_interval
from ..core.inputs import parse_widths_text, toml_float, toml_int, toml_interval, toml_str, toml_widths
from ..engines.limit import eta_inf_t1
from ..core.setup import MUP, Data, Parametrization, Setup

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="polylr: check theorems about learning-rate transfer under μP, symbolically and numerically.",
)
err = Console(stderr=True)


def parse_widths(text: str) -> list[int]:
    """``"64,128,256"`` or ``"64..2048"`` (powers of two between the ends)."""
    return parse_widths_text(text)


def _int(name: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise PolylrError(f"{name} must be an integer, got {text.strip()!r}") from None


def parse_interval(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise PolylrError(f"interval must be 'lo,hi', got {text!r}")
    try:
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise PolylrError(f"interval ends must be numbers, got {text!r}") from None


def _fail(e: Exception) -> None:
    err.print(f"[bold red]error:[/] {e}", soft_wrap=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        print(f"polylr {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """polylr command line."""


@app.command()
@guarded
def check(
    names: Annotated[Optional[list[str]], typer.Argument(help="Claims to check (see --list).")] = None,
    all_claims: Annotated[bool, typer.Option("--all", help="Check every registered claim.")] = False,
    list_claims: Annotated[bool, typer.Option("--list", help="List the registered claims and exit.")] = False,
    budget: Annotated[Optional[str], typer.Option(help="Monte Carlo budget: tiny, quick, default, thorough (default: 'default'; 'quick' with --all).")] = None,
    widths: Annotated[Optional[str], typer.Option(help="Widths: '64,128,256' or '64..2048' (powers of two); overrides the budget.")] = None,
    seeds: Annotated[Optional[int], typer.Option(help="Seeds (networks) per width; overrides the budget.")] = None,
    depth: Annotated[int, typer.Option(help="Number of hidden n×n layers L.")] = 3,
    steps: Annotated[Optional[int], typer.Option(help="theorem3 only: number of gradient steps t (default 2; exact limit for small t, evaluation mode beyond).")] = None,
    param: Annotated[Optional[str], typer.Option(help="theorem1 only: run it under another parametrization (mup, sp, ntp, 'v=1.5,c=0.5') to see where it fails.")] = None,
    data: Annotated[Optional[Path], typer.Option(help="Data file (.npz with X, y; or .csv, last column y). Default: built-in synthetic data.")] = None,
    m: Annotated[int, typer.Option(help="Built-in data: number of points.")] = 16,
    d: Annotated[int, typer.Option(help="Built-in data: input dimension.")] = 4,
    data_seed: Annotated[int, typer.Option(help="Built-in data: seed.")] = 0,
    interval: Annotated[Optional[str], typer.Option(help="Learning-rate interval 'lo,hi' (default: 0,4η_∞; theorem3: 0,2η_∞; sp scales the interval, given or default, by 1/n).")] = None,
    master_seed: Annotated[int, typer.Option(help="Master seed of the weight keys.")] = 0,
    tol: Annotated[float, typer.Option(help="Exponent tolerance of the verdicts.")] = 0.1,
    out: Annotated[Path, typer.Option(help="Output folder: report.md, and results.json and plots per claim.")] = Path("results"),
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON to stdout.")] = False,
    latex: Annotated[bool, typer.Option("--latex", help="Also write the verdict table as report.tex.")] = False,
) -> None:
    """Check claims: verdict tables, a Markdown report, results.json and plots in --out."""
    if list_claims:
        table = Table(title="registered claims")
        for col in ("name", "source", "statement", "predicts"):
            table.add_column(col, overflow="fold")
        for c in REGISTRY.values():
            table.add_row(c.name, c.paper, c.statement, c.prediction)
        Console().print(table)
        return
    try:
        if all_claims and names:
            raise PolylrError("give claim names or --all, not both")
        chosen = list(REGISTRY) if all_claims else list(names or [])
        if not chosen:
            raise PolylrError(f"name at least one claim ({', '.join(REGISTRY)}) or use --all / --list")
        claims = [get_claim(n) for n in chosen]
        if param is not None and chosen != ["theorem1"]:
            raise PolylrError("--param applies to theorem1 alone (the other claims fix their parametrization)")
        if steps is not None and chosen != ["theorem3"]:
            raise PolylrError("--steps applies to theorem3 alone (theorem1, sp and ntp are about one step)")
        dataset = Data.from_file(data) if data is not None else Data.synthetic(m, d, seed=data_seed)
        setup = Setup(data=dataset, depth=depth, steps=1, param=Parametrization.parse(param or "mup"))
        t_steps = setup.replace(steps=steps if steps is not None else 2).steps  # validates t >= 1
        opts = CheckOptions(
            setup=setup,
            budget=get_budget(budget or ("quick" if all_claims else "default")),
            widths=tuple(parse_widths(widths)) if widths is not None else None,
            seeds=seeds,
            interval=check_interval(*parse_interval(interval)) if interval is not None else None,
            master_seed=check_int("master seed", master_seed, lo=0),
            tol=tol,
        )
        eta_inf_t1(setup.replace(param=MUP))  # K y = 0 is reported before any work
        root, root_created = render.prepare_out(out)
        folders = {c.name: render.prepare_out(out / c.name) for c in claims}
    except PolylrError as e:
        _fail(e)

    console = err if json_out else Console()
    results = []
    try:
        for claim in claims:
            with Progress(
                TextColumn(f"[bold]{claim.name}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=err, transient=True,
            ) as progress:
                own = opts.setup.replace(steps=t_steps) if claim.name == "theorem3" else opts.setup
                result = claim.run(dataclasses.replace(opts, setup=own, progress=progress))
            files = render.render(result)
            render.write_files(folders[claim.name][0], files)
            results.append(result)
            for t in render.tables(result):
                console.print(t)
    except PolylrError as e:
        for folder, created in [*folders.values(), (root, root_created)]:
            render.discard_out(folder, created)
        _fail(e)
    except BaseException:
        for folder, created in [*folders.values(), (root, root_created)]:
            render.discard_out(folder, created)
        raise
    report = {"report.md": render.markdown_report(results, opts.budget.name).encode()}
    if latex:
        report["report.tex"] = render.latex_table(results).encode()
    written = render.write_files(root, report)
    if len(results) > 1:
        console.print(render.verdict_table(results))
    console.print(f"wrote {', '.join(str(p) for p in written)} and {', '.join(str(out / r.name) for r in results)}/")
    if json_out:
        doc = [render.result_dict(r) for r in results]
        sys.stdout.write(json.dumps(doc[0] if len(doc) == 1 else doc, indent=2, ensure_ascii=False) + "\n")


@app.command()
@guarded
def derive(
    depth: Annotated[int, typer.Option(help="Number of hidden layers L.")] = 2,
    steps: Annotated[int, typer.Option(help="Number of gradient steps t.")] = 1,
    latex: Annotated[bool, typer.Option("--latex/--markdown", help="LaTeX document instead of Markdown.")] = False,
    out: Annotated[Optional[Path], typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Derivation of f^(t) as an η-polynomial of matrix words: orders in n, the μP limit, the argmin."""
    try:
        check_int("depth L", depth, lo=1, hi=MAX_DERIVE_DEPTH)  # depth 99999 hung (issue 10, found by the fuzz test)
        text = derivations.derive(depth, steps, "latex" if latex else "markdown")
        if out is not None:
            folder, _ = render.prepare_out(out.parent if str(out.parent) else Path("."))
            render.write_files(folder, {out.name: text.encode()})
            err.print(f"wrote {out}")
        else:
            sys.stdout.write(text)
    except PolylrError as e:
        _fail(e)


MAX_DERIVE_DEPTH = 64  # a derivation of f^(t) has at least L^t matrix words: beyond this, nobody reads it


def _floats(name: str, text: str) -> list[float]:
    try:
        return [float(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise PolylrError(f"{name} must be comma-separated numbers, got {text!r}") from None


@app.command("phase-map")
@guarded
def phase_map_command(
    v: Annotated[str, typer.Option(help="Output-variance exponents v (V ~ N(0, n^-v)), comma-separated, each >= 1.")] = "1,1.5,2,2.5",
    c: Annotated[str, typer.Option(help="Hidden learning-rate exponents c (rate η·n^-c), comma-separated.")] = "-0.5,0,0.5,1",
    widths: Annotated[str, typer.Option(help="Widths: '64,128,256' or '64..512'.")] = "64..512",
    seeds: Annotated[int, typer.Option(help="Seeds per width and cell.")] = 16,
    depth: Annotated[int, typer.Option(help="Number of hidden n×n layers L.")] = 3,
    data: Annotated[Optional[Path], typer.Option(help="Data file (.npz or .csv). Default: built-in synthetic data.")] = None,
    master_seed: Annotated[int, typer.Option(help="Master seed of the weight keys.")] = 0,
    out: Annotated[Path, typer.Option(help="Output folder for phase_map.png and phase_map.json.")] = Path("results/phase-map"),
) -> None:
    """Which (v, c) transfer at t = 1: measured exponents of η_n and of its relative spread."""
    try:
        setup = Setup(data=Data.from_file(data) if data is not None else Data.synthetic(), depth=depth)
        vs, cs = _floats("v", v), _floats("c", c)
        ws = parse_widths(widths)
        check_int("seeds", seeds, lo=2)
        folder, created = render.prepare_out(out)
    except PolylrError as e:
        _fail(e)
    try:
        with Progress(TextColumn("[bold]phase map[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as progress:
            pm = phasemaps.phase_map(setup, vs, cs, ws, seeds, master_seed=master_seed, progress=progress)
        files = {"phase_map.json": json.dumps(render.clean(pm.to_dict()), indent=2).encode(),
                 "phase_map.png": plots.plot_phase_map(pm)}
    except PolylrError as e:
        render.discard_out(folder, created)
        _fail(e)
    written = render.write_files(folder, files)
    table = Table(title=f"phase map: exponents at t = 1 (widths {list(ws)}, {seeds} seeds)")
    for col in ("v", "c", "η_n exponent", "predicted", "rel. spread exponent", "predicted", "on boundary"):
        table.add_column(col, justify="right")
    for cell in pm.to_dict()["cells"]:
        table.add_row(f"{cell['v']:g}", f"{cell['c']:g}",
                      f"{cell['order']:.2f} [{cell['order_ci'][0]:.2f}, {cell['order_ci'][1]:.2f}]", fmt_prediction(cell['predicted_order']),
                      f"{cell['spread']:.2f} [{cell['spread_ci'][0]:.2f}, {cell['spread_ci'][1]:.2f}]", fmt_prediction(cell['predicted_spread']),
                      f"{cell['boundary_fraction']:.0%}")
    Console().print(table)
    Console().print(f"wrote {', '.join(str(p) for p in written)}  ({pm.seconds:.1f} s)")


def main() -> None:
    app()


@app.command()
@guarded
def verify(
    campaign: Annotated[Path, typer.Argument(help="Campaign file, e.g. verify/fig3.toml (see verify/README.md).")],
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: results/<campaign name>).")] = None,
) -> None:
    """Run a campaign from verify/: a set of claims (as polylr check) or a figure's loss curves."""
    out = out if out is not None else Path("results") / campaign.stem
    try:
        doc = campaigns.load(campaign)
        if doc["kind"] == "claims":
            names = doc.get("claims")
            if not isinstance(names, list) or not names:
                raise PolylrError(f"{campaign.name}: claims must be a non-empty list of claim names ({', '.join(REGISTRY)})")
            data = doc.get("data") or {}
            campaigns.check_keys(f"{campaign.name} [data]", data, campaigns.DATA_KEYS - {"noise"})
            w, opt = campaign.name, (lambda key, kind, default=None: default if key not in doc else kind(w, key, doc[key]))  # noqa: E731
            options = dict(
                budget=opt("budget", toml_str), widths=None if "widths" not in doc else toml_widths(w, doc["widths"]),
                seeds=opt("seeds", toml_int), depth=opt("depth", toml_int, 3), steps=opt("steps", toml_int),
                interval=None if "interval" not in doc else toml_interval(w, doc["interval"]),
                master_seed=opt("master_seed", toml_int, 0), tol=opt("tol", toml_float, 0.1),
                data=Path(toml_str(w, "data.file", data["file"])) if "file" in data else None,
                m=toml_int(w, "data.m", data.get("m", 16)), d=toml_int(w, "data.d", data.get("d", 4)),
                data_seed=toml_int(w, "data.seed", data.get("seed", 0)),
            )
        else:
            args = campaigns.curves_from(doc, campaign.name)
            campaigns.eta_grid(args["setup"], args["eta"])  # checks the grid before any work
            folder, created = render.prepare_out(out)
    except PolylrError as e:
        _fail(e)
    if doc["kind"] == "claims":
        check(names=names, out=out, **options)
        return
    try:
        with Progress(TextColumn("[bold]curves[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as progress:
            c = campaigns.run_curves(**args, progress=progress)
        files = {"curves.json": json.dumps(render.clean(c.to_dict()), indent=2).encode(), "curves.png": plots.plot_curves(c)}
    except BaseException:
        render.discard_out(folder, created)
        raise
    written = render.write_files(folder, files)
    table = Table(title=f"{c.title}: argmin of the seed-mean loss on the grid")
    for col in ("t", "parametrization", *(f"n = {w}" for w in c.widths), "limit"):
        table.add_column(col, justify="right")
    for t in c.steps:
        for p in c.params:
            cells = [("—" if c.argmin[(t, p.name, w)] is None else f"{c.argmin[(t, p.name, w)]:.4g}") for w in c.widths]
            lim = f"{c.limit[t][1]:.4g}" if p == MUP and t in c.limit else ""
            table.add_row(str(t), p.name, *cells, lim)
    Console().print(table)
    Console().print(f"wrote {', '.join(str(p) for p in written)}")
