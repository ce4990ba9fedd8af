"""DTMF caller ID (pycti.dsp.callerid_dtmf): digit framing, parser, and the receiver on real tones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp.callerid import CallerId, CallerIdError, CallerIdEvent
from pycti.dsp.callerid_dtmf import (
    DtmfCallerIdParser,
    DtmfCallerIdReceiver,
    dtmf_callerid_digits,
    dtmf_callerid_signal,
    parse_dtmf_callerid,
)
from pycti.dsp.dtmf import dtmf_tones

MS = 8  # samples per millisecond


@pytest.mark.parametrize(
    "number,fmt,absence,digits",
    [
        ("0123456789", "D...C", None, "D0123456789C"),
        ("4533221100", "A...#", None, "A4533221100#"),
        (None, "D...C", "unavailable", "B00C"),
        (None, "D...C", "private", "B10C"),
        (None, "A...#", "private", "D1#"),
        (None, "A...#", "unavailable", "D3#"),
    ],
)
def test_digit_strings_and_parse_back(number, fmt, absence, digits) -> None:
    assert dtmf_callerid_digits(number, fmt=fmt, absence=absence) == digits
    expected = CallerId(number=number) if number else CallerId(number_absence=absence)
    assert parse_dtmf_callerid(digits) == expected


def test_parser_accepts_the_other_spellings() -> None:
    assert parse_dtmf_callerid("A123C") == CallerId(number="123")
    assert parse_dtmf_callerid("DB10C") == CallerId(number_absence="private")
    assert parse_dtmf_callerid("D2#") == CallerId(number_absence="unavailable")
    assert parse_dtmf_callerid("d55c") == CallerId(number="55")


@pytest.mark.parametrize(
    "digits,fragment",
    [
        ("", "start digit"),
        ("5551234C", "start digit"),
        ("D5551234", "end digit"),
        ("D", "end digit"),
        ("DC", "not a digit string"),
        ("D12*4C", "not a digit string"),
        ("B99C", "information code B99"),
        ("D7#", "information code D7#"),
    ],
)
def test_parse_rejects_malformed_sequences(digits: str, fragment: str) -> None:
    with pytest.raises(CallerIdError, match=fragment):
        parse_dtmf_callerid(digits)


def test_generator_rejects_bad_input() -> None:
    with pytest.raises(CallerIdError):
        dtmf_callerid_digits("12a4")
    with pytest.raises(CallerIdError):
        dtmf_callerid_digits(None)
    with pytest.raises(CallerIdError):
        dtmf_callerid_digits("1", absence="private")
    with pytest.raises(ValueError):
        dtmf_callerid_digits("1", fmt="*...#")


def _feed_all(parser: DtmfCallerIdParser, digits: str):
    results = []
    for d in digits:
        results += parser.feed(d)
    return results


def test_streaming_parser() -> None:
    p = DtmfCallerIdParser(max_digits=8)
    [ok] = _feed_all(p, "D123C")
    assert ok.caller_id == CallerId(number="123") and ok.digits == "D123C" and p.pending == ""
    # A new start digit cuts the pending sequence short; the new one then completes.
    cut, ok = _feed_all(p, "D12A45#")
    assert cut.caller_id is None and "cut short" in cut.error and cut.digits == "D12"
    assert ok.caller_id == CallerId(number="45")
    # Digits without a start digit: an error at the end digit, or on expiry.
    [stray] = _feed_all(p, "555C")
    assert stray.caller_id is None and "start digit" in stray.error
    assert _feed_all(p, "77") == [] and p.pending == "77"
    expired = p.expire()
    assert expired.caller_id is None and "start and end" in expired.error and p.expire() is None
    assert _feed_all(p, "D12") == []
    assert "end digit" in p.expire().error
    [long] = _feed_all(p, "D12345678")
    assert long.caller_id is None and "longer than 8" in long.error


def _with_silence(x: np.ndarray, lead: int = 400, tail: int = 8000) -> np.ndarray:
    return np.r_[np.zeros(lead, np.int16), x, np.zeros(tail, np.int16)]


def _receive(x: np.ndarray, block: int | None = 160, **kw) -> list[CallerIdEvent]:
    rx = DtmfCallerIdReceiver(1 if x.ndim == 1 else x.shape[0], **kw)
    if block is None:
        return rx.process(x) + rx.flush()
    events: list[CallerIdEvent] = []
    for i in range(0, x.shape[-1], block):
        events += rx.process(x[..., i : i + block])
    return events + rx.flush()


@pytest.mark.parametrize("fmt", ["D...C", "A...#"])
@pytest.mark.parametrize("level_dbm0", [-5.0, -20.0])
def test_receiver_round_trip(fmt: str, level_dbm0: float) -> None:
    x = dtmf_callerid_signal("0123456789", fmt=fmt, level_dbm0=level_dbm0)
    assert x.dtype == np.int16 and x.size == 12 * 140 * MS
    events = _receive(_with_silence(x))
    assert len(events) == 1
    ev = events[0]
    assert ev.caller_id == CallerId(number="0123456789") and ev.error is None
    assert ev.raw == dtmf_callerid_digits("0123456789", fmt=fmt).encode() and ev.signalling == "dtmf"
    assert abs(ev.start_sample - 400) <= 5 * MS
    assert abs(ev.end_sample - (400 + x.size - 70 * MS)) <= 5 * MS


@pytest.mark.parametrize("fmt", ["D...C", "A...#"])
@pytest.mark.parametrize("absence", ["private", "unavailable"])
def test_receiver_absence_codes(fmt: str, absence: str) -> None:
    events = _receive(_with_silence(dtmf_callerid_signal(None, fmt=fmt, absence=absence)))
    assert [e.caller_id for e in events] == [CallerId(number_absence=absence)]


@pytest.mark.parametrize(
    "digits,fragment",
    [("D5551234", "end digit"), ("5551234C", "start digit"), ("5551234", "start and end"), ("DC", "not a digit")],
)
def test_receiver_reports_malformed_sequences(digits: str, fragment: str) -> None:
    events = _receive(_with_silence(dtmf_tones(digits, on_ms=70, off_ms=70)))
    assert len(events) == 1
    assert events[0].caller_id is None and fragment in events[0].error
    assert events[0].raw == digits.encode()


def test_a_long_pause_splits_a_sequence() -> None:
    x = np.r_[
        dtmf_tones("D123", on_ms=70, off_ms=70), np.zeros(8000, np.int16), dtmf_tones("456C", on_ms=70, off_ms=70)
    ]
    events = _receive(_with_silence(x))
    assert [(e.raw, e.caller_id) for e in events] == [(b"D123", None), (b"456C", None)]
    assert "end digit" in events[0].error and "start digit" in events[1].error
    # Without flush: the first is reported once the gap has passed, while the signal goes on.
    rx = DtmfCallerIdReceiver(1)
    early = rx.process(_with_silence(x, tail=0)[: 400 + 4 * 140 * MS + 8000])
    assert [e.raw for e in early] == [b"D123"]


def test_multichannel_receiver() -> None:
    a = dtmf_callerid_signal("4712345", fmt="A...#")
    b = dtmf_callerid_signal(None, absence="private")
    c = dtmf_tones("D99", on_ms=70, off_ms=70)
    x = np.zeros((4, 24000), np.int16)
    x[0, 100 : 100 + a.size] = a
    x[1, 3000 : 3000 + b.size] = b
    x[3, 5000 : 5000 + c.size] = c
    events = _receive(x)
    by_channel = {e.channel: e for e in events}
    assert sorted(by_channel) == [0, 1, 3] and len(events) == 3
    assert by_channel[0].caller_id == CallerId(number="4712345")
    assert by_channel[1].caller_id == CallerId(number_absence="private")
    assert by_channel[3].caller_id is None and "end digit" in by_channel[3].error


@settings(deadline=None, max_examples=8, database=None)
@given(block=st.integers(37, 1500), number=st.text(alphabet="0123456789", min_size=1, max_size=8))
def test_receiver_block_size_invariance(block: int, number: str) -> None:
    x = np.zeros((2, 20000), np.int16)
    good = dtmf_callerid_signal(number)
    bad = dtmf_tones("A" + number, on_ms=70, off_ms=70)
    x[0, 200 : 200 + good.size] = good
    x[1, 900 : 900 + bad.size] = bad
    whole = _receive(x, block=None)
    assert sorted((e.channel, e.caller_id) for e in whole) == [(0, CallerId(number=number)), (1, None)]
    assert _receive(x, block=block) == whole
