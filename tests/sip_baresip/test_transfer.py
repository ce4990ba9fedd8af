"""An attended transfer to a baresip phone: a caller on sim-board station 8001 calls the agent
at station 8002, who answers, consults softphone 6001 (ConsultationCall: the caller is held,
pycti INVITEs baresip, which answers by itself) and transfers (TransferCall): 8002 leaves,
8001 and 6001 are one call, and the audio is checked both ways over RTP/PCMU -- baresip's
1300 Hz tone in pycti's recording of 6001, and the 440 Hz tone played from 8001 in what
baresip decoded after the transfer.  6001 hangs up; pycti reports it as the releasing device."""

from __future__ import annotations

from pathlib import Path

import pycti
from pycti.drivers.sim import SimDriver
from pycti.drivers.sip import SipDriver, SipDriverConfig, SipPhoneConfig
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev

from .baresip import Baresip, tone
from .common import loudest, measure, relative_db, needs_baresip, recorded_channel, registered, until

pytestmark = needs_baresip


async def test_attended_transfer_to_a_baresip_phone(tmp_path: Path) -> None:
    sip = SipDriver(SipDriverConfig(listen_port=0, phones=(SipPhoneConfig(extension="6001", password="6001pw"),),
                                    digest_algorithms=("MD5",), seed=43))
    cfg = SwitchConfig(trunks=0, stations=2, routes=(), realtime=True)
    async with pycti.open(cfg, drivers=[SimDriver(0, 2), sip]) as p:
        assert set(p.engine.port_of) == {"8001", "8002", "6001"}
        async with Baresip(tmp_path, "6001", "6001pw", sip.sip_port, say=tone(1300, 20)) as target:
            await registered(sip, "6001")
            caller_mon, agent_mon, target_mon = p.monitor("8001"), p.monitor("8002"), p.monitor("6001")
            await p.make_call("8001", "8002")
            delivered = await until(agent_mon, ev.Delivered)
            await p.answer_call(delivered.connection)
            await until(caller_mon, ev.Established)
            consult = await p.consultation_call(delivered.connection, "6001")
            held = await until(caller_mon, ev.Held)
            assert held.holding_device == "8002"
            established = await until(target_mon, ev.Established)
            assert (established.answering_device, established.calling_device) == ("6001", "8002")
            await target.event("CALL_ESTABLISHED")
            await p.transfer_call(delivered.connection, consult)
            transferred = await until(caller_mon, ev.Transferred)
            assert (transferred.transferring_device, transferred.transferred_to_device) == ("8002", "6001")
            assert not await p.snapshot_device("8002")  # the agent is out of both calls
            (caller_conn,) = {c.new_connection for c in transferred.transferred_connections
                              if c.new_connection is not None and c.new_connection.device_id == "8001"}
            parties = {e.device for e in await p.snapshot_call(caller_conn.call_id)}
            assert parties == {"8001", "6001"}
            rec = await p.record(caller_conn.call_id, tmp_path / "after.wav", devices=["6001"])
            await p.play(caller_conn, tone(440, 2.0), wait=True)
            await p.stop_recording(rec)
            reply = await target.command("hangup")
            assert reply.get("ok"), reply
            cleared = await until(caller_mon, ev.ConnectionCleared, pred=lambda e: e.releasing_device == "6001")
            assert cleared.dropped_connection.call_id == caller_conn.call_id
            await target.event("CALL_CLOSED")  # (sndfile completes its WAV when the call closes)
            heard_by_target = target.heard()
    f_in, level_in = measure(loudest(recorded_channel(tmp_path / "after.wav", 0)))
    f_out, level_out = measure(loudest(heard_by_target))
    # each side's own tone is not in what it got back (no echo, no loop): far below the other's
    echo_in = relative_db(loudest(recorded_channel(tmp_path / "after.wav", 0)), 440, 1300)
    echo_out = relative_db(loudest(heard_by_target), 1300, 440)
    print(f"baresip->pycti {f_in:.1f} Hz {level_in:.1f} dBFS; pycti->baresip {f_out:.1f} Hz {level_out:.1f} dBFS; "
          f"own tone back {echo_in:.1f} / {echo_out:.1f} dB")
    assert abs(f_in - 1300) < 20, f_in
    assert abs(f_out - 440) < 20, f_out
    assert -14 < level_in < -11 and -14 < level_out < -11, (level_in, level_out)
    assert echo_in < -40 and echo_out < -40, (echo_in, echo_out)
