"""Call detail records: one row per call, kept in SQLite (a file; nothing to install).

Rows are committed as each call ends, so a crash loses no finished call.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CallRecord", "CdrStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """What happened to one inbound call.  Times are switch seconds (virtual or real).

    ``outcome`` is ``answered`` (an agent took it), ``abandoned`` (the caller hung up after
    reaching a queue: while queued or while an agent's phone rang), ``ivr`` (ended in the IVR,
    before reaching a queue) or ``blocked`` (no trunk free).
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


_COLUMNS = [f.name for f in dataclasses.fields(CallRecord)]
_TYPES = {"arrived_s": "REAL", "ended_s": "REAL", "enqueued_s": "REAL", "answered_s": "REAL"}


class CdrStore:
    """An SQLite table ``cdr`` of :class:`CallRecord` rows.

    ``CdrStore(path)`` creates the file and table if needed; ``fresh=True`` empties the table
    first (a demo run starts from nothing).  Use as a context manager or call :meth:`close`.
    """

    def __init__(self, path: str | Path, *, fresh: bool = False) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path)
        cols = ", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in _COLUMNS)
        self._db.execute(f"CREATE TABLE IF NOT EXISTS cdr (id INTEGER PRIMARY KEY, {cols})")
        if fresh:
            self._db.execute("DELETE FROM cdr")
        self._db.commit()

    def add(self, record: CallRecord) -> None:
        """Insert one record and commit it."""
        values = [getattr(record, c) for c in _COLUMNS]
        marks = ", ".join("?" for _ in _COLUMNS)
        self._db.execute(f"INSERT INTO cdr ({', '.join(_COLUMNS)}) VALUES ({marks})", values)
        self._db.commit()

    def records(self) -> list[CallRecord]:
        """Every stored record, in insertion order."""
        rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM cdr ORDER BY id").fetchall()
        return [CallRecord(**dict(zip(_COLUMNS, row, strict=True))) for row in rows]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CdrStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
