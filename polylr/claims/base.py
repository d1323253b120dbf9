"""The claim protocol: :class:`Claim`, the registry, budgets, options, and the verdict rules.

A :class:`Claim` has a name, the paper and statement it comes from, its hypotheses, what it
predicts, and ``check(budget) -> result`` whose :class:`Verdict` objects say whether each part
``holds``, ``fails`` or is ``inconclusive``, with the numbers and a sentence saying why.

Verdicts about width exponents compare a bootstrap confidence interval (CI) with an edge:

- "exponent ≤ edge" (a decay at least this fast) holds when the whole CI lies at or below the
  edge, fails when it lies wholly above, and is inconclusive when it straddles the edge;
- "exponent = target" holds when the CI lies within ``target ± tol``, fails when it lies wholly
  outside, inconclusive otherwise.

Fewer than 8 seeds per width or 3 widths give an inconclusive verdict whatever the interval.
With tolerance ``tol`` (default 0.1): "converges" means a decay at least like ``n^-tol``;
"error = O(n^-1/2)" means an edge of ``-1/2 + tol``. A random limit (SP, NTP) is checked per
seed: each seed's output at initialisation predicts its limit (:func:`random_limit_t1`), and the
distance to that prediction must decay.

A minimiser on an end of the interval means the interval, not the loss, decided η_n: when
more than 10 % of the seeds at some width sit there, a verdict that would hold or fail becomes
inconclusive.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..analysis.rates import RateFit, fit_rate
from ..analysis.sweep import Sweep, parse_widths
from ..core.errors import PolylrError, check_finite, check_int
from ..core.budget import LEVELS, check_level
from ..core.setup import Setup
from ..engines.bounds import MAX_SEEDS

if TYPE_CHECKING:
    from .results import ClaimResult

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"
BOUNDARY_LIMIT = 0.10
MIN_SEEDS, MIN_WIDTHS = 8, 3  # below this a bootstrap interval is not trusted: inconclusive


@dataclass(frozen=True)
class Budget:
    """How much Monte Carlo a check may spend."""

    name: str
    widths: tuple[int, ...]
    seeds: int
    n_boot: int


BUDGETS = {
    "tiny": Budget("tiny", (64, 128, 256, 512, 1024), 32, 400),
    "quick": Budget("quick", (64, 128, 256, 512, 1024, 2048), 32, 1000),
    "default": Budget("default", (64, 128, 256, 512, 1024, 2048), 48, 2000),
    "thorough": Budget("thorough", (64, 128, 256, 512, 1024, 2048, 4096), 128, 4000),
}
assert tuple(BUDGETS) == LEVELS


def get_budget(budget: str | Budget) -> Budget:
    """A :class:`Budget` itself, or the one named by a level of :data:`polylr.core.budget.LEVELS`."""
    return budget if isinstance(budget, Budget) else BUDGETS[check_level(budget)]


def progress_note(opts: "CheckOptions", text: str) -> None:
    """Pass a one-line progress text (e.g. ``"μP n = 64"``, shown after the claim's name) to ``opts.progress`` when it
    takes one argument; a ``progress(done, total)`` callback (the sweeps' form) is left alone."""
    if callable(opts.progress):
        try:
            opts.progress(text)
        except TypeError:
            pass


def lr_scan(opts: "CheckOptions", tr, width: int, seeds, etas, **kw):
    """:func:`polylr.scan_lr` for a claim that trains networks: through the check's
    :class:`~polylr.Runner` (``opts.runner``) when it has one, so that each width's scan goes to the
    results store as it finishes and one already there is read back instead of trained (an
    interrupted check resumes at the width it was on); else computed here."""
    from ..analysis.train import scan_lr  # noqa: PLC0415  (claims that train networks only)

    return getattr(opts.runner, "scan", scan_lr)(tr, width, seeds, etas, **kw)


DEVICE_SHARE = 0.9  # of a device's memory that a budget entry's own memory_limit may claim


def budget_entry(opts: "CheckOptions", table: dict) -> dict:
    """A claim's own budget entry (a dict of its sizes) for ``opts``: ``table["thorough-gpu"]`` for
    ``--budget thorough`` on a GPU (when the table has it), else the named level's entry (``default``
    when the table lacks it), with the user's widths and seeds, the level's name under ``"budget"``
    and the entry's under ``"entry"``. An entry's own ``memory_limit`` (bytes: ``thorough-gpu``'s,
    sized for a large GPU) is capped at :data:`DEVICE_SHARE` of the device's memory where JAX reports
    it, so that a smaller device refuses a width with its estimate instead of running out of memory."""
    import jax  # noqa: PLC0415  (claims that train networks only)

    name = opts.budget.name
    gpu = name == "thorough" and "thorough-gpu" in table and jax.default_backend() == "gpu"
    b = dict(table["thorough-gpu"] if gpu else table.get(name, table["default"]))
    if opts.widths is not None:
        b["widths"] = tuple(opts.widths)
    if opts.seeds is not None:
        b["seeds"] = opts.seeds
    b["budget"] = name
    b["entry"] = "thorough-gpu" if gpu else name if name in table else "default"
    if "memory_limit" in b:
        device = (jax.devices()[0].memory_stats() or {}).get("bytes_limit")  # None on a CPU
        if device:
            b["memory_limit"] = min(int(b["memory_limit"]), int(DEVICE_SHARE * device))
    return b


# -- verdicts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One part of a claim: ``status`` is ``holds``, ``fails`` or ``inconclusive``; ``reason`` is a
    sentence with the numbers; ``evidence`` the numbers themselves (JSON-ready)."""

    claim: str
    statement: str
    status: str
    reason: str
    evidence: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def describe_fit(fit: RateFit) -> str:
    lo, hi = fit.ci
    return f"fitted exponent of {fit.quantity} {fit.exponent:.3f}, {fit.level:.0%} CI [{lo:.3f}, {hi:.3f}]"


def fit_evidence(fit: RateFit, **more) -> dict:
    return {"quantity": fit.quantity, "exponent": fit.exponent, "ci": list(fit.ci), "level": fit.level, **more}


def underpowered(claim: str, statement: str, fit: RateFit, ev: dict) -> Verdict | None:
    if min(fit.seeds) >= MIN_SEEDS and len(fit.widths) >= MIN_WIDTHS:
        return None
    return Verdict(
        claim, statement, INCONCLUSIVE,
        f"{describe_fit(fit)} from {len(fit.widths)} widths and {min(fit.seeds)} seeds per width: at least "
        f"{MIN_WIDTHS} widths and {MIN_SEEDS} seeds are needed for a trustworthy interval", ev,
    )


def verdict_at_most(claim: str, statement: str, fit: RateFit, edge: float, what: str) -> Verdict:
    """"The exponent of ``fit`` is at most ``edge``" (``what`` says what the edge means)."""
    lo, hi = fit.ci
    ev = fit_evidence(fit, edge=edge)
    if weak := underpowered(claim, statement, fit, ev):
        return weak
    if hi <= edge:
        return Verdict(claim, statement, HOLDS, f"{describe_fit(fit)} lies at or below {edge:.2f} ({what})", ev)
    if lo > edge:
        return Verdict(claim, statement, FAILS, f"{describe_fit(fit)} lies above {edge:.2f} ({what})", ev)
    return Verdict(claim, statement, INCONCLUSIVE, f"{describe_fit(fit)} straddles {edge:.2f} ({what}): more seeds or widths are needed", ev)


def verdict_within(claim: str, statement: str, fit: RateFit, target: float, tol: float) -> Verdict:
    """"The exponent of ``fit`` equals ``target``" up to ``tol``."""
    lo, hi = fit.ci
    a, b = target - tol, target + tol
    ev = fit_evidence(fit, target=target, tol=tol)
    band = f"[{a:.2f}, {b:.2f}] (= {target:g} ± {tol:g})"
    if weak := underpowered(claim, statement, fit, ev):
        return weak
    if a <= lo and hi <= b:
        return Verdict(claim, statement, HOLDS, f"{describe_fit(fit)} lies within {band}", ev)
    if hi < a or lo > b:
        return Verdict(claim, statement, FAILS, f"{describe_fit(fit)} lies outside {band}", ev)
    return Verdict(claim, statement, INCONCLUSIVE, f"{describe_fit(fit)} overlaps the edge of {band}: more seeds or widths are needed", ev)


def guard_boundary(v: Verdict, sw: Sweep) -> Verdict:
    """Turn a decided verdict inconclusive when the interval's upper end decided η_n too often."""
    worst = max(sw.widths, key=lambda w: sw.summary(w).boundary_fraction)
    frac = sw.summary(worst).boundary_fraction
    if frac <= BOUNDARY_LIMIT or v.status == INCONCLUSIVE:
        return v
    return dataclasses.replace(
        v,
        status=INCONCLUSIVE,
        reason=f"{v.reason}; but at n = {worst} the minimiser sits on the interval's end for {frac:.0%} of the "
        f"seeds (limit {BOUNDARY_LIMIT:.0%}): widen the interval",
    )


# -- options shared by the checks ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CheckOptions:
    """What a user may set for a check; unset values come from the budget and the claim."""

    setup: Setup | None = None
    budget: Budget = BUDGETS["default"]
    widths: tuple[int, ...] | None = None
    seeds: int | None = None
    interval: tuple[float, float] | None = None
    master_seed: int = 0
    tol: float = 0.1
    progress: Callable[[int, int], None] | None = None  # called as progress(done, total) while seeds finish
    runner: Callable | None = None  # computes the claim's sweeps (polylr.Runner: results store, executor); see polylr.sweep

    def __post_init__(self) -> None:
        tol = check_finite("tol", self.tol)
        if not 0 < tol < 0.5:
            raise PolylrError(f"tol must be in (0, 0.5), got {tol}")
        if self.widths is not None:
            object.__setattr__(self, "widths", parse_widths(self.widths))
            if len(self.widths) < 2:  # before any network (issue 10)
                raise PolylrError(f"a rate needs at least 2 widths, got {list(self.widths)}")
        if self.seeds is not None:
            check_int("seeds", self.seeds, lo=1, hi=MAX_SEEDS)

    @property
    def n_widths(self) -> tuple[int, ...]:
        return self.widths if self.widths is not None else self.budget.widths

    @property
    def n_seeds(self) -> int:
        return self.seeds if self.seeds is not None else self.budget.seeds


def fit_exponent(sw: Sweep, samples, statistic: str, quantity: str, opts: CheckOptions, salt: int) -> RateFit:
    return fit_rate(
        sw.widths, samples, statistic=statistic, quantity=quantity, n_boot=opts.budget.n_boot,
        boot_seed=opts.master_seed * 16 + salt,
    )


# -- the registry --------------------------------------------------------------------------


# The options of polylr check that a claim may or may not honour (Claim.accepts): "data" stands for
# --data, --m, --d and --data-seed. --budget, --master-seed, --tol and the output options apply to all.
OPTIONS = ("widths", "seeds", "depth", "steps", "param", "data", "interval")
# What the deep-linear claims on the built-in data honour besides their own --steps/--param.
LINEAR_OPTIONS = ("widths", "seeds", "depth", "data", "interval")


@dataclass(frozen=True)
class Claim:
    """A checkable claim: ``check(budget, **options)`` runs it and returns a result with verdicts."""

    name: str
    paper: str
    statement: str
    hypotheses: str
    prediction: str
    run: Callable[[CheckOptions], ClaimResult] = field(repr=False)
    accepts: tuple[str, ...] = ("widths", "seeds")  # of OPTIONS: what the claim honours (polylr check refuses the rest)

    def __post_init__(self):
        unknown = sorted(set(self.accepts) - set(OPTIONS))
        if unknown:
            raise PolylrError(f"claim {self.name!r}: unknown accepted option(s) {unknown}; choose from {', '.join(OPTIONS)}")

    def check(self, budget: str | Budget = "default", **options) -> ClaimResult:
        return self.run(CheckOptions(budget=get_budget(budget), **options))


REGISTRY: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    """Add a claim to the registry (``polylr check NAME`` finds it); returns it."""
    if not isinstance(claim, Claim):
        raise PolylrError(f"register needs a Claim, got {type(claim).__name__}")
    REGISTRY[claim.name] = claim
    return claim


def get_claim(name: str) -> Claim:
    """The registered claim called ``name`` (an error listing the registered names otherwise)."""
    if name not in REGISTRY:
        raise PolylrError(f"unknown claim {name!r}; registered: {', '.join(REGISTRY)}")
    return REGISTRY[name]
