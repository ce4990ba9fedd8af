"""baresip calls pycti: the registered softphone 6001 dials 8001 (a sim-board station) by
its own ``dial`` command; pycti challenges the INVITE (401, MD5 digest, RFC 3261 §22.2),
baresip answers the challenge, pycti's dial plan rings 8001, the test answers there and the
audio is checked both ways (baresip's 1500 Hz tone in pycti's recording of 6001, pycti's
600 Hz tone played from 8001 in baresip's decoded audio); baresip hangs up and pycti
reports 6001 as the releasing device."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pycti
from pycti.drivers.sim import SimDriver
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipPhoneConfig
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev

from .baresip import Baresip, tone
from .common import loudest, measure, relative_db, needs_baresip, recorded_channel, registered, until

pytestmark = needs_baresip


async def test_baresip_dials_a_station_and_hangs_up(tmp_path: Path) -> None:
    sip = SipDriver(SipDriverConfig(listen_port=0, phones=(SipPhoneConfig(extension="6001", password="6001pw"),),
                                    digest_algorithms=("MD5",), seed=42))
    cfg = SwitchConfig(trunks=0, stations=1, routes=(), realtime=True)
    async with pycti.open(cfg, drivers=[SimDriver(0, 1), sip]) as p:
        async with Baresip(tmp_path, "6001", "6001pw", sip.sip_port, say=tone(1500, 20)) as phone:
            await registered(sip, "6001")
            station, softphone = p.monitor("8001"), p.monitor("6001")
            reply = await phone.command("dial", f"sip:8001@127.0.0.1:{sip.sip_port}")
            assert reply.get("ok"), reply
            delivered = await until(station, ev.Delivered)
            assert (delivered.calling_device, delivered.called_device) == ("6001", "8001")
            await p.answer_call(delivered.connection)
            established = await until(softphone, ev.Established)
            assert established.answering_device == "8001"
            await phone.event("CALL_ESTABLISHED")
            call_id = established.established_connection.call_id
            rec = await p.record(call_id, tmp_path / "call.wav", devices=["6001"])
            await p.play(delivered.connection, tone(600, 2.0), wait=True)
            await p.stop_recording(rec)
            reply = await phone.command("hangup")
            assert reply.get("ok"), reply
            cleared = await until(station, ev.ConnectionCleared)
            assert cleared.releasing_device == "6001"
            heard_by_pycti = recorded_channel(tmp_path / "call.wav", 0)
            heard_by_baresip = phone.heard()
        assert sip.registrar is not None and sip.registrar.refused.get(401, 0) >= 2  # REGISTER and INVITE
    f_in, level_in = measure(loudest(heard_by_pycti))
    f_out, level_out = measure(loudest(heard_by_baresip))
    # each side's own tone is not in what it got back (no echo, no loop): far below the other's
    echo_in = relative_db(loudest(heard_by_pycti), 600, 1500)
    echo_out = relative_db(loudest(heard_by_baresip), 1500, 600)
    print(f"baresip->pycti {f_in:.1f} Hz {level_in:.1f} dBFS; pycti->baresip {f_out:.1f} Hz {level_out:.1f} dBFS; "
          f"own tone back {echo_in:.1f} / {echo_out:.1f} dB")
    assert abs(f_in - 1500) < 20, f_in
    assert abs(f_out - 600) < 20, f_out
    assert -14 < level_in < -11 and -14 < level_out < -11, (level_in, level_out)
    assert echo_in < -40 and echo_out < -40, (echo_in, echo_out)
