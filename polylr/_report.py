"""Reports: a verdict table for the terminal, ``results.json``, and plots; written atomically.

Nothing is written half-way: the output folder is checked for writability before any work, every
file is rendered in memory first, then each is written to a temporary file in the folder and
renamed into place.
"""

from __future__ import annotations

import io
import json
import math
import os
import platform
import tempfile
from pathlib import Path

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from rich.table import Table  # noqa: E402

from . import __version__  # noqa: E402
from ._claims import DegreeCheck, SweepCheck  # noqa: E402
from ._errors import PolylrError  # noqa: E402

STATUS_STYLE = {"holds": "bold green", "fails": "bold red", "inconclusive": "bold yellow"}


# -- output folder -------------------------------------------------------------------------


def prepare_out(out: str | Path) -> tuple[Path, bool]:
    """Create ``out`` if needed and prove it writable; returns ``(path, created)``.

    Raises :class:`PolylrError` (and leaves nothing behind) when it cannot be written.
    """
    path = Path(out)
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".polylr-probe-"):
            pass
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
        "x64": bool(jax.config.jax_enable_x64),
    }


def _clean(x):
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _nu_label(order: float) -> str:
    """Name of the scaled learning rate ν = n^-order·η."""
    if order == 0:
        return r"\eta"
    if order == -1:
        return r"n\,\eta"
    return rf"n^{{{-order:g}}}\eta"


def _width_rows(r: SweepCheck) -> list[dict]:
    sw = r.sweep
    out = []
    for w in sw.widths:
        row = {**sw.summary(w).to_dict(), "interval": list(sw.interval_at(w)), "seconds": sw.seconds.get(w)}
        if r.eta_inf is not None:
            row["mean_abs_error"] = float(np.mean(np.abs(r.errors(w))))
        out.append(row)
    return out


def _generic(r) -> bool:
    """A result that follows the claim-result protocol itself (to_json, tables, plot, markdown)."""
    return not isinstance(r, (SweepCheck, DegreeCheck)) and all(hasattr(r, a) for a in ("to_json", "tables", "plot", "markdown"))


def result_dict(r) -> dict:
    """A JSON-ready record of a check result: setup, seeds, every row, fits and verdicts."""
    if _generic(r):
        return _clean({"check": r.name, "environment": environment(), **r.to_json()})
    if isinstance(r, DegreeCheck):
        body = {"rows": list(r.rows)}
    else:
        sw = r.sweep
        body = {
            "setup": r.setup.describe(),
            "campaign": {
                "widths": list(sw.widths),
                "seeds": len(sw.seeds),
                "master_seed": sw.master_seed,
                "key": "jax.random.fold_in(jax.random.fold_in(jax.random.key(master_seed), width), seed)",
                "interval": list(sw.interval),
                "interval_order": sw.order,
                "tol": r.tol,
            },
            "eta_inf": r.eta_inf,
            "limit_loss_coefficients": None if r.limit is None else [float(c) for c in r.limit.loss.to_float().coeffs],
            "widths": _width_rows(r),
            "fits": {k: f.to_dict() for k, f in r.fits.items()},
            "rows": list(sw.rows),
        }
    return _clean(
        {"check": r.name, "environment": environment(), **body, "verdicts": [v.to_dict() for v in r.verdicts], "seconds": r.seconds}
    )


def to_json(r) -> str:
    return json.dumps(result_dict(r), indent=2, ensure_ascii=False)


# -- terminal tables -----------------------------------------------------------------------


def tables(r) -> list[Table]:
    """The terminal tables of a check result."""
    if _generic(r):
        out = []
        for title, cols, rows in r.tables():
            t = Table(title=title)
            for col in cols:
                t.add_column(str(col), overflow="fold")
            for row in rows:
                t.add_row(*(str(c) for c in row))
            out.append(t)
        return out
    if isinstance(r, DegreeCheck):
        t = Table(title="degree of f^(t) in η")
        for col in ("L", "t", "formula", "engine", "leading coeff ≠ 0"):
            t.add_column(col, justify="right")
        for row in r.rows:
            t.add_row(str(row["depth"]), str(row["steps"]), str(row["formula"]), str(row["engine"]), str(row["leading_nonzero"]))
        return [t, verdict_table([r])]
    return [width_table(r), fit_table(r), verdict_table([r])]


def width_table(r: SweepCheck) -> Table:
    step = "" if r.setup.steps == 1 else f"^({r.setup.steps})"
    lim = "" if r.eta_inf is None else f", η_∞{step} = {r.eta_inf:.6g}"
    steps = "" if r.setup.steps == 1 else f", t = {r.setup.steps}"
    t = Table(title=f"{r.name}: η_n{step} per width ({r.setup.param.name}{steps}{lim})")
    cols = ["n", "seeds", "mean η_n", "95% CI", "sd"] + (["mean |η_n − η_∞|"] if r.eta_inf is not None else []) + ["on boundary"]
    for col in cols:
        t.add_column(col, justify="right")
    for row in _width_rows(r):
        cells = [str(row["width"]), str(row["seeds"]), f"{row['mean']:.5g}", f"[{row['ci'][0]:.5g}, {row['ci'][1]:.5g}]", f"{row['sd']:.4g}"]
        if r.eta_inf is not None:
            cells.append(f"{row['mean_abs_error']:.4g}")
        t.add_row(*cells, f"{row['boundary_fraction']:.0%}")
    return t


def fit_table(r: SweepCheck) -> Table:
    t = Table(title="fitted width exponents (bootstrap over seeds)")
    for col in ("quantity", "exponent", "CI"):
        t.add_column(col, justify="right")
    for f in r.fits.values():
        t.add_row(f.quantity, f"{f.exponent:.3f}", f"[{f.ci[0]:.3f}, {f.ci[1]:.3f}] ({f.level:.0%})")
    return t


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


# -- plots ---------------------------------------------------------------------------------


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def plot_loss_curves(r: SweepCheck) -> bytes:
    """Seed-mean loss against the scaled learning rate ν = n^-order·η, per width, with the limit."""
    sw = r.sweep
    lo, hi = sw.interval
    nu = np.linspace(lo, hi, 400)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    cmap = plt.get_cmap("viridis")
    tops = []
    for k, w in enumerate(sw.widths):
        etas, values = sw.mean_loss_curve(w)
        finite = values[np.isfinite(values)]
        tops.append(float(finite[0]) if finite.size else 1.0)
        ax.plot(etas / float(w) ** sw.order, values, color=cmap(k / max(1, len(sw.widths) - 1)), lw=1.4, label=f"n = {w}")
    limit = r.limit_loss(nu) if sw.order == 0 else None
    if limit is not None:
        ax.plot(nu, limit, "k--", lw=1.6, label=r"limit $L_\infty$")
        ax.axvline(r.eta_inf, color="0.4", lw=0.8, ls=":")
    ax.set_ylim(0, 1.6 * max(tops))
    ax.set_xlabel(rf"learning rate ${_nu_label(sw.order)}$")
    ax.set_ylabel(rf"seed-mean loss $L_n^{{({r.setup.steps})}}$")
    ax.set_title(f"{r.name}: loss after t = {r.setup.steps} ({r.setup.param.name}, {len(sw.seeds)} seeds, L = {r.setup.depth})")
    ax.legend(fontsize=8)
    return _png(fig)


def plot_eta_vs_width(r: SweepCheck) -> bytes:
    sw = r.sweep
    s = [sw.summary(w) for w in sw.widths]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    means = np.array([x.mean for x in s])
    err = np.array([[x.mean - x.ci[0], x.ci[1] - x.mean] for x in s]).T
    ax.errorbar(sw.widths, means, yerr=err, fmt="o-", capsize=4, label=r"mean $\eta_n$, 95% CI")
    if r.eta_inf is not None:
        ax.axhline(r.eta_inf, color="k", ls="--", label=rf"$\eta_\infty = {r.eta_inf:.4g}$")
    if sw.order != 0:
        ax.set_yscale("log")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width n")
    ax.set_ylabel(r"optimal learning rate $\eta_n$")
    ax.set_title(f"{r.name}: optimal learning rate across widths ({r.setup.param.name})")
    ax.legend()
    return _png(fig)


def plot_loglog(r: SweepCheck) -> bytes:
    """Each fitted quantity against width with its fitted line; reference slopes for the claims."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for key, f in r.fits.items():
        n = np.array(f.widths, dtype=float)
        v = np.array(f.values)
        ci = np.array(f.value_ci).T
        bars = ax.errorbar(n, v, yerr=[v - ci[0], ci[1] - v], fmt="o", capsize=4, label=f"{f.quantity} (bootstrap CI)")
        ax.plot(n, f.prefactor * n**f.exponent, "-", color=bars[0].get_color(),
                label=rf"fit $n^{{{f.exponent:.2f}}}$, CI [{f.ci[0]:.2f}, {f.ci[1]:.2f}]")
    ref = r.fits["error"] if "error" in r.fits else r.fits["random_limit"]
    slope = -0.5
    n = np.array(ref.widths, dtype=float)
    centre = np.exp(np.mean(np.log(n)))  # reference lines pass through the data's geometric centre
    ax.plot(n, np.exp(np.mean(np.log(ref.values))) * (n / centre) ** slope, "k--", lw=1, label=r"reference $n^{-1/2}$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("width n")
    ax.set_title(f"{r.name}: width exponents")
    ax.legend(fontsize=7)
    return _png(fig)


def _plots(r) -> dict:
    if isinstance(r, DegreeCheck):
        return {}
    loglog = "error_loglog.png" if r.eta_inf is not None else "exponents_loglog.png"
    return {"loss_curves.png": plot_loss_curves, "eta_vs_width.png": plot_eta_vs_width, loglog: plot_loglog}


def render(r) -> dict[str, bytes]:
    """All output files of one check, rendered in memory."""
    if _generic(r):
        with tempfile.TemporaryDirectory() as tmp:
            plots = {p.name: p.read_bytes() for p in r.plot(Path(tmp), "png")}
        return {"results.json": to_json(r).encode(), **plots}
    return {"results.json": to_json(r).encode(), **{name: plot(r) for name, plot in _plots(r).items()}}


# -- reports over several checks -----------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_report(results, budget_name: str) -> str:
    """One Markdown report for a ``polylr check`` run: every claim, its verdict, key numbers, plots."""
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
            lines.append(f"| `{v.claim}` | {_md_escape(v.statement)} | **{v.status}** | {_md_escape(v.reason)} |")
    for r in results:
        if _generic(r):
            lines += ["", r.markdown().rstrip("\n"), ""]
            with tempfile.TemporaryDirectory() as tmp:
                lines += [f"![{p.name}]({r.name}/{p.name})" for p in r.plot(Path(tmp), "png")]
            continue
        lines += ["", f"## {r.name}", ""]
        if isinstance(r, DegreeCheck):
            lines += ["| L | t | formula | engine | leading coefficient ≠ 0 |", "|---|---|---|---|---|"]
            lines += [f"| {x['depth']} | {x['steps']} | {x['formula']} | {x['engine']} | {x['leading_nonzero']} |" for x in r.rows]
            continue
        sw = r.sweep
        lines += [
            f"Setup: {_md_escape(str(r.setup.describe()))}.",
            "",
            f"Widths {list(sw.widths)}, {len(sw.seeds)} seeds per width (master seed {sw.master_seed}), interval "
            f"[{sw.interval[0]:.6g}, {sw.interval[1]:.6g}]" + (f"·n^{sw.order:g}" if sw.order else "")
            + (f"; η_∞ = {r.eta_inf:.6g}" if r.eta_inf is not None else "") + f"; {r.seconds:.1f} s.",
            "",
            "| n | mean η_n | 95% CI | sd | on boundary |",
            "|---|---|---|---|---|",
        ]
        for row in _width_rows(r):
            lines.append(f"| {row['width']} | {row['mean']:.6g} | [{row['ci'][0]:.6g}, {row['ci'][1]:.6g}] | {row['sd']:.4g} | {row['boundary_fraction']:.0%} |")
        lines += ["", "| quantity | exponent | 95% CI |", "|---|---|---|"]
        lines += [f"| {_md_escape(f.quantity)} | {f.exponent:.3f} | [{f.ci[0]:.3f}, {f.ci[1]:.3f}] |" for f in r.fits.values()]
        lines.append("")
        lines += [f"![{name}]({r.name}/{name})" for name in _plots(r)]
    return "\n".join(lines) + "\n"


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
            numbers = f"${ev['exponent']:.3f}$ $[{ev['ci'][0]:.3f}, {ev['ci'][1]:.3f}]$" if "exponent" in ev else "--"
            rows.append(rf"\texttt{{{_tex(v.claim)}}} & {_tex(v.statement)} & {numbers} & {v.status} \\")
    return "\n".join(
        [r"\begin{tabular}{llll}", r"\toprule", r"claim & statement & exponent (95\% CI) & verdict \\", r"\midrule", *rows,
         r"\bottomrule", r"\end{tabular}"]
    ) + "\n"
