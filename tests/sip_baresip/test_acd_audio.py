"""baresip as an ACD agent's phone (a real SIP softphone, not pycti's own stack): it registers
to pycti's registrar with an MD5 digest (RFC 3261 §22.4), agent A1 logs on at its extension
6001 and is made ready, a caller on a sim-board station dials the queue, the ACD offers the
call to 6001, pycti sends baresip an INVITE and baresip answers by itself (auto-answer).  Then
the audio is checked both ways over RTP/PCMU (G.711 mu-law): baresip's 1 kHz tone (its
aufile source) is found in pycti's recording of 6001's channel, and the 440 Hz tone pycti
plays to the agent (provider.play on the caller's connection) is found in what baresip
decoded (its sndfile dump)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

import pycti
from pycti.callcenter.acd import Acd, AgentProfile
from pycti.drivers.sim import SimDriver
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipPhoneConfig
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev
from pycti.switch.agent_states import RequestedAgentState as Req

from .baresip import Baresip, tone
from .common import loudest, measure, relative_db, needs_baresip, recorded_channel, registered, until

pytestmark = needs_baresip

AGENT = AgentProfile(agent_id="A1", skills={"QA": 5})


async def test_baresip_agent_answers_an_acd_call_with_audio_both_ways(tmp_path: Path) -> None:
    # baresip 1.0's digest client reads the first challenge only and knows only MD5
    sip = SipDriver(SipDriverConfig(listen_port=0, phones=(SipPhoneConfig(extension="6001", password="6001pw"),),
                                    digest_algorithms=("MD5",), seed=41))
    cfg = SwitchConfig(trunks=0, stations=1, routes=(), queues=("QA",), agents=(AGENT.switch_agent(),),
                       realtime=True)
    async with pycti.open(cfg, drivers=[SimDriver(0, 1), sip]) as p:
        assert set(p.engine.port_of) == {"8001", "6001"}
        acd = Acd(p, ("QA",), (AGENT,))
        task = asyncio.ensure_future(acd.run())
        try:
            async with Baresip(tmp_path, "6001", "6001pw", sip.sip_port, say=tone(1000, 20)) as phone:
                await registered(sip, "6001")
                agent = p.monitor("6001")
                await p.set_agent_state("6001", Req.LOGGED_ON, agent_id="A1")
                await p.set_agent_state("6001", Req.READY)
                caller = await p.make_call("8001", "QA")
                delivered = await until(agent, ev.Delivered)
                assert delivered.last_redirection_device == "QA"
                established = await until(agent, ev.Established)
                assert established.answering_device == "6001"
                await phone.event("CALL_ESTABLISHED")
                assert (await p.get_agent_state("6001")).agent_id == "A1"
                call_id = established.established_connection.call_id
                rec = await p.record(call_id, tmp_path / "call.wav", devices=["6001"])
                await p.play(caller, tone(440, 2.0), wait=True)
                await p.stop_recording(rec)
                await p.clear_call(call_id)
                await phone.event("CALL_CLOSED")
                heard_by_pycti = recorded_channel(tmp_path / "call.wav", 0)
                heard_by_baresip = phone.heard()
        finally:
            task.cancel()
    f_in, level_in = measure(loudest(heard_by_pycti))
    f_out, level_out = measure(loudest(heard_by_baresip))
    # each side's own tone is not in what it got back (no echo, no loop): far below the other's
    echo_in = relative_db(loudest(heard_by_pycti), 440, 1000)
    echo_out = relative_db(loudest(heard_by_baresip), 1000, 440)
    print(f"baresip->pycti {f_in:.1f} Hz {level_in:.1f} dBFS; pycti->baresip {f_out:.1f} Hz {level_out:.1f} dBFS; "
          f"own tone back {echo_in:.1f} / {echo_out:.1f} dB")
    assert abs(f_in - 1000) < 20, f_in
    assert abs(f_out - 440) < 20, f_out
    # 8000-peak sines are -12.3 dBFS; G.711 keeps the level within a fraction of a dB
    assert -14 < level_in < -11 and -14 < level_out < -11, (level_in, level_out)
    assert echo_in < -40 and echo_out < -40, (echo_in, echo_out)
