"""The ``polylr`` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__, _claims, _report
from ._errors import PolylrError, check_int, check_interval
from ._limit import eta_inf_t1
from ._setup import MUP, Data, Parametrization, Setup
from ._sweep import parse_widths as validate_widths

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="polylr: check theorems about learning-rate transfer under μP, symbolically and numerically.",
)
err = Console(stderr=True)

CHECKS = {"theorem1": "Hayou Theorem 1: at t = 1 under μP, η_n → η_∞ = (m/L) yᵀKy/‖Ky‖² > 0 with error O(n^-1/2)"}


def parse_widths(text: str) -> list[int]:
    """``"64,128,256"`` or ``"64..2048"`` (powers of two between the ends)."""
    text = text.strip()
    if ".." in text:
        a, _, b = text.partition("..")
        lo, hi = _int("width", a), _int("width", b)
        if lo < 1 or hi < lo:
            raise PolylrError(f"width range must be 'lo..hi' with 1 <= lo <= hi, got {text!r}")
        out, w = [], lo
        while w <= hi:
            out.append(w)
            w *= 2
        return out
    return [_int("width", p) for p in text.split(",") if p.strip()]


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
    err.print(f"[bold red]error:[/] {e}")
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
def check(
    names: Annotated[list[str], typer.Argument(help=f"Claims to check: {', '.join(CHECKS)}.")],
    widths: Annotated[str, typer.Option(help="Widths: '64,128,256' or '64..2048' (powers of two).")] = "64..2048",
    seeds: Annotated[int, typer.Option(help="Seeds (networks) per width.")] = 48,
    depth: Annotated[int, typer.Option(help="Number of hidden n×n layers L.")] = 3,
    param: Annotated[str, typer.Option(help="Parametrization: mup, sp, ntp, or exponents like 'v=1.5,c=0.5'.")] = "mup",
    data: Annotated[Optional[Path], typer.Option(help="Data file (.npz with X, y; or .csv, last column y). Default: built-in synthetic data.")] = None,
    m: Annotated[int, typer.Option(help="Built-in data: number of points.")] = 16,
    d: Annotated[int, typer.Option(help="Built-in data: input dimension.")] = 4,
    data_seed: Annotated[int, typer.Option(help="Built-in data: seed.")] = 0,
    interval: Annotated[Optional[str], typer.Option(help="Learning-rate interval 'lo,hi' (default: 0,4η_∞).")] = None,
    master_seed: Annotated[int, typer.Option(help="Master seed of the weight keys.")] = 0,
    tol: Annotated[float, typer.Option(help="Exponent tolerance of the verdicts.")] = 0.1,
    out: Annotated[Path, typer.Option(help="Output folder for results.json and plots.")] = Path("results"),
    json_out: Annotated[bool, typer.Option("--json", help="Print results.json to stdout.")] = False,
) -> None:
    """Run a claim's campaign: a verdict table, results.json and plots in --out/NAME/."""
    try:
        unknown = [n for n in names if n not in CHECKS]
        if unknown:
            raise PolylrError(f"unknown check {unknown[0]!r}; available: {', '.join(CHECKS)}")
        check_int("seeds", seeds, lo=1)
        dataset = Data.from_file(data) if data is not None else Data.synthetic(m, d, seed=data_seed)
        setup = Setup(data=dataset, depth=depth, steps=1, param=Parametrization.parse(param))
        ws = list(validate_widths(parse_widths(widths)))
        lohi = check_interval(*parse_interval(interval)) if interval is not None else None
        eta_inf_t1(setup.replace(param=MUP))  # K y = 0 is reported before any work
        folders = {n: _report.prepare_out(out / n) for n in names}
    except PolylrError as e:
        _fail(e)

    for name in names:
        folder, created = folders[name]
        try:
            with Progress(
                TextColumn(f"[bold]{name}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=err, transient=True,
            ) as progress:
                result = _claims.check_theorem1(
                    setup, ws, seeds, lohi, master_seed=master_seed, tol=tol, progress=progress
                )
            files = _report.render(result)
        except PolylrError as e:
            _report.discard_out(folder, created)
            _fail(e)
        except BaseException:
            _report.discard_out(folder, created)
            raise
        written = _report.write_files(folder, files)
        console = err if json_out else Console()
        console.print(_report.width_table(result))
        console.print(_report.fit_table(result))
        console.print(_report.verdict_table(result))
        console.print(f"wrote {', '.join(str(p) for p in written)}  ({result.seconds:.1f} s)")
        if json_out:
            sys.stdout.write(files["results.json"].decode() + "\n")


def main() -> None:
    app()
