"""REFER helpers (RFC 3515) and the Replaces header field (RFC 3891), as plain values.

* :class:`ReplacesValue`: ``callid *(SEMI (to-tag / from-tag / early-only / generic))``
  (RFC 3891 §6.1), parsed and serialized.  :meth:`ReplacesValue.matches` applies §3: the
  Call-ID, ``to-tag`` and ``from-tag`` are compared with the Call-ID, *local* tag and *remote*
  tag of a dialog of the recipient.
* :func:`refer_to_value`: a Refer-To with an embedded ``Replaces`` URI header (RFC 3891 §4,
  escaped per RFC 3261 §19.1.1 ``hvalue``), and :func:`embedded_replaces` to read it back.
* :func:`sipfrag` / :func:`parse_sipfrag`: the ``message/sipfrag`` body of a REFER NOTIFY
  (RFC 3515 §2.4.5, RFC 3420): a status line such as ``SIP/2.0 100 Trying``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from pycti.errors import PyctiError
from pycti.sip.header_values import parse_name_addr
from pycti.sip.message import REASON_PHRASES
from pycti.sip.message_errors import SipParseError
from pycti.sip.uri import SipUri

__all__ = ["ReferError", "ReplacesValue", "refer_to_value", "embedded_replaces", "sipfrag",
           "parse_sipfrag"]

_STATUS_LINE = re.compile(r"SIP/2\.0 ([1-6][0-9][0-9])(?: (.*))?")
_CALLID = re.compile(r"[^\x00-\x20\x7f;]+")


class ReferError(PyctiError, ValueError):
    """A Replaces value, Refer-To or sipfrag body that does not parse (names it)."""


@dataclass(frozen=True, slots=True)
class ReplacesValue:
    """One Replaces header value (RFC 3891 §6.1)."""

    call_id: str
    to_tag: str
    from_tag: str
    early_only: bool = False

    def __str__(self) -> str:
        flag = ";early-only" if self.early_only else ""
        return f"{self.call_id};to-tag={self.to_tag};from-tag={self.from_tag}{flag}"

    @classmethod
    def parse(cls, text: str) -> ReplacesValue:
        """Parse a Replaces value; raises :class:`ReferError` naming it."""
        parts = [p.strip(" \t") for p in text.split(";")]
        call_id = parts[0]
        if not _CALLID.fullmatch(call_id):
            raise ReferError(f"Replaces: bad Call-ID in {text!r}")
        params: dict[str, str | None] = {}
        for part in parts[1:]:
            name, eq, value = part.partition("=")
            params[name.strip().lower()] = value.strip() if eq else None
        to_tag = params.get("to-tag")
        from_tag = params.get("from-tag")
        if not to_tag or not from_tag:
            raise ReferError(f"Replaces: to-tag and from-tag are both required in {text!r}")
        return cls(call_id, to_tag, from_tag, "early-only" in params)

    def matches(self, call_id: str, local_tag: str, remote_tag: str) -> bool:
        """True for the recipient's dialog (Call-ID, local tag, remote tag), RFC 3891 §3."""
        return (self.call_id == call_id and self.to_tag == local_tag
                and self.from_tag == remote_tag)


def refer_to_value(target: str, replaces: ReplacesValue | None = None) -> str:
    """A Refer-To value naming ``target`` (a SIP URI), with ``?Replaces=`` when given."""
    try:
        name_addr = parse_name_addr(target)
    except SipParseError as exc:
        raise ReferError(f"Refer-To target {target!r}: {exc}") from None
    uri = str(name_addr.uri)
    if replaces is not None:
        uri += "?Replaces=" + quote(str(replaces), safe="")
    return f"<{uri}>"


def embedded_replaces(refer_to: str) -> tuple[str, ReplacesValue | None]:
    """Split a Refer-To value into the target URI (without headers) and its Replaces."""
    try:
        name_addr = parse_name_addr(refer_to)
    except SipParseError as exc:
        raise ReferError(f"Refer-To {refer_to!r}: {exc}") from None
    uri = name_addr.uri
    if not isinstance(uri, SipUri):
        return str(uri), None
    replaces = None
    for name, value in uri.headers:
        if name.lower() == "replaces":
            replaces = ReplacesValue.parse(unquote(value))
    return str(uri.without_headers()), replaces


def sipfrag(status: int, reason: str | None = None) -> bytes:
    """A ``message/sipfrag`` status line body, e.g. ``SIP/2.0 200 OK``."""
    if not 100 <= status <= 699:
        raise ReferError(f"sipfrag status {status} outside 100-699")
    phrase = REASON_PHRASES.get(status, "") if reason is None else reason
    return f"SIP/2.0 {status} {phrase}\r\n".encode()


def parse_sipfrag(body: bytes) -> tuple[int, str]:
    """The status code and status line of a sipfrag body."""
    line = body.decode("utf-8", "replace").split("\r\n", 1)[0].split("\n", 1)[0].strip()
    m = _STATUS_LINE.fullmatch(line)
    if m is None:
        raise ReferError(f"sipfrag body does not start with a status line: {line!r}")
    return int(m.group(1)), line
