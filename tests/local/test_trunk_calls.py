"""Inbound calls on the simulated trunks: caller ID, IVR digits, far-end disconnect, hang-ups."""

from __future__ import annotations

import pytest

import pycti
from pycti.drivers.sim_ops import CidMode, Hangup, Ring, Silence, Speech, dtmf_ops
from pycti.dsp.callerid import CallerId, encode_mdmf
from pycti.dsp.callerid_fsk import fsk_callerid_signal
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev

from .conftest import next_event, ticks


def caller(number: str, *then) -> list:
    cid = fsk_callerid_signal(encode_mdmf(CallerId(number=number, month=11, day=24, hour=9, minute=30)))
    return [Ring(on_ms=1000, off_ms=4000, max_ms=30_000, cid_samples=cid, cid_mode=CidMode.AFTER_FIRST_RING), *then]


async def test_incoming_call_carries_fsk_caller_id_and_digits(provider):
    p = provider
    mon = p.monitor("IVR")
    p.driver.board.script(0, caller("13800138000", Silence(ms=300), *dtmf_ops("42"), Speech(ms=3000)))
    d = await next_event(mon, ev.Delivered)
    assert d.calling_device == "13800138000"
    assert d.connection.device_id == "IVR"
    await p.answer_call(d.connection)
    await next_event(mon, ev.Established)
    got = ""
    while len(got) < 2:
        got += (await next_event(mon, ev.DigitsDetected)).digits
    assert got == "42"


@pytest.mark.parametrize("loop_drop", [False, True])
async def test_caller_hang_up_is_detected_from_busy_tone_or_loop_drop(loop_drop):
    cfg = SwitchConfig(trunks=1, stations=1, routes=("IVR",), caller_id="fsk", report_loop_drop=loop_drop)
    async with pycti.open(cfg) as p:
        mon = p.monitor("IVR")
        p.driver.board.script(0, caller("5551234", Speech(ms=1500), Hangup(busy_tone=True, loop_drop=True)))
        d = await next_event(mon, ev.Delivered)
        await p.answer_call(d.connection)
        await next_event(mon, ev.Established)
        t_answer = p.now()
        cleared = await next_event(mon, ev.CallCleared)
        # Loop drop is immediate; busy tone needs a few cadence cycles (0.35 s on / 0.35 s off).
        assert cleared.time - t_answer < (3.0 if loop_drop else 1.5 + 3 * 0.7 + 1.0)
        await ticks(p, 5)
        assert not p.driver.board.state(0).offhook


async def test_caller_hangs_up_during_consultation(provider):
    """The trunk caller is on hold while the agent consults; the caller hangs up: the held call
    clears and the agent's consultation call goes on untouched."""
    p = provider
    mon = p.monitor("IVR")
    p.driver.board.script(0, caller("66778899", Speech(ms=4000), Hangup(busy_tone=True, loop_drop=False)))
    d = await next_event(mon, ev.Delivered)
    mon1 = p.monitor("8001")
    await p.deflect_call(d.connection, "8001")
    d1 = await next_event(mon1, ev.Delivered)
    await p.answer_call(d1.connection)
    await next_event(mon1, ev.Established)
    mon2 = p.monitor("8002")
    consult = await p.consultation_call(d1.connection, "8002")
    d2 = await next_event(mon2, ev.Delivered)
    await p.answer_call(d2.connection)
    await next_event(mon2, ev.Established)
    cleared = await next_event(mon1, ev.CallCleared, lambda e: e.cleared_call == d1.connection.call_id)
    assert cleared.cleared_call != consult.call_id
    snap = await p.snapshot_call(consult.call_id)
    assert {r.connection.device_id if hasattr(r, "connection") else r[-2].device_id for r in snap} == {"8001", "8002"}
    with pytest.raises(pycti.errors.CstaError):
        await p.transfer_call(d1.connection, consult)


async def test_caller_giving_up_before_answer_clears_the_offered_call(provider):
    p = provider
    mon = p.monitor("IVR")
    cid = fsk_callerid_signal(encode_mdmf(CallerId(number="1234")))
    p.driver.board.script(1, [Ring(on_ms=1000, off_ms=4000, max_ms=7000, cid_samples=cid, cid_mode=CidMode.AFTER_FIRST_RING)])
    d = await next_event(mon, ev.Delivered)
    assert d.connection.device_id == "IVR"
    await next_event(mon, ev.CallCleared)
    assert not await p.snapshot_device("T01")


@pytest.mark.parametrize("fmt", ["D...C", "A...#"])
async def test_dtmf_caller_id_before_first_ring(fmt):
    from pycti.dsp.callerid_dtmf import dtmf_callerid_signal

    cfg = SwitchConfig(trunks=1, stations=1, routes=("IVR",), caller_id="dtmf")
    async with pycti.open(cfg) as p:
        mon = p.monitor("IVR")
        cid = dtmf_callerid_signal("02787654321", fmt=fmt)
        p.driver.board.script(0, [Ring(on_ms=1000, off_ms=4000, max_ms=30_000, cid_samples=cid,
                                       cid_mode=CidMode.BEFORE_FIRST_RING)])
        d = await next_event(mon, ev.Delivered)
        assert d.calling_device == "02787654321"
