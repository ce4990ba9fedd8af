"""The minimal IVR and ACD on the simulated board: real caller audio, real DTMF, real tones."""

from __future__ import annotations

import asyncio

import numpy as np

import pycti
from pycti.callcenter.acd import Acd, AgentProfile
from pycti.switch.agent_states import RequestedAgentState as Req
from pycti.callcenter.ivr import MenuConfig, MenuIvr
from pycti.demo.prompts import hold_music, synthetic_prompt
from pycti.drivers.sim_ops import CidMode, Hangup, Ring, Silence, Speech, WaitNudge, WaitPrompt, dtmf_ops
from pycti.dsp.callerid import CallerId, encode_mdmf
from pycti.dsp.callerid_fsk import fsk_callerid_signal
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev

from ..local.conftest import next_event, ticks


def _ring(number: str) -> Ring:
    cid = fsk_callerid_signal(encode_mdmf(CallerId(number=number)))
    return Ring(on_ms=1000, off_ms=4000, max_ms=30_000, cid_samples=cid, cid_mode=CidMode.AFTER_FIRST_RING)


AGENTS = (AgentProfile(agent_id="A1", skills={"QA": 5}), AgentProfile(agent_id="A2", skills={"QA": 5}))
CFG = SwitchConfig(trunks=2, stations=2, routes=("IVR",), queues=("QA", "QB"),
                   agents=tuple(a.switch_agent() for a in AGENTS))


async def _start(p, *coros):
    tasks = [asyncio.ensure_future(c) for c in coros]
    await asyncio.sleep(0)
    return tasks


async def test_ivr_routes_by_digit_and_default():
    async with pycti.open(CFG) as p:
        ivr = MenuIvr(p, MenuConfig(route="IVR", options={"1": "QA", "2": "QB"}, default="QB",
                                    digit_timeout_s=2.0, attempts=2), synthetic_prompt(syllables=4))
        tasks = await _start(p, ivr.run())
        qa, qb = p.monitor("QA"), p.monitor("QB")
        b = p.driver.board
        b.script(0, [_ring("111"), WaitPrompt(quiet_ms=400, max_ms=10_000), *dtmf_ops("1"), Speech(ms=20_000)])
        b.script(1, [_ring("222"), Speech(ms=30_000)])  # presses nothing
        q1 = await next_event(qa, ev.Queued)
        assert q1.calling_device == "111"
        q2 = await next_event(qb, ev.Queued)
        assert q2.calling_device == "222"
        assert q2.time - q1.time > 2 * 2.0  # two prompts and two timeouts before the default
        for t in tasks:
            t.cancel()


async def test_acd_plays_hold_music_then_gives_the_call_to_the_longest_idle_agent():
    async with pycti.open(CFG) as p:
        music = hold_music()
        acd = Acd(p, ("QA", "QB"), AGENTS, hold_audio=music)
        tasks = await _start(p, acd.run())
        await p.set_agent_state("8001", Req.LOGGED_ON, agent_id="A1")
        await p.set_agent_state("8002", Req.LOGGED_ON, agent_id="A2")  # both not ready yet
        mon = p.monitor("IVR")
        p.driver.board.script(0, [_ring("333"), WaitNudge(max_ms=60_000, timeout_goto=3), Speech(ms=5000),
                                  Hangup(busy_tone=True, loop_drop=False)])
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await p.single_step_transfer_call(d.connection, "QA")
        heard = []
        p.add_tick_listener(lambda now: heard.append(p.engine._outbound[0].copy()))
        await ticks(p, 100)
        x = np.concatenate(heard[-50:]).astype(float)
        assert np.sqrt(np.mean(x**2)) > 300  # the caller hears the music while nobody is free
        mon1 = p.monitor("8001")
        await p.set_agent_state("8001", Req.READY)
        await ticks(p, 1)
        await p.set_agent_state("8002", Req.READY)  # ready later: 8001 has been idle longer
        d1 = await next_event(mon1, ev.Delivered)
        assert d1.alerting_device == "8001"
        heard.clear()
        await ticks(p, 10)
        assert np.abs(np.concatenate(heard[-5:])).max() == 0  # music stopped at the deflect
        assert acd.agents["A2"].ready and (await p.get_agent_state("8002")).phase.value == "ready"
        for t in tasks:
            t.cancel()


async def test_caller_abandoning_in_queue_leaves_the_queue():
    async with pycti.open(CFG) as p:
        acd = Acd(p, ("QA",), AGENTS[:1])  # A1 never logs on
        tasks = await _start(p, acd.run())
        mon = p.monitor("IVR")
        qa = p.monitor("QA")
        p.driver.board.script(0, [_ring("444"), Silence(ms=3000), Hangup(busy_tone=True, loop_drop=False)])
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await p.single_step_transfer_call(d.connection, "QA")
        await next_event(qa, ev.Queued)
        assert len(acd.queues["QA"].waiting) == 1
        await next_event(qa, ev.ConnectionCleared)  # busy tone heard: the caller is gone
        await ticks(p, 2)
        assert len(acd.queues["QA"].waiting) == 0
        assert [(caller, queue) for _, caller, queue in acd.abandoned] == [("444", "QA")]
        for t in tasks:
            t.cancel()
