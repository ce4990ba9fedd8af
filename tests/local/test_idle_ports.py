"""Detectors run only where they can matter, and the signalling-only switch (media=False).

The FSK caller-ID receiver listens to a trunk between its first ring and the offer only, with a
fresh receiver each time; with ``dtmf_only_in_calls`` the DTMF detector runs only on ports in a call or dialling; with
``SwitchConfig(media=False)`` calls, queues and timers run with no media plane tick at all.
"""

from __future__ import annotations

import numpy as np

import pycti
from pycti.drivers.base import IncomingCall
from pycti.drivers.sim import SimDriver
from pycti.drivers.sim_ops import CidMode, Ring, Silence, Speech, dtmf_ops
from pycti.dsp.callerid import CallerId, encode_mdmf
from pycti.dsp.callerid_fsk import fsk_callerid_signal
from pycti.local.config import SwitchConfig
from pycti.switch import events as ev

from .conftest import next_event, ticks


def _ring(number: str, *then: object) -> list[object]:
    cid = fsk_callerid_signal(encode_mdmf(CallerId(number=number, month=12, day=4, hour=4, minute=0)))
    return [Ring(on_ms=1000, off_ms=4000, max_ms=30_000, cid_samples=cid, cid_mode=CidMode.AFTER_FIRST_RING), *then]


def _run_until_offer(drv: SimDriver, max_ticks: int = 400) -> tuple[IncomingCall, list[int]]:
    """Tick the adapter (silence towards the lines) until a call is offered; the caller-ID
    receiver's line count after every tick."""
    silence = np.zeros((drv.capacity(), 160), dtype=np.int16)
    listening: list[int] = []
    for _ in range(max_ticks):
        for e in drv.poll():
            if isinstance(e, IncomingCall):
                return e, listening
        drv.exchange(silence)
        listening.append(drv.caller_id_lines())
    raise AssertionError("no call was offered")


def test_fsk_receiver_listens_only_while_ringing_and_starts_fresh_each_call() -> None:
    drv = SimDriver(trunks=3, stations=0)
    try:
        assert drv.caller_id_lines() == 0  # idle lines: nothing to listen for
        for number in ("4155550100", "4155550111"):  # the same line twice: the receiver is new each time
            drv.board.script(1, _ring(number, Speech(ms=200)))
            call, listening = _run_until_offer(drv)
            assert call.port == 1 and call.caller.number == number
            assert max(listening) == 1  # only the ringing line was listened to
            assert drv.caller_id_lines() == 0  # offered: caller ID is over
            drv.answer(1)
            drv.release(1)
            assert drv.caller_id_lines() == 0
    finally:
        drv.close()


async def test_dtmf_detector_runs_only_on_ports_in_a_call() -> None:
    cfg = SwitchConfig(trunks=2, stations=2, routes=("IVR",), caller_id="fsk", dtmf_only_in_calls=True)
    async with pycti.open(cfg) as p:
        eng = p.engine
        await ticks(p, 3)
        assert eng.media.detector_channels("dtmf") == frozenset()  # all idle
        mon = p.monitor("IVR")
        p.driver.board.script(0, _ring("13800138000", Silence(ms=600), *dtmf_ops("93"), Speech(ms=2000)))
        d = await next_event(mon, ev.Delivered)
        await ticks(p, 2)
        assert eng.port_of["T01"] not in eng.media.detector_channels("dtmf")  # the idle trunk
        await p.answer_call(d.connection)
        await next_event(mon, ev.Established)
        await ticks(p, 1)
        assert eng.media.detector_channels("dtmf") == {eng.port_of["T00"]}
        got = ""
        while len(got) < 2:
            got += (await next_event(mon, ev.DigitsDetected)).digits
        assert got == "93"


async def test_a_station_is_listened_to_from_the_tick_it_goes_off_hook() -> None:
    cfg = SwitchConfig(trunks=0, stations=2, routes=(), caller_id="none", dtmf_only_in_calls=True)
    async with pycti.open(cfg) as p:
        eng = p.engine
        await ticks(p, 2)
        p.driver.hook(eng.port_of["8001"], True)
        await ticks(p, 2)
        assert eng.port_of["8001"] in eng.media.detector_channels("dtmf")
        p.driver.hook(eng.port_of["8001"], False)
        await ticks(p, 2)
        assert eng.media.detector_channels("dtmf") == frozenset()


async def test_signalling_only_switch_runs_calls_without_the_media_plane() -> None:
    cfg = SwitchConfig(trunks=0, stations=3, routes=(), queues=("Q1",), caller_id="none", media=False)
    async with pycti.open(cfg) as p:
        eng = p.engine
        mon = p.monitor("8002")
        conn = await p.make_call("8001", "8002")
        delivered = await next_event(mon, ev.Delivered)
        await p.answer_call(delivered.connection)
        await next_event(mon, ev.Established)
        await p.sleep(1.0)
        await p.clear_connection(conn)
        await next_event(mon, ev.ConnectionCleared)
        assert eng.ticks > 50
        assert eng.media.sample == 0  # the media plane never ticked
        assert p.driver.board.time_samples == eng.ticks * cfg.tick_samples  # the board's time did run
