"""Issue 14, "Bad input" and item 5: every bad input of the evaluation engine and its claims gives a
one-line error (exit 2 on the command line, nothing written), and the chunking keeps the estimated
working memory within the memory limit at any requested size (refusing, with the estimate, when a
single (seed, η) run alone exceeds it). No network is trained here: every case is refused first."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

import polylr

GIB = 2**30


# -- the API: cases not in test_nonlinear.py's table ------------------------------------------------


@pytest.mark.parametrize("make,match", [
    (lambda: polylr.Training(steps=-3, batch=4), "steps must be >= 0, got -3"),
    (lambda: polylr.Training(batch=0), r"batch must be an integer in \[1, 16\] .*got 0"),
    (lambda: polylr.Training(data=polylr.Data.synthetic(8, 4, seed=0), batch=9), r"batch must be an integer in \[1, 8\] .*got 9"),
    (lambda: polylr.MLP(activation="ReLU"), "unknown activation 'ReLU'; choose one of linear, relu, tanh, gelu"),
    (lambda: polylr.Optimizer("Adam"), "unknown optimizer 'Adam'; choose one of"),
    (lambda: polylr.scan_lr(polylr.Training(), 8, [0], []), "non-empty"),
    (lambda: polylr.scan_lr(polylr.Training(), 8, [0], [-0.1, 0.2, 0.3]), r"finite and > 0, got -0.1"),
    (lambda: polylr.scan_lr(polylr.Training(), 8, [0], [0.1, np.inf, 1e9]), r"finite and > 0, got inf"),
    (lambda: polylr.train_curves(polylr.Training(), 8, [0, 1], np.ones((3, 4))), "one row per seed"),
    (lambda: polylr.train_curves(polylr.Training(), 8, [], [0.1]), "seeds must be a non-empty"),
    (lambda: polylr.train_curves(polylr.Training(), 0, [0], [0.1]), "width n"),
    (lambda: polylr.scan_lr(polylr.Training(net=polylr.MLP(depth=3)), 2**15, range(8), [0.1, 0.2, 0.3]),
     r"width n = 32768: one \(seed, eta\) training run needs about [0-9.]+ GiB .*over the memory limit 8.00 GiB"),
    (lambda: polylr.check_gwb_ball(polylr.CheckOptions(budget=polylr.BUDGETS["tiny"], widths=(16, 2**26), seeds=2)),
     r"width n = 67108864: .* over the memory limit 8.00 GiB"),
])
def test_bad_input_api_one_line(make, match):
    with pytest.raises(polylr.PolylrError, match=match) as e:
        make()
    assert "\n" not in str(e.value)


# -- the command line: exit 2, one `error:` line, the output folder not created -----------------


@pytest.mark.parametrize("args,match", [
    (["check", "hayou-fig5", "--widths", "8,65536"], r"width n = 65536: .* needs about 432.08 GiB"),
    (["check", "gwb-relu-kindex", "--seeds", "0"], r"seeds must be in \[1, "),
    (["decompose", "--activation", "swish"], "unknown activation 'swish'"),
    (["decompose", "--optimizer", "rmsprop"], "unknown optimizer 'rmsprop'"),
    (["decompose", "--steps", "-1"], "steps must be >= 0, got -1"),
    (["decompose", "--etas", ","], "learning-rate grid must be a non-empty"),
    (["decompose", "--etas", "0.1,-0.2"], r"finite and > 0, got -0.2"),
    (["decompose", "--etas", "0"], r"finite and > 0, got 0.0"),
    (["decompose", "--widths", "16,65536"], r"width n = 65536: .* over the memory limit 8.00 GiB"),
])
def test_bad_input_cli_exit_2_nothing_written(tmp_path, args, match):
    from typer.testing import CliRunner

    from polylr.cli import app

    out = tmp_path / "o"
    r = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 2, r.output
    lines = r.output.splitlines()  # exactly one line: no empty line left by a progress bar either
    assert len(lines) == 1 and lines[0].startswith("error: ") and re.search(match, lines[0]), r.output
    assert not out.exists()


# -- item 5: the chunking keeps the estimate under the limit at any requested size --------------


NETS = [polylr.MLP(depth=0, activation="relu", bias=True, param=polylr.MUP_ADAM), polylr.MLP(depth=3, activation="relu"),
        polylr.MLP(depth=9, activation="linear", train=("hidden",))]
OPTS = [polylr.Optimizer("sgd"), polylr.Optimizer("adam"), polylr.Optimizer("momentum")]


@given(
    width=st.integers(1, 2**20), seeds=st.integers(1, 10_000), etas=st.integers(1, 2_000),
    net=st.sampled_from(NETS), opt=st.sampled_from(OPTS), dtype=st.sampled_from(["float32", "float64"]),
    m=st.integers(1, 4096), batch=st.one_of(st.none(), st.integers(1, 256)), steps=st.integers(0, 2**14),
    chunk_bytes=st.integers(1, 2**40), limit_gib=st.sampled_from([1, 8]),
)
# Both branches, whatever hypothesis draws: a depth-3 net at n = 2^17 is refused; at n = 256 it chunks.
@example(width=2**17, seeds=8, etas=16, net=NETS[1], opt=OPTS[1], dtype="float32", m=16, batch=None, steps=20, chunk_bytes=2**29, limit_gib=8)
@example(width=256, seeds=8, etas=16, net=NETS[1], opt=OPTS[1], dtype="float32", m=16, batch=None, steps=20, chunk_bytes=2**29, limit_gib=8)
def test_chunks_stay_under_the_memory_limit_or_refuse(width, seeds, etas, net, opt, dtype, m, batch, steps, chunk_bytes, limit_gib):
    from polylr.analysis.train import chunk_shape

    X = np.zeros((m, 64))
    tr = polylr.Training(net=net, optimizer=opt, data=polylr.Data(X, np.zeros(m), source="zeros"), steps=steps,
                         batch=None if batch is None else min(batch, m), dtype=dtype, memory_limit=limit_gib * GIB)
    one = tr.pair_bytes(width) + tr.seed_bytes(width) + tr.data_bytes()
    if one > tr.memory_limit:  # one (seed, η) run alone is over the limit: refused, with the estimate
        with pytest.raises(polylr.PolylrError, match=rf"width n = {width}: one \(seed, eta\) training run needs about {one / GIB:.2f} GiB") as e:
            chunk_shape(tr, width, seeds, etas, chunk_bytes)
        assert "\n" not in str(e.value)
        return
    sc, ec = chunk_shape(tr, width, seeds, etas, chunk_bytes)
    assert 1 <= sc <= seeds and 1 <= ec <= 8
    chunk = sc * (tr.seed_bytes(width) + ec * tr.pair_bytes(width))
    assert chunk + tr.data_bytes() <= tr.memory_limit  # the estimate of a call with its data: under the limit
    assert chunk <= max(chunk_bytes, tr.seed_bytes(width) + tr.pair_bytes(width))  # and within the chunk budget (>= one pair)


def test_chunk_shape_refuses_at_8_gib_with_the_estimate():
    from polylr.analysis.train import chunk_shape

    tr = polylr.Training(net=polylr.MLP(depth=3, activation="relu", param=polylr.MUP_ADAM), optimizer=polylr.Optimizer("adam"),
                         data=polylr.Data.synthetic(16, 16, seed=0), steps=20)
    # n = 16384: 3 n² + ... parameters; Adam keeps 2 moments: one run alone needs about 27 GiB.
    with pytest.raises(polylr.PolylrError, match=r"width n = 16384: one \(seed, eta\) training run needs about 27\.\d\d GiB"):
        chunk_shape(tr, 16384, 8, 16)
    sc, ec = chunk_shape(tr, 8192, 8, 16)  # about 6.8 GiB per run: one pair per call, under 8 GiB with the data
    assert (sc, ec) == (1, 1)
    assert tr.seed_bytes(8192) + tr.pair_bytes(8192) + tr.data_bytes() <= 8 * GIB
