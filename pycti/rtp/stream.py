"""One RTP session's receive and send streams, sans-I/O (RFC 3550, RFC 3551, RFC 4733).

:class:`ReceiveStream` takes ``(packet bytes, source address, now_s)``: it parses the packet,
asks the :class:`~pycti.rtp.latch.SymmetricRtpLatch` whether to take it, restarts its state
when the SSRC changes (RFC 3550 §8.2: a new source), keeps the RFC 3550 A.1/A.3/A.8 statistics,
drops duplicates (by extended sequence number), unwraps timestamps, and files G.711 payloads in
the :class:`~pycti.rtp.jitter.JitterBuffer` and RFC 4733 payloads in the
:class:`~pycti.rtp.telephone_event.TelephoneEventReceiver`.  Every 20 ms the caller's pump
calls :meth:`ReceiveStream.tick` for one frame.

:class:`SendStream` takes one 20 ms frame per tick (int16 samples or G.711 codes) and returns
the packets to send: sequence numbers, timestamps (advancing 160 per tick even when nothing is
sent) and SSRC, the marker bit on the first packet of a talkspurt (RFC 3551 §4.1), payloads of
``ptime_ms`` (10, 20, 30 ... ms: frames are cut or joined), and RFC 4733 events in place of the
audio while a key press is being sent.  :func:`encode_frames` encodes many channels' frames in
one G.711 lookup per law.
"""

from __future__ import annotations

import enum
import random
import struct
from typing import Mapping, Sequence

import numpy as np

from pycti.dsp.g711 import alaw_encode, ulaw_decode, alaw_decode, ulaw_encode
from pycti.rtp.jitter import FRAME_SAMPLES, PT_PCMA, PT_PCMU, Frame, InsertResult, JitterBuffer, JitterConfig
from pycti.rtp.latch import Address, LatchDecision, SymmetricRtpLatch
from pycti.rtp.packet import RtpError, build_rtp_fast, parse_rtp
from pycti.rtp.rtcp import (
    Bye, ReceiverReport, ReportBlock, RtcpPacket, SdesChunk, SenderReport, SourceDescription, build_compound,
    ntp_middle32, ntp_timestamp,
)
from pycti.rtp.stats import MAX_MISORDER, ReceptionStats
from pycti.rtp.telephone_event import DigitReceived, TelephoneEventError, TelephoneEventReceiver, TelephoneEventSender

__all__ = ["ReceiveStream", "RxResult", "SendStream", "encode_frames", "rtcp_bye", "rtcp_report"]

_MASK32 = 0xFFFFFFFF
_unpack_fixed = struct.Struct("!xBHII").unpack_from
_SEEN_KEEP = 512  # extended sequence numbers remembered for duplicate detection
_HELD_MAX = 16  # packets held while the source is on probation
_ACCEPTING = (LatchDecision.ACCEPT, LatchDecision.LATCH)


class RxResult(enum.Enum):
    """What :meth:`ReceiveStream.receive` did with a packet."""

    AUDIO = "audio"  #: filed in the jitter buffer
    LATE = "late"  #: audio behind the playout point: dropped
    EVENT = "event"  #: an RFC 4733 packet, given to the event receiver
    PROBATION = "probation"  #: held until the source is valid (RFC 3550 A.1)
    DUPLICATE = "duplicate"
    INVALID_SEQUENCE = "invalid_sequence"  #: a sequence jump not (yet) confirmed
    REJECTED = "rejected"  #: refused by the latch (other address, PT or SSRC)
    MALFORMED = "malformed"
    UNKNOWN_PT = "unknown_pt"  #: counted, not played (comfort noise, another codec ...)
    RTCP = "rtcp"  #: an RTCP packet on the RTP port (rtcp-mux): give it to the RTCP parser

    __hash__ = object.__hash__  # members are singletons: identity hash, in C (counted per packet)


class ReceiveStream:
    """The receive side of one RTP session (see the module docstring).

    ``codecs`` maps each negotiated audio PT to its G.711 law (``0`` PCMU, ``8`` PCMA: the
    static PTs map to themselves); ``telephone_event_pt`` the negotiated RFC 4733 PT or
    ``None``; ``latch`` decides which packets to take and where to send (``None``: take every
    well-formed packet).
    """

    def __init__(self, *, codecs: Mapping[int, int] | None = None, telephone_event_pt: int | None = None,
                 latch: SymmetricRtpLatch | None = None, jitter: JitterConfig | None = None,
                 clock_hz: int = 8000, event_timeout_s: float = 0.25) -> None:
        self.codecs = dict(codecs) if codecs is not None else {PT_PCMU: PT_PCMU, PT_PCMA: PT_PCMA}
        bad = {pt: law for pt, law in self.codecs.items() if law not in (PT_PCMU, PT_PCMA)}
        if bad:
            raise RtpError(f"codecs must map payload types to 0 (PCMU) or 8 (PCMA), got {bad}")
        self.telephone_event_pt = telephone_event_pt
        self.latch = latch
        self.clock_hz = clock_hz
        self.jitter = JitterBuffer(jitter)
        self.events = TelephoneEventReceiver(timeout_s=event_timeout_s, clock_hz=clock_hz)
        self._event_timeout_s = event_timeout_s
        self.ssrc: int | None = None  #: the current source
        self.stats: ReceptionStats | None = None
        self.new_sources = 0  #: SSRC changes seen (the first source included)
        self.counts: dict[RxResult, int] = {r: 0 for r in RxResult}
        self._digits: list[DigitReceived] = []
        self._held: list[tuple[int, int, int, bool, bytes]] = []
        self._reset_source()
        self._lsr = 0
        self._lsr_at_s: float | None = None

    def _reset_source(self) -> None:
        self._ts_ref: int | None = None
        self._seen: set[int] = set()
        self._seen_floor = -(1 << 40)
        self.jitter.reset()
        self.events = TelephoneEventReceiver(timeout_s=self._event_timeout_s, clock_hz=self.clock_hz)
        self._held = []

    def receive(self, data: bytes, source: Address, now_s: float) -> RxResult:
        """Take one datagram from ``source`` received at ``now_s`` (seconds, any epoch)."""
        result = self._receive(data, source, now_s)
        self.counts[result] += 1
        return result

    def _receive(self, data: bytes, source: Address, now_s: float) -> RxResult:
        if len(data) >= 2 and 192 <= data[1] <= 223:
            return RxResult.RTCP  # RTCP multiplexed on the RTP port (RFC 5761 §4)
        if len(data) >= 12 and data[0] == 0x80:  # fast path: no padding, extension or CSRC
            b1, seq, ts, ssrc = _unpack_fixed(data)
            pt, marker, payload = b1 & 0x7F, b1 >= 0x80, bytes(data[12:])
        else:
            try:
                pt, seq, ts, ssrc, payload, marker, _c, _e, _p = parse_rtp(data)
            except RtpError:
                return RxResult.MALFORMED
        law = self.codecs.get(pt)
        if law is None and pt != self.telephone_event_pt:
            return RxResult.UNKNOWN_PT  # (comfort noise, an unnegotiated codec): no state touched
        if law is not None and not payload:
            return RxResult.MALFORMED
        if self.latch is not None and self.latch.decide_fields(pt, ssrc, source, now_s) not in _ACCEPTING:
            return RxResult.REJECTED
        stats = self.stats
        if ssrc != self.ssrc or stats is None:
            self.ssrc = ssrc
            self.new_sources += 1
            self._reset_source()
            self._lsr_at_s = None
            stats = self.stats = ReceptionStats(seq)
        on_probation = stats.probation > 0
        restarts = stats.restarts
        accepted = stats.update_sequence(seq)
        if stats.restarts != restarts:
            # a confirmed restart renumbers the stream: the old numbers say nothing about duplicates
            self._seen, self._seen_floor = set(), -(1 << 40)
        if not accepted:
            if stats.probation:
                if len(self._held) < _HELD_MAX:
                    self._held.append((pt, seq, ts, marker, payload))
                return RxResult.PROBATION
            return RxResult.INVALID_SEQUENCE
        if on_probation and self._held:
            # the source is valid: file what probation held, if it belongs to the same run
            # (counted as reordered packets, RFC 3550 A.1)
            for hpt, hseq, hts, hmarker, hpayload in sorted(self._held, key=lambda h: (h[1] - seq) & 0xFFFF):
                if 0 < (seq - hseq) & 0xFFFF <= MAX_MISORDER and stats.update_sequence(hseq):
                    if (hseq - stats.base_seq) & 0x8000:
                        stats.base_seq = stats.extend(hseq)
                    self._file(hpt, stats.extend(hseq), hts, hmarker, hpayload, now_s)
            self._held = []
        return self._file(pt, stats.extend(seq), ts, marker, payload, now_s)

    def _file(self, pt: int, ext_seq: int, ts: int, marker: bool, payload: bytes, now_s: float) -> RxResult:
        seen = self._seen
        if ext_seq in seen or ext_seq < self._seen_floor:
            return RxResult.DUPLICATE
        seen.add(ext_seq)
        if len(seen) > 2 * _SEEN_KEEP:
            self._seen_floor = max(seen) - _SEEN_KEEP
            self._seen = {s for s in seen if s >= self._seen_floor}
        law = self.codecs.get(pt)
        if law is not None:
            ref = self._ts_ref
            if ref is None:
                ext_ts = ref = self._ts_ref = ts
            else:
                delta = (ts - ref) & _MASK32
                ext_ts = ref + (delta - 0x100000000 if delta >= 0x80000000 else delta)
                if ext_ts > ref:
                    self._ts_ref = ext_ts
            assert self.stats is not None
            self.stats.update_jitter(ts, int(now_s * self.clock_hz))
            if self.jitter.insert(ext_ts, payload, law, marker) is InsertResult.LATE:
                return RxResult.LATE
            return RxResult.AUDIO
        if pt == self.telephone_event_pt:
            try:
                self._digits.extend(self.events.receive(ts, marker, payload, now_s))
            except TelephoneEventError:
                return RxResult.MALFORMED
            return RxResult.EVENT
        return RxResult.UNKNOWN_PT

    def tick(self) -> Frame:
        """This tick's 20 ms of playout (G.711 codes; :func:`~pycti.rtp.jitter.decode_frames`
        decodes many channels at once)."""
        return self.jitter.pop()

    def tick_pcm(self) -> np.ndarray:
        """This tick's 160 int16 samples (one channel's decode)."""
        frame = self.jitter.pop()
        codes = np.frombuffer(frame.codes, dtype=np.uint8)
        return ulaw_decode(codes) if frame.payload_type == PT_PCMU else alaw_decode(codes)

    def poll_digits(self, now_s: float) -> list[DigitReceived]:
        """Key presses completed since the last call (an end lost for ``event_timeout_s``
        counts as completed)."""
        out = self._digits + self.events.poll(now_s)
        self._digits = []
        return out

    def note_sender_report(self, report: SenderReport, now_s: float) -> None:
        """Remember the source's last SR (for LSR/DLSR of our report blocks)."""
        if report.ssrc == self.ssrc:
            self._lsr = ntp_middle32(report.ntp)
            self._lsr_at_s = now_s

    def report_block(self, now_s: float) -> ReportBlock | None:
        """The reception report of the current source (RFC 3550 §6.4.1), ``None`` before a
        valid packet; starts a new fraction-lost interval."""
        stats = self.stats
        if stats is None or stats.probation or self.ssrc is None:
            return None
        loss = stats.loss_report()
        lsr, dlsr = 0, 0
        if self._lsr_at_s is not None:
            lsr = self._lsr
            dlsr = min(int((now_s - self._lsr_at_s) * 65536), _MASK32)
        return ReportBlock(self.ssrc, loss.fraction_lost, loss.cumulative_lost, loss.extended_highest_sequence,
                           stats.jitter, lsr, dlsr)


def encode_frames(frames: np.ndarray, payload_types: Sequence[int]) -> list[bytes]:
    """G.711-encode a ``(channels, 160)`` int16 array, row ``i`` with law ``payload_types[i]``
    (0 or 8); one table lookup per law for the whole batch."""
    a = np.asarray(frames)
    if a.ndim != 2 or a.shape[0] != len(payload_types):
        raise RtpError(f"encode_frames needs (channels, samples) with one payload type per row, got shape {a.shape} "
                       f"and {len(payload_types)} payload types")
    alaw = np.array([pt == PT_PCMA for pt in payload_types], dtype=bool)
    codes = ulaw_encode(a)
    if alaw.any():
        codes[alaw] = alaw_encode(np.ascontiguousarray(a[alaw]))
    raw = codes.tobytes()
    n = a.shape[1]
    return [raw[i * n : (i + 1) * n] for i in range(a.shape[0])]


class SendStream:
    """The send side of one RTP session (see the module docstring).

    ``payload_type`` 0 (PCMU) or 8 (PCMA) -- or a dynamic PT with ``law`` naming the G.711
    law; ``ptime_ms`` a multiple of 10; the first sequence number, timestamp and SSRC should be
    random (RFC 3550 §5.1): :meth:`create` draws them from a caller's generator.
    """

    def __init__(self, *, ssrc: int, sequence: int, timestamp: int, payload_type: int = PT_PCMU,
                 law: int | None = None, ptime_ms: int = 20, telephone_event_pt: int | None = None) -> None:
        self.law = payload_type if law is None else law
        if self.law not in (PT_PCMU, PT_PCMA):
            raise RtpError(f"send stream law must be 0 (PCMU) or 8 (PCMA), got {self.law}")
        if ptime_ms <= 0 or ptime_ms % 10 or ptime_ms > 200:
            raise RtpError(f"ptime_ms must be a multiple of 10 from 10 to 200, got {ptime_ms}")
        for name, v, top in (("ssrc", ssrc, _MASK32), ("sequence", sequence, 0xFFFF), ("timestamp", timestamp, _MASK32)):
            if not 0 <= v <= top:
                raise RtpError(f"{name} {v} out of range 0-{top}")
        self.ssrc = ssrc
        self.payload_type = payload_type
        self.telephone_event_pt = telephone_event_pt
        self.sequence = sequence  #: the next packet's sequence number
        self.timestamp = timestamp  #: RTP timestamp of the next frame's first sample
        self._ptime = ptime_ms * 8
        self._pending = b""
        self._pending_ts = timestamp
        self._talkspurt = True  # next audio packet starts a talkspurt (marker)
        self.dtmf = TelephoneEventSender()
        self.packet_count = 0
        self.octet_count = 0

    @classmethod
    def create(cls, rng: random.Random, *, payload_type: int = PT_PCMU, law: int | None = None, ptime_ms: int = 20,
               telephone_event_pt: int | None = None) -> SendStream:
        """A stream with random SSRC, first sequence number and timestamp drawn from ``rng``
        (the caller seeds it, e.g. ``random.SystemRandom()`` in production)."""
        return cls(ssrc=rng.getrandbits(32), sequence=rng.getrandbits(16), timestamp=rng.getrandbits(32),
                   payload_type=payload_type, law=law, ptime_ms=ptime_ms, telephone_event_pt=telephone_event_pt)

    def press(self, digit: str, duration_ms: int = 100, volume_dbm0: int = -10) -> None:
        """Queue an RFC 4733 key press (needs ``telephone_event_pt``)."""
        if self.telephone_event_pt is None:
            raise RtpError("no telephone-event payload type was negotiated: cannot send RFC 4733 digits")
        self.dtmf.press(digit, duration_ms, volume_dbm0)

    def _packet(self, pt: int, ts: int, marker: bool, payload: bytes) -> bytes:
        data = build_rtp_fast(pt, self.sequence, ts & _MASK32, self.ssrc, payload, marker)
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.packet_count += 1
        self.octet_count += len(payload)
        return data

    def send_frame(self, frame: np.ndarray) -> list[bytes]:
        """Encode one 20 ms frame (160 int16 samples) and packetise it: :meth:`send_codes`."""
        enc = ulaw_encode(frame) if self.law == PT_PCMU else alaw_encode(frame)
        return self.send_codes(enc.tobytes())

    def send_codes(self, codes: bytes) -> list[bytes]:
        """One tick: 160 G.711 codes of this stream's law in, the packets to send out."""
        if len(codes) != FRAME_SAMPLES:
            raise RtpError(f"a frame is {FRAME_SAMPLES} codes (20 ms), got {len(codes)}")
        ts = self.timestamp
        self.timestamp = (ts + FRAME_SAMPLES) & _MASK32
        out: list[bytes] = []
        te = self.telephone_event_pt
        if te is not None and not self.dtmf.idle:
            for ev in self.dtmf.tick(ts):
                out.append(self._packet(te, ev.timestamp, ev.marker, ev.payload))
            if self.dtmf.covering:
                self._pending = b""
                self._talkspurt = True
                return out
        if self._ptime == FRAME_SAMPLES and not self._pending:
            out.append(self._packet(self.payload_type, ts, self._talkspurt, codes))
            self._talkspurt = False
            return out
        if not self._pending:
            self._pending_ts = ts
        pending = self._pending + codes
        n = self._ptime
        while len(pending) >= n:
            out.append(self._packet(self.payload_type, self._pending_ts, self._talkspurt, pending[:n]))
            self._talkspurt = False
            pending = pending[n:]
            self._pending_ts += n
        self._pending = pending
        return out

    def pause(self) -> None:
        """A tick with nothing to send (silence suppression, hold): the timestamp advances, the
        next audio packet starts a talkspurt."""
        self.timestamp = (self.timestamp + FRAME_SAMPLES) & _MASK32
        self._pending = b""
        self._talkspurt = True

    def sender_report(self, ntp_s: float, reports: Sequence[ReportBlock] = ()) -> SenderReport:
        """An SR (RFC 3550 §6.4.1) for a tick boundary: ``ntp_s`` is the wallclock (seconds
        since 1900) of the instant the next frame's first sample, :attr:`timestamp`, stands for."""
        return SenderReport(self.ssrc, ntp_timestamp(ntp_s), self.timestamp, self.packet_count & _MASK32,
                            self.octet_count & _MASK32, tuple(reports))


def _sdes(ssrc: int, cname: str) -> SourceDescription:
    return SourceDescription((SdesChunk(ssrc, ((1, cname),)),))


def rtcp_report(send: SendStream, receive: ReceiveStream | None, *, cname: str, ntp_s: float, now_s: float,
                sent_since_last: bool) -> bytes:
    """The compound RTCP packet of one report interval (RFC 3550 §6.1, §6.4): an SR when we
    sent RTP since the last report (``sent_since_last``), else an RR, with the reception
    report of ``receive``'s source if it has one, then SDES CNAME.  ``ntp_s`` is the wallclock
    of the tick boundary at which :attr:`SendStream.timestamp` stands."""
    block = receive.report_block(now_s) if receive is not None else None
    blocks = (block,) if block is not None else ()
    first: RtcpPacket = send.sender_report(ntp_s, blocks) if sent_since_last else ReceiverReport(send.ssrc, blocks)
    return build_compound([first, _sdes(send.ssrc, cname)])


def rtcp_bye(send: SendStream, receive: ReceiveStream | None, *, cname: str, now_s: float,
             reason: str | None = None) -> bytes:
    """The compound RTCP packet that ends the session (RFC 3550 §6.6): RR, SDES, BYE."""
    block = receive.report_block(now_s) if receive is not None else None
    rr = ReceiverReport(send.ssrc, (block,) if block is not None else ())
    return build_compound([rr, _sdes(send.ssrc, cname), Bye((send.ssrc,), reason)])
