"""RTCP packets and transmission interval (RFC 3550 §6, Appendix A.2 and A.7).

Packets (§6.4-§6.6): sender report (PT 200: sender info and report blocks), receiver report
(201), source description (202; CNAME and the other text items), BYE (203, with an optional
reason); anything else (APP 204, feedback ...) is kept as :class:`RtcpUnknown`.  A compound
packet (§6.1) is their concatenation; :func:`parse_compound` applies the validity checks of
A.2 (version 2, first packet SR or RR, padding only on the last, lengths adding up) and raises
:class:`~pycti.rtp.packet.RtpError` naming the offending value.

:func:`rtcp_interval` is the algorithm of §6.3.1 / A.7 (bandwidth split between senders and
receivers, the 5 s minimum halved at start, randomisation to 0.5-1.5 and the e - 3/2
compensation); it takes the random generator so that runs are reproducible.
:class:`RtcpScheduler` runs the transmission timer of §6.3.2 and §6.3.6 with timer
reconsideration: the caller's timer fires at :attr:`RtcpScheduler.next_s`, and
:meth:`RtcpScheduler.expire` says whether to send now or when to look again.
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass
from typing import Sequence, Union

from pycti.rtp.packet import RtpError

__all__ = [
    "NTP_UNIX_OFFSET_S",
    "Bye",
    "ReceiverReport",
    "ReportBlock",
    "RtcpPacket",
    "RtcpScheduler",
    "RtcpUnknown",
    "SdesChunk",
    "SenderReport",
    "SourceDescription",
    "build_compound",
    "build_rtcp",
    "ntp_middle32",
    "ntp_timestamp",
    "parse_compound",
    "rtcp_interval",
    "update_avg_rtcp_size",
]

PT_SR, PT_RR, PT_SDES, PT_BYE = 200, 201, 202, 203
SDES_CNAME = 1
NTP_UNIX_OFFSET_S = 2208988800  #: seconds from 1900-01-01 (NTP era 0) to 1970-01-01
_HDR = struct.Struct("!BBH")
_BLOCK = struct.Struct("!IBBHIIII")  # ssrc, fraction, lost (24 bits as 8+16), ext seq, jitter, lsr, dlsr
_SENDER = struct.Struct("!IIIIII")  # ssrc, ntp msw, ntp lsw, rtp ts, packets, octets


def ntp_timestamp(ntp_s: float) -> int:
    """64-bit NTP timestamp (32.32 fixed point) of ``ntp_s`` seconds since 1900."""
    return int(round(ntp_s * (1 << 32))) & 0xFFFFFFFFFFFFFFFF


def ntp_middle32(ntp: int) -> int:
    """The middle 32 bits of a 64-bit NTP timestamp: the LSR field of a report block."""
    return (ntp >> 16) & 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """One reception report (§6.4.1).  ``jitter`` in timestamp units; ``lsr`` middle 32 bits
    of the last SR's NTP time, ``dlsr`` delay since it in 1/65536 s."""

    ssrc: int
    fraction_lost: int
    cumulative_lost: int
    highest_sequence: int
    jitter: int
    lsr: int = 0
    dlsr: int = 0


@dataclass(frozen=True, slots=True)
class SenderReport:
    """SR (§6.4.1): ``ntp`` is the 64-bit NTP timestamp matching ``rtp_timestamp``."""

    ssrc: int
    ntp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    """RR (§6.4.2)."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()


@dataclass(frozen=True, slots=True)
class SdesChunk:
    """One SSRC's items (§6.5): ``(type, text)`` pairs, type 1 CNAME."""

    ssrc: int
    items: tuple[tuple[int, str], ...]

    @property
    def cname(self) -> str | None:
        """The CNAME item, if present."""
        return next((text for kind, text in self.items if kind == SDES_CNAME), None)


@dataclass(frozen=True, slots=True)
class SourceDescription:
    """SDES (§6.5)."""

    chunks: tuple[SdesChunk, ...]


@dataclass(frozen=True, slots=True)
class Bye:
    """BYE (§6.6)."""

    ssrcs: tuple[int, ...]
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RtcpUnknown:
    """A packet type this module does not interpret; ``body`` follows the 4-octet header."""

    packet_type: int
    count: int
    body: bytes


RtcpPacket = Union[SenderReport, ReceiverReport, SourceDescription, Bye, RtcpUnknown]


def _block_bytes(b: ReportBlock) -> bytes:
    if not -0x800000 <= b.cumulative_lost <= 0x7FFFFF or not 0 <= b.fraction_lost <= 255:
        raise RtpError(f"report block loss out of range: fraction {b.fraction_lost}, cumulative {b.cumulative_lost}")
    lost = b.cumulative_lost & 0xFFFFFF
    return _BLOCK.pack(b.ssrc, b.fraction_lost, lost >> 16, lost & 0xFFFF, b.highest_sequence, b.jitter, b.lsr, b.dlsr)


def _with_header(packet_type: int, count: int, body: bytes) -> bytes:
    if count > 31:
        raise RtpError(f"RTCP count {count} does not fit 5 bits (at most 31 report blocks/sources)")
    if len(body) % 4:
        body += bytes(4 - len(body) % 4)
    return _HDR.pack(0x80 | count, packet_type, len(body) // 4) + body


def build_rtcp(packet: RtcpPacket) -> bytes:
    """One RTCP packet (header, body padded to 32 bits; never the P bit)."""
    if isinstance(packet, SenderReport):
        ntp = packet.ntp
        body = _SENDER.pack(packet.ssrc, ntp >> 32, ntp & 0xFFFFFFFF, packet.rtp_timestamp & 0xFFFFFFFF,
                            packet.packet_count & 0xFFFFFFFF, packet.octet_count & 0xFFFFFFFF)
        return _with_header(PT_SR, len(packet.reports), body + b"".join(map(_block_bytes, packet.reports)))
    if isinstance(packet, ReceiverReport):
        body = struct.pack("!I", packet.ssrc) + b"".join(map(_block_bytes, packet.reports))
        return _with_header(PT_RR, len(packet.reports), body)
    if isinstance(packet, SourceDescription):
        parts = []
        for chunk in packet.chunks:
            items = b""
            for kind, text in chunk.items:
                raw = text.encode("utf-8")
                if not 1 <= kind <= 255 or len(raw) > 255:
                    raise RtpError(f"SDES item type {kind} or length {len(raw)} out of range")
                items += bytes((kind, len(raw))) + raw
            items += bytes(4 - len(items) % 4)  # at least one null octet ends the list
            parts.append(struct.pack("!I", chunk.ssrc) + items)
        return _with_header(PT_SDES, len(packet.chunks), b"".join(parts))
    if isinstance(packet, Bye):
        body = struct.pack(f"!{len(packet.ssrcs)}I", *packet.ssrcs)
        if packet.reason is not None:
            raw = packet.reason.encode("utf-8")
            if len(raw) > 255:
                raise RtpError(f"BYE reason of {len(raw)} octets is longer than 255")
            body += bytes((len(raw),)) + raw
        return _with_header(PT_BYE, len(packet.ssrcs), body)
    return _with_header(packet.packet_type, packet.count, packet.body)


def build_compound(packets: Sequence[RtcpPacket]) -> bytes:
    """A compound packet (§6.1): must start with an SR or RR."""
    if not packets or not isinstance(packets[0], (SenderReport, ReceiverReport)):
        raise RtpError("a compound RTCP packet must start with an SR or RR")
    return b"".join(build_rtcp(p) for p in packets)


def _blocks(body: bytes, offset: int, count: int) -> tuple[ReportBlock, ...]:
    out = []
    for i in range(count):
        ssrc, frac, hi, lo, seq, jit, lsr, dlsr = _BLOCK.unpack_from(body, offset + 24 * i)
        lost = (hi << 16) | lo
        if lost & 0x800000:
            lost -= 0x1000000
        out.append(ReportBlock(ssrc, frac, lost, seq, jit, lsr, dlsr))
    return tuple(out)


def _parse_one(pt: int, count: int, body: bytes) -> RtcpPacket:
    if pt == PT_SR:
        if len(body) < 24 + 24 * count:
            raise RtpError(f"SR with {count} report blocks needs {24 + 24 * count} octets, has {len(body)}")
        ssrc, msw, lsw, ts, packets, octets = _SENDER.unpack_from(body)
        return SenderReport(ssrc, (msw << 32) | lsw, ts, packets, octets, _blocks(body, 24, count))
    if pt == PT_RR:
        if len(body) < 4 + 24 * count:
            raise RtpError(f"RR with {count} report blocks needs {4 + 24 * count} octets, has {len(body)}")
        return ReceiverReport(struct.unpack_from("!I", body)[0], _blocks(body, 4, count))
    if pt == PT_SDES:
        return SourceDescription(_parse_sdes(body, count))
    if pt == PT_BYE:
        if len(body) < 4 * count:
            raise RtpError(f"BYE with {count} sources needs {4 * count} octets, has {len(body)}")
        ssrcs = struct.unpack_from(f"!{count}I", body)
        reason = None
        if len(body) > 4 * count:
            n = body[4 * count]
            if 4 * count + 1 + n > len(body):
                raise RtpError(f"BYE reason length {n} runs past the packet")
            reason = body[4 * count + 1 : 4 * count + 1 + n].decode("utf-8", "replace")
        return Bye(tuple(ssrcs), reason)
    return RtcpUnknown(pt, count, body)


def _parse_sdes(body: bytes, count: int) -> tuple[SdesChunk, ...]:
    chunks: list[SdesChunk] = []
    pos = 0
    for _ in range(count):
        if pos + 4 > len(body):
            raise RtpError(f"SDES announces {count} chunks, the packet ends after {len(chunks)}")
        ssrc = struct.unpack_from("!I", body, pos)[0]
        pos += 4
        items = []
        while True:
            if pos >= len(body):
                raise RtpError(f"SDES chunk of SSRC {ssrc:#x} has no terminating null item")
            kind = body[pos]
            if kind == 0:
                pos = (pos + 4) & ~3  # skip the null octets to the next 32-bit boundary
                break
            if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
                raise RtpError(f"SDES item type {kind} of SSRC {ssrc:#x} runs past the packet")
            n = body[pos + 1]
            items.append((kind, body[pos + 2 : pos + 2 + n].decode("utf-8", "replace")))
            pos += 2 + n
        chunks.append(SdesChunk(ssrc, tuple(items)))
    return tuple(chunks)


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Every packet of a compound RTCP packet, after the RFC 3550 A.2 validity checks."""
    out: list[RtcpPacket] = []
    pos = 0
    n = len(data)
    if n < 4:
        raise RtpError(f"RTCP packet of {n} octets is shorter than its 4-octet header")
    while pos < n:
        if pos + 4 > n:
            raise RtpError(f"RTCP compound packet has {n - pos} stray octets at offset {pos}")
        b0, pt, words = _HDR.unpack_from(data, pos)
        if b0 >> 6 != 2:
            raise RtpError(f"RTCP version {b0 >> 6} at offset {pos}, expected 2")
        end = pos + 4 + 4 * words
        if end > n:
            raise RtpError(f"RTCP packet type {pt} at offset {pos} claims {4 * words + 4} octets, {n - pos} remain")
        if not out and pt not in (PT_SR, PT_RR):
            raise RtpError(f"compound RTCP starts with packet type {pt}, expected SR (200) or RR (201)")
        body_end = end
        if b0 & 0x20:
            if end != n:
                raise RtpError(f"RTCP padding bit set on packet type {pt} that is not the last")
            pad = data[end - 1]
            if pad == 0 or pad > 4 * words:
                raise RtpError(f"RTCP padding count {pad} does not fit packet type {pt}")
            body_end = end - pad
        out.append(_parse_one(pt, b0 & 0x1F, bytes(data[pos + 4 : body_end])))
        pos = end
    return out


#: RFC 3550 A.7: compensation for the timer reconsideration's converging to a lower value.
_COMPENSATION = math.e - 1.5


def rtcp_interval(*, members: int, senders: int, rtcp_bw_octets_s: float, we_sent: bool,
                  avg_rtcp_size_octets: float, initial: bool, rng: random.Random) -> float:
    """Seconds to the next RTCP transmission (RFC 3550 §6.3.1, A.7 ``rtcp_interval``).

    ``rtcp_bw_octets_s`` is the RTCP share of the session bandwidth (5 %, §6.2), in octets/s.
    """
    if members < 1 or senders < 0 or rtcp_bw_octets_s <= 0:
        raise RtpError(f"rtcp_interval needs members >= 1, senders >= 0, bandwidth > 0; got "
                       f"{members}, {senders}, {rtcp_bw_octets_s}")
    t_min = 2.5 if initial else 5.0
    n = members
    bw = rtcp_bw_octets_s
    if senders <= members * 0.25:
        if we_sent:
            bw *= 0.25
            n = senders
        else:
            bw *= 0.75
            n -= senders
    t = max(avg_rtcp_size_octets * n / bw, t_min)
    return t * (rng.random() + 0.5) / _COMPENSATION


def update_avg_rtcp_size(avg_octets: float, packet_octets: int) -> float:
    """§6.3.3: the running average of compound RTCP sizes (UDP and IP headers included)."""
    return packet_octets / 16.0 + avg_octets * 15.0 / 16.0


class RtcpScheduler:
    """The RTCP transmission timer of one session member (RFC 3550 §6.3.2, §6.3.6).

    ``session_bw_bps`` is the session bandwidth (RTCP gets 5 % of it, §6.2);
    ``avg_rtcp_size_octets`` the first guess of a compound packet's size with UDP/IP headers.
    """

    def __init__(self, *, session_bw_bps: float, now_s: float, rng: random.Random,
                 avg_rtcp_size_octets: float = 100.0) -> None:
        if session_bw_bps <= 0:
            raise RtpError(f"session bandwidth must be > 0 bit/s, got {session_bw_bps}")
        self._bw = 0.05 * session_bw_bps / 8.0
        self._rng = rng
        self.avg_rtcp_size_octets = avg_rtcp_size_octets
        self.initial = True
        self.tp = now_s  #: when the last RTCP packet was sent (§6.3.2: start time)
        self.next_s = now_s + self._interval(members=1, senders=0, we_sent=False)  #: tn

    def _interval(self, *, members: int, senders: int, we_sent: bool) -> float:
        return rtcp_interval(members=members, senders=senders, rtcp_bw_octets_s=self._bw, we_sent=we_sent,
                             avg_rtcp_size_octets=self.avg_rtcp_size_octets, initial=self.initial, rng=self._rng)

    def expire(self, now_s: float, *, members: int, senders: int, we_sent: bool) -> bool:
        """The timer fired at ``now_s`` (§6.3.6): True means send a compound packet now (then
        call :meth:`sent`); False means :attr:`next_s` moved later (reconsideration)."""
        t = self._interval(members=members, senders=senders, we_sent=we_sent)
        if self.tp + t <= now_s:
            return True
        self.next_s = self.tp + t
        return False

    def sent(self, now_s: float, packet_octets: int, *, members: int, senders: int, we_sent: bool) -> None:
        """A compound packet of ``packet_octets`` (UDP/IP headers included) went out at ``now_s``."""
        self.avg_rtcp_size_octets = update_avg_rtcp_size(self.avg_rtcp_size_octets, packet_octets)
        self.tp = now_s
        self.initial = False
        self.next_s = now_s + self._interval(members=members, senders=senders, we_sent=we_sent)
