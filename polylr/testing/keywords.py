"""The keyword arguments that polylr's assertions share, declared once.

:class:`Options` lists them with their one default each; :func:`shared_keywords` gives an assertion
the ones it takes as ordinary keyword-only parameters (``help()``, :func:`inspect.signature` and the
API pages show them as if written out) and hands them to its body as one :class:`Options`. A default
changes in one place for every assertion; a new assertion takes the same vocabulary by naming it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Options", "shared_keywords"]


@dataclass(frozen=True)
class Options:
    """The shared keywords (see each assertion's docstring for what it does with them)."""

    widths: Any = None
    networks: int | None = None
    interval: tuple[float, float] | None = None
    tol: float = 0.1
    level: float = 0.95
    n_boot: int = 1000
    boot_seed: int = 0
    master_seed: int = 0
    sampler: Any = None
    allow_inconclusive: bool = False
    name: str = "η_n"


FIELDS = {f.name: f for f in dataclasses.fields(Options)}
SAMPLED = ("widths", "networks", "interval", "tol", "level", "n_boot", "boot_seed", "master_seed", "sampler", "allow_inconclusive")
"""The keywords of an assertion that computes its samples (a Setup as target): ``SAMPLED + ("name",)``
for the per-network ones."""


def shared_keywords(names: tuple[str, ...], **overrides: tuple[str, Any]) -> Callable[[Callable], Callable]:
    """Decorate a function whose last parameter is ``o: Options``: its public signature has, in
    place of ``o``, the keyword-only parameters ``names`` (fields of :class:`Options`, in that
    order); ``overrides`` maps a name to ``(annotation, default)`` where this function differs.
    The body gets ``o``, an :class:`Options` of the values passed (defaults filled in)."""
    unknown = [n for n in (*names, *overrides) if n not in FIELDS]
    if unknown or not set(overrides) <= set(names):
        raise ValueError(f"shared_keywords: unknown or unused names {unknown or sorted(set(overrides) - set(names))}")
    shared = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=overrides.get(n, (FIELDS[n].type, None))[0],
                          default=overrides[n][1] if n in overrides else FIELDS[n].default)
        for n in names
    ]

    def decorate(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        own = list(sig.parameters.values())
        if not own or own[-1].name != "o":
            raise ValueError(f"shared_keywords: {fn.__qualname__} must take the shared keywords as its last parameter o")
        public = sig.replace(parameters=own[:-1] + shared)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = public.bind(*args, **kwargs)  # a TypeError for a wrong or missing argument, as for any function
            bound.apply_defaults()
            given = bound.arguments
            return fn(**{p.name: given[p.name] for p in own[:-1]}, o=Options(**{n: given[n] for n in names}))

        wrapper.__signature__ = public
        return wrapper

    return decorate
