"""Reports: terminal tables, ``results.json``, figures and the Markdown/LaTeX report of any claim
result that follows the protocol of :mod:`polylr.claims.results`; written atomically.

Nothing is written half-way: the output folder is checked for writability before any work, every
file is rendered in memory first, then each is written to a temporary file in the folder and
renamed into place.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path

import jax
import numpy as np
from rich.table import Table

from ..core.errors import PolylrError
from ..core.jsonsafe import json_ready
from ..core.version import __version__

STATUS_STYLE = {"holds": "bold green", "fails": "bold red", "inconclusive": "bold yellow"}


# -- output folder -------------------------------------------------------------------------

PROBE_BYTES = 64 * 1024  # written (and removed) by prepare_out: room for at least this much is required


def prepare_out(out: str | Path) -> tuple[Path, bool]:
    """Create ``out`` if needed and prove it writable; returns ``(path, created)``.

    Raises :class:`PolylrError` (and leaves nothing behind) when it cannot be written.
    """
    path = Path(out)
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".polylr-probe-") as probe:
            probe.write(bytes(PROBE_BYTES))  # a full disk (or a file-size limit) fails here, not after the work
            probe.flush()
    except OSError as e:
        if created and path.is_dir() and not any(path.iterdir()):
            path.rmdir()
        raise PolylrError(f"output folder {str(path)!r} is not writable: {e.strerror or e}") from None
    if not path.is_dir():
        raise PolylrError(f"output path {str(path)!r} is not a folder")
    return path, created


def discard_out(path: Path, created: bool) -> None:
    """Remove a folder made by :func:`prepare_out` if it is still empty (the run failed)."""
    if created and path.is_dir() and not any(path.iterdir()):
        path.rmdir()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every file (rendered beforehand) via a temporary file and an atomic rename."""
    written = []
    mode = 0o666 & ~_umask()
    for name, data in files.items():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(folder / name)
    return written


# -- JSON ----------------------------------------------------------------------------------


def environment() -> dict:
    """Versions that results depend on (JAX's threefry values changed once across versions)."""
    return {
        "polylr": __version__,
        "jax": jax.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "backend": jax.default_backend(),
        "x64": True,  # every engine call runs inside jax.enable_x64(True) (polylr.core.precision)
    }


# Version of the files of a claim: results.json, summary.json and --json (docs/results.md); the SQLite
# store has its own, report.store.STORE_SCHEMA_VERSION.
RESULTS_SCHEMA_VERSION = 2  # 1: one mixed results.json
DATA_FILES = ("results.json", "summary.json")  # the files of a claim that are not figures


def records(r) -> list[dict]:
    """The claim's tidy table, one flat record per row, each starting with ``schema_version`` and
    ``check``: the result's ``records()`` when it has that method (a sweep claim: one row per (width,
    seed) with its context), else the ``rows`` of its ``to_json()``, else one row per verdict (claims
    that keep no per-network table). Nested values are JSON text; ±inf and NaN follow
    :mod:`polylr.core.jsonsafe` (what ``pandas.read_json`` reads back as floats)."""
    if callable(getattr(r, "records", None)):
        rows = r.records()
    else:
        rows = r.to_json().get("rows")
        if not isinstance(rows, list) or not all(isinstance(x, dict) for x in rows):
            rows = [v.to_dict() for v in r.verdicts]
    head = {"schema_version": RESULTS_SCHEMA_VERSION, "check": r.name}
    flat = lambda v: json.dumps(json_ready(v), ensure_ascii=False, allow_nan=False) if isinstance(v, (dict, list, tuple)) else v  # noqa: E731
    return json_ready([{**head, **{k: flat(v) for k, v in row.items()}} for row in rows])


def result_dict(r) -> dict:
    """The claim-level record of a check result (``summary.json``): schema version, check, environment,
    the result's own body without its rows, the verdicts and the running time."""
    body = {k: v for k, v in r.to_json().items() if k != "rows"}
    return json_ready(
        {"schema_version": RESULTS_SCHEMA_VERSION, "check": r.name, "environment": environment(), **body,
         "verdicts": [v.to_dict() for v in r.verdicts], "seconds": r.seconds, "rows_file": "results.json"}
    )


def document(r) -> dict:
    """The ``--json`` document of one check: :func:`result_dict` plus ``rows`` (:func:`records`).
    Always this shape; ``polylr check --json`` prints a list of them (one per claim)."""
    return {**result_dict(r), "rows": records(r)}


def to_json(r) -> str:
    return json.dumps(document(r), indent=2, ensure_ascii=False, allow_nan=False)


# -- terminal tables -----------------------------------------------------------------------


def own_tables(r) -> list[Table]:
    """The terminal tables of anything with ``tables()`` (``(title, columns, rows)`` triples)."""
    out = []
    for title, columns, rows in r.tables():
        t = Table(title=title)
        for col in columns:
            t.add_column(col, justify="right")
        for row in rows:
            t.add_row(*(str(c) for c in row))
        out.append(t)
    return out


def tables(r) -> list[Table]:
    """The terminal tables of a check result: its own tables, then its verdicts."""
    return [*own_tables(r), verdict_table([r])]


def verdict_table(results) -> Table:
    t = Table(title="verdicts", show_lines=True)
    t.add_column("claim")
    t.add_column("statement")
    t.add_column("verdict")
    t.add_column("why", overflow="fold")
    for r in results:
        for v in r.verdicts:
            t.add_row(v.claim, v.statement, f"[{STATUS_STYLE[v.status]}]{v.status}[/]", v.reason)
    return t


def render(r, fmt: str = "png") -> dict[str, bytes]:
    """All output files of one check, rendered in memory: ``results.json`` (the tidy rows, a JSON list
    of flat records: ``pandas.read_json`` reads it as a table), ``summary.json`` (the claim-level
    record: environment, fits, limits, verdicts) and the figures."""
    dump = lambda doc: json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False).encode()  # noqa: E731
    return {"results.json": dump(records(r)), "summary.json": dump(result_dict(r)), **r.figures(fmt)}


def figure_names(files: dict) -> list[str]:
    """The figures among :func:`render`'s files."""
    return [name for name in files if name not in DATA_FILES]


# -- reports over several checks -----------------------------------------------------------


def markdown_report(results, budget_name: str, figures: dict[str, list[str]] | None = None) -> str:
    """One Markdown report for a ``polylr check`` run: the verdicts of every claim, then each
    result's own section with links to its figures (``figures``: claim name -> file names)."""
    env = environment()
    lines = [
        "# polylr check report",
        "",
        f"polylr {env['polylr']}, jax {env['jax']} ({env['backend']}, x64 = {env['x64']}), numpy {env['numpy']}, "
        f"Python {env['python']}; budget `{budget_name}`.",
        "",
        "| claim | statement | verdict | why |",
        "|---|---|---|---|",
    ]
    for r in results:
        for v in r.verdicts:
            lines.append(f"| `{v.claim}` | {md_escape(v.statement)} | **{v.status}** | {md_escape(v.reason)} |")
    for r in results:
        lines += ["", r.markdown().rstrip(), ""]
        lines += [f"![{name}]({r.name}/{name})" for name in (figures or {}).get(r.name, [])]
    return "\n".join(lines) + "\n"


def md_escape(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _tex(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"), ("^", r"\^{}")):
        text = text.replace(a, b)
    return text


def latex_table(results) -> str:
    """The verdict table as a LaTeX ``tabular`` (booktabs), for a paper's appendix."""
    rows = []
    for r in results:
        for v in r.verdicts:
            ev = v.evidence
            numbers = f"${ev['exponent']:.3f}$ $[{ev['ci'][0]:.3f}, {ev['ci'][1]:.3f}]$" if {'exponent', 'ci'} <= set(ev) else "--"
            rows.append(rf"\texttt{{{_tex(v.claim)}}} & {_tex(v.statement)} & {numbers} & {v.status} \\")
    return "\n".join(
        [r"\begin{tabular}{llll}", r"\toprule", r"claim & statement & exponent (95\% CI) & verdict \\", r"\midrule", *rows,
         r"\bottomrule", r"\end{tabular}"]
    ) + "\n"
