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
from ._claims import CheckResult  # noqa: E402
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


def result_dict(r: CheckResult) -> dict:
    sw = r.sweep
    return _clean(
        {
            "check": r.name,
            "environment": environment(),
            "setup": r.setup.describe(),
            "campaign": {
                "widths": list(sw.widths),
                "seeds": len(sw.seeds),
                "master_seed": sw.master_seed,
                "key": "jax.random.fold_in(jax.random.fold_in(jax.random.key(master_seed), width), seed)",
                "interval": list(sw.interval),
                "tol": r.tol,
            },
            "eta_inf": r.eta_inf,
            "limit_loss_coefficients": [float(c) for c in r.limit.loss.to_float().coeffs],
            "widths": [
                {**sw.summary(w).to_dict(), "mean_abs_error": float(np.mean(np.abs(r.errors(w)))), "seconds": sw.seconds.get(w)}
                for w in sw.widths
            ],
            "fits": {k: f.to_dict() for k, f in r.fits.items()},
            "verdicts": [v.to_dict() for v in r.verdicts],
            "rows": list(sw.rows),
            "seconds": r.seconds,
        }
    )


def to_json(r: CheckResult) -> str:
    return json.dumps(result_dict(r), indent=2, ensure_ascii=False)


# -- terminal tables -----------------------------------------------------------------------


def width_table(r: CheckResult) -> Table:
    t = Table(title=f"{r.name}: η_n per width (η_∞ = {r.eta_inf:.6g}, interval [{r.sweep.interval[0]:.4g}, {r.sweep.interval[1]:.4g}])")
    for col in ("n", "seeds", "mean η_n", "95% CI", "sd", "mean |η_n − η_∞|", "on boundary"):
        t.add_column(col, justify="right")
    for w in r.sweep.widths:
        s = r.sweep.summary(w)
        t.add_row(
            str(w), str(s.seeds), f"{s.mean:.5f}", f"[{s.ci[0]:.5f}, {s.ci[1]:.5f}]", f"{s.sd:.4f}",
            f"{np.mean(np.abs(r.errors(w))):.4f}", f"{s.boundary_fraction:.0%}",
        )
    return t


def fit_table(r: CheckResult) -> Table:
    t = Table(title="fitted width exponents (bootstrap over seeds)")
    for col in ("quantity", "exponent", "CI"):
        t.add_column(col, justify="right")
    for f in r.fits.values():
        t.add_row(f.quantity, f"{f.exponent:.3f}", f"[{f.ci[0]:.3f}, {f.ci[1]:.3f}] ({f.level:.0%})")
    return t


def verdict_table(r: CheckResult) -> Table:
    t = Table(title="verdicts", show_lines=True)
    t.add_column("claim")
    t.add_column("statement")
    t.add_column("verdict")
    t.add_column("why", overflow="fold")
    for v in r.verdicts:
        t.add_row(v.claim, v.statement, f"[{STATUS_STYLE[v.status]}]{v.status}[/]", v.reason)
    return t


# -- plots ---------------------------------------------------------------------------------


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def plot_loss_curves(r: CheckResult) -> bytes:
    sw = r.sweep
    lo, hi = sw.interval
    etas = np.linspace(lo, hi, 400)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    cmap = plt.get_cmap("viridis")
    for k, w in enumerate(sw.widths):
        ax.plot(etas, sw.mean_loss(w)(etas), color=cmap(k / max(1, len(sw.widths) - 1)), lw=1.4, label=f"n = {w}")
    ax.plot(etas, r.limit.loss(etas), "k--", lw=1.6, label=r"limit $L_\infty^{(1)}$")
    ax.axvline(r.eta_inf, color="0.4", lw=0.8, ls=":")
    top = max(float(np.max(r.limit.loss(etas))), float(r.limit.loss(lo)))
    ax.set_ylim(0, 1.6 * top)
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(rf"seed-mean loss $L_n^{{({r.setup.steps})}}(\eta)$")
    ax.set_title(f"{r.name}: loss after t = {r.setup.steps} step ({len(sw.seeds)} seeds, L = {r.setup.depth})")
    ax.legend(fontsize=8)
    return _png(fig)


def plot_eta_vs_width(r: CheckResult) -> bytes:
    sw = r.sweep
    s = [sw.summary(w) for w in sw.widths]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    means = np.array([x.mean for x in s])
    err = np.array([[x.mean - x.ci[0], x.ci[1] - x.mean] for x in s]).T
    ax.errorbar(sw.widths, means, yerr=err, fmt="o-", capsize=4, label=r"mean $\eta_n$, 95% CI")
    ax.axhline(r.eta_inf, color="k", ls="--", label=rf"$\eta_\infty = {r.eta_inf:.4g}$")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width n")
    ax.set_ylabel(r"optimal learning rate $\eta_n$")
    ax.set_title(f"{r.name}: optimal learning rate across widths")
    ax.legend()
    return _png(fig)


def plot_error_loglog(r: CheckResult) -> bytes:
    f = r.fits["error"]
    n = np.array(f.widths, dtype=float)
    v = np.array(f.values)
    ci = np.array(f.value_ci).T
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.errorbar(n, v, yerr=[v - ci[0], ci[1] - v], fmt="o", capsize=4, label=r"mean $|\eta_n - \eta_\infty|$ (bootstrap CI)")
    ax.plot(n, f.prefactor * n**f.exponent, "-", label=rf"fit: $n^{{{f.exponent:.2f}}}$, CI [{f.ci[0]:.2f}, {f.ci[1]:.2f}]")
    centre = np.exp(np.mean(np.log(n)))  # the reference line passes through the data's geometric centre
    ax.plot(n, np.exp(np.mean(np.log(v))) * (n / centre) ** -0.5, "k--", label=r"reference $n^{-1/2}$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("width n")
    ax.set_ylabel(r"$|\eta_n - \eta_\infty|$")
    ax.set_title(f"{r.name}: convergence rate")
    ax.legend(fontsize=8)
    return _png(fig)


def render(r: CheckResult) -> dict[str, bytes]:
    """All output files of a check, rendered in memory."""
    return {
        "results.json": to_json(r).encode(),
        "loss_curves.png": plot_loss_curves(r),
        "eta_vs_width.png": plot_eta_vs_width(r),
        "error_loglog.png": plot_error_loglog(r),
    }


def save(r: CheckResult, out: str | Path) -> list[Path]:
    path, created = prepare_out(out)
    try:
        files = render(r)
    except BaseException:
        discard_out(path, created)
        raise
    return write_files(path, files)

