"""Voicemail: callers leave a message on a route device; messages are kept per mailbox.

:class:`Voicemail` answers every call delivered to its route device (a queue's overflow, an
IVR flow's ``voicemail`` transfer, an agent's no-answer forward all lead there), plays the
mailbox's greeting and a beep, and records what the caller says until the caller hangs up,
keys the end key (``#``), or ``max_message_s`` runs out; then the call is cleared.  The
mailbox is the device the call was redirected from (the queue, the agent's station), else the
number the caller dialled, else the route itself -- or what ``mailbox_of`` says.

:class:`VoicemailStore` keeps the messages: one WAV file each (8 kHz mono, written by the media
plane's recorder, which flushes every second, so a crash loses at most the last second) under
``folder/MAILBOX/``, and an index in ``folder/voicemail.db`` (SQLite: mailbox, caller, time,
duration, file, heard).  :meth:`VoicemailStore.purge` applies a retention policy (messages older
than so many days, heard or not), deleting file and row together.

Every caller runs isolated: a failure is logged and kept in :attr:`Voicemail.errors`, and the
other callers go on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CstaError, PyctiError
from ..dsp.audiofile import shared_copy
from ..provider import MediaProvider
from ..switch import events as ev
from ..switch.ids import ConnectionID

__all__ = ["Voicemail", "VoicemailError", "VoicemailMessage", "VoicemailStore", "beep"]

log = logging.getLogger(__name__)


class VoicemailError(PyctiError, OSError):
    """The voicemail store cannot be used (its folder or index); the message names the path."""


def beep(ms: int = 400, freq_hz: float = 1000.0, level_dbm0: float = -12.0) -> np.ndarray:
    """The tone that says "speak now"."""
    from ..dsp._base import dbm0_to_peak

    t = np.arange(int(8 * ms)) / 8000.0
    return np.rint(dbm0_to_peak(level_dbm0) * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16)


@dataclass(frozen=True, slots=True)
class VoicemailMessage:
    """One message: ``received_at`` is local wall time (ISO 8601), ``path`` its WAV file."""

    message_id: int
    mailbox: str
    caller: str | None
    received_at: str
    duration_s: float
    path: Path
    heard: bool


_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, mailbox TEXT NOT NULL, caller TEXT,
    received_at TEXT NOT NULL, duration_s REAL NOT NULL, path TEXT NOT NULL,
    heard INTEGER NOT NULL DEFAULT 0)
"""


class VoicemailStore:
    """Messages on disk (see the module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.folder / "voicemail.db")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise VoicemailError(f"voicemail store {self.folder}: {exc}") from None

    def new_path(self, mailbox: str, call_id: str, at: dt.datetime) -> Path:
        """Where the next message of ``mailbox`` goes (its folder is made)."""
        safe = "".join(ch if ch.isalnum() or ch in "+-_" else "_" for ch in mailbox) or "_"
        box = self.folder / safe
        box.mkdir(exist_ok=True)
        return box / f"{at.strftime('%Y%m%dT%H%M%S')}-{call_id.replace('/', '_')}.wav"

    def add(self, mailbox: str, caller: str | None, at: dt.datetime, path: Path) -> VoicemailMessage:
        """Index a recorded message (its duration read from the file)."""
        with wave.open(str(path), "rb") as w:
            duration = w.getnframes() / float(w.getframerate())
        cur = self._db.execute(
            "INSERT INTO messages (mailbox, caller, received_at, duration_s, path) VALUES (?, ?, ?, ?, ?)",
            (mailbox, caller, at.isoformat(timespec="seconds"), duration, str(path)),
        )
        self._db.commit()
        assert cur.lastrowid is not None
        return VoicemailMessage(cur.lastrowid, mailbox, caller, at.isoformat(timespec="seconds"), duration, path,
                                False)

    def messages(self, mailbox: str | None = None, *, unheard_only: bool = False) -> list[VoicemailMessage]:
        """The messages of ``mailbox`` (all mailboxes when None), oldest first."""
        sql = "SELECT id, mailbox, caller, received_at, duration_s, path, heard FROM messages WHERE 1=1"
        args: list[object] = []
        if mailbox is not None:
            sql += " AND mailbox = ?"
            args.append(mailbox)
        if unheard_only:
            sql += " AND heard = 0"
        rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [VoicemailMessage(r[0], r[1], r[2], r[3], r[4], Path(r[5]), bool(r[6])) for r in rows]

    def mark_heard(self, message_id: int) -> None:
        self._db.execute("UPDATE messages SET heard = 1 WHERE id = ?", (message_id,))
        self._db.commit()

    def purge(self, *, older_than_days: float, now: dt.datetime) -> int:
        """Delete the messages received more than ``older_than_days`` before ``now``; returns
        how many went."""
        cutoff = (now - dt.timedelta(days=older_than_days)).isoformat(timespec="seconds")
        rows = self._db.execute("SELECT id, path FROM messages WHERE received_at < ?", (cutoff,)).fetchall()
        for message_id, path in rows:
            Path(path).unlink(missing_ok=True)
            self._db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
        self._db.commit()
        return len(rows)

    def close(self) -> None:
        self._db.close()


class Voicemail:
    """Takes messages on a route device (see the module docstring)."""

    def __init__(self, provider: MediaProvider, route: str, store: VoicemailStore, *,
                 greeting: np.ndarray | None = None, greetings: dict[str, np.ndarray] | None = None,
                 max_message_s: float = 120.0, end_key: str = "#",
                 mailbox_of: Callable[[ev.Delivered], str] | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self._p, self.route, self.store = provider, route, store
        # read-only copies: stored once however many callers hear them
        self._greeting = None if greeting is None else shared_copy(greeting)
        self._greetings = {box: shared_copy(g) for box, g in (greetings or {}).items()}
        self.max_message_s, self.end_key = max_message_s, end_key
        self._mailbox_of = mailbox_of or self._default_mailbox
        self._clock = clock or dt.datetime.now
        self._keys: dict[str, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.errors: list[str] = []
        self.taken: list[VoicemailMessage] = []

    def _default_mailbox(self, e: ev.Delivered) -> str:
        return e.last_redirection_device or e.called_device or self.route

    async def run(self) -> None:
        """Answer the route's calls until cancelled."""
        try:
            async with self._p.monitor(self.route) as events:
                async for e in events:
                    if isinstance(e, ev.Delivered) and e.alerting_device == self.route:
                        self._keys[e.connection.call_id] = asyncio.Event()
                        task = asyncio.ensure_future(self._isolated(e))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
                    elif isinstance(e, ev.DigitsDetected) and self.end_key in e.digits:
                        key = self._keys.get(e.connection.call_id)
                        if key is not None:
                            key.set()
                    elif isinstance(e, ev.CallCleared):
                        key = self._keys.get(e.cleared_call)
                        if key is not None:
                            key.set()
        finally:
            for task in list(self._tasks):
                task.cancel()

    async def _isolated(self, e: ev.Delivered) -> None:
        try:
            await self._take(e)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one caller's failure never stops the others
            msg = f"voicemail for {e.connection.call_id}: {exc}"
            log.warning("%s", msg)
            self.errors.append(msg)
        finally:
            self._keys.pop(e.connection.call_id, None)

    async def _take(self, e: ev.Delivered) -> None:
        conn: ConnectionID = e.connection
        mailbox = self._mailbox_of(e)
        ended = self._keys[conn.call_id]
        try:
            await self._p.answer_call(conn)
            greeting = self._greetings.get(mailbox, self._greeting)
            if greeting is not None:
                await self._p.play(conn, greeting)
            await self._p.play(conn, beep())
        except CstaError:
            return  # the caller left during the greeting: no message
        if ended.is_set():
            return
        at = self._clock()
        path = self.store.new_path(mailbox, conn.call_id, at)
        try:
            recording = await self._p.record(conn.call_id, path,
                                             devices=[d for d, _, _ in await self._p.snapshot_call(conn.call_id)
                                                      if d != self.route])
        except CstaError:
            return
        timer = asyncio.ensure_future(self._p.sleep(self.max_message_s))
        key = asyncio.ensure_future(ended.wait())
        try:
            await asyncio.wait({timer, key}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            key.cancel()
        await self._p.stop_recording(recording)
        self.taken.append(self.store.add(mailbox, e.calling_device, at, path))
        try:
            await self._p.clear_connection(conn)
        except CstaError:
            pass  # the caller had hung up already
