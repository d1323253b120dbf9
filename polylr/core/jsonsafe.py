"""The one JSON convention of polylr's outputs (``results.json``, ``--json``, claim bodies, exports).

JSON has no infinities and no NaN, and ``json.dumps`` would write the invalid tokens ``Infinity`` /
``NaN``. polylr writes

- ``+inf``, ``-inf``, ``nan`` as the **strings** ``"inf"``, ``"-inf"``, ``"nan"``: an infinite end
  of a bootstrap interval (a ±∞ slope) stays distinguishable from an undefined value, and
  ``float("inf")`` / ``pandas`` read them back as floats;
- a value that is *absent* (no prediction, no limit) as ``null`` (Python ``None``), decided by the
  producer, never by this conversion;
- numpy scalars and arrays as plain numbers and lists, tuples as lists, mapping keys as strings.

:func:`json_ready` applies it to any nested structure; the documents it returns pass
``json.dumps(..., allow_nan=False)``.
"""

from __future__ import annotations

import math

import numpy as np

NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def json_float(x: float) -> float | str:
    """``x`` itself when finite, else ``"inf"``, ``"-inf"`` or ``"nan"``.

    Examples
    --------
    >>> json_float(0.25), json_float(float("-inf")), json_float(float("nan"))
    (0.25, '-inf', 'nan')
    """
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def json_ready(obj):
    """``obj`` (dicts, lists, tuples, numpy arrays and scalars, floats) in polylr's JSON convention
    (module docstring); other values are returned unchanged.

    Examples
    --------
    >>> import math, numpy as np
    >>> json_ready({"eta": np.float64(math.inf), "ci": (1.5, math.nan), 2: np.arange(2)})
    {'eta': 'inf', 'ci': [1.5, 'nan'], '2': [0, 1]}
    """
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return json_float(obj)
    return obj
