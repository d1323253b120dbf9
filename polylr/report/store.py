"""The results store: one SQLite database per output folder (``results.sqlite``, WAL mode).

Tidy rows, one per (claim, sweep, width, seed), each with every field of its context (data and its
hash, depth, steps, parametrization and exponents, train, master seed, interval, order, the key
scheme, the method asked for and the grid) plus its exact coefficients as float64 blobs, so a sweep
rebuilt from the store equals the computed one bit for bit. Rows are committed one width × seed chunk
per transaction as chunks finish; an interrupted campaign keeps every finished chunk, and a rerun
skips them (see :class:`polylr.analysis.distributed.Runner`). Several processes may write one store:
WAL mode, a busy timeout, and ``INSERT OR IGNORE`` of rows that are deterministic given their key.

The claims that train networks keep each learning-rate scan at one width whole instead (table
``scans``: its identity, what decides it, its record; :meth:`polylr.Runner.scan`).

REAL columns hold ±inf as themselves and NaN as NULL (SQLite has no NaN; no stored float is
otherwise NULL). See docs/results.md for the schema, resume and export.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import math
import os
import sqlite3
from pathlib import Path

import numpy as np

from ..analysis.distributed import SweepSpec
from ..analysis.frames import COLUMNS, INSTALL_HINT, SHALLOW_KEY_SCHEME, sampler_at
from ..core.errors import InvalidInput, PolylrError

# Version of the SQLite store's tables (meta.schema_version, and each row of `polylr export --format json`);
# the files of a claim have their own, report.render.RESULTS_SCHEMA_VERSION.
STORE_SCHEMA_VERSION = 3  # 2: column ``sampler``; 3: table ``scans`` (older stores are upgraded on opening)
STORE_NAME = "results.sqlite"
EXPORT_FORMATS = ("csv", "json", "parquet")

_REAL = ("eta", "loss_min", "interval_lo", "interval_hi", "order", "width_lo", "width_hi", "seconds")
_INT = ("width", "seed", "local_minima", "m", "d", "depth", "steps", "master_seed", "grid")
_BOOL = ("on_boundary", "unique")
_TEXT = ("method", "data", "data_hash", "parametrization", "exponents", "train", "key_scheme", "sampler", "requested_method")
_BLOB = ("loss", "outputs", "grid_etas", "grid_values")
# Exported (tidy) columns, in order; the blobs stay in the store.
EXPORT_COLUMNS = ("claim", "sweep", "campaign", *COLUMNS, "requested_method", "grid", "seconds")
_ALL = ("claim", "sweep", "campaign", *COLUMNS, "requested_method", "grid", "seconds", *_BLOB, "outputs_shape", "written")

def _coltype(c: str) -> str:
    if c in _REAL:
        return "REAL"
    if c in _INT or c in _BOOL:
        return "INTEGER"
    if c in _BLOB:
        return "BLOB"
    return "TEXT"


def _ddl() -> str:
    cols = ", ".join(f'"{c}" {_coltype(c)}' for c in _ALL)
    return f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS campaigns (campaign TEXT PRIMARY KEY, description TEXT NOT NULL, started TEXT NOT NULL,
                                      finished TEXT);
CREATE TABLE IF NOT EXISTS sweeps (sweep TEXT PRIMARY KEY, description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows ({cols}, PRIMARY KEY ("claim", "sweep", "width", "seed"));
CREATE TABLE IF NOT EXISTS scans (claim TEXT NOT NULL, scan TEXT NOT NULL, width INTEGER NOT NULL, campaign TEXT,
                                  description TEXT NOT NULL, meta TEXT NOT NULL, arrays BLOB NOT NULL, written TEXT NOT NULL,
                                  PRIMARY KEY (claim, scan));
"""


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def campaign_identity(description: dict) -> str:
    """SHA-256 (16 hex digits) of a campaign's full description (canonical JSON)."""
    return hashlib.sha256(json.dumps(description, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _blob(a) -> bytes | None:
    return None if a is None else np.ascontiguousarray(a, dtype="<f8").tobytes()


def _unblob(b, shape=None):
    if b is None:
        return None
    a = np.frombuffer(b, dtype="<f8").copy()
    return a.reshape(shape) if shape is not None else a


def _real(x):
    return math.nan if x is None else float(x)


def _upgrade_from_1(db) -> None:
    """Version 1 -> 2: add the column ``sampler``; filled where the stored description decides it
    (sweeps without a sampler were dense; rows of method ``shallow``), else left NULL (unknown)."""
    db.execute('ALTER TABLE rows ADD COLUMN "sampler" TEXT')
    for sid, desc in db.execute("SELECT sweep, description FROM sweeps").fetchall():
        asked = json.loads(desc).get("sampler", "dense")
        if asked in ("dense", "gram"):
            db.execute('UPDATE rows SET "sampler" = ? WHERE sweep = ?', (asked, sid))
    db.execute("""UPDATE rows SET "sampler" = 'shallow', key_scheme = ? WHERE method = 'shallow'""", (SHALLOW_KEY_SCHEME,))


class ResultStore:
    """The SQLite store of one output folder (created on first use).

    ``campaign``: the id of the campaign now writing (recorded with the rows it computes)."""

    def __init__(self, folder: str | os.PathLike, *, create: bool = True):
        self.folder = Path(folder)
        self.path = self.folder / STORE_NAME
        if not create and not self.path.is_file():
            raise InvalidInput(f"no results store in {str(self.folder)!r} (expected {STORE_NAME}; run polylr check --out there first)")
        self.campaign: str | None = None
        self.reused = self.computed = 0  # (width, seed) rows reused / computed by this writer (the CLI counts)
        try:
            if create:
                self.folder.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 60000")
            mode = self.db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise PolylrError(f"results store {str(self.path)!r} cannot use WAL mode (got {mode}); use a local disk")
            self.db.execute("PRAGMA synchronous = NORMAL")
            with self._tx():
                for stmt in _ddl().strip().split(";\n"):
                    if stmt.strip():
                        self.db.execute(stmt)
                row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if row is not None and int(row[0]) in (1, 2):  # 2 -> 3: the table scans, made above
                    if int(row[0]) == 1:
                        _upgrade_from_1(self.db)
                    self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(STORE_SCHEMA_VERSION),))
                    row = (str(STORE_SCHEMA_VERSION),)
                if row is None:
                    self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(STORE_SCHEMA_VERSION),))
                elif int(row[0]) != STORE_SCHEMA_VERSION:
                    raise PolylrError(f"results store {str(self.path)!r} has schema version {row[0]}; this polylr reads version {STORE_SCHEMA_VERSION}")
        except (sqlite3.DatabaseError, OSError) as e:
            raise PolylrError(f"results store {str(self.path)!r} cannot be used: {e}") from None

    # -- transactions -------------------------------------------------------------------------------
    class _Tx:
        def __init__(self, db):
            self.db = db

        def __enter__(self):
            self.db.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type, *exc):
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
            return False

    def _tx(self):
        return self._Tx(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- campaigns ----------------------------------------------------------------------------------
    def begin_campaign(self, description: dict) -> str:
        """Record a campaign (if new) and make it the writer; returns its identity."""
        cid = campaign_identity(description)
        with self._tx():
            self.db.execute("INSERT OR IGNORE INTO campaigns VALUES (?, ?, ?, NULL)",
                            (cid, json.dumps(description, sort_keys=True, default=str), _now()))
        self.campaign = cid
        return cid

    def finish_campaign(self) -> None:
        with self._tx():
            self.db.execute("UPDATE campaigns SET finished = ? WHERE campaign = ?", (_now(), self.campaign))

    def campaigns(self) -> list[dict]:
        cur = self.db.execute("SELECT campaign, description, started, finished FROM campaigns ORDER BY started")
        return [{"campaign": c, "description": json.loads(d), "started": s, "finished": f} for c, d, s, f in cur]

    # -- rows (the Sink protocol of polylr.analysis.distributed) -----------------------------------
    def write(self, spec: SweepSpec, rows: list[dict], claim: str) -> None:
        """Commit one chunk's rows in one transaction (rows already there are left as they are)."""
        sid, desc = spec.identity, spec.describe()
        records = []
        for r in rows:
            f = 1.0 if spec.order == 0 else float(r["width"]) ** spec.order
            rec = {**desc, **sampler_at(spec.sampler, spec.setup, r["width"]), "claim": claim, "sweep": sid, "campaign": self.campaign, "requested_method": spec.method,
                   "grid": spec.grid, "width_lo": spec.interval[0] * f, "width_hi": spec.interval[1] * f,
                   **{k: r[k] for k in ("width", "seed", "eta", "loss_min", "local_minima", "method", "seconds")},
                   "on_boundary": int(bool(r["on_boundary"])), "unique": int(bool(r["unique"])),
                   "loss": _blob(r.get("loss")), "outputs": _blob(r.get("outputs")),
                   "outputs_shape": None if r.get("outputs") is None else json.dumps(list(np.shape(r["outputs"]))),
                   "grid_etas": _blob(r.get("grid_etas")), "grid_values": _blob(r.get("grid_values")),
                   "written": _now()}
            records.append(tuple(rec[c] for c in _ALL))
        marks = ", ".join("?" for _ in _ALL)
        names = ", ".join(f'"{c}"' for c in _ALL)
        with self._tx():
            self.db.execute("INSERT OR IGNORE INTO sweeps VALUES (?, ?)", (sid, json.dumps(desc, sort_keys=True)))
            self.db.executemany(f"INSERT OR IGNORE INTO rows ({names}) VALUES ({marks})", records)

    def load(self, spec: SweepSpec, claim: str) -> dict:
        """The stored rows of ``spec``'s widths and seeds for ``claim``, keyed by ``(width, seed)``."""
        names = ", ".join(f'"{c}"' for c in _ALL)
        marks = ", ".join("?" for _ in spec.widths)
        cur = self.db.execute(
            f'SELECT {names} FROM rows WHERE claim = ? AND sweep = ? AND width IN ({marks}) AND seed < ?',
            (claim, spec.identity, *spec.widths, spec.seeds))
        out = {}
        for values in cur:
            rec = dict(zip(_ALL, values))
            shape = json.loads(rec["outputs_shape"]) if rec["outputs_shape"] else None
            row = {"width": rec["width"], "seed": rec["seed"], "eta": _real(rec["eta"]),
                   "loss_min": _real(rec["loss_min"]), "on_boundary": bool(rec["on_boundary"]),
                   "unique": bool(rec["unique"]), "local_minima": rec["local_minima"], "method": rec["method"],
                   "seconds": _real(rec["seconds"]), "loss": _unblob(rec["loss"]),
                   "outputs": _unblob(rec["outputs"], shape), "grid_etas": _unblob(rec["grid_etas"]),
                   "grid_values": _unblob(rec["grid_values"])}
            out[(row["width"], row["seed"])] = row
        return out

    # -- scans (trained networks' learning-rate scans, whole: Runner.scan) ----------------------------
    def write_scan(self, claim: str, scan: str, description: dict, meta: dict, blob: bytes) -> None:
        """Commit one scan (its identity ``scan``, what determines it, its record; kept if already there)."""
        with self._tx():
            self.db.execute("INSERT OR IGNORE INTO scans VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (claim, scan, int(meta["width"]), self.campaign, json.dumps(description, sort_keys=True),
                             json.dumps(meta), blob, _now()))

    def load_scan(self, claim: str, scan: str) -> tuple[dict, bytes] | None:
        """A stored scan's record ``(meta, arrays)``, or None."""
        row = self.db.execute("SELECT meta, arrays FROM scans WHERE claim = ? AND scan = ?", (claim, scan)).fetchone()
        return None if row is None else (json.loads(row[0]), bytes(row[1]))

    def claims(self) -> set[str]:
        """The claims that keep rows or scans here."""
        return {c for (c,) in self.db.execute("SELECT claim FROM rows UNION SELECT claim FROM scans")}

    def records(self) -> list[dict]:
        """Every row as a flat dict of :data:`EXPORT_COLUMNS` (NaN restored; no blobs), in a stable order,
        then one per (trained network, seed) of the stored learning-rate scans (:meth:`scan_records`)."""
        names = ", ".join(f'"{c}"' for c in EXPORT_COLUMNS)
        cur = self.db.execute(f'SELECT {names} FROM rows ORDER BY claim, sweep, width, seed')
        out = []
        for values in cur:
            rec = dict(zip(EXPORT_COLUMNS, values))
            for c in _REAL:
                if c in rec:
                    rec[c] = _real(rec[c])
            for c in _BOOL:
                rec[c] = bool(rec[c])
            out.append(rec)
        return out + self.scan_records()

    def scan_records(self) -> list[dict]:
        """The stored learning-rate scans of the claims that train networks as rows of
        :data:`EXPORT_COLUMNS`, one per (scan, seed): the seed's refined optimum (``eta``, ``loss_min``
        the objective there, NaN where every η diverged), ``method`` ``train``, ``sweep`` the scan's
        identity, the training's data, size, depth, steps and parametrization (``exponents``: its
        description as JSON), the grid's ends as the interval, ``grid`` its size and ``seconds`` the
        scan's time per seed; the columns of the linear sweeps' weight keys and samplers are empty.
        The decompositions (gwb-decomposition) have no optimum per seed and are left out."""
        out = []
        cur = self.db.execute("SELECT claim, scan, campaign, description, meta FROM scans ORDER BY claim, width, scan")
        for claim, scan, campaign, description, meta in cur:
            desc, meta = json.loads(description), json.loads(meta)
            if desc.get("kind") == "decomposition":
                continue
            tr, grid = desc["training"], desc["grid"]
            context = {"claim": claim, "sweep": scan, "campaign": campaign, "data": tr.get("data"), "data_hash": desc.get("data_digest"),
                       "m": tr.get("m"), "d": tr.get("d", tr.get("context")), "depth": tr.get("depth", tr.get("blocks")),
                       "steps": tr.get("steps"), "parametrization": tr["param"].get("name"), "exponents": json.dumps(tr["param"], sort_keys=True),
                       "train": json.dumps(tr.get("train")), "master_seed": desc["master_seed"], "interval_lo": grid[0], "interval_hi": grid[-1],
                       "order": 0.0, "width_lo": grid[0], "width_hi": grid[-1], "key_scheme": None, "sampler": None,
                       "requested_method": "train", "grid": len(grid), "seconds": meta["seconds"] / max(1, len(meta["seeds"]))}
            for seed, a in zip(meta["seeds"], meta["argmins"]):
                best = {"eta": math.nan, "loss_min": math.nan, "on_boundary": False, "unique": False, "local_minima": 0} if a is None else \
                    {"eta": float(a["eta"]), "loss_min": float(a["value"]), "on_boundary": bool(a["on_boundary"]),
                     "unique": not a["near_minima"] and not a["flat"], "local_minima": len(a["local_minima"])}
                out.append({c: None for c in EXPORT_COLUMNS} | context | best | {"width": meta["width"], "seed": seed, "method": "train"})
        return out

    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]


def _json_value(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def export(folder: str | os.PathLike, fmt: str, out: str | os.PathLike | None = None) -> Path:
    """Write the store's rows of ``folder`` as ``results.csv|json|parquet`` (in ``folder``, or ``out``).

    CSV and JSON write ±inf and NaN as ``inf``, ``-inf``, ``nan`` (strings in JSON); JSON is a list of
    flat records, each with ``schema_version``; Parquet (``parquet`` extra) keeps them as floats."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"export format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: PLC0415
            import pyarrow.parquet  # noqa: PLC0415
        except ImportError:
            raise PolylrError(f"parquet export needs pyarrow: {INSTALL_HINT['arrow']}") from None
    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidInput(f"export folder {str(folder)!r} does not exist")
    with ResultStore(folder, create=False) as store:
        records = store.records()
    target = Path(out) if out is not None else folder / f"results.{fmt}"
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        if fmt == "csv":
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
            w.writeheader()
            w.writerows({k: repr(v) if isinstance(v, float) else v for k, v in r.items()} for r in records)
            tmp.write_text(buf.getvalue())
        elif fmt == "json":
            doc = [{"schema_version": STORE_SCHEMA_VERSION, **{k: _json_value(v) for k, v in r.items()}} for r in records]
            tmp.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
        else:
            cols = {c: [r[c] for r in records] for c in EXPORT_COLUMNS}
            pyarrow.parquet.write_table(pyarrow.table(cols), tmp)
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise PolylrError(f"cannot write {str(target)!r}: {e.strerror or e}") from None
    return target
