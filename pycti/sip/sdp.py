"""SDP (RFC 4566) and the offer/answer model (RFC 3264) for G.711 audio with RFC 4733 digits.

Parsing and serialising cover the lines a telephony endpoint needs -- ``v o s c t m a`` and,
kept as they are, ``i u e p b r z k`` -- in the order of RFC 4566 §5: session section first,
then each media section.  ``c=`` is ``IN IP4`` or ``IN IP6`` (validated; an IPv4 multicast
``/ttl`` suffix is kept); ``a=rtpmap``, ``a=fmtp``, ``a=ptime``, ``a=maxptime`` and the direction
attributes (``sendrecv sendonly recvonly inactive``, §6, session level or media level, media
level winning) are checked when parsed.  A malformed description raises :class:`SdpError`
naming the line.

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

import enum
import ipaddress
import re
from dataclasses import dataclass, field, replace
from typing import Literal, Mapping

from pycti.errors import PyctiError

__all__ = [
    "ANSWER_DIRECTION", "Attribute", "Connection", "Direction", "LocalMedia", "Media",
    "NegotiatedMedia", "OfferAnswer", "OfferAnswerState", "OfferAnswerStateError", "Origin",
    "RtpMap", "SdpError", "SdpNegotiationError", "SessionDescription", "parse_sdp",
]

Direction = Literal["sendrecv", "sendonly", "recvonly", "inactive"]
_DIRECTIONS: tuple[Direction, ...] = ("sendrecv", "sendonly", "recvonly", "inactive")
#: RFC 3264 §6.1: the answer's direction for each offered direction (before our own wishes).
ANSWER_DIRECTION: dict[Direction, Direction] = {
    "sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive",
}
_BITS: dict[Direction, tuple[bool, bool]] = {  # (send, receive)
    "sendrecv": (True, True), "sendonly": (True, False), "recvonly": (False, True), "inactive": (False, False),
}
_FROM_BITS: dict[tuple[bool, bool], Direction] = {bits: d for d, bits in _BITS.items()}
_STATIC_CODECS = {0: "PCMU", 8: "PCMA"}  # RFC 3551 Table 4
_LAW_OF = {"PCMU": 0, "PCMA": 8}
_SUPPORTED_EVENTS = frozenset(range(17))  # RFC 4733 events 0-15 digits, 16 flash
_SESSION_ORDER = "vosiuepcbtrzkam"  # RFC 4566 §5
_MEDIA_ORDER = "icbka"
_TOKEN = re.compile(r"^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$")


class SdpError(PyctiError, ValueError):
    """A malformed SDP description (the message names the line) or a bad value to build one."""


class SdpNegotiationError(SdpError):
    """Offer/answer failed: no audio stream with a codec in common, or the answer rejected
    ours.  A SIP driver answers an INVITE with 488 Not Acceptable Here."""


class OfferAnswerStateError(PyctiError, RuntimeError):
    """An offer/answer step out of turn (an answer with no offer out, an offer while ours is
    pending: glare, SIP 491)."""


@dataclass(frozen=True, slots=True)
class Origin:
    """``o=<username> <sess-id> <sess-version> IN <addrtype> <address>``."""

    username: str
    session_id: int
    session_version: int
    address_type: str
    address: str


@dataclass(frozen=True, slots=True)
class Connection:
    """``c=IN <addrtype> <address>``; ``address`` may carry an IPv4 multicast ``/ttl``."""

    address_type: Literal["IP4", "IP6"]
    address: str

    @property
    def host(self) -> str:
        """The address without any ``/ttl`` or ``/count`` suffix."""
        return self.address.split("/", 1)[0]

    @property
    def is_hold_address(self) -> bool:
        """``0.0.0.0`` (or ``::``): the RFC 2543 way of saying "do not send to me"."""
        return self.host in ("0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class RtpMap:
    """``a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]``."""

    payload_type: int
    encoding: str
    clock_rate_hz: int
    channels: int = 1


@dataclass(frozen=True, slots=True)
class Attribute:
    """``a=<name>`` or ``a=<name>:<value>``."""

    name: str
    value: str | None = None


def _attr_value(attrs: tuple[Attribute, ...], name: str) -> list[str]:
    return [a.value for a in attrs if a.name == name and a.value is not None]


def _ms_attribute(attrs: tuple[Attribute, ...], name: str) -> int | None:
    values = _attr_value(attrs, name)
    return _parse_ms(values[-1], name) if values else None


def _direction_of(attrs: tuple[Attribute, ...]) -> Direction | None:
    found = [a.name for a in attrs if a.name in _BITS]
    return found[-1] if found else None


@dataclass(frozen=True, slots=True)
class Media:
    """One media section: ``m=<kind> <port> <protocol> <formats>`` and its lines.

    ``other_lines`` keeps ``i b k`` lines as ``(letter, value)``.
    """

    kind: str
    port: int
    protocol: str
    formats: tuple[str, ...]
    connection: Connection | None = None
    attributes: tuple[Attribute, ...] = ()
    other_lines: tuple[tuple[str, str], ...] = ()
    port_count: int | None = None

    @property
    def m_line(self) -> str:
        """The ``m=`` line, for messages."""
        count = f"/{self.port_count}" if self.port_count is not None else ""
        return f"m={self.kind} {self.port}{count} {self.protocol} {' '.join(self.formats)}"

    @property
    def payload_types(self) -> tuple[int, ...]:
        """The formats as RTP payload types (RTP profiles only)."""
        return tuple(int(f) for f in self.formats if f.isdigit())

    def rtpmaps(self) -> dict[int, RtpMap]:
        """Each PT's ``a=rtpmap`` (the static PCMU/PCMA without one filled in from RFC 3551)."""
        out = {pt: RtpMap(pt, name, 8000) for pt, name in _STATIC_CODECS.items() if str(pt) in self.formats}
        for value in _attr_value(self.attributes, "rtpmap"):
            m = _parse_rtpmap(value)
            out[m.payload_type] = m
        return out

    def fmtp(self, payload_type: int) -> str | None:
        """The ``a=fmtp`` parameters of ``payload_type``."""
        for value in _attr_value(self.attributes, "fmtp"):
            pt, _, params = value.partition(" ")
            if pt == str(payload_type):
                return params.strip()
        return None

    @property
    def ptime_ms(self) -> int | None:
        """``a=ptime`` (ms), if present."""
        return _ms_attribute(self.attributes, "ptime")

    @property
    def maxptime_ms(self) -> int | None:
        """``a=maxptime`` (ms), if present."""
        return _ms_attribute(self.attributes, "maxptime")

    @property
    def direction(self) -> Direction | None:
        """The media-level direction attribute, if any."""
        return _direction_of(self.attributes)


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """A whole SDP description.  ``other_lines`` keeps ``i u e p b r z k`` lines."""

    origin: Origin
    session_name: str = "-"
    connection: Connection | None = None
    timing: tuple[int, int] = (0, 0)
    attributes: tuple[Attribute, ...] = ()
    media: tuple[Media, ...] = ()
    other_lines: tuple[tuple[str, str], ...] = ()

    @property
    def direction(self) -> Direction | None:
        """The session-level direction attribute, if any."""
        return _direction_of(self.attributes)

    def media_direction(self, media: Media) -> Direction:
        """The direction in force for ``media``: media level, else session level, else
        sendrecv (RFC 4566 §6)."""
        return media.direction or self.direction or "sendrecv"

    def connection_for(self, media: Media) -> Connection | None:
        """The media's ``c=``, else the session's."""
        return media.connection or self.connection

    def to_text(self) -> str:
        """The description as SDP text, CRLF line ends, RFC 4566 §5 order."""
        o = self.origin
        lines: list[tuple[str, str]] = [("v", "0"), ("o", f"{o.username} {o.session_id} {o.session_version} IN "
                                                         f"{o.address_type} {o.address}"), ("s", self.session_name)]
        lines += self.other_lines
        if self.connection is not None:
            lines.append(("c", f"IN {self.connection.address_type} {self.connection.address}"))
        lines.append(("t", f"{self.timing[0]} {self.timing[1]}"))
        lines.sort(key=lambda kv: _SESSION_ORDER.index(kv[0]))  # stable: keeps r after its t
        out = [f"{k}={v}" for k, v in lines]
        out += [_attr_text(a) for a in self.attributes]
        for m in self.media:
            out.append(m.m_line)
            mlines = list(m.other_lines)
            if m.connection is not None:
                mlines.append(("c", f"IN {m.connection.address_type} {m.connection.address}"))
            mlines.sort(key=lambda kv: _MEDIA_ORDER.index(kv[0]))
            out += [f"{k}={v}" for k, v in mlines]
            out += [_attr_text(a) for a in m.attributes]
        return "\r\n".join(out) + "\r\n"

    def to_bytes(self) -> bytes:
        """:meth:`to_text` as UTF-8 (a SIP body)."""
        return self.to_text().encode("utf-8")


def _attr_text(a: Attribute) -> str:
    return f"a={a.name}" if a.value is None else f"a={a.name}:{a.value}"


# -- parsing ---------------------------------------------------------------------------------

def _parse_ms(value: str, name: str) -> int:
    try:
        ms = float(value)
    except ValueError:
        raise SdpError(f"a={name}:{value}: not a number of milliseconds") from None
    if not (0 < ms <= 10000) or ms != int(ms):
        raise SdpError(f"a={name}:{value}: want a whole number of milliseconds, 1-10000")
    return int(ms)


def _parse_rtpmap(value: str) -> RtpMap:
    m = re.fullmatch(r"(\d{1,3}) +([^/ ]+)/(\d+)(?:/(\d+))?", value.strip())
    if m is None or int(m.group(1)) > 127 or int(m.group(3)) == 0:
        raise SdpError(f"a=rtpmap:{value}: want '<pt 0-127> <encoding>/<clock rate>[/<channels>]'")
    return RtpMap(int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4) or 1))


def _parse_connection(value: str) -> Connection:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"c={value}: want 'IN IP4 <address>' or 'IN IP6 <address>'")
    host = parts[2].split("/", 1)[0]
    try:
        if parts[1] == "IP6":
            ipaddress.IPv6Address(host)
        elif re.fullmatch(r"[\d.]+", host):
            ipaddress.IPv4Address(host)
        elif not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", host):
            raise ValueError(host)
    except ValueError:
        raise SdpError(f"c={value}: {host!r} is not an {parts[1]} address") from None
    return Connection(parts[1], parts[2])  # type: ignore[arg-type]


def _parse_origin(value: str) -> Origin:
    parts = value.split()
    if len(parts) != 6 or not parts[1].isdigit() or not parts[2].isdigit() or parts[3] != "IN":
        raise SdpError(f"o={value}: want '<username> <sess-id> <sess-version> IN <addrtype> <address>'")
    return Origin(parts[0], int(parts[1]), int(parts[2]), parts[4], parts[5])


def _parse_media(value: str) -> Media:
    parts = value.split()
    if len(parts) < 4:
        raise SdpError(f"m={value}: want '<media> <port> <proto> <fmt> ...'")
    port_text, _, count = parts[1].partition("/")
    if not port_text.isdigit() or int(port_text) > 65535 or (count and not count.isdigit()):
        raise SdpError(f"m={value}: port {parts[1]!r} is not 0-65535[/count]")
    formats = tuple(parts[3:])
    if "RTP/" in parts[2] and any(not f.isdigit() or int(f) > 127 for f in formats):
        raise SdpError(f"m={value}: RTP formats must be payload types 0-127")
    return Media(parts[0], int(port_text), parts[2], formats, port_count=int(count) if count else None)


def _parse_attribute(value: str) -> Attribute:
    name, colon, rest = value.partition(":")
    if not _TOKEN.match(name):
        raise SdpError(f"a={value}: attribute name {name!r} is not a token")
    attr = Attribute(name, rest if colon else None)
    if name == "rtpmap":
        _parse_rtpmap(rest)
    elif name == "fmtp" and not re.match(r"\d{1,3} ", rest + " "):
        raise SdpError(f"a={value}: want 'fmtp:<pt> <parameters>'")
    elif name in ("ptime", "maxptime"):
        _parse_ms(rest, name)
    elif name in _BITS and colon:
        raise SdpError(f"a={value}: a direction attribute takes no value")
    return attr


def parse_sdp(data: str | bytes) -> SessionDescription:
    """Parse an SDP description; :class:`SdpError` names the first bad line.  Of several
    ``t=`` lines the first is kept."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SdpError(f"SDP is not UTF-8 text (octet {exc.start})") from None
    lines = data.replace("\r\n", "\n").rstrip("\n").split("\n")
    origin: Origin | None = None
    name: str | None = None
    timing: tuple[int, int] | None = None
    heads: list[Media] = []
    # attributes, other lines, c= of the session section, then of each media section
    parts: list[tuple[list[Attribute], list[tuple[str, str]], list[Connection]]] = [([], [], [])]
    rank = -1  # position in _SESSION_ORDER reached
    for number, line in enumerate(lines, 1):
        try:
            if len(line) < 2 or line[1] != "=" or not line[0].islower():
                raise SdpError("not '<type>=<value>'")
            kind, value = line[0], line[2:]
            if (number == 1) != (kind == "v") or (kind == "v" and value != "0"):
                raise SdpError("an SDP description starts with v=0, and only there")
            if kind not in (_MEDIA_ORDER + "m" if heads else _SESSION_ORDER):
                raise SdpError(f"'{kind}=' is not allowed {'in a media section' if heads else 'here'}")
            attrs, other, conns = parts[-1]
            if not heads:
                pos = _SESSION_ORDER.index(kind)
                if pos < rank and not (kind == "t" and rank == _SESSION_ORDER.index("r")):
                    raise SdpError(f"'{kind}=' is out of the RFC 4566 order v o s i u e p c b t r z k a m")
                rank = pos
                if (kind == "o" and origin is not None) or (kind == "s" and name is not None):
                    raise SdpError(f"a second '{kind}=' line")
            if kind == "m":
                heads.append(_parse_media(value))
                parts.append(([], [], []))
            elif kind == "c":
                if conns:
                    raise SdpError("a second 'c=' line in one section")
                conns.append(_parse_connection(value))
            elif kind == "a":
                attrs.append(_parse_attribute(value))
            elif kind == "o":
                origin = _parse_origin(value)
            elif kind == "s":
                name = value
            elif kind == "t":
                times = value.split()
                if len(times) != 2 or not all(t.isdigit() for t in times):
                    raise SdpError("want 't=<start> <stop>'")
                timing = timing or (int(times[0]), int(times[1]))
            elif kind != "v":
                other.append((kind, value))
        except SdpError as exc:
            raise SdpError(f"SDP line {number} {line!r}: {str(exc).removeprefix(line + ': ')}") from None
    if origin is None or name is None or timing is None:
        raise SdpError(f"SDP has no {'o' if origin is None else 's' if name is None else 't'}= line")
    media = tuple(replace(h, connection=c[0] if c else None, attributes=tuple(a), other_lines=tuple(o))
                  for h, (a, o, c) in zip(heads, parts[1:]))
    s_attrs, s_other, s_conn = parts[0]
    return SessionDescription(origin, name, s_conn[0] if s_conn else None, timing, tuple(s_attrs), media,
                              tuple(s_other))


# -- offer/answer ----------------------------------------------------------------------------

def _events(fmtp: str | None) -> frozenset[int]:
    """RFC 4733 §2.4.1 event list ``0-15,16``; absent means 0-15."""
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
        _parse_connection(f"IN {self.address_type} {self.address}")
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
    (``sendonly``: we send, do not receive).
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


class OfferAnswerState(enum.Enum):
    """Where the negotiation stands."""
    IDLE = "idle"  #: nothing negotiated yet
    OFFER_SENT = "offer_sent"  #: our offer is out, waiting for the answer
    STABLE = "stable"  #: media negotiated


class _Step(enum.Enum):
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
        draft = SessionDescription(Origin(loc.username, loc.session_id, 0, loc.address_type, loc.address),
                                   loc.session_name, conn, (0, 0), (), media)
        body = draft.to_text()
        if self._last_body is not None and body != self._last_body:
            self._version += 1
        self._last_body = body
        return replace(draft, origin=replace(draft.origin, session_version=self._version))

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
        return NegotiatedMedia(conn.host, m.port, pt, law, te_pt, events, self._send_ptime(m), direction, receive,
                               receive_te)

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
