"""SIP Digest authentication, sans-I/O: header values in, header values and verdicts out.

Digest as SIP uses it: RFC 3261 §22 (the RFC 2617 computation, with the RFC 2069 no-``qop``
form) and RFC 8760, which brings the RFC 7616 algorithms ``SHA-256`` and ``SHA-512-256`` (and
``-sess`` variants) to SIP.  Works on the *values* of ``WWW-Authenticate``/``Proxy-Authenticate``
and ``Authorization``/``Proxy-Authorization``, never on messages.  The auth-param grammar is
RFC 3261 §25.1 (quoted-strings with quoted-pair escapes, LWS, case-insensitive names); unknown
parameters are kept in ``extra``; one value may carry several challenges (the HTTP form).
Hashes follow RFC 7616 §3.4.1-3.4.3.  :class:`DigestClient` walks the 401/407 challenges a
request meets; :class:`DigestServer` issues challenges whose nonce is a MAC over a time stamp
and verifies credentials into a :class:`VerifyResult`.

Among several challenges of one realm RFC 8760 §2.4 has the UAC take the topmost it supports
*unless local policy says otherwise*; pycti's policy is the strongest (SHA-512-256 > SHA-256 >
MD5).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from pycti.errors import PyctiError

__all__ = [
    "AuthorizationHeader", "ChallengeOutcome", "ChallengeResult", "CredentialLookup", "DigestAlgorithm",
    "DigestChallenge", "DigestClient", "DigestCredentials", "DigestError", "DigestServer",
    "DigestServerConfig", "Params", "Password", "Qop", "RandomBytes", "Secret", "SecretLookup", "StoredHa1",
    "UserCredentials", "VerifyResult", "VerifyStatus", "format_challenge", "format_credentials",
    "parse_challenge", "parse_challenges", "parse_credentials", "password_ha1", "request_digest"]


class DigestError(PyctiError, ValueError):
    """A Digest header value that does not parse, or a parameter that cannot be used."""


class DigestAlgorithm(Enum):
    """The ``algorithm`` tokens pycti implements; value ``(token, hashlib name, -sess, rank)``."""

    MD5 = ("MD5", "md5", False, 1)
    MD5_SESS = ("MD5-sess", "md5", True, 1)
    SHA_256 = ("SHA-256", "sha256", False, 2)
    SHA_256_SESS = ("SHA-256-sess", "sha256", True, 2)
    SHA_512_256 = ("SHA-512-256", "sha512_256", False, 3)
    SHA_512_256_SESS = ("SHA-512-256-sess", "sha512_256", True, 3)

    @property
    def token(self) -> str:
        """The token as RFC 7616 §6.1 registers it (``SHA-512-256-sess`` ...)."""
        return str(self.value[0])

    @property
    def session(self) -> bool:
        """True for the ``-sess`` variants (A1 bound to nonce and cnonce)."""
        return bool(self.value[2])

    @property
    def strength(self) -> int:
        """Rank used to pick among challenges: higher is stronger."""
        return int(self.value[3])

    def hash_hex(self, data: bytes) -> str:
        """``H(data)``: the algorithm's hash as lower-case hex."""
        return hashlib.new(str(self.value[1]), data).hexdigest()

    @classmethod
    def from_token(cls, token: str) -> DigestAlgorithm | None:
        """The member for an ``algorithm`` token (case-insensitive), ``None`` if unknown."""
        return next((m for m in cls if m.token.lower() == token.lower()), None)


class Qop(Enum):
    """Quality of protection (RFC 7616 §3.3): authentication only, or with body integrity."""

    AUTH = "auth"
    AUTH_INT = "auth-int"


Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DigestChallenge:
    """One Digest challenge (a ``WWW-Authenticate`` or ``Proxy-Authenticate`` value).

    ``algorithm_token`` is ``None`` when the parameter is absent (meaning MD5); ``qop`` holds
    the offered tokens lower-cased, known or not; ``extra`` the unknown parameters as
    ``(lower-case name, unquoted value)``.
    """

    realm: str
    nonce: str
    algorithm_token: str | None = None
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False
    domain: str | None = None
    extra: Params = ()

    @property
    def algorithm(self) -> DigestAlgorithm | None:
        """The algorithm (MD5 when absent); ``None`` for a token pycti does not implement."""
        return DigestAlgorithm.from_token(self.algorithm_token or "MD5")

    @property
    def qop_options(self) -> tuple[Qop, ...]:
        """The offered qop values pycti knows, in offered order."""
        return tuple(q for q in Qop if q.value in self.qop)


@dataclass(frozen=True)
class DigestCredentials:
    """One Digest ``Authorization``/``Proxy-Authorization`` value (RFC 3261 §25.1
    ``digest-response``).  ``nc`` is the nonce count as an integer (8 hex digits on the wire)."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm_token: str | None = None
    cnonce: str | None = None
    opaque: str | None = None
    qop: str | None = None
    nc: int | None = None
    extra: Params = ()

    @property
    def algorithm(self) -> DigestAlgorithm | None:
        """The algorithm (MD5 when absent); ``None`` for a token pycti does not implement."""
        return DigestAlgorithm.from_token(self.algorithm_token or "MD5")


# --------------------------------------------------------------------------- parsing

_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
_TOK = r"[A-Za-z0-9\-.!%*_+`'~]+"
_LWS = r"[ \t\r\n]*"
#: A scheme (bare token) or an auth-param ``name = (token / quoted-string)``, RFC 3261 §25.1.
_ITEM = re.compile(rf'{_LWS}(?P<name>{_TOK}){_LWS}(?:={_LWS}(?:"(?P<q>(?:[^"\\]|\\[\s\S])*)"|(?P<t>{_TOK})))?')
_SEP = re.compile(rf"{_LWS}(,|$)")
_TAIL = re.compile(r"[ \t\r\n,]*$")
_UNESCAPE = re.compile(r"\\([\s\S])")


def _parse_auth_items(value: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Split a header value into ``(scheme, [(lower-case name, unquoted value), ...])``."""
    items: list[tuple[str, list[tuple[str, str]]]] = []
    at = 0
    while _TAIL.match(value, at) is None:
        m = _ITEM.match(value, at)
        if m is None:
            raise DigestError(f"unparseable at offset {at} of {value!r}")
        if m.group("q") is None and m.group("t") is None:
            items.append((m.group("name"), []))  # a bare token starts a challenge
            at = m.end()
            continue
        if not items:
            raise DigestError(f"auth-param before any scheme in {value!r}")
        val = m.group("t") if m.group("q") is None else _UNESCAPE.sub(r"\1", m.group("q"))
        items[-1][1].append((m.group("name").lower(), val))
        sep = _SEP.match(value, m.end())
        if sep is None:
            raise DigestError(f"expected ',' at offset {m.end()} of {value!r}")
        at = sep.end()
    return items


def _param_map(scheme: str, params: list[tuple[str, str]], value: str) -> dict[str, str]:
    if scheme.lower() != "digest":
        raise DigestError(f"auth scheme {scheme!r} is not Digest in {value!r}")
    out: dict[str, str] = {}
    for name, val in params:
        if name in out:
            raise DigestError(f"parameter {name!r} given twice in {value!r}")
        out[name] = val
    return out


def _require(params: dict[str, str], name: str, value: str) -> str:
    try:
        return params.pop(name)
    except KeyError:
        raise DigestError(f"Digest parameter {name!r} missing from {value!r}") from None


def _challenge_from(params: dict[str, str], value: str) -> DigestChallenge:
    realm = _require(params, "realm", value)
    nonce = _require(params, "nonce", value)
    stale_tok = params.pop("stale", "false").lower()
    if stale_tok not in ("true", "false"):
        raise DigestError(f"stale={stale_tok!r} is neither true nor false in {value!r}")
    qop_raw = params.pop("qop", None)
    qop = tuple(q.strip().lower() for q in qop_raw.split(",") if q.strip()) if qop_raw is not None else ()
    return DigestChallenge(realm, nonce, params.pop("algorithm", None), qop, params.pop("opaque", None),
                           stale_tok == "true", params.pop("domain", None), tuple(params.items()))


def parse_challenges(values: Iterable[str]) -> tuple[DigestChallenge, ...]:
    """Every Digest challenge in the given ``WWW-Authenticate``/``Proxy-Authenticate`` values,
    in order; challenges of other schemes are skipped.  :class:`DigestError` names a value
    that does not parse or a Digest challenge missing ``realm``/``nonce``."""
    out: list[DigestChallenge] = []
    for value in values:
        for scheme, params in _parse_auth_items(value):
            if scheme.lower() == "digest":
                out.append(_challenge_from(_param_map(scheme, params, value), value))
    return tuple(out)


def parse_challenge(value: str) -> DigestChallenge:
    """The single Digest challenge of one header value; :class:`DigestError` otherwise."""
    found = parse_challenges([value])
    if len(found) != 1:
        raise DigestError(f"expected one Digest challenge, found {len(found)} in {value!r}")
    return found[0]


_CREDENTIALS_REQUIRED = ("username", "realm", "nonce", "uri", "response")


def parse_credentials(value: str) -> DigestCredentials:
    """The Digest credentials of an ``Authorization``/``Proxy-Authorization`` value."""
    items = _parse_auth_items(value)
    if len(items) != 1:
        raise DigestError(f"expected one credentials item, found {len(items)} in {value!r}")
    params = _param_map(items[0][0], items[0][1], value)
    username, realm, nonce, uri, response = (_require(params, n, value) for n in _CREDENTIALS_REQUIRED)
    nc_raw = params.pop("nc", None)
    nc: int | None = None
    if nc_raw is not None:
        if len(nc_raw) != 8 or any(c not in "0123456789abcdefABCDEF" for c in nc_raw):
            raise DigestError(f"nc={nc_raw!r} is not 8 hex digits in {value!r}")
        nc = int(nc_raw, 16)
    qop = params.pop("qop", None)
    return DigestCredentials(username, realm, nonce, uri, response, params.pop("algorithm", None),
                             params.pop("cnonce", None), params.pop("opaque", None),
                             qop.lower() if qop is not None else None, nc, tuple(params.items()))


# --------------------------------------------------------------------------- formatting


def _quote(text: str) -> str:
    if any(c in "\r\n" for c in text):
        raise DigestError(f"CR/LF cannot be carried in a quoted-string: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _token(name: str, text: str) -> str:
    if not text or any(c not in _TOKEN_CHARS for c in text):
        raise DigestError(f"{name}={text!r} is not a token")
    return text


def _format(fields: Iterable[tuple[str, str | None, bool]], extra: Params) -> str:
    """``Digest n=v, ...`` from ``(name, value or None to omit, quoted)`` and extra params."""
    parts = [f"{n}={_quote(v) if q else _token(n, v)}" for n, v, q in fields if v is not None]
    for name, val in extra:
        _token("parameter name", name)
        parts.append(f"{name}={val if val and all(c in _TOKEN_CHARS for c in val) else _quote(val)}")
    return "Digest " + ", ".join(parts)


def format_challenge(challenge: DigestChallenge) -> str:
    """The header value for a challenge: ``Digest realm="...", nonce="...", ...``."""
    c = challenge
    qop = ",".join(_token("qop", q) for q in c.qop) if c.qop else None
    return _format([("realm", c.realm, True), ("domain", c.domain, True), ("nonce", c.nonce, True),
                    ("opaque", c.opaque, True), ("stale", "true" if c.stale else None, False),
                    ("algorithm", c.algorithm_token, False), ("qop", qop, True)], c.extra)


def format_credentials(credentials: DigestCredentials) -> str:
    """The header value for credentials: ``Digest username="...", realm="...", ...``."""
    c = credentials
    if c.nc is not None and not 0 <= c.nc <= 0xFFFFFFFF:
        raise DigestError(f"nc={c.nc} does not fit 8 hex digits")
    return _format([("username", c.username, True), ("realm", c.realm, True), ("nonce", c.nonce, True),
                    ("uri", c.uri, True), ("response", c.response, True), ("algorithm", c.algorithm_token, False),
                    ("cnonce", c.cnonce, True), ("opaque", c.opaque, True), ("qop", c.qop, False),
                    ("nc", None if c.nc is None else f"{c.nc:08x}", False)], c.extra)


# --------------------------------------------------------------------------- computation


def password_ha1(algorithm: DigestAlgorithm, username: str, realm: str, password: str) -> str:
    """``H(username ":" realm ":" password)``, the non-session A1 hash (RFC 7616 §3.4.2); a
    server may store this instead of the password (per hash function)."""
    return algorithm.hash_hex(f"{username}:{realm}:{password}".encode())


def request_digest(algorithm: DigestAlgorithm, ha1: str, *, nonce: str, method: str, uri: str, qop: Qop | None,
                   nc: int | None = None, cnonce: str | None = None, body: bytes = b"") -> str:
    """The ``response`` value (RFC 7616 §3.4.1): ``KD(H(A1), nonce:nc:cnonce:qop:H(A2))``
    with a qop, ``H(H(A1):nonce:H(A2))`` without one (RFC 2069).  ``ha1`` is the non-session
    :func:`password_ha1`; for ``-sess`` algorithms it is bound to nonce and cnonce here.
    ``body`` is hashed into A2 for ``auth-int``."""
    H = algorithm.hash_hex
    if algorithm.session:
        if cnonce is None:
            raise DigestError(f"{algorithm.token} needs a cnonce")
        ha1 = H(f"{ha1}:{nonce}:{cnonce}".encode())
    a2 = f"{method}:{uri}"
    if qop is Qop.AUTH_INT:
        a2 += ":" + H(body)
    ha2 = H(a2.encode())
    if qop is None:
        return H(f"{ha1}:{nonce}:{ha2}".encode())
    if nc is None or cnonce is None:
        raise DigestError(f"qop={qop.value} needs nc and cnonce")
    return H(f"{ha1}:{nonce}:{nc:08x}:{cnonce}:{qop.value}:{ha2}".encode())


# --------------------------------------------------------------------------- client


@dataclass(frozen=True)
class UserCredentials:
    """What the user knows for one realm."""

    username: str
    password: str


#: realm -> the user's credentials for it, or ``None`` when there are none.
CredentialLookup = Callable[[str], UserCredentials | None]
#: ``n`` -> ``n`` random bytes (``os.urandom`` in production, a seeded source in tests).
RandomBytes = Callable[[int], bytes]


class ChallengeOutcome(Enum):
    """What :meth:`DigestClient.on_challenge` decided."""

    RETRY = "retry"  # resend the request with :meth:`DigestClient.authorization`
    NO_CREDENTIALS = "no-credentials"  # the lookup has nothing for a realm
    UNSUPPORTED = "unsupported"  # no challenge of a realm uses an algorithm/qop pycti has
    REJECTED = "rejected"  # the realm refused the credentials and the lookup has no others
    TOO_MANY = "too-many"  # the bound on consecutive challenges of a realm was reached
    MALFORMED = "malformed"  # no Digest challenge could be parsed


@dataclass(frozen=True)
class ChallengeResult:
    """Outcome of one 401/407; ``realm`` names the realm that failed (or the last answered)."""

    outcome: ChallengeOutcome
    realm: str | None = None
    detail: str = ""

    @property
    def retry(self) -> bool:
        """True when the request should be sent again with credentials."""
        return self.outcome is ChallengeOutcome.RETRY


@dataclass(frozen=True)
class AuthorizationHeader:
    """A header field to add to the retried request: ``name`` is ``Authorization`` (answering
    a 401) or ``Proxy-Authorization`` (answering a 407)."""

    name: str
    value: str


@dataclass
class _RealmState:
    challenge: DigestChallenge
    algorithm: DigestAlgorithm
    qop: Qop | None
    user: UserCredentials
    proxy: bool
    nc: int = 0
    cnonce: str = ""
    sent: bool = False
    attempts: int = 0


class DigestClient:
    """Authentication state of a UAC towards the realms that challenge it (RFC 3261 §22.2,
    §22.3).  Feed every 401/407 to :meth:`on_challenge`; on ``RETRY`` add
    :meth:`authorization` to the resent request; call :meth:`accepted` on any other final
    response.  The nonce of each realm is reused for later requests with ``nc`` counting up,
    so a registration refresh goes out with credentials at once.

    ``max_attempts_per_realm`` bounds how many requests in a row carry credentials for one
    realm and are challenged again (stale nonces included): the next challenge gives
    ``TOO_MANY``; credentials a realm rejected are not sent again (RFC 3261 §22.2) unless the
    lookup returns different ones.  ``stale=true`` retries with the new nonce without asking
    the lookup (RFC 7616 §3.3).
    """

    def __init__(self, lookup: CredentialLookup, random_bytes: RandomBytes, *, max_attempts_per_realm: int = 3,
                 prefer_auth_int: bool = False) -> None:
        if max_attempts_per_realm < 1:
            raise DigestError(f"max_attempts_per_realm={max_attempts_per_realm} must be at least 1")
        self._lookup = lookup
        self._random = random_bytes
        self._max = max_attempts_per_realm
        self._prefer_int = prefer_auth_int
        self._realms: dict[tuple[str, bool], _RealmState] = {}

    @property
    def realms(self) -> tuple[str, ...]:
        """The realms the client holds a nonce for."""
        return tuple(r for r, _ in self._realms)

    def _pick(self, offered: list[DigestChallenge]) -> tuple[DigestChallenge, DigestAlgorithm, Qop | None] | None:
        best: tuple[DigestChallenge, DigestAlgorithm, Qop | None] | None = None
        for ch in offered:
            alg = ch.algorithm
            if alg is None:
                continue
            qop: Qop | None = None
            if ch.qop:
                opts = ch.qop_options
                if not opts:
                    continue
                qop = Qop.AUTH_INT if Qop.AUTH_INT in opts and (self._prefer_int or Qop.AUTH not in opts) else Qop.AUTH
            if best is None or alg.strength > best[1].strength:
                best = (ch, alg, qop)
        return best

    def on_challenge(self, status_code: int, header_values: Sequence[str]) -> ChallengeResult:
        """Take a 401 (``WWW-Authenticate`` values) or 407 (``Proxy-Authenticate`` values)."""
        if status_code not in (401, 407):
            raise DigestError(f"status {status_code} is not a 401/407 challenge")
        proxy = status_code == 407
        challenges: list[DigestChallenge] = []
        for value in header_values:
            try:
                challenges.extend(parse_challenges([value]))
            except DigestError:
                continue  # one unparseable header must not hide the others
        if not challenges:
            return ChallengeResult(ChallengeOutcome.MALFORMED, None, f"no Digest challenge in {list(header_values)!r}")
        by_realm: dict[str, list[DigestChallenge]] = {}
        for ch in challenges:
            by_realm.setdefault(ch.realm, []).append(ch)
        last = None
        for realm, offered in by_realm.items():
            picked = self._pick(offered)
            if picked is None:
                offers = [(c.algorithm_token or "MD5", c.qop) for c in offered]
                return ChallengeResult(ChallengeOutcome.UNSUPPORTED, realm, f"algorithm/qop offered: {offers}")
            result = self._answer(realm, proxy, *picked)
            if not result.retry:
                return result
            last = result
        assert last is not None
        return last

    def _answer(self, realm: str, proxy: bool, ch: DigestChallenge, alg: DigestAlgorithm, qop: Qop | None) -> ChallengeResult:
        key = (realm, proxy)
        state = self._realms.get(key)
        user: UserCredentials | None
        attempts = state.attempts if state is not None else 0
        if state is not None and state.sent:
            attempts += 1
            if attempts >= self._max:
                del self._realms[key]
                return ChallengeResult(ChallengeOutcome.TOO_MANY, realm, f"{attempts} consecutive challenges")
            user = state.user
            # A fresh challenge after credentials on a *reused* nonce says the nonce aged,
            # whether or not the server set stale=true: retry as for stale.
            if not ch.stale and state.nc <= 1:
                user = self._lookup(realm)
                if user is None or user == state.user:
                    del self._realms[key]
                    return ChallengeResult(ChallengeOutcome.REJECTED, realm, f"credentials of {state.user.username!r} refused")
        else:
            user = state.user if state is not None else self._lookup(realm)
            if user is None:
                return ChallengeResult(ChallengeOutcome.NO_CREDENTIALS, realm, f"no credentials for realm {realm!r}")
        self._realms[key] = _RealmState(ch, alg, qop, user, proxy, attempts=attempts, cnonce=self._random(16).hex())
        return ChallengeResult(ChallengeOutcome.RETRY, realm, f"{alg.token} for {user.username!r}")

    def authorization(self, method: str, uri: str, body: bytes = b"") -> tuple[AuthorizationHeader, ...]:
        """The credentials header fields for a request (one per known realm), each with the
        next ``nc`` of its nonce and a fresh cnonce (kept per nonce for ``-sess``)."""
        out = []
        for (realm, proxy), st in self._realms.items():
            st.nc += 1
            if not st.algorithm.session and st.nc > 1:
                st.cnonce = self._random(16).hex()
            ha1 = password_ha1(st.algorithm, st.user.username, realm, st.user.password)
            nc = st.nc if st.qop is not None else None
            cnonce = st.cnonce if (st.qop is not None or st.algorithm.session) else None
            resp = request_digest(st.algorithm, ha1, nonce=st.challenge.nonce, method=method, uri=uri, qop=st.qop,
                                  nc=nc, cnonce=cnonce, body=body)
            cred = DigestCredentials(st.user.username, realm, st.challenge.nonce, uri, resp, st.challenge.algorithm_token,
                                     cnonce, st.challenge.opaque, st.qop.value if st.qop is not None else None, nc)
            st.sent = True
            out.append(AuthorizationHeader("Proxy-Authorization" if proxy else "Authorization", format_credentials(cred)))
        return tuple(out)

    def accepted(self) -> None:
        """A final response other than 401/407 arrived: the credentials sent were taken, so
        the consecutive-challenge counts start again (the nonces are kept for reuse)."""
        for st in self._realms.values():
            st.attempts = 0
            st.sent = False

    def forget(self) -> None:
        """Drop every nonce and credential (e.g. after unregistering)."""
        self._realms.clear()


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class Password:
    """A user's clear-text password."""

    password: str


@dataclass(frozen=True)
class StoredHa1:
    """A stored ``H(username:realm:password)`` for the hash of the algorithm asked about."""

    ha1_hex: str


Secret = Password | StoredHa1
#: ``(username, realm, algorithm)`` -> the user's secret, or ``None`` for an unknown user.
SecretLookup = Callable[[str, str, DigestAlgorithm], Secret | None]


class VerifyStatus(Enum):
    """Verdict on one Authorization value."""

    OK = "ok"
    STALE_NONCE = "stale-nonce"  # right password, nonce expired/not ours: challenge with stale=true
    WRONG_PASSWORD = "wrong-password"
    UNKNOWN_USER = "unknown-user"
    MALFORMED = "malformed"  # unparseable, or realm/uri/opaque/algorithm/qop not as challenged
    REPLAYED_NC = "replayed-nc"  # nonce count not above the highest seen for that nonce


@dataclass(frozen=True)
class VerifyResult:
    """What :meth:`DigestServer.verify` found; ``username`` when the credentials named one."""

    status: VerifyStatus
    username: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the request is authenticated."""
        return self.status is VerifyStatus.OK


@dataclass(frozen=True)
class DigestServerConfig:
    """A realm's challenge policy.  ``algorithms`` are offered one challenge each, in this
    order (RFC 8760 §2.4: most preferred first); ``qop=()`` offers the RFC 2069 form."""

    realm: str
    algorithms: tuple[DigestAlgorithm, ...] = (DigestAlgorithm.SHA_256, DigestAlgorithm.MD5)
    qop: tuple[Qop, ...] = (Qop.AUTH,)
    nonce_lifetime_s: float = 300.0
    max_tracked_nonces: int = 4096
    clock_skew_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.algorithms:
            raise DigestError(f"realm {self.realm!r} offers no algorithm")
        if self.nonce_lifetime_s <= 0 or self.max_tracked_nonces < 1:
            raise DigestError(f"nonce_lifetime_s={self.nonce_lifetime_s}, max_tracked_nonces={self.max_tracked_nonces}")


_NONCE_PAYLOAD = struct.Struct(">QI")  # time stamp in ms, serial number
_MAC_BYTES = 16


class DigestServer:
    """Challenges and verification for one realm (RFC 3261 §22.4, RFC 7616 §3.3/§3.4/§5.4).

    A nonce is ``base64url(time_ms | serial | HMAC-SHA256(secret, realm | time_ms |
    serial)[:16])``: its validity and age are checked from the nonce alone.  To detect a
    replayed ``nc`` the server keeps, per nonce in use, the highest nonce count seen; the table
    holds at most ``max_tracked_nonces`` and drops nonces past their lifetime.  When it must
    evict a live nonce, nonces issued at or before the evicted one are treated as stale from
    then on, so an eviction never lets a replay through.  Replays of RFC 2069 credentials
    (no ``nc``) cannot be detected.
    """

    def __init__(self, config: DigestServerConfig, secret: bytes) -> None:
        if len(secret) < 16:
            raise DigestError(f"a nonce secret of {len(secret)} bytes is too short (16 at least)")
        self.config = config
        self._secret = secret
        self._serial = 0
        self._seen: OrderedDict[str, tuple[int, int]] = OrderedDict()  # nonce -> (time_ms, nc)
        self._floor_ms = -1
        self.opaque = hmac.new(secret, b"opaque:" + config.realm.encode(), hashlib.sha256).hexdigest()[:32]

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, self.config.realm.encode() + b"\x00" + payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def issue_nonce(self, now_s: float) -> str:
        """A fresh nonce stamped with ``now_s``."""
        self._serial = (self._serial + 1) & 0xFFFFFFFF
        payload = _NONCE_PAYLOAD.pack(max(0, round(now_s * 1000)), self._serial)
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode().rstrip("=")

    def _nonce_time_ms(self, nonce: str) -> int | None:
        """The nonce's time stamp when it is one of ours, else ``None``."""
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except ValueError:
            return None
        payload, mac = raw[: _NONCE_PAYLOAD.size], raw[_NONCE_PAYLOAD.size :]
        if len(raw) != _NONCE_PAYLOAD.size + _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        return int(_NONCE_PAYLOAD.unpack(payload)[0])

    def challenges(self, now_s: float, *, stale: bool = False) -> tuple[DigestChallenge, ...]:
        """One challenge per configured algorithm, sharing one fresh nonce."""
        nonce = self.issue_nonce(now_s)
        qop = tuple(q.value for q in self.config.qop)
        return tuple(DigestChallenge(self.config.realm, nonce, a.token, qop, self.opaque, stale) for a in self.config.algorithms)

    def challenge_values(self, now_s: float, *, stale: bool = False) -> tuple[str, ...]:
        """The ``WWW-Authenticate`` (or ``Proxy-Authenticate``) values for a 401 (407)."""
        return tuple(format_challenge(c) for c in self.challenges(now_s, stale=stale))

    def _make_room(self, now_ms: int, nonce: str) -> None:
        """Drop nonces past their lifetime, then evict the oldest while ``nonce`` would not fit."""
        limit = now_ms - round(self.config.nonce_lifetime_s * 1000)
        while self._seen and next(iter(self._seen.values()))[0] < limit:  # oldest first use first
            self._seen.popitem(last=False)
        while nonce not in self._seen and len(self._seen) >= self.config.max_tracked_nonces:
            _, (t, _) = self._seen.popitem(last=False)
            self._floor_ms = max(self._floor_ms, t)

    def verify(self, authorization: str, *, method: str, uri: str, now_s: float, lookup: SecretLookup,
               body: bytes = b"") -> VerifyResult:
        """Check an ``Authorization`` value against the request's method, Request-URI and
        body.  The password is checked before the nonce's age so that ``STALE_NONCE`` means
        "right credentials, old nonce" (RFC 7616 §3.3, ``stale``)."""
        bad = VerifyStatus.MALFORMED
        try:
            cred = parse_credentials(authorization)
        except DigestError as exc:
            return VerifyResult(bad, None, str(exc))
        user = cred.username
        cfg = self.config
        alg = cred.algorithm
        qop = next((q for q in Qop if q.value == cred.qop), None)
        qop_ok = (qop in cfg.qop and cred.nc is not None and cred.cnonce is not None) if cfg.qop else cred.qop is None
        for failed, why in (
            (cred.realm != cfg.realm, f"realm {cred.realm!r} is not {cfg.realm!r}"),
            (alg is None or alg not in cfg.algorithms, f"algorithm {cred.algorithm_token!r} was not offered"),
            (cred.opaque != self.opaque, f"opaque {cred.opaque!r} is not the one sent"),
            (not qop_ok, f"qop={cred.qop!r} nc={cred.nc} cnonce={cred.cnonce!r} against qop {[q.value for q in cfg.qop]}"),
            (alg is not None and alg.session and cred.cnonce is None, f"{cred.algorithm_token} without cnonce"),
            (cred.uri != uri, f"uri {cred.uri!r} is not the Request-URI {uri!r}"),
        ):
            if failed:
                return VerifyResult(bad, user, why)
        assert alg is not None
        secret = lookup(user, cfg.realm, alg)
        if secret is None:
            return VerifyResult(VerifyStatus.UNKNOWN_USER, user, f"no user {user!r} in {cfg.realm!r}")
        ha1 = secret.ha1_hex if isinstance(secret, StoredHa1) else password_ha1(alg, user, cfg.realm, secret.password)
        want = request_digest(alg, ha1, nonce=cred.nonce, method=method, uri=cred.uri, qop=qop, nc=cred.nc,
                              cnonce=cred.cnonce, body=body)
        if not hmac.compare_digest(want.encode(), cred.response.lower().encode()):
            return VerifyResult(VerifyStatus.WRONG_PASSWORD, user, "response does not match")
        now_ms = round(now_s * 1000)
        issued = self._nonce_time_ms(cred.nonce)
        if issued is None:
            return VerifyResult(VerifyStatus.STALE_NONCE, user, "nonce not issued by this server")
        age_s = (now_ms - issued) / 1000.0
        if age_s > cfg.nonce_lifetime_s or age_s < -cfg.clock_skew_s or issued <= self._floor_ms:
            return VerifyResult(VerifyStatus.STALE_NONCE, user, f"nonce is {age_s:.3f} s old")
        if cred.nc is None:
            return VerifyResult(VerifyStatus.OK, user, "RFC 2069 credentials")
        self._make_room(now_ms, cred.nonce)
        if issued <= self._floor_ms:
            return VerifyResult(VerifyStatus.STALE_NONCE, user, "nonce evicted from the replay table")
        seen = self._seen.get(cred.nonce)
        if seen is not None and cred.nc <= seen[1]:
            return VerifyResult(VerifyStatus.REPLAYED_NC, user, f"nc={cred.nc:08x} after nc={seen[1]:08x}")
        self._seen[cred.nonce] = (issued, cred.nc)
        return VerifyResult(VerifyStatus.OK, user, f"nc={cred.nc:08x}")
