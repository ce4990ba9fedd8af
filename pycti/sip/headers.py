"""An ordered, case-insensitive multimap of SIP header fields with typed accessors.

Header field names are case-insensitive and have compact forms (RFC 3261 §7.3.3 table in §20:
i f t m v l c k s e; later RFCs: o u (RFC 6665), r b (RFC 3515, 3892), x (RFC 4028), y (RFC
8224), a j d (RFC 3841)).  Names are stored in their canonical long form; unknown names are kept
as received.  Several field lines of one name, or one line with a comma-joined list, are
equivalent for list-valued fields (§7.3.1); :meth:`Headers.get_list` splits them, the typed
accessors (:meth:`Headers.via`, :meth:`Headers.contact` ...) parse them on first use and cache
the result.  A :class:`Headers` never changes after construction: ``with_*``/``without``
return new ones.
"""

from __future__ import annotations

import datetime
import email.utils
from collections.abc import Iterable, Iterator
from typing import Any, Callable, TypeVar, cast

from pycti.sip.header_values import (
    CSeq, NameAddr, Via, parse_cseq, parse_name_addr, parse_via, split_commas,
)
from pycti.sip.message_errors import SipParseError

__all__ = ["Headers", "canonical_name", "COMPACT_FORMS", "LIST_HEADERS", "SINGLE_HEADERS"]

COMPACT_FORMS: dict[str, str] = {
    "i": "Call-ID", "f": "From", "t": "To", "m": "Contact", "v": "Via", "l": "Content-Length",
    "c": "Content-Type", "k": "Supported", "s": "Subject", "e": "Content-Encoding",
    "o": "Event", "u": "Allow-Events", "r": "Refer-To", "b": "Referred-By",
    "x": "Session-Expires", "y": "Identity", "a": "Accept-Contact", "j": "Reject-Contact",
    "d": "Request-Disposition",
}
"""Compact header field name -> canonical long name."""

_KNOWN = [
    "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Authentication-Info",
    "Authorization", "Call-ID", "Call-Info", "Contact", "Content-Disposition",
    "Content-Encoding", "Content-Language", "Content-Length", "Content-Type", "CSeq", "Date",
    "Error-Info", "Expires", "From", "In-Reply-To", "Max-Forwards", "MIME-Version",
    "Min-Expires", "Organization", "Priority", "Proxy-Authenticate", "Proxy-Authorization",
    "Proxy-Require", "Record-Route", "Reply-To", "Require", "Retry-After", "Route", "Server",
    "Subject", "Supported", "Timestamp", "To", "Unsupported", "User-Agent", "Via", "Warning",
    "WWW-Authenticate", "Event", "Allow-Events", "Subscription-State", "Refer-To",
    "Referred-By", "Session-Expires", "Min-SE", "Identity", "Accept-Contact", "Reject-Contact",
    "Request-Disposition", "Path", "Service-Route", "RAck", "RSeq", "Reason", "P-Asserted-Identity",
    "P-Preferred-Identity", "Privacy", "Replaces", "Join", "History-Info", "Content-ID",
    "Content-Transfer-Encoding", "SIP-ETag", "SIP-If-Match", "Flow-Timer",
]
_CANONICAL: dict[str, str] = {name.lower(): name for name in _KNOWN}
_CANONICAL.update(COMPACT_FORMS)
_CANONICAL.update({name: name for name in _KNOWN})
_CANONICAL.update({short.upper(): long for short, long in COMPACT_FORMS.items()})

LIST_HEADERS = frozenset(n.lower() for n in [
    "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Call-Info",
    "Contact", "Content-Encoding", "Content-Language", "Error-Info", "In-Reply-To",
    "Proxy-Require", "Record-Route", "Require", "Route", "Supported", "Unsupported", "Via",
    "Warning", "Allow-Events", "Path", "Service-Route", "Reason", "P-Asserted-Identity",
    "P-Preferred-Identity", "History-Info", "Accept-Contact", "Reject-Contact",
])
"""Header fields whose value is a comma-separated list (§7.3.1)."""

SINGLE_HEADERS = tuple(n.lower() for n in [
    "Call-ID", "CSeq", "From", "To", "Max-Forwards", "Content-Length", "Content-Type",
])
"""Header fields a message may carry only once (RFC 4475 §3.3.8, §3.3.9)."""

_T = TypeVar("_T")
_MISSING = object()


def canonical_name(name: str) -> str:
    """The canonical long form of header field ``name`` (``v`` -> ``Via``, ``cseq`` -> ``CSeq``).

    Unknown names come back unchanged.
    """
    canon = _CANONICAL.get(name)  # the long form or a compact form as written: no lower()
    return canon if canon is not None else _CANONICAL.get(name.lower(), name)


#: name as a caller spells it -> the index key (lower-cased canonical name); grows with the
#: names callers use (bounded: names of fields we were sent are not added)
_KEYS: dict[str, str] = {}
_KEYS_MAX = 4096


def _key(name: str) -> str:
    """The index key of header field ``name`` (``canonical_name(name).lower()``), memoised."""
    key = _KEYS.get(name)
    if key is None:
        key = canonical_name(name).lower()
        if len(_KEYS) < _KEYS_MAX:
            _KEYS[name] = key
    return key


class Headers:
    """Header fields in order, as ``(canonical name, value)`` pairs.

    Values are strings with line folding collapsed (CRLF + whitespace -> one space) and
    surrounding whitespace removed; non-UTF-8 octets survive as surrogate escapes.
    """

    __slots__ = ("_fields", "_index", "_cache")

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self._fields: tuple[tuple[str, str], ...] = tuple(
            (canonical_name(n), v) for n, v in fields)
        for name, value in self._fields:
            if "\r" in value or "\n" in value or not name or ":" in name or "\n" in name:
                raise SipParseError(f"header field {name!r}: {value!r} cannot be sent",
                                    header=name, value=value)
        self._index: dict[str, tuple[str, ...]] | None = None
        self._cache: dict[str, Any] = {}

    @classmethod
    def _trusted(cls, fields: tuple[tuple[str, str], ...],
                 index: dict[str, tuple[str, ...]] | None) -> Headers:
        """Build from already canonical fields and their index (parser fast path)."""
        self = cls.__new__(cls)
        self._fields = fields
        self._index = index
        self._cache = {}
        return self

    def _idx(self) -> dict[str, tuple[str, ...]]:
        index = self._index
        if index is None:
            lists: dict[str, list[str]] = {}
            for name, value in self._fields:
                lists.setdefault(name.lower(), []).append(value)
            index = self._index = {k: tuple(v) for k, v in lists.items()}  # (see _header_fields)
        return index

    # -- generic access -------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._idx()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._fields == other._fields

    def __hash__(self) -> int:
        return hash(self._fields)

    def __repr__(self) -> str:
        return f"Headers({list(self._fields)!r})"

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        """All ``(name, value)`` pairs in order."""
        return self._fields

    def get(self, name: str, default: str | None = None) -> str | None:
        """Value of the first field named ``name`` (any case, compact or long), or ``default``."""
        values = self._idx().get(_key(name))
        return values[0] if values else default

    def get_all(self, name: str) -> tuple[str, ...]:
        """Values of every field line named ``name``, in order (lists not split)."""
        return tuple(self._idx().get(_key(name), ()))

    def get_list(self, name: str) -> tuple[str, ...]:
        """Every element of a list-valued field: all lines, comma lists split (§7.3.1).

        Elements are stripped; empty ones are kept (so a parser can reject them).  Fields RFC
        3261 defines as single values (Subject, Date, Authorization ...) are not split; unknown
        extension fields are, since the caller asked for a list.
        """
        key = _key(name)
        values = self._idx().get(key, ())
        if key not in LIST_HEADERS and key in _CANONICAL:
            return tuple(values)
        out: list[str] = []
        for value in values:
            out.extend(part.strip(" \t") for part in split_commas(value))
        return tuple(out)

    # -- building -------------------------------------------------------------------------

    def with_header(self, name: str, value: object, *, first: bool = False) -> Headers:
        """A copy with one more field ``name: value`` at the end (or at the front)."""
        text = str(value)
        if "\r" in text or "\n" in text:
            raise SipParseError(f"header value may not hold CR or LF: {text!r}",
                                header=canonical_name(name), value=text)
        pair = ((canonical_name(name), text),)
        return Headers(pair + self._fields if first else self._fields + pair)

    def without(self, name: str) -> Headers:
        """A copy with every field named ``name`` removed."""
        lname = canonical_name(name).lower()
        return Headers(f for f in self._fields if f[0].lower() != lname)

    def replace(self, name: str, value: object) -> Headers:
        """A copy where the fields named ``name`` give way to one ``name: value``.

        The new field takes the place of the first old one (or goes last if there was none).
        """
        lname = canonical_name(name).lower()
        text = str(value)
        out: list[tuple[str, str]] = []
        placed = False
        for field in self._fields:
            if field[0].lower() == lname:
                if not placed:
                    out.append((canonical_name(name), text))
                    placed = True
            else:
                out.append(field)
        if not placed:
            out.append((canonical_name(name), text))
        return Headers(out)

    # -- typed access ---------------------------------------------------------------------

    def _cached(self, key: str, build: Callable[[], _T]) -> _T:
        value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            try:
                value = build()
            except SipParseError as exc:
                raise exc.in_header(canonical_name(key)) from None
            self._cache[key] = value
        return cast(_T, value)

    def via(self) -> tuple[Via, ...]:
        """Every Via value, topmost first (§20.42)."""
        hit = self._cache.get("via", _MISSING)
        if hit is not _MISSING:
            return cast("tuple[Via, ...]", hit)

        def build() -> tuple[Via, ...]:
            return tuple(parse_via(part) for part in self.get_list("Via"))
        return self._cached("via", build)

    def top_via(self) -> Via | None:
        """The topmost Via, or ``None`` if there is none."""
        vias = self.via()
        return vias[0] if vias else None

    def _single_name_addr(self, name: str) -> NameAddr | None:
        hit = self._cache.get(name.lower(), _MISSING)
        if hit is not _MISSING:
            return cast("NameAddr | None", hit)

        def build() -> NameAddr | None:
            value = self.get(name)
            return None if value is None else parse_name_addr(value)
        return self._cached(name.lower(), build)

    def from_(self) -> NameAddr | None:
        """The From value (§20.20), or ``None`` if absent."""
        hit = self._cache.get("from", _MISSING)
        return self._single_name_addr("From") if hit is _MISSING else cast("NameAddr | None", hit)

    def to(self) -> NameAddr | None:
        """The To value (§20.39), or ``None`` if absent."""
        hit = self._cache.get("to", _MISSING)
        return self._single_name_addr("To") if hit is _MISSING else cast("NameAddr | None", hit)

    @property
    def call_id(self) -> str | None:
        """The Call-ID (§20.8), or ``None``."""
        values = self._idx().get("call-id")
        return values[0] if values else None

    def cseq(self) -> CSeq | None:
        """The CSeq (§20.16), or ``None``."""
        hit = self._cache.get("cseq", _MISSING)
        if hit is not _MISSING:
            return cast("CSeq | None", hit)

        def build() -> CSeq | None:
            value = self.get("CSeq")
            return None if value is None else parse_cseq(value)
        return self._cached("cseq", build)

    def _name_addr_list(self, name: str) -> tuple[NameAddr, ...]:
        hit = self._cache.get(name.lower(), _MISSING)
        if hit is not _MISSING:
            return cast("tuple[NameAddr, ...]", hit)

        def build() -> tuple[NameAddr, ...]:
            return tuple(parse_name_addr(part) for part in self.get_list(name))
        return self._cached(name.lower(), build)

    @property
    def contact_is_wildcard(self) -> bool:
        """True for ``Contact: *`` (REGISTER removing all bindings, §10.2.2)."""
        return self.get_list("Contact") == ("*",)

    def contact(self) -> tuple[NameAddr, ...]:
        """Every Contact value; empty for none and for ``*`` (see :attr:`contact_is_wildcard`)."""
        hit = self._cache.get("contact", _MISSING)
        if hit is not _MISSING:
            return cast("tuple[NameAddr, ...]", hit)
        if self.contact_is_wildcard:
            return ()
        return self._name_addr_list("Contact")

    def route(self) -> tuple[NameAddr, ...]:
        """Every Route value, in order (§20.34)."""
        return self._name_addr_list("Route")

    def record_route(self) -> tuple[NameAddr, ...]:
        """Every Record-Route value, in order (§20.30)."""
        return self._name_addr_list("Record-Route")

    def _uint(self, name: str, limit: int) -> int | None:
        hit = self._cache.get(name.lower(), _MISSING)
        if hit is not _MISSING:
            return cast("int | None", hit)

        def build() -> int | None:
            value = self.get(name)
            if value is None:
                return None
            text = value.strip(" \t")
            if not text.isdigit() or not text.isascii():
                raise SipParseError(f"not a non-negative integer: {value!r}", value=value)
            number = int(text)
            if number > limit:
                raise SipParseError(f"{value} exceeds {limit}", value=value)
            return number
        return self._cached(name.lower(), build)

    @property
    def content_length(self) -> int | None:
        """Content-Length (§20.14), or ``None`` if absent."""
        return self._uint("Content-Length", 2**63)

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards, 0-255 (§20.22), or ``None`` if absent."""
        return self._uint("Max-Forwards", 255)

    @property
    def expires(self) -> int | None:
        """Expires in seconds, at most 2**32-1 (§20.19), or ``None`` if absent."""
        return self._uint("Expires", 2**32 - 1)

    @property
    def content_type(self) -> str | None:
        """The Content-Type media type, lower-cased, without parameters (§20.15)."""
        value = self.get("Content-Type")
        return None if value is None else value.split(";", 1)[0].strip(" \t").lower()

    def date(self) -> datetime.datetime | None:
        """The Date as an aware UTC datetime (§20.17: RFC 1123 form, ``GMT`` only)."""
        def build() -> datetime.datetime | None:
            value = self.get("Date")
            if value is None:
                return None
            if not value.rstrip(" \t").endswith(" GMT"):
                raise SipParseError(f"Date must be in GMT: {value!r}", value=value)
            try:
                return email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                raise SipParseError(f"malformed Date {value!r}", value=value) from None
        return self._cached("date", build)
