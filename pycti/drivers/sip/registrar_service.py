"""REGISTER and INVITE authentication for the SIP driver's phones (RFC 3261 §10.3, §22).

:class:`PhoneRegistrar` answers a REGISTER by itself (statelessly, §8.2.7): without
credentials 401 with a digest challenge from :class:`~pycti.sip.digest.DigestServer`
(RFC 7616: SHA-256 and MD5, ``qop=auth``), with a stale nonce 401 ``stale=true``, with a wrong
password or an unknown user 403 (§22.1 leaves the choice; 403 stops a phone's retry loop),
with credentials of another extension than the To (§10.3 step 4) 403; then steps 6-8 in a
:class:`~pycti.sip.registrar.BindingStore` (400, 423 with Min-Expires, 500 out of order, or
200 listing the bindings with their remaining ``expires``).

:meth:`PhoneRegistrar.authenticate` does the same challenge for a phone's INVITE: the
driver passes only authenticated INVITEs on to the user agent.  :meth:`PhoneRegistrar.contact`
is where a registered extension is rung.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ...sip.digest import DigestAlgorithm, DigestServer, DigestServerConfig, Password, VerifyStatus
from ...sip.header_values import parse_name_addr, split_commas
from ...sip.message import SipRequest, SipResponse, make_response
from ...sip.message_errors import SipParseError
from ...sip.registrar import BindingStore, ContactSpec, RegistrarPolicy
from ...sip.timers import Destination
from ...sip.uri import SipUri, parse_uri

__all__ = ["PhoneRegistrar", "AuthOutcome"]


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    """Who sent the request (``extension``), or the response refusing it."""

    extension: str | None
    refusal: SipResponse | None


def _user_of(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        uri = parse_name_addr(text).uri
    except SipParseError:
        return None
    return uri.user if isinstance(uri, SipUri) else None


class PhoneRegistrar:
    """The phones' registrar and authenticator for one realm."""

    def __init__(self, realm: str, passwords: dict[str, str], rng: random.Random,
                 policy: RegistrarPolicy = RegistrarPolicy(), *,
                 algorithms: tuple[str, ...] = ("SHA-256", "MD5")) -> None:
        self.realm = realm
        self._passwords = dict(passwords)
        self._rng = rng
        by_token = {a.value[0]: a for a in DigestAlgorithm}
        self.server = DigestServer(DigestServerConfig(realm=realm, algorithms=tuple(by_token[a] for a in algorithms)),
                                   secret=rng.randbytes(32))
        self.bindings = BindingStore(policy)
        self.refused: dict[int, int] = {}  #: status -> how many requests were refused with it

    def aor(self, extension: str) -> str:
        """The address of record of ``extension``."""
        return f"sip:{extension}@{self.realm}"

    def _lookup(self, user: str, realm: str, _alg: object) -> Password | None:
        password = self._passwords.get(user)
        return Password(password) if password is not None and realm == self.realm else None

    def _respond(self, req: SipRequest, status: int, extra: tuple[tuple[str, str], ...] = ()) -> SipResponse:
        if status >= 300:
            self.refused[status] = self.refused.get(status, 0) + 1
        return make_response(req, status, to_tag=f"{self._rng.getrandbits(64):016x}", extra=extra)

    def _challenge(self, req: SipRequest, now_s: float, *, stale: bool = False) -> SipResponse:
        return self._respond(req, 401, tuple(("WWW-Authenticate", v)
                                             for v in self.server.challenge_values(now_s, stale=stale)))

    def authenticate(self, req: SipRequest, now_s: float, *, identity: str) -> AuthOutcome:
        """Check ``req``'s Authorization; ``identity`` is the header naming the user
        (``To`` for REGISTER, ``From`` for INVITE), which must be the authenticated user."""
        auth = req.headers.get("Authorization")
        if auth is None:
            return AuthOutcome(None, self._challenge(req, now_s))
        verdict = self.server.verify(auth, method=req.method, uri=str(req.uri), now_s=now_s,
                                     lookup=self._lookup, body=req.body)
        if verdict.status is VerifyStatus.STALE_NONCE:
            return AuthOutcome(None, self._challenge(req, now_s, stale=True))
        if verdict.status in (VerifyStatus.MALFORMED, VerifyStatus.REPLAYED_NC):
            return AuthOutcome(None, self._challenge(req, now_s))
        if not verdict.ok or verdict.username is None:
            return AuthOutcome(None, self._respond(req, 403))
        if _user_of(req.headers.get(identity)) != verdict.username:
            return AuthOutcome(None, self._respond(req, 403))  # §10.3 step 4: not your AOR
        return AuthOutcome(verdict.username, None)

    def register(self, req: SipRequest, now_s: float) -> SipResponse:
        """The response to a REGISTER (bindings changed when it is 200)."""
        outcome = self.authenticate(req, now_s, identity="To")
        if outcome.refusal is not None or outcome.extension is None:
            assert outcome.refusal is not None
            return outcome.refusal
        cseq = req.cseq()
        contacts = [c.strip() for v in req.headers.get_all("Contact") for c in split_commas(v)]
        wildcard = contacts == ["*"]
        specs: list[ContactSpec] = []
        try:
            expires_text = req.headers.get("Expires")
            expires = int(expires_text) if expires_text is not None else None
            if not wildcard:
                for text in contacts:
                    na = parse_name_addr(text)
                    param = na.param("expires")
                    specs.append(ContactSpec(str(na.uri), int(param) if param else None))
        except (SipParseError, ValueError):
            return self._respond(req, 400)
        if cseq is None or req.call_id is None:
            return self._respond(req, 400)
        result = self.bindings.register(aor=self.aor(outcome.extension), contacts=specs,
                                        call_id=req.call_id, cseq=cseq.seq, now_s=now_s,
                                        wildcard=wildcard, expires_s=expires)
        if not result.ok:
            extra = () if result.min_expires_s is None else (("Min-Expires", str(result.min_expires_s)),)
            return self._respond(req, result.status.status_code, extra)
        return self._respond(req, 200, tuple(
            ("Contact", f"<{b.contact_uri}>;expires={b.expires_in_s(now_s)}") for b in result.bindings))

    def contact(self, extension: str, now_s: float) -> tuple[str, Destination] | None:
        """The registered contact URI of ``extension`` and where to send to it, or None."""
        for binding in self.bindings.lookup(self.aor(extension), now_s):
            try:
                uri = parse_uri(binding.contact_uri)
            except SipParseError:
                continue
            if isinstance(uri, SipUri) and uri.scheme == "sip":
                host = uri.host.strip("[]")
                return binding.contact_uri, Destination(host, uri.port or 5060, "UDP")
        return None
