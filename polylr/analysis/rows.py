"""The rows of a sweep as columns: one numpy array per field, one entry per (width, seed).

:class:`SweepRows` is what :attr:`polylr.Sweep.rows` holds. Statistics read its columns
(``rows.eta[rows.width == n]``); code that wants records iterates it (each row a ``dict`` of Python
values with the keys :data:`ROW_FIELDS`) or calls :meth:`SweepRows.records`; the results store and
the exports (:mod:`polylr.report.store`, :mod:`polylr.analysis.frames`) read and write records.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterator

import numpy as np

from ..core.errors import PolylrError

ROW_FIELDS = ("width", "seed", "eta", "loss_min", "on_boundary", "unique", "local_minima", "method")
_DTYPES = {"width": np.int64, "seed": np.int64, "eta": np.float64, "loss_min": np.float64, "on_boundary": np.bool_,
           "unique": np.bool_, "local_minima": np.int64, "method": np.str_}


@dataclass(frozen=True, eq=False)
class SweepRows:
    """Columns of equal length: ``width``, ``seed`` (ints), ``eta`` (η_n), ``loss_min`` (L_n(η_n)),
    ``on_boundary``, ``unique`` (bools), ``local_minima`` (count), ``method`` (``"polynomial"``,
    ``"gd"`` or a sampler's own, strings). Read-only arrays."""

    width: np.ndarray
    seed: np.ndarray
    eta: np.ndarray
    loss_min: np.ndarray
    on_boundary: np.ndarray
    unique: np.ndarray
    local_minima: np.ndarray
    method: np.ndarray

    def __post_init__(self) -> None:
        n = None
        for f in fields(self):
            a = np.array(getattr(self, f.name), dtype=_DTYPES[f.name], copy=True).reshape(-1)
            if n is not None and a.size != n:
                raise PolylrError(f"sweep row column {f.name} has {a.size} entries, the others {n}")
            n = a.size
            a.setflags(write=False)
            object.__setattr__(self, f.name, a)

    @classmethod
    def from_records(cls, records) -> SweepRows:
        """From dicts with (at least) the keys :data:`ROW_FIELDS`."""
        records = list(records)
        return cls(**{k: [r[k] for r in records] for k in ROW_FIELDS})

    def records(self) -> list[dict]:
        """One dict of Python values per row (keys :data:`ROW_FIELDS`)."""
        cols = [getattr(self, k).tolist() for k in ROW_FIELDS]
        return [dict(zip(ROW_FIELDS, values)) for values in zip(*cols)]

    def __len__(self) -> int:
        return self.width.size

    def __iter__(self) -> Iterator[dict]:
        return iter(self.records())

    def __getitem__(self, i: int) -> dict:
        return {k: getattr(self, k)[i].item() for k in ROW_FIELDS}

    def __eq__(self, other) -> bool:
        if not isinstance(other, SweepRows):
            return NotImplemented
        return all(np.array_equal(getattr(self, k), getattr(other, k), equal_nan=k in ("eta", "loss_min")) for k in ROW_FIELDS)

    __hash__ = None

    def at(self, width: int) -> SweepRows:
        """The rows of one width."""
        keep = self.width == width
        return SweepRows(**{k: getattr(self, k)[keep] for k in ROW_FIELDS})
