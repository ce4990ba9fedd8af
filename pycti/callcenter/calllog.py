"""Collects call detail records from CSTA events at the trunks, plus notes from IVR and ACD.

The collector monitors every trunk device through the Provider API: the first Delivered of a
call opens a record (arrival time, caller number, the called number or DNIS where the line
gave one), ``note()`` lets the IVR and ACD add what they
know (menu choice, queue, answer, agent), and CallCleared closes the record into the store.
Calls that change identity (a transfer that makes a new call) are followed through the
Transferred event's connection list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from ..provider import Provider
from ..switch import events as ev
from .cdr import CallRecord, CdrStore

__all__ = ["CallLog"]


class CallLog:
    """Open records of calls in progress; finished ones go to ``store``."""

    def __init__(self, provider: Provider, trunks: Iterable[str], store: CdrStore,
                 on_record: Callable[[CallRecord], None] | None = None) -> None:
        self._provider = provider
        self._trunks = list(trunks)
        self._store = store
        self._open: dict[str, dict[str, Any]] = {}
        self._alias: dict[str, str] = {}
        self._aliases_of: dict[str, set[str]] = {}  #: record key -> the call ids aliased to it
        self._on_record = on_record
        self.finished = 0

    def _key(self, call_id: str) -> str:
        while call_id in self._alias:
            call_id = self._alias[call_id]
        return call_id

    def note(self, call_id: str, **fields: Any) -> None:
        """Add fields to the open record of ``call_id`` (first value wins for times)."""
        rec = self._open.get(self._key(call_id))
        if rec is None:
            return
        for k, v in fields.items():
            if k.endswith("_s") and rec.get(k) is not None:
                continue
            rec[k] = v

    def get(self, call_id: str, name: str) -> Any:
        rec = self._open.get(self._key(call_id))
        return None if rec is None else rec.get(name)

    async def run(self) -> None:
        """Follow the trunks until cancelled."""
        await asyncio.gather(*(self._follow(t) for t in self._trunks))

    async def _follow(self, trunk: str) -> None:
        async with self._provider.monitor(trunk) as events:
            async for e in events:
                self._event(trunk, e)

    def _event(self, trunk: str, e: Any) -> None:
        if isinstance(e, ev.Delivered):
            key = self._key(e.connection.call_id)
            if key not in self._open and e.connection.call_id not in self._alias:
                self._open[key] = {
                    "call_id": key,
                    "trunk": trunk,
                    "caller_number": e.calling_device,
                    "called": e.called_device or None,  # the DNIS; "" when the line gave none
                    "arrived_s": e.time,
                    "outcome": "ivr",
                }
        elif isinstance(e, ev.Transferred):
            old = e.primary_old_call.call_id
            rec = self._open.get(self._key(old))
            if rec is not None and rec["outcome"] == "ivr":
                rec["outcome"] = "transferred"  # sent on (answered or queued later overrides it)
            for entry in e.transferred_connections:
                new = entry.new_connection
                if new is not None and new.call_id != old and self._key(new.call_id) != self._key(old):
                    self._alias[new.call_id] = target = self._key(old)
                    self._aliases_of.setdefault(target, set()).add(new.call_id)
        elif isinstance(e, ev.CallCleared) or (
            isinstance(e, ev.ConnectionCleared) and e.dropped_connection.device_id == trunk
        ):
            # the trunk leaving ends the external call (ECMA-269 tells a device that left a
            # call nothing more of it, so its CallCleared may never come here)
            cleared = e.cleared_call if isinstance(e, ev.CallCleared) else e.dropped_connection.call_id
            key = self._key(cleared)
            rec = self._open.pop(key, None)
            for alias in self._aliases_of.pop(key, ()):
                self._alias.pop(alias, None)
            self._alias.pop(cleared, None)
            if rec is not None:
                rec["ended_s"] = e.time
                if rec.get("answered_s") is not None:
                    rec["outcome"] = "answered"
                elif rec.get("enqueued_s") is not None:
                    rec["outcome"] = "abandoned"  # left in queue, or while an agent's phone rang
                record = CallRecord(**rec)
                self._store.add(record)
                self.finished += 1
                if self._on_record is not None:
                    self._on_record(record)

    def add_blocked(self, arrived_s: float, caller_number: str) -> None:
        """Record a caller who found no free trunk."""
        record = CallRecord(call_id="-", trunk=None, caller_number=caller_number,
                            arrived_s=arrived_s, ended_s=arrived_s, outcome="blocked")
        self._store.add(record)
        self.finished += 1
        if self._on_record is not None:
            self._on_record(record)
