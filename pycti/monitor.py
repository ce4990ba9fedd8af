"""Event streams: bounded async iterators of CSTA events, one consumer each.

A :class:`EventStream` is what ``provider.monitor(device)`` returns.  It holds at most
``maxsize`` undelivered events.  Overflow policy: events are never dropped silently — when a
consumer falls ``maxsize`` events behind, the stream stops accepting events and, once the
consumer has read what was queued, raises :class:`MonitorOverflow`.  A stream ends (``async for``
finishes) when it is closed or when its provider closes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .errors import PyctiError

__all__ = ["EventStream", "MonitorOverflow"]

T = TypeVar("T")


class MonitorOverflow(PyctiError, OverflowError):
    """The consumer of an event stream fell too far behind; events after the limit were lost."""


class EventStream(Generic[T]):
    """A bounded, single-consumer async iterator of events.

    Use as ``async for ev in stream`` or ``async with stream: ...``; leaving the ``async with``
    block or calling :meth:`aclose` stops the monitor behind it.
    """

    def __init__(
        self,
        *,
        maxsize: int = 10_000,
        on_close: Callable[[EventStream[T]], None] | None = None,
        name: str = "",
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        self.name = name
        self._items: deque[T] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._overflowed = False
        self._on_close = on_close

    @property
    def closed(self) -> bool:
        """True once the stream accepts no more events."""
        return self._closed

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> None:
        """Queue one event (called by the provider; never blocks)."""
        if self._closed or self._overflowed:
            return
        if len(self._items) >= self._maxsize:
            self._overflowed = True
        else:
            self._items.append(item)
        self._wake()

    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def get_nowait(self) -> T | None:
        """The next queued event, or None when none is queued."""
        return self._items.popleft() if self._items else None

    async def get(self) -> T:
        """Wait for the next event; raises StopAsyncIteration at the end of the stream."""
        while not self._items:
            if self._overflowed:
                raise MonitorOverflow(
                    f"monitor {self.name!r}: consumer fell {self._maxsize} events behind"
                )
            if self._closed:
                raise StopAsyncIteration
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()

    def __aiter__(self) -> EventStream[T]:
        return self

    async def __anext__(self) -> T:
        return await self.get()

    def close(self) -> None:
        """End the stream: queued events are still delivered, then iteration stops."""
        if self._closed:
            return
        self._closed = True
        self._wake()
        if self._on_close is not None:
            cb, self._on_close = self._on_close, None
            cb(self)

    async def aclose(self) -> None:
        """Async form of :meth:`close`."""
        self.close()

    async def __aenter__(self) -> EventStream[T]:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()
