"""Typed values of SIP header fields: name-addr, Via, CSeq, generic parameters.

Grammar from RFC 3261 §25.1: ``name-addr`` / ``addr-spec`` with ``display-name`` as tokens or a
``quoted-string`` (quoted-pairs undone), ``generic-param`` (``gen-value`` = token / host /
quoted-string), ``via-parm`` (``sent-protocol`` ``sent-by`` with IPv6 references per RFC 5118,
``received`` with or without brackets, RFC 5118 §4.5), ``CSeq``.  Comma lists are split outside
quoted strings and ``<...>`` (§7.3.1).  RFC 3261 §20.10: an ``addr-spec`` (URI without ``<>``)
may not hold ``,``, ``?`` or ``;`` - parameters after it belong to the header field.
Also the erratum RFC 4475 §3.1.1.6 names: a token display name directly followed by ``<``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pycti.sip.message_errors import SipParseError
from pycti.sip.uri import Params, SipUri, Uri, check_host, parse_uri

__all__ = [
    "NameAddr", "Via", "CSeq", "split_commas", "parse_params", "format_params",
    "parse_name_addr", "parse_via", "parse_cseq", "quote", "MAX_CSEQ",
]

MAX_CSEQ = 2**32 - 1
"""Largest CSeq number the grammar's 32-bit unsigned integer admits (RFC 3261 §8.1.1.5)."""

_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_QSTRING = r'"[^"\\]*(?:\\[\x00-\x09\x0b\x0c\x0e-\x7f][^"\\]*)*"'
_PARAM = re.compile(
    rf"[ \t]*;[ \t]*({_TOKEN})(?:[ \t]*=[ \t]*({_QSTRING}|[A-Za-z0-9\-.!%*_+`'~:\[\]]+))?[ \t]*")
_NAME_ADDR = re.compile(
    rf"[ \t]*(?:({_QSTRING})|({_TOKEN}(?:[ \t]+{_TOKEN})*)?)[ \t]*<([^<> \t]+)>[ \t]*")
_ADDR_SPEC = re.compile(r"[ \t]*([^ \t;,?<>\"]+)[ \t]*")
_VIA = re.compile(
    rf"[ \t]*({_TOKEN})[ \t]*/[ \t]*({_TOKEN})[ \t]*/[ \t]*({_TOKEN})[ \t]+"
    rf"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?:[ \t]*:[ \t]*([0-9]{{1,5}}))?")
_CSEQ = re.compile(rf"[ \t]*([0-9]+)[ \t]+({_TOKEN})[ \t]*")
_QPAIR = re.compile(r"\\(.)", re.S)
_NEEDS_QPAIR = re.compile(r'["\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')
_TOKEN_FULL = re.compile(_TOKEN)


def split_commas(value: str) -> list[str]:
    """Split a comma-joined header value outside quoted strings and ``<...>`` (§7.3.1)."""
    if "," not in value:
        return [value]
    if '"' not in value and "<" not in value:
        return value.split(",")
    parts: list[str] = []
    start = 0
    quoted = False
    angle = False
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            angle = True
        elif ch == ">":
            angle = False
        elif ch == "," and not angle:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    parts.append(value[start:])
    return parts


def parse_params(text: str, pos: int = 0) -> Params:
    """Parse ``*( SEMI generic-param )`` from ``text[pos:]``, all of it, or raise."""
    out: list[tuple[str, str | None]] = []
    n = len(text)
    while pos < n:
        m = _PARAM.match(text, pos)
        if m is None:
            if text[pos:].strip(" \t") == "":
                break
            raise SipParseError(f"bad parameter syntax at {text[pos:]!r}", value=text)
        out.append((m.group(1), m.group(2)))
        pos = m.end()
    return tuple(out)


def format_params(params: Params) -> str:
    """Serialize parameters as ``;name=value;flag``."""
    return "".join(f";{n}" if v is None else f";{n}={v}" for n, v in params)


def _param(params: Params, name: str) -> str | None:
    """Parameter ``name`` (given in lower case; matched in any case)."""
    for n, v in params:
        if n == name or n.lower() == name:
            return "" if v is None else v
    return None


def quote(text: str) -> str:
    """``text`` as a quoted-string, with quoted-pairs where §25.1 ``qdtext`` needs them."""
    if "\r" in text or "\n" in text:
        raise SipParseError(f"CR or LF cannot be quoted: {text!r}", value=text)
    return '"' + _NEEDS_QPAIR.sub(lambda m: "\\" + m.group(0), text) + '"'


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A From/To/Contact/Route value: optional display name, URI, header parameters.

    ``display_name`` is the text (quoted-pairs undone) or ``None``; ``params`` keep values as
    written (a quoted value keeps its quotes).  ``bracketed`` records the name-addr form; it is
    forced on serialization when the URI needs ``<>`` (§20.10).
    """

    display_name: str | None
    uri: Uri
    params: Params = ()
    bracketed: bool = True

    def param(self, name: str) -> str | None:
        """Header parameter ``name`` (case-insensitive); ``""`` if valueless, else ``None``."""
        return _param(self.params, name.lower())

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter (RFC 3261 §19.3), or ``None``."""
        return _param(self.params, "tag")

    def with_param(self, name: str, value: str | None) -> NameAddr:
        """A copy with parameter ``name`` set to ``value`` (replacing one of that name)."""
        lname = name.lower()
        kept = tuple((n, v) for n, v in self.params if n.lower() != lname)
        return NameAddr(self.display_name, self.uri, kept + ((name, value),), self.bracketed)

    def __str__(self) -> str:
        uri = str(self.uri)
        if self.display_name is not None:
            name = self.display_name
            head = (name + " " if name and _TOKEN_FULL.fullmatch(name.replace(" ", "-"))
                    and "  " not in name else quote(name) + " ")
            return f"{head}<{uri}>{format_params(self.params)}"
        if self.bracketed or any(c in uri for c in ",;?"):
            return f"<{uri}>{format_params(self.params)}"
        return uri + format_params(self.params)


def _unquote(qstring: str) -> str:
    inner = qstring[1:-1]
    return _QPAIR.sub(r"\1", inner) if "\\" in inner else inner


@functools.lru_cache(maxsize=4096)
def parse_name_addr(text: str) -> NameAddr:
    """Parse ``( name-addr / addr-spec ) *( SEMI generic-param )`` (§20.10, §20.20, §20.39).

    Results are immutable and cached (the same From/To/Contact recur through a dialog).
    """
    m = _NAME_ADDR.match(text)
    if m is not None:
        qs, tokens, uri_text = m.groups()
        if qs is not None:
            display: str | None = _unquote(qs)
        else:
            display = None if tokens is None else " ".join(tokens.split())
        bracketed = True
    else:
        if "<" in text or '"' in text:
            raise SipParseError(f"malformed name-addr {text.strip()!r}", value=text)
        m = _ADDR_SPEC.match(text)
        if m is None:
            raise SipParseError(f"no URI in {text.strip()!r}", value=text)
        uri_text = m.group(1)
        display = None
        bracketed = False
    try:
        uri = parse_uri(uri_text)
    except SipParseError as exc:
        raise SipParseError(exc.problem, value=text) from None
    if not bracketed and isinstance(uri, SipUri) and (uri.params or uri.headers):
        raise SipParseError(f"URI with ';' or '?' needs <>: {text.strip()!r}", value=text)
    return NameAddr(display, uri, parse_params(text, m.end()), bracketed)


@dataclass(frozen=True, slots=True)
class Via:
    """One ``via-parm`` (RFC 3261 §20.42): sent-protocol, sent-by and parameters.

    ``host`` keeps IPv6 brackets (RFC 5118); ``port`` is ``None`` when absent.
    """

    transport: str
    host: str
    port: int | None = None
    params: Params = ()
    protocol: str = "SIP/2.0"

    def param(self, name: str) -> str | None:
        """Via parameter ``name`` (case-insensitive); ``""`` if valueless, else ``None``."""
        return _param(self.params, name.lower())

    @property
    def branch(self) -> str | None:
        """The ``branch`` parameter (§8.1.1.7), or ``None`` (RFC 2543 peers)."""
        return _param(self.params, "branch")

    @property
    def received(self) -> str | None:
        """The ``received`` parameter, brackets of an IPv6 value removed (RFC 5118 §4.5)."""
        value = _param(self.params, "received")
        if value and value.startswith("[") and value.endswith("]"):
            return value[1:-1]
        return value

    @property
    def rport(self) -> int | bool | None:
        """RFC 3581 ``rport``: ``True`` if requested without value, the port if filled in."""
        value = _param(self.params, "rport")
        if value is None:
            return None
        return True if value == "" else int(value)

    @property
    def maddr(self) -> str | None:
        """The ``maddr`` parameter, or ``None``."""
        return _param(self.params, "maddr")

    @property
    def ttl(self) -> int | None:
        """The ``ttl`` parameter, or ``None``."""
        value = _param(self.params, "ttl")
        return None if value is None else int(value)

    @property
    def sent_by(self) -> str:
        """``host[:port]`` as sent (RFC 3261 §17.2.3 matches transactions on it)."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def host_address(self) -> str:
        """The sent-by host with IPv6 brackets removed."""
        return self.host[1:-1] if self.host.startswith("[") else self.host

    @property
    def is_rfc3261_branch(self) -> bool:
        """True if the branch starts with the magic cookie ``z9hG4bK`` (§8.1.1.7)."""
        branch = self.branch
        return branch is not None and branch.startswith("z9hG4bK")

    def with_param(self, name: str, value: str | None) -> Via:
        """A copy with parameter ``name`` set (``received``/``rport`` by a server, §18.2.1)."""
        lname = name.lower()
        kept = tuple((n, v) for n, v in self.params if n.lower() != lname)
        return Via(self.transport, self.host, self.port, kept + ((name, value),), self.protocol)

    def __str__(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.protocol}/{self.transport} {self.host}{port}{format_params(self.params)}"


_VIA_CHECKS = {"ttl", "rport", "received", "maddr", "branch"}


def _check_via_params(params: Params, text: str) -> None:
    for name, value in params:
        lname = name.lower()
        if lname not in _VIA_CHECKS:
            continue
        if lname == "ttl" and (value is None or not value.isdigit() or int(value) > 255):
            raise SipParseError(f"bad ttl {value!r}", value=text)
        if lname == "rport" and value is not None and (
                not value.isdigit() or int(value) > 65535):
            raise SipParseError(f"bad rport {value!r}", value=text)
        if lname in ("received", "maddr", "branch") and not value:
            raise SipParseError(f"{lname} without value", value=text)


@functools.lru_cache(maxsize=4096)
def parse_via(text: str) -> Via:
    """Parse one ``via-parm`` (one element of a comma-split Via value).

    Results are immutable and cached (a transaction's responses repeat its Via).
    """
    m = _VIA.match(text)
    if m is None:
        raise SipParseError(f"malformed via-parm {text.strip()!r}", value=text)
    name, version, transport, host, port = m.groups()
    check_host(host, text)
    params = parse_params(text, m.end())
    _check_via_params(params, text)
    port_no = None if port is None else int(port)
    if port_no is not None and port_no > 65535:
        raise SipParseError(f"port {port_no} out of range", value=text)
    return Via(transport.upper(), host, port_no, params, f"{name.upper()}/{version}")


@dataclass(frozen=True, slots=True)
class CSeq:
    """The CSeq header field (§20.16): sequence number and method."""

    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(text: str) -> CSeq:
    """Parse ``1*DIGIT LWS Method``; the number must fit 32 bits (RFC 4475 §3.1.2.4)."""
    m = _CSEQ.fullmatch(text)
    if m is None:
        raise SipParseError(f"malformed CSeq {text.strip()!r}", value=text)
    seq = int(m.group(1))
    if seq > MAX_CSEQ:
        raise SipParseError(f"CSeq number {m.group(1)} exceeds 2**32-1", value=text)
    return CSeq(seq, m.group(2))
