"""A call the switch refuses is answered at once, never left ringing: an INVITE on a trunk
port whose device the switch holds out of service gets 486 Busy Here from the SIP driver
(real UDP on 127.0.0.1), the refusal is in the engine's errors, and a call on another port
goes on as usual."""

from __future__ import annotations

import asyncio

import pycti
from pycti import SwitchConfig
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipTrunkConfig

from .test_refusals import Peer, invite


async def test_an_incoming_call_the_switch_refuses_gets_a_final_response() -> None:
    trunk = SipTrunkConfig(name="carrier", host="127.0.0.1", ip_auth=("127.0.0.1",), channels=1)
    sip = SipDriver(SipDriverConfig(listen_port=0, trunks=(trunk,), seed=1))
    cfg = SwitchConfig(trunks=0, stations=0, routes=("IVR",), realtime=True)
    async with pycti.open(cfg, drivers=[sip]) as p:
        p.engine.core.set_out_of_service("carrier-1", p.engine.now)  # maintenance: refuses calls
        peer = Peer()
        peer.sock.sendto(invite(sip.sip_port, peer.port, "8888", "refused"), ("127.0.0.1", sip.sip_port))
        for _ in range(250):
            peer.read()
            if peer.finals:
                break
            await asyncio.sleep(0.02)
        assert peer.finals == {"refused@peer": 486}
        assert any("core refused a driver input" in e and "carrier-1" in e for e in p.engine.errors)
        assert 0 not in sip._table.calls  # the port is free again
        p.engine.core.set_in_service("carrier-1", p.engine.now)
        ivr = p.monitor("IVR")
        peer.sock.sendto(invite(sip.sip_port, peer.port, "8888", "taken"), ("127.0.0.1", sip.sip_port))
        delivered = await asyncio.wait_for(ivr.get(), 5.0)
        assert delivered.connection.device_id == "IVR"
        await p.clear_call(delivered.connection.call_id)
        for _ in range(250):
            peer.read()
            if "taken@peer" in peer.finals:
                break
            await asyncio.sleep(0.02)
        assert peer.finals["taken@peer"] == 480  # offered, then released by the switch unanswered
