"""A SIP trunk's registration with its carrier (RFC 3261 §10.2), run for the SIP driver.

:class:`TrunkRegistration` drives one :class:`~pycti.sip.register_client.RegisterClient`
(the REGISTER state machine: refresh before expiry, RFC 5626 §4.5 back-off after a failure,
``Expires: 0`` to unregister) and turns its :class:`~pycti.sip.register_client.SendRegister`
actions into REGISTER requests sent through the driver's
:class:`~pycti.sip.session_agent.UserAgent` as client transactions (RFC 3261 §17.1.2), so
retransmission, Timer F and the digest retry of a 401/407 (§22.2, with the trunk's
credentials) are the user agent's, and so are the credentials a refresh carries from the
start (the realm's kept nonce).  What the client keeps per registration is kept on the
wire: one Call-ID for every REGISTER of the trunk and a CSeq that goes up by one each time
(§10.2.4); a digest retry by the user agent takes a CSeq too, which the client then skips.

The address of record is ``sip:<username>@<host>`` (the trunk's user name, else the
driver's user), the Request-URI the trunk's ``sip:<host>:<port>`` (§10.2: the registrar's
domain), the Contact the user agent's, the expiry asked for an ``Expires`` header field
(§10.2.1.1).  The expiry granted is the ``expires`` parameter of our Contact in the 2xx, else
its ``Expires`` header field (§10.2.4).  Sans-I/O: every method takes ``now_s``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ...sip.dialog import new_call_id, new_tag
from ...sip.digest import DigestClient
from ...sip.header_values import NameAddr
from ...sip.message import SipResponse, make_request
from ...sip.message_errors import SipParseError
from ...sip.register_client import (
    CancelTimer, RegisterAction, RegisterClient, RegisterConfig, Registered, RegistrationFailed,
    RegState, SendRegister, SetTimer, TimerKind, Unregistered,
)
from ...sip.session_agent import UserAgent
from ...sip.session_base import GenericRequest, Purpose
from ...sip.session_events import RequestCompleted, RequestFailed
from ...sip.timers import Destination
from ...sip.uri import SipUri
from .config import SipTrunkConfig

__all__ = ["TrunkRegistration", "TrunkRegistrationStatus"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrunkRegistrationStatus:
    """Where a trunk's registration stands: the client's ``state``, the binding's end
    (``registered_until_s``, driver clock), how many 2xx granted it (``grants``), the last
    final status (0 before any), when a failed registration is retried (``retry_at_s``)."""

    trunk: str
    state: RegState
    registered_until_s: float | None
    grants: int
    last_status: int
    retry_at_s: float | None


def _no_credentials(realm: str) -> None:
    """The client's own digest state sees only challenges the user agent could not answer."""
    return None


class TrunkRegistration:
    """One registering trunk: :meth:`start`, :meth:`stop`, :meth:`on_timer` and
    :meth:`on_event` for the user agent's request events; :meth:`status` reads it."""

    def __init__(self, trunk: SipTrunkConfig, ua: UserAgent, rng: random.Random) -> None:
        self.trunk = trunk
        self._ua = ua
        self._rng = rng
        host = ua.config.host
        self.client = RegisterClient(
            RegisterConfig(registrar_uri=f"sip:{trunk.host}:{trunk.port}",
                           call_id=new_call_id(rng, host), expires_s=trunk.register_expires_s,
                           max_expires_s=max(86400, trunk.register_expires_s),
                           retry_base_s=trunk.register_retry_base_s,
                           retry_max_s=max(1800.0, trunk.register_retry_base_s),
                           first_cseq=rng.randrange(1, 2**16)),
            DigestClient(_no_credentials, rng.randbytes), rng.random)
        self._aor = NameAddr(None, SipUri("sip", trunk.username or ua.config.user, trunk.host))
        self._dest = Destination(trunk.host, trunk.port, trunk.transport.upper())
        self._timer: tuple[TimerKind, float] | None = None
        self._sent: dict[int, int] = {}  #: user-agent request id -> the client's CSeq
        self._grants = 0
        self._last_status = 0
        self._retry_at_s: float | None = None

    # -- inputs -----------------------------------------------------------------------
    def start(self, now_s: float) -> None:
        """Register (the first REGISTER goes out at once)."""
        self._act(self.client.start(now_s), now_s)

    def stop(self, now_s: float) -> None:
        """Unregister (``Expires: 0``) and stop refreshing."""
        self._act(self.client.stop(now_s), now_s)

    def on_timer(self, now_s: float) -> None:
        """Fire the client's refresh or retry timer when it is due."""
        if self._timer is not None and self._timer[1] <= now_s:
            kind, self._timer = self._timer[0], None
            self._act(self.client.on_timer(kind, now_s), now_s)

    def next_deadline_s(self) -> float | None:
        """When :meth:`on_timer` has something to do next."""
        return None if self._timer is None else self._timer[1]

    def on_event(self, event: RequestCompleted | RequestFailed, now_s: float) -> bool:
        """The user agent's answer to one of our REGISTERs; False when it is not ours."""
        cseq = self._sent.pop(event.request_id, None)
        if cseq is None:
            return False
        if isinstance(event, RequestFailed):  # 408 timeout or 503 transport error (§8.1.3.1)
            self._act(self.client.on_response(event.status, now_s, cseq=cseq), now_s)
            return True
        resp = event.response
        sent = resp.cseq()
        if sent is not None and sent.seq > self.client.cseq:
            self.client.cseq = sent.seq  # the user agent's digest retry took CSeq numbers
        self._act(self.client.on_response(
            resp.status, now_s, cseq=cseq, granted_expires_s=self._granted(resp),
            min_expires_s=_int_field(resp, "Min-Expires"),
            retry_after_s=_retry_after(resp),
            challenge_values=resp.headers.get_all(
                "WWW-Authenticate" if resp.status == 401 else "Proxy-Authenticate")), now_s)
        return True

    def status(self) -> TrunkRegistrationStatus:
        """The registration's state now."""
        return TrunkRegistrationStatus(
            trunk=self.trunk.name, state=self.client.state,
            registered_until_s=self.client.registered_until_s, grants=self._grants,
            last_status=self._last_status, retry_at_s=self._retry_at_s)

    def registered(self, now_s: float) -> bool:
        """Whether the carrier holds a binding for us at ``now_s``."""
        until = self.client.registered_until_s
        return until is not None and until > now_s and self.client.state is not RegState.UNREGISTERING

    # -- outputs ----------------------------------------------------------------------
    def _act(self, actions: tuple[RegisterAction, ...], now_s: float) -> None:
        for action in actions:
            if isinstance(action, SendRegister):
                self._send(action, now_s)
            elif isinstance(action, SetTimer):
                self._timer = (action.kind, action.at_s)
            elif isinstance(action, CancelTimer):
                if self._timer is not None and self._timer[0] is action.kind:
                    self._timer = None
            elif isinstance(action, Registered):
                self._grants += 1
                self._last_status, self._retry_at_s = 200, None
            elif isinstance(action, RegistrationFailed):
                self._last_status, self._retry_at_s = action.status_code, action.retry_at_s
            elif isinstance(action, Unregistered):
                self._last_status, self._retry_at_s = action.status_code, None

    def _send(self, action: SendRegister, now_s: float) -> None:
        ua = self._ua
        uri = SipUri("sip", None, self.trunk.host, self.trunk.port)
        extra = ua.capability_fields() + (("Expires", str(action.expires_s)),)
        # a refresh goes out with credentials at once: the nonce the user agent's digest
        # client keeps for the realm, its nc counting up (RFC 3261 §22.3, RFC 7616 §3.4)
        auth = action.authorization or (ua.digest.authorization("REGISTER", str(uri))
                                        if ua.digest is not None else ())
        extra += tuple((h.name, h.value) for h in auth)
        request = make_request(
            "REGISTER", uri, via=ua.via(),
            from_=self._aor.with_param("tag", new_tag(self._rng)), to=self._aor,
            call_id=action.call_id, cseq=action.cseq, contact=ua.contact(), extra=extra)
        rid = ua.new_id()
        ua.requests[rid] = GenericRequest(rid, request, self._dest)
        self._sent[rid] = action.cseq
        ua.send_request_txn(request, self._dest, rid, Purpose.REQUEST, now_s)

    def _granted(self, resp: SipResponse) -> int | None:
        if not 200 <= resp.status < 300:
            return None
        ours = self._ua.contact().uri
        try:
            contacts = resp.headers.contact()
        except SipParseError:
            contacts = ()
        for c in contacts:
            uri = c.uri
            if isinstance(uri, SipUri) and isinstance(ours, SipUri) and \
                    (uri.host, uri.port) == (ours.host, ours.port) and uri.user == ours.user:
                value = c.param("expires")
                if value is not None and value.isdigit():
                    return int(value)
        return _int_field(resp, "Expires")


def _int_field(resp: SipResponse, name: str) -> int | None:
    value = (resp.headers.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _retry_after(resp: SipResponse) -> float | None:
    """RFC 3261 §20.33: delta-seconds, then optional comment and parameters."""
    value = (resp.headers.get("Retry-After") or "").strip()
    head = value.split(";", 1)[0].split("(", 1)[0].strip()
    return float(head) if head.isdigit() else None
