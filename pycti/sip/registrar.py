"""Registrar bindings: the RFC 3261 §10.3 REGISTER processing as pure functions over plain data.

A *binding* ties an address-of-record (AOR) to a contact URI until an absolute expiry time.
:func:`process_register` runs steps 6-8 of RFC 3261 §10.3 on the current bindings of one AOR
and returns the bindings after the request, or an error that leaves them untouched (the
section requires the updates of one request to be committed all or none):

* step 6, the ``*`` contact: only alone and with ``Expires: 0`` (else 400); it removes every
  binding, except that a binding with the request's Call-ID and a CSeq not lower than the
  request's aborts the request;
* step 7, each contact: the interval is the contact's ``expires`` parameter, else the
  ``Expires`` header, else the registrar's default; a non-zero interval under one hour and
  under the registrar's minimum is refused with 423 and ``Min-Expires`` (RFC 3261 §10.3 and
  §20.23); a longer one than the maximum is shortened.  A binding is found by contact URI or,
  with ``+sip.instance`` and ``reg-id`` both present, by that pair (RFC 5626 §6).  Same
  Call-ID with a CSeq not higher than the binding's aborts the request ("out of order");
  interval 0 removes, otherwise the binding is added or updated;
* step 8: the result lists the AOR's bindings, highest ``q`` first.

RFC 3261 names no status for the out-of-order case; pycti answers 500 as §12.2.2 does for an
out-of-order request within a dialog.  Too many bindings for one AOR (a local limit) is 403.
Steps 1-5 (domain, Require, authentication, authorization, To canonicalisation) belong to the
caller, which passes the AOR as the key it canonicalised.

Contact URIs are compared by an injectable function; the default, :func:`contact_uris_equal`,
folds the case of the scheme, host and parameter names and ignores parameter order, which is
stricter than RFC 3261 §19.1.4 (a parameter present on one side only makes URIs differ).
:class:`BindingStore` keeps bindings of many AORs in memory, commits results, purges expired
bindings and answers lookups.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from pycti.errors import PyctiError

__all__ = [
    "Binding",
    "BindingStore",
    "ContactInput",
    "ContactSpec",
    "RegisterResult",
    "RegisterStatus",
    "RegistrarError",
    "RegistrarPolicy",
    "UriEquality",
    "contact_uris_equal",
    "ordered_by_q",
    "process_register",
    "purge_expired",
]

#: RFC 3261 §10.3 step 7: a 423 is only for intervals shorter than one hour.
ONE_HOUR_S = 3600


class RegistrarError(PyctiError, ValueError):
    """A registrar policy or contact given with values that cannot be used."""


@dataclass(frozen=True)
class ContactSpec:
    """One Contact of a REGISTER: URI, its ``expires`` parameter (``None``: absent), its
    ``q`` (RFC 3261 §20.10, 0 to 1) and the RFC 5626 ``+sip.instance`` / ``reg-id``."""

    uri: str
    expires_s: int | None = None
    q: float = 1.0
    instance_id: str | None = None
    reg_id: int | None = None


@dataclass(frozen=True)
class Binding:
    """A registered contact of an AOR, valid until ``expires_at_s`` (the caller's clock)."""

    aor: str
    contact_uri: str
    expires_at_s: float
    q: float
    call_id: str
    cseq: int
    instance_id: str | None = None
    reg_id: int | None = None

    def expires_in_s(self, now_s: float) -> int:
        """Whole seconds left (rounded up), for the ``expires`` parameter of a 200 Contact."""
        return max(0, math.ceil(self.expires_at_s - now_s))


@dataclass(frozen=True)
class RegistrarPolicy:
    """Local registrar settings (RFC 3261 §10.3 step 7 "locally-configured" values)."""

    min_expires_s: int = 60
    max_expires_s: int = 3600
    default_expires_s: int = 3600
    max_bindings_per_aor: int = 10

    def __post_init__(self) -> None:
        if not 0 <= self.min_expires_s <= self.default_expires_s <= self.max_expires_s:
            raise RegistrarError(
                f"need 0 <= min_expires_s ({self.min_expires_s}) <= default_expires_s ({self.default_expires_s})"
                f" <= max_expires_s ({self.max_expires_s})"
            )
        if self.max_bindings_per_aor < 1:
            raise RegistrarError(f"max_bindings_per_aor={self.max_bindings_per_aor} must be at least 1")


class RegisterStatus(Enum):
    """Outcome of a REGISTER; value ``(status code, reason phrase)`` for the response."""

    OK = (200, "OK")
    BAD_REQUEST = (400, "Bad Request")
    TOO_MANY_BINDINGS = (403, "Too Many Bindings")
    INTERVAL_TOO_BRIEF = (423, "Interval Too Brief")
    OUT_OF_ORDER = (500, "Out Of Order")

    @property
    def status_code(self) -> int:
        """The SIP status code to answer with."""
        return int(self.value[0])

    @property
    def reason(self) -> str:
        """A reason phrase for the status line."""
        return str(self.value[1])


@dataclass(frozen=True)
class RegisterResult:
    """The AOR's bindings after the request (before it, on an error), highest q first;
    ``min_expires_s`` is the ``Min-Expires`` value of a 423."""

    status: RegisterStatus
    bindings: tuple[Binding, ...]
    min_expires_s: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the request was applied (200)."""
        return self.status is RegisterStatus.OK


def _split_uri(uri: str) -> tuple[str, str, str, frozenset[tuple[str, str]], str]:
    text = uri.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    scheme, sep, rest = text.partition(":")
    if not sep:
        return ("", "", text, frozenset(), "")
    rest, _, headers = rest.partition("?")
    main, *params = rest.split(";")
    user, at, host = main.rpartition("@")
    pairs = frozenset((n.strip().lower(), v) for n, _, v in (p.partition("=") for p in params if p))
    return (scheme.lower(), user if at else "", host.lower(), pairs, headers)


def contact_uris_equal(a: str, b: str) -> bool:
    """Whether two contact URIs name the same binding: equal once the scheme, host and
    parameter names are lower-cased, angle brackets dropped and parameters unordered."""
    return _split_uri(a) == _split_uri(b)


def purge_expired(bindings: Iterable[Binding], now_s: float) -> tuple[Binding, ...]:
    """The bindings still valid at ``now_s``."""
    return tuple(b for b in bindings if b.expires_at_s > now_s)


def ordered_by_q(bindings: Iterable[Binding]) -> tuple[Binding, ...]:
    """Bindings highest ``q`` first, ties in registration order (RFC 3261 §16.6 / §20.10)."""
    return tuple(sorted(bindings, key=lambda b: -b.q))


ContactInput = ContactSpec | tuple[str, int | None, float]
UriEquality = Callable[[str, str], bool]


def _as_spec(contact: ContactInput) -> ContactSpec:
    return contact if isinstance(contact, ContactSpec) else ContactSpec(contact[0], contact[1], contact[2])


def _same(binding: Binding, spec: ContactSpec, same_contact: UriEquality) -> bool:
    if spec.instance_id is not None and spec.reg_id is not None:
        return binding.instance_id == spec.instance_id and binding.reg_id == spec.reg_id
    return same_contact(binding.contact_uri, spec.uri)


def process_register(
    current: Sequence[Binding],
    *,
    aor: str,
    contacts: Sequence[ContactInput],
    call_id: str,
    cseq: int,
    now_s: float,
    wildcard: bool = False,
    expires_s: int | None = None,
    policy: RegistrarPolicy = RegistrarPolicy(),
    same_contact: UriEquality = contact_uris_equal,
) -> RegisterResult:
    """RFC 3261 §10.3 steps 6-8 for one REGISTER to ``aor`` whose bindings are ``current``.

    ``contacts`` are the Contact values (``ContactSpec`` or ``(uri, expires or None, q)``),
    ``wildcard`` says the request had ``Contact: *``, ``expires_s`` is its ``Expires`` header
    (``None``: absent).  No contacts and no wildcard is a query.  Pure: nothing is stored.
    """
    before = ordered_by_q(b for b in purge_expired(current, now_s) if b.aor == aor)

    def fail(status: RegisterStatus, detail: str, min_expires_s: int | None = None) -> RegisterResult:
        return RegisterResult(status, before, min_expires_s, detail)

    if wildcard:
        if contacts:
            return fail(RegisterStatus.BAD_REQUEST, f"Contact '*' with {len(contacts)} other contact(s)")
        if expires_s != 0:
            return fail(RegisterStatus.BAD_REQUEST, f"Contact '*' needs Expires 0, not {expires_s}")
        for b in before:
            if b.call_id == call_id and cseq <= b.cseq:
                return fail(RegisterStatus.OUT_OF_ORDER, f"CSeq {cseq} not above {b.cseq} of {b.contact_uri!r}")
        return RegisterResult(RegisterStatus.OK, (), None, "all bindings removed")
    if expires_s is not None and expires_s < 0:
        return fail(RegisterStatus.BAD_REQUEST, f"Expires {expires_s} is negative")
    bindings = list(before)
    for raw in contacts:
        spec = _as_spec(raw)
        interval = spec.expires_s if spec.expires_s is not None else expires_s
        interval = policy.default_expires_s if interval is None else interval
        if interval < 0 or not 0.0 <= spec.q <= 1.0:
            return fail(RegisterStatus.BAD_REQUEST, f"contact {spec.uri!r}: expires {interval}, q {spec.q}")
        if 0 < interval < ONE_HOUR_S and interval < policy.min_expires_s:
            return fail(RegisterStatus.INTERVAL_TOO_BRIEF, f"{spec.uri!r} asks {interval} s", policy.min_expires_s)
        interval = min(interval, policy.max_expires_s)
        index = next((i for i, b in enumerate(bindings) if _same(b, spec, same_contact)), None)
        if index is not None:
            old = bindings[index]
            if old.call_id == call_id and cseq <= old.cseq:
                return fail(RegisterStatus.OUT_OF_ORDER, f"CSeq {cseq} not above {old.cseq} of {old.contact_uri!r}")
        new = Binding(aor, spec.uri, now_s + interval, spec.q, call_id, cseq, spec.instance_id, spec.reg_id)
        if index is not None:
            if interval == 0:
                del bindings[index]
            else:
                bindings[index] = new
        elif interval > 0:
            bindings.append(new)
    limit = policy.max_bindings_per_aor
    if len(bindings) > limit:
        return fail(RegisterStatus.TOO_MANY_BINDINGS, f"{len(bindings)} bindings, at most {limit}")
    return RegisterResult(RegisterStatus.OK, ordered_by_q(bindings), None, f"{len(bindings)} binding(s)")


class BindingStore:
    """In-memory bindings of many AORs (RFC 3261 §10 location service); every change goes
    through :func:`process_register` and is committed only when it succeeds."""

    def __init__(self, policy: RegistrarPolicy = RegistrarPolicy(),
                 same_contact: UriEquality = contact_uris_equal) -> None:
        self.policy = policy
        self._same = same_contact
        self._by_aor: dict[str, tuple[Binding, ...]] = {}

    @property
    def aors(self) -> tuple[str, ...]:
        """The AORs holding bindings (some possibly expired until :meth:`purge`)."""
        return tuple(self._by_aor)

    def register(
        self,
        *,
        aor: str,
        contacts: Sequence[ContactInput],
        call_id: str,
        cseq: int,
        now_s: float,
        wildcard: bool = False,
        expires_s: int | None = None,
    ) -> RegisterResult:
        """Process a REGISTER (see :func:`process_register`) and commit it when it is OK."""
        result = process_register(self._by_aor.get(aor, ()), aor=aor, contacts=contacts, call_id=call_id, cseq=cseq,
                                  now_s=now_s, wildcard=wildcard, expires_s=expires_s, policy=self.policy,
                                  same_contact=self._same)
        if result.ok:
            if result.bindings:
                self._by_aor[aor] = result.bindings
            else:
                self._by_aor.pop(aor, None)
        return result

    def lookup(self, aor: str, now_s: float) -> tuple[Binding, ...]:
        """The AOR's valid bindings at ``now_s``, highest ``q`` first."""
        return ordered_by_q(purge_expired(self._by_aor.get(aor, ()), now_s))

    def purge(self, now_s: float) -> int:
        """Drop bindings expired at ``now_s``; returns how many were dropped."""
        dropped = 0
        for aor in list(self._by_aor):
            kept = purge_expired(self._by_aor[aor], now_s)
            dropped += len(self._by_aor[aor]) - len(kept)
            if kept:
                self._by_aor[aor] = kept
            else:
                del self._by_aor[aor]
        return dropped
