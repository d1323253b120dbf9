#!/usr/bin/env bash
# The GPU checks of the evaluation engine in one device call, within SECONDS (default 560), for the
# PHASES named (default throughput,precision,tests,cli, run in this order): throughput (float32, on
# an idle GPU, first; with whether a 6 GiB chunk, more networks per compiled call, beats the 512 MiB
# default at n = 4096), then in the background `polylr check gwb-relu-kindex --budget thorough` on
# n = 1024 and 4096 with 2 seeds (cli: about 5 minutes with the GPU entries' 48 GiB chunks, measured
# 4 Dec 2026: 53 s and 101 s for the μP panel), while the precision check (precision) and the
# nonlinear engine's and claims' tests, their CLI's included, on 4 workers (tests) run beside it;
# benchmarks/gpu_session.py says what each does. Not in the default: gwb-relu-kindex's paper-scale
# seeds in the background until the time is up (kindex: it shares the GPU with the cli phase), and
# the linear engines' float64 paths on the GPU (linear: benchmarks/gram_speed.py --quick, ~60 s on
# 2 CPU cores, run before the background phases so that it times an idle GPU). Run from the repository root on
# the device machine; its image lacks python-flint and typer 0.29 (with its dependencies), carried
# as wheels in .whl: fetched by the command below, ignored by git, so the device call names it
# (carry [".whl"]).
# Writes $OUT/session.log, and $OUT/kindex.log, $OUT/kindex.tgz, $OUT/cli.log, $OUT/cli.tgz for those phases.
#   bash benchmarks/gpu_session.sh [SECONDS [PHASES]]       e.g. 420 precision,tests,cli  or  300 throughput,linear
# The wheels, fetched here once (python 3.12, x86-64):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux2014_x86_64 -d .whl python-flint==0.9.0 typer==0.29.2 pydantic==2.14.4 \
#     pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 typing-extensions==4.16.0 \
#     shellingham==1.5.4 annotated-doc==0.0.7 rich==15.0.0 markdown-it-py==4.3.0 mdurl==0.1.2 pygments==2.21.0
set -u
total=${1:-560}
phases=,${2:-throughput,precision,tests,cli},
start=$(date +%s)
left() { echo $((total - ($(date +%s) - start))); }
has() { [[ $phases == *,$1,* ]]; }
export PYTHONUNBUFFERED=1 CI=true XLA_PYTHON_CLIENT_PREALLOCATE=false  # two JAX processes share the GPU
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD:$PWD/benchmarks
exec > >(tee -a "$OUT/session.log") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 benchmarks/gpu_session.py env || exit 1
python3 -c "import polylr.cli.main" || echo "!! polylr's CLI does not import here: the tests and cli phases will fail"
if has throughput; then
    echo "== throughput ($(left) s left)"
    timeout 60 python3 benchmarks/nonlinear_throughput.py --widths 256,1024,4096
    timeout 40 python3 benchmarks/nonlinear_throughput.py --widths 4096 --chunk-mib 6144  # more networks per call
fi
if has linear; then
    echo "== the linear engines (Gram sampler, sweep, dense vs Gram) in float64 ($(left) s left)"
    timeout 200 python3 benchmarks/gram_speed.py --quick
fi
kindex=
if has kindex; then
    echo "== gwb-relu-kindex at T = 2^14 in the background: $OUT/kindex.log ($(left) s left)"
    timeout $(($(left) - 10)) python3 benchmarks/gpu_session.py kindex /tmp/kindex $(($(left) - 40)) "$OUT/kindex.tgz" >"$OUT/kindex.log" 2>&1 &
    kindex=$!
fi
cli=
if has cli; then
    echo "== polylr check gwb-relu-kindex --budget thorough (thorough-gpu) on n = 1024, 4096, 2 seeds, in the background: $OUT/cli.log ($(left) s left)"
    (timeout $(($(left) - 20)) python3 -m polylr check gwb-relu-kindex --budget thorough --widths 1024,4096 --seeds 2 --out /tmp/cli
     echo "exit $?"; tar czf "$OUT/cli.tgz" --exclude='results.sqlite*' -C /tmp cli 2>/dev/null) >"$OUT/cli.log" 2>&1 &  # the store: 16 MiB
    cli=$!
fi
if has precision; then
    echo "== precision ($(left) s left)"
    timeout 90 python3 benchmarks/gpu_session.py precision
fi
if has tests; then
    echo "== the engine's tests on the GPU ($(left) s left)"
    timeout 240 python3 -m pytest -q -p no:cacheprovider -n 4 tests/test_nonlinear.py tests/test_nonlinear_inputs.py tests/test_decompose.py \
        tests/test_ball_verdicts.py tests/test_cli.py tests/test_cli_outputs.py tests/test_nonlinear_budgets.py tests/test_lingle.py \
        tests/test_claims.py tests/test_scan_store.py -k "relu or hayou or lingle or decompos or nonlinear or budget or ball or scan"
fi
if [[ -n $cli ]]; then
    echo "== waiting for polylr check ($(left) s left)"
    wait $cli
    tail -25 "$OUT/cli.log"
fi
if [[ -n $kindex ]]; then
    echo "== waiting for gwb-relu-kindex ($(left) s left)"
    wait $kindex
    tail -3 "$OUT/kindex.log"
fi
echo "== done ($(left) s left)"
