"""RTP fixed header parse and build (RFC 3550 §5.1, §5.3.1).

A packet is ``V=2 | P | X | CC | M | PT | sequence | timestamp | SSRC | CSRC list``, then an
optional header extension (16-bit profile word, 16-bit length in 32-bit words, RFC 3550
§5.3.1), the payload and, when P is set, padding whose last octet counts the padding octets
(itself included).  :func:`parse_rtp` checks everything RFC 3550 A.1 asks of a header
(version 2, a padding count that fits, CSRC list and extension within the packet) and raises
:class:`RtpError` naming the offending value otherwise.  RTCP packets that share a port
(RFC 5761 payload types 64-95 with the marker bit) are not RTP: :func:`is_rtcp` tells them apart.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from pycti.errors import PyctiError

__all__ = ["RTP_HEADER_BYTES", "RtpError", "RtpPacket", "build_rtp", "build_rtp_fast", "is_rtcp", "parse_rtp"]

RTP_HEADER_BYTES = 12  #: fixed header, without CSRCs or extension
_HEADER = struct.Struct("!BBHII")
_EXT = struct.Struct("!HH")
_pack_header = _HEADER.pack
_unpack_header = _HEADER.unpack_from
_new = tuple.__new__


class RtpError(PyctiError, ValueError):
    """An RTP or RTCP packet that is malformed, or a field out of range when building one."""


class RtpPacket(NamedTuple):
    """One RTP packet, as parsed or to be built (a tuple: cheap on the per-packet path).

    ``extension`` is ``(profile, data)`` with ``len(data)`` a multiple of 4, or ``None``;
    ``payload`` excludes padding; ``padding`` is the number of padding octets (0 when P is
    clear).
    """

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extension: tuple[int, bytes] | None = None
    padding: int = 0


def is_rtcp(data: bytes) -> bool:
    """True when ``data`` looks like RTCP multiplexed on the RTP port (RFC 5761 §4: second
    octet 192-223, i.e. RTCP packet types 200-204 and the reserved neighbours)."""
    return len(data) >= 2 and 192 <= data[1] <= 223


def parse_rtp(data: bytes) -> RtpPacket:
    """Parse one RTP packet; :class:`RtpError` names what is wrong with a malformed one."""
    n = len(data)
    if n < RTP_HEADER_BYTES:
        raise RtpError(f"RTP packet of {n} octets is shorter than the 12-octet fixed header")
    b0, b1, seq, ts, ssrc = _unpack_header(data)
    if b0 == 0x80:  # the media path's packet: no padding, extension or CSRC
        return _new(RtpPacket, (b1 & 0x7F, seq, ts, ssrc, bytes(data[RTP_HEADER_BYTES:]), b1 >= 0x80, (), None, 0))
    if b0 >> 6 != 2:
        raise RtpError(f"RTP version {b0 >> 6}, expected 2")
    offset = RTP_HEADER_BYTES
    cc = b0 & 0x0F
    csrcs: tuple[int, ...] = ()
    if cc:
        offset += 4 * cc
        if offset > n:
            raise RtpError(f"RTP CSRC count {cc} runs past the end of a {n}-octet packet")
        csrcs = struct.unpack_from(f"!{cc}I", data, RTP_HEADER_BYTES)
    extension = None
    if b0 & 0x10:
        if offset + 4 > n:
            raise RtpError(f"RTP extension bit set but a {n}-octet packet has no extension header")
        profile, words = _EXT.unpack_from(data, offset)
        end = offset + 4 + 4 * words
        if end > n:
            raise RtpError(f"RTP extension of {words} words runs past the end of a {n}-octet packet")
        extension = (profile, bytes(data[offset + 4 : end]))
        offset = end
    padding = 0
    end = n
    if b0 & 0x20:
        padding = data[-1]
        if padding == 0 or offset + padding > n:
            raise RtpError(f"RTP padding count {padding} does not fit a {n}-octet packet")
        end = n - padding
    return RtpPacket(b1 & 0x7F, seq, ts, ssrc, bytes(data[offset:end]), bool(b1 & 0x80), csrcs, extension, padding)


def build_rtp(packet: RtpPacket) -> bytes:
    """Serialise ``packet``; :class:`RtpError` for a field out of range (PT 0-127, sequence
    0-65535, timestamp and SSRC 32-bit, at most 15 CSRCs, padding 0-255)."""
    pt, seq, ts, ssrc, payload, marker, csrcs, extension, padding = packet
    if not 0 <= pt <= 127:
        raise RtpError(f"RTP payload type {pt} is outside 0-127")
    if not 0 <= seq <= 0xFFFF:
        raise RtpError(f"RTP sequence number {seq} is outside 0-65535")
    if not 0 <= ts <= 0xFFFFFFFF or not 0 <= ssrc <= 0xFFFFFFFF:
        raise RtpError(f"RTP timestamp {ts} or SSRC {ssrc} is not a 32-bit unsigned value")
    if len(csrcs) > 15:
        raise RtpError(f"RTP packet can carry 15 CSRCs, got {len(csrcs)}")
    if not 0 <= padding <= 255:
        raise RtpError(f"RTP padding {padding} is outside 0-255")
    b0 = 0x80 | len(csrcs) | (0x20 if padding else 0) | (0x10 if extension is not None else 0)
    parts = [_pack_header(b0, pt | (0x80 if marker else 0), seq, ts, ssrc)]
    if csrcs:
        parts.append(struct.pack(f"!{len(csrcs)}I", *csrcs))
    if extension is not None:
        profile, data = extension
        if len(data) % 4 or not 0 <= profile <= 0xFFFF:
            raise RtpError(f"RTP extension data of {len(data)} octets is not whole 32-bit words "
                           f"(or profile {profile} is not 16-bit)")
        parts.append(_EXT.pack(profile, len(data) // 4) + data)
    parts.append(payload)
    if padding:
        parts.append(bytes(padding - 1) + bytes((padding,)))
    return b"".join(parts)


def build_rtp_fast(payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, marker: bool) -> bytes:
    """The plain packet of the media path (no CSRC, extension or padding) without building an
    :class:`RtpPacket`; the caller keeps the fields in range (the send stream does)."""
    return _pack_header(0x80, payload_type | (0x80 if marker else 0), sequence, timestamp, ssrc) + payload
