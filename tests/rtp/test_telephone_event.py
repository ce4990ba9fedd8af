"""RFC 4733 telephone events: the sender's packet sequence and the receiver's key presses."""

from __future__ import annotations

import pytest

from pycti.rtp.telephone_event import (
    EVENT_DIGITS,
    EventPacket,
    TelephoneEventError,
    TelephoneEventReceiver,
    TelephoneEventSender,
    build_event_payload,
    digit_to_event,
    event_to_digit,
    parse_event_payload,
)


def _run(sender: TelephoneEventSender, ticks: int, ts0: int = 1000) -> list[tuple[int, EventPacket]]:
    """(tick index, packet) for ``ticks`` 20 ms ticks."""
    out = []
    for k in range(ticks):
        out += [(k, p) for p in sender.tick(ts0 + 160 * k)]
    return out


def test_sender_sequence_for_one_key_press():
    tx = TelephoneEventSender()
    tx.press("5", duration_ms=100, volume_dbm0=-10)
    pkts = _run(tx, 8)
    assert [k for k, _ in pkts] == [0, 1, 2, 3, 4, 5, 6]  # 5 ticks of event, 2 end repeats
    assert all(p.timestamp == 1000 for _, p in pkts)  # the event keeps its start timestamp
    assert [p.marker for _, p in pkts] == [True] + [False] * 6
    blocks = [parse_event_payload(p.payload) for _, p in pkts]
    assert [b.duration for b in blocks] == [160, 320, 480, 640, 800, 800, 800]
    assert [b.end for b in blocks] == [False] * 4 + [True] * 3
    assert {(b.event, b.volume) for b in blocks} == {(5, 10)}
    assert pkts[0][1].payload == bytes([5, 10, 0, 160])  # event | E R volume | duration
    assert pkts[4][1].payload == bytes([5, 0x80 | 10, 800 >> 8, 800 & 0xFF])
    assert tx.idle is False  # the 60 ms inter-digit gap is still running
    assert tx.tick(9999) == [] and tx.tick(9999) == []
    assert tx.idle


def test_audio_is_covered_until_the_first_end_packet():
    tx = TelephoneEventSender(gap_ms=0)
    tx.press("#", duration_ms=60)
    covered = []
    for k in range(6):
        tx.tick(160 * k)
        covered.append(tx.covering)
    assert covered == [True, True, True, False, False, False]  # start, update, end | repeats | idle


def test_receiver_reports_one_press_from_the_three_end_packets():
    tx = TelephoneEventSender(gap_ms=0)
    for d in "19*#":
        tx.press(d, duration_ms=80)
    rx = TelephoneEventReceiver()
    got = []
    for k, p in _run(tx, 40):
        got += rx.receive(p.timestamp, p.marker, p.payload, now_s=0.02 * k)
    assert [g.digit for g in got] == list("19*#")
    assert all(g.duration_ms == 80.0 and g.ended_by == "end" and not g.start_lost for g in got)
    assert all(g.volume_dbm0 == -10 for g in got)


def test_an_rfc4733_style_sequence_with_50ms_updates():
    """Digit 9 at timestamp 0, updates every 400 units (50 ms), end at 1600, sent three times."""
    rx = TelephoneEventReceiver()
    seq = [(True, False, 400), (False, False, 800), (False, False, 1200), (False, True, 1600),
           (False, True, 1600), (False, True, 1600)]
    out = []
    for i, (marker, end, duration) in enumerate(seq):
        out += rx.receive(0, marker, build_event_payload(9, end, 7, duration), now_s=0.05 * i)
    assert len(out) == 1
    assert (out[0].digit, out[0].duration_ms, out[0].volume_dbm0, out[0].ended_by) == ("9", 200.0, -7, "end")


def test_lost_start_packet_is_detected():
    rx = TelephoneEventReceiver()
    out = []
    for i, (end, duration) in enumerate([(False, 320), (True, 480), (True, 480)]):
        out += rx.receive(5000, False, build_event_payload(0, end, 10, duration), now_s=0.02 * i)
    assert len(out) == 1 and out[0].start_lost and out[0].digit == "0"


def test_missing_end_is_tolerated_by_timeout():
    rx = TelephoneEventReceiver(timeout_s=0.25)
    for i, duration in enumerate((160, 320, 480)):
        assert rx.receive(7000, i == 0, build_event_payload(12, False, 10, duration), now_s=0.02 * i) == []
    assert rx.poll(0.04 + 0.24) == []  # not yet
    out = rx.poll(0.04 + 0.26)
    assert len(out) == 1 and (out[0].digit, out[0].duration_ms, out[0].ended_by) == ("A", 60.0, "timeout")
    # a straggling end packet of the timed-out event does not report it twice
    assert rx.receive(7000, False, build_event_payload(12, True, 10, 640), now_s=0.4) == []


def test_missing_end_then_next_event_closes_the_first():
    rx = TelephoneEventReceiver()
    rx.receive(0, True, build_event_payload(1, False, 10, 160), 0.0)
    rx.receive(0, False, build_event_payload(1, False, 10, 320), 0.02)
    out = rx.receive(800, True, build_event_payload(2, False, 10, 160), 0.10)
    assert [(d.digit, d.ended_by, d.duration_ms) for d in out] == [("1", "next", 40.0)]
    out = rx.receive(800, False, build_event_payload(2, True, 10, 320), 0.12)
    assert [(d.digit, d.ended_by) for d in out] == [("2", "end")]


def test_same_digit_twice_is_two_presses():
    tx = TelephoneEventSender()
    tx.press("7", 40)
    tx.press("7", 40)
    rx = TelephoneEventReceiver()
    got = []
    for k, p in _run(tx, 30):
        got += rx.receive(p.timestamp, p.marker, p.payload, 0.02 * k)
    assert [g.digit for g in got] == ["7", "7"] and got[0].timestamp != got[1].timestamp


def test_late_packets_of_an_ended_event_are_dropped():
    rx = TelephoneEventReceiver()
    rx.receive(100, True, build_event_payload(3, False, 10, 160), 0.0)
    assert len(rx.receive(100, False, build_event_payload(3, True, 10, 320), 0.02)) == 1
    assert rx.receive(100, False, build_event_payload(3, False, 10, 160), 0.03) == []  # reordered update
    assert rx.receive(100 - 800, True, build_event_payload(4, True, 10, 160), 0.04) == []  # older event


def test_digit_mapping_covers_every_pycti_digit_and_flash():
    assert [digit_to_event(d) for d in "0123456789*#ABCD"] == list(range(16))
    assert digit_to_event("b") == 13 and event_to_digit(16) == "!" and event_to_digit(17) is None
    assert "".join(event_to_digit(e) or "" for e in range(17)) == EVENT_DIGITS
    with pytest.raises(TelephoneEventError, match="'E'"):
        digit_to_event("E")


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"digit": "5", "duration_ms": 10}, "duration 10 ms"),
    ({"digit": "5", "duration_ms": 9000}, "duration 9000 ms"),
    ({"digit": "5", "volume_dbm0": -64}, "volume -64"),
    ({"digit": "x"}, "'x'"),
])
def test_press_validates(kwargs, needle):
    with pytest.raises(TelephoneEventError, match=needle):
        TelephoneEventSender().press(**kwargs)


def test_short_payload_is_refused():
    with pytest.raises(TelephoneEventError, match="3 octets"):
        parse_event_payload(b"\x01\x02\x03")
