"""Every service end to end on the simulated board: real C board, real audio, real detectors."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.drivers.sim_ops import Tone
from pycti.errors import CstaError, ErrorValue
from pycti.switch import events as ev
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState

from .conftest import next_event, spectrum_peak_hz, ticks


def states(snapshot) -> dict:
    """{device or connection: state} from a snapshot, whatever its row shape."""
    out = {}
    for row in snapshot:
        conn = getattr(row, "connection", None)
        state = getattr(row, "state", None)
        if conn is None:
            conn, state = row[-2], row[-1]
        out[conn.device_id] = state
    return out


async def _two_party(p, a="8001", b="8002"):
    mon = p.monitor(b)
    conn_a = await p.make_call(a, b)
    d = await next_event(mon, ev.Delivered)
    assert d.connection == ConnectionID(conn_a.call_id, b)
    await p.answer_call(d.connection)
    await next_event(mon, ev.Established)
    await mon.aclose()
    return conn_a, d.connection


async def test_two_party_call_rings_and_bridges_audio(provider):
    p = provider
    port_b = p.engine.port_of["8002"]
    mon = p.monitor("8002")
    conn_a = await p.make_call("8001", "8002")
    d = await next_event(mon, ev.Delivered)
    assert d.calling_device == "8001" and d.alerting_device == "8002"
    await ticks(p)
    assert p.driver.board.state(port_b).ringing
    await p.answer_call(d.connection)
    e = await next_event(mon, ev.Established)
    assert e.established_connection == d.connection
    await ticks(p)
    assert not p.driver.board.state(port_b).ringing
    # 8001 speaks a 1 kHz tone into its handset; 8002's earpiece must carry it.
    port_a = p.engine.port_of["8001"]
    p.driver.board.script(port_a, [Tone(f1_hz=1000.0, f2_hz=0.0, level_dbm0=-10.0, on_ms=500, off_ms=0, total_ms=500)])
    heard = []
    p.add_tick_listener(lambda now: heard.append(p.engine._outbound[port_b].copy()))
    await ticks(p, 15)
    audio = np.concatenate(heard[-10:])
    assert abs(spectrum_peak_hz(audio) - 1000.0) < 30.0
    await p.clear_call(conn_a.call_id)
    await next_event(mon, ev.CallCleared)
    assert await p.snapshot_device("8001") == [] or not states(await p.snapshot_device("8001"))


async def test_hold_retrieve_alternate_reconnect(provider):
    p = provider
    c1_a, c1_b = await _two_party(p, "8001", "8002")
    mon = p.monitor("8001")
    await p.hold_call(c1_a)
    await next_event(mon, ev.Held)
    assert states(await p.snapshot_device("8001"))["8001"] == ConnectionState.HOLD
    await p.retrieve_call(c1_a)
    await next_event(mon, ev.Retrieved)
    mon3 = p.monitor("8003")
    c2_a = await p.consultation_call(c1_a, "8003")
    d = await next_event(mon3, ev.Delivered)
    await p.answer_call(d.connection)
    await next_event(mon3, ev.Established)
    await p.alternate_call(c1_a, c2_a)  # back to 8002, 8003 held
    snap1 = states(await p.snapshot_call(c1_a.call_id))
    snap2 = states(await p.snapshot_call(c2_a.call_id))
    assert snap1["8001"] == ConnectionState.CONNECTED and snap2["8001"] == ConnectionState.HOLD
    await p.reconnect_call(c1_a, c2_a)  # drop 8002's call, back to 8003
    await next_event(mon, ev.Retrieved)
    assert states(await p.snapshot_call(c2_a.call_id))["8001"] == ConnectionState.CONNECTED


async def test_consultation_then_transfer(provider):
    p = provider
    c1_a, c1_b = await _two_party(p, "8001", "8002")
    mon2 = p.monitor("8002")
    mon3 = p.monitor("8003")
    c2_a = await p.consultation_call(c1_a, "8003")
    d = await next_event(mon3, ev.Delivered)
    await p.answer_call(d.connection)
    await next_event(mon3, ev.Established)
    await p.transfer_call(c1_a, c2_a)
    t = await next_event(mon2, ev.Transferred)
    assert t.transferring_device == "8001"
    assert not await p.snapshot_device("8001")
    # 8002 and 8003 now share one call, both connected, and hear each other.
    ends = {e.endpoint for e in t.transferred_connections}
    assert {"8002", "8003"} <= ends
    call = [e.new_connection for e in t.transferred_connections if e.endpoint == "8002"][0].call_id
    snap = states(await p.snapshot_call(call))
    assert snap == {"8002": ConnectionState.CONNECTED, "8003": ConnectionState.CONNECTED}
    await ticks(p)
    assert p.engine.parties[call] and set(p.engine.parties[call]) == {"8002", "8003"}


async def test_three_party_conference_mixes_audio(provider):
    p = provider
    c1_a, _ = await _two_party(p, "8001", "8002")
    mon3 = p.monitor("8003")
    c2_a = await p.consultation_call(c1_a, "8003")
    d = await next_event(mon3, ev.Delivered)
    await p.answer_call(d.connection)
    await next_event(mon3, ev.Established)
    await p.conference_call(c1_a, c2_a)
    c = await next_event(mon3, ev.Conferenced)
    call = c.conference_connections[0].new_connection.call_id
    snap = states(await p.snapshot_call(call))
    assert snap == {d: ConnectionState.CONNECTED for d in ("8001", "8002", "8003")}
    # 8001 at 700 Hz and 8002 at 1300 Hz: 8003 hears both.
    b = p.driver.board
    b.script(p.engine.port_of["8001"], [Tone(f1_hz=700.0, f2_hz=0.0, level_dbm0=-15.0, on_ms=600, off_ms=0, total_ms=600)])
    b.script(p.engine.port_of["8002"], [Tone(f1_hz=1300.0, f2_hz=0.0, level_dbm0=-15.0, on_ms=600, off_ms=0, total_ms=600)])
    port3 = p.engine.port_of["8003"]
    heard = []
    p.add_tick_listener(lambda now: heard.append(p.engine._outbound[port3].copy()))
    await ticks(p, 20)
    x = np.concatenate(heard[-12:]).astype(float)
    spec = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(len(x), 1 / 8000)
    def band(hz):
        return spec[(f > hz - 30) & (f < hz + 30)].max()
    assert band(700) > 10 * np.median(spec) and band(1300) > 10 * np.median(spec)


async def test_deflect_and_single_step_transfer(provider):
    p = provider
    mon2 = p.monitor("8002")
    mon4 = p.monitor("8004")
    conn_a = await p.make_call("8001", "8002")
    assert conn_a.device_id == "8001"
    d = await next_event(mon2, ev.Delivered)
    await p.deflect_call(d.connection, "8004")
    dv = await next_event(mon2, ev.Diverted)
    assert dv.new_destination == "8004"
    d4 = await next_event(mon4, ev.Delivered)
    await p.answer_call(d4.connection)
    await next_event(mon4, ev.Established)
    mon5 = p.monitor("8005")
    new = await p.single_step_transfer_call(d4.connection, "8005")
    d5 = await next_event(mon5, ev.Delivered)
    assert d5.connection.device_id == "8005"
    assert "8004" not in {r for r in states(await p.snapshot_call(d5.connection.call_id))}
    assert isinstance(new, ConnectionID)


async def test_directed_and_group_pickup(provider):
    p = provider
    mon2 = p.monitor("8002")
    await p.make_call("8004", "8002")
    await next_event(mon2, ev.Delivered)
    conn = await p.directed_pickup_call("8002", "8003")
    assert conn.device_id == "8003"
    snap = states(await p.snapshot_call(conn.call_id))
    assert snap.get("8003") == ConnectionState.CONNECTED and "8002" not in snap
    await p.clear_call(conn.call_id)
    await p.make_call("8005", "8001")
    await ticks(p)
    conn = await p.group_pickup_call("8002")  # 8001 and 8002 share pickup group g1
    snap = states(await p.snapshot_call(conn.call_id))
    assert snap.get("8002") == ConnectionState.CONNECTED and "8001" not in snap


async def test_generate_digits_are_heard_as_dtmf(provider):
    from pycti.dsp.dtmf import DtmfDetector

    p = provider
    conn_a, conn_b = await _two_party(p, "8001", "8002")
    port_b = p.engine.port_of["8002"]
    heard = []
    p.add_tick_listener(lambda now: heard.append(p.engine._outbound[port_b].copy()))
    await p.generate_digits(conn_a, "159#")
    await ticks(p, 60)
    det = DtmfDetector(1)
    audio = np.concatenate(heard)[np.newaxis, :]
    digits = "".join(e.digit for e in det.process(audio) + det.flush())
    assert digits == "159#"


async def test_wrong_state_and_unknown_device_change_nothing(provider):
    p = provider
    conn_a, conn_b = await _two_party(p, "8001", "8002")
    before = states(await p.snapshot_call(conn_a.call_id))
    with pytest.raises(CstaError) as ei:
        await p.answer_call(conn_b)  # already connected
    assert ei.value.error_value == ErrorValue.INVALID_CONNECTION_STATE
    with pytest.raises(CstaError) as ei:
        await p.retrieve_call(conn_a)  # not held
    assert "State" in ei.value.error_value.asn1_name
    with pytest.raises(CstaError) as ei:
        await p.make_call("9999", "8002")
    assert ei.value.error_value == ErrorValue.INVALID_CALLING_DEVICE_ID
    with pytest.raises(CstaError):
        await p.answer_call(ConnectionID("C999", "8002"))
    assert states(await p.snapshot_call(conn_a.call_id)) == before


async def test_call_to_busy_station_fails_and_others_untouched(provider):
    p = provider
    conn_a, conn_b = await _two_party(p, "8001", "8002")
    mon3 = p.monitor("8003")
    await p.make_call("8003", "8002")
    f = await next_event(mon3, ev.Failed)
    assert f.cause.value == "busy"
    assert states(await p.snapshot_call(conn_a.call_id)) == {"8001": ConnectionState.CONNECTED,
                                                            "8002": ConnectionState.CONNECTED}


async def test_failed_port_clears_its_call_only(provider):
    p = provider
    c1, _ = await _two_party(p, "8001", "8002")
    c2, _ = await _two_party(p, "8003", "8004")
    mon = p.monitor("8001")
    p.driver.board.set_failed(p.engine.port_of["8002"], True)
    await next_event(mon, ev.ConnectionCleared)
    await ticks(p)
    assert states(await p.snapshot_call(c2.call_id)) == {"8003": ConnectionState.CONNECTED,
                                                        "8004": ConnectionState.CONNECTED}
    with pytest.raises(CstaError):
        await p.make_call("8002", "8005")  # the failed station cannot place calls


async def test_realtime_clock_runs_the_same_call():
    import pycti
    from pycti.local.config import SwitchConfig

    async with pycti.open(SwitchConfig(trunks=0, stations=2, routes=(), realtime=True)) as p:
        conn_a, conn_b = await _two_party(p, "8001", "8002")
        mon = p.monitor("8001")
        await p.clear_connection(conn_b)
        cleared = await next_event(mon, ev.CallCleared)
        assert cleared.cleared_call == conn_a.call_id
        await p.sleep(0.1)  # switch time passes with the wall clock
        assert p.now() >= 0.1


async def test_monitor_stop_ends_the_stream_and_unknown_device_is_refused(provider):
    p = provider
    mon = p.monitor("8001")
    await mon.aclose()
    assert [e async for e in mon] == []
    with pytest.raises(CstaError):
        p.monitor("no-such-device")
