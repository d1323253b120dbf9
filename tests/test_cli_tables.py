"""Terminal tables never cut or split a number (issue 12, part 4): at ``COLUMNS=60`` every number of
a wide table is printed whole on one line, and no cell is truncated with an ellipsis; prose cells
wrap between words. The negative control prints the same table with rich's defaults, which truncate."""

from __future__ import annotations

import io
from importlib import import_module

from rich.console import Console
from rich.table import Table

cli = import_module("polylr.cli.main")

ROWS = [["1048576", "1000", "1.39971", "[1.39962, 1.39980]", "0.001473", "0.001172", "0%"],
        ["64", "1000", "1.40612", "[1.40012, 1.41212]", "0.09671", "0.07711", "100%"]]
COLUMNS = ["n", "seeds", "mean η_n", "95% CI", "sd", "mean |η_n − η_∞|", "on boundary"]
REASON = "fitted exponent of |η_n − η_∞| -0.644, 95% CI [-0.800, -0.467] lies at or below -0.40 (-1/2 plus tolerance 0.1)"


def tables():
    t = cli.new_table("η_n per width", COLUMNS, justify="right")
    for r in ROWS:
        t.add_row(*r)
    v = Table(title="verdicts")
    for c in ("claim", "verdict", "why"):
        v.add_column(c, overflow="fold")
    v.add_row("theorem1.rate", "[bold green]holds[/]", REASON)
    return t, v


def printed(show) -> str:
    buf = io.StringIO()
    con = Console(file=buf, width=60, force_terminal=False)  # as COLUMNS=60 gives
    for t in tables():
        show(con, t)
    return buf.getvalue()


def test_numbers_are_whole_at_60_columns():
    text = printed(cli.show)
    lines = text.splitlines()
    numbers = [w.strip("[],") for r in ROWS for cell in r for w in cell.split()] + [
        w.strip("[](),") for w in REASON.split() if any(ch.isdigit() for ch in w)]
    assert all(any(n in line for line in lines) for n in numbers), text
    assert "…" not in text
    assert "mean" in text and "boundary" in text  # headers wrap between words, whole


def test_negative_control_rich_defaults_truncate():
    text = printed(lambda con, t: con.print(t))
    assert "…" in text or not all(n in text for n in ("1048576", "0.001473"))
