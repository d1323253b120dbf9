"""Ghosh–Wu–Bietti's trajectory decomposition: where along the training trajectory the loss falls.

Definitions (Ghosh, Wu, Bietti 2025, §4.1 and Appendix D; docs/decomposition.md):

- **EMA trajectory** ``ω``: ``ω_0 = w_0``, ``ω_t = α ω_{t-1} + (1 − α) w_t`` over the engine's
  iterates ``w_t`` (``α = 0`` is the raw trajectory), kept every ``every`` steps (and at ``T``):
  points ``ω_{s_0}, ω_{s_1}, …``.
- **linearised loss change** of a kept step: ``δφ = ⟨∇L(ω_{s_j}), ω_{s_{j+1}} − ω_{s_j}⟩`` with ``L``
  the run's objective (held-out loss when the training has held-out data, else the training loss on
  all its data); ``φ = Σ δφ ≈ L(ω_T) − L(ω_0)``.
- **alignment matrix** of a weight matrix with gradient ``G`` and change ``δW``:
  ``S(G, δW) = ½(GᵀδW + δWᵀG)`` (the *column* version, used for the hidden ``n × n`` layers) or
  ``S(Gᵀ, δWᵀ)`` (the *row* version, used for the input layer ``W_0 ∈ R^{n×d}`` so that its index
  spans ``[n]`` like the others). Its eigenvalues, ordered by magnitude, sum to ``⟨G, δW⟩``.
  Vector parameters (the output ``V``, biases) are not decomposed: their whole inner product is
  one component, counted at index 1 (our reading of the paper's footnote).
- **top-k part** ``φ^k``: the sum over layers and kept steps of each step's ``k`` largest-magnitude
  eigenvalues; the **residual** ``φ − φ^k``. :attr:`Decomposition.components` holds the
  index-wise sums ``Λ_j`` so that ``φ^k = Λ_1 + … + Λ_k``.
- **mean component index** of a data point ``i``: with ``ψ_ij = Σ_{layers, steps} u_jᵀ G_iᵀ δW u_j``
  (``G_i`` the gradient of the point's share ``ℓ_i / m`` of the loss, ``u_j`` the eigenvectors of
  ``S``), ``MCI_i = Σ_j j p_j``, ``p_j = |ψ_ij| / Σ_k |ψ_ik|``. Since ``Σ_i ψ_ij`` is the ``j``-th
  eigenvalue, the per-point parts add up to the decomposition.
- **truncation** ``κ̂(n)``: one index per learning rate, chosen by the paper's Algorithm 1 (and
  Algorithm 2, coordinate descent on the proxy objective) against the largest width as the
  infinite-width proxy; :func:`select_truncation` (tolerances: :data:`TRUNCATION_DEFAULTS`).

The engine's training program produces the iterates (:func:`polylr.analysis.train.train_paths`) and
the gradients (:func:`polylr.analysis.train.loss_grads`); nothing here trains a network.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import PolylrError, check_finite, check_int
from ..engines.mlp import Training, check_grid
from .train import check_path_memory, json_safe, loss_grads, record_identity, train_paths, training_identity

VECTOR_KEYS = ("V", "b")  # not decomposed: one component each (index 1)
MCI_BYTES = 512 * 2**20  # per-sample gradients kept at once for the MCI
# Tolerances of Algorithm 1 (the paper gives none): the learning-rate axis is u = log2 η.
TRUNCATION_DEFAULTS = dict(
    taus=(1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0),  # candidate τ1, τ2 (pairs ordered by τ1 + τ2, then τ1)
    eps_cvx=0.25,  # at most a quarter of interior grid points with negative curvature
    eps_amin=1.0,  # argmins of φ^κ and φ within one unit of log2 η (a factor 2 in η)
)


# -- the spectral pieces ------------------------------------------------------------------------


def alignment_eigs(G: np.ndarray, D: np.ndarray, *, version: str = "column", vectors: bool = False):
    """Eigenvalues of the alignment matrix of ``G`` and ``D`` (arrays ``(..., r, c)``), ordered by
    decreasing magnitude: ``version="column"`` gives ``½(GᵀD + DᵀG)`` (``c`` eigenvalues),
    ``"row"`` gives ``½(GDᵀ + DGᵀ)`` (``r`` eigenvalues). They sum to ``⟨G, D⟩``. With ``vectors``
    also the eigenvectors ``(..., side, q)`` of the first ``q`` (possibly) nonzero ones: when the
    side exceeds twice the other dimension the matrix has rank at most ``2·other`` and is
    diagonalised in the span of ``[G D]`` (a QR factorisation), the rest being exact zeros whose
    eigenvectors annihilate ``D`` (so they carry nothing in any per-sample split)."""
    G, D = np.asarray(G, np.float64), np.asarray(D, np.float64)
    if G.shape != D.shape or G.ndim < 2:
        raise PolylrError(f"G and D must be matrices (or stacks) of one shape, got {G.shape} and {D.shape}")
    if version not in ("column", "row"):
        raise PolylrError(f"version must be 'column' or 'row', got {version!r}")
    if version == "column":
        G, D = np.swapaxes(G, -1, -2), np.swapaxes(D, -1, -2)
    r, c = G.shape[-2:]
    if 2 * c < r:
        Q, R = np.linalg.qr(np.concatenate([G, D], axis=-1))
        RG, RD = R[..., :, :c], R[..., :, c:]
        S = 0.5 * (RG @ np.swapaxes(RD, -1, -2) + RD @ np.swapaxes(RG, -1, -2))
    else:
        Q = None
        S = 0.5 * (G @ np.swapaxes(D, -1, -2) + D @ np.swapaxes(G, -1, -2))
    if vectors:
        lam, V = np.linalg.eigh(S)
    else:
        lam = np.linalg.eigvalsh(S)
    order = np.argsort(-np.abs(lam), axis=-1, kind="stable")
    lam = np.take_along_axis(lam, order, axis=-1)
    if lam.shape[-1] < r:
        lam = np.concatenate([lam, np.zeros(lam.shape[:-1] + (r - lam.shape[-1],))], axis=-1)
    if not vectors:
        return lam
    V = np.take_along_axis(V, order[..., None, :], axis=-1)
    U = V if Q is None else Q @ V
    return lam, U


def component_psi(Gi: np.ndarray, D: np.ndarray, U: np.ndarray, *, version: str = "column") -> np.ndarray:
    """Per-sample components ``ψ_ij = u_jᵀ G_iᵀ D u_j`` (column version; ``u_jᵀ G_i Dᵀ u_j`` for the
    row version) for per-sample gradients ``Gi (m, r, c)``, the change ``D (r, c)`` and eigenvectors
    ``U (side, q)``: an ``(m, q)`` array whose column sums are the eigenvalues."""
    Gi, D, U = (np.asarray(a, np.float64) for a in (Gi, D, U))
    if version == "column":
        return np.einsum("mab,aj,bj->mj", Gi, D @ U, U, optimize=True)
    return np.einsum("mab,aj,bj->mj", Gi, U, D.T @ U, optimize=True)


def mean_component_index(psi: np.ndarray) -> np.ndarray:
    """``MCI_i = Σ_j j |ψ_ij| / Σ_k |ψ_ik|`` (components numbered from 1) for ``psi (m, K)``;
    NaN for a point with no component at all."""
    a = np.abs(np.asarray(psi, np.float64))
    tot = a.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a @ np.arange(1, a.shape[-1] + 1)) / tot


def ema_points(path: dict, alpha: float, every: int, *, axis: int = 0) -> tuple[np.ndarray, dict]:
    """The EMA trajectory ``ω`` of iterates ``path`` (leaves with ``T + 1`` steps along ``axis``) at
    the steps ``0, every, 2·every, …`` and ``T``: ``(steps kept, {key: leaves with the kept steps
    along axis})``."""
    alpha = check_finite("ema", alpha)
    if not 0 <= alpha < 1:
        raise PolylrError(f"ema (the EMA decay α) must be in [0, 1), got {alpha}")
    every = check_int("every", every, lo=1)
    T = next(iter(path.values())).shape[axis] - 1
    keep = sorted(set(range(0, T + 1, every)) | {T})
    out = {}
    for k, w in path.items():
        w = np.moveaxis(np.asarray(w, np.float64), axis, 0)
        om, kept, cur = np.empty((len(keep),) + w.shape[1:]), 0, w[0]
        for t in range(T + 1):
            if t:
                cur = alpha * cur + (1 - alpha) * w[t]
            if t == keep[kept]:
                om[kept] = cur
                kept += 1
        out[k] = np.moveaxis(om, 0, axis)
    return np.array(keep), out


# -- one trajectory ------------------------------------------------------------------------------


def _matrices(key: str, a: np.ndarray):
    """The weight matrices of a parameter leaf ``(K, ...)``: (name, stack (K, r, c), version)."""
    if key == "W0":
        return [("W0", a, "row")]
    if key == "Ws":
        return [(f"W{l + 1}", a[..., l, :, :], "column") for l in range(a.shape[-3])]
    return []


@dataclass(frozen=True, eq=False)
class Decomposition:
    """The decomposition of one trajectory (one network, one η).

    ``components[j - 1]`` is ``Λ_j`` (sum over layers and kept steps of the j-th largest-magnitude
    eigenvalues; vector parameters at index 1), so ``φ^k = components[:k].sum()``; ``phi`` is
    ``Σ δφ`` computed directly as inner products; ``losses`` the objective at the kept EMA points;
    ``per_layer`` the components of each weight matrix and vector (same indexing); ``rank`` the
    largest number of nonzero eigenvalues (above ``1e-12`` of the step's largest) over steps and
    matrices; ``mci`` the mean component index of the first ``mci_points`` data points (or None)."""

    width: int
    eta: float
    steps: np.ndarray
    components: np.ndarray
    phi: float
    step_phi: np.ndarray
    losses: np.ndarray
    per_layer: dict
    rank: int
    mci: np.ndarray | None = None
    psi: np.ndarray | None = field(default=None, repr=False)

    @property
    def topk(self) -> np.ndarray:
        """``φ^k`` for ``k = 1 … n``."""
        return np.cumsum(self.components)

    @property
    def loss_change(self) -> float:
        """``L(ω_T) − L(ω_0)``: what ``φ`` linearises."""
        return float(self.losses[-1] - self.losses[0])

    def share(self, k: int) -> float:
        """``φ^k / φ``."""
        return float(self.topk[k - 1] / self.phi)


def decompose_path(tr: Training, width: int, path: dict, *, eta: float = float("nan"), ema: float = 0.0, every: int = 1,
                   mci_points: int = 0) -> Decomposition:
    """Decompose one trajectory ``path`` (iterates ``w_0 … w_T`` as from :func:`train_paths`, one η)."""
    return decompose_paths(tr, width, {k: np.asarray(v)[None] for k, v in path.items()}, [eta], ema=ema, every=every,
                           mci_points=mci_points)[0]


def decompose_paths(tr: Training, width: int, paths: dict, etas, *, ema: float = 0.0, every: int = 1,
                    mci_points: int = 0) -> list[Decomposition | None]:
    """Decompose the trajectories ``paths`` (leaves ``(E, T + 1, ...)``, one per η of ``etas``, as
    :func:`train_paths` returns them), batched: one gradient call and one stack of
    eigendecompositions for all of them. A trajectory with a non-finite iterate gives None."""
    width = check_int("width n", width, lo=1)
    mci_points = check_int("mci_points", mci_points, lo=0)
    etas = np.atleast_1d(np.asarray(etas, np.float64))
    paths = {k: np.asarray(v, np.float64) for k, v in paths.items()}
    E = etas.size
    if any(v.shape[0] != E for v in paths.values()):
        raise PolylrError(f"paths must have one trajectory per learning rate ({E}), got {[v.shape[0] for v in paths.values()]}")
    ok = np.array([all(np.all(np.isfinite(v[e])) for v in paths.values()) for e in range(E)])
    idx = np.nonzero(ok)[0]
    out: list[Decomposition | None] = [None] * E
    if not idx.size:
        return out
    steps, om = ema_points({k: v[idx] for k, v in paths.items()}, ema, every, axis=1)
    B, K = idx.size, steps.size - 1
    flat = {k: v.reshape((B * (K + 1),) + v.shape[2:]) for k, v in om.items()}
    losses, grads = loss_grads(tr, width, flat)
    losses = losses.reshape(B, K + 1)
    g = {k: v.reshape((B, K + 1) + v.shape[1:])[:, :-1] for k, v in grads.items()}
    delta = {k: v[:, 1:] - v[:, :-1] for k, v in om.items()}
    comps = np.zeros((B, K, width))
    step_phi = np.zeros((B, K))
    per_layer: dict = {}
    rank = np.zeros(B, dtype=int)
    for k in g:
        v = (g[k] * delta[k]).reshape(B, K, -1).sum(axis=-1)
        step_phi += v
        if k in VECTOR_KEYS:
            per_layer[k] = v.sum(axis=1)
            comps[:, :, 0] += v
            continue
        for (name, G, version), (_, D, _) in zip(_matrices(k, g[k]), _matrices(k, delta[k])):
            lam = alignment_eigs(G, D, version=version)
            if lam.shape[-1] != width:
                raise PolylrError(f"{name}: the alignment matrix has {lam.shape[-1]} eigenvalues, not the width {width}")
            comps += lam
            per_layer[name] = lam.sum(axis=1)
            big = np.max(np.abs(lam), axis=-1, keepdims=True)
            nz = np.where(big > 0, np.abs(lam) > 1e-12 * big, False)
            rank = np.maximum(rank, np.max(np.sum(nz, axis=-1), axis=-1))
    for b, e in enumerate(idx):
        mci = psi = None
        if mci_points:
            psi = _psi(tr, width, {k: v[b] for k, v in om.items()}, {k: v[b] for k, v in g.items()},
                       {k: v[b] for k, v in delta.items()}, steps, mci_points)
            mci = mean_component_index(psi)
        out[e] = Decomposition(width, float(etas[e]), steps, comps[b].sum(axis=0), float(step_phi[b].sum()), step_phi[b],
                               losses[b], {k: v[b] for k, v in per_layer.items()}, int(rank[b]), mci, psi)
    return out


def check_mci_memory(tr: Training, width: int, mci_points: int) -> int:
    """Refuse (before any work) when the per-sample gradients of one step of the mean component
    index of ``mci_points`` points (capped at the objective's data size) at ``width`` would exceed
    :data:`MCI_BYTES`; else their bytes. Callers that train first (``decompose_example``) check here
    before the scan, so that a too-large ``mci_points`` is not found only after it."""
    mci_points = check_int("mci_points", mci_points, lo=0)
    data = tr.eval_data if tr.eval_data is not None else tr.data
    m = min(mci_points, data.m)
    need = 8 * m * tr.net.n_params(check_int("width n", width, lo=1), data.d)
    if need > MCI_BYTES:
        raise PolylrError(f"mci_points = {mci_points}: per-sample gradients at width {width} need "
                          f"{need / 2**20:.0f} MiB per step, over {MCI_BYTES // 2**20} MiB; use fewer points")
    return need


def _psi(tr: Training, width: int, om: dict, full: dict, delta: dict, steps: np.ndarray, mci_points: int) -> np.ndarray:
    """Per-sample components of the first ``mci_points`` points: their gradients ``G_i`` projected
    on the eigenvectors of the alignment matrix of the *full* gradient ``full`` and the change."""
    check_mci_memory(tr, width, mci_points)
    data = tr.eval_data if tr.eval_data is not None else tr.data
    m = min(mci_points, data.m)
    sub = type(data)(data.X[:m], data.y[:m], source=f"{data.source}[:{m}]")
    psi = np.zeros((m, width))
    for s in range(steps.size - 1):
        pt = {k: v[s : s + 1] for k, v in om.items()}
        _, gi = loss_grads(tr, width, pt, data=sub, per_sample=True)
        for k, G in gi.items():
            G, D, F = G[0], delta[k][s], full[k][s]
            if k in VECTOR_KEYS:
                psi[:, 0] += (G * D[None]).reshape(G.shape[0], -1).sum(axis=1)
                continue
            if k == "W0":
                lam, U = alignment_eigs(F, D, version="row", vectors=True)
                psi[:, : U.shape[-1]] += component_psi(G, D, U, version="row")
            else:
                for l in range(D.shape[0]):
                    lam, U = alignment_eigs(F[l], D[l], version="column", vectors=True)
                    psi[:, : U.shape[-1]] += component_psi(G[:, l], D[l], U, version="column")
    return psi


# -- a scan over widths, seeds and learning rates -----------------------------------------------


@dataclass(frozen=True, eq=False)
class DecompositionScan:
    """Per width: ``components[n]`` ``(S, E, n)`` (``Λ_j`` per seed and η), ``phi[n]`` and
    ``loss_change[n]`` ``(S, E)``, ``final[n]`` the objective at ``ω_T`` ``(S, E)``, ``rank[n]``."""

    training: Training
    grid: np.ndarray
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    ema: float
    every: int
    master_seed: int
    components: dict
    phi: dict
    loss_change: dict
    final: dict
    rank: dict
    seconds: float

    def topk(self, width: int) -> np.ndarray:
        """``φ^k_n(η)`` per seed: ``(S, E, n)``."""
        return np.cumsum(self.components[width], axis=-1)

    def finite(self) -> np.ndarray:
        """Grid points where every run of every width stayed finite."""
        ok = np.ones(self.grid.size, dtype=bool)
        for w in self.widths:
            ok &= np.all(np.isfinite(self.phi[w]) & np.isfinite(self.final[w]), axis=0)
        return ok

    def to_json(self) -> dict:
        return {
            "grid": json_safe(self.grid), "widths": list(self.widths), "seeds": list(self.seeds), "ema": self.ema,
            "every": self.every, "master_seed": self.master_seed, "training": self.training.describe(),
            "phi": {str(w): json_safe(self.phi[w]) for w in self.widths},
            "loss_change": {str(w): json_safe(self.loss_change[w]) for w in self.widths},
            "final": {str(w): json_safe(self.final[w]) for w in self.widths},
            "rank": {str(w): int(self.rank[w]) for w in self.widths},
            "mean_topk": {str(w): json_safe(np.mean(self.topk(w), axis=0)) for w in self.widths},
            "seconds": self.seconds,
        }


@dataclass(frozen=True, eq=False)
class WidthDecomposition:
    """One width's part of a :class:`DecompositionScan`: ``components`` ``(S, E, n)``, ``phi``,
    ``loss_change`` and ``final`` ``(S, E)``, the largest ``rank``, and the seconds it took."""

    components: np.ndarray
    phi: np.ndarray
    loss_change: np.ndarray
    final: np.ndarray
    rank: int
    seconds: float

    def to_record(self) -> tuple[dict, bytes]:
        """A JSON-ready dict and an ``.npz`` blob (no pickles) that :meth:`from_record` reads back
        equal: how the results store keeps it (:meth:`polylr.Runner.decomposition`)."""
        buf = io.BytesIO()
        np.savez(buf, components=self.components, phi=self.phi, loss_change=self.loss_change, final=self.final)
        return {"format": DECOMPOSITION_FORMAT, "width": int(self.components.shape[-1]), "rank": int(self.rank),
                "seconds": self.seconds}, buf.getvalue()

    @classmethod
    def from_record(cls, meta: dict, blob: bytes) -> "WidthDecomposition":
        if meta.get("format") != DECOMPOSITION_FORMAT:
            raise PolylrError(f"a stored decomposition has format {meta.get('format')!r}; this polylr reads format {DECOMPOSITION_FORMAT}")
        with np.load(io.BytesIO(blob), allow_pickle=False) as z:
            return cls(z["components"], z["phi"], z["loss_change"], z["final"], meta["rank"], meta["seconds"])


DECOMPOSITION_FORMAT = 1  # of WidthDecomposition.to_record


def decomposition_identity(tr: Training, width: int, seeds, etas, *, ema: float, every: int, master_seed: int) -> tuple[str, dict]:
    """What decides :func:`decompose_width`'s result, as a JSON-ready dict, and its identity
    (SHA-256, 16 hex digits): the training (its description and data digests), JAX's backend, the
    width, seeds, grid, EMA decay, ``every`` and master seed."""
    return record_identity({"format": DECOMPOSITION_FORMAT, "kind": "decomposition", **training_identity(tr), "width": int(width),
                            "seeds": [int(s) for s in seeds], "grid": [float(g) for g in np.asarray(etas, np.float64)],
                            "ema": float(ema), "every": int(every), "master_seed": int(master_seed)})


def decompose_width(tr: Training, width: int, seeds, etas, *, ema: float, every: int, master_seed: int,
                    on_seed=None) -> WidthDecomposition:
    """Train and decompose every (seed, η) trajectory at one width (checked by :func:`decompose_scan`);
    ``on_seed()`` is called as each seed finishes."""
    t0 = time.perf_counter()
    etas = np.asarray(etas, np.float64)
    S, E = len(seeds), etas.size
    comps, phi, dl, fin = np.zeros((S, E, width)), np.zeros((S, E)), np.zeros((S, E)), np.zeros((S, E))
    rank = 0
    for i, s in enumerate(seeds):
        _, path = train_paths(tr, width, s, etas, master_seed=master_seed)
        for e, dec in enumerate(decompose_paths(tr, width, path, etas, ema=ema, every=every)):
            if dec is None:
                comps[i, e], phi[i, e], dl[i, e], fin[i, e] = np.nan, np.nan, np.nan, np.inf
                continue
            comps[i, e], phi[i, e], dl[i, e], fin[i, e] = dec.components, dec.phi, dec.loss_change, dec.losses[-1]
            rank = max(rank, dec.rank)
        if on_seed is not None:
            on_seed()
    return WidthDecomposition(comps, phi, dl, fin, rank, time.perf_counter() - t0)


def decompose_scan(tr: Training, widths, seeds, etas, *, ema: float = 0.9, every: int = 1, master_seed: int = 0,
                   progress=None, width_part=None) -> DecompositionScan:
    """Train (the engine's program) and decompose every (width, seed, η) trajectory; ``progress``
    (if given) is called as ``progress(done, total)`` as (width, seed) pairs finish. ``width_part``
    (default :func:`decompose_width`, with its arguments) computes one width: a check's
    :class:`~polylr.Runner` passes its ``decomposition``, which keeps each width in the results store."""
    if not isinstance(tr, Training):
        raise PolylrError(f"decompose_scan needs a polylr Training, got {type(tr).__name__}")
    widths = tuple(sorted({check_int("width n", w, lo=1) for w in widths}))
    seeds = tuple(check_int("seed", s, lo=0) for s in seeds)
    if not widths or not seeds:
        raise PolylrError("decompose_scan needs at least one width and one seed")
    grid = check_grid(etas)
    if grid.ndim != 1:
        raise PolylrError(f"the learning-rate grid must be 1-d, got shape {grid.shape}")
    check_finite("ema", ema)
    if not 0 <= ema < 1:
        raise PolylrError(f"ema (the EMA decay α) must be in [0, 1), got {ema}")
    every = check_int("every", every, lo=1)
    for w in widths:  # refuse before any work
        check_path_memory(tr, w, grid.size)
    t0 = time.perf_counter()
    done, total = [0], len(widths) * len(seeds)

    def on_seed():
        done[0] += 1
        if callable(progress):
            progress(done[0], total)

    part = width_part if width_part is not None else decompose_width
    parts = {}
    for w in widths:
        parts[w] = part(tr, w, seeds, grid, ema=float(ema), every=every, master_seed=master_seed, on_seed=on_seed)
        done[0] = (widths.index(w) + 1) * len(seeds)  # a width read from the results store counts its seeds too
        if callable(progress):
            progress(done[0], total)
    return DecompositionScan(tr, grid, widths, seeds, float(ema), every, master_seed, *(
        {w: getattr(p, f) for w, p in parts.items()} for f in ("components", "phi", "loss_change", "final", "rank")),
        time.perf_counter() - t0)


# -- Algorithm 1: the truncation ----------------------------------------------------------------


def conv_error(u: np.ndarray, y: np.ndarray) -> float:
    """The fraction of interior grid points where the three-point second derivative is negative."""
    u, y = np.asarray(u, np.float64), np.asarray(y, np.float64)
    if u.size < 3:
        return 0.0
    a, b, c = u[:-2], u[1:-1], u[2:]
    f2 = 2 * (y[:-2] / ((a - b) * (a - c)) + y[1:-1] / ((b - a) * (b - c)) + y[2:] / ((c - a) * (c - b)))
    return float(np.mean(f2 < 0))


def lipschitz(u: np.ndarray, y: np.ndarray) -> float:
    """The largest slope magnitude of the piecewise-linear interpolation."""
    return float(np.max(np.abs(np.diff(y) / np.diff(u)))) if len(u) > 1 else 0.0


def minimize_proxy(u: np.ndarray, Phi_n: np.ndarray, Phi_max: np.ndarray, tau1: float, tau2: float,
                   *, max_sweeps: int = 200) -> np.ndarray:
    """Algorithm 2: coordinate descent on the proxy objective
    ``mean_i |φ_n^{κ_i}(η_i) − φ_max^{κ_i}(η_i)| + τ1 Lip(φ_n − φ_n^κ) + τ2 Lip(φ_max − φ_max^κ)``
    over ``κ ∈ [n]^E`` from ``κ = (n/2, …)``; ``Phi_n (E, n)`` and ``Phi_max (E, n_max)`` hold
    ``φ^k(η_i)`` for ``k = 1 …``. Returns ``κ`` (1-based)."""
    E, n = Phi_n.shape
    A, B = Phi_n, Phi_max[:, :n]
    tot_n, tot_m = Phi_n[:, -1], Phi_max[:, -1]
    gap = np.abs(A - B)  # (E, n)
    du = np.diff(u)
    kap = np.full(E, max(1, n // 2)) - 1  # 0-based

    def score_all(i):
        rn, rm = tot_n - A[np.arange(E), kap], tot_m - B[np.arange(E), kap]
        cand_n, cand_m = tot_n[i] - A[i], tot_m[i] - B[i]  # (n,)

        def lip(r, cand):
            s = np.abs(np.diff(r) / du)
            keep = np.ones(E - 1, dtype=bool)
            if i > 0:
                keep[i - 1] = False
            if i < E - 1:
                keep[i] = False
            base = np.max(s[keep]) if keep.any() else 0.0
            out = np.full(n, base)
            if i > 0:
                out = np.maximum(out, np.abs(cand - r[i - 1]) / du[i - 1])
            if i < E - 1:
                out = np.maximum(out, np.abs(r[i + 1] - cand) / du[i])
            return out

        first = (gap[np.arange(E), kap].sum() - gap[i, kap[i]] + gap[i]) / E
        return first + tau1 * lip(rn, cand_n) + tau2 * lip(rm, cand_m)

    for _ in range(max_sweeps):
        changed = False
        for i in range(E):
            sc = score_all(i)
            best = int(np.argmin(sc))
            if sc[best] < sc[kap[i]] - 1e-15 * max(1.0, abs(sc[kap[i]])):
                kap[i], changed = best, True
        if not changed:
            break
    return kap + 1


@dataclass(frozen=True)
class Truncation:
    """Algorithm 1's result for one width: ``kappa`` (1-based, one per grid η) or None (Fail), the
    accepted ``tau``, the convexity error and the argmin distance (in ``u = log2 η``)."""

    width: int
    kappa: tuple[int, ...] | None
    tau: tuple[float, float] | None
    conv_error: float
    argmin_gap: float
    tried: int

    def to_dict(self) -> dict:
        return {"width": self.width, "kappa": None if self.kappa is None else list(self.kappa),
                "tau": None if self.tau is None else list(self.tau), "conv_error": self.conv_error,
                "argmin_gap": self.argmin_gap, "tried": self.tried}


def topk_at(Phi: np.ndarray, kappa) -> np.ndarray:
    """``φ^{κ_i}(η_i)`` from ``Phi (..., E, n)`` and ``κ`` (1-based, ``(E,)``)."""
    k = np.asarray(kappa) - 1
    return np.take_along_axis(Phi, np.broadcast_to(k[:, None], Phi.shape[:-1] + (1,)), axis=-1)[..., 0]


def select_truncation(u: np.ndarray, Phis: dict, *, taus=None, eps_cvx: float | None = None,
                      eps_amin: float | None = None) -> dict[int, Truncation]:
    """Algorithm 1: for each width ``n < n_max`` of ``Phis`` (``{n: (E, n)}`` arrays of
    ``φ^k_n(η_i)``, e.g. seed means), the first ``(τ1, τ2)`` (ordered by ``τ1 + τ2``, ties by ``τ1``)
    whose proxy minimiser makes both ``φ_n^κ`` and ``φ_{n_max}^κ`` convex up to ``eps_cvx`` and puts
    their grid argmins within ``eps_amin`` of those of ``φ_n`` and ``φ_{n_max}``. ``u`` is the grid
    in ``log2 η``."""
    taus = TRUNCATION_DEFAULTS["taus"] if taus is None else tuple(check_finite("tau", t) for t in taus)
    eps_cvx = TRUNCATION_DEFAULTS["eps_cvx"] if eps_cvx is None else check_finite("eps_cvx", eps_cvx)
    eps_amin = TRUNCATION_DEFAULTS["eps_amin"] if eps_amin is None else check_finite("eps_amin", eps_amin)
    if any(t <= 0 for t in taus):
        raise PolylrError(f"every tau must be > 0, got {taus}")
    u = np.asarray(u, np.float64)
    widths = sorted(Phis)
    if len(widths) < 2:
        raise PolylrError(f"the truncation needs at least 2 widths (the largest is the proxy of infinite width), got {widths}")
    for w in widths:
        if Phis[w].shape != (u.size, w) or not np.all(np.isfinite(Phis[w])):
            raise PolylrError(f"Phi at n = {w} must be a finite ({u.size}, {w}) array, got shape {Phis[w].shape}")
    nmax = widths[-1]
    big = Phis[nmax]
    pairs = sorted(((a, b) for a in taus for b in taus), key=lambda p: (p[0] + p[1], p[0]))
    out = {}
    for n in widths[:-1]:
        small = Phis[n]
        a_tot_n, a_tot_m = u[np.argmin(small[:, -1])], u[np.argmin(big[:, -1])]
        res, tried = None, 0
        for t1, t2 in pairs:
            tried += 1
            kap = minimize_proxy(u, small, big, t1, t2)
            fn, fm = topk_at(small, kap), topk_at(big, kap)
            ecvx = max(conv_error(u, fn), conv_error(u, fm))
            gap = max(abs(u[np.argmin(fn)] - a_tot_n), abs(u[np.argmin(fm)] - a_tot_m))
            if ecvx <= eps_cvx and gap <= eps_amin:
                res = Truncation(n, tuple(int(k) for k in kap), (t1, t2), ecvx, float(gap), tried)
                break
        out[n] = res if res is not None else Truncation(n, None, None, float("nan"), float("nan"), tried)
    return out


def refined_argmin(u: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """The grid argmin refined by the parabola through it and its two neighbours (in ``u``); and
    whether it sits on an end of the grid (then the grid point itself)."""
    if len(y) == 0:
        raise PolylrError("refined_argmin needs at least one grid point")
    i = int(np.argmin(y))
    if i == 0 or i == len(y) - 1:
        return float(u[i]), True
    a, b, c = u[i - 1 : i + 2]
    fa, fb, fc = y[i - 1 : i + 2]
    den = (b - a) * (fb - fc) - (b - c) * (fb - fa)
    if den == 0:
        return float(b), False
    x = b - 0.5 * ((b - a) ** 2 * (fb - fc) - (b - c) ** 2 * (fb - fa)) / den
    return float(np.clip(x, a, c)), False


def flatness(u: np.ndarray, top: np.ndarray, total: np.ndarray) -> float:
    """How far the residual ``total − top`` can move the argmin of ``top`` (in units of ``u``): the
    residual's largest slope on the two grid intervals around the grid argmin of ``top`` divided by
    the three-point curvature of ``top`` there (a μ-strongly convex function perturbed by an
    L-Lipschitz one moves its minimiser by at most L/μ). ``inf`` when ``top`` is not convex there or
    its minimum sits on an end of the grid."""
    i = int(np.argmin(top))
    if i == 0 or i == len(top) - 1:
        return math.inf
    a, b, c = u[i - 1 : i + 2]
    y = top[i - 1 : i + 2]
    mu = 2 * (y[0] / ((a - b) * (a - c)) + y[1] / ((b - a) * (b - c)) + y[2] / ((c - a) * (c - b)))
    if not mu > 0:
        return math.inf
    r = (total - top)[i - 1 : i + 2]
    return float(lipschitz(u[i - 1 : i + 2], r) / mu)
