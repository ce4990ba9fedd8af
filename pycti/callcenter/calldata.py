"""Caller data that follows a call: what the IVR learned, readable by agent applications.

The IVR opens an entry when it takes a call (caller number, DNIS), then adds the variables
its flow gathered and the digits the caller keyed.  The entry is found by call id
(:meth:`CallDataStore.get`) from any application, e.g. an agent desktop on the Delivered of
its station.  The ECMA-269 Transferred and Conferenced events (clause 17) list each
connection of the resulting call with the one it replaced; when
a party's call id changes there (a transfer or conference merging the caller into another
call), the entry is known under the new id too (:meth:`CallDataStore.observe`).  The entry ends
when its call is cleared or the caller's own connection (the trunk) clears; ended entries stay
readable for a while (the ``keep_ended`` last ones).

:meth:`CallDataStore.observe` takes events and touches nothing else; :meth:`follow` feeds it
from Provider monitors of the devices an application names (the trunks see every change of a
caller's call).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..errors import PyctiError
from ..provider import Provider
from ..switch import events as ev

__all__ = ["CallData", "CallDataError", "CallDataStore"]


class CallDataError(PyctiError, ValueError):
    """A :class:`CallDataStore` asked for impossible limits."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallData:
    """A snapshot of one call's data.  ``call_id`` is the call's latest id, ``call_ids``
    every id it had; ``digits`` the digits keyed in the IVR, one space-separated group per
    try (private collections masked as ``*``); ``path`` the IVR nodes visited; times are
    switch seconds."""

    call_id: str
    call_ids: tuple[str, ...]
    caller: str | None
    dnis: str | None
    caller_device: str | None
    variables: Mapping[str, str] = field(default_factory=dict)
    digits: str = ""
    path: tuple[str, ...] = ()
    started_s: float = 0.0
    ended_s: float | None = None


@dataclass(slots=True)
class _Entry:
    call_ids: list[str]
    caller: str | None
    dnis: str | None
    caller_device: str | None
    started_s: float
    variables: dict[str, str] = field(default_factory=dict)
    digits: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    ended_s: float | None = None

    def snapshot(self) -> CallData:
        return CallData(call_id=self.call_ids[-1], call_ids=tuple(self.call_ids), caller=self.caller,
                        dnis=self.dnis, caller_device=self.caller_device,
                        variables=MappingProxyType(dict(self.variables)), digits=" ".join(self.digits),
                        path=tuple(self.path), started_s=self.started_s, ended_s=self.ended_s)


class CallDataStore:
    """Per-call data, keyed by every id the call has had (see the module docstring)."""

    def __init__(self, *, keep_ended: int = 1000, max_open: int = 100_000) -> None:
        if keep_ended < 0 or max_open < 1:
            raise CallDataError(f"keep_ended must be >= 0 and max_open >= 1, got {keep_ended}, {max_open}")
        self._by_id: dict[str, _Entry] = {}
        self._open: OrderedDict[int, _Entry] = OrderedDict()  # id(entry) -> entry, oldest first
        self._ended: OrderedDict[int, _Entry] = OrderedDict()
        self._keep_ended = keep_ended
        self._max_open = max_open

    # -- the IVR's side ---------------------------------------------------------------------
    def open(self, call_id: str, *, caller: str | None, dnis: str | None, caller_device: str | None,
             now_s: float) -> None:
        """Start the data of a call the IVR took (an existing entry is kept: a call coming
        back to an IVR keeps what it gathered)."""
        entry = self._by_id.get(call_id)
        if entry is not None and entry.ended_s is None:
            return
        entry = _Entry([call_id], caller, dnis, caller_device, now_s)
        self._by_id[call_id] = entry
        self._open[id(entry)] = entry
        while len(self._open) > self._max_open:
            self._forget(self._open.popitem(last=False)[1])

    def set_variables(self, call_id: str, variables: Mapping[str, str]) -> None:
        """Merge ``variables`` into the call's data (unknown call: ignored)."""
        entry = self._by_id.get(call_id)
        if entry is not None:
            entry.variables.update(variables)

    def add_digits(self, call_id: str, digits: str) -> None:
        """Append digits the caller keyed."""
        entry = self._by_id.get(call_id)
        if entry is not None:
            entry.digits.append(digits)

    def visit(self, call_id: str, node: str) -> None:
        """Record that the call's flow entered ``node``."""
        entry = self._by_id.get(call_id)
        if entry is not None:
            entry.path.append(node)

    # -- everybody's side -------------------------------------------------------------------
    def get(self, call_id: str) -> CallData | None:
        """The data of the call that has (or had) id ``call_id``; None if unknown."""
        entry = self._by_id.get(call_id)
        return None if entry is None else entry.snapshot()

    def __len__(self) -> int:
        return len(self._open)

    def observe(self, event: ev.CstaEvent) -> None:
        """Follow one event: re-key on Transferred/Conferenced, end on the call's clearing."""
        if isinstance(event, (ev.Transferred, ev.Conferenced)):
            rows = event.transferred_connections if isinstance(event, ev.Transferred) else event.conference_connections
            olds = [event.primary_old_call, event.secondary_old_call]
            for row in rows:
                if row.old_connection is not None:
                    olds.append(row.old_connection)
            entries = [self._by_id[c.call_id] for c in olds if c is not None and c.call_id in self._by_id]
            live = [e for e in entries if e.ended_s is None]
            for row in rows:
                new = row.new_connection
                if new is None:
                    continue
                old = row.old_connection
                entry = self._by_id.get(old.call_id) if old is not None else None
                if entry is None and live:
                    entry = live[0]  # a party that had no old connection joins the caller's call
                if entry is not None and entry.ended_s is None:
                    self._rekey(entry, new.call_id)
        elif isinstance(event, ev.CallCleared):
            self._end(self._by_id.get(event.cleared_call), event.cleared_call, event.time)
        elif isinstance(event, ev.ConnectionCleared):
            entry = self._by_id.get(event.dropped_connection.call_id)
            if entry is not None and event.dropped_connection.device_id == entry.caller_device:
                self._end(entry, event.dropped_connection.call_id, event.time)

    async def follow(self, provider: Provider, devices: Iterable[str]) -> None:
        """Monitor ``devices`` (the trunks, say) and :meth:`observe` their events until
        cancelled."""

        async def one(device: str) -> None:
            async with provider.monitor(device) as events:
                async for e in events:
                    self.observe(e)

        await asyncio.gather(*(one(d) for d in devices))

    # -- internals --------------------------------------------------------------------------
    def _rekey(self, entry: _Entry, call_id: str) -> None:
        other = self._by_id.get(call_id)
        if other is entry:
            return
        if other is not None and other.ended_s is None:  # two calls with data merge
            for k, v in other.variables.items():
                entry.variables.setdefault(k, v)
            entry.digits.extend(other.digits)
            entry.path.extend(other.path)
            for cid in other.call_ids:
                self._by_id[cid] = entry
            self._open.pop(id(other), None)
        entry.call_ids.append(call_id)
        self._by_id[call_id] = entry

    def _end(self, entry: _Entry | None, call_id: str, now_s: float) -> None:
        if entry is None or entry.ended_s is not None or entry.call_ids[-1] != call_id:
            return  # an old id of a call that goes on under a new one
        entry.ended_s = now_s
        self._open.pop(id(entry), None)
        self._ended[id(entry)] = entry
        while len(self._ended) > self._keep_ended:
            self._forget(self._ended.popitem(last=False)[1])

    def _forget(self, entry: _Entry) -> None:
        for cid in entry.call_ids:
            if self._by_id.get(cid) is entry:
                del self._by_id[cid]
