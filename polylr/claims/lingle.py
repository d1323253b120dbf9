"""Lingle's μP ablations ("An Empirical Study of μP Learning Rate Transfer", arXiv 2404.05728) at
toy scale: a pre-norm MLP character model (:mod:`polylr.engines.charlm`) on generated text, and
for zero query initialisation (which needs attention) a 2-layer pre-norm causal transformer.

Each ablation is a claim whose panels (one network/optimizer each) are trained at every width on
one learning-rate grid in factors of 2 (:func:`polylr.scan_lr` without refinement: every
refinement round compiles a new program, which cost more than the grid itself on 2 cores), with two verdicts per panel:

- ``….paper`` — **Lingle's criterion**: the argmin of the seed-mean held-out loss on the grid is
  the same grid point at every width (holds) or not (fails); inconclusive when it sits on an end
  of the grid at some width;
- ``….drift`` — **polylr's**: the exponent γ of ``η*_n ∝ n^γ`` (the seed mean of the per-seed
  optima, each the vertex of the parabola in log η through the seed's grid argmin and its two
  neighbours, :func:`vertex_argmins`; :func:`polylr.fit_rate`, bootstrap over seeds) lies within ``±DRIFT_TOL``
  (holds: the optimum moves by less than a factor ``2^DRIFT_TOL`` per doubling of the width) or
  outside it (fails); inconclusive when the 95% interval overlaps the band's edge, with fewer than
  8 seeds or 3 widths, or when over 10% of the per-seed optima sit on the grid's end.

The paper's reported outcome is stored with each claim (:data:`PAPER_OUTCOMES`);
:func:`ablation_table` puts the verdicts next to it. The baseline μP/SP claims and the other
ablations keep the MLP model (docs/lingle.md says why); ``lingle-zero-query`` trains the transformer
with the default and the zero query initialisation, so its first panel is also the transformer's
μP baseline.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
from scipy.stats import t as student_t

from .base import FAILS, HOLDS, INCONCLUSIVE, BOUNDARY_LIMIT, Claim, CheckOptions, Verdict, budget_entry, lr_scan, progress_note, register, verdict_within
from .nonlinear import NonlinearCheck, preflight
from ..analysis.rates import fit_rate
from ..core.errors import PolylrError
from ..analysis.train import LRScan
from ..engines.charlm import BASE_WIDTH, LM_MUP, LM_SP, CharLM, LMTraining, char_data
from ..engines.mlp import GIB, MEMORY_LIMIT, Optimizer

DRIFT_TOL = 0.25  # |γ| ≤ 0.25: under a factor 2^0.25 ≈ 1.19 per width doubling (a quarter of a grid step)
CONTEXT = 8
COUPLED_DECAY = 0.1  # AdamW's λ (θ −= η_l·λ·θ, η_l the layer's μP learning rate): Lingle's value
INDEPENDENT_DECAY = 1e-3  # θ −= λ·θ per step: over the quick budget's 200 steps a shrink of ~18% (comparable
# to the coupled decay at η = 2^-6, base width: η·λ·T = 0.31); Lingle's own value is not in our sources

BUDGETS = {
    "tiny": dict(widths=(16, 32, 64), seeds=8, steps=100, batch=32, blocks=2, m=4096, eval_m=512, span=(-10, -2)),
    "quick": dict(widths=(32, 64, 128), seeds=8, steps=200, batch=32, blocks=2, m=8192, eval_m=1024, span=(-10, -2)),
    "default": dict(widths=(32, 64, 128, 256), seeds=8, steps=400, batch=64, blocks=2, m=32768, eval_m=2048, span=(-12, 0)),
    "thorough": dict(widths=(32, 64, 128, 256, 512), seeds=16, steps=1000, batch=64, blocks=2, m=65536, eval_m=4096, span=(-12, 0)),
    "thorough-gpu": dict(widths=(128, 256, 512, 1024, 2048), seeds=8, steps=10_000, batch=256, blocks=4, m=2_560_000, eval_m=8192, span=(-13, -1),
                         memory_limit=64 * GIB),
}
# thorough-gpu's memory_limit (bytes per (seed, η) pair with the data, Training.check_memory) replaces
# the default 8 GiB: the transformer of lingle-zero-query needs 8.35 GiB per pair at n = 512 and
# 35.5 GiB at n = 2048 (the MLP model at most 3.8 GiB); 64 GiB is sized for a GPU with >= 80 GB
# (budget_entry caps it at 90 % of a smaller device's memory).
TRANSFORMER = {"arch": "transformer", "heads": 2}  # head size n/2: grows with the width, so μP's 1/d_head scale matters
# The transformer computes every position (context 8): ~8x the MLP model's work per window, so its
# CPU budgets halve the batch (still 8x the MLP's predictions per step). Measured: docs/lingle.md.
BUDGET_CHANGES = {"lingle-zero-query": {"tiny": dict(batch=16, eval_m=256), "quick": dict(batch=16, eval_m=512)}}
LION_SHIFT = -3  # Lion's grid sits 2^3 lower (sign updates are larger than Adam's; Chen et al. advise 3–10× smaller η)

# claim -> (title, panels: label -> (CharLM changes, Optimizer, grid shift), paper outcome per panel, where in the paper)
ABLATIONS: dict[str, tuple[str, dict, dict, str]] = {
    "lingle-mup": ("baseline μP (ReLU, nonparametric RMSNorm, Adam)",
                   {"μP": ({}, Optimizer("adam"), 0)}, {"μP": "holds"}, "baseline"),
    "lingle-gains": ("trainable RMSNorm gains (learning rate η, as vector-like parameters)",
                     {"μP + gains": ({"gains": True}, Optimizer("adam"), 0)}, {"μP + gains": "breaks"}, "RMSNorm gains"),
    "lingle-decay": ("weight decay: coupled (λ × the layer's μP learning rate, AdamW) vs independent (λ per step)",
                     {"coupled": ({}, Optimizer("adamw", weight_decay=COUPLED_DECAY, decay="coupled"), 0),
                      "independent": ({}, Optimizer("adamw", weight_decay=INDEPENDENT_DECAY, decay="independent"), 0)},
                     {"coupled": "breaks", "independent": "holds"}, "decoupled / independent weight decay"),
    "lingle-sp": ("standard parametrization instead of μP",
                  {"SP": ({"param": LM_SP}, Optimizer("adam"), 0)}, {"SP": "breaks"}, "standard parametrization"),
    "lingle-lion": ("Lion instead of Adam (μP's Adam learning-rate rule)",
                    {"μP + Lion": ({}, Optimizer("lion", b1=0.9, b2=0.99), LION_SHIFT)}, {"μP + Lion": "breaks"}, "Lion optimizer"),
    "lingle-swiglu": ("SwiGLU blocks instead of ReLU",
                      {"μP + SwiGLU": ({"activation": "swiglu"}, Optimizer("adam"), 0)}, {"μP + SwiGLU": "holds"}, "multiplicative nonlinearities"),
    "lingle-relu2": ("squared ReLU instead of ReLU",
                     {"μP + ReLU²": ({"activation": "relu2"}, Optimizer("adam"), 0)}, {"μP + ReLU²": "holds"}, "multiplicative nonlinearities"),
    "lingle-zero-query": ("zero query initialisation vs the default, in a 2-layer pre-norm causal transformer (1/d_head attention logits)",
                          {"default query init": (TRANSFORMER, Optimizer("adam"), 0),
                           "zero query init": ({**TRANSFORMER, "zero_query": True}, Optimizer("adam"), 0)},
                          {"default query init": "holds", "zero query init": "holds"}, "zero query initialization"),
}
PAPER_OUTCOMES = {name: a[2] for name, a in ABLATIONS.items()}


def budget_for(opts: CheckOptions, name: str | None = None) -> dict:
    """The budget entry for the options (``thorough`` on a GPU: ``thorough-gpu``), with the claim's
    own changes (:data:`BUDGET_CHANGES`) and the user's widths and seeds."""
    b = budget_entry(opts, BUDGETS)
    own = BUDGET_CHANGES.get(name, {}).get(b["budget"], {})
    return {**b, **{k: v for k, v in own.items() if not (k == "widths" and opts.widths is not None)}}


def grid_for(b: dict, shift: int = 0) -> np.ndarray:
    """The learning-rate grid: 2^k for k in the budget's span (shifted), factors of 2 as in the paper."""
    lo, hi = b["span"]
    return 2.0 ** np.arange(lo + shift, hi + shift + 1, dtype=np.float64)


def training_for(b: dict, changes: dict, optimizer: Optimizer, *, data_seed: int = 0) -> LMTraining:
    """A panel's training at budget entry ``b``: the entry's ``memory_limit`` when it has one
    (``thorough-gpu``), else the engine's default (:data:`polylr.engines.mlp.MEMORY_LIMIT`)."""
    data, held = char_data(b["m"], context=CONTEXT, eval_m=b["eval_m"], seed=data_seed)
    net = CharLM(blocks=b["blocks"], **{"param": LM_MUP, **changes})
    return LMTraining(net=net, optimizer=optimizer, data=data, eval_data=held, steps=b["steps"], batch=b["batch"], order_seed=1,
                      memory_limit=b.get("memory_limit", MEMORY_LIMIT))


# -- the two criteria ---------------------------------------------------------------------------


def vertex_argmins(scan: LRScan) -> tuple[np.ndarray, np.ndarray]:
    """Per seed, the optimal η between grid points without more training: the vertex of the
    parabola through the (log η, loss) values at the seed's grid argmin and its two neighbours,
    kept within the neighbours. Returns ``(η*, on_end)``; a seed whose grid argmin is an end of the
    grid (or that diverged everywhere) gets that end (NaN) and ``on_end`` True."""
    obj = scan.curves.objective
    u = np.log(scan.grid)
    out, end = np.full(obj.shape[0], np.nan), np.zeros(obj.shape[0], dtype=bool)
    for s, row in enumerate(obj):
        if not np.any(np.isfinite(row)):
            end[s] = True
            continue
        i = int(np.argmin(row))
        if i in (0, row.size - 1) or not np.all(np.isfinite(row[i - 1 : i + 2])):
            out[s], end[s] = np.exp(u[i]), i in (0, row.size - 1)
            continue
        (a, b, c), (ua, ub, uc) = row[i - 1 : i + 2], u[i - 1 : i + 2]
        den = (ua - ub) * (ua - uc) * (ub - uc)
        A = (uc * (b - a) + ub * (a - c) + ua * (c - b)) / den
        B = (uc**2 * (a - b) + ub**2 * (c - a) + ua**2 * (b - c)) / den
        out[s] = np.exp(np.clip(-B / (2 * A), ua, uc)) if A > 0 else np.exp(ub)
    return out, end


def paper_verdict(claim: str, label: str, scans: dict[int, LRScan]) -> Verdict:
    """Lingle's criterion: the grid argmin of the seed-mean loss is the same at every width."""
    ws = sorted(scans)
    stmt = f"{label}: the grid argmin of the seed-mean held-out loss is the same at every width (Lingle's criterion)"
    idx, logs = {}, {}
    for w in ws:
        m = scans[w].mean_curve
        if not np.any(np.isfinite(m)):
            return Verdict(claim, stmt, INCONCLUSIVE, f"n = {w}: every grid η diverged for some seed", {})
        idx[w] = int(np.argmin(m))
        logs[w] = float(np.log2(scans[w].grid[idx[w]]))
    txt = ", ".join(f"n = {w}: 2^{logs[w]:g}" for w in ws)
    ev = {"grid_argmin_log2": {str(w): logs[w] for w in ws}}
    ends = [w for w in ws if idx[w] in (0, scans[w].grid.size - 1)]
    if ends:
        return Verdict(claim, stmt, INCONCLUSIVE, f"grid argmins {txt}; on the grid's end at n = {ends}: widen the grid", ev)
    if len(set(idx.values())) == 1:
        return Verdict(claim, stmt, HOLDS, f"grid argmin 2^{logs[ws[0]]:g} at every width ({', '.join(map(str, ws))})", ev)
    return Verdict(claim, stmt, FAILS, f"grid argmins differ: {txt}", ev)


def drift_verdict(claim: str, label: str, scans: dict[int, LRScan], opts: CheckOptions, salt: int):
    """polylr's criterion: the exponent γ of η*_n ∝ n^γ within ±DRIFT_TOL (bootstrap CI over seeds)."""
    ws = sorted(scans)
    stmt = f"{label}: the optimal learning rate η*_n does not drift with width (|γ| ≤ {DRIFT_TOL:g} for η*_n ∝ n^γ)"
    vert = {w: vertex_argmins(scans[w]) for w in ws}
    stars = [vert[w][0] for w in ws]
    cis = []
    for w, e in zip(ws, stars):
        lg = np.log(e[np.isfinite(e)])
        if lg.size > 1:
            h = float(student_t.ppf(0.975, lg.size - 1) * np.std(lg, ddof=1) / math.sqrt(lg.size))
            cis.append((w, math.exp(lg.mean()), math.exp(lg.mean() - h), math.exp(lg.mean() + h)))
        elif lg.size == 1:
            cis.append((w, math.exp(lg[0]), float("nan"), float("nan")))
    where = "; ".join(f"n = {w}: η* ≈ {g:.3g} [{lo:.3g}, {hi:.3g}]" for w, g, lo, hi in cis)
    ev = {"eta_star": {str(w): [g, lo, hi] for w, g, lo, hi in cis}}
    if not all(np.all(np.isfinite(e)) for e in stars) or len(ws) < 2:
        return None, Verdict(claim, stmt, INCONCLUSIVE, f"{where}; a seed diverged at every grid η (or fewer than 2 widths)", ev)
    fit = fit_rate(ws, stars, statistic="abs_mean", quantity=f"η*_n ({label})", n_boot=opts.budget.n_boot,
                   boot_seed=opts.master_seed * 16 + salt)
    v = verdict_within(claim, stmt, fit, 0.0, DRIFT_TOL)
    v = dataclasses.replace(v, reason=f"geometric-mean η*_n with 95% t-interval over seeds: {where}; {v.reason}",
                            evidence={**v.evidence, **ev})
    worst = max(ws, key=lambda w: float(np.mean(vert[w][1])))
    frac = float(np.mean(vert[worst][1]))
    if frac > BOUNDARY_LIMIT and v.status != INCONCLUSIVE:
        v = dataclasses.replace(v, status=INCONCLUSIVE, reason=f"{v.reason}; but at n = {worst} {frac:.0%} of the per-seed optima sit on "
                                f"the grid's end (limit {BOUNDARY_LIMIT:.0%}): widen the grid")
    return fit, v


class AblationCheck(NonlinearCheck):
    """A :class:`~polylr.claims.nonlinear.NonlinearCheck` whose report also has the row(s) of
    :func:`ablation_table`: the paper's outcome next to both criteria."""

    def tables(self) -> list[tuple[str, list[str], list[list]]]:
        cols, rows = ablation_table([self])
        return [(f"{self.name}: next to Lingle's reported outcome", cols, rows)] + super().tables()


def check_ablation(name: str, opts: CheckOptions | None = None, *, override: dict | None = None, **kw) -> AblationCheck:
    """Run one of :data:`ABLATIONS` at the options' budget: per panel and width an LR scan, then the
    paper's and polylr's verdicts (``{name}.{panel}.paper`` / ``.drift``; no panel part when the
    claim has one panel). ``override`` changes every panel's network (e.g. ``{"param": LM_SP}``:
    the same ablation under SP, the negative control of the tests)."""
    if name not in ABLATIONS:
        raise PolylrError(f"unknown ablation {name!r}; choose one of {', '.join(ABLATIONS)}")
    opts = opts if opts is not None else CheckOptions(**kw)
    b = budget_for(opts, name)
    title, panels, outcomes, section = ABLATIONS[name]
    if override:
        title = f"{title} [override: {', '.join(override)}]"
    t0 = time.perf_counter()
    out, fits, verdicts, extra = {}, {}, [], {}
    what = ", ".join(f"{k}={getattr(v, 'name', v)}" for k, v in (override or {}).items())
    trainings = [training_for(b, {**changes, **(override or {})}, optimizer) for changes, optimizer, _ in panels.values()]
    preflight(trainings, b["widths"])  # every panel at every width fits, or refuse before any training
    for i, ((label, (changes, optimizer, shift)), tr) in enumerate(zip(panels.items(), trainings)):
        grid = grid_for(b, shift)
        shown = f"{label} [{what}]" if what else label
        scans = {}
        for w in b["widths"]:
            progress_note(opts, f"{shown} n = {w}")
            scans[w] = lr_scan(opts, tr, w, range(b["seeds"]), grid, master_seed=opts.master_seed, refine=False)
        out[shown] = scans
        key = name if len(panels) == 1 else f"{name}.{_slug(label)}"
        pv = paper_verdict(f"{key}.paper", shown, scans)
        fit, dv = drift_verdict(f"{key}.drift", shown, scans, opts, 40 + i)
        if fit is not None:
            fits[shown] = fit
        verdicts += [pv, dv]
        extra[shown] = {"paper_outcome": outcomes[label], "key": key, "grid": [float(g) for g in grid], "training": tr.describe()}
    limit = f", memory limit {b['memory_limit'] / GIB:g} GiB per (seed, η) pair" if "memory_limit" in b else ""
    budget = {
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in b.items()}, "dtype": "float32", "context": CONTEXT,
        "base_width": BASE_WIDTH, "drift_tol": DRIFT_TOL,
        "description": f"{title}; widths {b['widths']}, {b['seeds']} seeds, {b['steps']} steps of batch {b['batch']}, "
        f"{b['blocks']} {'pre-norm transformer layers' if _transformer(panels) else 'pre-norm MLP blocks'}, context {CONTEXT}, generated text ({b['m']} training windows, {b['eval_m']} held-out), "
        f"η grid 2^{b['span'][0]}..2^{b['span'][1]} (factors of 2; Lion shifted by 2^{LION_SHIFT}), float32"
        f"{limit}; "
        "Lingle trains transformers at widths 128..2048 for ~10^4..10^5 steps",
    }
    return AblationCheck(name, tuple(verdicts), time.perf_counter() - t0, budget, out, fits, extra)


def _transformer(panels: dict) -> bool:
    return any(changes.get("arch") == "transformer" for changes, _, _ in panels.values())


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")


def ablation_table(results) -> tuple[list[str], list[list[str]]]:
    """One row per panel of the given ablation results: the paper's outcome next to ours (both criteria)."""
    cols = ["ablation", "panel", "paper (Lingle)", "widths", "grid argmin log2 η per width", "Lingle's criterion",
            "γ of η*_n ∝ n^γ [95% CI]", "polylr's criterion"]
    rows = []
    for r in results:
        for label, scans in r.panels.items():
            ws = sorted(scans)
            key = r.extra[label]["key"]
            vs = {v.claim: v for v in r.verdicts}
            pv, dv = vs[f"{key}.paper"], vs[f"{key}.drift"]
            args = pv.evidence.get("grid_argmin_log2", {})
            fit = r.fits.get(label)
            g = "-" if fit is None else f"{fit.exponent:+.2f} [{fit.ci[0]:+.2f}, {fit.ci[1]:+.2f}]"
            rows.append([r.name, label, r.extra[label]["paper_outcome"], " ".join(map(str, ws)),
                         " ".join(f"{args[str(w)]:g}" for w in ws if str(w) in args), _word(pv.status), g, _word(dv.status)])
    return cols, rows


def _word(status: str) -> str:
    return {HOLDS: "holds", FAILS: "breaks", INCONCLUSIVE: "inconclusive"}[status]


def _make(name: str):
    def run(opts: CheckOptions) -> AblationCheck:
        return check_ablation(name, opts)

    run.__name__ = f"check_{name.replace('-', '_')}"
    run.__doc__ = f"Lingle's ablation {name!r}: {ABLATIONS[name][0]} (see :func:`check_ablation`)."
    return run


for _name, (_title, _panels, _outcomes, _section) in ABLATIONS.items():
    _pred = "; ".join(f"{p}: transfer {o}" for p, o in _outcomes.items())
    register(Claim(
        _name, f"Lingle 2024 (arXiv 2404.05728), ablation: {_section}",
        f"Under μP the optimal learning rate transfers across widths — ablation: {_title}.",
        ("2-layer pre-norm causal transformer" if _transformer(_panels) else "pre-norm MLP character model") + " on generated text (engines/charlm.py), Adam unless stated, η grid in factors of 2, "
        "held-out cross-entropy after the last step",
        f"as reported: {_pred} (….paper: grid argmin equal at every width; ….drift: |γ| ≤ {DRIFT_TOL:g} for η*_n ∝ n^γ)",
        _make(_name),
    ))
