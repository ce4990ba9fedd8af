"""The SIP driver's per-port call state and how SIP reads as driver events.

One transition table, :data:`PORT_TABLE`, says what each input does to a port's call state:
the SIP user agent's events (:mod:`pycti.sip.session_events`) and the switch's requests.  A
request missing from the table is refused (:class:`~pycti.drivers.base.RequestRefused`); a
SIP event missing from it is ignored (a late response to a call the switch already released).

Also here: the caller's identity from P-Asserted-Identity (RFC 3325 §9.1) or From, withheld
under ``Privacy: id`` (RFC 3325 §9.3) or an anonymous From (RFC 3323 §4.1.1.3); a final
status as a :class:`~pycti.drivers.base.ReleaseCause` (RFC 3261 §21, mapped as RFC 3398
§8.2.6.1 maps them to ISUP causes); and the reverse, the status that refuses an unanswered
incoming INVITE for a release cause.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...sip.header_values import parse_name_addr
from ...sip.message import SipRequest
from ...sip.message_errors import SipParseError
from ...sip.table_enum import TableEnum
from ...sip.uri import SipUri
from ..base import CallerIdentity, Presentation, ReleaseCause

__all__ = ["PortState", "PortInput", "PORT_TABLE", "next_state", "caller_of", "called_of",
           "cause_of_status", "status_of_cause", "PortCall"]


class PortState(TableEnum):
    """Where a SIP port's call stands."""

    IDLE = "idle"
    OFFERED = "offered"  #: an INVITE came, IncomingCall reported, not answered yet
    DIALLING = "dialling"  #: our INVITE is out, no 2xx yet
    TALKING = "talking"  #: a confirmed (or answered) session


class PortInput(TableEnum):
    """What can happen to a port: SIP events (lower half) and switch requests (upper)."""

    DIAL = "dial"
    RING = "ring"
    ANSWER = "answer"
    RELEASE = "release"
    HOLD = "set_media_direction"
    INVITE = "incoming INVITE"
    RINGING = "1xx"
    ANSWERED = "2xx"
    FAILED = "final failure"
    CANCELLED = "CANCEL"
    ENDED = "session ended"
    REINVITE = "re-INVITE"


_S, _I = PortState, PortInput
#: (state, input) -> next state.  Missing: refused (requests) or ignored (SIP events).
PORT_TABLE: dict[tuple[PortState, PortInput], PortState] = {
    (_S.IDLE, _I.INVITE): _S.OFFERED,
    (_S.IDLE, _I.DIAL): _S.DIALLING,
    (_S.IDLE, _I.RING): _S.DIALLING,  # a station: our INVITE rings the phone
    (_S.OFFERED, _I.ANSWER): _S.TALKING,
    (_S.OFFERED, _I.RELEASE): _S.IDLE,
    (_S.OFFERED, _I.CANCELLED): _S.IDLE,
    (_S.OFFERED, _I.ENDED): _S.IDLE,
    (_S.DIALLING, _I.RINGING): _S.DIALLING,
    (_S.DIALLING, _I.ANSWERED): _S.TALKING,
    (_S.DIALLING, _I.FAILED): _S.IDLE,
    (_S.DIALLING, _I.ENDED): _S.IDLE,
    (_S.DIALLING, _I.RELEASE): _S.IDLE,
    (_S.TALKING, _I.RELEASE): _S.IDLE,
    (_S.TALKING, _I.ENDED): _S.IDLE,
    (_S.TALKING, _I.HOLD): _S.TALKING,
    (_S.TALKING, _I.REINVITE): _S.TALKING,
}


def next_state(state: PortState, what: PortInput) -> PortState | None:
    """The state after ``what`` in ``state``, or None when the table has no such step."""
    return PORT_TABLE.get((state, what))


@dataclass(slots=True)
class PortCall:
    """The SIP session on a port and its state (the media lives in ``PortMedia``)."""

    session_id: int
    state: PortState


def _number_of(uri: object) -> str | None:
    if isinstance(uri, SipUri) and uri.user:
        return (uri.user_unescaped or uri.user).split(";")[0] or None
    return None


def caller_of(request: SipRequest) -> CallerIdentity:
    """Who calls: P-Asserted-Identity (RFC 3325) over From, withheld with ``Privacy: id``
    or an ``anonymous`` From (RFC 3323)."""
    privacy = {p.strip().lower() for p in (request.headers.get("Privacy") or "").replace(",", ";").split(";")}
    text = request.headers.get("P-Asserted-Identity")
    addr = None
    if text is not None:
        try:
            addr = parse_name_addr(text.split(",")[0].strip())
        except SipParseError:
            addr = None
    if addr is None:
        addr = request.from_()
    number = _number_of(addr.uri) if addr is not None else None
    name = addr.display_name if addr is not None and addr.display_name else None
    anonymous = number is not None and number.lower() == "anonymous"
    if "id" in privacy or "user" in privacy or anonymous:
        return CallerIdentity(number=None, name=None, presentation=Presentation.WITHHELD)
    return CallerIdentity(number=number, name=name)


def called_of(request: SipRequest) -> str | None:
    """The dialled number: the Request-URI's user part (RFC 3261 §8.2.2.1)."""
    return _number_of(request.uri)


#: RFC 3261 §21 finals as release causes (after RFC 3398 §8.2.6.1's ISUP mapping).
_CAUSE_OF_STATUS: dict[int, ReleaseCause] = {
    486: ReleaseCause.BUSY, 600: ReleaseCause.BUSY,
    408: ReleaseCause.NO_ANSWER, 480: ReleaseCause.NO_ANSWER, 487: ReleaseCause.NO_ANSWER,
    403: ReleaseCause.REJECTED, 603: ReleaseCause.REJECTED, 488: ReleaseCause.REJECTED,
    404: ReleaseCause.UNREACHABLE, 410: ReleaseCause.UNREACHABLE, 484: ReleaseCause.UNREACHABLE,
    604: ReleaseCause.UNREACHABLE, 502: ReleaseCause.UNREACHABLE, 503: ReleaseCause.UNREACHABLE,
    500: ReleaseCause.NETWORK_FAILURE, 504: ReleaseCause.NETWORK_FAILURE,
}


def cause_of_status(status: int, *, transport_failed: bool = False) -> ReleaseCause:
    """The release cause of a final failure ``status`` to our INVITE."""
    if transport_failed:
        return ReleaseCause.NETWORK_FAILURE
    cause = _CAUSE_OF_STATUS.get(status)
    if cause is not None:
        return cause
    return ReleaseCause.UNREACHABLE if status >= 500 else ReleaseCause.REJECTED


#: The final response refusing an unanswered INVITE the switch released with this cause.
_STATUS_OF_CAUSE: dict[ReleaseCause, int] = {
    ReleaseCause.NORMAL: 480, ReleaseCause.BUSY: 486, ReleaseCause.NO_ANSWER: 480,
    ReleaseCause.REJECTED: 603, ReleaseCause.UNREACHABLE: 404, ReleaseCause.NETWORK_FAILURE: 500,
}


def status_of_cause(cause: ReleaseCause) -> int:
    """The status for refusing an incoming INVITE the switch released for ``cause``."""
    return _STATUS_OF_CAUSE[cause]
