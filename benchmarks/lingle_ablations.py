"""Lingle's ablations at toy scale: run the ``lingle-*`` claims at one budget and print one table
(the paper's outcome next to both criteria), saving each result's JSON and figure.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/lingle_ablations.py --budget quick --out /tmp/lingle
    PYTHONPATH=. python benchmarks/lingle_ablations.py --budget thorough   # on a GPU: the thorough-gpu scale

``--only lingle-mup,lingle-sp`` runs a subset. ``--load DIR`` prints the table of the records that
the slow tests write with ``POLYLR_LINGLE_OUT=DIR`` (rows, verdicts, wall and CPU seconds)::

    POLYLR_LINGLE_OUT=/tmp/l15_out pytest tests/test_lingle.py --runslow -k quick_budget
    PYTHONPATH=. python benchmarks/lingle_ablations.py --load /tmp/l15_out
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

from polylr.claims import lingle
from polylr.claims.base import get_claim


def _row_md(cols, rows) -> str:
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return "\n".join(out + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def load(folder: pathlib.Path) -> None:
    """One table from the records (``*.json``) the slow tests wrote, with each run's wall and CPU
    (user + sys) seconds; SP controls (``*.sp-control.json``) in a second table."""
    recs = [json.loads(f.read_text()) for f in sorted(folder.glob("*.json"))]
    if not recs:
        raise SystemExit(f"no records (*.json) in {folder}")
    for control in (False, True):
        chosen = [r for r in recs if r["tag"].endswith(".sp-control") == control]
        if not chosen:
            continue
        cols = chosen[0]["cols"] + ["wall s", "CPU s (user+sys)"]
        rows = [row + [f"{r['wall_s']:.0f}", f"{r['cpu_s']:.0f}"] for r in chosen for row in r["rows"]]
        print("SP negative controls" if control else "quick budget")
        print(_row_md(cols, rows))
        print()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", default="quick", choices=("tiny", "quick", "default", "thorough"))
    ap.add_argument("--only", default=",".join(lingle.ABLATIONS))
    ap.add_argument("--out", default="/tmp/lingle")
    ap.add_argument("--load", default=None, help="print the table of saved slow-test records in this folder")
    args = ap.parse_args()
    if args.load:
        load(pathlib.Path(args.load))
        return
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.only.split(","):
        t0 = time.perf_counter()
        r = get_claim(name).check(args.budget, progress=lambda s: print("  ", s, flush=True))
        (out / f"{name}.json").write_text(json.dumps(r.to_json(), indent=1, ensure_ascii=False))
        for fname, data in r.figures("png").items():
            (out / fname).write_bytes(data)
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
        for v in r.verdicts:
            print(f"   {v.claim}: {v.status} — {v.reason}", flush=True)
        results.append(r)
    cols, rows = lingle.ablation_table(results)
    table = _row_md(cols, rows)
    (out / "table.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
