"""Inputs parsed exactly: data files, campaign (TOML) values and the data's scale.

Every check raises :class:`~polylr.InvalidInput` with ONE line naming the file or key, the bad value
and what is allowed, before any work starts.

CSV rule (issue 10): files are read as UTF-8 (a leading byte-order mark, as spreadsheet programs
write it, is skipped). The first row is a header only when *none* of its fields is a number (a
header names its columns); a first row with some numeric fields and some not is taken for a data
row with a typo, and refused with its row number instead of being silently dropped.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import zipfile
from pathlib import Path

import numpy as np

from .errors import InvalidInput

# The data's largest entry must lie in [SCALE_MIN, SCALE_MAX]: the t-step polynomials multiply the
# data with itself many times (K = XXᵀ/d, moments yᵀ(K/m)^j y), which leave float64's range
# (1e±308) well before 1e±100.
SCALE_MIN, SCALE_MAX = 1e-50, 1e50


def _num(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` from a CSV file whose last column is ``y`` (see the module docstring for the rules)."""
    name = repr(str(path))
    raw = path.read_bytes()
    if not raw.strip():
        raise InvalidInput(f"data file {name} is empty")
    if b"\x00" in raw:
        raise InvalidInput(f"data file {name} is not a text CSV file (it holds NUL bytes: binary data?)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(
            f"data file {name} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); save it as UTF-8"
        ) from None
    rows = [(i + 1, r) for i, r in enumerate(csv.reader(io.StringIO(text, newline=""))) if r and any(c.strip() for c in r)]
    if not rows:
        raise InvalidInput(f"data file {name} is empty")
    first = [_num(c) for c in rows[0][1]]
    if all(v is None for v in first):
        rows = rows[1:]  # a header: no field is a number
        if not rows:
            raise InvalidInput(f"data file {name} has a header but no data rows")
    values = []
    for line, row in rows:
        r = [_num(c) for c in row]
        if any(v is None for v in r):
            bad = next(c for c, v in zip(row, r) if v is None)
            raise InvalidInput(f"data file {name}: line {line} has a non-numeric field {bad.strip()!r}: {row}")
        values.append(r)
    widths = {len(r) for r in values}
    if len(widths) != 1 or min(widths) < 2:
        raise InvalidInput(
            f"data file {name}: every row needs the same number (>= 2) of columns (inputs, then y); found {sorted(widths)}"
        )
    a = np.array(values, dtype=np.float64)
    return a[:, :-1], a[:, -1]


def read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Arrays ``X`` and ``y`` from an ``.npz`` file, refused unless they are real numbers."""
    name = repr(str(path))
    if path.stat().st_size == 0:
        raise InvalidInput(f"data file {name} is empty")
    try:
        with np.load(path, allow_pickle=False) as f:
            files = list(f.files)
            missing = {"X", "y"} - set(files)
            if missing:
                raise InvalidInput(f"data file {name} must hold arrays 'X' and 'y'; missing {sorted(missing)}, found {files}")
            X, y = f["X"], f["y"]
    except InvalidInput:
        raise
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise InvalidInput(f"data file {name} is not a numeric .npz archive (loading it would need pickle, which polylr never uses); X and y must be numeric arrays") from None
        raise InvalidInput(f"data file {name} is not a valid .npz file ({e})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise InvalidInput(f"data file {name} is not a valid .npz file ({type(e).__name__}: {e})") from None
    for key, a in (("X", X), ("y", y)):
        kind = a.dtype.kind
        what = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "objects", "M": "dates", "m": "time deltas", "V": "raw records"}
        if kind not in "biuf":
            raise InvalidInput(f"data file {name}: array {key} holds {what.get(kind, a.dtype)}, not real numbers")
    return X, y


def check_scale(name: str, a: np.ndarray) -> None:
    """Refuse data whose scale over- or underflows the polynomials' float64 arithmetic."""
    if a.size == 0:
        return
    big = float(np.max(np.abs(a)))
    if big > SCALE_MAX:
        raise InvalidInput(f"the data's scale (max |{name}| = {big:.3g}) overflows float64; rescale {name} to max |{name}| <= {SCALE_MAX:g} (the t-step polynomials multiply the data with itself)")
    if 0 < big < SCALE_MIN and name == "X":  # all zeros, and tiny targets, are allowed (K y = 0 is reported where it matters)
        raise InvalidInput(f"the data's scale (max |{name}| = {big:.3g}) underflows float64; rescale {name} to max |{name}| >= {SCALE_MIN:g} (the t-step polynomials multiply the data with itself)")


# -- campaign (TOML) values ------------------------------------------------------------------


def toml_int(where: str, key: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidInput(f"{where}: {key} must be an integer, got {value!r} ({type(value).__name__})")
    return int(value)


def toml_float(where: str, key: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidInput(f"{where}: {key} must be a finite number, got {value!r} ({type(value).__name__})")
    return float(value)


def toml_str(where: str, key: str, value) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: {key} must be a string, got {value!r} ({type(value).__name__})")
    return value


def toml_widths(where: str, value) -> str:
    """Widths as the CLI's text: a list of integers, or a string the CLI parses ('64,128', '64..2048')."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return ",".join(str(toml_int(where, "widths entry", w)) for w in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(toml_int(where, "widths", value))
    raise InvalidInput(f"{where}: widths must be a list of integers such as [64, 128] or a string such as '64..2048', got {value!r}")


def toml_interval(where: str, value) -> str:
    """An interval as the CLI's text 'lo,hi': a list of two numbers, or that string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and len(value) == 2:
        return ",".join(repr(toml_float(where, "interval end", v)) for v in value)
    raise InvalidInput(f"{where}: interval must be a list of two numbers [lo, hi] or a string 'lo,hi', got {value!r}")


def parse_widths_text(text: str) -> list[int]:
    """``"64,128,256"`` or ``"64..2048"`` (powers of two between the ends): the CLI's grammar.

    Examples
    --------
    >>> parse_widths_text("64..512")
    [64, 128, 256, 512]
    >>> parse_widths_text("64, 128")
    [64, 128]
    """
    text = text.strip()

    def one(part: str) -> int:
        try:
            return int(part.strip())
        except ValueError:
            raise InvalidInput(f"width must be an integer, got {part.strip()!r}") from None

    if ".." in text:
        a, _, b = text.partition("..")
        lo, hi = one(a), one(b)
        if lo < 1 or hi < lo:
            raise InvalidInput(f"width range must be 'lo..hi' with 1 <= lo <= hi, got {text!r}")
        out, w = [], lo
        while w <= hi:
            out.append(w)
            w *= 2
        return out
    return [one(p) for p in text.split(",") if p.strip()]
