"""The simulated central office on outgoing calls: dial tone, in-band DTMF digit collection,
outbound routes (ringback, answer by battery reversal, busy, reorder, SIT, greeting, fax), and
the called number (DNIS) of incoming calls.  Real audio through the compiled C board."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pycti.drivers.simboard import (
    DialResult,
    DialState,
    Hangup,
    Mark,
    Play,
    ProgressTone,
    Ring,
    ScriptDone,
    SimBoard,
    SimEvent,
    SimEventType,
    Speech,
    Tone,
    callee_answers,
    callee_busy,
    callee_fax,
    callee_greeting,
    callee_no_answer,
    callee_rejects,
)
from pycti.dsp.dtmf_gen import DtmfGenerator, dtmf_tones
from pycti.dsp.fax_tones import FaxToneDetector
from pycti.dsp.progress_detect import ProgressToneDetector

FS = 8000
MS = FS // 1000
EV = SimEventType
LEAD = 300 * MS  # dial tone before the switch starts dialling


def drive(b: SimBoard, n: int, feeds: dict[int, np.ndarray] | None = None, *,
          block: int = 160) -> tuple[np.ndarray, list[SimEvent]]:
    """Exchange n samples (``feeds[port]`` toward that port, silence elsewhere); return the
    audio the ports sent, (n_ports, n), and the events."""
    to_ports = np.zeros((b.n_ports, n), np.int16)
    for port, x in (feeds or {}).items():
        to_ports[port, : min(n, x.size)] = x[:n]
    out = np.empty_like(to_ports)
    events: list[SimEvent] = []
    for pos in range(0, n, block):
        k = min(block, n - pos)
        out[:, pos : pos + k] = b.exchange(np.ascontiguousarray(to_ports[:, pos : pos + k]))
        events += b.poll()
    return out, events


def dial(number: str, **kw: Any) -> np.ndarray:
    """What a switch sends on a seized trunk: LEAD of silence, then the number as DTMF."""
    return np.concatenate([np.zeros(LEAD, np.int16), dtmf_tones(number, **kw)])


def of(events: list[SimEvent], kind: SimEventType, port: int = 0) -> list[SimEvent]:
    return [e for e in events if e.type is kind and e.port == port]


def tone_db(x: np.ndarray, hz: float) -> float:
    """Level of the hz component of x in dB (Goertzel over the whole of x; -inf if none)."""
    n = np.arange(x.size)
    c = np.abs(np.dot(x.astype(np.float64), np.exp(-2j * np.pi * hz * n / FS))) * 2 / max(x.size, 1)
    return 20 * np.log10(c) if c > 0 else float("-inf")


def progress_tones(x: np.ndarray) -> list[str]:
    det = ProgressToneDetector(1, "CN")
    return [e.tone for e in det.process(x[None, :]) + det.flush()]


# ---- dial tone and digit collection -------------------------------------------------------


def test_seizure_gives_dial_tone_which_stops_at_the_first_digit() -> None:
    with SimBoard(2, 1) as b:
        b.hook(0, True)
        assert b.state(0).dial_state is DialState.DIAL_TONE
        out, ev = drive(b, LEAD + 2 * FS, {0: dial("7")})
        digit = of(ev, EV.DIGIT)
        assert [e.digit for e in digit] == ["7"]
        t = digit[0].sample
        assert LEAD + 30 * MS <= t <= LEAD + 45 * MS  # the detector needs ~40 ms
        dial_tone = out[0, : LEAD]
        assert tone_db(dial_tone, 450.0) > 75 and progress_tones(out[0, :t]) == []  # < 1 s
        assert not out[0, t + 1 :].any()  # stopped at the digit
        assert not out[1].any()  # an idle trunk stays silent
        assert b.state(0).dial_state is DialState.COLLECTING and b.dialled_number(0) == "7"


def test_long_dial_tone_is_the_cn_dial_tone_and_times_out_to_reorder() -> None:
    with SimBoard(1, 0) as b:
        b.set_dial_timeouts(first_digit_ms=2000)
        b.hook(0, True)
        out, ev = drive(b, 6 * FS)
        assert progress_tones(out[0, : 2 * FS])[:1] == ["DIAL"]
        done = of(ev, EV.NUMBER_COMPLETE)
        assert [(e.arg, e.sample) for e in done] == [(DialResult.NO_DIGITS, 2 * FS)]
        assert "CONGESTION" in progress_tones(out[0, 2 * FS :])
        assert b.state(0).dial_state is DialState.REORDER and b.dialled_number(0) == ""


def test_number_completes_after_the_inter_digit_timeout_and_unrouted_gets_reorder() -> None:
    with SimBoard(1, 0) as b:
        digits = dial("5551234*#")
        b.hook(0, True)
        out, ev = drive(b, digits.size + 8 * FS, {0: digits})
        assert "".join(e.digit or "" for e in of(ev, EV.DIGIT)) == "5551234*#"
        (done,) = of(ev, EV.NUMBER_COMPLETE)
        last_tone_end = LEAD + 8 * 160 * MS + 80 * MS
        assert done.arg is DialResult.UNROUTED
        assert 3000 * MS <= done.sample - last_tone_end <= 3050 * MS  # timer from digit end
        assert b.dialled_number(0) == "5551234*#"
        t = done.sample - 1
        assert not out[0, digits.size - LEAD : t].any()  # silence while collecting
        assert progress_tones(out[0, t:]) == ["CONGESTION"]


def test_inter_digit_timeout_is_configurable_and_an_exact_route_completes_at_once() -> None:
    with SimBoard(2, 0) as b:
        b.set_dial_timeouts(inter_digit_ms=500)
        b.route_outbound("123", callee_busy())
        b.hook(0, True)
        b.hook(1, True)
        digits = dial("123")
        _, ev = drive(b, digits.size + 2 * FS, {0: dial("12"), 1: digits})
        (short,) = of(ev, EV.NUMBER_COMPLETE, 0)
        assert short.arg is DialResult.UNROUTED
        assert 500 * MS <= short.sample - (LEAD + 160 * MS + 80 * MS) <= 550 * MS
        (exact,) = of(ev, EV.NUMBER_COMPLETE, 1)
        assert exact.arg is DialResult.ROUTED  # at the last digit's end, not 500 ms later
        assert 0 <= exact.sample - (LEAD + 2 * 160 * MS + 80 * MS) <= 50 * MS


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"on_ms": 40, "off_ms": 40}, "1590"),  # Q.24 minimum digit and pause
        ({"on_ms": 20, "off_ms": 60}, ""),  # too short
        ({"on_ms": 23, "off_ms": 60}, ""),
        ({"level_dbm0": -25.0}, "1590"),
        ({"level_dbm0": -45.0}, ""),  # too weak
        ({"twist_db": 8.0}, "1590"),  # normal twist: high group 8 dB weaker
        ({"twist_db": 10.5}, ""),
        ({"twist_db": -4.0}, "1590"),  # reverse twist
        ({"twist_db": -6.5}, ""),
    ],
)
def test_digit_detector_timing_level_and_twist(kw: dict[str, Any], expected: str) -> None:
    with SimBoard(1, 0) as b:
        b.hook(0, True)
        _, ev = drive(b, LEAD + FS, {0: dial("1590", **kw)})
        assert "".join(e.digit or "" for e in of(ev, EV.DIGIT)) == expected


def test_a_dropout_of_20_ms_does_not_split_a_digit_and_block_sizes_do_not_matter() -> None:
    tone = dtmf_tones("8", on_ms=80, off_ms=0)
    broken = np.concatenate([np.zeros(LEAD, np.int16), tone[: 40 * MS],
                             np.zeros(20 * MS, np.int16), tone[40 * MS :]])
    samples = []
    for block in (160, 37, 4000):
        with SimBoard(1, 0) as b:
            b.hook(0, True)
            _, ev = drive(b, LEAD + FS, {0: broken}, block=block)
            samples.append([(e.digit, e.sample) for e in of(ev, EV.DIGIT)])
    assert samples[0] == samples[1] == samples[2] and [d for d, _ in samples[0]] == ["8"]


def test_hanging_up_while_dialling_silences_the_line_and_a_new_seizure_starts_over() -> None:
    with SimBoard(1, 0) as b:
        b.hook(0, True)
        drive(b, LEAD + FS, {0: dial("42")})
        assert b.dialled_number(0) == "42"
        b.hook(0, False)
        assert b.state(0).dial_state is DialState.IDLE and b.dialled_number(0) == "42"
        out, ev = drive(b, 5 * FS)
        assert not out.any() and ev == []
        b.hook(0, True)
        assert b.dialled_number(0) == "" and b.state(0).dial_state is DialState.DIAL_TONE


def test_a_script_loaded_on_a_dialling_trunk_takes_over() -> None:
    with SimBoard(1, 0) as b:
        b.hook(0, True)
        b.script(0, [Mark(mark_id=5)])
        _, ev = drive(b, LEAD + 5 * FS, {0: dial("1")})
        assert of(ev, EV.DIGIT) == [] and [e.arg for e in of(ev, EV.MARK)] == [5]


# ---- outbound scripts ---------------------------------------------------------------------


def place_call(b: SimBoard, number: str, seconds: float,
               port: int = 0) -> tuple[np.ndarray, list[SimEvent], int]:
    """Seize, dial ``number`` and run; return (audio from the port, events, completion sample)."""
    b.hook(port, True)
    t0 = b.time_samples
    digits = dial(number)
    out, ev = drive(b, digits.size + int(seconds * FS), {port: digits})
    (done,) = of(ev, EV.NUMBER_COMPLETE, port)
    return out[port], ev, done.sample - t0


def test_callee_answers_after_n_rings_with_a_battery_reversal() -> None:
    with SimBoard(1, 0) as b:
        b.route_outbound("6001", callee_answers(3, [Speech(ms=2000), Hangup()]))
        x, ev, t = place_call(b, "6001", 19.0)
        assert of(ev, EV.NUMBER_COMPLETE)[0].arg is DialResult.ROUTED
        (answer,) = of(ev, EV.ANSWER)
        assert EV.POLARITY_REVERSAL is EV.ANSWER
        assert answer.sample - b.time_samples + x.size == t + 3 * 5 * FS  # 3 ringback cycles
        a = t + 15 * FS
        assert progress_tones(x[t:a]) == ["RINGBACK"]
        for cycle in range(3):  # 1 s of 450 Hz, then 4 s of silence
            on = x[t + cycle * 5 * FS : t + cycle * 5 * FS + FS]
            assert tone_db(on, 450.0) > 75 and not x[t + cycle * 5 * FS + FS : t + (cycle + 1) * 5 * FS].any()
        assert tone_db(x[a : a + 2 * FS], 450.0) < 50 and x[a : a + 2 * FS].std() > 100  # speech
        assert progress_tones(x[a + 2 * FS :]) == ["BUSY"]  # then the callee hung up
        assert b.state(0).answered
        b.hook(0, False)
        assert not b.state(0).answered
        assert [e.arg for e in of(b.poll(), EV.SCRIPT_DONE)] == [ScriptDone.COMPLETED]


def test_callee_busy_and_no_answer() -> None:
    with SimBoard(2, 0) as b:
        b.route_outbound("100", callee_busy())
        b.route_outbound("200", callee_no_answer())
        busy, ev, t = place_call(b, "100", 4.0, port=0)
        assert progress_tones(busy[t:]) == ["BUSY"] and of(ev, EV.ANSWER) == []
        ring, ev, t = place_call(b, "200", 16.0, port=1)
        assert progress_tones(ring[t:]) == ["RINGBACK"] and of(ev, EV.ANSWER, 1) == []
        assert b.state(1).script_running and tone_db(ring[t + 15 * FS : t + 16 * FS], 450.0) > 75


def test_callee_rejects_with_sit_then_reorder_then_loop_drop() -> None:
    with SimBoard(1, 0) as b:
        b.report_loop_drop(0, True)
        b.route_outbound("999", callee_rejects(sit=True, reorder_cycles=3))
        x, ev, t = place_call(b, "999", 8.0)
        sit_end = t + 3 * 330 * MS + 1000 * MS
        assert tone_db(x[t : t + 330 * MS], 950.0) > 60
        assert tone_db(x[t + 660 * MS : t + 990 * MS], 1800.0) > 60
        assert "SIT" in progress_tones(x[t:sit_end])
        assert progress_tones(x[sit_end:]) == ["CONGESTION"]
        (drop,) = of(ev, EV.LOOP_DROP)
        assert drop.sample - b.time_samples + x.size == sit_end + 3 * 1400 * MS
        assert not x[sit_end + 3 * 1400 * MS :].any() and of(ev, EV.ANSWER) == []


def test_default_route_takes_unknown_numbers() -> None:
    with SimBoard(1, 0) as b:
        b.route_outbound(None, callee_busy())
        b.route_outbound("1", callee_no_answer())
        x, ev, t = place_call(b, "0208", 7.0)  # no exact route: 3 s inter-digit timeout
        assert of(ev, EV.NUMBER_COMPLETE)[0].arg is DialResult.DEFAULT
        assert progress_tones(x[t:]) == ["BUSY"] and b.outbound_route_count == 2
        assert b.unroute_outbound(None) and not b.unroute_outbound(None)
        b.hook(0, False)
        _, ev, _ = place_call(b, "0208", 4.0)
        assert of(ev, EV.NUMBER_COMPLETE)[0].arg is DialResult.UNROUTED


def test_callee_greeting_arrives_after_the_answer() -> None:
    greeting = (np.sin(np.arange(FS) * 2 * np.pi * 700 / FS) * 6000).astype(np.int16)
    greeting[::97] = -1234  # recognisable
    with SimBoard(1, 0) as b:
        b.route_outbound("88", callee_greeting(greeting, rings=1))
        x, ev, t = place_call(b, "88", 8.0)
        (answer,) = of(ev, EV.ANSWER)
        a = answer.sample - b.time_samples + x.size
        assert a == t + 5 * FS
        np.testing.assert_array_equal(x[a : a + greeting.size], greeting)
        assert progress_tones(x[a + greeting.size :]) == ["BUSY"]


def test_callee_fax_sends_ced_or_cng() -> None:
    with SimBoard(2, 0) as b:
        b.route_outbound("77", callee_fax(rings=1))
        b.route_outbound("78", callee_fax(rings=1, calling=True, ms=4000))
        ced, ev, t = place_call(b, "77", 10.0, port=0)
        a = t + 5 * FS
        assert of(ev, EV.ANSWER)[0].sample - b.time_samples + ced.size == a
        cng, _, t1 = place_call(b, "78", 10.0, port=1)
        assert tone_db(ced[a : a + 3300 * MS], 2100.0) > 70 and not ced[a + 3300 * MS :].any()
        det = FaxToneDetector(2)
        audio = np.stack([ced[a:], np.resize(cng[t1 + 5 * FS :], ced[a:].size)])
        found = {(e.channel, e.tone) for e in det.process(audio) + det.flush()}
        assert (0, "CED") in found and (1, "CNG") in found
        assert tone_db(cng[t1 + 5 * FS : t1 + 5 * FS + 500 * MS], 1100.0) > 70


# ---- DNIS ---------------------------------------------------------------------------------


def test_called_number_per_trunk_group_and_per_script() -> None:
    with SimBoard(4, 1) as b:
        b.set_trunk_number(range(0, 3), "4008001234")
        b.set_trunk_number([3], "95588")
        assert [b.trunk_number(p) for p in range(4)] == ["4008001234"] * 3 + ["95588"]
        b.script(0, [Ring()])
        b.script(1, [Ring(called="4008001299")])  # the caller's own DNIS overrides the group's
        b.script(3, [Ring(max_ms=1000)])
        assert b.called_number(2) is None  # no call on it
        _, ev = drive(b, 160)
        assert {e.port for e in ev if e.type is EV.RING_ON} == {0, 1, 3}
        assert [b.called_number(p) for p in range(4)] == ["4008001234", "4008001299", None, "95588"]
        b.hook(1, True)  # answer: the number stays for the call
        drive(b, 2 * FS)
        assert b.called_number(1) == "4008001299"
        assert b.called_number(3) is None  # the caller gave up
        b.hook(1, False)
        assert b.called_number(1) is None and b.called_number(0) == "4008001234"
        b.set_trunk_number(0, None)
        assert b.trunk_number(0) is None and b.called_number(0) == "4008001234"  # set at ring


# ---- arguments and bounds -----------------------------------------------------------------


def test_bad_numbers_and_rings_raise_value_error_before_anything_changes() -> None:
    with SimBoard(2, 1) as b:
        b.set_trunk_number(0, "1")
        for call in (
            lambda: b.route_outbound("12x", callee_busy()),
            lambda: b.route_outbound("", callee_busy()),
            lambda: b.route_outbound("1" * 32, callee_busy()),
            lambda: b.route_outbound(123, callee_busy()),  # type: ignore[arg-type]
            lambda: b.route_outbound("1", []),
            lambda: b.route_outbound("1", [Ring()]),
            lambda: b.route_outbound("1", ["busy"]),  # type: ignore[list-item]
            lambda: b.set_trunk_number([0, 1, 2], "2"),  # 2 is a station
            lambda: b.set_trunk_number([1, 7], "2"),
            lambda: b.set_trunk_number(1, "2-3"),
            lambda: b.set_dial_timeouts(inter_digit_ms=0),
            lambda: b.set_dial_timeouts(first_digit_ms=-1),
            lambda: b.dialled_number(2),
            lambda: b.called_number(9),
            lambda: Ring(called="12 34"),
            lambda: Ring(called=""),
            lambda: callee_answers(0),
            lambda: callee_answers(-2),
            lambda: callee_greeting(np.zeros(8, np.int16), rings=-1),
            lambda: callee_rejects(reorder_cycles=0),
            lambda: ProgressTone(f1_hz=450.0, on_ms=100, cycles=-1),
            lambda: ProgressTone(f1_hz=0.0, on_ms=100),
        ):
            with pytest.raises(ValueError):
                call()
        assert b.outbound_route_count == 0
        assert b.trunk_number(0) == "1" and b.trunk_number(1) is None
        assert b.time_samples == 0 and b.poll() == []
        assert Ring(called="12ab*#").called == "12AB*#"


def test_route_table_is_bounded() -> None:
    from pycti.drivers._simboard import lib

    with SimBoard(1, 0) as b:
        ops = callee_busy()
        for i in range(lib.SIM_MAX_ROUTES):
            b.route_outbound(str(i), ops)
        b.route_outbound("0", callee_no_answer())  # replacing is fine when full
        with pytest.raises(ValueError, match="at most"):
            b.route_outbound("99999", ops)
        assert b.outbound_route_count == lib.SIM_MAX_ROUTES


def test_event_queue_is_bounded_during_one_exchange_and_counts_overflow() -> None:
    with SimBoard(200, 0) as b:
        cap = b.event_capacity
        for p in range(200):
            b.script(p, [Ring(on_ms=1, off_ms=1)])  # an event every 8 samples on every port
        b.exchange(np.zeros((200, 800), np.int16))  # 200 * 100 events > cap in one batch
        lost = 200 * 100 - cap
        assert b.event_overflow == lost
        ev = b.poll()
        assert len(ev) == cap and [e.sample for e in ev] == sorted(e.sample for e in ev)
        b.exchange(np.zeros((200, 8), np.int16))
        assert len(b.poll()) == 200 and b.event_overflow == lost


def test_steady_tone_lasts_its_total_length() -> None:
    """A Tone with off_ms = 0 is steady for total_ms (it used to stop after on_ms)."""
    with SimBoard(1, 0) as b:
        b.script(0, [Tone(f1_hz=1000.0, on_ms=100, total_ms=300), Mark(mark_id=1)])
        out, ev = drive(b, 400 * MS)
        assert tone_db(out[0, 200 * MS : 300 * MS], 1000.0) > 70 and not out[0, 300 * MS :].any()
        assert [e.sample for e in of(ev, EV.MARK)] == [300 * MS]


def test_play_after_answer_in_a_handmade_route() -> None:
    clip = np.arange(1, 801, dtype=np.int16)
    with SimBoard(1, 0) as b:
        b.route_outbound("5", [ProgressTone(f1_hz=450.0, on_ms=1000, off_ms=4000, cycles=1),
                               *callee_answers(1, [Play(samples=clip)])[1:]])
        x, ev, t = place_call(b, "5", 6.0)
        np.testing.assert_array_equal(x[t + 5 * FS : t + 5 * FS + 800], clip)


def test_c_side_checks_the_new_arguments() -> None:
    """The C API validates on its own (for other callers than SimBoard)."""
    from pycti.drivers._simboard import ffi, lib

    board = ffi.gc(lib.sim_board_new(1, 1, 0), lib.sim_board_free)
    ops = ffi.new("sim_op[]", 1)
    ops[0].type = lib.SIM_OP_RING
    ops[0].u.ring.on_ms = 1000
    ops[0].u.ring.called = b"1" * 32  # no NUL inside the buffer
    assert lib.sim_port_script(board, 0, ops, 1) == lib.SIM_EINVAL
    ops[0].u.ring.called = b"12E"
    assert lib.sim_port_script(board, 0, ops, 1) == lib.SIM_EINVAL
    assert lib.sim_board_route_outbound(board, b"1", ops, 1) == lib.SIM_EINVAL  # Ring op
    ops[0].type = lib.SIM_OP_ANSWER
    assert lib.sim_port_script(board, 1, ops, 1) == lib.SIM_EINVAL  # trunk op on a station
    assert lib.sim_board_route_outbound(board, b"", ops, 1) == lib.SIM_EINVAL
    assert lib.sim_board_route_outbound(board, b"1", ops, 0) == lib.SIM_EINVAL
    assert lib.sim_board_route_outbound(board, ffi.NULL, ops, 1) == lib.SIM_OK
    ops[0].type = lib.SIM_OP_PROGRESS
    ops[0].u.progress.f1_hz = 450.0
    ops[0].u.progress.on_ms = 100
    ops[0].u.progress.cycles = -1
    assert lib.sim_board_route_outbound(board, b"2", ops, 1) == lib.SIM_EINVAL
    assert lib.sim_board_route_count(board) == 1
    buf = ffi.new("char[]", 4)
    assert lib.sim_port_set_number(board, 0, b"123456") == lib.SIM_OK
    assert lib.sim_port_number(board, 0, buf, 4) == 6 and ffi.string(buf) == b"123"
    assert lib.sim_port_set_number(board, 1, b"1") == lib.SIM_EINVAL  # a station
    assert lib.sim_port_set_number(board, 0, b"1x") == lib.SIM_EINVAL
    assert lib.sim_port_dialled_number(board, 0, buf, 0) == lib.SIM_EINVAL
    assert lib.sim_board_set_dial_timeouts(board, 0, 0) == lib.SIM_EINVAL
    assert lib.sim_board_unroute_outbound(board, ffi.NULL) == 1


def test_switch_dials_block_by_block_with_a_dtmf_generator() -> None:
    """As a media plane would: a DtmfGenerator over all ports feeds every exchange."""
    with SimBoard(3, 1) as b:
        b.route_outbound("4321", callee_answers(1))
        gen = DtmfGenerator(b.n_ports)
        for port, number in ((0, "4321"), (2, "4320")):
            b.hook(port, True)
            gen.start(port, number, on_ms=50, off_ms=50, level_dbm0=-12.0, twist_db=2.0)
        events: list[SimEvent] = []
        for _ in range(50 * 8):  # 8 s in 20 ms blocks
            b.exchange(gen.read(160))
            events += b.poll()
        assert [b.dialled_number(p) for p in (0, 2)] == ["4321", "4320"]
        assert [e.arg for e in of(events, EV.NUMBER_COMPLETE, 0)] == [DialResult.ROUTED]
        assert [e.arg for e in of(events, EV.NUMBER_COMPLETE, 2)] == [DialResult.UNROUTED]
        assert len(of(events, EV.ANSWER, 0)) == 1 and of(events, EV.ANSWER, 2) == []
        assert b.state(1).dial_state is DialState.IDLE
