"""SDP descriptions (RFC 4566): the data model, the parser and the serialiser.

The lines a telephony endpoint needs -- ``v o s c t m a`` and, kept as they are,
``i u e p b r z k`` -- in the order of RFC 4566 §5: session section first, then each media
section.  ``c=`` is ``IN IP4`` or ``IN IP6`` (validated; an IPv4 multicast ``/ttl`` suffix is
kept); ``a=rtpmap``, ``a=fmtp``, ``a=ptime``, ``a=maxptime`` and the direction attributes
(``sendrecv sendonly recvonly inactive``, §6, session level or media level, media level winning)
are checked when parsed.  A malformed description raises :class:`SdpError` naming the line.
The offer/answer model on top is :mod:`pycti.sip.sdp`, which re-exports these names.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from pycti.errors import PyctiError

__all__ = [
    "Attribute", "Connection", "Direction", "Media", "OfferAnswerStateError", "Origin", "RtpMap",
    "SdpError", "SdpNegotiationError", "SessionDescription", "parse_sdp", "parse_connection",
    "DIRECTION_BITS", "STATIC_CODECS",
]

Direction = Literal["sendrecv", "sendonly", "recvonly", "inactive"]
#: each direction attribute as (we send, we receive) (RFC 4566 §6, RFC 3264 §5.1)
DIRECTION_BITS: dict[Direction, tuple[bool, bool]] = {
    "sendrecv": (True, True), "sendonly": (True, False), "recvonly": (False, True), "inactive": (False, False),
}
STATIC_CODECS = {0: "PCMU", 8: "PCMA"}  #: the static G.711 payload types (RFC 3551 Table 4)
_SESSION_ORDER = "vosiuepcbtrzkam"  # RFC 4566 §5
_MEDIA_ORDER = "icbka"
_SESSION_RANK = {kind: rank for rank, kind in enumerate(_SESSION_ORDER)}
_MEDIA_KINDS = frozenset(_MEDIA_ORDER + "m")
_TOKEN = re.compile(r"^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$")
_RTPMAP = re.compile(r"(\d{1,3}) +([^/ ]+)/(\d+)(?:/(\d+))?")
_FMTP = re.compile(r"\d{1,3} ")
_DOTTED = re.compile(r"[\d.]+")
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")


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
    found = [a.name for a in attrs if a.name in DIRECTION_BITS]
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
        out = {pt: RtpMap(pt, name, 8000) for pt, name in STATIC_CODECS.items() if str(pt) in self.formats}
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

    @property
    def rtcp(self) -> tuple[int, str | None] | None:
        """``a=rtcp:<port> [IN IP4|IP6 <address>]`` (RFC 3605 §2.1) as (port, address or None);
        None when absent or not of that form (the RTCP port is then the RTP port + 1)."""
        values = _attr_value(self.attributes, "rtcp")
        if not values:
            return None
        parts = values[-1].split()
        if not parts or not parts[0].isdigit() or not 1 <= int(parts[0]) <= 65535:
            return None
        if len(parts) == 4 and parts[1] == "IN" and parts[2] in ("IP4", "IP6"):
            return int(parts[0]), parts[3]
        return (int(parts[0]), None) if len(parts) == 1 else None


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
        if self.other_lines:
            lines.sort(key=lambda kv: _SESSION_ORDER.index(kv[0]))  # stable: keeps r after its t
        out = [f"{k}={v}" for k, v in lines]
        out += [_attr_text(a) for a in self.attributes]
        for m in self.media:
            out.append(m.m_line)
            mlines = list(m.other_lines)
            if m.connection is not None:
                mlines.append(("c", f"IN {m.connection.address_type} {m.connection.address}"))
            if len(mlines) > 1:
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
    m = _RTPMAP.fullmatch(value.strip())
    if m is None or int(m.group(1)) > 127 or int(m.group(3)) == 0:
        raise SdpError(f"a=rtpmap:{value}: want '<pt 0-127> <encoding>/<clock rate>[/<channels>]'")
    return RtpMap(int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4) or 1))


def parse_connection(value: str) -> Connection:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"c={value}: want 'IN IP4 <address>' or 'IN IP6 <address>'")
    host = parts[2].split("/", 1)[0]
    if not _is_address(parts[1], host):
        raise SdpError(f"c={value}: {host!r} is not an {parts[1]} address")
    return Connection(parts[1], parts[2])  # type: ignore[arg-type]


@functools.lru_cache(maxsize=1024)
def _is_address(address_type: str, host: str) -> bool:
    """Whether ``host`` is a valid ``c=`` address of ``address_type`` (IP4: dotted quad or a
    host name; IP6: an IPv6 address).  Cached: a peer's media addresses recur call after call."""
    try:
        if address_type == "IP6":
            ipaddress.IPv6Address(host)
        elif _DOTTED.fullmatch(host):
            ipaddress.IPv4Address(host)
        elif not _HOSTNAME.fullmatch(host):
            return False
    except ValueError:
        return False
    return True


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
    elif name == "fmtp" and not _FMTP.match(rest + " "):
        raise SdpError(f"a={value}: want 'fmtp:<pt> <parameters>'")
    elif name in ("ptime", "maxptime"):
        _parse_ms(rest, name)
    elif name in DIRECTION_BITS and colon:
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
            if heads:
                if kind not in _MEDIA_KINDS:
                    raise SdpError(f"'{kind}=' is not allowed in a media section")
            else:
                pos = _SESSION_RANK.get(kind, -1)
                if pos < 0:
                    raise SdpError(f"'{kind}=' is not allowed here")
                if pos < rank and not (kind == "t" and rank == _SESSION_RANK["r"]):
                    raise SdpError(f"'{kind}=' is out of the RFC 4566 order v o s i u e p c b t r z k a m")
                rank = pos
                if (kind == "o" and origin is not None) or (kind == "s" and name is not None):
                    raise SdpError(f"a second '{kind}=' line")
            attrs, other, conns = parts[-1]
            if kind == "m":
                heads.append(_parse_media(value))
                parts.append(([], [], []))
            elif kind == "c":
                if conns:
                    raise SdpError("a second 'c=' line in one section")
                conns.append(parse_connection(value))
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
    media = tuple(Media(h.kind, h.port, h.protocol, h.formats, c[0] if c else None, tuple(a), tuple(o), h.port_count)
                  for h, (a, o, c) in zip(heads, parts[1:]))
    s_attrs, s_other, s_conn = parts[0]
    return SessionDescription(origin, name, s_conn[0] if s_conn else None, timing, tuple(s_attrs), media,
                              tuple(s_other))
