"""Call detail records: one row per call, kept in SQLite (a file; nothing to install).

Rows are committed as each call ends, so a crash of the process loses no finished call.  The
database runs in WAL mode (``PRAGMA journal_mode=WAL``): a reader (a report, a dashboard) never
blocks the writer, and a killed writer leaves every committed row in place.  Commits do not wait
for the disk (``PRAGMA synchronous=NORMAL``, SQLite's advice for WAL): a commit is in the WAL
file, which survives the process; the WAL is synced at each checkpoint, so only a power cut or a
kernel crash can take back the last commits before it (never corrupting the file).  That keeps a
call's end at tens of microseconds instead of an fsync of milliseconds, which a busy center
ending hundreds of calls a second needs.

Records accumulate: each :class:`CdrStore` opened with ``run=...`` starts a *run* (a row of
the ``runs`` table: id, wall-clock start and end, status, a label) and stamps its records
with that run's id, so reports can tell runs apart (:meth:`CdrStore.records` with
``run_id``).  Older databases are upgraded in place (missing columns added; their records
are gathered under one run marked ``legacy``), never emptied.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CallRecord", "CdrStore", "CdrStoreError", "RunInfo", "SCHEMA_VERSION"]

#: ``PRAGMA user_version`` of the current layout: 1 = the first layout (no run ids, no
#: called number), 2 = ``runs`` table, ``cdr.run_id`` and ``cdr.called``.
SCHEMA_VERSION = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """What happened to one inbound call.  Times are switch seconds (virtual or real).

    ``outcome`` is ``answered`` (an agent took it), ``abandoned`` (the caller hung up after
    reaching a queue: while queued or while an agent's phone rang), ``ivr`` (ended in the IVR,
    before reaching a queue), ``transferred`` (sent on by a transfer -- to an outside number,
    by the carrier or through a second trunk, or to a device that did not answer -- without
    reaching a queue or an agent) or ``blocked`` (no trunk free).  ``called`` is the number the
    caller dialled (DNIS), ``None`` where the line does not say.
    """

    call_id: str
    trunk: str | None
    caller_number: str | None
    arrived_s: float
    ended_s: float
    outcome: str
    choice: str | None = None
    queue: str | None = None
    enqueued_s: float | None = None
    answered_s: float | None = None
    agent: str | None = None
    called: str | None = None

    @property
    def wait_s(self) -> float | None:
        """Time in queue until answered or abandoned."""
        if self.enqueued_s is None:
            return None
        end = self.answered_s if self.answered_s is not None else self.ended_s
        return end - self.enqueued_s

    @property
    def talk_s(self) -> float | None:
        """Time from the agent's answer to the end of the call."""
        return None if self.answered_s is None else self.ended_s - self.answered_s


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """One row of the ``runs`` table.  Times are wall-clock UTC, ISO 8601."""

    run_id: int
    started_at: str | None
    ended_at: str | None
    status: str  #: ``running``, ``completed``, ``interrupted``, ``failed`` or ``legacy``
    label: str | None
    calls: int  #: records stored under this run


class CdrStoreError(Exception):
    """The database at ``path`` cannot be used; ``reason`` says why, in a few words."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


_COLUMNS = [f.name for f in dataclasses.fields(CallRecord)]
_INSERT = f"INSERT INTO cdr ({', '.join([*_COLUMNS, 'run_id'])}) VALUES ({', '.join('?' * (len(_COLUMNS) + 1))})"
_TYPES = {"arrived_s": "REAL", "ended_s": "REAL", "enqueued_s": "REAL", "answered_s": "REAL"}
_RUNS_DDL = ("CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, started_at TEXT, "
             "ended_at TEXT, status TEXT NOT NULL, label TEXT)")


def _utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _check_path(path: str) -> None:
    """Raise :class:`CdrStoreError` with the OS's reason if ``path`` cannot be a database file."""
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        what = "is not a directory" if os.path.exists(parent) else "does not exist"
        raise CdrStoreError(path, f"directory {parent} {what}")
    if os.path.isdir(path):
        raise CdrStoreError(path, "is a directory, not a database file")
    try:  # the OS's own answer for permission and the like (creates an empty file if none)
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise CdrStoreError(path, exc.strerror or type(exc).__name__) from exc


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return "not an SQLite database"
    return text


class CdrStore:
    """An SQLite table ``cdr`` of :class:`CallRecord` rows, grouped in runs.

    ``CdrStore(path)`` creates the file and tables if needed and upgrades an older layout.
    ``run="label"`` starts a new run whose id (:attr:`run_id`) is stamped on every record
    added; without it records are added with no run.  ``fresh=True`` deletes every stored
    record and run first (only when asked: nothing is ever wiped otherwise).  Problems opening
    the file raise :class:`CdrStoreError`.  Use as a context manager or call :meth:`close`.
    """

    def __init__(self, path: str | Path, *, fresh: bool = False, run: str | None = None) -> None:
        self.path = str(path)
        self.run_id: int | None = None
        _check_path(self.path)
        try:
            self._db = sqlite3.connect(self.path, timeout=10.0)
        except sqlite3.Error as exc:
            raise CdrStoreError(self.path, _reason(exc)) from exc
        try:
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise CdrStoreError(self.path, f"cannot use WAL journal mode (got {mode})")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            if fresh:
                self._db.execute("DELETE FROM cdr")
                self._db.execute("DELETE FROM runs")
            if run is not None:
                cur = self._db.execute("INSERT INTO runs (started_at, status, label) VALUES (?, 'running', ?)",
                                       (_utc_now(), run))
                self.run_id = cur.lastrowid
            self._db.commit()
        except sqlite3.Error as exc:
            self._db.close()
            raise CdrStoreError(self.path, _reason(exc)) from exc
        except CdrStoreError:
            self._db.close()
            raise

    # ------------------------------------------------------------ schema
    @property
    def schema_version(self) -> int:
        """The database's ``PRAGMA user_version`` (:data:`SCHEMA_VERSION` once opened)."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Create or upgrade the tables to :data:`SCHEMA_VERSION`, keeping every row."""
        db = self._db
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise CdrStoreError(self.path, f"written by a newer pycti (schema {version} > {SCHEMA_VERSION})")
        cols = ", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in _COLUMNS)
        db.execute(f"CREATE TABLE IF NOT EXISTS cdr (id INTEGER PRIMARY KEY, {cols}, run_id INTEGER)")
        db.execute(_RUNS_DDL)
        have = {row[1] for row in db.execute("PRAGMA table_info(cdr)")}
        for c in [*_COLUMNS, "run_id"]:
            if c not in have:  # a layout from before this column: add it (old rows get NULL)
                kind = "INTEGER" if c == "run_id" else _TYPES.get(c, "TEXT")
                db.execute(f"ALTER TABLE cdr ADD COLUMN {c} {kind}")
        if version < SCHEMA_VERSION:
            orphans = db.execute("SELECT COUNT(*) FROM cdr WHERE run_id IS NULL").fetchone()[0]
            if orphans:
                cur = db.execute("INSERT INTO runs (started_at, ended_at, status, label) "
                                 "VALUES (NULL, NULL, 'legacy', 'records from before run ids')")
                db.execute("UPDATE cdr SET run_id = ? WHERE run_id IS NULL", (cur.lastrowid,))
            db.execute("CREATE INDEX IF NOT EXISTS cdr_run ON cdr (run_id)")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.commit()

    # ------------------------------------------------------------ records
    def add(self, record: CallRecord) -> None:
        """Insert one record (stamped with :attr:`run_id`) and commit it."""
        self._db.execute(_INSERT, [*(getattr(record, c) for c in _COLUMNS), self.run_id])
        self._db.commit()

    def records(self, *, run_id: int | None = None) -> list[CallRecord]:
        """Stored records in insertion order: every one, or those of run ``run_id``."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM cdr"
        args: tuple[Any, ...] = ()
        if run_id is not None:
            sql, args = sql + " WHERE run_id = ?", (run_id,)
        rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [CallRecord(**dict(zip(_COLUMNS, row, strict=True))) for row in rows]

    # ------------------------------------------------------------ runs
    def runs(self) -> list[RunInfo]:
        """Every run, oldest first, with how many records each holds."""
        rows = self._db.execute(
            "SELECT r.run_id, r.started_at, r.ended_at, r.status, r.label, "
            "(SELECT COUNT(*) FROM cdr c WHERE c.run_id = r.run_id) FROM runs r ORDER BY r.run_id"
        ).fetchall()
        return [RunInfo(run_id=r[0], started_at=r[1], ended_at=r[2], status=r[3], label=r[4], calls=r[5])
                for r in rows]

    def end_run(self, status: str = "completed") -> None:
        """Mark the current run ended (wall-clock time now) with ``status``."""
        if self.run_id is None:
            return
        self._db.execute("UPDATE runs SET ended_at = ?, status = ? WHERE run_id = ?",
                         (_utc_now(), status, self.run_id))
        self._db.commit()

    def close(self) -> None:
        """Close the database (a run still ``running`` stays so: it did not end cleanly)."""
        self._db.close()

    def __enter__(self) -> CdrStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
