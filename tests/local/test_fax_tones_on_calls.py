"""A caller that turns out to be a fax machine: its CNG, heard on the trunk, is a ToneDetected
event on the call (when the switch listens for fax tones), and a speaking caller is not."""

from __future__ import annotations

import pycti
from pycti.monitor import EventStream
from pycti.drivers.sim_ops import ProgressTone, Speech
from pycti.switch import events as ev

from ..callcenter.test_ivr_acd import _ring
from .conftest import next_event, ticks

CNG = ProgressTone(f1_hz=1100.0, level_dbm0=-13.0, on_ms=500, off_ms=3000, cycles=3)


async def _answered_call(p: pycti.LocalProvider, script: list[object]) -> ev.Delivered:
    ivr = p.monitor("IVR")
    p.driver.board.script(0, [_ring("5550100"), *script])  # type: ignore[list-item]
    d = await next_event(ivr, ev.Delivered)
    await p.answer_call(d.connection)
    return d  # type: ignore[no-any-return]


async def test_cng_from_a_calling_fax_is_a_tone_detected_event() -> None:
    config = pycti.SwitchConfig(trunks=1, stations=0, routes=("IVR",), detect_fax_tones=True)
    async with pycti.open(config) as p:
        mon = p.monitor("IVR")
        d = await _answered_call(p, [CNG])
        tone = await next_event(mon, ev.ToneDetected)
        assert tone.tone == "CNG" and tone.device == "T00"
        assert tone.connection.call_id == d.connection.call_id


async def test_speech_is_no_fax_and_the_detector_is_off_unless_asked() -> None:
    config = pycti.SwitchConfig(trunks=1, stations=0, routes=("IVR",), detect_fax_tones=True)
    async with pycti.open(config) as p:
        mon = p.monitor("IVR")
        await _answered_call(p, [Speech(ms=8000)])
        await ticks(p, 400)
        assert not [e for e in _drain(mon) if isinstance(e, ev.ToneDetected)]
    async with pycti.open(pycti.SwitchConfig(trunks=1, stations=0, routes=("IVR",))) as p:
        mon = p.monitor("IVR")
        await _answered_call(p, [CNG])
        await ticks(p, 400)
        assert not [e for e in _drain(mon) if isinstance(e, ev.ToneDetected)]


def _drain(stream: EventStream[ev.CstaEvent]) -> list[ev.CstaEvent]:
    out = []
    while (item := stream.get_nowait()) is not None:
        out.append(item)
    return out
