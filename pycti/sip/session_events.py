"""Configuration, events and errors of the SIP user agent core (:mod:`pycti.sip.session_agent`).

The UA core is sans-I/O: the caller feeds datagrams/stream messages with ``now_s`` and reads
back :class:`~pycti.sip.transaction_table.Transmit` (a message and its destination) and the
events below.  Every event is a frozen keyword-only dataclass deriving from :class:`UaEvent`;
``session_id`` names the INVITE session (call) the event belongs to.

Names follow RFC 3261 and the extensions they come from: provisional responses (§13.2.2.1;
180 -> :class:`Ringing`, other 1xx -> :class:`SessionProgress`), final responses (§13.2.2.3,
§13.2.2.4), CANCEL (§9), BYE (§15), re-INVITE and 491 glare (§14), PRACK (RFC 3262), session
timers (RFC 4028), REFER (RFC 3515), Replaces (RFC 3891), OPTIONS (§11).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from pycti.errors import PyctiError
from pycti.sip.message import SipRequest, SipResponse
from pycti.sip.timers import Destination, SipConfigError, TimerConfig
from pycti.sip.transaction_table import Transmit

__all__ = [
    "UaConfig", "UaError", "UaEvent", "IncomingInvite", "Ringing", "SessionProgress",
    "Answered", "Failed", "Cancelled", "Confirmed", "Ended", "ReinviteReceived",
    "ReinviteAnswered", "ReinviteFailed", "GlareBackoff", "ProvisionalAcknowledged",
    "SessionRefreshed", "SessionExpired", "ReferReceived", "ReferAccepted", "ReferProgress",
    "ReferFailed", "KeepAliveFailed", "KeepAliveRestored", "RequestCompleted",
    "RequestFailed", "Output", "SUPPORTED_EXTENSIONS",
]

SUPPORTED_EXTENSIONS = ("100rel", "timer", "replaces")
"""Option tags the core implements (RFC 3262, RFC 4028, RFC 3891)."""


class UaError(PyctiError, ValueError):
    """An API call the session's state does not allow, or an unknown session id."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UaConfig:
    """Who we are and how we behave.

    ``host``/``port``/``transport`` go into our Via and Contact; ``outbound_proxy`` is where
    out-of-dialog requests go when given (else the Request-URI's host).  ``session_expires_s``
    is the interval we ask for in INVITEs and accept at most (RFC 4028; ``None`` disables the
    timer), ``min_se_s`` the smallest we accept (RFC 4028 §4: at least 90).
    ``provisional_100rel`` sends 1xx reliably when the peer supports 100rel (RFC 3262 §3).
    """

    host: str
    port: int = 5060
    transport: str = "UDP"
    user: str = "pycti"
    display_name: str | None = None
    user_agent: str = "pycti"
    timers: TimerConfig = TimerConfig()
    outbound_proxy: Destination | None = None
    support_100rel: bool = True
    require_100rel: bool = False
    provisional_100rel: bool = True
    session_expires_s: int | None = 1800
    min_se_s: int = 90
    refer_expires_s: int = 60

    def __post_init__(self) -> None:
        if not 0 < self.port <= 65535:
            raise SipConfigError(f"port {self.port} outside 1-65535")
        if self.min_se_s < 90:
            raise SipConfigError(f"min_se_s={self.min_se_s} is below RFC 4028's 90 s")
        if self.session_expires_s is not None and self.session_expires_s < self.min_se_s:
            raise SipConfigError(f"session_expires_s={self.session_expires_s} is below "
                                 f"min_se_s={self.min_se_s}")


@dataclass(frozen=True, slots=True, kw_only=True)
class UaEvent:
    """Base of every UA event."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingInvite(UaEvent):
    """A new INVITE arrived (answer with ``ring``/``answer``/``reject``).

    ``sdp`` is its body (the offer) or empty; ``replaces`` the session it replaces (RFC 3891,
    already matched and checked) or ``None``.
    """

    session_id: int
    request: SipRequest
    sdp: bytes
    replaces: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringing(UaEvent):
    """180 Ringing (or 181/182) to our INVITE; ``reliable`` when it was sent with 100rel."""

    session_id: int
    response: SipResponse
    sdp: bytes
    reliable: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionProgress(UaEvent):
    """183 Session Progress (or another 1xx above 100) to our INVITE."""

    session_id: int
    response: SipResponse
    sdp: bytes
    reliable: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered(UaEvent):
    """A 2xx to our INVITE; ``sdp`` is the answer and the ACK has been sent, unless
    ``needs_answer``: our INVITE had no offer, ``sdp`` is the peer's offer and the ACK waits
    for ``UserAgent.ack`` with our answer (RFC 3264 §4)."""

    session_id: int
    response: SipResponse
    sdp: bytes
    needs_answer: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed(UaEvent):
    """Our INVITE ended without a session: the final status (408 for a timeout, 503 for a
    transport error, §8.1.3.1; 487 after our CANCEL)."""

    session_id: int
    status: int
    reason: str
    response: SipResponse | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancelled(UaEvent):
    """The caller cancelled an INVITE we had not answered (we sent 487)."""

    session_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirmed(UaEvent):
    """The ACK for our 2xx arrived; ``sdp`` is its body (an answer when we offered in 2xx).
    For a re-INVITE it is only reported when the ACK carries that answer."""

    session_id: int
    sdp: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Ended(UaEvent):
    """The session ended: ``by_remote`` when the peer sent BYE; ``reason`` says why
    (``bye``, ``no-ack``, ``session-expired``, ``replaced``, ``bye-timeout`` ...)."""

    session_id: int
    by_remote: bool
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReinviteReceived(UaEvent):
    """The peer sent a new offer in a re-INVITE (or, ``method="UPDATE"``, an UPDATE, RFC
    3311); answer with ``answer_reinvite``/``reject_reinvite``.  ``hold`` is True when the
    offer is sendonly/inactive or has a 0.0.0.0 address."""

    session_id: int
    request: SipRequest
    sdp: bytes
    hold: bool
    method: str = "INVITE"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReinviteAnswered(UaEvent):
    """Our re-INVITE was accepted; ``sdp`` is the answer (ACK sent), or the peer's offer when
    ``needs_answer`` (our re-INVITE had no SDP; answer with ``UserAgent.ack``)."""

    session_id: int
    response: SipResponse
    sdp: bytes
    refresh: bool
    needs_answer: bool = False
    method: str = "INVITE"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReinviteFailed(UaEvent):
    """Our re-INVITE got a final failure other than 491 (the session goes on, §14.1), or our
    UPDATE (``method="UPDATE"``) any failure, 491 included."""

    session_id: int
    status: int
    method: str = "INVITE"


@dataclass(frozen=True, slots=True, kw_only=True)
class GlareBackoff(UaEvent):
    """Our re-INVITE met 491; it is sent again at ``retry_at_s`` (§14.1)."""

    session_id: int
    retry_at_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvisionalAcknowledged(UaEvent):
    """The PRACK for our reliable provisional ``rseq`` arrived (RFC 3262 §3)."""

    session_id: int
    rseq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRefreshed(UaEvent):
    """The session timer was (re)started: ``interval_s`` and whether we are the refresher."""

    session_id: int
    interval_s: int
    we_refresh: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionExpired(UaEvent):
    """No refresh came in time (RFC 4028 §10): we sent BYE."""

    session_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferReceived(UaEvent):
    """The peer asks us to contact ``refer_to`` (RFC 3515); we answered 202 and sent
    NOTIFY 100 Trying.  Report progress with ``notify_refer``.  ``replaces`` is the Replaces
    value embedded in the Refer-To URI, if any (attended transfer)."""

    session_id: int
    request: SipRequest
    refer_to: str
    replaces: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferAccepted(UaEvent):
    """Our REFER was accepted (202)."""

    session_id: int
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferProgress(UaEvent):
    """A NOTIFY of our REFER's implicit subscription: the sipfrag status line and whether the
    subscription is terminated (RFC 3515 §2.4.5)."""

    session_id: int
    status: int
    status_line: str
    final: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferFailed(UaEvent):
    """Our REFER was refused or timed out."""

    session_id: int
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class KeepAliveFailed(UaEvent):
    """An OPTIONS keep-alive went unanswered (``timeout``/``transport``) or was answered
    408/481 in a dialog."""

    keepalive_id: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KeepAliveRestored(UaEvent):
    """An OPTIONS keep-alive was answered again after a failure."""

    keepalive_id: int
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestCompleted(UaEvent):
    """The final response to a request sent with ``send_request`` (after any auth retry)."""

    request_id: int
    response: SipResponse


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestFailed(UaEvent):
    """A ``send_request`` request timed out (408) or met a transport error (503)."""

    request_id: int
    status: int
    reason: str


Output = Union[Transmit, UaEvent]
