"""Event streams: bounded, one consumer, overflow is an error, never a silent loss."""

from __future__ import annotations

import asyncio

import pytest

from pycti.monitor import EventStream, MonitorOverflow


async def test_delivers_in_order_then_ends_when_closed():
    s: EventStream[int] = EventStream(maxsize=10)
    for i in range(3):
        s.put(i)
    s.close()
    s.put(99)  # after close: not accepted
    assert [x async for x in s] == [0, 1, 2]


async def test_consumer_waits_for_events():
    s: EventStream[str] = EventStream()
    got = asyncio.ensure_future(s.get())
    await asyncio.sleep(0)
    assert not got.done()
    s.put("x")
    assert await got == "x"


async def test_overflow_delivers_what_was_queued_then_raises():
    s: EventStream[int] = EventStream(maxsize=2, name="8001")
    for i in range(5):
        s.put(i)
    assert await s.get() == 0 and await s.get() == 1
    with pytest.raises(MonitorOverflow, match="8001"):
        await s.get()


async def test_close_callback_runs_once_on_leaving_the_context():
    closed = []
    async with EventStream(on_close=closed.append) as s:
        pass
    s.close()
    assert closed == [s]


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError):
        EventStream(maxsize=0)
