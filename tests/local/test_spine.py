"""Spine II end to end on real sim boards: several drivers in one switch, dialling through the
dial plan with dial tone and timers, DNIS routing, call waiting and glare, failures that stay
local, provider lifecycle and media contracts."""

from __future__ import annotations

import asyncio
import wave

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import pycti
from pycti.drivers.sim import SimDriver
from pycti.drivers.sim_ops import CidMode, OffHook, Ring, Silence, Speech, Tone, dtmf_ops
from pycti.dsp.callerid import CallerId, encode_mdmf
from pycti.dsp.callerid_fsk import fsk_callerid_signal
from pycti.errors import CstaError, ErrorValue
from pycti.local.config import SwitchConfig
from pycti.local.provider import ProviderClosed
from pycti.provider import PlayOutcome
from pycti.switch import events as ev
from pycti.switch.dialplan import DialPlan
from pycti.switch.timers import TimerConfig

from .conftest import next_event, spectrum_peak_hz, ticks


def _ring(number: str, name: str | None = None, **kw: int) -> Ring:
    cid = fsk_callerid_signal(encode_mdmf(CallerId(number=number, name=name, month=12, day=3, hour=9, minute=0)))
    return Ring(on_ms=1000, off_ms=4000, max_ms=kw.get("max_ms", 30_000), cid_samples=cid,
                cid_mode=CidMode.AFTER_FIRST_RING)


def _tone(hz: float, ms: int) -> Tone:
    return Tone(f1_hz=hz, f2_hz=0.0, level_dbm0=-12.0, on_ms=ms, off_ms=0, total_ms=ms)


def _heard(p, device: str, store: list) -> None:
    ch = p.engine.port_of[device]
    p.add_tick_listener(lambda now: store.append(p.engine._outbound[ch].copy()))


def _loud(frames: list) -> np.ndarray:
    """The frames that carry a signal, joined (whole frames, so the waveform stays intact)."""
    loud = [f.astype(np.float64) for f in frames if np.sqrt(np.mean(f.astype(np.float64) ** 2)) > 300]
    assert loud, "nothing was heard"
    return np.concatenate(loud)


async def test_two_boards_one_switch_call_crosses_them_with_audio_both_ways():
    trunks, stations = SimDriver(2, 0, seed=1), SimDriver(0, 2, seed=2)
    cfg = SwitchConfig(trunks=0, stations=0, routes=("IVR",), default_route="8001")
    async with pycti.open(cfg, drivers=[trunks, stations]) as p:
        assert p.engine.port_of["T00"] == 0 and p.engine.port_of["8001"] == 2
        mon = p.monitor("8001")
        trunks.board.script(0, [_ring("13800138000"), _tone(1000.0, 3000), Speech(ms=2000)])
        d = await next_event(mon, ev.Delivered)
        assert d.calling_device == "13800138000"
        assert stations.board.state(0).ringing  # the phone on the other board rings
        stations.hook(0, True)
        await next_event(mon, ev.Established)
        stations.board.script(0, [_tone(600.0, 2000)])
        at_station: list = []
        at_trunk: list = []
        _heard(p, "8001", at_station)
        _heard(p, "T00", at_trunk)
        await ticks(p, 60)
        assert abs(spectrum_peak_hz(_loud(at_station)) - 1000.0) < 30
        assert abs(spectrum_peak_hz(_loud(at_trunk)) - 600.0) < 30


async def test_station_dials_an_extension_hears_dial_tone_and_the_call_is_answered():
    async with pycti.open(trunks=1, stations=3) as p:
        a, b = p.engine.port_of["8001"], p.engine.port_of["8002"]
        mon_a, mon_b = p.monitor("8001"), p.monitor("8002")
        heard: list = []
        _heard(p, "8001", heard)
        p.driver.board.script(a, [OffHook(), Silence(ms=600), *dtmf_ops("8002"), Silence(ms=8000)])
        await next_event(mon_a, ev.ServiceInitiated)
        await ticks(p, 20)
        assert abs(spectrum_peak_hz(_loud(heard)) - 450.0) < 20  # CN dial tone
        d = await next_event(mon_b, ev.Delivered)
        assert d.calling_device == "8001" and d.called_device == "8002"
        assert p.driver.board.state(b).ringing
        p.driver.hook(b, True)
        e = await next_event(mon_a, ev.Established)
        assert e.answering_device == "8002"


async def test_dial_plan_routes_to_a_route_and_invalid_digits_fail():
    plan = DialPlan.from_dict({"0": "route:IVR", "80XX": "station:8001"})
    async with pycti.open(trunks=1, stations=3, dial_plan=plan) as p:
        mon_ivr, mon_b = p.monitor("IVR"), p.monitor("8002")
        p.driver.board.script(p.engine.port_of["8002"], [OffHook(), Silence(ms=500), *dtmf_ops("0"), Silence(ms=3000)])
        d = await next_event(mon_ivr, ev.Delivered)
        assert d.calling_device == "8002"
        mon_c = p.monitor("8003")
        p.driver.board.script(p.engine.port_of["8003"], [OffHook(), Silence(ms=500), *dtmf_ops("5"), Silence(ms=3000)])
        f = await next_event(mon_c, ev.Failed)
        assert f.cause is ev.EventCause.DEST_NOT_OBTAINABLE
        del mon_b


async def test_first_digit_timeout_clears_an_idle_offhook_station():
    timers = TimerConfig(first_digit_ms=3000)
    async with pycti.open(trunks=1, stations=2, timers=timers) as p:
        mon = p.monitor("8001")
        p.driver.board.script(p.engine.port_of["8001"], [OffHook(), Silence(ms=20_000)])
        s = await next_event(mon, ev.ServiceInitiated)
        c = await next_event(mon, ev.ConnectionCleared)
        assert c.time - s.time == pytest.approx(3.0, abs=0.1)


async def test_inter_digit_timeout_sends_an_external_number_to_a_trunk():
    timers = TimerConfig(inter_digit_ms=2000)
    async with pycti.open(trunks=1, stations=2, timers=timers) as p:
        mon = p.monitor("8001")
        p.driver.board.script(p.engine.port_of["8001"], [OffHook(), Silence(ms=500), *dtmf_ops("5551234"), Silence(ms=10_000)])
        d = await next_event(mon, ev.Delivered)
        assert d.alerting_device == "T00" and d.called_device == "5551234"
        assert p.driver.line_state(0) in ("dialling", "outgoing")


async def test_ring_no_answer_forwards_to_the_configured_device():
    timers = TimerConfig(ring_no_answer_ms=6000)
    async with pycti.open(trunks=1, stations=3, timers=timers, no_answer_forward="8003") as p:
        mon = p.monitor("8003")
        await p.make_call("8001", "8002")
        d = await next_event(mon, ev.Delivered)
        assert d.alerting_device == "8003"
        assert d.time == pytest.approx(6.0, abs=0.1)


async def test_dnis_routes_an_incoming_call_and_is_kept_as_the_called_device():
    class DidLines(SimDriver):
        pass

    drv = DidLines(1, 2)
    drv.sim.called_number = lambda port: "4008001"  # type: ignore[method-assign]
    cfg = SwitchConfig(trunks=0, stations=0, routes=("IVR", "SALES"), dnis={"4008001": "SALES"})
    async with pycti.open(cfg, drivers=[drv]) as p:
        mon = p.monitor("SALES")
        drv.board.script(0, [_ring("13900139000", name="ZHANG WEI"), Speech(ms=3000)])
        d = await next_event(mon, ev.Delivered)
        assert d.called_device == "4008001"
        assert p.engine.callers["T00"].name == "ZHANG WEI"


def test_dnis_to_an_unknown_device_is_refused_at_start():
    with pytest.raises(ValueError, match="NOWHERE"):
        pycti.open(trunks=1, stations=1, dnis={"123": "NOWHERE"})


async def test_call_waiting_does_not_take_the_station_out_of_service():
    async with pycti.open(trunks=1, stations=3) as p:
        a, b = "8001", "8002"
        mon_b = p.monitor(b)
        await p.make_call(a, b)
        d1 = await next_event(mon_b, ev.Delivered)
        p.driver.hook(p.engine.port_of[b], True)
        await next_event(mon_b, ev.Established)
        await p.hold_call(d1.connection)  # b holds its call, handset still up
        await p.make_call("8003", b)  # the board cannot ring an off-hook phone: call waiting
        d2 = await next_event(mon_b, ev.Delivered, lambda e: e.calling_device == "8003")
        await ticks(p, 20)
        assert p.engine.core.is_in_service(b)
        assert p.driver.line_state(p.engine.port_of[b]) == "call_waiting"  # a tone in the earpiece
        await p.answer_call(d2.connection)
        e = await next_event(mon_b, ev.Established, lambda e: e.established_connection == d2.connection)
        assert e.answering_device == b
        states = {c.call_id: s for c, s in await p.snapshot_device(b)}
        assert states[d1.connection.call_id].name == "HOLD"


async def test_glare_lifting_the_handset_as_it_rings_answers_the_call():
    async with pycti.open(trunks=1, stations=2) as p:
        b = p.engine.port_of["8002"]
        mon = p.monitor("8002")
        p.driver.hook(b, True)  # lifted; the OFFHOOK is not polled before the ring starts
        await p.make_call("8001", "8002")
        e = await next_event(mon, ev.Established)
        assert e.answering_device == "8002"
        assert p.engine.core.is_in_service("8002")


async def test_failed_port_comes_back_in_service_when_repaired():
    async with pycti.open(trunks=1, stations=2) as p:
        port = p.engine.port_of["8002"]
        p.driver.board.set_failed(port, True)
        await ticks(p, 3)
        assert not p.engine.core.is_in_service("8002")
        p.driver.board.set_failed(port, False)
        await ticks(p, 3)
        assert p.engine.core.is_in_service("8002")
        await p.make_call("8001", "8002")


async def test_bad_numbers_are_refused_before_anything_is_seized():
    async with pycti.open(trunks=1, stations=2) as p:
        with pytest.raises(CstaError) as info:
            await p.make_call("8001", "NOPE")
        assert info.value.error_value is ErrorValue.INVALID_CALLED_DEVICE_ID
        assert p.driver.line_state(0) == "idle" and not p.engine.core.calls()
        conn = await p.make_call("8001", "+8613800138000")  # a number, dialled as 00 86 ...
        assert conn.device_id == "8001"
        await ticks(p, 5)
        assert p.driver.line_state(0) in ("dialling", "outgoing")


async def test_a_failing_tick_listener_is_removed_and_the_switch_goes_on():
    async with pycti.open(trunks=1, stations=2) as p:
        notices = p.notices()

        def bad(now: float) -> None:
            raise RuntimeError("listener bug")

        p.add_tick_listener(bad)
        await ticks(p, 3)
        n = await asyncio.wait_for(notices.__anext__(), 5)
        assert n.kind == "listener_failed"
        await p.make_call("8001", "8002")  # still serving


async def test_closed_provider_refuses_everything_and_wakes_waiters():
    p = pycti.open(trunks=1, stations=2)
    async with p:
        sleeper = asyncio.ensure_future(p.sleep(1000))
        await ticks(p, 2)
    with pytest.raises(ProviderClosed):
        await sleeper
    with pytest.raises(ProviderClosed):
        await p.sleep(1)
    with pytest.raises(ProviderClosed):
        p.monitor("8001")
    with pytest.raises(ProviderClosed):
        async with p:
            pass


async def test_play_contract_and_outcomes():
    async with pycti.open(trunks=1, stations=3) as p:
        conn = await p.make_call("8001", "8002")
        p.driver.hook(p.engine.port_of["8002"], True)
        await ticks(p, 3)
        for bad in (np.zeros(80, np.float64), np.zeros(80, np.int32), [0, 1, 2], None):
            with pytest.raises(ValueError):
                await p.play(conn, bad)  # type: ignore[arg-type]
        from pycti.switch.ids import ConnectionID

        with pytest.raises(CstaError):
            await p.stop_playing(ConnectionID("C99", "8001"))
        with pytest.raises(CstaError):
            await p.stop_playing(None)  # type: ignore[arg-type]
        beep = np.full(800, 1000, np.int16)
        assert await p.play(conn, beep) is PlayOutcome.COMPLETED
        long = np.full(8000 * 20, 1000, np.int16)
        task = asyncio.ensure_future(p.play(conn, long))
        await ticks(p, 10)
        await p.clear_call(conn.call_id)
        assert await task is PlayOutcome.CALL_CLEARED


async def test_recording_stops_when_its_call_clears(tmp_path):
    async with pycti.open(trunks=1, stations=3) as p:
        conn = await p.make_call("8001", "8002")
        p.driver.hook(p.engine.port_of["8002"], True)
        await ticks(p, 3)
        rec = await p.record(conn.call_id, tmp_path / "a.wav")
        await ticks(p, 25)
        await p.pause_recording(rec)
        assert rec.paused
        await ticks(p, 25)
        await p.pause_recording(rec, False)
        await ticks(p, 25)
        await p.clear_call(conn.call_id)
        await ticks(p, 2)
        assert not rec.active
        with wave.open(str(tmp_path / "a.wav")) as w:
            n1 = w.getnframes()
        assert n1 == pytest.approx(50 * 160, abs=2 * 160)  # the paused half is not in the file
        conn2 = await p.make_call("8001", "8002")  # the station's next call is not captured
        p.driver.hook(p.engine.port_of["8002"], True)
        await ticks(p, 20)
        with wave.open(str(tmp_path / "a.wav")) as w:
            assert w.getnframes() == n1
        del conn2


async def test_switch_runs_blas_on_one_thread():
    async with pycti.open(trunks=1, stations=1):
        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)


def test_script_events_are_bounded():
    drv = SimDriver(1, 1)
    assert drv.script_events.maxlen is not None


# ---------------------------------------------------------------- outbound through the sim CO
from pycti.drivers.sim_ops import callee_answers, callee_busy, callee_no_answer, callee_rejects  # noqa: E402


async def _outbound(ops, number="5550100", timers=None):
    kw = {"timers": timers} if timers is not None else {}
    p = pycti.open(trunks=1, stations=2, **kw)
    await p.__aenter__()
    p.driver.board.route_outbound(number, ops)
    mon = p.monitor("8001")
    await p.make_call("8001", number)
    return p, mon


async def test_outbound_call_answered_after_rings_reaches_established():
    p, mon = await _outbound(callee_answers(2, [Speech(ms=4000)]))
    try:
        alerting = await next_event(mon, ev.Delivered)
        assert alerting.alerting_device == "T00"
        e = await next_event(mon, ev.Established)
        assert e.answering_device == "T00"
        assert p.driver.board.dialled_number(0) == "5550100"
        assert e.time > 5.0  # two ring cycles of 1 s on / 4 s off
    finally:
        await p.aclose()


@pytest.mark.parametrize(("ops", "cause"), [
    (callee_busy(), ev.EventCause.BUSY),
    (callee_rejects(), ev.EventCause.DEST_NOT_OBTAINABLE),
])
async def test_outbound_call_busy_or_rejected_ends_with_its_cause(ops, cause):
    p, mon = await _outbound(ops)
    try:
        cleared = await next_event(mon, ev.ConnectionCleared)
        assert cleared.cause is cause
        assert p.driver.line_state(0) == "idle"
    finally:
        await p.aclose()


async def test_outbound_call_not_answered_is_released_by_the_ring_no_answer_timer():
    p, mon = await _outbound(callee_no_answer(), timers=TimerConfig(ring_no_answer_ms=8000))
    try:
        await next_event(mon, ev.Delivered)
        await next_event(mon, ev.ConnectionCleared)
        await ticks(p, 5)
        assert p.driver.line_state(0) == "idle" and not p.driver.board.state(0).offhook
    finally:
        await p.aclose()


async def test_board_dnis_per_trunk_group_routes_the_call():
    cfg = SwitchConfig(trunks=2, stations=1, routes=("IVR", "SALES"), dnis={"4008001": "SALES"})
    async with pycti.open(cfg) as p:
        p.driver.board.set_trunk_number([0, 1], "4008001")
        mon = p.monitor("SALES")
        p.driver.board.script(1, [_ring("13700137000"), Speech(ms=3000)])
        d = await next_event(mon, ev.Delivered)
        assert d.called_device == "4008001" and d.calling_device == "13700137000"


# ---------------------------------------------------------------- more of the driver seam
from pycti.drivers import base as drv  # noqa: E402
from pycti.drivers.base import PortInfo, PortKind, Presentation  # noqa: E402


async def test_withheld_number_is_marked_and_the_name_kept():
    async with pycti.open(trunks=1, stations=1, routes=("IVR",)) as p:
        mon = p.monitor("IVR")
        cid = fsk_callerid_signal(encode_mdmf(CallerId(number_absence="private", name="LI NA",
                                                       month=12, day=3, hour=9, minute=0)))
        p.driver.board.script(0, [Ring(on_ms=1000, off_ms=4000, max_ms=30_000, cid_samples=cid,
                                       cid_mode=CidMode.AFTER_FIRST_RING), Speech(ms=3000)])
        d = await next_event(mon, ev.Delivered)
        who = p.caller_of("T00")
        assert who is not None and who.presentation is Presentation.WITHHELD
        assert who.number is None and who.name == "LI NA"
        assert d.calling_device not in ("P", "O")


class _DspStations(SimDriver):
    """Stations whose hardware detects DTMF itself: digits arrive as DigitsReceived."""

    def __init__(self) -> None:
        super().__init__(0, 2)
        self.injected: list[drv.DriverEvent] = []

    def ports(self) -> list[PortInfo]:
        return [PortInfo(port=i.port, kind=i.kind, has_dsp=True) for i in super().ports()]

    def poll(self) -> list[drv.DriverEvent]:
        out = super().poll() + self.injected
        self.injected = []
        return out


async def test_ports_with_their_own_dsp_get_no_switch_detector_and_send_digits_out_of_band():
    stations = _DspStations()
    cfg = SwitchConfig(trunks=0, stations=0, routes=())
    async with pycti.open(cfg, drivers=[SimDriver(0, 1), stations]) as p:
        assert p.engine._dtmf_channels == [0]  # only the plain station's channel
        mon = p.monitor("8002")
        stations.hook(0, True)  # 8002 lifts and "keys" 8001 on its own DSP
        await ticks(p, 2)
        stations.injected = [drv.DigitsReceived(port=0, digits=d) for d in "8001"]
        d = await next_event(mon, ev.Delivered)
        assert d.alerting_device == "8001"


class _Elastic:
    """A driver whose one trunk port exists only while its call does (as SIP channels do)."""

    def __init__(self) -> None:
        self.queue: list[drv.DriverEvent] = []

    async def __aenter__(self) -> "_Elastic":
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def capacity(self) -> int:
        return 1

    def ports(self) -> list[PortInfo]:
        return []

    def media_clock(self) -> None:
        return None

    def exchange(self, outbound: np.ndarray) -> np.ndarray:
        return np.zeros_like(outbound)

    def poll(self) -> list[drv.DriverEvent]:
        out, self.queue = self.queue, []
        return out

    def dial(self, port: int, number: str) -> None: ...
    def answer(self, port: int) -> None: ...
    def release(self, port: int, cause: drv.ReleaseCause = drv.ReleaseCause.NORMAL) -> None: ...
    def ring(self, port: int, caller: drv.CallerIdentity | None = None) -> None: ...
    def stop_ring(self, port: int) -> None: ...
    def send_digits(self, port: int, digits: str) -> bool:
        return True
    def set_media_direction(self, port: int, direction: drv.MediaDirection) -> None: ...


async def test_ports_come_and_go_at_run_time():
    elastic = _Elastic()
    cfg = SwitchConfig(trunks=0, stations=0, routes=("IVR",))
    async with pycti.open(cfg, drivers=[SimDriver(0, 1), elastic]) as p:
        assert "SIP1" not in p.engine.core.devices()
        elastic.queue = [drv.PortAdded(port=0, info=PortInfo(port=0, kind=PortKind.TRUNK, name="SIP1")),
                         drv.IncomingCall(port=0, caller=drv.CallerIdentity(number="+8613800138000"),
                                          called="IVR")]
        mon = p.monitor("IVR")
        d = await next_event(mon, ev.Delivered)
        assert d.calling_device == "+8613800138000"
        elastic.queue = [drv.PortRemoved(port=0)]
        await next_event(mon, ev.ConnectionCleared)
        await ticks(p, 2)
        assert "SIP1" not in p.engine.core.devices()


async def test_detector_failure_and_lost_driver_events_become_notices():
    async with pycti.open(trunks=1, stations=1) as p:
        notices = p.notices()

        class Broken:
            def process(self, block: np.ndarray) -> list:
                raise RuntimeError("detector bug")

        p.engine.media.add_detector("broken", Broken())
        n = await asyncio.wait_for(notices.__anext__(), 5)
        assert n.kind == "detector_failed" and "detector bug" in n.text
        lost = p.driver.sim.events_lost
        p.driver.sim.events_lost = lambda: lost() + 7  # the board's queue overflowed by 7
        n = await asyncio.wait_for(notices.__anext__(), 5)
        assert n.kind == "events_lost" and "7" in n.text
        await p.make_call("8001", "5550000")  # calls go on


async def test_play_pending_at_close_raises_provider_closed():
    p = pycti.open(trunks=1, stations=2)
    async with p:
        conn = await p.make_call("8001", "8002")
        p.driver.hook(p.engine.port_of["8002"], True)
        await ticks(p, 3)
        task = asyncio.ensure_future(p.play(conn, np.full(8000 * 30, 500, np.int16)))
        await ticks(p, 3)
    with pytest.raises(ProviderClosed):
        await task


class _Recording(SimDriver):
    """A sim driver that notes its lifecycle and the media directions it is told."""

    def __init__(self, *a: int) -> None:
        super().__init__(*a)
        self.log: list[object] = []

    async def __aenter__(self) -> "_Recording":
        self.log.append("open")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.log.append("close")
        await super().__aexit__(*exc)

    def set_media_direction(self, port: int, direction: drv.MediaDirection) -> None:
        self.log.append((port, direction))


async def test_drivers_are_entered_and_told_of_hold_and_retrieve():
    d = _Recording(0, 2)
    async with pycti.open(SwitchConfig(trunks=0, stations=0), drivers=[d]) as p:
        assert d.log == ["open"]
        conn = await p.make_call("8001", "8002")
        d.hook(1, True)
        await ticks(p, 3)
        await p.hold_call(conn)
        await p.retrieve_call(conn)
        assert d.log[1:] == [(1, drv.MediaDirection.SENDONLY), (1, drv.MediaDirection.SENDRECV)]
    assert d.log[-1] == "close"


async def test_wrap_up_keeps_a_station_busy_then_it_takes_calls_again():
    async with pycti.open(trunks=1, stations=3, timers=TimerConfig(wrap_up_ms=5000)) as p:
        conn = await p.make_call("8001", "8002")
        p.driver.hook(p.engine.port_of["8002"], True)
        await ticks(p, 3)
        await p.clear_call(conn.call_id)
        p.driver.hook(p.engine.port_of["8002"], False)
        await ticks(p, 3)
        mon = p.monitor("8003")
        await p.make_call("8003", "8002")
        f = await next_event(mon, ev.Failed)
        assert f.cause is ev.EventCause.BUSY  # 8002 is wrapping up
        await p.clear_call(f.failed_connection.call_id)
        await p.sleep(5.0)
        await p.make_call("8003", "8002")
        d = await next_event(mon, ev.Delivered)
        assert d.alerting_device == "8002"


async def test_conference_recording_holds_every_party(tmp_path):
    async with pycti.open(trunks=0, stations=3) as p:
        c1 = await p.make_call("8001", "8002")
        p.driver.hook(p.engine.port_of["8002"], True)
        await ticks(p, 3)
        await p.hold_call(c1)
        c2 = await p.make_call("8001", "8003")
        p.driver.hook(p.engine.port_of["8003"], True)
        await ticks(p, 3)
        conf = await p.conference_call(c1, c2)
        await ticks(p, 3)
        rec = await p.record(conf.call_id, tmp_path / "conf.wav")
        assert set(rec.devices) == {"8001", "8002", "8003"}
        await ticks(p, 10)
        await p.stop_recording(rec)
        with wave.open(str(tmp_path / "conf.wav")) as w:
            assert w.getnchannels() == 3


async def test_a_recording_that_cannot_be_written_is_a_notice_and_the_call_goes_on(tmp_path):
    async with pycti.open(trunks=0, stations=2) as p:
        notices = p.notices()
        conn = await p.make_call("8001", "8002")
        p.driver.hook(p.engine.port_of["8002"], True)
        await ticks(p, 3)
        rec = await p.record(conn.call_id, tmp_path / "r.wav")
        import os

        os.close(rec.recorder._fd)  # the disk goes away under the recorder
        rec.recorder._fd = os.open(os.devnull, os.O_RDONLY)
        n = await asyncio.wait_for(notices.__anext__(), 10)
        assert n.kind == "recording_failed"
        assert conn.call_id in p.engine.core.calls()


class _Clocked(SimDriver):
    """A driver whose media runs on its own clock (as a card's frame interrupt would)."""

    def __init__(self) -> None:
        super().__init__(0, 2)
        from pycti.clock import VirtualClock

        self.clock = VirtualClock()
        self.waits = 0

    def media_clock(self):  # type: ignore[override]
        driver = self

        class Counting:
            def now(self) -> float:
                return driver.clock.now()

            async def sleep_until(self, t_s: float) -> None:
                driver.waits += 1
                await driver.clock.sleep_until(t_s)

        return Counting()


async def test_a_driver_may_supply_the_media_clock():
    d = _Clocked()
    async with pycti.open(SwitchConfig(trunks=0, stations=0), drivers=[d]) as p:
        await ticks(p, 10)
        assert d.waits >= 10
