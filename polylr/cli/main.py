"""The ``polylr`` command line."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from ..core.budget import LEVELS
from ..core.errors import PolylrError, check_int, check_interval
from ..core.version import __version__
from .guard import guarded, print_error
from .options import DEFAULT_DATA, FORMATS, CheckArgs, check_format, claim_setup, data_from, options_from, parse_interval

# Only light modules are imported here: `polylr --help` must not import JAX, sympy, matplotlib, scipy
# or rich (tests/test_cli_conventions.py checks it; benchmarks/cli_help_time.py times it). Help texts
# are click's plain ones (rich_markup_mode=None); rich draws tables and progress bars, imported when a
# command prints one. Each command imports what it needs when it runs.


class PolylrGroup(TyperGroup):
    """The ``polylr`` group: flags show no ``<bool>`` placeholder in --help, an argument with a metavar
    is listed by it (``CLAIM...``, not ``names... <list[str]>``), and every usage error
    (unknown option, missing or malformed value) is one ``error:`` line on stderr with exit code 2,
    like polylr's own errors, for every command, including commands added later."""

    def get_params(self, ctx):
        return _no_flag_metavar(super().get_params(ctx))

    def get_command(self, ctx, cmd_name):
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None and not getattr(cmd, "_polylr_flags", False):
            get_params = cmd.get_params
            cmd.get_params = lambda ctx: _no_flag_metavar(get_params(ctx))
            cmd._polylr_flags = True
        return cmd

    def format_commands(self, ctx, formatter):
        """Each command with its whole summary (click would cut it at ~45 characters)."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, " ".join((cmd.help or "").split("\n\n")[0].split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from typer._click.exceptions import ClickException, NoArgsIsHelpError  # typer 0.29 (pinned)

        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as e:
            e.show()  # the help text
            sys.exit(e.exit_code)
        except ClickException as e:
            where = f" (see '{e.ctx.command_path} --help')" if getattr(e, "ctx", None) is not None else ""
            message = " ".join(e.format_message().split())
            print_error(f"{message}{where}")
            sys.exit(2 if e.exit_code in (None, 1, 2) else e.exit_code)
        except typer.Abort:
            print("Aborted!", file=sys.stderr)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


class _FlagValue:
    """How a flag's value is converted: to a bool, directly. typer would build a pydantic adapter for it,
    and that import (~0.3 s) would make ``polylr COMMAND --help`` pay for the group's absent --help."""

    @staticmethod
    def coerce(value, *, param=None, ctx=None) -> bool:
        return bool(value)


def _no_flag_metavar(params):
    for p in params:
        if getattr(p, "is_flag", False):
            if p.metavar is None:
                p.metavar = ""
            if getattr(p, "_runtime_param", False) is None and getattr(p, "count", False) is False:
                p._runtime_param = _FlagValue()  # typer 0.29's lazy slot (pinned in pyproject.toml)
        elif getattr(p, "param_type_name", None) == "argument" and p.metavar and not hasattr(p, "_polylr_shown"):
            _show_metavar(p)
    return params


def _show_metavar(arg) -> None:
    """An argument with a metavar is listed by it, ``CLAIM...`` where it repeats, as in its usage line
    ``[CLAIM]...`` (typer's plain help lists the parameter's name and type: ``names... <list[str]>``)."""
    arg._polylr_shown = arg.metavar + ("..." if arg.nargs != 1 else "")
    record = arg.get_help_record

    def get_help_record(ctx):
        rv = record(ctx)
        return None if rv is None else (arg._polylr_shown, rv[1])

    arg.get_help_record = get_help_record


def console(stderr: bool = False):
    """A console whose tables do not wrap in logs: in a terminal, its width (or ``COLUMNS``); when
    the output is not a terminal, ``COLUMNS`` if set, else wide enough that no cell wraps."""
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if os.environ.get("COLUMNS", "").strip().isdigit():
        width = int(os.environ["COLUMNS"])
    elif not (hasattr(stream, "isatty") and stream.isatty()):
        width = 10_000
    from rich.console import Console  # noqa: PLC0415 (rich loads when something is printed, not at --help)

    return Console(stderr=stderr, width=width)


def show(out_console, table) -> None:
    """Print a rich table so that no number (no word) is cut or split: each column is at least as wide
    as its longest word (header included) and the table may run past the console's width (``COLUMNS``)
    rather than truncate a cell; prose cells wrap between words."""
    from rich.measure import Measurement  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    def plain(cell) -> str:
        return Text.from_markup(cell).plain if isinstance(cell, str) else getattr(cell, "plain", str(cell))

    for col in table.columns:
        words = [w for cell in (col.header, *col.cells) for w in plain(cell).split()]
        col.min_width = max(col.min_width or 0, max((len(w) for w in words), default=0))
    need = Measurement.get(out_console, out_console.options.update(width=10_000), table).minimum
    out_console.print(table, width=max(out_console.width, need), crop=False)


def err():
    """The stderr console (tables of ``--json`` runs, notes)."""
    return console(stderr=True)


def new_table(title: str, columns, **column_style):
    """A rich table with these columns (``column_style``: e.g. ``justify="right", no_wrap=True``)."""
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title)
    for col in columns:
        table.add_column(col, **column_style)
    return table


def print_outcome(table, written, json_out: bool, doc: str | None = None, note: str = "") -> None:
    """The end of a command that wrote files: its table and "wrote ..." (to stderr under ``--json``),
    then the JSON document on stdout when ``--json`` asked for it."""
    out_console = err() if json_out else console()
    if table is not None:
        show(out_console, table)
    out_console.print(f"wrote {', '.join(str(p) for p in written)}{note}")
    if json_out and doc is not None:
        sys.stdout.write(doc + "\n")


@contextlib.contextmanager
def progress_bar(label: str):
    """A progress bar with elapsed time and ETA, on stderr, removed when done; yields the callback
    that the analysis layer calls: ``progress(done, total)`` as seeds finish, or ``progress(text)``
    with a one-line note of the stage (a claim's ``"μP n = 4096"``), shown beside
    the label. When stderr is not a terminal (a log, a batch job) there is no bar, and each note is
    a plain line ``label: text (elapsed)`` instead, so that a long run's log says where it is."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    con = console(stderr=True)  # not a terminal: no bar (a transient bar would leave an empty line before an error)
    start = time.monotonic()
    with Progress(TextColumn("[bold]{task.description}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), console=con, transient=True, disable=not con.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def progress(done, total=None) -> None:
            if not isinstance(done, str):
                bar.update(task, completed=done, total=total)
            elif con.is_terminal:
                bar.update(task, description=f"{label}: {done}")
            else:
                print(f"{label}: {done} ({time.monotonic() - start:.0f} s)", file=sys.stderr, flush=True)

        yield progress


def compute_into(out: Path, label: str, compute):
    """The run of a command that writes one output folder: prepare ``out`` (an error before any work
    when it cannot be written), call ``compute(progress)`` under a progress bar named ``label``, which
    returns ``(result, files)``, and write the files atomically. If ``compute`` fails or is interrupted,
    nothing is left behind (the folder goes if this run created it). Returns ``(result, written)``."""
    from ..report import render

    folder, created = render.prepare_out(out)
    try:
        with progress_bar(label) as progress:
            result, files = compute(progress)
    except BaseException:
        render.discard_out(folder, created)
        raise
    return result, render.write_files(folder, files)


app = typer.Typer(
    cls=PolylrGroup,
    add_completion=False,
    context_settings={"max_content_width": 100},
    rich_markup_mode=None,  # click's plain help: --help imports no rich (~0.1 s of imports, more on a loaded machine)
    no_args_is_help=True,
    help="polylr: check theorems about learning-rate transfer under μP, symbolically and numerically.",
)


def parse_widths(text: str) -> list[int]:
    """``"64,128,256"`` or ``"64..2048"`` (powers of two between the ends)."""
    from ..core.inputs import parse_widths_text

    return parse_widths_text(text)


def _fail(e: Exception) -> None:
    from .guard import fail

    fail(str(e))


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
@options_from(CheckArgs)
def check(args: CheckArgs) -> None:
    """Check claims: verdict tables, a Markdown report, results.json and plots in --out; every row (a
    trained network's scan at one width) in --out/results.sqlite as it is computed (an interrupted
    campaign resumes where it stopped)."""
    import dataclasses

    from ..claims.base import REGISTRY
    from ..core.setup import MUP
    from ..engines.limit import eta_inf_t1
    from ..report import render
    from . import campaign_store

    if args.list_claims:
        table = new_table("registered claims", ("name", "source", "statement", "predicts"), overflow="fold")
        for c in REGISTRY.values():
            table.add_row(c.name, c.paper, c.statement, c.prediction)
        show(console(), table)
        return
    out, json_out = args.out, args.json_out
    try:
        check_format(args.fmt)
        claims = args.claims()
        opts = args.options()
        eta_inf_t1(opts.setup.replace(param=MUP))  # K y = 0 is reported before any work
        description = args.description(claims, opts)
        campaign_store.check_campaign(out, description, resume=args.resume, fresh=args.fresh, cluster=args.cluster, devices=args.devices)
        root, root_created = render.prepare_out(out)
        folders = {c.name: render.prepare_out(out / c.name) for c in claims}
        store = campaign_store.open_store(root, description, fresh=args.fresh)
        executor = campaign_store.make_executor(args.cluster, args.devices)
        if not args.no_cache:
            campaign_store.enable_compilation_cache()
    except PolylrError as e:
        _fail(e)

    out_console = err() if json_out else console()
    results, figures = [], {}
    try:
        for claim in claims:
            with progress_bar(claim.name) as progress:
                own = claim_setup(claim, opts.setup, args.steps)
                with campaign_store.runner(store, executor, claim.name) as runner:
                    result = claim.run(dataclasses.replace(opts, setup=own, progress=progress, runner=runner))
            files = render.render(result, args.fmt)
            render.write_files(folders[claim.name][0], files)
            figures[claim.name] = render.figure_names(files)
            results.append(result)
            for t in render.tables(result):
                show(out_console, t)
    except PolylrError as e:
        failure = e
    except BaseException as stop:  # an interrupt: the store keeps the finished rows for --resume
        for folder, created in [*folders.values(), (root, root_created)]:
            render.discard_out(folder, created)
        if isinstance(stop, KeyboardInterrupt) and store.computed:
            print(f"interrupted: {out / campaign_store.STORE_NAME} keeps the {store.computed} (width, seed) rows computed so far; "
                  "the same command with --resume goes on from them", file=sys.stderr)
        raise
    else:
        failure = None
        store.finish_campaign()
    finally:
        executor.close()
        store.close()
    if failure is not None:  # a refusal: nothing is left behind when nothing was computed
        if store.computed == 0 and root_created:
            for suffix in ("", "-wal", "-shm"):
                (root / f"{campaign_store.STORE_NAME}{suffix}").unlink(missing_ok=True)
        for folder, created in [*folders.values(), (root, root_created)]:
            render.discard_out(folder, created)
        _fail(failure)
    report = {"report.md": render.markdown_report(results, opts.budget.name, figures).encode()}
    if args.latex:
        report["report.tex"] = render.latex_table(results).encode()
    written = render.write_files(root, report)
    if len(results) > 1:
        show(out_console, render.verdict_table(results))
    out_console.print(f"results store {out / campaign_store.STORE_NAME}: {store.reused} rows reused, {store.computed} computed")
    out_console.print(f"wrote {', '.join(str(p) for p in written)} and {', '.join(str(out / r.name) for r in results)}/")
    if json_out:
        doc = [render.document(r) for r in results]
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")  # always a list


@app.command()
@guarded
def derive(
    depth: Annotated[int, typer.Option(help="Number of hidden layers L.")] = 2,
    steps: Annotated[int, typer.Option(help="Number of gradient steps t.")] = 1,
    latex: Annotated[bool, typer.Option("--latex/--markdown", help="LaTeX document instead of Markdown.")] = False,
    out: Annotated[Optional[Path], typer.Option(help="Write to this file instead of stdout.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print {depth, steps, format, text} as JSON to stdout.")] = False,
    limit: Annotated[bool, typer.Option("--limit", help="Instead: the μP limit L_∞^(t)(η) in closed form over the data moments, its stationarity equation and argmin on the built-in data.")] = False,
    grouped: Annotated[bool, typer.Option("--grouped", help="Instead: f^(t) with the data sums grouped into c^(s) = Xᵀχ^(s)/m (a recursion over the steps; reaches (L, t) = (3, 2), (2, 3)).")] = False,
) -> None:
    """Derivation of f^(t) as an η-polynomial of matrix words: orders in n, the μP limit, the argmin."""
    from ..report import derive as derivations
    from ..report import render

    try:
        check_int("depth L", depth, lo=1, hi=MAX_DERIVE_DEPTH)  # depth 99999 hung (issue 10, found by the fuzz test)
        if out is not None and out.is_dir():
            raise PolylrError(f"--out {str(out)!r} is a directory: give a file name, e.g. {str(out / 'derivation.md')!r}")
        fmt = "latex" if latex else "markdown"
        if limit and grouped:
            raise PolylrError("give --limit or --grouped, not both")
        if limit:
            from ..report.limit_derivation import limit_document

            text = limit_document(depth, steps, fmt)
        elif grouped:
            from ..report.expand_grouped import derive_grouped

            text = derive_grouped(depth, steps, fmt)
        else:
            text = derivations.derive(depth, steps, fmt)
        if json_out:
            doc = {"depth": depth, "steps": steps, "format": "latex" if latex else "markdown", "text": text}
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        if out is not None:
            folder, _ = render.prepare_out(out.parent if str(out.parent) else Path("."))
            render.write_files(folder, {out.name: text.encode()})
            err().print(f"wrote {out}")
        elif not json_out:
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
    widths: Annotated[Optional[str], typer.Option(help="Widths: '64,128,256' or '64..512' (default: the budget's; the default budget's are 2^6, 2^8, …, 2^20).")] = None,
    seeds: Annotated[Optional[int], typer.Option(help="Seeds per width and cell (default: the budget's; 256 in the default budget).")] = None,
    budget: Annotated[Optional[str], typer.Option(metavar="tiny|quick|default|thorough", help="Widths and seeds of a budget level (explicit --widths/--seeds win).")] = None,
    depth: Annotated[int, typer.Option(help="Number of hidden n×n layers L.")] = 3,
    data: Annotated[Optional[Path], typer.Option(help="Data file (.npz or .csv). Default: built-in synthetic data.")] = None,
    master_seed: Annotated[int, typer.Option(help="Master seed of the weight keys.")] = 0,
    out: Annotated[Path, typer.Option(help="Output folder for phase_map.json and the plot phase_map.<format>.")] = Path("results/phase-map"),
    json_out: Annotated[bool, typer.Option("--json", help="Print phase_map.json to stdout (the table goes to stderr).")] = False,
    fmt: Annotated[str, typer.Option("--format", metavar="|".join(FORMATS), help="File format of the plot.")] = "png",
) -> None:
    """Which (v, c) transfer at t = 1: measured exponents of η_n, of its relative spread, and of the error, bias and fluctuation of ν_n."""
    from ..analysis import phasemap as phasemaps
    from ..analysis.phasemap import fmt_prediction
    from ..core.setup import Data, Setup
    from ..report import plots, render

    try:
        check_format(fmt)
        setup = Setup(data=Data.from_file(data) if data is not None else Data.synthetic(), depth=depth)
        vs, cs = _floats("v", v), _floats("c", c)
        from ..claims.width_free import phase_map_budget  # widths to 2^20 on the Gram path

        ws, seeds = phase_map_budget(budget, parse_widths(widths) if widths is not None else None, seeds)
        check_int("seeds", seeds, lo=2)
    except PolylrError as e:
        _fail(e)

    def compute(progress):
        pm = phasemaps.phase_map(setup, vs, cs, ws, seeds, master_seed=master_seed, progress=progress)
        doc = json.dumps(render.json_ready(pm.to_dict()), indent=2)
        return (pm, doc), {"phase_map.json": doc.encode(), f"phase_map.{fmt}": plots.plot_phase_map(pm, fmt)}

    (pm, doc), written = compute_into(out, "phase map", compute)
    table = new_table(f"phase map: exponents at t = 1 (widths {list(ws)}, {seeds} seeds)",
                      ("v", "c", "η_n exponent", "predicted", "rel. spread exponent", "predicted",
                       "error |ν_n − η_∞|", "bias", "fluctuation sd(ν_n)", "on boundary"),
                      justify="right", no_wrap=True)
    for cell in pm.to_dict()["cells"]:
        split = [f"{cell[k]:.2f} [{cell[k + '_ci'][0]:.2f}, {cell[k + '_ci'][1]:.2f}]" for k in ("error", "bias", "fluctuation")]
        table.add_row(f"{cell['v']:g}", f"{cell['c']:g}",
                      f"{cell['order']:.2f} [{cell['order_ci'][0]:.2f}, {cell['order_ci'][1]:.2f}]", fmt_prediction(cell['predicted_order']),
                      f"{cell['spread']:.2f} [{cell['spread_ci'][0]:.2f}, {cell['spread_ci'][1]:.2f}]", fmt_prediction(cell['predicted_spread']),
                      *split, f"{cell['boundary_fraction']:.0%}")
    print_outcome(table, written, json_out, doc, note=f"  ({pm.seconds:.1f} s)")


@app.command("decompose")
@guarded
def decompose_command(
    example: Annotated[str, typer.Option(metavar="kindex|ball|mlp|linear", help="Network and data: GWB's two-layer ReLU k-index or ball examples, a one-hidden-layer ReLU MLP on built-in data, or a deep linear net.")] = "mlp",
    budget: Annotated[str, typer.Option(metavar="|".join(LEVELS), help="Widths, seeds, steps and EMA of the budget (gwb-decomposition's table; thorough on a GPU: its thorough-gpu entry, as polylr check).")] = "quick",
    widths: Annotated[Optional[str], typer.Option(help="Widths: '16,32,64' or '16..128'; overrides the budget (the largest is the proxy of infinite width).")] = None,
    seeds: Annotated[Optional[int], typer.Option(help="Seeds (networks) per width; overrides the budget.")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Training steps; overrides the budget.")] = None,
    ema: Annotated[Optional[float], typer.Option(help="EMA decay α in [0, 1) (0: the raw trajectory); overrides the budget.")] = None,
    every: Annotated[int, typer.Option(help="Keep the EMA trajectory every this many steps.")] = 1,
    etas: Annotated[Optional[str], typer.Option(help="Learning rates ν, comma-separated (default: the example's factor-2 grid).")] = None,
    depth: Annotated[Optional[int], typer.Option(help="Override: number of hidden n×n layers.")] = None,
    activation: Annotated[Optional[str], typer.Option(metavar="linear|relu|tanh|gelu", help="Override: activation.")] = None,
    param: Annotated[Optional[str], typer.Option(metavar="mup-sgd|mup-adam|sp-sgd|sp-adam", help="Override: parametrization preset.")] = None,
    optimizer: Annotated[Optional[str], typer.Option(metavar="sgd|momentum|adam|adamw|lion", help="Override: optimizer.")] = None,
    data: Annotated[Optional[Path], typer.Option(help="Override: training data file (.npz or .csv); the objective is the loss on it.")] = None,
    mci: Annotated[int, typer.Option(help="Mean component index of this many data points (largest width, seed 0, best ν); 0: none.")] = 0,
    master_seed: Annotated[int, typer.Option(help="Master seed of the weight keys (and of the examples' data).")] = 0,
    out: Annotated[Path, typer.Option(help="Output folder for decompose.json and the figures.")] = Path("results/decompose"),
    fmt: Annotated[str, typer.Option("--format", metavar="|".join(FORMATS), help="File format of the figures.")] = "png",
    json_out: Annotated[bool, typer.Option("--json", help="Print decompose.json to stdout (the table goes to stderr).")] = False,
) -> None:
    """Ghosh–Wu–Bietti's trajectory decomposition across widths: top-κ̂ part and residual vs ν."""
    import numpy as np

    from ..claims.base import CheckOptions, budget_entry, get_budget
    from ..claims.decomposition import DECOMP_BUDGETS, decompose_example
    from ..core.setup import Data
    from ..report import render

    try:
        check_format(fmt)
        # the rule of polylr check: thorough on a GPU takes the thorough-gpu entry
        b = budget_entry(CheckOptions(budget=get_budget(budget)), DECOMP_BUDGETS)
        ws = parse_widths(widths) if widths is not None else b["widths"]
        if len(ws) < 2:
            raise PolylrError(f"the decomposition needs at least 2 widths (the largest is the proxy of infinite width), got {list(ws)}")
        grid = _floats("etas", etas) if etas is not None else None
        network = {k: v for k, v in dict(depth=depth, activation=activation, param=param, optimizer=optimizer).items() if v is not None}
        train_data = Data.from_file(data) if data is not None else None
        check_int("every", every, lo=1)
        check_int("mci", mci, lo=0)
    except PolylrError as e:
        _fail(e)

    def compute(progress):
        res = decompose_example(
            example, widths=ws, seeds=seeds if seeds is not None else b["seeds"], steps=steps if steps is not None else b["steps"],
            ema=ema if ema is not None else b["ema"], every=every, eval_m=b["eval_m"], grid=grid, master_seed=master_seed,
            mci_points=mci, network=network or None, data=train_data, progress=progress,
        )
        body = {**res.to_json(), "budget": {"budget": b["budget"], "entry": b["entry"]}}  # which table entry ran
        doc = json.dumps(render.json_ready(body), indent=2, ensure_ascii=False)
        return (res, doc), {"decompose.json": doc.encode(), **res.figures(f"decompose.{example}", fmt)}

    (res, doc), written = compute_into(out, "decompose", compute)
    out_console = err() if json_out else console()
    if b["entry"] != b["budget"]:
        out_console.print(f"budget {b['budget']}: its {b['entry']} entry (JAX runs on a GPU)")
    for table in render.own_tables(res):
        show(out_console, table)
    for v in res.verdicts:
        out_console.print(f"{v.claim}: {v.status} — {v.reason}")
    if res.mci is not None:
        m = res.mci["mci"]
        out_console.print(f"MCI of {res.mci['points']} points (n = {res.mci['width']}, ν = {res.mci['eta']:g}): "
                          f"mean {float(m.mean()):.3g}, median {float(np.median(m)):.3g}, max {float(m.max()):.3g}")
    print_outcome(None, written, json_out, doc, note=f"  ({res.scan.seconds:.1f} s)")


def main() -> None:
    app()


@app.command()
@guarded
def verify(
    campaign: Annotated[Path, typer.Argument(help="Campaign file, e.g. verify/fig3.toml (see verify/README.md).")],
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: results/<campaign name>).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the results (as polylr check --json, or curves.json) to stdout.")] = False,
    fmt: Annotated[str, typer.Option("--format", metavar="|".join(FORMATS), help="File format of the plots.")] = "png",
    budget: Annotated[Optional[str], typer.Option(metavar="tiny|quick|default|thorough", help="Override the campaign's budget (claims campaigns).")] = None,
) -> None:
    """Run a campaign from verify/: a set of claims (as polylr check) or a figure's loss curves."""
    from ..claims.base import REGISTRY
    from ..core.setup import MUP
    from .. import campaigns
    from ..report import plots, render

    out = out if out is not None else Path("results") / campaign.stem
    try:
        check_format(fmt)
        doc = campaigns.load(campaign)
        if doc["kind"] == "claims":
            names = doc.get("claims")
            if not isinstance(names, list) or not names:
                raise PolylrError(f"{campaign.name}: claims must be a non-empty list of claim names ({', '.join(REGISTRY)})")
            data = doc.get("data") or {}
            campaigns.check_keys(f"{campaign.name} [data]", data, campaigns.DATA_KEYS - {"noise"})
            from ..core.inputs import toml_float, toml_int, toml_interval, toml_str, toml_widths

            w, opt = campaign.name, (lambda key, kind, default=None: default if key not in doc else kind(w, key, doc[key]))  # noqa: E731
            options = dict(
                budget=budget if budget is not None else opt("budget", toml_str), widths=None if "widths" not in doc else toml_widths(w, doc["widths"]),
                seeds=opt("seeds", toml_int), depth=opt("depth", toml_int), steps=opt("steps", toml_int),
                interval=None if "interval" not in doc else toml_interval(w, doc["interval"]),
                master_seed=opt("master_seed", toml_int, 0), tol=opt("tol", toml_float, 0.1),
                data=Path(toml_str(w, "data.file", data["file"])) if "file" in data else None,
                **{key: toml_int(w, f"data.{k}", data[k]) for key, k in (("m", "m"), ("d", "d"), ("data_seed", "seed")) if k in data},
            )
        else:
            if budget is not None:
                raise PolylrError(f"--budget applies to claims campaigns; {campaign.name} is a curves campaign (its widths and seeds are in the file)")
            spec = campaigns.curves_from(doc, campaign.name)
            campaigns.eta_grid(spec.setup, spec.eta)  # checks the grid before any work
    except PolylrError as e:
        _fail(e)
    if doc["kind"] == "claims":
        check(names=names, out=out, json_out=json_out, fmt=fmt, **options)
        return

    def compute(progress):
        c = campaigns.run_curves(spec, progress=progress)
        curves_doc = json.dumps(render.json_ready(c.to_dict()), indent=2)
        return (c, curves_doc), {"curves.json": curves_doc.encode(), f"curves.{fmt}": plots.plot_curves(c, fmt)}

    (c, curves_doc), written = compute_into(out, "curves", compute)
    table = new_table(f"{spec.title}: argmin of the seed-mean loss on the grid",
                      ("t", "parametrization", *(f"n = {w}" for w in spec.widths), "limit"), justify="right", no_wrap=True)
    for t in spec.steps:
        for p in spec.params:
            cells = [("—" if c.argmin[(t, p.name, w)] is None else f"{c.argmin[(t, p.name, w)]:.4g}") for w in spec.widths]
            lim = f"{c.limit[t][1]:.4g}" if p == MUP and t in c.limit else ""
            table.add_row(str(t), p.name, *cells, lim)
    print_outcome(table, written, json_out, curves_doc)


@app.command("transfer-budget")
@guarded
def transfer_budget_command(
    alpha: Annotated[Optional[float], typer.Option(help="Loss-gap exponent α (a_n ~ n^-α).")] = None,
    beta: Annotated[Optional[float], typer.Option(help="Hyperparameter-gap exponent β (b_n ~ n^-β).")] = None,
    r: Annotated[float, typer.Option(help="Cost exponent: one training run at width n costs n^r flops.")] = 2.0,
    h: Annotated[int, typer.Option(help="Number of tuned hyperparameters.")] = 1,
    from_results: Annotated[Optional[Path], typer.Option("--from", help="Take α, β from a fast-transfer run: its summary.json (or its folder).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Theorem 2 (Ghosh–Wu–Bietti): error and width exponents of direct tuning and of transfer for a budget F."""
    from ..analysis.transfer_budget import budget_from_results, transfer_budget

    try:
        if from_results is not None:
            if alpha is not None or beta is not None:
                raise PolylrError("give --alpha/--beta or --from, not both")
            tb = budget_from_results(from_results, r, h)
        else:
            if alpha is None or beta is None:
                raise PolylrError("give both --alpha and --beta (or --from a fast-transfer summary.json)")
            tb = transfer_budget(alpha, beta, r, h)
    except PolylrError as e:
        _fail(e)
    if json_out:
        sys.stdout.write(json.dumps(tb.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(tb.lines()) + "\n")


@app.command("limit-law")
@guarded
def limit_law_command(
    steps: Annotated[int, typer.Option(help="Number of gradient steps t.")] = 1,
    depth: Annotated[int, typer.Option(help="Number of hidden n×n layers L.")] = 3,
    data: Annotated[Optional[Path], typer.Option(help="Data file (.npz with X, y; or .csv, last column y). Default: built-in synthetic data.")] = None,
    m: Annotated[Optional[int], typer.Option(help=f"Built-in data: number of points (default {DEFAULT_DATA['m']}).")] = None,
    d: Annotated[Optional[int], typer.Option(help=f"Built-in data: input dimension (default {DEFAULT_DATA['d']}).")] = None,
    data_seed: Annotated[Optional[int], typer.Option(help=f"Built-in data: seed (default {DEFAULT_DATA['seed']}).")] = None,
    widths: Annotated[str, typer.Option(help="Monte Carlo widths ('1024,16384' or '1024..1048576'); 'none' for the prediction only.")] = "1024,16384,1048576",
    networks: Annotated[int, typer.Option(help="Gram networks per width.")] = 2000,
    interval: Annotated[Optional[str], typer.Option(help="Learning-rate interval 'lo,hi' (default 0,4η_∞ at t = 1, 0,2η_∞^(1) beyond).")] = None,
    master_seed: Annotated[int, typer.Option(help="Master seed of the weight keys (and of the ray law's draws).")] = 0,
    ray_samples: Annotated[int, typer.Option(help="Draws of u for the ray law, used where F is not differentiable at the limit (t >= 2).")] = 20000,
    out: Annotated[Optional[Path], typer.Option(help="Output folder for results.json, summary.json and the plot.")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="|".join(FORMATS), help="File format of the plot.")] = "png",
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON to stdout (tables go to stderr).")] = False,
) -> None:
    """The finite-width law of η_n: σ and b in η_n ≈ η_∞ + b/n + (σ/√n)·Z (and for the optimal loss),
    predicted by the delta method through the Gram network (where it is not differentiable at the
    limit: the law of its one-sided derivative along rays), with a Monte Carlo check."""
    from ..claims.law import limit_law
    from ..core.setup import Setup
    from ..report import render

    try:
        check_format(fmt)
        setup = Setup(data=data_from(data, m, d, data_seed), depth=depth, steps=steps)
        ws = None if widths.strip().lower() == "none" else parse_widths(widths)
        iv = check_interval(*parse_interval(interval)) if interval is not None else None
        ms = check_int("master seed", master_seed, lo=0)

        def compute(progress):
            r = limit_law(setup, widths=ws, networks=networks, interval=iv, master_seed=ms, ray_samples=ray_samples, progress=progress)
            return r, (render.render(r, fmt) if out is not None else {})

        if out is not None:  # the folder is checked before any work; nothing is left if the run fails
            result, _ = compute_into(out, "limit-law", compute)
        else:
            with progress_bar("limit-law") as progress:
                result, _ = compute(progress)
    except PolylrError as e:
        _fail(e)
    out_console = err() if json_out else console()
    for t in render.tables(result):
        show(out_console, t)
    if json_out:
        sys.stdout.write(render.to_json(result) + "\n")


@app.command("export")
@guarded
def export_command(
    folder: Annotated[Path, typer.Argument(help="An output folder of polylr check (it holds results.sqlite).")],
    fmt: Annotated[str, typer.Option("--format", metavar="csv|json|parquet", help="Export format.")] = "csv",
    out: Annotated[Optional[Path], typer.Option(help="Output file (default: FOLDER/results.FORMAT).")] = None,
) -> None:
    """Export the results store of a campaign as one tidy table (CSV, JSON or Parquet)."""
    from . import campaign_store

    campaign_store.export_command(folder, fmt, out)


@app.command("report")
@guarded
def report_command(
    folder: Annotated[Path, typer.Argument(help="An output folder of polylr check (it holds results.sqlite).")],
    fmt: Annotated[str, typer.Option("--format", metavar="|".join(FORMATS), help="File format of the plots.")] = "png",
    latex: Annotated[bool, typer.Option("--latex", help="Also write the verdict table as report.tex.")] = False,
    data: Annotated[Optional[Path], typer.Option(help="The campaign's data file, if it is not where it was read from.")] = None,
) -> None:
    """Rebuild a campaign's report, results.json/summary.json files and plots from its results store alone (no network is trained)."""
    from . import campaign_store

    try:
        written = campaign_store.rebuild_report(folder, fmt=check_format(fmt), latex=latex, data=data)
    except PolylrError as e:
        _fail(e)
    print(f"rebuilt {len(written)} files in {folder} from {folder / campaign_store.STORE_NAME}")
