"""How the SIP user agent's events become driver events and port state changes.

One dispatch table, :data:`_SESSION_HANDLERS`, maps each session event of
:mod:`pycti.sip.session_events` to its handler; the port state each may move to is
:data:`.calls.PORT_TABLE` (an event the table has no step for is ignored: a late response to a
call the switch already released).

* 180 to our INVITE on a trunk -> :class:`~pycti.drivers.base.Alerting`;
* 2xx -> :class:`~pycti.drivers.base.Answered` once the SDP answer is usable (else BYE and
  :class:`~pycti.drivers.base.Released` REJECTED, RFC 3264 §5);
* a final failure -> :class:`~pycti.drivers.base.Released` with
  :func:`.calls.cause_of_status` (a phone that declines just stops ringing);
* CANCEL, BYE -> :class:`~pycti.drivers.base.Released` (NORMAL);
* an ACK with an SDP answer (to our offer in a 2xx) is applied; a re-INVITE's offer is
  answered (200) or refused (488, RFC 3264 §6), the answer to our re-INVITE applied
  (RFC 3264 §8.4), and a refused re-offer keeps the media as it was;
* REGISTER transactions go to the trunk registrations, OPTIONS keep-alives to trunk health.
"""

from __future__ import annotations

from collections.abc import Callable

from ...sip.sdp import OfferAnswerState, OfferAnswerStateError, SdpError
from ...sip.session_events import (
    Answered as SipAnswered, Cancelled, Confirmed, Ended, Failed, IncomingInvite, KeepAliveFailed,
    KeepAliveRestored, ReferFailed, ReferProgress, ReinviteAnswered, ReinviteFailed, ReinviteReceived,
    RequestCompleted, RequestFailed, Ringing, SessionProgress, UaEvent,
)
from ...sip.session_events import UaError
from ...sip.timers import Destination
from ..base import Alerting, Answered, Released, ReleaseCause, TransferFailed
from .calls import PortCall, PortInput, PortState, cause_of_status, next_state
from .inbound import InboundCalls
from .media import PortMedia

__all__ = ["UaEvents"]


class UaEvents(InboundCalls):
    """The user agent's events on ports (see the module docstring)."""

    def _on_ua(self, ev: UaEvent, source: Destination | None) -> None:
        if isinstance(ev, IncomingInvite):
            self._incoming(ev, source)
            return
        if isinstance(ev, (RequestCompleted, RequestFailed)):
            for reg in self._registrations.values():
                if reg.on_event(ev, self._now()):
                    break
            return
        if isinstance(ev, (KeepAliveFailed, KeepAliveRestored)):
            if self._health is not None:
                self._health.on_event(ev)
            return
        handler = _SESSION_HANDLERS.get(type(ev))
        sid = getattr(ev, "session_id", None)
        port = self._table.port_of_session.get(sid) if isinstance(sid, int) else None
        if handler is None or port is None:
            return
        handler(self, port, self._table.calls[port], self._table.media[port], ev)

    # -- handlers (one per session event) -----------------------------------------------------
    def _on_ringing(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        assert isinstance(ev, (Ringing, SessionProgress))
        if ev.response.status == 180 and next_state(call.state, PortInput.RINGING) is not None \
                and self._table.trunk_of[port] is not None:
            self._emit(Alerting(port=port, sample=self._samples))

    def _on_answered(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        assert isinstance(ev, SipAnswered)
        if next_state(call.state, PortInput.ANSWERED) is None:
            return
        if not self._take_answer(port, media, ev.sdp):
            # RFC 3264 §5: an answer we cannot use: end the session (BYE), the call failed
            self._detach(port, hangup=True)
            self._emit(Released(port=port, sample=self._samples, cause=ReleaseCause.REJECTED))
            return
        self._table.set_state(port, PortState.TALKING)
        self._emit(Answered(port=port, sample=self._samples))

    def _on_failed(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        assert isinstance(ev, Failed)
        if next_state(call.state, PortInput.FAILED) is not None:
            self._detach(port, hangup=False)
            if self._table.trunk_of[port] is not None:  # a phone that declines just stops ringing
                cause = cause_of_status(ev.status, transport_failed=ev.response is None)
                self._emit(Released(port=port, sample=self._samples, cause=cause))

    def _on_ended(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        what = PortInput.CANCELLED if isinstance(ev, Cancelled) else PortInput.ENDED
        if next_state(call.state, what) is not None:
            self._detach(port, hangup=False)
            self._emit(Released(port=port, sample=self._samples, cause=ReleaseCause.NORMAL))

    def _on_confirmed(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        assert isinstance(ev, Confirmed)
        if ev.sdp and media.sdp.state is OfferAnswerState.OFFER_SENT:
            self._take_answer(port, media, ev.sdp)
        if port in self._referring:  # a transfer asked before the ACK came
            self._send_refer(port)

    def _send_refer(self, port: int, *, report: bool = True) -> bool:
        """REFER the far end of ``port`` to the number in :attr:`_referring` (at the port's
        trunk).  Returns whether it went; one that cannot be sent is forgotten, and with
        ``report`` gives TransferFailed."""
        trunk, call = self._table.trunk_of[port], self._table.calls.get(port)
        number = self._referring[port]
        assert trunk is not None and call is not None and self._ua is not None
        try:
            self._ua.refer(call.session_id, trunk.uri(number), self._now())
        except UaError as exc:
            if report:
                self._refer_failed(port, f"REFER not sent: {exc}")
            else:
                del self._referring[port]
            return False
        self._flush(None)
        return True

    def _on_reinvite(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        assert isinstance(ev, ReinviteReceived) and self._ua is not None
        try:
            answer = media.answer_offer(ev.sdp)
        except (SdpError, OfferAnswerStateError):
            self._ua.reject_reinvite(call.session_id, self._now(), status=488)
            return
        self._table.refresh(port)
        self._ua.answer_reinvite(call.session_id, self._now(), sdp=answer)

    def _on_reinvite_answered(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        assert isinstance(ev, ReinviteAnswered)
        if ev.sdp and not ev.refresh:
            self._take_answer(port, media, ev.sdp)

    def _on_reinvite_failed(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        if media.sdp.state is OfferAnswerState.OFFER_SENT:
            media.cancel_offer()

    def _on_refer_progress(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        """A NOTIFY of our REFER (RFC 3515 §2.4.4): a 2xx sipfrag means the far end reached
        the new party, so our part ends (BYE, RFC 5589 §6: at the next poll, once our 200 to
        the NOTIFY has gone out) and the port is released;
        a final failure leaves the call with us (TransferFailed).  Provisional ones wait."""
        assert isinstance(ev, ReferProgress)
        if port not in self._referring or (ev.status < 200 and not ev.final):
            return
        if 200 <= ev.status < 300:
            self._transferred.append(port)  # BYE at the next poll, after our 200 to this NOTIFY
        else:
            self._refer_failed(port, f"NOTIFY {ev.status_line or ev.status}")

    def _on_refer_failed(self, port: int, call: PortCall, media: PortMedia, ev: UaEvent) -> None:
        assert isinstance(ev, ReferFailed)
        if port in self._referring:
            self._refer_failed(port, f"REFER answered {ev.status}")

    def _refer_failed(self, port: int, reason: str) -> None:
        number = self._referring.pop(port)
        self._emit(TransferFailed(port=port, sample=self._samples, reason=f"transfer to {number}: {reason}"))

    def _take_answer(self, port: int, media: PortMedia, sdp: bytes) -> bool:
        try:
            media.take_answer(sdp)
        except (SdpError, OfferAnswerStateError):
            return False
        self._table.refresh(port)
        return True


_Handler = Callable[[UaEvents, int, PortCall, PortMedia, UaEvent], None]
#: session event type -> its handler (events of other types on a port are ignored)
_SESSION_HANDLERS: dict[type, _Handler] = {
    Ringing: UaEvents._on_ringing,
    SessionProgress: UaEvents._on_ringing,
    SipAnswered: UaEvents._on_answered,
    Failed: UaEvents._on_failed,
    Cancelled: UaEvents._on_ended,
    Ended: UaEvents._on_ended,
    Confirmed: UaEvents._on_confirmed,
    ReinviteReceived: UaEvents._on_reinvite,
    ReinviteAnswered: UaEvents._on_reinvite_answered,
    ReinviteFailed: UaEvents._on_reinvite_failed,
    ReferProgress: UaEvents._on_refer_progress,
    ReferFailed: UaEvents._on_refer_failed,
}
