"""Tests of HDLC framing for T.30 (pycti.dsp.hdlc): FCS, transparency, flags, abort, streaming."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.dsp.hdlc import (
    FCS_CHECK_VALUE,
    FCS_GOOD_RESIDUE,
    FLAG_BITS,
    Aborted,
    FlagsDetected,
    FrameStatus,
    HdlcDecoder,
    HdlcEncoder,
    HdlcError,
    HdlcEvent,
    HdlcFrame,
    HdlcResult,
    crc16_update,
    fcs16,
    stuff_bits,
)
from pycti.errors import PyctiError

#: A T.30 DIS-like frame: address 0xFF, control 0x13 (final frame), FCF 0x80 (DIS), FIF octets.
DIS = bytes([0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF8, 0x80, 0x80, 0x91, 0x00, 0x00])
#: A frame full of octets that look like flags and escapes when not stuffed.
FLAGGY = bytes([0xFF, 0x03, 0x7E, 0x7E, 0x7D, 0x7E, 0xFF, 0xFF, 0x3F, 0x7D, 0xFC])

payloads = st.binary(min_size=2, max_size=40) | st.lists(
    st.sampled_from([0x7E, 0x7D, 0xFF, 0x3F, 0xFC, 0x00]), min_size=2, max_size=40
).map(bytes)


def stuff_reference(bits: list[int]) -> list[int]:
    """Zero insertion bit by bit, as ISO 3309 words it."""
    out, ones = [], 0
    for b in bits:
        out.append(b)
        ones = ones + 1 if b else 0
        if ones == 5:
            out.append(0)
            ones = 0
    return out


def decode_all(bits: np.ndarray, chunks: list[int] | None = None, **kw: int) -> HdlcResult:
    """Decode ``bits`` fed in pieces of the given sizes (the rest in one piece)."""
    dec = HdlcDecoder(**kw)
    frames: list[HdlcFrame] = []
    events: list[HdlcEvent] = []
    at = 0
    for size in (chunks or []) + [bits.size]:
        r = dec.process(bits[at : at + size])
        frames += r.frames
        events += r.events
        at += size
        if at >= bits.size:
            break
    return HdlcResult(tuple(frames), tuple(events))


def test_fcs_check_value_and_good_residue() -> None:
    # The catalogued check value of the V.41/X.25 FCS over the nine ASCII digits.
    assert fcs16(b"123456789") == FCS_CHECK_VALUE == 0x906E
    for data in (b"123456789", DIS, FLAGGY, b"\x00\x00"):
        fcs = fcs16(data)
        assert crc16_update(data + bytes([fcs & 0xFF, fcs >> 8])) == FCS_GOOD_RESIDUE == 0xF0B8


def test_frame_bits_are_lsb_first_with_fcs_low_octet_first() -> None:
    bits = HdlcEncoder().frame(b"\x01\x80")
    fcs = fcs16(b"\x01\x80")
    expected = np.unpackbits(np.frombuffer(bytes([0x01, 0x80, fcs & 0xFF, fcs >> 8]), np.uint8), bitorder="little")
    assert np.array_equal(bits, stuff_bits(expected))
    assert bits[:8].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]


def test_stuffing_five_ones() -> None:
    assert stuff_bits([1, 1, 1, 1, 1]).tolist() == [1, 1, 1, 1, 1, 0]
    assert stuff_bits([1, 1, 1, 1, 0, 1]).tolist() == [1, 1, 1, 1, 0, 1]
    assert stuff_bits([1] * 10).tolist() == [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0]
    assert stuff_bits([0, 1, 1, 1, 1, 1, 1, 0]).tolist() == [0, 1, 1, 1, 1, 1, 0, 1, 0]
    assert stuff_bits([]).size == 0


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 1), max_size=300))
def test_stuffing_matches_the_bitwise_rule_and_never_makes_six_ones(bits: list[int]) -> None:
    out = stuff_bits(bits)
    assert out.tolist() == stuff_reference(bits)
    assert "111111" not in "".join(map(str, out.tolist()))


def test_flag_stuffed_payload_holds_no_flag() -> None:
    body = HdlcEncoder().frame(FLAGGY)
    text = "".join(map(str, body.tolist()))
    assert "01111110" not in text and "1111111" not in text


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(payloads, min_size=1, max_size=4), st.booleans())
def test_round_trip(frames: list[bytes], shared: bool) -> None:
    bits = HdlcEncoder(shared_flags=shared).encode(frames, preamble_ms=80.0)
    result = decode_all(bits)
    assert [f.payload for f in result.frames] == frames
    assert all(f.fcs_ok and f.status is FrameStatus.OK for f in result.frames)
    assert result.events == (FlagsDetected(16),)
    # The last frame ends with the closing flag, the last bit sent.
    assert result.frames[-1].end_bit == bits.size


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(payloads, min_size=1, max_size=3), st.lists(st.integers(1, 40), max_size=30))
def test_any_chunking_gives_the_same_frames_and_events(frames: list[bytes], chunks: list[int]) -> None:
    bits = HdlcEncoder().encode(frames, preamble_ms=60.0)
    # Some noise and an abort after the frames, so the tail handling is exercised too.
    bits = np.concatenate([bits, [1, 0, 1, 1, 0], [1] * 9, FLAG_BITS, FLAG_BITS, stuff_bits([1] * 20)])
    assert decode_all(bits, chunks) == decode_all(bits)
    assert decode_all(bits, [1] * bits.size) == decode_all(bits)


def test_preamble_is_t30_one_second_of_flags() -> None:
    enc = HdlcEncoder(bit_rate_bps=300)
    n = enc.preamble_flags()
    assert n == 38
    assert 0.85 <= n * 8 / 300 <= 1.15  # T.30 clause 5.3: 1 s +- 15 %
    pre = enc.preamble()
    assert np.array_equal(pre, np.tile(FLAG_BITS, 38))
    assert HdlcEncoder(bit_rate_bps=9600).preamble_flags(200.0) == 240


def test_encode_layout_shared_and_separate_flags() -> None:
    enc, shared = HdlcEncoder(), HdlcEncoder(shared_flags=True)
    a, b = enc.frame(DIS), enc.frame(FLAGGY)
    f = FLAG_BITS
    assert np.array_equal(enc.encode([DIS, FLAGGY], preamble_ms=0.0), np.concatenate([f, a, f, f, b, f]))
    two_closing = shared.encode([DIS, FLAGGY], preamble_ms=0.0, closing_flags=2)
    assert np.array_equal(two_closing, np.concatenate([f, a, f, b, f, f]))


def test_flags_sharing_a_zero_and_frames_after_them() -> None:
    shared_zero = np.array([0] + [1, 1, 1, 1, 1, 1, 0] * 6, dtype=np.uint8)  # 011111101111110...
    bits = np.concatenate([shared_zero, HdlcEncoder().frame(DIS), FLAG_BITS])
    result = decode_all(bits)
    assert [f.payload for f in result.frames] == [DIS]
    assert result.events == (FlagsDetected(15),)


@pytest.mark.parametrize("position", range(0, 13 * 8, 1))
def test_any_corrupted_bit_is_caught(position: int) -> None:
    enc = HdlcEncoder()
    body = enc.frame(DIS)
    bits = np.concatenate([enc.flags(4), body, enc.flags(2)])
    bits[32 + position] ^= 1
    result = decode_all(bits)
    assert not any(f.fcs_ok for f in result.frames)
    # The damage shows: a bad frame, an abort, or (seven ones straight after a flag look like an
    # idle line) a loss of synchronisation and a new flag sequence.
    flag_sequences = sum(isinstance(e, FlagsDetected) for e in result.events)
    aborts = sum(isinstance(e, Aborted) for e in result.events)
    assert len(result.frames) + aborts + (flag_sequences - 1) >= 1


def test_bad_fcs_keeps_the_received_octets() -> None:
    body = HdlcEncoder().frame(DIS)
    body[20] ^= 1
    (frame,) = decode_all(np.concatenate([np.tile(FLAG_BITS, 3), body, FLAG_BITS])).frames
    assert frame.status is FrameStatus.BAD_FCS and not frame.fcs_ok
    assert len(frame.payload) == len(DIS) and frame.payload != DIS


def test_abort_ends_a_frame_without_reporting_it() -> None:
    enc = HdlcEncoder()
    body = enc.frame(DIS)
    bits = np.concatenate([enc.flags(3), body[:40], [1] * 7, enc.flags(3), body, FLAG_BITS])
    result = decode_all(bits)
    cut = body[:40].tolist()
    ones_before = len(cut) - len("".join(map(str, cut)).rstrip("1"))  # the run the abort extends
    seventh_one = 24 + 40 + 7 - ones_before
    assert result.events == (FlagsDetected(16), Aborted(seventh_one), FlagsDetected(24 + 40 + 7 + 16))
    # After the abort the decoder hunts again; the following good frame still comes through.
    assert [f.payload for f in result.frames] == [DIS]


def test_idle_ones_lose_synchronisation() -> None:
    dec = HdlcDecoder()
    dec.process(np.tile(FLAG_BITS, 3))
    assert dec.synchronised
    dec.process(np.ones(15, np.uint8))
    assert not dec.synchronised
    assert dec.bits_seen == 39


def test_short_unaligned_and_long_frames_are_reported_bad() -> None:
    enc = HdlcEncoder()
    f = np.tile(FLAG_BITS, 3)
    short = stuff_bits(np.unpackbits(np.frombuffer(b"\xff\x03", np.uint8), bitorder="little"))
    unaligned = np.concatenate([enc.frame(DIS), [0, 1, 0]])
    long_payload = bytes(range(40))
    bits = np.concatenate([f, short, f, unaligned, f, enc.frame(long_payload), f, enc.frame(DIS), f])
    result = decode_all(bits, max_octets=20)
    statuses = [fr.status for fr in result.frames]
    assert statuses == [FrameStatus.TOO_SHORT, FrameStatus.NOT_OCTET_ALIGNED, FrameStatus.TOO_LONG, FrameStatus.OK]
    assert not any(fr.fcs_ok for fr in result.frames[:3])
    assert result.frames[2].payload == long_payload[:18]  # max_octets less the FCS's two
    assert result.frames[3].payload == DIS
    # The same bits in small pieces give the same answer.
    assert decode_all(bits, [7] * 200, max_octets=20) == result


def test_before_synchronisation_only_good_frames_count() -> None:
    enc = HdlcEncoder()
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 2, 4000).astype(np.uint8)
    # Random bits imitate flags now and then; nothing they frame passes the FCS.
    assert decode_all(noise, min_flags=3).frames == ()
    # A single flag and a good frame are enough for a frame (the FCS vouches for it).
    result = decode_all(np.concatenate([FLAG_BITS, enc.frame(DIS), FLAG_BITS]))
    assert [f.payload for f in result.frames] == [DIS] and result.events == ()


def test_reset_starts_over() -> None:
    dec = HdlcDecoder()
    bits = HdlcEncoder().encode([DIS], preamble_ms=50.0)
    first = dec.process(bits[:30])
    dec.reset()
    assert dec.bits_seen == 0 and not dec.synchronised
    assert dec.process(bits) == decode_all(bits)
    assert first.frames == ()


def test_bad_arguments_raise_hdlc_error() -> None:
    enc = HdlcEncoder()
    for call in (
        lambda: enc.frame("text"),  # type: ignore[arg-type]
        lambda: enc.frame(b"\xff"),
        lambda: enc.flags(-1),
        lambda: enc.preamble(float("nan")),
        lambda: enc.encode([DIS], closing_flags=0),
        lambda: HdlcEncoder(bit_rate_bps=0),
        lambda: HdlcDecoder(max_octets=2),
        lambda: HdlcDecoder(min_octets=10, max_octets=5),
        lambda: HdlcDecoder().process(np.array([0, 2, 1])),
        lambda: HdlcDecoder().process(np.zeros((2, 2), np.uint8)),
    ):
        with pytest.raises(HdlcError) as info:
            call()
        assert isinstance(info.value, PyctiError) and isinstance(info.value, ValueError)
