"""One SIP port's media: its SDP negotiation and its channel of the C RTP pump.

Each port owns pump channel ``port`` while it has a call.  The RFC 3264 offer/answer of the
call (:class:`~pycti.sip.sdp.OfferAnswer`: PCMU/PCMA and telephone-event) configures the
channel: remote address from the peer's c=/m= lines, receive payload types, send payload type
with a random SSRC, sequence and timestamp (RFC 3550 §5.1).  RFC 4733 events the pump puts in
its side queue are assembled into key presses by a
:class:`~pycti.rtp.telephone_event.TelephoneEventReceiver`; digits we send go out through a
:class:`~pycti.rtp.telephone_event.TelephoneEventSender` in the channel's own sequence space,
the channel's audio masked off while an event covers the tick (RFC 4733 §2.5.1.2).
"""

from __future__ import annotations

import random

from ...rtp.latch import LatchDecision, SymmetricRtpLatch
from ...rtp.packet import RtpError, parse_rtp
from ...rtp.telephone_event import (
    DigitReceived, TelephoneEventError, TelephoneEventReceiver, TelephoneEventSender, digit_to_event,
)
from ...sip.sdp import Direction, LocalMedia, NegotiatedMedia, OfferAnswer
from ..rtppump import RtpPump
from .rtcp_port import PortRtcp, RtcpReaders, open_rtp_pair

__all__ = ["PortMedia"]


class PortMedia:
    """The media of one call on pump channel ``channel`` (opened at construction)."""

    def __init__(self, pump: RtpPump, channel: int, host: str, rng: random.Random, *, now_s: float = 0.0,
                 readers: RtcpReaders | None = None) -> None:
        self.pump = pump
        self.channel = channel
        self._rng = rng
        port, rtcp_sock = open_rtp_pair(pump, channel, host, rng)
        self.local_port = port
        #: RTCP beside the RTP port (None when no even/odd port pair was free)
        self.rtcp = None if rtcp_sock is None else PortRtcp(rtcp_sock, f"pycti@{host}", rng, now_s, readers)
        self.sdp = OfferAnswer(LocalMedia(address=host, port=port, session_id=rng.getrandbits(31)))
        self.media: NegotiatedMedia | None = None
        self.receiver = TelephoneEventReceiver()
        self.sender = TelephoneEventSender()
        self._send_started = False
        self.pending_answer: bytes | None = None  #: our SDP answer to the INVITE's offer
        self.latch: SymmetricRtpLatch | None = None

    # -- negotiation ------------------------------------------------------------------
    def answer_offer(self, offer: bytes) -> bytes:
        """Our SDP answer to ``offer`` (SdpError/SdpNegotiationError when none can be made)."""
        _, media = self.sdp.take_offer(offer)
        self._apply(media)
        return self.sdp.last_description

    def make_offer(self, direction: Direction | None = None) -> bytes:
        """Our SDP offer (initial, or a re-offer in ``direction``)."""
        self.sdp.make_offer(direction)
        return self.sdp.last_description

    def take_answer(self, answer: bytes) -> None:
        """Apply the peer's answer to our offer."""
        self._apply(self.sdp.take_answer(answer))

    def cancel_offer(self) -> None:
        """The peer refused our re-offer: keep the media as it was."""
        self.sdp.cancel_offer()

    def _apply(self, media: NegotiatedMedia) -> None:
        ch = self.channel
        self.media = media
        self.pump.set_remote(ch, (media.remote_address, media.remote_port) if media.remote_port else None)
        if self.rtcp is not None:
            self.rtcp.set_remote((media.remote_address, media.remote_port), media.remote_rtcp)
        pcmu = tuple(pt for pt, law in media.receive_codecs.items() if law == 0)
        pcma = tuple(pt for pt, law in media.receive_codecs.items() if law == 8)
        self.pump.set_payload_types(ch, pcmu=pcmu, pcma=pcma,
                                    telephone_event=media.receive_telephone_event_pt)
        pts = frozenset(media.receive_codecs) | (
            frozenset() if media.receive_telephone_event_pt is None else {media.receive_telephone_event_pt})
        sdp_address = (media.remote_address, media.remote_port)
        if self.latch is None:
            self.latch = SymmetricRtpLatch(sdp_address, pts)
        else:
            self.latch.reset(sdp_address, pts)
        if not self._send_started:
            self.pump.randomize_send(ch, self._rng, payload_type=media.payload_type, law=media.law)
            self._send_started = True
        else:
            st = self.pump.send_state(ch)
            self.pump.set_send(ch, ssrc=st.ssrc, sequence=st.sequence, timestamp=st.timestamp,
                               payload_type=media.payload_type, law=media.law)

    # -- per tick ---------------------------------------------------------------------
    @property
    def sending(self) -> bool:
        """Whether audio goes out this tick (negotiated, direction sends)."""
        return self.media is not None and self.media.send

    @property
    def receiving(self) -> bool:
        """Whether inbound audio is heard (negotiated, direction receives)."""
        return self.media is not None and self.media.receive

    def can_send(self, digits: str) -> bool:
        """Whether every one of ``digits`` can go as an RFC 4733 event the peer accepted."""
        m = self.media
        if m is None or m.telephone_event_pt is None:
            return False
        try:
            return all(digit_to_event(d) in m.telephone_events for d in digits)
        except TelephoneEventError:
            return False

    def send_events(self) -> bool:
        """Send this tick's RFC 4733 packets; True when they cover the tick (mask the audio)."""
        if self.sender.idle or self.media is None or self.media.telephone_event_pt is None:
            return False
        ts = self.pump.send_state(self.channel).timestamp
        for packet in self.sender.tick(ts):
            self.pump.send_rtp(self.channel, self.media.telephone_event_pt, packet.payload,
                               packet.timestamp, packet.marker)
        return self.sender.covering

    def event_packet(self, data: bytes, now_s: float) -> list[DigitReceived]:
        """An RFC 4733 packet from the side queue (a whole RTP datagram)."""
        try:
            packet = parse_rtp(data)
            return self.receiver.receive(packet.timestamp, packet.marker, packet.payload, now_s)
        except (RtpError, TelephoneEventError):
            return []  # a malformed event packet is dropped (RFC 4733 §2.5.2)

    def new_source(self, data: bytes, source: tuple[str, int], now_s: float) -> bool:
        """The first packet from a new address (the pump's SOURCE_ADDRESS report): latch the
        send address to it when :class:`~pycti.rtp.latch.SymmetricRtpLatch` says so (RFC 4961
        symmetric RTP through a NAT).  True when the remote address changed."""
        if self.latch is None or self.media is None:
            return False
        if self.latch.decide_bytes(data, source, now_s) is LatchDecision.LATCH:
            self.pump.set_remote(self.channel, source)
            return True
        return False

    def close(self) -> None:
        """Close the channel's sockets (RTP and RTCP), saying RTCP BYE first (RFC 3550 §6.3.7)."""
        if self.rtcp is not None:
            ssrc = self.pump.send_state(self.channel).ssrc if self.pump.is_open(self.channel) else None
            self.rtcp.close(bye_ssrc=ssrc)
        if self.pump.is_open(self.channel):
            self.pump.close(self.channel)
