"""SIP, SIPS and tel URIs: parsing, serialization and comparison.

Grammar from RFC 3261 §19.1.1 and §25.1 (``SIP-URI``, ``SIPS-URI``, ``userinfo``, ``hostport``,
``uri-parameters``, ``headers``), IPv6 references per RFC 5118 (``[`` IPv6address ``]``, also
the three-colon form §4.10 asks receivers to tolerate), comparison per RFC 3261 §19.1.4 (with
the RFC 5954 clarification that IP address text is compared as written).  ``tel`` URIs (RFC
3966) are kept as subscriber plus parameters; any other scheme becomes an opaque
:class:`AbsoluteUri` (RFC 3261 ``absoluteURI``), which RFC 4475 §3.3.2-3.3.4 requires a parser to
accept.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Union

from pycti.sip.message_errors import SipParseError

__all__ = ["SipUri", "AbsoluteUri", "Uri", "parse_uri", "normalize_escapes", "unescape", "check_host"]

# Character classes of §25.1 with "%" admitted; escapes are checked apart (_BAD_ESCAPE), which
# keeps the patterns free of per-character alternation (much faster in Python's re).
_USER = r"[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+"
_PASSWORD = r"[A-Za-z0-9\-_.!~*'()&=+$,%]*"
_PARAMCHAR = r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]"
_HNV = r"[A-Za-z0-9\-_.!~*'()\[\]/?:+$%]"
_HOST = r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9\-.]*"
_TAIL = (rf"(?P<host>{_HOST})(?::(?P<port>[0-9]{{1,5}}))?"
         rf"(?P<params>(?:;{_PARAMCHAR}+(?:={_PARAMCHAR}*)?)*)"
         rf"(?:\?(?P<headers>{_HNV}*={_HNV}*(?:&{_HNV}*={_HNV}*)*))?")
_SIP_URI = re.compile(rf"(?:(?P<user>{_USER})(?::(?P<password>{_PASSWORD}))?@)?" + _TAIL)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+\-.]*):")
_TEL = re.compile(rf"([0-9A-Fa-f*#+\-.()pw]+)((?:;{_PARAMCHAR}+(?:={_PARAMCHAR}*)?)*)")
_OPAQUE = re.compile(r"[A-Za-z0-9\-_.!~*'()%;/?:@&=+$,\[\]]+")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?")
_IPV4 = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
_ESC_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_RESERVED = frozenset(";/?:@&=+$,")

Params = tuple[tuple[str, "str | None"], ...]
"""Parameters in order as ``(name, value)``; ``None`` for a parameter without ``=``."""


def unescape(text: str) -> str:
    """Replace every ``% HEX HEX`` in ``text`` by its octet (RFC 3261 §19.1.2, UTF-8 assumed)."""
    if "%" not in text:
        return text
    raw = bytearray()
    pos = 0
    for m in _ESC_RE.finditer(text):
        raw += text[pos:m.start()].encode("utf-8", "surrogateescape")
        raw.append(int(m.group(1), 16))
        pos = m.end()
    raw += text[pos:].encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "surrogateescape")


def normalize_escapes(text: str) -> str:
    """Decode escapes of unreserved characters and upper-case the rest (RFC 3261 §19.1.4).

    ``%61lice`` and ``alice`` normalize alike; ``%40`` stays ``%40`` because ``@`` is reserved.
    """
    if "%" not in text:
        return text

    def _one(m: re.Match[str]) -> str:
        ch = chr(int(m.group(1), 16))
        return "%" + m.group(1).upper() if ch in _RESERVED else ch

    return _ESC_RE.sub(_one, text)


def _split_params(text: str) -> Params:
    """Split ``;a=b;c`` (already validated) into ``(("a", "b"), ("c", None))``."""
    if not text:
        return ()
    out: list[tuple[str, str | None]] = []
    for part in text[1:].split(";"):
        name, eq, value = part.partition("=")
        out.append((name, value if eq else None))
    return tuple(out)


def _format_params(params: Params) -> str:
    return "".join(f";{n}" if v is None else f";{n}={v}" for n, v in params)


def check_host(host: str, whole: str) -> None:
    """Validate a hostname, IPv4 address or IPv6 reference (RFC 3261 §25.1, RFC 5118).

    Raises :class:`SipParseError` naming ``whole`` (the text the host came from).
    """
    if host not in _GOOD_HOSTS:
        _check_host(host, whole)
        if len(_GOOD_HOSTS) >= _CACHE_SIZE:
            _GOOD_HOSTS.clear()
        _GOOD_HOSTS.add(host)


_CACHE_SIZE = 4096
_GOOD_HOSTS: set[str] = set()


def _check_host(host: str, whole: str) -> None:
    if host.startswith("["):
        inner = host[1:-1]
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            # RFC 5118 §4.10: the RFC 3261 ABNF admits "2001:db8:::192.0.2.1"; be robust.
            try:
                ipaddress.IPv6Address(inner.replace(":::", "::", 1))
            except ValueError:
                raise SipParseError(f"bad IPv6 reference {host!r} in {whole!r}",
                                    value=whole) from None
        return
    if _IPV4.fullmatch(host):
        if all(int(part) <= 255 for part in host.split(".")):
            return
        raise SipParseError(f"bad IPv4 address {host!r} in {whole!r}", value=whole)
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or not labels[-1][0].isalpha():
        raise SipParseError(f"bad host {host!r} in {whole!r}", value=whole)


@dataclass(frozen=True, eq=False, slots=True)
class SipUri:
    """A ``sip:``, ``sips:`` or ``tel:`` URI (RFC 3261 §19.1, RFC 3966).

    ``host`` keeps IPv6 references bracketed (``[2001:db8::1]``); ``port`` is ``None`` when the
    URI names none (which is *not* the same URI as one naming 5060, §19.1.4).  ``user`` and
    ``password`` keep their ``%`` escapes as written; :attr:`user_unescaped` decodes them.  For
    ``tel`` URIs ``user`` is the telephone-subscriber and ``host`` is empty.  Equality and hash
    follow the comparison rules of RFC 3261 §19.1.4.
    """

    scheme: str
    user: str | None
    host: str
    port: int | None = None
    password: str | None = None
    params: Params = ()
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.scheme not in ("sip", "sips", "tel"):
            raise SipParseError(f"SipUri scheme must be sip, sips or tel, not {self.scheme!r}",
                                value=self.scheme)
        if self.port is not None and not 0 <= self.port <= 65535:
            raise SipParseError(f"port {self.port} out of range", value=str(self.port))

    def param(self, name: str) -> str | None:
        """Value of URI parameter ``name`` (case-insensitive); ``""`` if it has no value."""
        lname = name.lower()
        for n, v in self.params:
            if n.lower() == lname:
                return "" if v is None else v
        return None

    def has_param(self, name: str) -> bool:
        """True if URI parameter ``name`` is present (``lr``, ``ob`` ...)."""
        lname = name.lower()
        return any(n.lower() == lname for n, _ in self.params)

    @property
    def user_unescaped(self) -> str | None:
        """The user part with ``% HEX HEX`` decoded (``null-%00-null`` -> ``null-\\x00-null``)."""
        return None if self.user is None else unescape(self.user)

    @property
    def host_address(self) -> str:
        """The host with IPv6 brackets removed, for socket use."""
        return self.host[1:-1] if self.host.startswith("[") else self.host

    @property
    def transport(self) -> str | None:
        """The ``transport`` parameter, lower-cased, or ``None``."""
        value = self.param("transport")
        return None if value is None else value.lower()

    def with_params(self, params: Params) -> SipUri:
        """A copy with ``params`` replacing the URI parameters."""
        return SipUri(self.scheme, self.user, self.host, self.port, self.password, params,
                      self.headers)

    def without_headers(self) -> SipUri:
        """A copy with the ``?`` header component removed (RFC 3261 §19.1.5 for Request-URIs)."""
        return SipUri(self.scheme, self.user, self.host, self.port, self.password, self.params)

    def __str__(self) -> str:
        if self.scheme == "tel":
            return f"tel:{self.user}{_format_params(self.params)}"
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out += [":", self.password]
            out.append("@")
        out.append(self.host)
        if self.port is not None:
            out += [":", str(self.port)]
        out.append(_format_params(self.params))
        if self.headers:
            out += ["?", "&".join(f"{n}={v}" for n, v in self.headers)]
        return "".join(out)

    def _key(self) -> tuple[object, ...]:
        return (self.scheme, normalize_escapes(self.user or ""),
                normalize_escapes(self.password or ""), self.host.lower(), self.port)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SipUri):
            return NotImplemented
        if self._key() != other._key():
            return False
        mine = {n.lower(): normalize_escapes(v or "").lower() for n, v in self.params}
        theirs = {n.lower(): normalize_escapes(v or "").lower() for n, v in other.params}
        for name in mine.keys() & theirs.keys():
            if mine[name] != theirs[name]:
                return False
        for name in ("user", "ttl", "method", "maddr", "transport"):
            if (name in mine) != (name in theirs):
                return False
        mine_h = sorted((n.lower(), normalize_escapes(v)) for n, v in self.headers)
        theirs_h = sorted((n.lower(), normalize_escapes(v)) for n, v in other.headers)
        return mine_h == theirs_h

    def __hash__(self) -> int:
        return hash(self._key())


@dataclass(frozen=True, slots=True)
class AbsoluteUri:
    """A URI of a scheme SIP does not interpret (``isbn:...``, ``http://...``), kept opaque."""

    scheme: str
    opaque: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.opaque}"


Uri = Union[SipUri, AbsoluteUri]


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_uri(text: str) -> Uri:
    """Parse a URI as it appears in a Request-URI or between ``<`` and ``>``.

    Raises :class:`SipParseError` naming the URI when it does not match RFC 3261 §25.1.
    Results are immutable and cached (a few thousand recent URIs).
    """
    m = _SCHEME.match(text)
    if m is None:
        raise SipParseError(f"no URI scheme in {text!r}", value=text)
    scheme = m.group(1).lower()
    rest = text[m.end():]
    if scheme in ("sip", "sips"):
        um = _SIP_URI.fullmatch(rest)
        if um is None or ("%" in rest and _BAD_ESCAPE.search(rest)):
            raise SipParseError(f"malformed {scheme} URI {text!r}", value=text)
        user, password, host, port, params, header_text = um.groups()
        check_host(host, text)
        port_no = None if port is None else int(port)
        if port_no is not None and port_no > 65535:
            raise SipParseError(f"port {port} out of range in {text!r}", value=text)
        headers: tuple[tuple[str, str], ...] = ()
        if header_text is not None:
            headers = tuple((n, v) for n, _, v in
                            (h.partition("=") for h in header_text.split("&")))
        return SipUri(scheme, user, host, port_no, password,
                      _split_params(params) if params else (), headers)
    if scheme == "tel":
        tm = _TEL.fullmatch(rest)
        if tm is None or ("%" in rest and _BAD_ESCAPE.search(rest)):
            raise SipParseError(f"malformed tel URI {text!r}", value=text)
        return SipUri("tel", tm.group(1), "", None, None, _split_params(tm.group(2)))
    if not _OPAQUE.fullmatch(rest):
        raise SipParseError(f"malformed URI {text!r}", value=text)
    return AbsoluteUri(m.group(1), rest)
