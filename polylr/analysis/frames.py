"""Tidy records of a sweep: one flat dict per (width, seed) with every field of its context.

These records are the columns of the results store, of ``polylr export`` and of
:meth:`polylr.Sweep.to_pandas`; pandas and pyarrow are optional and loaded only here, on use.
"""

from __future__ import annotations

import json

from ..core.errors import PolylrError
from ..engines.coeffs import KEY_SCHEME
from ..engines.samplers import resolve_sampler
from .rows import ROW_FIELDS

CONTEXT_FIELDS = (
    "data", "data_hash", "m", "d", "depth", "steps", "parametrization", "exponents", "train",
    "master_seed", "interval_lo", "interval_hi", "order", "width_lo", "width_hi", "key_scheme", "sampler",
)
# The key each sampler draws a network from (``sampler`` says how the key becomes weights: dense
# Gaussian matrices, the width-free Gram realisation of their law, or the shallow net's exact law).
SHALLOW_KEY_SCHEME = "numpy.random.default_rng([master_seed, width, seed])"
COLUMNS = ROW_FIELDS + CONTEXT_FIELDS
INSTALL_HINT = {"pandas": "pip install 'polylr[pandas]'", "arrow": "pip install 'polylr[parquet]'"}


def data_hash(setup) -> str:
    """SHA-256 (first 16 hex digits) of the data's float64 bytes: two data sets with one hash are one
    (:attr:`polylr.Data.digest`)."""
    return setup.data.digest


def context(setup, master_seed: int, interval, order: float) -> dict:
    """The context columns shared by every row of a sweep (``width_lo/hi`` are filled per width)."""
    desc = setup.describe()
    return {
        "data": desc["data"], "data_hash": data_hash(setup), "m": desc["m"], "d": desc["d"],
        "depth": desc["depth"], "steps": desc["steps"], "parametrization": desc["parametrization"],
        "exponents": json.dumps(desc["exponents"], sort_keys=True), "train": desc["train"],
        "master_seed": int(master_seed), "interval_lo": float(interval[0]), "interval_hi": float(interval[1]),
        "order": float(order), "key_scheme": KEY_SCHEME,
    }


def sampler_at(sampler: str, setup, width: int) -> dict:
    """The columns ``sampler`` (``"dense"``, ``"gram"`` or ``"shallow"``: what drew the networks of this
    width when ``sampler`` was asked for; ``"auto"`` picks by width) and ``key_scheme``."""
    if sampler == "shallow":
        return {"sampler": "shallow", "key_scheme": SHALLOW_KEY_SCHEME}
    return {"sampler": resolve_sampler(sampler, setup, width).name, "key_scheme": KEY_SCHEME}


def sweep_records(sw) -> list[dict]:
    """One flat dict per row of ``sw`` with the columns :data:`COLUMNS`."""
    ctx = context(sw.setup, sw.master_seed, sw.interval, sw.order)
    per_width = {w: {**dict(zip(("width_lo", "width_hi"), sw.interval_at(w))), **sampler_at(sw.sampler, sw.setup, w)}
                 for w in sw.widths}
    return [{**{k: r[k] for k in ROW_FIELDS}, **ctx, **per_width[r["width"]]} for r in sw.rows]


def records_frame(records: list[dict], kind: str):
    """``records`` as a pandas DataFrame (``kind="pandas"``) or pyarrow Table (``"arrow"``); a one-line
    :class:`PolylrError` naming the extra to install when the library is missing."""
    if kind not in INSTALL_HINT:
        raise PolylrError(f"table kind must be one of {', '.join(INSTALL_HINT)}, got {kind!r}")
    module = "pandas" if kind == "pandas" else "pyarrow"
    try:
        lib = __import__(module)
    except ImportError:
        raise PolylrError(f"{module} is not installed: {INSTALL_HINT[kind]}") from None
    cols = {c: [r.get(c) for r in records] for c in (list(records[0]) if records else COLUMNS)}
    return lib.DataFrame(cols) if kind == "pandas" else lib.table(cols)


def sweep_frame(sw, kind: str):
    return records_frame(sweep_records(sw), kind)
