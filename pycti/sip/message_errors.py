"""The exception a malformed SIP message raises, and what it carries to answer it.

RFC 3261 §8.2 / §16.3 want a 400 (Bad Request) for a malformed request an element can still
answer, §18.1.2 / §18.2.2 drop malformed responses, and §8.2.6.2 builds that answer from the
request's Via, From, To, Call-ID and CSeq.  :class:`SipParseError` therefore carries, besides the
problem, the raw values of those header fields when the parser got far enough to read them
(:class:`ReplyMaterial`), and the status RFC 3261 / RFC 4475 want sent (``400``; ``505`` for an
unsupported SIP version, RFC 4475 §3.1.2.16; ``501`` for an unknown method whose CSeq disagrees,
§3.1.2.18), or ``None`` for a silent drop.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycti.errors import PyctiError

__all__ = ["SipParseError", "SipFramingError", "ReplyMaterial"]


@dataclass(frozen=True, slots=True)
class ReplyMaterial:
    """What was read of a bad request: enough to build the error response (RFC 3261 §8.2.6).

    Header values are raw (folding collapsed), as received; ``via`` holds every Via field
    value in order.  A field the request lacked is ``None`` (``via`` empty).
    """

    method: str
    via: tuple[str, ...]
    from_: str | None
    to: str | None
    call_id: str | None
    cseq: str | None


_MAX_PROBLEM = 200
"""Longest problem text kept (the full offending text stays in ``value``)."""


class SipParseError(PyctiError, ValueError):
    """A SIP message (or part of one) does not follow RFC 3261's grammar or rules.

    ``header`` names the header field at fault (canonical long name, or ``None`` for the start
    line, framing or body), ``value`` the offending text.  After :func:`pycti.sip.parse_message`
    fills them in, ``is_request`` tells whether the bytes were a request, ``reply_status`` the
    status to answer with (``None``: drop silently) and ``material`` what the answer is built
    from (see :func:`pycti.sip.error_response`).
    """

    def __init__(self, problem: str, *, header: str | None = None, value: str | None = None,
                 reply_status: int | None = 400) -> None:
        if len(problem) > _MAX_PROBLEM:
            problem = problem[:_MAX_PROBLEM] + "..."
        super().__init__(problem if header is None else f"{header}: {problem}")
        self.problem = problem
        self.header = header
        self.value = value
        self.reply_status: int | None = reply_status
        self.is_request: bool | None = None
        self.material: ReplyMaterial | None = None

    def in_header(self, header: str) -> SipParseError:
        """Return ``self`` naming ``header`` (used while a header's value is parsed)."""
        if self.header is None:
            self.header = header
            self.args = (f"{header}: {self.problem}",)
        return self


class SipFramingError(SipParseError):
    """A stream can no longer be split into messages (RFC 3261 §18.3): close the connection."""
