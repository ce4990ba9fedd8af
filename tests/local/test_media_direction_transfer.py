"""The held party of a transfer hears the call again: the switch tells its driver sendrecv (a
SIP leg held with a sendonly re-INVITE gets a sendrecv one), as a retrieve does."""

from __future__ import annotations

from typing import Any

import pycti
from pycti.drivers.base import MediaDirection
from pycti.switch import events as ev
from pycti.switch.ids import ConnectionID

from .conftest import next_event, ticks


async def test_transfer_resumes_the_held_party() -> None:
    async with pycti.open(pycti.SwitchConfig(trunks=0, stations=3, routes=())) as p:
        told: list[tuple[int, MediaDirection]] = []
        driver: Any = p.driver
        real = driver.set_media_direction
        driver.set_media_direction = lambda port, d: (told.append((port, d)), real(port, d))[1]
        m2, m3 = p.monitor("8002"), p.monitor("8003")
        first = await p.make_call("8001", "8002")
        d = await next_event(m2, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(m2, ev.Established)
        held = ConnectionID(first.call_id, "8002")
        consult = await p.consultation_call(held, "8003")
        d3 = await next_event(m3, ev.Delivered)
        await p.answer_call(d3.connection)
        await next_event(m3, ev.Established)
        port_8001 = p.engine.port_of["8001"]
        assert (port_8001, MediaDirection.SENDONLY) in told
        before = len(told)
        await p.transfer_call(held, consult)
        await ticks(p, 2)
        assert (port_8001, MediaDirection.SENDRECV) in told[before:]
