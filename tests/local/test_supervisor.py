"""A supervisor monitors, coaches and barges in on a call on the sim board: the media plane's
group for the call gets the supervisor as listener, heard by nobody or by the agent only."""

from __future__ import annotations

import pycti
from pycti.switch import events as ev

from .conftest import next_event, ticks


async def test_monitor_whisper_barge_in() -> None:
    async with pycti.open(pycti.SwitchConfig(trunks=0, stations=3, routes=())) as p:
        mon = p.monitor("8002")
        agent = await p.make_call("8001", "8002")
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(mon, ev.Established)
        sup_mon = p.monitor("8003")
        joined = await p.single_step_conference_call(agent, "8003", participation="silent")
        conf = await next_event(sup_mon, ev.Conferenced)
        assert conf.participation == "silent"
        await ticks(p, 2)
        ch = {d: p.engine.channel_of(d) for d in ("8001", "8002", "8003")}
        media = p.engine.media
        assert media.listeners_of(agent.call_id) == {ch["8003"]: None}
        await p.set_participation(joined, "whisper")
        await ticks(p, 2)
        assert media.listeners_of(agent.call_id) == {ch["8003"]: ch["8001"]}
        await p.set_participation(joined, "active")
        await ticks(p, 2)
        assert media.listeners_of(agent.call_id) == {}
        assert {media.group_of(c) for c in ch.values()} == {agent.call_id}
        await p.clear_connection(joined)
        await ticks(p, 2)
        assert media.group_of(ch["8003"]) is None and media.group_of(ch["8001"]) == agent.call_id
