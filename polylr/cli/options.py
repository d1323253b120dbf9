"""The options of ``polylr check``, declared once, as the fields of :class:`CheckArgs`.

typer reads a command's options from its function's parameters; :func:`options_from` gives the
command a signature made of the dataclass's fields (each annotated with its ``typer.Option``) and
calls the command body with one ``CheckArgs`` built from them. The body then derives everything
from that object once: the claims, the :class:`~polylr.CheckOptions` (the claims' own options),
the per-claim setup and the campaign description. Only light modules are imported here (``--help``
imports no JAX): the conversions import what they need when they run.
"""

import dataclasses
import functools
import inspect
import typing
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..core.budget import LEVELS
from ..core.errors import PolylrError, check_int, check_interval

FORMATS = ("png", "pdf", "svg")
DEFAULT_DEPTH = 3
DEFAULT_DATA = {"m": 16, "d": 4, "seed": 0}  # the built-in synthetic data
# How polylr check names each option a claim may not take (polylr.claims.base.OPTIONS) when it refuses it.
OPTION_FLAGS = {"widths": "--widths", "seeds": "--seeds", "depth": "--depth", "steps": "--steps", "param": "--param",
                "data": "--data/--m/--d/--data-seed", "interval": "--interval"}
# The campaign description's format: 2 records --widths, --seeds and --steps as given (None when not
# given); format 1 (no "format" key) recorded the shared budget table's widths and seeds and theorem3's t.
DESCRIPTION_FORMAT = 2


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise PolylrError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def parse_interval(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise PolylrError(f"interval must be 'lo,hi', got {text!r}")
    try:
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise PolylrError(f"interval ends must be numbers, got {text!r}") from None


def options_from(cls):
    """Decorator: the command takes the fields of dataclass ``cls`` as its (typer) parameters and its
    body receives them as one ``cls`` instance."""
    hints = typing.get_type_hints(cls, include_extras=True)
    params = [inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=f.default, annotation=hints[f.name])
              for f in dataclasses.fields(cls)]

    def decorate(body):
        @functools.wraps(body)
        def command(**kwargs):
            return body(cls(**kwargs))

        command.__signature__ = inspect.Signature(params, return_annotation=None)
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate


@dataclasses.dataclass(frozen=True)
class CheckArgs:
    """What ``polylr check`` was given, as typed (values are validated by the methods that use them)."""

    names: Annotated[Optional[list[str]], typer.Argument(metavar="CLAIM", help="Claims to check (see --list).")] = None
    all_claims: Annotated[bool, typer.Option("--all", help="Check every registered claim.")] = False
    list_claims: Annotated[bool, typer.Option("--list", help="List the registered claims and exit.")] = False
    budget: Annotated[Optional[str], typer.Option(metavar="|".join(LEVELS), help="Monte Carlo budget (default: 'default'; 'quick' with --all).")] = None
    widths: Annotated[Optional[str], typer.Option(help="Widths: '64,128,256' or '64..2048' (powers of two); overrides the budget.")] = None
    seeds: Annotated[Optional[int], typer.Option(help="Seeds (networks) per width; overrides the budget.")] = None
    depth: Annotated[Optional[int], typer.Option(help=f"Number of hidden n×n layers L (default {DEFAULT_DEPTH}), for the claims that take it.")] = None
    steps: Annotated[Optional[int], typer.Option(help="Number of gradient steps t, for theorem3 and theorem3.law (default 2; exact limit for small t, evaluation mode beyond) and fast-transfer (default 1).")] = None
    param: Annotated[Optional[str], typer.Option(help="theorem1: run it under another parametrization (mup, sp, ntp, 'v=1.5,c=0.5') to see where it fails; fast-transfer takes μP exponents only.")] = None
    data: Annotated[Optional[Path], typer.Option(help="Data file (.npz with X, y; or .csv, last column y). Default: built-in synthetic data.")] = None
    m: Annotated[Optional[int], typer.Option(help=f"Built-in data: number of points (default {DEFAULT_DATA['m']}).")] = None
    d: Annotated[Optional[int], typer.Option(help=f"Built-in data: input dimension (default {DEFAULT_DATA['d']}).")] = None
    data_seed: Annotated[Optional[int], typer.Option(help=f"Built-in data: seed (default {DEFAULT_DATA['seed']}).")] = None
    interval: Annotated[Optional[str], typer.Option(help="Learning-rate interval 'lo,hi' (default: 0,4η_∞; theorem3, theorem3.law and fast-transfer: 0,2η_∞; sp scales the interval, given or default, by 1/n).")] = None
    master_seed: Annotated[int, typer.Option(help="Master seed of the weight keys.")] = 0
    tol: Annotated[float, typer.Option(help="Exponent tolerance of the verdicts.")] = 0.1
    out: Annotated[Path, typer.Option(help="Output folder: report.md, and results.json (tidy rows), summary.json and plots per claim.")] = Path("results")
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON to stdout (tables go to stderr).")] = False
    latex: Annotated[bool, typer.Option("--latex", help="Also write the verdict table as report.tex.")] = False
    fmt: Annotated[str, typer.Option("--format", metavar="|".join(FORMATS), help="File format of the plots.")] = "png"
    resume: Annotated[bool, typer.Option("--resume", help="Finish the campaign stored in --out (an error if it holds none); finished rows are reused by default anyway.")] = False
    fresh: Annotated[bool, typer.Option("--fresh", help="Discard the results store of --out and recompute everything.")] = False
    cluster: Annotated[Optional[str], typer.Option(help="Run width × seed chunks on Dask: 'local:N' or 'tcp://host:port' (needs the 'cluster' extra).")] = None
    devices: Annotated[bool, typer.Option("--devices", help="Spread chunks over all local JAX devices.")] = False
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the JAX persistent compilation cache ($POLYLR_CACHE_DIR, else $XDG_CACHE_HOME/polylr/jax, else ~/.cache/polylr/jax).")] = False

    def claims(self) -> list:
        """The claims asked for (names or --all), refusing an option (``Claim.accepts``) that one of them would ignore."""
        from ..claims.base import REGISTRY, get_claim

        if self.all_claims and self.names:
            raise PolylrError("give claim names or --all, not both")
        chosen = list(REGISTRY) if self.all_claims else list(self.names or [])
        if not chosen:
            raise PolylrError(f"name at least one claim ({', '.join(REGISTRY)}) or use --all / --list")
        claims = [get_claim(n) for n in chosen]
        given = {"widths": (self.widths,), "seeds": (self.seeds,), "depth": (self.depth,), "steps": (self.steps,),
                 "param": (self.param,), "interval": (self.interval,), "data": (self.data, self.m, self.d, self.data_seed)}
        for option, values in given.items():
            if all(v is None for v in values) or all(option in c.accepts for c in claims):
                continue
            takes = [c.name for c in REGISTRY.values() if option in c.accepts]
            others = [n for n in REGISTRY if n not in takes]
            where = (f"only to claims that take it ({', '.join(takes)})" if len(takes) <= len(others)
                     else f"to every claim but {', '.join(others)}")
            ignore = [c.name for c in claims if option not in c.accepts]
            raise PolylrError(f"{OPTION_FLAGS[option]} applies {where}; {', '.join(ignore)} "
                              f"{'fixes its' if len(ignore) == 1 else 'fix their'} own")
        return claims

    def options(self):
        """The :class:`~polylr.CheckOptions` shared by the claims (setup at t = 1; each claim's own: :func:`claim_setup`)."""
        from ..claims.base import CheckOptions, get_budget
        from ..core.inputs import parse_widths_text
        from ..core.setup import Parametrization, Setup

        dataset = data_from(self.data, self.m, self.d, self.data_seed)
        depth = self.depth if self.depth is not None else DEFAULT_DEPTH
        setup = Setup(data=dataset, depth=depth, steps=1, param=Parametrization.parse(self.param or "mup"))
        if self.steps is not None:
            setup.replace(steps=self.steps)  # validates t >= 1 before any work
        return CheckOptions(
            setup=setup,
            budget=get_budget(self.budget or ("quick" if self.all_claims else "default")),
            widths=tuple(parse_widths_text(self.widths)) if self.widths is not None else None,
            seeds=self.seeds,
            interval=check_interval(*parse_interval(self.interval)) if self.interval is not None else None,
            master_seed=check_int("master seed", self.master_seed, lo=0),
            tol=self.tol,
        )

    def description(self, claims, opts) -> dict:
        """The campaign's description (what the results store identifies it by, and what ``polylr
        report`` rebuilds it from): the options as given, so that a run is told from the budget's own."""
        from ..analysis.frames import data_hash

        return {"format": DESCRIPTION_FORMAT, "claims": [c.name for c in claims], "budget": opts.budget.name,
                "widths": list(opts.widths) if opts.widths is not None else None, "seeds": opts.seeds,
                "interval": opts.interval, "master_seed": opts.master_seed, "tol": opts.tol,
                "steps": self.steps, "setup": opts.setup.describe(), "data_hash": data_hash(opts.setup)}


def data_from(path: Path | None, m: int | None, d: int | None, seed: int | None):
    """The data of ``--data PATH``, or the built-in synthetic data (``--m``, ``--d``, ``--data-seed``,
    defaults :data:`DEFAULT_DATA`); both kinds at once are refused."""
    from ..core.setup import Data

    if path is not None:
        if (m, d, seed) != (None, None, None):
            raise PolylrError("--m, --d and --data-seed describe the built-in data: give them or --data, not both")
        return Data.from_file(path)
    pick = lambda v, k: v if v is not None else DEFAULT_DATA[k]  # noqa: E731
    return Data.synthetic(pick(m, "m"), pick(d, "d"), seed=pick(seed, "seed"))


def claim_setup(claim, setup, steps: int | None):
    """The setup one claim runs, from the shared one (t = 1): ``steps`` (``--steps``) where the claim
    takes it; theorem3 and theorem3.law default to t = 2."""
    if steps is not None and "steps" in claim.accepts:
        return setup.replace(steps=steps)
    return setup.replace(steps=2) if claim.name in ("theorem3", "theorem3.law") else setup
