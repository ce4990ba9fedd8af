"""SIP requests and responses: the data model, the parser from bytes and the serializer.

RFC 3261 §7 (message format: start line, header fields with LWS folding §7.3.1, compact forms
§7.3.3, body and Content-Length §7.4-7.5, §18.3), §8.1.1 / §8.2.2 (the header fields a request
must carry, CSeq method = request method), §19.1.5 (no headers in a Request-URI), §20 (header
fields).  The parser is strict where RFC 4475 §3.1.2 allows rejecting (extra spaces in the start
line, LWS inside ``<>``), liberal where RFC 4475 §3.1.1 and RFC 5118 demand acceptance.

A parsed message serializes in canonical form: long header names, one field per line, folding
collapsed, CRLF line ends and a Content-Length that matches the body (``to_bytes``).  Unknown
header fields and the text of known ones are kept verbatim (apart from folding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from pycti.sip.header_values import (
    CSeq, NameAddr, Via, parse_cseq, parse_name_addr, parse_via, split_commas,
)
from pycti.sip.headers import _CANONICAL, SINGLE_HEADERS, Headers, canonical_name
from pycti.sip.message_errors import ReplyMaterial, SipParseError
from pycti.sip.uri import SipUri, Uri, parse_uri

__all__ = [
    "SipRequest", "SipResponse", "SipMessage", "parse_message", "make_request",
    "make_response", "make_cancel", "make_ack_for_failure", "REASON_PHRASES", "MANDATORY_HEADERS", "STANDARD_METHODS",
]

REASON_PHRASES: dict[int, str] = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 200: "OK", 202: "Accepted", 300: "Multiple Choices",
    301: "Moved Permanently", 302: "Moved Temporarily", 305: "Use Proxy",
    380: "Alternative Service", 400: "Bad Request", 401: "Unauthorized",
    402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
    410: "Gone", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
    415: "Unsupported Media Type", 416: "Unsupported URI Scheme", 420: "Bad Extension",
    421: "Extension Required", 423: "Interval Too Brief", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
    484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here", 487: "Request Terminated",
    488: "Not Acceptable Here", 491: "Request Pending", 493: "Undecipherable",
    500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large", 600: "Busy Everywhere", 603: "Decline",
    604: "Does Not Exist Anywhere", 606: "Not Acceptable",
}
"""Status code -> reason phrase of RFC 3261 §21."""

STANDARD_METHODS = frozenset([
    "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY",
    "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
])
"""Methods of RFC 3261 and its extensions (3262, 6665, 3903, 6086, 3515, 3428, 3311)."""

MANDATORY_HEADERS = ("Via", "From", "To", "Call-ID", "CSeq")
"""Header fields every request and response needs (§8.1.1; Max-Forwards is tolerated absent
for RFC 2543 peers, RFC 4475 §3.4.1)."""

_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_VERSION = re.compile(r"SIP/([0-9]+)\.([0-9]+)", re.I)
_CALL_ID = re.compile(r"[^\x00-\x20\x7f]+")
_ENC = "utf-8"
_ERRS = "surrogateescape"


def _serialize(start: str, headers: Headers, body: bytes) -> bytes:
    lines = [start]
    length_line = f"Content-Length: {len(body)}"
    placed = False
    for name, value in headers.fields:
        if name == "Content-Length":
            if not placed:
                lines.append(length_line)
                placed = True
            continue
        lines.append(f"{name}: {value}")
    if not placed:
        lines.append(length_line)
    lines.append("\r\n")
    return "\r\n".join(lines).encode(_ENC, _ERRS) + body


class _MessageMixin:
    """Shortcuts shared by requests and responses (all read :attr:`headers`)."""

    __slots__ = ()
    headers: Headers

    @property
    def call_id(self) -> str | None:
        """The Call-ID."""
        return self.headers.call_id

    def cseq(self) -> CSeq | None:
        """The CSeq."""
        return self.headers.cseq()

    def top_via(self) -> Via | None:
        """The topmost Via."""
        return self.headers.top_via()

    def from_(self) -> NameAddr | None:
        """The From value."""
        return self.headers.from_()

    def to(self) -> NameAddr | None:
        """The To value."""
        return self.headers.to()


@dataclass(frozen=True, slots=True)
class SipRequest(_MessageMixin):
    """A SIP request (RFC 3261 §7.1): method, Request-URI, header fields, body octets."""

    method: str
    uri: Uri
    headers: Headers
    body: bytes = b""

    @property
    def start_line(self) -> str:
        """``Method SP Request-URI SP SIP/2.0``."""
        return f"{self.method} {self.uri} SIP/2.0"

    def to_bytes(self) -> bytes:
        """The canonical wire form (long names, CRLF, Content-Length = len(body))."""
        return _serialize(self.start_line, self.headers, self.body)

    def with_header(self, name: str, value: object, *, first: bool = False) -> SipRequest:
        """A copy with field ``name: value`` added (at the top with ``first``, e.g. a Via)."""
        return SipRequest(self.method, self.uri, self.headers.with_header(name, value,
                                                                         first=first), self.body)

    def with_replaced_header(self, name: str, value: object) -> SipRequest:
        """A copy where ``name`` holds exactly ``value``."""
        return SipRequest(self.method, self.uri, self.headers.replace(name, value), self.body)

    def without_header(self, name: str) -> SipRequest:
        """A copy without any field ``name``."""
        return SipRequest(self.method, self.uri, self.headers.without(name), self.body)

    def with_uri(self, uri: Uri) -> SipRequest:
        """A copy with another Request-URI."""
        return SipRequest(self.method, uri, self.headers, self.body)

    def with_body(self, body: bytes, content_type: str | None = None) -> SipRequest:
        """A copy with ``body`` (and Content-Type, if given)."""
        headers = self.headers if content_type is None else self.headers.replace(
            "Content-Type", content_type)
        return SipRequest(self.method, self.uri, headers, bytes(body))


@dataclass(frozen=True, slots=True)
class SipResponse(_MessageMixin):
    """A SIP response (RFC 3261 §7.2): status code, reason phrase, header fields, body."""

    status: int
    reason: str
    headers: Headers
    body: bytes = b""

    @property
    def start_line(self) -> str:
        """``SIP/2.0 SP Status-Code SP Reason-Phrase``."""
        return f"SIP/2.0 {self.status} {self.reason}"

    @property
    def is_provisional(self) -> bool:
        """True for 1xx."""
        return self.status < 200

    def to_bytes(self) -> bytes:
        """The canonical wire form (long names, CRLF, Content-Length = len(body))."""
        return _serialize(self.start_line, self.headers, self.body)

    def with_header(self, name: str, value: object, *, first: bool = False) -> SipResponse:
        """A copy with field ``name: value`` added."""
        return SipResponse(self.status, self.reason,
                           self.headers.with_header(name, value, first=first), self.body)

    def with_replaced_header(self, name: str, value: object) -> SipResponse:
        """A copy where ``name`` holds exactly ``value``."""
        return SipResponse(self.status, self.reason, self.headers.replace(name, value),
                           self.body)

    def without_header(self, name: str) -> SipResponse:
        """A copy without any field ``name``."""
        return SipResponse(self.status, self.reason, self.headers.without(name), self.body)

    def with_body(self, body: bytes, content_type: str | None = None) -> SipResponse:
        """A copy with ``body`` (and Content-Type, if given)."""
        headers = self.headers if content_type is None else self.headers.replace(
            "Content-Type", content_type)
        return SipResponse(self.status, self.reason, headers, bytes(body))


SipMessage = Union[SipRequest, SipResponse]


# -- parsing ------------------------------------------------------------------------------

def _split_head(data: bytes) -> tuple[str, int]:
    """Return the header section as text (start line first) and the body's offset."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise SipParseError("no empty line ends the header section")
    return data[:end].decode(_ENC, _ERRS), end + 4


_FOLD = re.compile(r"[ \t]*\r\n[ \t]+")
#: a header field name as written (known names: canonical, lower case, compact forms) ->
#: (canonical name, index key)
_NAMES: dict[str, tuple[str, str]] = {name: (canon, canon.lower()) for name, canon in _CANONICAL.items()}


def _header_fields(text: str) -> tuple[tuple[tuple[str, str], ...], dict[str, tuple[str, ...]]]:
    """Unfold and split the header lines into canonical ``(name, value)`` pairs and an index.

    The index holds tuples, not lists: a message kept for a while (a transaction waiting out
    Timer J holds its request and response for 32 s) then holds no container the cyclic
    collector must keep visiting."""
    if text[:1] in (" ", "\t"):
        raise SipParseError("continuation line before any header field", value=text[:40])
    if "\r\n " in text or "\r\n\t" in text:
        text = _FOLD.sub(" ", text)
    fields: list[tuple[str, str]] = []
    index: dict[str, tuple[str, ...]] = {}
    names = _NAMES
    for line in text.split("\r\n"):
        name, sep, value = line.partition(":")
        if not sep:
            raise SipParseError(f"header line without ':' {line!r}", value=line)
        known = names.get(name)
        if known is None:
            name = name.rstrip(" \t")
            known = names.get(name.lower())
            if known is None:
                if not _TOKEN.fullmatch(name):
                    raise SipParseError(f"bad header field name {name!r}", value=line)
                known = (name, name.lower())
        canon, key = known
        value = value.strip(" \t")
        fields.append((canon, value))
        values = index.get(key)
        index[key] = (value,) if values is None else (*values, value)
    return tuple(fields), index


def _parse_start(start: str) -> tuple[str | None, Uri | None, int, str]:
    """Parse the start line: (method, uri, 0, "") for requests, (None, None, status, reason)."""
    if start[:4].upper() == "SIP/":
        version, _, rest = start.partition(" ")
        if not _VERSION.fullmatch(version):
            raise SipParseError(f"bad SIP version in status line {start!r}", value=start)
        code, _, reason = rest.partition(" ")
        if len(code) != 3 or not code.isdigit() or not code.isascii() or code[0] not in "123456":
            raise SipParseError(f"bad status code {code!r}", value=start)
        if version.upper() != "SIP/2.0":
            raise SipParseError(f"unsupported SIP version {version!r}", value=start)
        return None, None, int(code), reason
    parts = start.split(" ")
    if len(parts) != 3 or not all(parts):
        raise SipParseError(f"request line is not 'Method SP Request-URI SP SIP-Version': "
                            f"{start!r}", value=start)
    method, uri_text, version = parts
    if not _TOKEN.fullmatch(method):
        raise SipParseError(f"bad method {method!r}", value=start)
    if not _VERSION.fullmatch(version):
        raise SipParseError(f"bad SIP version {version!r}", value=start)
    if version.upper() != "SIP/2.0":
        raise SipParseError(f"unsupported SIP version {version!r}", value=start,
                            reply_status=505)
    try:
        uri = parse_uri(uri_text)
    except SipParseError as exc:
        raise SipParseError(f"Request-URI: {exc.problem}", value=uri_text) from None
    if isinstance(uri, SipUri) and uri.headers:
        raise SipParseError(f"Request-URI may not hold headers (RFC 3261 §19.1.5): {uri_text!r}",
                            value=uri_text)
    return method, uri, 0, ""


def _uint(index: dict[str, tuple[str, ...]], key: str, limit: int) -> int | None:
    values = index.get(key)
    if values is None:
        return None
    text = values[0]
    if not text.isdigit() or not text.isascii() or int(text) > limit:
        raise SipParseError(f"not an integer in 0..{limit}: {text!r}",
                            header=canonical_name(key), value=text)
    return int(text)


def _validate(headers: Headers, index: dict[str, tuple[str, ...]], method: str | None) -> None:
    """Check presence, uniqueness and syntax of the fields every element relies on.

    The typed values parsed on the way are left in the headers' cache.
    """
    if len(index) < len(headers):  # some name repeats: is it one that may not?
        for lname in SINGLE_HEADERS:
            values = index.get(lname)
            if values is not None and len(values) > 1:
                raise SipParseError(f"{len(values)} fields where one is allowed: {values!r}",
                                    header=canonical_name(lname), value=values[1])
    for name, key in _MANDATORY_KEYS:
        if key not in index:
            raise SipParseError("missing (a mandatory header field)", header=name)
    cache = headers._cache
    field = "Via"
    try:
        vias: list[Via] = []
        for value in index["via"]:
            for part in split_commas(value):
                vias.append(parse_via(part))
        cache["via"] = tuple(vias)
        field = "From"
        cache["from"] = parse_name_addr(index["from"][0])
        field = "To"
        cache["to"] = parse_name_addr(index["to"][0])
        field = "CSeq"
        cseq = cache["cseq"] = parse_cseq(index["cseq"][0])
        contacts = index.get("contact")
        if contacts is not None:
            field = "Contact"
            if contacts != ("*",):
                cache["contact"] = tuple(parse_name_addr(part) for value in contacts
                                         for part in split_commas(value))
    except SipParseError as exc:
        raise exc.in_header(field) from None
    call_id = index["call-id"][0]
    if not _CALL_ID.fullmatch(call_id):
        raise SipParseError(f"bad Call-ID {call_id!r}", header="Call-ID", value=call_id)
    if method is not None and cseq.method != method:
        # RFC 4475 §3.1.2.18: for a method nobody defined, 501 ages better than 400.
        raise SipParseError(f"CSeq method {cseq.method!r} differs from request method "
                            f"{method!r}", header="CSeq", value=str(cseq),
                            reply_status=400 if method in STANDARD_METHODS else 501)
    cache["max-forwards"] = _uint(index, "max-forwards", 255)
    cache["content-length"] = _uint(index, "content-length", 2**63)


_MANDATORY_KEYS = tuple((name, name.lower()) for name in MANDATORY_HEADERS)


def _parse(data: bytes, stream: bool) -> SipMessage:
    start_at = 0
    while data.startswith(b"\r\n", start_at):
        start_at += 2
    if start_at:
        data = data[start_at:]
    head, body_at = _split_head(data)
    start, _, text = head.partition("\r\n")
    lines = head.count("\r\n")
    if head.count("\n") != lines or head.count("\r") != lines:
        raise SipParseError("bare CR or LF in the header section")
    method, uri, status, reason = _parse_start(start)
    fields, index = _header_fields(text) if text else ((), {})
    headers = Headers._trusted(fields, index)
    _validate(headers, index, method)
    length = headers.content_length
    available = len(data) - body_at
    if length is None:
        if stream:
            raise SipParseError("absent on a stream transport (RFC 3261 §18.3)",
                                header="Content-Length")
        length = available
    elif length > available:
        raise SipParseError(f"{length} exceeds the {available} body octets received",
                            header="Content-Length", value=str(length))
    body = data[body_at:body_at + length]
    if method is not None:
        assert uri is not None
        return SipRequest(method, uri, headers, body)
    return SipResponse(status, reason, headers, body)


def _salvage(data: bytes) -> tuple[str, dict[str, list[str]]]:
    """Best-effort start line and raw header values of a message that failed to parse."""
    data = data.lstrip(b"\r\n")
    end = data.find(b"\r\n\r\n")
    head = (data if end < 0 else data[:end]).decode(_ENC, _ERRS)
    lines = head.split("\r\n")
    index: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in lines[1:]:
        if "\n" in line or "\r" in line:
            last = None
            continue
        if line[:1] in (" ", "\t") and last is not None:
            last[-1] = (last[-1] + " " + line.strip(" \t")).strip(" \t")
            continue
        name, sep, value = line.partition(":")
        if not sep:
            last = None
            continue
        last = index.setdefault(canonical_name(name.rstrip(" \t")).lower(), [])
        last.append(value.strip(" \t"))
    return lines[0], index


def _annotate(exc: SipParseError, data: bytes) -> None:
    """Fill in ``is_request``, ``material`` and ``reply_status`` of a parse error."""
    start, index = _salvage(data)
    if start[:4].upper() == "SIP/":
        exc.is_request = False
        exc.reply_status = None
        return
    method = start.split(" ", 1)[0]
    exc.is_request = True
    if not _TOKEN.fullmatch(method):
        exc.reply_status = None
        return
    if method == "ACK":
        exc.reply_status = None  # RFC 3261 §17.2.3: ACKs are never answered
    vias = tuple(index.get("via", ()))

    def first(name: str) -> str | None:
        values = index.get(name)
        return values[0] if values else None

    exc.material = ReplyMaterial(method, vias, first("from"), first("to"), first("call-id"),
                                 first("cseq"))
    if not vias:
        exc.reply_status = None


def parse_message(data: bytes, *, stream: bool = False) -> SipMessage:
    """Parse one SIP message from ``data``.

    Over UDP (``stream=False``) the datagram is the frame: Content-Length, when present,
    selects the body and octets past it are ignored (RFC 3261 §18.3, RFC 4475 §3.1.1.8); a
    shorter datagram is an error; without Content-Length the body is the rest.  With
    ``stream=True`` Content-Length is mandatory.  Leading CRLFs are skipped (§7.5).

    Raises :class:`SipParseError` (with ``reply_status`` and ``material`` filled in) for
    anything RFC 3261 does not allow.
    """
    try:
        return _parse(bytes(data), stream)
    except SipParseError as exc:
        _annotate(exc, bytes(data))
        raise


# -- building -----------------------------------------------------------------------------

def make_request(method: str, uri: Uri, *, via: Via | str, from_: NameAddr | str,
                 to: NameAddr | str, call_id: str, cseq: int, max_forwards: int = 70,
                 contact: NameAddr | str | None = None,
                 extra: tuple[tuple[str, str], ...] = (), body: bytes = b"",
                 content_type: str | None = None) -> SipRequest:
    """A new request with the header fields §8.1.1 requires, in the usual order."""
    if not _TOKEN.fullmatch(method):
        raise SipParseError(f"bad method {method!r}", value=method)
    fields: list[tuple[str, str]] = [
        ("Via", str(via)), ("Max-Forwards", str(max_forwards)), ("From", str(from_)),
        ("To", str(to)), ("Call-ID", call_id), ("CSeq", f"{cseq} {method}"),
    ]
    if contact is not None:
        fields.append(("Contact", str(contact)))
    fields.extend(extra)
    if content_type is not None:
        fields.append(("Content-Type", content_type))
    return SipRequest(method, uri, Headers(fields), bytes(body))


def make_response(request: SipRequest, status: int, reason: str | None = None, *,
                  to_tag: str | None = None, extra: tuple[tuple[str, str], ...] = (),
                  body: bytes = b"", content_type: str | None = None) -> SipResponse:
    """A response to ``request`` per RFC 3261 §8.2.6.

    Copies every Via (in order), From, To, Call-ID and CSeq; adds ``to_tag`` to the To when it
    has none (callers pass it for everything but 100); copies Timestamp into a 100 (§8.2.6.1).
    """
    if not 100 <= status <= 699:
        raise SipParseError(f"status {status} outside 100-699", value=str(status))
    fields: list[tuple[str, str]] = [("Via", v) for v in request.headers.get_all("Via")]
    for name in ("From", "To", "Call-ID", "CSeq"):
        value = request.headers.get(name)
        if value is None:
            continue
        if name == "To" and to_tag is not None:
            to = request.headers.to()
            if to is not None and to.tag is None:
                value = str(to.with_param("tag", to_tag))
        fields.append((name, value))
    if status == 100:
        fields.extend(("Timestamp", t) for t in request.headers.get_all("Timestamp"))
    added = list(extra)
    if content_type is not None:
        added.append(("Content-Type", content_type))
    # the fields copied from the request passed its checks already; only what is added is checked
    headers = Headers._trusted(tuple(fields) + Headers(added).fields if added else tuple(fields), None)
    return SipResponse(status, REASON_PHRASES.get(status, "") if reason is None else reason,
                       headers, bytes(body))


def _copied(request: SipRequest, names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, value) for name in names for value in request.headers.get_all(name)]


def make_cancel(request: SipRequest) -> SipRequest:
    """The CANCEL for ``request`` (RFC 3261 §9.1).

    Same Request-URI, Call-ID, From, To and CSeq number; only the request's top Via; its
    Route set; Max-Forwards 70.
    """
    top = request.headers.get_list("Via")[:1]
    cseq = request.cseq()
    if not top or cseq is None:
        raise SipParseError("request has no Via or CSeq to cancel", header="Via")
    fields = [("Via", top[0]), ("Max-Forwards", "70")]
    fields += _copied(request, ("From", "To", "Call-ID"))
    fields.append(("CSeq", f"{cseq.seq} CANCEL"))
    fields += _copied(request, ("Route",))
    return SipRequest("CANCEL", request.uri, Headers(fields))


def make_ack_for_failure(request: SipRequest, response: SipResponse) -> SipRequest:
    """The ACK a client transaction sends for a 300-699 ``response`` to INVITE (§17.1.1.3).

    Request-URI, Call-ID, From and CSeq number of the INVITE, the To of the response (with
    its tag), only the INVITE's top Via, its Route set.
    """
    top = request.headers.get_list("Via")[:1]
    cseq = request.cseq()
    to = response.headers.get("To")
    if not top or cseq is None or to is None:
        raise SipParseError("INVITE or response lacks Via, CSeq or To", header="Via")
    fields = [("Via", top[0]), ("Max-Forwards", "70")]
    fields += _copied(request, ("From",))
    fields.append(("To", to))
    fields += _copied(request, ("Call-ID",))
    fields.append(("CSeq", f"{cseq.seq} ACK"))
    fields += _copied(request, ("Route",))
    return SipRequest("ACK", request.uri, Headers(fields))
