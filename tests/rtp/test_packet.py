"""RTP header parse/build (RFC 3550 §5.1, §5.3.1) on hand-assembled bytes."""

from __future__ import annotations

import struct

import pytest

from pycti.rtp.packet import RtpError, RtpPacket, build_rtp, build_rtp_fast, is_rtcp, parse_rtp


def test_plain_header_fields_at_their_bit_positions():
    # V=2 P=0 X=0 CC=0 | M=1 PT=8 | seq 0xBEEF | ts 0x01020304 | SSRC 0xDEADBEEF
    data = bytes([0x80, 0x88, 0xBE, 0xEF, 1, 2, 3, 4, 0xDE, 0xAD, 0xBE, 0xEF]) + b"\xd5" * 160
    p = parse_rtp(data)
    assert (p.payload_type, p.marker, p.sequence, p.timestamp, p.ssrc) == (8, True, 0xBEEF, 0x01020304, 0xDEADBEEF)
    assert p.payload == b"\xd5" * 160 and p.csrcs == () and p.extension is None and p.padding == 0
    assert build_rtp(p) == data
    assert build_rtp_fast(8, 0xBEEF, 0x01020304, 0xDEADBEEF, b"\xd5" * 160, True) == data


def test_csrc_extension_and_padding_round_trip():
    p = RtpPacket(0, 65535, 0xFFFFFFFF, 7, b"\xff" * 80, False, (1, 2, 3), (0xBEDE, b"\x10\x01\x00\x00"), 4)
    data = build_rtp(p)
    assert data[0] == 0x80 | 0x20 | 0x10 | 3
    assert len(data) == 12 + 12 + 4 + 4 + 80 + 4 and data[-1] == 4
    assert struct.unpack_from("!3I", data, 12) == (1, 2, 3)
    assert parse_rtp(data) == p


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"\x80\x00\x00", "shorter than the 12-octet"),
        (bytes([0x40, 0]) + bytes(10), "version 1"),
        (bytes([0x82, 0]) + bytes(14), "CSRC count 2"),
        (bytes([0x90, 0]) + bytes(10) + b"\x00\x00", "no extension header"),
        (bytes([0x90, 0]) + bytes(10) + b"\xbe\xde\x00\x05" + bytes(4), "extension of 5 words"),
        (bytes([0xA0, 0]) + bytes(10) + b"\x01\x02\x00", "padding count 0"),
        (bytes([0xA0, 0]) + bytes(10) + b"\x01\x09", "padding count 9"),
    ],
)
def test_malformed_packets_are_refused_with_the_value(data: bytes, needle: str):
    with pytest.raises(RtpError, match=needle):
        parse_rtp(data)


@pytest.mark.parametrize(
    ("packet", "needle"),
    [
        (RtpPacket(128, 0, 0, 0, b""), "payload type 128"),
        (RtpPacket(0, 70000, 0, 0, b""), "sequence number 70000"),
        (RtpPacket(0, 0, 1 << 32, 0, b""), "timestamp"),
        (RtpPacket(0, 0, 0, 0, b"", csrcs=tuple(range(16))), "15 CSRCs"),
        (RtpPacket(0, 0, 0, 0, b"", extension=(1, b"abc")), "whole 32-bit words"),
    ],
)
def test_build_refuses_out_of_range_fields(packet: RtpPacket, needle: str):
    with pytest.raises(RtpError, match=needle):
        build_rtp(packet)


def test_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_rtp(b"")


def test_rtcp_is_told_apart_from_rtp_on_a_shared_port():
    assert is_rtcp(bytes([0x81, 200, 0, 6]))  # SR
    assert is_rtcp(bytes([0x80, 201, 0, 1]))  # RR
    assert not is_rtcp(bytes([0x80, 0x00]))  # PCMU
    assert not is_rtcp(bytes([0x80, 0x80 | 101]))  # telephone-event with marker (229 > 223)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    pt=st.integers(0, 127), seq=st.integers(0, 0xFFFF), ts=st.integers(0, 0xFFFFFFFF), ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=64), marker=st.booleans(), csrcs=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15),
    ext=st.none() | st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=12).map(lambda b: b + bytes(-len(b) % 4))),
    padding=st.integers(0, 255),
)
def test_any_valid_packet_round_trips(pt, seq, ts, ssrc, payload, marker, csrcs, ext, padding):
    p = RtpPacket(pt, seq, ts, ssrc, payload, marker, tuple(csrcs), ext, padding)
    assert parse_rtp(build_rtp(p)) == p


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_arbitrary_bytes_parse_or_raise_rtp_error(data):
    try:
        p = parse_rtp(data)
    except RtpError:
        return
    assert len(p.payload) + p.padding + 12 + 4 * len(p.csrcs) <= len(data)
