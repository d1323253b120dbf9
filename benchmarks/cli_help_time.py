"""Benchmark: how long ``polylr --help`` (and ``polylr check --help``) takes, end to end, in a fresh process.

Target (issue 12): under 1 s on the 2-core development machine. Each command runs ``--runs`` times
in a new interpreter; the script prints the median wall time, the median of a bare interpreter
(``python -c pass``, the floor no CLI can beat), their ratio, and the modules that ``--help``
imported among jax, sympy, matplotlib, scipy, numpy and rich (none is wanted; typer is).

    OPENBLAS_NUM_THREADS=1 python benchmarks/cli_help_time.py            # 7 runs each
    python benchmarks/cli_help_time.py --runs 3
    python -X importtime -m polylr --help 2>&1 >/dev/null | sort -t'|' -k2 -n | tail   # where the time goes

On a loaded machine the wall times grow with the load (the ratio to the bare interpreter much less):
quote both, with the load average the script prints.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

PROBE = (
    "import sys\n"
    "from polylr.cli.main import main\n"
    "sys.argv = ['polylr', *sys.argv[1:]]\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "print(','.join(m for m in ('jax', 'sympy', 'matplotlib', 'scipy', 'numpy', 'rich') if m in sys.modules), file=sys.stderr)\n"
)


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    py = sys.executable
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average (1 min) {load:.2f}; Python {sys.version.split()[0]}")
    bare = statistics.median(wall([py, "-c", "pass"]) for _ in range(args.runs))
    print(f"bare interpreter (python -c pass): median {bare:.3f} s over {args.runs} runs")
    for argv in (["--help"], ["check", "--help"]):
        t = statistics.median(wall([py, "-m", "polylr", *argv]) for _ in range(args.runs))
        heavy = subprocess.run([py, "-c", PROBE, *argv], capture_output=True, text=True, check=True).stderr.strip()
        verdict = "meets" if t < 1.0 else "MISSES"
        print(f"polylr {' '.join(argv)}: median {t:.3f} s ({t / bare:.1f}x the bare interpreter; {verdict} the 1 s target); "
              f"heavy modules imported: {heavy or 'none'}")


if __name__ == "__main__":
    main()
