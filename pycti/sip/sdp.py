"""SDP (RFC 4566) and the offer/answer model (RFC 3264) for G.711 audio with RFC 4733 digits.

Descriptions (the data model, :func:`parse_sdp`, serialising) are :mod:`pycti.sip.sdp_text`,
re-exported here: the lines a telephony endpoint needs in RFC 4566 §5 order, a malformed
description raising :class:`SdpError` naming the line.

Offer/answer (:class:`OfferAnswer`, RFC 3264):

* the offer lists our codecs in our preference (PCMU 0, PCMA 8) and ``telephone-event/8000``
  on a dynamic PT with ``fmtp 0-16`` (RFC 4733 §2.4.1: absent fmtp means 0-15);
* answering (§6.1): per ``m=`` line, the first audio stream over ``RTP/AVP`` with a codec in
  common is accepted -- the codec chosen is our most preferred among those offered, with the
  offer's PT numbers, the telephone-event PT echoed and its events intersected; every other
  stream is rejected with port 0.  The answer's direction follows :data:`ANSWER_DIRECTION`
  (sendonly -> recvonly, recvonly -> sendonly, inactive -> inactive, sendrecv -> sendrecv),
  narrowed by our own wish (hold);
* hold (§8.4) is a re-offer with ``sendonly``, ``inactive`` when the peer already holds us;
  resume is a re-offer with ``sendrecv``; a remote ``c=0.0.0.0`` (RFC 2543 hold) stops sending;
* the ``o=`` version increments only when the description changes (§8).

The negotiation's states are one transition table, :data:`_TRANSITIONS`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal, Mapping

from pycti.sip.sdp_text import (
    DIRECTION_BITS as _BITS, STATIC_CODECS as _STATIC_CODECS, Attribute, Connection, Direction, Media,
    OfferAnswerStateError, Origin, RtpMap, SdpError, SdpNegotiationError, SessionDescription,
    parse_connection, parse_sdp,
)
from pycti.sip.table_enum import TableEnum

__all__ = [
    "ANSWER_DIRECTION", "Attribute", "Connection", "Direction", "LocalMedia", "Media",
    "NegotiatedMedia", "OfferAnswer", "OfferAnswerState", "OfferAnswerStateError", "Origin",
    "RtpMap", "SdpError", "SdpNegotiationError", "SessionDescription", "parse_sdp",
]

#: RFC 3264 §6.1: the answer's direction for each offered direction (before our own wishes).
ANSWER_DIRECTION: dict[Direction, Direction] = {
    "sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive",
}
_FROM_BITS: dict[tuple[bool, bool], Direction] = {bits: d for d, bits in _BITS.items()}
_LAW_OF = {"PCMU": 0, "PCMA": 8}
_SUPPORTED_EVENTS = frozenset(range(17))  # RFC 4733 events 0-15 digits, 16 flash


# -- offer/answer ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _events(fmtp: str | None) -> frozenset[int]:
    """RFC 4733 §2.4.1 event list ``0-15,16``; absent means 0-15.  Cached: the lists a peer
    and we send recur call after call."""
    if fmtp is None or not fmtp.strip():
        return frozenset(range(16))
    out: set[int] = set()
    for part in fmtp.replace(" ", "").split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()) or int(hi or lo) > 255:
            raise SdpError(f"telephone-event fmtp {fmtp!r}: {part!r} is not an event (0-255) or range")
        out.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(out)


def _event_ranges(events: frozenset[int]) -> str:
    ranges: list[str] = []
    for e in sorted(events):
        if ranges and e - 1 == int(ranges[-1].rpartition("-")[2]):
            ranges[-1] = f"{ranges[-1].partition('-')[0]}-{e}"
        else:
            ranges.append(str(e))
    return ",".join(ranges)


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """Our side: RTP address and port, codec preference (0 PCMU, 8 PCMA), RFC 4733 PT and
    events, the ptime we want to receive, and the ``o=`` fields (``session_id`` chosen by the
    caller: the negotiation draws no random numbers)."""

    address: str
    port: int
    session_id: int
    codecs: tuple[int, ...] = (0, 8)
    telephone_event_pt: int | None = 101
    telephone_events: str = "0-16"
    ptime_ms: int = 20
    username: str = "pycti"
    session_name: str = "pycti"
    session_version: int = 0

    def __post_init__(self) -> None:
        if not self.codecs or any(c not in _STATIC_CODECS for c in self.codecs):
            raise SdpError(f"codecs must be a preference of 0 (PCMU) and 8 (PCMA), got {self.codecs}")
        if not 1 <= self.port <= 65535:
            raise SdpError(f"RTP port {self.port} is outside 1-65535")
        if self.telephone_event_pt is not None and not 96 <= self.telephone_event_pt <= 127:
            raise SdpError(f"telephone-event PT {self.telephone_event_pt} is not dynamic (96-127)")
        parse_connection(f"IN {self.address_type} {self.address}")
        _events(self.telephone_events)

    @property
    def address_type(self) -> Literal["IP4", "IP6"]:
        """IP6 for an address with a colon."""
        return "IP6" if ":" in self.address else "IP4"


@dataclass(frozen=True, slots=True)
class NegotiatedMedia:
    """The result of an offer/answer exchange, from our point of view.

    Send to ``remote_address``:``remote_port`` with ``payload_type`` (G.711 ``law`` 0 or 8),
    ``ptime_ms`` per packet and RFC 4733 on ``telephone_event_pt``; receive with the PTs of
    ``receive_codecs`` (PT -> law) and ``receive_telephone_event_pt``.  ``direction`` is ours
    (``sendonly``: we send, do not receive).  ``remote_rtcp`` is where the peer wants RTCP when
    its SDP said so (``a=rtcp``, RFC 3605), else None (its RTP port + 1, RFC 3550 §11).
    """

    remote_address: str
    remote_port: int
    payload_type: int
    law: int
    telephone_event_pt: int | None
    telephone_events: frozenset[int]
    ptime_ms: int
    direction: Direction
    receive_codecs: Mapping[int, int] = field(default_factory=dict)
    receive_telephone_event_pt: int | None = None
    remote_rtcp: tuple[str, int] | None = None

    @property
    def send(self) -> bool:
        """Whether we send RTP."""
        return _BITS[self.direction][0]

    @property
    def receive(self) -> bool:
        """Whether we expect RTP."""
        return _BITS[self.direction][1]

    @property
    def codec(self) -> str:
        """``"PCMU"`` or ``"PCMA"``."""
        return _STATIC_CODECS[self.law]


class OfferAnswerState(TableEnum):
    """Where the negotiation stands."""
    IDLE = "idle"  #: nothing negotiated yet
    OFFER_SENT = "offer_sent"  #: our offer is out, waiting for the answer
    STABLE = "stable"  #: media negotiated


class _Step(TableEnum):
    MAKE_OFFER = "make offer"
    TAKE_OFFER = "take offer"
    TAKE_ANSWER = "take answer"
    CANCEL_OFFER = "cancel offer"


_S = OfferAnswerState
#: (state, step) -> next state; a missing pair is out of turn.
_TRANSITIONS: dict[tuple[OfferAnswerState, _Step], OfferAnswerState] = {
    (_S.IDLE, _Step.MAKE_OFFER): _S.OFFER_SENT,
    (_S.IDLE, _Step.TAKE_OFFER): _S.STABLE,
    (_S.STABLE, _Step.MAKE_OFFER): _S.OFFER_SENT,
    (_S.STABLE, _Step.TAKE_OFFER): _S.STABLE,
    (_S.OFFER_SENT, _Step.TAKE_ANSWER): _S.STABLE,
    (_S.OFFER_SENT, _Step.CANCEL_OFFER): _S.STABLE,  # or IDLE when nothing was negotiated
}


class OfferAnswer:
    """One SIP dialog's RFC 3264 negotiation for one audio stream.

    ``make_offer()`` / ``take_answer(sdp)``; ``take_offer(sdp) -> (answer, media)``;
    ``hold()`` / ``resume()`` make re-offers; ``cancel_offer()`` rolls back an offer the peer
    refused (a failed re-INVITE).  :attr:`media` is the negotiated result.
    """

    def __init__(self, local: LocalMedia) -> None:
        self.local = local
        self.state = OfferAnswerState.IDLE
        self.media: NegotiatedMedia | None = None
        self.remote: SessionDescription | None = None  #: the peer's last description
        self.local_direction: Direction = "sendrecv"  #: what we want (sendonly when holding)
        self._version = local.session_version
        self._last_body: str | None = None
        self._last_text = ""
        self._offered: SessionDescription | None = None
        self._offered_direction: Direction = "sendrecv"
        self._previous_direction: Direction = "sendrecv"

    def _step(self, step: _Step) -> None:
        nxt = _TRANSITIONS.get((self.state, step))
        if nxt is None:
            raise OfferAnswerStateError(f"cannot {step.value} in offer/answer state {self.state.value}")
        if step is _Step.CANCEL_OFFER and self.media is None:
            nxt = OfferAnswerState.IDLE
        self.state = nxt

    def _describe(self, media: tuple[Media, ...]) -> SessionDescription:
        """Our description, the o= version bumped only if the content changed."""
        loc = self.local
        conn = Connection(loc.address_type, loc.address)
        address_type = loc.address_type
        draft = SessionDescription(Origin(loc.username, loc.session_id, 0, address_type, loc.address),
                                   loc.session_name, conn, (0, 0), (), media)
        body = draft.to_text()
        if self._last_body is not None and body != self._last_body:
            self._version += 1
        self._last_body = body
        if self._version == 0:
            self._last_text = body
            return draft
        final = SessionDescription(Origin(loc.username, loc.session_id, self._version, address_type, loc.address),
                                   loc.session_name, conn, (0, 0), (), media)
        self._last_text = final.to_text()
        return final

    @property
    def last_description(self) -> bytes:
        """The SDP text (as a SIP body) of the offer or answer we made last: what
        ``make_offer().to_bytes()`` / ``take_offer(...)[0].to_bytes()`` gave, without
        rendering it again."""
        return self._last_text.encode("utf-8")

    def _audio_attributes(self, codec_pts: tuple[int, ...], te_pt: int | None, events: frozenset[int],
                          names: dict[int, str], direction: Direction) -> tuple[Attribute, ...]:
        attrs = [Attribute("rtpmap", f"{pt} {names[pt]}/8000") for pt in codec_pts]
        if te_pt is not None:
            attrs += [Attribute("rtpmap", f"{te_pt} telephone-event/8000"), Attribute("fmtp", f"{te_pt} {_event_ranges(events)}")]
        attrs += [Attribute("ptime", str(self.local.ptime_ms)), Attribute(direction)]
        return tuple(attrs)

    def make_offer(self, direction: Direction | None = None) -> SessionDescription:
        """An offer (initial or re-offer) with our codecs, in ``direction`` (default: the
        current :attr:`local_direction`)."""
        self._step(_Step.MAKE_OFFER)
        self._previous_direction = self.local_direction
        if direction is not None:
            self.local_direction = direction
        loc = self.local
        te = loc.telephone_event_pt
        pts = loc.codecs + ((te,) if te is not None else ())
        attrs = self._audio_attributes(loc.codecs, te, _events(loc.telephone_events), _STATIC_CODECS, self.local_direction)
        sd = self._describe((Media("audio", loc.port, "RTP/AVP", tuple(map(str, pts)), attributes=attrs),))
        self._offered = sd
        self._offered_direction = self.local_direction
        return sd

    def hold(self) -> SessionDescription:
        """Re-offer putting the peer on hold: ``sendonly``, or ``inactive`` when the peer's
        last description already holds us (sendonly or inactive)."""
        peer = self._peer_direction()
        return self.make_offer("inactive" if peer in ("sendonly", "inactive") else "sendonly")

    def resume(self) -> SessionDescription:
        """Re-offer taking the peer off hold: ``sendrecv``."""
        return self.make_offer("sendrecv")

    def cancel_offer(self) -> None:
        """The peer refused our offer (4xx to a re-INVITE): back to the previous media."""
        self._step(_Step.CANCEL_OFFER)
        self.local_direction = self._previous_direction
        self._offered = None

    def _peer_direction(self) -> Direction | None:
        audio = [m for m in self.remote.media if m.kind == "audio" and m.port] if self.remote else []
        return self.remote.media_direction(audio[0]) if self.remote and audio else None

    def take_offer(self, offer: SessionDescription | str | bytes) -> tuple[SessionDescription, NegotiatedMedia]:
        """Answer the peer's offer (RFC 3264 §6); :class:`SdpNegotiationError` when no audio
        stream can be accepted (a SIP driver then answers 488)."""
        sd = offer if isinstance(offer, SessionDescription) else parse_sdp(offer)
        if self.state is OfferAnswerState.OFFER_SENT:
            raise OfferAnswerStateError("glare: an offer arrived while ours is pending (SIP 491)")
        loc = self.local
        out: list[Media] = []
        result: NegotiatedMedia | None = None
        for m in sd.media:
            chosen = None if result is not None or m.kind != "audio" or m.port == 0 or m.protocol != "RTP/AVP" \
                else self._choose(m)
            if chosen is None:
                out.append(Media(m.kind, 0, m.protocol, m.formats))
                continue
            pt, law, te_pt, events = chosen
            theirs = sd.media_direction(m)
            send, recv = _BITS[ANSWER_DIRECTION[theirs]]
            want_send, want_recv = _BITS[self.local_direction]
            direction = _FROM_BITS[(send and want_send, recv and want_recv)]
            pts = (pt,) + ((te_pt,) if te_pt is not None else ())
            attrs = self._audio_attributes((pt,), te_pt, events, {pt: _STATIC_CODECS[law]}, direction)
            out.append(Media("audio", loc.port, "RTP/AVP", tuple(map(str, pts)), attributes=attrs))
            result = self._negotiated(sd, m, pt, law, te_pt, events, direction, {pt: law}, te_pt)
        if result is None:
            lines = "; ".join(m.m_line for m in sd.media) or "no m= line"
            raise SdpNegotiationError(f"no audio stream with PCMU/PCMA over RTP/AVP to accept in the offer ({lines})")
        self._step(_Step.TAKE_OFFER)
        self.remote, self.media = sd, result
        return self._describe(tuple(out)), result

    def _choose(self, m: Media) -> tuple[int, int, int | None, frozenset[int]] | None:
        """(PT, law, telephone-event PT, events) for an offered audio stream, or None."""
        maps = m.rtpmaps()
        offered: dict[int, int] = {}  # law -> their first PT for it
        te_pt: int | None = None
        for pt in m.payload_types:
            rm = maps.get(pt)
            if rm is None or rm.clock_rate_hz != 8000 or rm.channels != 1:
                continue
            name = rm.encoding.upper()
            if name in _LAW_OF:
                offered.setdefault(_LAW_OF[name], pt)
            elif name == "TELEPHONE-EVENT" and te_pt is None and self.local.telephone_event_pt is not None:
                te_pt = pt
        law = next((c for c in self.local.codecs if c in offered), None)
        if law is None:
            return None
        events: frozenset[int] = frozenset()
        if te_pt is not None:
            try:  # an unusable event list drops RFC 4733, not the call
                events = _events(m.fmtp(te_pt)) & _events(self.local.telephone_events) & _SUPPORTED_EVENTS
            except SdpError:
                pass
        return offered[law], law, te_pt if events else None, events

    def _send_ptime(self, m: Media) -> int:
        """The peer's ptime preference as a whole number of 10 ms (RFC 4566 §6: ptime and
        maxptime are what the peer wants to receive); 20 ms when absent or unusable."""
        ptime = m.ptime_ms or 20
        if ptime % 10 or ptime > 200:
            ptime = 20
        maxp = m.maxptime_ms
        if maxp is not None and ptime > maxp:
            ptime = max(10, maxp // 10 * 10)
        return ptime

    def _negotiated(self, sd: SessionDescription, m: Media, pt: int, law: int, te_pt: int | None,
                    events: frozenset[int], direction: Direction, receive: dict[int, int],
                    receive_te: int | None) -> NegotiatedMedia:
        conn = sd.connection_for(m)
        if conn is None:
            raise SdpError(f"{m.m_line}: no c= line at session or media level")
        if conn.is_hold_address:
            direction = _FROM_BITS[(False, _BITS[direction][1])]
        rtcp = m.rtcp
        return NegotiatedMedia(conn.host, m.port, pt, law, te_pt, events, self._send_ptime(m), direction, receive,
                               receive_te, None if rtcp is None else (rtcp[1] or conn.host, rtcp[0]))

    def take_answer(self, answer: SessionDescription | str | bytes) -> NegotiatedMedia:
        """Process the peer's answer to our offer (RFC 3264 §7)."""
        sd = answer if isinstance(answer, SessionDescription) else parse_sdp(answer)
        if self.state is not OfferAnswerState.OFFER_SENT or self._offered is None:
            raise OfferAnswerStateError(f"an answer arrived in offer/answer state {self.state.value}")
        offered = self._offered.media
        if len(sd.media) != len(offered):
            raise SdpNegotiationError(f"the answer has {len(sd.media)} m= lines, the offer had {len(offered)}")
        m = sd.media[0]
        if m.port == 0:
            raise SdpNegotiationError(f"the answer rejected the audio stream: {m.m_line}")
        ours = offered[0].payload_types
        loc = self.local
        maps = m.rtpmaps()
        pt = next((p for p in m.payload_types if p in ours and p in loc.codecs), None)
        if pt is None:
            raise SdpNegotiationError(f"the answer picks no codec we offered: {m.m_line}")
        te_pt = next((p for p in m.payload_types if p in ours and p == loc.telephone_event_pt
                      and p in maps and maps[p].encoding.lower() == "telephone-event"), None)
        events = _events(m.fmtp(te_pt)) & _SUPPORTED_EVENTS if te_pt is not None else frozenset()
        their_send, their_recv = _BITS[sd.media_direction(m)]
        our_send, our_recv = _BITS[self._offered_direction]
        direction = _FROM_BITS[(our_send and their_recv, our_recv and their_send)]
        result = self._negotiated(sd, m, pt, pt, te_pt, events, direction, {p: p for p in loc.codecs},
                                  loc.telephone_event_pt)
        self._step(_Step.TAKE_ANSWER)
        self.remote, self.media, self._offered = sd, result, None
        return result
