"""Transport entry points: a TCP/TLS stream framer and the UDP datagram verdict.

RFC 3261 §18.3: on a stream, Content-Length frames the body and is mandatory; CRLFs before a
start line are ignored (§7.5), and RFC 5626 §4.4.1 sends CRLFCRLF as a keep-alive ping (a CRLF
pong answers it).  §18.1.2 / §18.2.2 and RFC 4475 §3.1.2: a malformed request is answered with
400 (505 for an unsupported version) when it can be, a malformed response is dropped; RFC 3261
§8.2.6.2 says what the answer copies.  Sans-I/O: bytes in, messages and verdicts out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pycti.sip.header_values import parse_name_addr
from pycti.sip.headers import Headers
from pycti.sip.message import REASON_PHRASES, SipMessage, SipResponse, parse_message
from pycti.sip.message_errors import SipFramingError, SipParseError

__all__ = ["StreamFramer", "Framed", "DatagramVerdict", "judge_datagram", "error_response",
           "DEFAULT_MAX_MESSAGE_BYTES"]

DEFAULT_MAX_MESSAGE_BYTES = 65535
"""Largest message a framer accepts (the largest UDP payload; RFC 3261 §18.1.1 sizes)."""

_CONTENT_LENGTH = re.compile(rb"\r\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)", re.I)


@dataclass(frozen=True, slots=True)
class Framed:
    """One frame cut from a stream: the message, or the error it raised and its octets."""

    raw: bytes
    message: SipMessage | None = None
    error: SipParseError | None = None


class StreamFramer:
    """Cut a byte stream (TCP, TLS) into SIP messages by Content-Length (RFC 3261 §18.3).

    :meth:`feed` takes whatever the socket delivered and returns the frames it completed.  A
    frame whose message is malformed but whose framing is sound comes back as a
    :class:`Framed` with ``error`` (answer it, keep the connection); a framing failure (no or
    bad Content-Length, a message beyond ``max_message_bytes``) raises
    :class:`SipFramingError`: the connection must be closed.  ``pings`` counts the CRLFCRLF
    keep-alives seen (RFC 5626 §4.4.1), which are otherwise ignored.
    """

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        if max_message_bytes < 64:
            raise ValueError(f"max_message_bytes {max_message_bytes} is too small")
        self.max_message_bytes = max_message_bytes
        self.pings = 0
        self._crlfs = 0
        self._buf = bytearray()
        self._broken: SipFramingError | None = None

    @property
    def buffered_bytes(self) -> int:
        """Octets received but not yet part of a complete message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Framed]:
        """Add received octets; return the frames now complete, in order."""
        if self._broken is not None:
            raise self._broken
        self._buf += data
        out: list[Framed] = []
        buf = self._buf
        while True:
            skip = 0
            while buf.startswith(b"\r\n", skip):
                skip += 2
                self._crlfs += 1
                if self._crlfs == 2:
                    self.pings += 1
                    self._crlfs = 0
            if skip:
                del buf[:skip]
            if buf and buf[0] != 0x0D:
                self._crlfs = 0
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > self.max_message_bytes:
                    self._fail(f"header section longer than {self.max_message_bytes} octets")
                return out
            head = bytes(buf[:end + 2])
            lengths = _CONTENT_LENGTH.findall(head)
            if not lengths:
                self._fail("message without Content-Length on a stream (RFC 3261 §18.3)")
            values = {v.strip(b" \t") for v in lengths}
            if len(values) != 1 or not next(iter(values)).isdigit():
                self._fail(f"unusable Content-Length {b', '.join(lengths)!r}")
            total = end + 4 + int(next(iter(values)))
            if total > self.max_message_bytes:
                self._fail(f"message of {total} octets exceeds {self.max_message_bytes}")
            if len(buf) < total:
                return out
            raw = bytes(buf[:total])
            del buf[:total]
            try:
                out.append(Framed(raw, message=parse_message(raw, stream=True)))
            except SipParseError as exc:
                out.append(Framed(raw, error=exc))

    def _fail(self, problem: str) -> None:
        self._broken = SipFramingError(problem, header="Content-Length", reply_status=None)
        raise self._broken


@dataclass(frozen=True, slots=True)
class DatagramVerdict:
    """What to do with one UDP datagram.

    ``message`` is set when it parsed; otherwise ``error`` says why, and ``reply`` is the
    response to send back (400, 505) or ``None`` to drop it silently.  A keep-alive (only
    CRLFs) has neither message nor error.
    """

    message: SipMessage | None
    error: SipParseError | None = None
    reply: SipResponse | None = None


def judge_datagram(data: bytes, *, to_tag: str | Callable[[], str] | None = None) -> DatagramVerdict:
    """Parse a UDP datagram and, if it is bad, decide between an error response and a drop.

    ``to_tag`` is the tag an error response adds to the To (RFC 3261 §8.2.6.2), or what makes
    one (called only for a datagram that gets an error response: a good one draws no tag).
    """
    if not data.strip(b"\r\n"):
        return DatagramVerdict(None)
    try:
        return DatagramVerdict(parse_message(data))
    except SipParseError as exc:
        if callable(to_tag):
            to_tag = to_tag() if exc.reply_status is not None else None
        return DatagramVerdict(None, exc, error_response(exc, to_tag=to_tag))


def error_response(error: SipParseError, *, to_tag: str | None = None) -> SipResponse | None:
    """The response RFC 3261 / RFC 4475 want for a request that failed to parse, or ``None``.

    Built from the raw Via, From, To, Call-ID and CSeq values the parser salvaged (§8.2.6),
    with ``to_tag`` added to a To that parses and has no tag.  ``None`` when the message was a
    response, an ACK, or lacked a Via to send the answer along.
    """
    material = error.material
    status = error.reply_status
    if status is None or material is None or not material.via:
        return None
    fields: list[tuple[str, str]] = [("Via", v) for v in material.via]
    if material.from_ is not None:
        fields.append(("From", material.from_))
    if material.to is not None:
        to_value = material.to
        if to_tag is not None:
            try:
                to = parse_name_addr(to_value)
                if to.tag is None:
                    to_value = str(to.with_param("tag", to_tag))
            except SipParseError:
                pass
        fields.append(("To", to_value))
    if material.call_id is not None:
        fields.append(("Call-ID", material.call_id))
    if material.cseq is not None:
        fields.append(("CSeq", material.cseq))
    try:
        headers = Headers(fields)
    except SipParseError:  # salvaged text that cannot go back on the wire: drop instead
        return None
    return SipResponse(status, REASON_PHRASES[status], headers)
