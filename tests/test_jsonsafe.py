"""One JSON convention: ±inf and NaN as the strings "inf", "-inf", "nan"; absent values null."""

import json
import math

import numpy as np
import pytest

from polylr.core.jsonsafe import NONFINITE, json_float, json_ready


def test_nonfinite_floats_become_distinct_strings_and_read_back():
    values = [1.5, math.inf, -math.inf, math.nan, np.float32(0.25), np.float64(-math.inf)]
    out = json_ready(values)
    assert out == [1.5, "inf", "-inf", "nan", 0.25, "-inf"]
    back = [NONFINITE[v] if isinstance(v, str) else v for v in out]
    assert back[:3] == [1.5, math.inf, -math.inf] and math.isnan(back[3])
    assert [float(v) for v in out[1:3]] == [math.inf, -math.inf]  # float() reads them too


def test_nested_numpy_structures_pass_strict_json():
    doc = {1: (np.int64(3), np.bool_(True)), "ci": np.array([-np.inf, 0.5]), "absent": None, "name": "x"}
    out = json_ready(doc)
    assert out == {"1": [3, True], "ci": ["-inf", 0.5], "absent": None, "name": "x"}
    json.dumps(out, allow_nan=False)  # no Infinity / NaN tokens


def test_negative_control_plain_json_would_write_invalid_tokens():
    with pytest.raises(ValueError):
        json.dumps([math.inf], allow_nan=False)
    assert json_float(math.inf) == "inf" and json_float(2.0) == 2.0
