"""The simulated board's central office and caller, on real audio from the compiled C board."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.drivers.simboard import (
    DTMF_FREQS_HZ,
    CidMode,
    Hangup,
    Mark,
    Play,
    PortFailedError,
    PortStateError,
    Ring,
    ScriptDone,
    Silence,
    SimBoard,
    SimEvent,
    SimEventType,
    Speech,
    Tone,
    WaitNudge,
    WaitPrompt,
    dtmf_ops,
)
from pycti.dsp._base import dbm0_to_peak, rms_to_dbm0

FS = 8000
MS = FS // 1000
EV = SimEventType


def run(board: SimBoard, n: int, *, block: int = 160, to_ports: np.ndarray | None = None) -> np.ndarray:
    """Exchange n samples in blocks (silence toward the ports unless given); return (ports, n)."""
    out = np.empty((board.n_ports, n), np.int16)
    for pos in range(0, n, block):
        k = min(block, n - pos)
        if to_ports is None:
            inp = np.zeros((board.n_ports, k), np.int16)
        else:
            inp = np.ascontiguousarray(to_ports[:, pos : pos + k])
        out[:, pos : pos + k] = board.exchange(inp)
    return out


def kinds(events: list[SimEvent], port: int | None = None) -> list[tuple[SimEventType, int]]:
    return [(e.type, e.sample) for e in events if port is None or e.port == port]


def peak_freqs_hz(x: np.ndarray, n: int = 2) -> list[float]:
    """The n strongest spectral peaks of x (Hann window, zero-padded to 1 Hz bins)."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size), FS))
    found = []
    for _ in range(n):
        k = int(np.argmax(spec))
        found.append(float(k))
        spec[max(k - 40, 0) : k + 40] = 0.0
    return sorted(found)


# ---- ringing and caller ID ----------------------------------------------------------------


def test_ring_cadence_is_china_1s_on_4s_off() -> None:
    with SimBoard(1, 0) as b:
        b.script(0, [Ring(on_ms=1000, off_ms=4000)])
        out = run(b, 16 * FS)
        assert kinds(b.poll()) == [
            (EV.RING_ON, 0), (EV.RING_OFF, 8000),
            (EV.RING_ON, 40000), (EV.RING_OFF, 48000),
            (EV.RING_ON, 80000), (EV.RING_OFF, 88000),
            (EV.RING_ON, 120000),
        ]
        assert not out.any()  # ringing is signalling, not audio
        st = b.state(0)
        assert st.ringing and st.ring_burst and st.script_index == 0


def test_fsk_style_caller_id_follows_the_first_burst() -> None:
    cid = np.random.default_rng(1).integers(-8000, 8000, 2 * FS).astype(np.int16)
    cid[cid == 0] = 1
    with SimBoard(1, 0) as b:
        b.script(0, [Ring(cid_samples=cid, cid_mode=CidMode.AFTER_FIRST_RING)])
        out = run(b, 11 * FS)[0]
        start = 1000 * MS + 500 * MS  # burst end + 500 ms
        assert not out[:start].any()
        np.testing.assert_array_equal(out[start : start + cid.size], cid)
        assert not out[start + cid.size :].any()
        assert kinds(b.poll())[:3] == [(EV.RING_ON, 0), (EV.RING_OFF, 8000), (EV.RING_ON, 40000)]


def test_long_fsk_caller_id_delays_the_second_ring() -> None:
    cid = np.full(3500 * MS, 1000, np.int16)
    with SimBoard(1, 0) as b:
        b.script(0, [Ring(cid_samples=cid, cid_mode=CidMode.AFTER_FIRST_RING)])
        run(b, 12 * FS, block=4000)
        second = 12000 + cid.size + 200 * MS  # CID end + 200 ms
        assert kinds(b.poll())[2:5] == [
            (EV.RING_ON, second), (EV.RING_OFF, second + 8000), (EV.RING_ON, second + 40000)]


def test_dtmf_style_caller_id_comes_before_the_first_ring() -> None:
    cid_ops = dtmf_ops("D1234C")
    with SimBoard(2, 0) as b:  # render the CID digits on port 1 with the board itself
        b.script(1, cid_ops)
        cid = run(b, 6 * 160 * MS)[1]
        b.script(0, [Ring(cid_samples=cid, cid_mode=CidMode.BEFORE_FIRST_RING)])
        t0 = b.time_samples
        out = run(b, 3 * FS)[0]
        np.testing.assert_array_equal(out[: cid.size], cid)
        assert not out[cid.size :].any()
        ev = [(t, s - t0) for t, s in kinds(b.poll(), port=0)]
        assert ev[0] == (EV.RING_ON, cid.size + 250 * MS)


def test_unanswered_caller_gives_up_after_max_ms() -> None:
    with SimBoard(1, 0) as b:
        b.script(0, [Ring(max_ms=10500), Mark(mark_id=1)])
        run(b, 12 * FS)
        ev = b.poll()
        assert kinds(ev)[-2:] == [(EV.RING_OFF, 84000), (EV.SCRIPT_DONE, 84000)]
        assert ev[-1].arg is ScriptDone.GAVE_UP
        assert not b.state(0).ringing and not b.state(0).script_running


def test_answer_trips_the_ring_and_runs_the_rest_of_the_script() -> None:
    with SimBoard(1, 0) as b:
        b.script(0, [Ring(), Mark(mark_id=7), Tone(f1_hz=1000.0, on_ms=100, total_ms=100)])
        run(b, 500 * MS)
        b.hook(0, True)
        assert not b.state(0).ringing
        out = run(b, 200 * MS)[0]
        ev = b.poll()
        assert kinds(ev) == [(EV.RING_ON, 0), (EV.RING_OFF, 4000), (EV.MARK, 4000),
                             (EV.SCRIPT_DONE, 4800)]
        assert ev[2].arg == 7
        assert np.abs(out[: 100 * MS]).max() > 1000 and not out[100 * MS :].any()


# ---- tones -----------------------------------------------------------------------------


def test_dtmf_tone_ops_send_the_q23_frequency_pairs() -> None:
    digits = "159#0*D"
    with SimBoard(1, 0) as b:
        b.script(0, dtmf_ops(digits, level_dbm0=-7.0))
        out = run(b, len(digits) * 160 * MS + 1000).astype(np.float64)[0]
        for i, digit in enumerate(digits):
            burst = out[i * 1280 : i * 1280 + 640]
            gap = out[i * 1280 + 640 : (i + 1) * 1280]
            low, high = DTMF_FREQS_HZ[digit]
            f = peak_freqs_hz(burst)
            assert abs(f[0] - low) <= 2 and abs(f[1] - high) <= 2, (digit, f)
            # two sines at -7 dBm0 each: total RMS = one sine's peak
            assert np.sqrt(np.mean(burst**2)) == pytest.approx(dbm0_to_peak(-7.0), rel=0.03)
            assert not gap.any()
        assert not out[len(digits) * 1280 :].any()


def test_single_tone_with_cadence_and_level() -> None:
    with SimBoard(1, 0) as b:
        b.script(0, [Tone(f1_hz=425.0, level_dbm0=-10.0, on_ms=200, off_ms=300, total_ms=1000)])
        out = run(b, 1200 * MS).astype(np.float64)[0]
        for start in (0, 500 * MS):
            on = out[start : start + 200 * MS]
            assert peak_freqs_hz(on, 1) == [425.0]
            assert rms_to_dbm0(np.sqrt(np.mean(on**2))) == pytest.approx(-10.0, abs=0.1)
            assert not out[start + 200 * MS : start + 500 * MS].any()
        assert not out[1000 * MS :].any()


# ---- caller hang-up ----------------------------------------------------------------------


def answered(b: SimBoard, port: int, ops: list) -> None:
    """Load [Ring] + ops on a trunk and answer it at once."""
    b.script(port, [Ring(), *ops])
    b.hook(port, True)


def test_busy_tone_after_hangup_until_the_board_goes_on_hook() -> None:
    with SimBoard(1, 0) as b:
        answered(b, 0, [Silence(ms=100), Hangup(busy_tone=True, loop_drop=False)])
        out = run(b, 3100 * MS).astype(np.float64)[0]
        assert not out[: 100 * MS].any()
        busy = out[100 * MS :]
        for k in range(4):  # 350 ms on, 350 ms off
            on = busy[k * 5600 : k * 5600 + 2800]
            off = busy[k * 5600 + 2800 : (k + 1) * 5600]
            assert peak_freqs_hz(on, 1) == [450.0]
            assert rms_to_dbm0(np.sqrt(np.mean(on**2))) == pytest.approx(-13.0, abs=0.2)
            assert not off.any()
        assert [e.type for e in b.poll()] == []  # no loop drop, script still on
        b.hook(0, False)
        ev = b.poll()
        assert kinds(ev) == [(EV.SCRIPT_DONE, 3100 * MS)] and ev[0].arg is ScriptDone.COMPLETED
        assert not run(b, 1000 * MS).any()


def test_loop_drop_is_reported_only_where_enabled() -> None:
    with SimBoard(3, 0) as b:
        b.report_loop_drop(0, True)
        b.report_loop_drop(2, True)
        answered(b, 0, [Silence(ms=250), Hangup(busy_tone=False, loop_drop=True)])
        answered(b, 1, [Silence(ms=250), Hangup(busy_tone=False, loop_drop=True)])
        answered(b, 2, [Silence(ms=250), Hangup(busy_tone=True, loop_drop=False)])
        out = run(b, 1000 * MS)
        assert [(e.type, e.port, e.sample) for e in b.poll()] == [(EV.LOOP_DROP, 0, 2000)]
        assert not out[:2].any()  # silent hang-up on ports 0 and 1
        assert out[2, 2000:].any()


def test_board_releasing_first_ends_the_script_as_released() -> None:
    with SimBoard(1, 0) as b:
        answered(b, 0, [Speech(ms=5000), Hangup()])
        run(b, 1000 * MS)
        b.hook(0, False)
        ev = b.poll()
        assert kinds(ev) == [(EV.SCRIPT_DONE, 8000)] and ev[0].arg is ScriptDone.RELEASED_BY_BOARD
        assert not run(b, 200 * MS).any()


# ---- waiting on the board ------------------------------------------------------------------


def prompt_audio(n_ports: int, port: int, start: int, length: int, total: int) -> np.ndarray:
    """A -20 dBm0 1 kHz prompt from the board toward `port`."""
    to = np.zeros((n_ports, total), np.int16)
    t = np.arange(length)
    to[port, start : start + length] = np.round(dbm0_to_peak(-20.0) * np.sin(2 * np.pi * 1000 * t / FS))
    return to


def test_wait_prompt_completes_after_prompt_then_quiet() -> None:
    with SimBoard(1, 0) as b:
        answered(b, 0, [WaitPrompt(quiet_ms=300, max_ms=10_000), Mark(mark_id=1),
                        Tone(f1_hz=800.0, on_ms=100, total_ms=100)])
        to = prompt_audio(1, 0, 4000, 8000, 3 * FS)  # prompt from 0.5 s to 1.5 s
        out = run(b, 3 * FS, to_ports=to)[0]
        (mark,) = [e for e in b.poll() if e.type is EV.MARK]
        assert 12000 + 2400 <= mark.sample <= 12000 + 2400 + 80  # 300 ms after, 10 ms frames
        assert not out[: mark.sample].any() and out[mark.sample : mark.sample + 800].any()


def test_wait_prompt_ignores_quiet_line_noise_and_times_out() -> None:
    with SimBoard(1, 0) as b:
        answered(b, 0, [WaitPrompt(quiet_ms=300, max_ms=2000), Mark(mark_id=2)])
        noise = np.random.default_rng(0).normal(0.0, dbm0_to_peak(-50.0) / np.sqrt(2), (1, 3 * FS))
        run(b, 3 * FS, to_ports=noise.astype(np.int16))
        assert kinds(b.poll()) == [(EV.MARK, 16000), (EV.SCRIPT_DONE, 16000)]


def nudge_script() -> list:
    return [Ring(), WaitNudge(max_ms=5000, timeout_goto=4), Mark(mark_id=1), Silence(ms=1000),
            Mark(mark_id=2)]


def test_wait_nudge_goes_on_when_nudged() -> None:
    with SimBoard(1, 0) as b:
        answered(b, 0, nudge_script()[1:])
        run(b, FS)
        b.nudge(0)
        run(b, 3 * FS)
        assert [(e.type, e.arg, e.sample) for e in b.poll()] == [
            (EV.MARK, 1, 8000), (EV.MARK, 2, 16000), (EV.SCRIPT_DONE, 0, 16000)]


def test_wait_nudge_jumps_on_timeout() -> None:
    with SimBoard(1, 0) as b:
        answered(b, 0, nudge_script()[1:])
        run(b, 6 * FS)
        assert [(e.type, e.arg, e.sample) for e in b.poll()] == [
            (EV.MARK, 2, 40000), (EV.SCRIPT_DONE, 0, 40000)]


def test_a_nudge_before_the_wait_is_kept_for_it() -> None:
    with SimBoard(1, 0) as b:
        answered(b, 0, [Silence(ms=500), *nudge_script()[1:]])
        b.nudge(0)
        assert b.state(0).nudge_pending
        run(b, FS)
        assert [(e.type, e.sample) for e in b.poll()] == [(EV.MARK, 4000)]


def test_nudge_without_a_script_is_a_state_error() -> None:
    with SimBoard(1, 0) as b, pytest.raises(PortStateError, match=r"sim_port_nudge on port 0 .*SIM_ESTATE"):
        b.nudge(0)


# ---- stations ------------------------------------------------------------------------------


def test_station_hook_events_and_ring_trip() -> None:
    with SimBoard(1, 2) as b:
        b.ring_station(1, True)
        run(b, 5500 * MS, block=1000)
        st = b.state(1)
        assert st.ringing and st.ring_burst and st.is_station  # 5.5 s: in the second burst
        run(b, FS)
        assert not b.state(1).ring_burst
        b.hook(1, True)
        assert not b.state(1).ringing  # answering stops the ringing
        with pytest.raises(PortStateError):
            b.ring_station(1, True)
        b.hook(1, True)  # no change, no event
        b.hook(1, False)
        b.hook(2, True)
        assert [(e.type, e.port, e.sample) for e in b.poll()] == [
            (EV.OFFHOOK, 1, 52000), (EV.ONHOOK, 1, 52000), (EV.OFFHOOK, 2, 52000)]


def test_station_script_hook_ops_and_on_hook_phone_is_silent() -> None:
    from pycti.drivers.simboard import OffHook, OnHook

    with SimBoard(0, 1) as b:
        b.ring_station(0, True)
        b.script(0, [Tone(f1_hz=600.0, on_ms=500, total_ms=500), OffHook(),
                     Tone(f1_hz=600.0, on_ms=500, total_ms=500), OnHook(), Mark(mark_id=3)])
        out = run(b, 1500 * MS)[0]
        assert not out[:4000].any()  # on hook: nothing reaches the board
        assert peak_freqs_hz(out[4000:8000].astype(np.float64), 1) == [600.0]
        assert not out[8000:].any()
        assert kinds(b.poll()) == [(EV.OFFHOOK, 4000), (EV.ONHOOK, 8000), (EV.MARK, 8000),
                                   (EV.SCRIPT_DONE, 8000)]
        assert not b.state(0).ringing


# ---- failures, determinism, blocks, scale ---------------------------------------------------


def test_failed_port_raises_is_silent_and_leaves_others_alone() -> None:
    with SimBoard(3, 1) as b:
        tone = [Tone(f1_hz=1000.0, on_ms=1000, total_ms=10_000)]
        for p in range(3):
            answered(b, p, tone)
        run(b, 100 * MS)
        b.set_failed(1, True)
        b.set_failed(1, True)  # once only
        for call in (lambda: b.hook(1, False), lambda: b.nudge(1), lambda: b.report_loop_drop(1, True),
                     lambda: b.script(1, tone)):
            with pytest.raises(PortFailedError, match=r"on port 1 failed: SIM_EFAIL \(-4\)") as ei:
                call()
            assert isinstance(ei.value, OSError) and ei.value.port == 1
        out = run(b, 500 * MS)
        assert not out[1].any() and out[0].any() and out[2].any()
        np.testing.assert_array_equal(out[0], out[2])
        assert [(e.type, e.port) for e in b.poll()] == [(EV.PORT_FAILED, 1)]
        assert b.state(1).failed
        b.set_failed(1, False)  # repaired: idle, usable again
        answered(b, 1, tone)
        assert run(b, 100 * MS)[1].any()


def speech_run(seed: int) -> np.ndarray:
    with SimBoard(2, 1, seed=seed) as b:
        answered(b, 0, [Speech(ms=3000)])
        answered(b, 1, [Speech(ms=3000)])
        b.hook(2, True)
        b.script(2, [Speech(ms=3000)])
        return run(b, 3 * FS)


def test_same_seed_same_audio_other_seed_other_audio() -> None:
    a, b, c = speech_run(5), speech_run(5), speech_run(6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[0], a[1])  # ports differ from each other too


def block_session(blocks: list[int]) -> tuple[np.ndarray, list]:
    """A mixed session (CID, ring, DTMF, speech, prompt wait, play) exchanged in `blocks`."""
    cid = np.arange(1, 4001, dtype=np.int16)
    with SimBoard(2, 1, seed=3) as b:
        b.script(0, [Ring(cid_samples=cid, cid_mode=CidMode.BEFORE_FIRST_RING, max_ms=3000)])
        answered(b, 1, [*dtmf_ops("12"), Speech(ms=700), WaitPrompt(quiet_ms=100), Mark(mark_id=9),
                        Play(samples=cid[:777])])
        b.hook(2, True)
        b.script(2, [Speech(ms=1000)])
        to = prompt_audio(3, 1, 9000, 3000, sum(blocks))
        outs, pos = [], 0
        for k in blocks:
            outs.append(b.exchange(np.ascontiguousarray(to[:, pos : pos + k])))
            pos += k
        return np.concatenate(outs, axis=1), kinds(b.poll())


SESSION_SAMPLES = 26_000


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 997), min_size=1, max_size=200))
def test_odd_block_lengths_give_the_same_audio_and_events(cuts: list[int]) -> None:
    blocks, left = [], SESSION_SAMPLES
    for k in cuts:
        if left == 0:
            break
        blocks.append(min(k, left))
        left -= blocks[-1]
    if left:
        blocks.append(left)
    ref_audio, ref_events = block_session([SESSION_SAMPLES])
    audio, events = block_session(blocks)
    np.testing.assert_array_equal(audio, ref_audio)
    assert events == ref_events
    assert (EV.SCRIPT_DONE, 24000) in events and EV.MARK in [t for t, _ in events]


def test_events_of_one_exchange_come_in_sample_order_across_ports() -> None:
    with SimBoard(3, 0) as b:
        b.script(0, [Ring(on_ms=300, off_ms=300)])
        b.script(1, [Silence(ms=100), Mark(mark_id=1), Silence(ms=100), Mark(mark_id=2)])
        b.script(2, [Silence(ms=50), Mark(mark_id=3)])
        run(b, FS, block=FS)
        ev = b.poll()
        samples = [e.sample for e in ev]
        assert samples == sorted(samples)
        assert [(e.type, e.port, e.sample) for e in ev[:5]] == [
            (EV.RING_ON, 0, 0), (EV.MARK, 2, 400), (EV.SCRIPT_DONE, 2, 400), (EV.MARK, 1, 800),
            (EV.MARK, 1, 1600)]


def test_event_buffer_is_bounded_and_counts_overflow() -> None:
    with SimBoard(1, 0) as b:
        b.script(0, [Ring(on_ms=1, off_ms=1)])  # an event every 8 samples
        cap = b.event_capacity
        run(b, 8 * (cap + 500), block=4000)
        ev = b.poll()
        assert len(ev) == cap and b.event_overflow == 500
        assert [e.sample for e in ev] == [8 * i for i in range(cap)]


def test_big_board_exchanges_every_port_in_one_call() -> None:
    n_trunks, n_stations = 1600, 400
    with SimBoard(n_trunks, n_stations, seed=1) as b:
        for p in range(0, n_trunks, 2):
            answered(b, p, [Tone(f1_hz=1000.0, on_ms=100, total_ms=100), Mark(mark_id=p)])
        for p in range(1, n_trunks, 2):
            b.script(p, [Ring()])
        out = run(b, 25 * 160)  # 25 ticks of 20 ms
        assert (np.abs(out[0:n_trunks:2, :800]).max(axis=1) > 5000).all()
        assert not out[1::2].any() and not out[n_trunks:].any()
        ev = b.poll()
        assert sum(e.type is EV.RING_ON for e in ev) == n_trunks // 2
        assert sorted(e.arg for e in ev if e.type is EV.MARK) == list(range(0, n_trunks, 2))
