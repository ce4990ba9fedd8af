"""The SIP driver's inbound side: datagrams and frames into the user agent, REGISTER and
phones' INVITEs screened, incoming INVITEs admitted to a port or refused.

* A datagram (or a TCP frame) is judged (:func:`~pycti.sip.message_framing.judge_datagram`:
  malformed -> 400, RFC 3261 §18.3) and given to the user agent (§18.2.1).
* With phones: REGISTER is answered by the registrar (§10.3); an INVITE from a non-trunk
  address must carry a phone's digest credentials (§22.2: 401, 403).
* An INVITE from a trunk (its host:port, or an ``ip_auth`` address) -> 180 and
  :class:`~pycti.drivers.base.IncomingCall` (caller from P-Asserted-Identity or From,
  RFC 3325; called = the Request-URI user) on the trunk channel freed longest ago; from an
  untrusted address 403 (§21.4.4); a DNIS the trunk may not deliver 404 (§21.4.5); no free
  channel or no RTP socket 503 (§21.5.4); an SDP offer without PCMU/PCMA 488 (RFC 3264 §6).
* An authenticated phone's INVITE is answered at once (the phone is off hook) and reported
  as :class:`~pycti.drivers.base.Seized` + :class:`~pycti.drivers.base.DigitsReceived`;
  a second call from a phone with one already 486 (§21.4.24).
"""

from __future__ import annotations

from ...sip.dialog import new_tag
from ...sip.message import SipRequest
from ...sip.message_errors import SipParseError
from ...sip.message_framing import judge_datagram
from ...sip.sdp import OfferAnswerStateError, SdpError
from ...sip.session_events import IncomingInvite
from ...sip.timers import Destination
from ...sip.transaction_table import Transmit
from ..base import DigitsReceived, IncomingCall, Seized
from ..rtppump import RtpPumpError
from .calls import PortState, called_of, caller_of
from .core import EVENTS_MAX, DriverCore

__all__ = ["InboundCalls"]


class InboundCalls(DriverCore):
    """Datagrams in; incoming INVITEs admitted to ports (see the module docstring)."""

    def _on_datagram(self, data: bytes, source: Destination) -> None:
        if self._ua is None or self._closed:
            return
        verdict = judge_datagram(data, to_tag=lambda: new_tag(self._rng))
        if verdict.reply is not None:  # malformed: 400 (§18.3)
            self._send(Transmit(verdict.reply, source))
        message = verdict.message
        if message is None:
            return
        try:
            if isinstance(message, SipRequest) and self._screen(message, source):
                return
        except SipParseError:
            pass  # a header the screen needed is bad: the user agent answers 400 (§8.2)
        self._ua.receive_message(message, source, self._now())
        self._flush(source)

    def _screen(self, req: SipRequest, source: Destination) -> bool:
        """REGISTER and phones' INVITEs: answered here (True) or passed on (False)."""
        reg = self.registrar
        if reg is None:
            return False
        if req.method == "REGISTER":
            self._send(Transmit(reg.register(req, self._now()), source))
            return True
        to = req.to()
        if req.method != "INVITE" or to is None or to.tag is not None or req.call_id is None:
            return False
        if req.call_id in self._authenticated or any(
                t.accepts(source.host, source.port) for t in self.config.trunks):
            return False
        outcome = reg.authenticate(req, self._now(), identity="From")
        if outcome.refusal is not None or outcome.extension is None:
            assert outcome.refusal is not None
            self._send(Transmit(outcome.refusal, source))
            return True
        if len(self._authenticated) >= EVENTS_MAX:
            self._authenticated.pop(next(iter(self._authenticated)))
        self._authenticated[req.call_id] = outcome.extension
        return False

    def _refuse(self, sid: int, status: int) -> None:
        assert self._ua is not None
        self.rejected[status] = self.rejected.get(status, 0) + 1
        self._ua.reject(sid, self._now(), status=status)

    def _incoming(self, ev: IncomingInvite, source: Destination | None) -> None:
        ext = self._authenticated.get(ev.request.call_id or "")
        if ext is not None:
            self._phone_call(ev, ext)
            return
        trunks = [k for k, t in enumerate(self.config.trunks)
                  if source is not None and t.accepts(source.host, source.port)]
        if not trunks:
            self._refuse(ev.session_id, 403)  # RFC 3261 §21.4.4: not from a trusted address
            return
        called = called_of(ev.request)
        trunks = [k for k in trunks if not self.config.trunks[k].numbers or called in self.config.trunks[k].numbers]
        if not trunks:
            self._refuse(ev.session_id, 404)  # §21.4.5: a number this trunk does not deliver
            return
        port = self._table.free_channel(trunks)  # freed longest ago
        if port is None:
            self._refuse(ev.session_id, 503)  # §21.5.4: every channel is busy
            return
        try:
            media = self._new_media(port)
        except RtpPumpError:
            self._refuse(ev.session_id, 503)  # no RTP socket: §21.5.4
            return
        if ev.sdp:
            try:
                media.pending_answer = media.answer_offer(ev.sdp)
            except (SdpError, OfferAnswerStateError):
                media.close()
                self._refuse(ev.session_id, 488)  # RFC 3264 §6: nothing acceptable offered
                return
        self._attach(port, ev.session_id, PortState.OFFERED, media)
        assert self._ua is not None
        self._ua.ring(ev.session_id, self._now())
        self._emit(IncomingCall(port=port, sample=self._samples, caller=caller_of(ev.request), called=called))

    def _phone_call(self, ev: IncomingInvite, ext: str) -> None:
        """An authenticated phone calls: answered at once (it is off hook), then Seized and
        the number it called as DigitsReceived, for the switch's dial plan."""
        assert self._ua is not None
        port = self._table.station_of[ext]
        if port in self._table.calls:
            self._refuse(ev.session_id, 486)  # §21.4.24: the station has a call already
            return
        try:
            media = self._new_media(port)
        except RtpPumpError:
            self._refuse(ev.session_id, 503)
            return
        try:
            sdp = media.answer_offer(ev.sdp) if ev.sdp else media.make_offer()
        except (SdpError, OfferAnswerStateError):
            media.close()
            self._refuse(ev.session_id, 488)
            return
        self._attach(port, ev.session_id, PortState.TALKING, media)
        self._ua.answer(ev.session_id, self._now(), sdp=sdp)
        self._emit(Seized(port=port, sample=self._samples))
        called = called_of(ev.request)
        if called:
            self._emit(DigitsReceived(port=port, sample=self._samples, digits=called))
