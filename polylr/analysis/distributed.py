"""Sweeps cut into width × seed chunks: run serially, across local devices, or on Dask distributed,
with the finished rows handed to a sink (the results store) as each chunk completes.

A seed's row depends only on its weight key ``fold_in(fold_in(key(master_seed), width), seed)`` and
on the sweep's description (setup, interval, order, method, grid), never on which other seeds share
its chunk: so a sweep assembled from chunks, in any order, on any worker, equals the one-process
sweep bit for bit (tested), and a resumed sweep needs to compute only the pairs it lacks.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import re
import time
from typing import Callable, Iterable, Iterator, Protocol

import numpy as np

from ..core.errors import InvalidInput, NotResolved, PolylrError, check_int
from ..core.choices import Method
from ..core.setup import Setup
from .frames import context
from .rows import ROW_FIELDS
from .sweep import Sweep, sweep
from .decompose import WidthDecomposition, decompose_width, decomposition_identity
from .train import LRScan, scan_identity, scan_lr
from ..engines.mlp import CHUNK_BYTES

DEFAULT_CHUNK_SEEDS = 8
GRAM_CHUNK_SEEDS = 512  # chunks of sweeps on the Gram/auto samplers


@dataclasses.dataclass(frozen=True)
class SweepSpec:
    """Everything that determines a sweep's rows (the widths and the seed count only say which rows)."""

    setup: Setup
    widths: tuple[int, ...]
    seeds: int
    interval: tuple[float, float]
    order: float = 0.0
    master_seed: int = 0
    method: Method = "auto"
    grid: int = 81
    sampler: str = "dense"

    def describe(self) -> dict:
        """The row-determining description: context columns plus method and grid (JSON-ready), and the
        sampler when it is not the dense one (so dense sweeps keep their identities)."""
        extra = {} if self.sampler == "dense" else {"sampler": self.sampler}
        return {**context(self.setup, self.master_seed, self.interval, self.order), "method": self.method,
                "grid": self.grid, **extra}

    @property
    def identity(self) -> str:
        """SHA-256 (16 hex digits) of :meth:`describe`: rows of two sweeps with one identity are interchangeable."""
        text = json.dumps(self.describe(), sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def pairs(self) -> list[tuple[int, int]]:
        return [(w, s) for w in self.widths for s in range(self.seeds)]


class Sink(Protocol):
    """Where finished rows go (the results store): ``load`` returns the known rows of a sweep keyed by
    ``(width, seed)``; ``write`` commits one chunk's rows (atomically). The trained networks'
    learning-rate scans and decompositions go whole, one width each: ``load_scan`` returns a stored
    record (``None`` when unknown), ``write_scan`` commits one (``LRScan.to_record``,
    ``WidthDecomposition.to_record``)."""

    def load(self, spec: SweepSpec, claim: str) -> dict: ...

    def write(self, spec: SweepSpec, rows: list[dict], claim: str) -> None: ...

    def load_scan(self, claim: str, scan: str) -> tuple[dict, bytes] | None: ...

    def write_scan(self, claim: str, scan: str, description: dict, meta: dict, blob: bytes) -> None: ...


def compute_chunk(spec: SweepSpec, width: int, seed_ids: tuple[int, ...]) -> list[dict]:
    """The rows of one width × seed chunk, each with its loss/output coefficients (polynomial widths)
    and per-seed grid losses (evaluation widths): all that :func:`assemble` needs."""
    t0 = time.perf_counter()
    sw = sweep(spec.setup, [width], tuple(seed_ids), spec.interval, order=spec.order, master_seed=spec.master_seed,
               method=spec.method, grid=spec.grid, sampler=spec.sampler)
    secs = (time.perf_counter() - t0) / len(sw.rows)
    rows = []
    for i, r in enumerate(sw.rows):
        row = dict(r)
        row["loss"] = sw.loss[width][i] if width in sw.loss else None
        row["outputs"] = sw.outputs[width][i] if width in sw.outputs else None
        row["grid_etas"] = sw.curves[width][0] if width in sw.grid_values else None
        row["grid_values"] = sw.grid_values[width][i] if width in sw.grid_values else None
        row["seconds"] = secs
        rows.append(row)
    return rows


ROW_KEYS = ROW_FIELDS


def assemble(spec: SweepSpec, rows: dict) -> Sweep:
    """The :class:`Sweep` of ``spec`` from its rows keyed by ``(width, seed)`` (all pairs present)."""
    missing = [p for p in spec.pairs() if p not in rows]
    if missing:
        raise PolylrError(f"sweep {spec.identity} lacks {len(missing)} of {len(spec.pairs())} (width, seed) rows")
    out, loss, outputs, seconds, curves, grid_values = [], {}, {}, {}, {}, {}
    seeds = tuple(range(spec.seeds))
    for w in spec.widths:
        rs = [rows[(w, s)] for s in seeds]
        out += [{k: r[k] for k in ROW_KEYS} for r in rs]
        if all(r.get("loss") is not None for r in rs):
            loss[w] = np.stack([r["loss"] for r in rs])
            outputs[w] = np.stack([r["outputs"] for r in rs])
        if all(r.get("grid_values") is not None for r in rs):
            grid_values[w] = np.stack([r["grid_values"] for r in rs])
            curves[w] = (np.asarray(rs[0]["grid_etas"]), np.mean(grid_values[w], axis=0))
        seconds[w] = float(sum(r.get("seconds", 0.0) for r in rs))
    return Sweep(spec.setup, spec.widths, seeds, spec.master_seed, spec.interval, spec.order, tuple(out), loss,
                 outputs, seconds, curves, grid_values, spec.sampler)


def chunks(spec: SweepSpec, known: Iterable, chunk_seeds: int) -> list[tuple[int, tuple[int, ...]]]:
    """The missing ``(width, seed)`` pairs as width × seed chunks of at most ``chunk_seeds`` seeds."""
    known = set(known)
    tasks = []
    for w in spec.widths:
        todo = [s for s in range(spec.seeds) if (w, s) not in known]
        tasks += [(w, tuple(todo[i : i + chunk_seeds])) for i in range(0, len(todo), chunk_seeds)]
    return tasks


class SerialExecutor:
    """Chunks one after the other in this process."""

    def run(self, spec: SweepSpec, tasks) -> Iterator[list[dict]]:
        for w, seeds in tasks:
            yield compute_chunk(spec, w, seeds)

    def close(self) -> None:
        pass


class DeviceExecutor:
    """Chunks spread over local JAX devices (one thread per device; the chunk's arrays live on it)."""

    def __init__(self, devices=None):
        import jax  # noqa: PLC0415

        self.devices = list(devices) if devices is not None else jax.devices()
        self.pool = concurrent.futures.ThreadPoolExecutor(len(self.devices))

    def _one(self, i, spec, w, seeds):
        import jax  # noqa: PLC0415

        with jax.default_device(self.devices[i % len(self.devices)]):
            return compute_chunk(spec, w, seeds)

    def run(self, spec: SweepSpec, tasks) -> Iterator[list[dict]]:
        futures = [self.pool.submit(self._one, i, spec, w, s) for i, (w, s) in enumerate(tasks)]
        for f in concurrent.futures.as_completed(futures):
            yield f.result()

    def close(self) -> None:
        self.pool.shutdown()


_LOCAL = re.compile(r"local:(\d+)")
_TCP = re.compile(r"tcp://[^\s:/]+:\d{1,5}")


def check_cluster(text: str) -> str:
    """``local:N`` (N in [1, 256] workers on this machine) or ``tcp://host:port`` (a Dask scheduler)."""
    m = _LOCAL.fullmatch(text)
    if m:
        check_int("cluster workers (local:N)", int(m.group(1)), lo=1, hi=256)
        return text
    if _TCP.fullmatch(text):
        return text
    raise InvalidInput(f"cluster must be 'local:N' or 'tcp://host:port', got {text!r}")


class DaskExecutor:
    """Chunks as tasks on Dask distributed; results come back to this process (the one writer)."""

    def __init__(self, cluster: str, *, processes: bool = True):
        cluster = check_cluster(cluster)
        try:
            from dask.distributed import Client, LocalCluster  # noqa: PLC0415
        except ImportError:
            raise PolylrError("dask distributed is not installed: pip install 'polylr[cluster]'") from None
        self.cluster = None
        m = _LOCAL.fullmatch(cluster)
        if m:
            self.cluster = LocalCluster(n_workers=int(m.group(1)), threads_per_worker=1, processes=processes,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(cluster, timeout="10s")
            except OSError as e:
                raise PolylrError(f"cannot reach the Dask scheduler at {cluster}: {e}") from None

    def run(self, spec: SweepSpec, tasks) -> Iterator[list[dict]]:
        from dask.distributed import as_completed  # noqa: PLC0415

        futures = [self.client.submit(compute_chunk, spec, w, s, pure=False) for w, s in tasks]
        for f in as_completed(futures):
            yield f.result()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class Runner:
    """A sweep runner (``polylr.sweep(..., runner=r)``, or ``CheckOptions(runner=r)`` for a claim's
    sweeps): skips the pairs the sink knows, computes the rest in chunks on ``executor`` and commits
    each chunk to ``sink`` as it finishes; the sweep is then rebuilt from the sink (so what is
    reported is what is stored). It is passed explicitly, never installed process-wide."""

    def __init__(self, sink: Sink | None = None, executor=None, *, chunk_seeds: int | None = None,
                 claim: str = "", offline: bool = False):
        self.sink = sink
        self.offline = offline  # rows only from the sink: a missing row is an error, nothing is computed
        self.executor = executor if executor is not None else SerialExecutor()
        # seeds per chunk: given, else DEFAULT_CHUNK_SEEDS (dense) or GRAM_CHUNK_SEEDS (Gram/auto samplers)
        self.chunk_seeds = None if chunk_seeds is None else check_int("chunk seeds", chunk_seeds, lo=1)
        self.claim = claim
        self.computed = 0  # (width, seed) pairs computed (not found in the sink)
        self.reused = 0  # pairs found in the sink

    def __call__(self, setup, widths, seeds, interval, *, order=0.0, master_seed=0, progress=None, method="auto",
                 grid=81, sampler="dense") -> Sweep:
        spec = SweepSpec(setup, tuple(widths), seeds, tuple(interval), order, master_seed, method, grid,
                         getattr(sampler, "name", sampler))
        report: Callable = progress if progress is not None else (lambda done, total: None)
        rows = self.sink.load(spec, self.claim) if self.sink is not None else {}
        # a Gram network costs microseconds: bigger chunks keep per-chunk overheads small
        size = self.chunk_seeds or (DEFAULT_CHUNK_SEEDS if spec.sampler == "dense" else GRAM_CHUNK_SEEDS)
        tasks = chunks(spec, rows, size)
        total = len(spec.pairs())
        done = total - sum(len(s) for _, s in tasks)
        if self.offline and done < total:
            raise NotResolved(
                f"the results store lacks {total - done} of the {total} (width, seed) rows of claim {self.claim!r} "
                f"(widths {list(spec.widths)}, {spec.seeds} seeds): complete the campaign with polylr check ... --resume"
            )
        self.reused += done
        report(done, total)
        for chunk in self.executor.run(spec, tasks):
            if self.sink is not None:
                self.sink.write(spec, chunk, self.claim)
            rows.update(((r["width"], r["seed"]), r) for r in chunk)
            done += len(chunk)
            self.computed += len(chunk)
            report(done, total)
        if self.sink is not None:
            rows = self.sink.load(spec, self.claim)
        return assemble(spec, rows)

    def scan(self, tr, width: int, seeds, etas, *, chunk_bytes: int = CHUNK_BYTES, **kw) -> LRScan:
        """:func:`polylr.scan_lr` of a claim that trains networks, one width at a time, through the
        sink: a scan it holds (same :func:`~polylr.analysis.train.scan_identity`) is read back, else
        computed here and committed whole, so an interrupted check resumes at the width it was on.
        Counts its seeds as (width, seed) rows reused or computed."""
        key, desc = scan_identity(tr, width, seeds, etas, **kw)
        return self._kept(key, desc, "scan", lambda: scan_lr(tr, width, seeds, etas, chunk_bytes=chunk_bytes, **kw),
                          lambda meta, blob: LRScan.from_record(tr, meta, blob))

    def decomposition(self, tr, width: int, seeds, etas, *, ema: float, every: int, master_seed: int,
                      on_seed=None) -> WidthDecomposition:
        """:func:`polylr.analysis.decompose.decompose_width` through the sink, like :meth:`scan`
        (``decompose_scan(..., width_part=runner.decomposition)``)."""
        key, desc = decomposition_identity(tr, width, seeds, etas, ema=ema, every=every, master_seed=master_seed)
        return self._kept(key, desc, "decomposition",
                          lambda: decompose_width(tr, width, seeds, etas, ema=ema, every=every, master_seed=master_seed, on_seed=on_seed),
                          WidthDecomposition.from_record)

    def _kept(self, key: str, desc: dict, what: str, compute: Callable, read: Callable):
        """A whole record of one width (``desc``: what decides it; ``key``: its identity) from the
        sink, or computed and committed; counted as ``len(desc["seeds"])`` rows."""
        stored = self.sink.load_scan(self.claim, key) if self.sink is not None else None
        if stored is not None:
            self.reused += len(desc["seeds"])
            return read(*stored)
        if self.offline:
            raise NotResolved(f"the results store lacks claim {self.claim!r}'s {what} at width {desc['width']} ({key}): "
                              "complete the campaign with polylr check ... --resume")
        result = compute()
        if self.sink is not None:
            self.sink.write_scan(self.claim, key, desc, *result.to_record())
        self.computed += len(desc["seeds"])
        return result
