"""The steps of the call and re-INVITE machines (:data:`pycti.sip.session.CALL_TABLE`,
:data:`pycti.sip.session.REINVITE_TABLE`) and the timers a session runs.

* 2xx retransmission by the UAS core (RFC 3261 §13.3.1.4): at T1, doubling up to T2, until
  the ACK; no ACK within 64*T1 ends the session with BYE.  Over reliable transports only the
  64*T1 deadline runs.
* ACK for 2xx by the UAC core (§13.2.2.4): built in the dialog with the INVITE's CSeq and a
  new branch, sent outside any transaction, sent again for every retransmitted 2xx; a 2xx
  from a second fork is ACKed and that dialog ended with BYE.
* Reliable provisionals (RFC 3262 §3), PRACK (§4) and the 2xx held back until the PRACK of
  a provisional that carried SDP.
* Session timers (RFC 4028 §10): refresh at half the interval by UPDATE when the peer allows
  it, else by re-INVITE with the current SDP; BYE at ``interval - min(32, interval/3)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycti.sip.dialog import Dialog
from pycti.sip.message import SipMessage, SipRequest, SipResponse, make_cancel
from pycti.sip.session import (
    CALL_TABLE, REINVITE_TABLE, CallInput, CallState, CallStep, OfferInput, OfferState, OfferStep,
    Session, glare_backoff_s,
)
from pycti.sip.session_base import AgentBase, Purpose
from pycti.sip.session_events import (
    Answered, Cancelled, Confirmed, Ended, Failed, GlareBackoff, ReinviteAnswered,
    ReinviteFailed, ReinviteReceived, Ringing, SessionExpired, SessionProgress,
    SessionRefreshed,
)
from pycti.sip.session_prack import ReliableSender, rseq_of
from pycti.sip.session_timer import (
    SessionTimer, expiry_delay_s, option_tags, refresh_delay_s, response_fields, uac_result,
)
from pycti.sip.timers import Destination
from pycti.sip.transaction_table import TxKey

__all__ = ["CallSteps", "Ctx", "is_hold"]

SDP = "application/sdp"
#: each table step -> the name of the method that runs it (``_c_<step>``, ``_o_<step>``)
_CALL_STEPS = {step: "_c_" + step.name.lower() for step in CallStep}
_OFFER_STEPS = {step: "_o_" + step.name.lower() for step in OfferStep}


@dataclass(frozen=True, slots=True)
class Ctx:
    """What a machine input carries to its steps."""

    message: SipMessage | None = None
    key: TxKey | None = None
    status: int = 0
    sdp: bytes | None = None
    dialog: Dialog | None = None
    auto: bool = False
    method: str = "INVITE"  # of the request a failure without response belongs to


def is_hold(sdp: bytes) -> bool:
    """True for an offer that puts us on hold (RFC 3264 §8.4: sendonly/inactive, or the
    RFC 2543 ``c=... 0.0.0.0``)."""
    text = sdp.replace(b"\r\n", b"\n")
    return (b"\na=sendonly" in text or b"\na=inactive" in text
            or b" 0.0.0.0\n" in text + b"\n")


class CallSteps(AgentBase):
    """Runs the two session tables and their timers."""

    # -- table engines ----------------------------------------------------------------

    def run_call(self, s: Session, inp: CallInput, now_s: float, ctx: Ctx = Ctx()) -> None:
        """Feed ``inp`` to the call machine of ``s``."""
        row = CALL_TABLE.get((s.state, inp))
        if row is None:
            return
        s.state, steps = row
        for step in steps:
            getattr(self, _CALL_STEPS[step])(s, now_s, ctx)
        if s.state is CallState.ENDED:
            self._cleanup(s)

    def run_offer(self, s: Session, inp: OfferInput, now_s: float, ctx: Ctx = Ctx()) -> bool:
        """Feed ``inp`` to the re-INVITE machine; False when the table has no row."""
        row = REINVITE_TABLE.get((s.offer, inp))
        if row is None:
            return False
        s.offer, steps = row
        for step in steps:
            getattr(self, _OFFER_STEPS[step])(s, now_s, ctx)
        return True

    def _cleanup(self, s: Session) -> None:
        for name in ("2xx", "rel1xx", "backoff", "refresh", "expire", "cancel"):
            self.disarm(s.session_id, name)
        for key in (s.invite_key, s.reinvite_key):
            if key is not None and not key.server:
                self._pending.pop(key, None)

    # -- call steps: outgoing ---------------------------------------------------------

    def _c_provisional_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        resp = ctx.message
        assert isinstance(resp, SipResponse)
        if resp.status == 100:
            return
        reliable = rseq_of(resp) is not None
        if resp.body:
            s.remote_sdp = resp.body
        cls = Ringing if resp.status in (180, 181, 182) else SessionProgress
        self.emit(cls(session_id=s.session_id, response=resp, sdp=resp.body, reliable=reliable))

    def _c_cancel(self, s: Session, now_s: float, ctx: Ctx) -> None:
        s.end_reason = "cancelled"
        if s.got_provisional:
            self._send_cancel(s, now_s)
        else:
            s.cancel_pending = True  # §9.1: not before a provisional response

    def _c_cancel_if_pending(self, s: Session, now_s: float, ctx: Ctx) -> None:
        if s.cancel_pending and not s.cancel_sent:
            self._send_cancel(s, now_s)

    def _send_cancel(self, s: Session, now_s: float) -> None:
        assert s.invite_dest is not None
        s.cancel_sent = True
        s.cancel_pending = False
        self.send_request_txn(make_cancel(s.invite), s.invite_dest, s.session_id,
                              Purpose.CANCEL, now_s)
        self.arm(s.session_id, "cancel", now_s + self.config.timers.timeout_s)

    def _c_abandon(self, s: Session, now_s: float, ctx: Ctx) -> None:
        if s.invite_key is not None:
            self.layer.abandon(s.invite_key)

    def _c_ack(self, s: Session, now_s: float, ctx: Ctx) -> None:
        resp = ctx.message
        dialog = ctx.dialog or s.dialog
        assert isinstance(resp, SipResponse) and dialog is not None
        self.send_ack(s, dialog, resp)

    def send_ack(self, s: Session, dialog: Dialog, resp: SipResponse) -> None:
        """ACK a 2xx (again, for a retransmission) in ``dialog`` (§13.2.2.4).

        When our INVITE had no body and the 2xx carries the offer, the ACK must carry the
        answer (RFC 3264 §4): it waits for :meth:`send_ack_answer`.
        """
        cseq = resp.cseq()
        assert cseq is not None
        key = (dialog.id.remote_tag, cseq.seq)
        ack = s.acks.get(key)
        if ack is None:
            invite = self._invite_for(s, cseq.seq)
            if invite is not None and not invite.body and resp.body:
                s.ack_waiting[key] = dialog
                return
            ack = dialog.request("ACK", cseq=cseq.seq, via=self.via(), contact=None,
                                 extra=self._credentials_of(invite))
            s.acks[key] = ack
        self.transmit(ack, dialog.destination())

    def send_ack_answer(self, s: Session, sdp: bytes) -> bool:
        """Send the ACK carrying ``sdp`` for a 2xx that brought the offer; False if none
        waits."""
        if not s.ack_waiting:
            return False
        for (tag, seq), dialog in list(s.ack_waiting.items()):
            ack = dialog.request("ACK", cseq=seq, via=self.via(), contact=None,
                                 extra=self._credentials_of(self._invite_for(s, seq)),
                                 body=sdp, content_type=SDP)
            s.acks[(tag, seq)] = ack
            self.transmit(ack, dialog.destination())
        s.ack_waiting.clear()
        s.local_sdp = sdp
        return True

    def _invite_for(self, s: Session, seq: int) -> SipRequest | None:
        """Our INVITE (initial or re-INVITE) with CSeq number ``seq``, while we know it."""
        candidates = [s.invite]
        txn = None if s.reinvite_key is None else self.layer.get(s.reinvite_key)
        if txn is not None:
            candidates.append(txn.request)
        for req in candidates:
            cseq = req.cseq()
            if cseq is not None and cseq.seq == seq:
                return req
        return None

    @staticmethod
    def _credentials_of(invite: SipRequest | None) -> tuple[tuple[str, str], ...]:
        """The Authorization fields of ``invite``: its ACK carries the same credentials
        (§13.2.2.4, §22.1)."""
        if invite is None:
            return ()
        return tuple((n, v) for n, v in invite.headers.fields
                     if n in ("Authorization", "Proxy-Authorization"))

    def _c_answered_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        resp = ctx.message
        assert isinstance(resp, SipResponse)
        s.remote_sdp = resp.body or s.remote_sdp
        self.emit(Answered(session_id=s.session_id, response=resp, sdp=resp.body,
                           needs_answer=bool(s.ack_waiting)))
        timer = uac_result(resp)
        if timer is not None:
            self.start_session_timer(s, timer, now_s)

    def _c_bye(self, s: Session, now_s: float, ctx: Ctx) -> None:
        self.disarm(s.session_id, "2xx")
        self.disarm(s.session_id, "refresh")
        self.disarm(s.session_id, "expire")
        s.final_2xx = None
        if s.dialog is None:
            self.run_call(s, CallInput.BYE_DONE, now_s)
            return
        if not s.end_reason:
            s.end_reason = "bye"
        self.send_in_dialog(s.session_id, s.dialog, "BYE", Purpose.BYE, now_s)

    def _c_failed_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        resp = ctx.message if isinstance(ctx.message, SipResponse) else None
        status = resp.status if resp is not None else (ctx.status or 408)
        reason = resp.reason if resp is not None else ("Request Timeout" if status == 408
                                                       else "Service Unavailable")
        self.emit(Failed(session_id=s.session_id, status=status, reason=reason, response=resp))

    # -- call steps: incoming ---------------------------------------------------------

    def _uas_dialog(self, s: Session, confirmed: bool) -> Dialog:
        if s.dialog is None:
            dialog, s.uas_dialog = s.uas_dialog, None
            if dialog is None:
                dialog = Dialog.from_uas(s.invite, s.local_tag, confirmed=confirmed,
                                         transport=self.config.transport)
            elif confirmed:
                dialog.confirm()
            s.dialog = dialog
            self.register_dialog(s, dialog)
        elif confirmed:
            s.dialog.confirm()
        return s.dialog

    def _wants_100rel(self, s: Session) -> bool:
        if not self.config.support_100rel:
            return False
        if "100rel" in option_tags(s.invite, "Require"):
            return True
        return self.config.provisional_100rel and "100rel" in option_tags(s.invite, "Supported")

    def _c_send_provisional(self, s: Session, now_s: float, ctx: Ctx) -> None:
        status = ctx.status
        sdp = ctx.sdp or b""
        self._uas_dialog(s, confirmed=False)
        resp = self.response(s.invite, status, to_tag=s.local_tag, contact=True,
                             extra=self.capability_fields(), body=sdp, content_type=SDP)
        if sdp:
            s.local_sdp = sdp
        if status > 100 and self._wants_100rel(s):
            if s.prack_out is None:
                s.prack_out = ReliableSender(self.rng, self.config.timers.t1_s)
            stamped = s.prack_out.offer(resp, now_s)
            if stamped is None:
                return
            resp = stamped
            self.arm(s.session_id, "rel1xx", now_s + s.prack_out.interval_s)
        assert s.invite_key is not None
        self.layer.send_response(s.invite_key, resp, now_s)

    def _c_send_2xx(self, s: Session, now_s: float, ctx: Ctx) -> None:
        sdp = ctx.sdp or b""
        if sdp:
            s.local_sdp = sdp
        extra = self.capability_fields()
        if s.timer_offer is not None:
            extra += response_fields(s.timer_offer, s.invite)
        resp = self.response(s.invite, ctx.status or 200, to_tag=s.local_tag, contact=True,
                             extra=extra, body=s.local_sdp, content_type=SDP)
        if s.prack_out is not None and s.prack_out.outstanding_has_sdp:
            s.deferred_2xx = resp  # RFC 3262 §3: wait for the PRACK
            return
        self.send_2xx_now(s, resp, now_s)
        if s.replaces is not None:
            old = self.sessions.get(s.replaces)
            if old is not None:
                old.end_reason = "replaced"
                self.run_call(old, CallInput.HANGUP, now_s)

    def send_2xx_now(self, s: Session, resp: SipResponse, now_s: float) -> None:
        """Send our 2xx to the initial INVITE and start its retransmission."""
        self._uas_dialog(s, confirmed=True)
        assert s.invite_key is not None
        self.layer.send_response(s.invite_key, resp, now_s)
        txn = self.layer.get(s.invite_key)
        cseq = s.invite.cseq()
        assert cseq is not None
        self._start_2xx(s, resp, cseq.seq, txn.dest if txn is not None else None, now_s)
        if s.timer_offer is not None:
            self.start_session_timer(s, s.timer_offer, now_s)

    def _start_2xx(self, s: Session, resp: SipResponse, cseq: int, dest: Destination | None,
                   now_s: float) -> None:
        s.final_2xx = resp
        s.final_2xx_cseq = cseq
        s.final_2xx_dest = dest
        s.final_2xx_started_s = now_s
        t = self.config.timers
        reliable = s.final_2xx_dest is None or s.final_2xx_dest.reliable
        s.retransmit_s = t.timeout_s if reliable else t.t1_s
        self.arm(s.session_id, "2xx", now_s + s.retransmit_s)

    def fire_2xx(self, s: Session, now_s: float) -> None:
        """The 2xx retransmission timer of ``s`` fired."""
        t = self.config.timers
        if s.final_2xx is None:
            return
        if now_s - s.final_2xx_started_s >= t.timeout_s - 1e-9:
            s.final_2xx = None
            s.end_reason = "no-ack"
            if s.state in (CallState.ANSWERED, CallState.ANSWERED_HANGUP):
                self.run_call(s, CallInput.NO_ACK, now_s)
            else:
                self.run_offer(s, OfferInput.NO_ACK, now_s)
            return
        if s.final_2xx_dest is not None:
            self.transmit(s.final_2xx, s.final_2xx_dest)
        s.retransmit_s = min(2 * s.retransmit_s, t.t2_s)
        at_s = min(now_s + s.retransmit_s, s.final_2xx_started_s + t.timeout_s)
        self.arm(s.session_id, "2xx", at_s)

    def got_ack(self, s: Session, ack: SipRequest, now_s: float) -> None:
        """An ACK arrived in the dialog of ``s``."""
        cseq = ack.cseq()
        if cseq is None or cseq.seq != s.final_2xx_cseq or s.final_2xx is None:
            return
        s.final_2xx = None
        self.disarm(s.session_id, "2xx")
        ctx = Ctx(message=ack, sdp=ack.body)
        if s.state in (CallState.ANSWERED, CallState.ANSWERED_HANGUP):
            self.run_call(s, CallInput.RECV_ACK, now_s, ctx)
        else:
            self.run_offer(s, OfferInput.RECV_ACK, now_s, ctx)

    def _c_send_final(self, s: Session, now_s: float, ctx: Ctx) -> None:
        status = ctx.status or 603
        assert s.invite_key is not None
        self.respond(s.invite_key, s.invite, status, now_s, to_tag=s.local_tag)
        self.emit(Ended(session_id=s.session_id, by_remote=False, reason=f"rejected {status}"))

    def _c_send_487(self, s: Session, now_s: float, ctx: Ctx) -> None:
        assert s.invite_key is not None
        self.respond(s.invite_key, s.invite, 487, now_s, to_tag=s.local_tag)

    def _c_cancelled_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        self.emit(Cancelled(session_id=s.session_id))

    def _c_confirmed_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        sdp = ctx.sdp or b""
        if sdp:
            s.remote_sdp = sdp
        self.emit(Confirmed(session_id=s.session_id, sdp=sdp))

    def _c_ok_bye(self, s: Session, now_s: float, ctx: Ctx) -> None:
        assert isinstance(ctx.message, SipRequest)
        self.respond(ctx.key, ctx.message, 200, now_s)
        if s.incoming_reinvite is not None and s.offer in (OfferState.IN_PENDING,
                                                           OfferState.IN_UPDATE):
            self.respond(s.incoming_reinvite_key, s.incoming_reinvite, 487, now_s)
            s.incoming_reinvite = None

    def _c_ended_remote(self, s: Session, now_s: float, ctx: Ctx) -> None:
        self.emit(Ended(session_id=s.session_id, by_remote=True, reason="bye"))

    def _c_ended_local(self, s: Session, now_s: float, ctx: Ctx) -> None:
        self.emit(Ended(session_id=s.session_id, by_remote=False, reason=s.end_reason or "bye"))

    def _c_expired_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        self.emit(SessionExpired(session_id=s.session_id))

    def _c_reject_500(self, s: Session, now_s: float, ctx: Ctx) -> None:
        assert s.invite_key is not None
        self.respond(s.invite_key, s.invite, 500, now_s, to_tag=s.local_tag,
                     extra=(("Reason", 'SIP;cause=500;text="no PRACK"'),))
        self.emit(Ended(session_id=s.session_id, by_remote=False, reason="prack-timeout"))

    # -- reliable provisionals (UAS) --------------------------------------------------

    def fire_rel1xx(self, s: Session, now_s: float) -> None:
        """Retransmit the outstanding reliable provisional, or give up after 64*T1."""
        sender = s.prack_out
        if sender is None or s.invite_key is None:
            return
        again = sender.retransmit(now_s, self.config.timers.timeout_s)
        if again is None:
            if sender.outstanding is not None:
                self.run_call(s, CallInput.PRACK_TIMEOUT, now_s)
            return
        self.layer.send_response(s.invite_key, again, now_s)
        self.arm(s.session_id, "rel1xx", min(now_s + sender.interval_s, sender.first_sent_s
                                             + self.config.timers.timeout_s))

    # -- offer steps ------------------------------------------------------------------

    def _o_send_reinvite(self, s: Session, now_s: float, ctx: Ctx) -> None:
        assert s.dialog is not None
        extra = self.capability_fields()
        if s.timer is not None:
            extra += (("Session-Expires", f"{s.timer.interval_s};refresher=uac"),
                      ("Min-SE", str(self.config.min_se_s)))
        s.reinvite_key = self.send_in_dialog(s.session_id, s.dialog, "INVITE",
                                             Purpose.REINVITE, now_s, extra=extra,
                                             body=s.reinvite_sdp, content_type=SDP,
                                             contact=True)

    def _o_send_update(self, s: Session, now_s: float, ctx: Ctx) -> None:
        assert s.dialog is not None
        s.reinvite_key = None
        self.send_in_dialog(s.session_id, s.dialog, "UPDATE", Purpose.OFFER_UPDATE, now_s,
                            extra=self.capability_fields(), body=s.reinvite_sdp,
                            content_type=SDP, contact=True)

    def _o_update_answered_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        resp = ctx.message
        assert isinstance(resp, SipResponse)
        s.local_sdp = s.reinvite_sdp or s.local_sdp
        s.remote_sdp = resp.body or s.remote_sdp
        if s.dialog is not None:
            s.dialog.refresh_target(resp)
        self.emit(ReinviteAnswered(session_id=s.session_id, response=resp, sdp=resp.body,
                                   refresh=False, method="UPDATE"))

    def _o_send_update_2xx(self, s: Session, now_s: float, ctx: Ctx) -> None:
        req = s.incoming_reinvite
        assert req is not None
        if ctx.sdp:
            s.local_sdp = ctx.sdp
        self.respond(s.incoming_reinvite_key, req, 200, now_s, contact=True,
                     extra=self.capability_fields(), body=s.local_sdp, content_type=SDP)
        s.incoming_reinvite = None

    def _o_ack(self, s: Session, now_s: float, ctx: Ctx) -> None:
        assert isinstance(ctx.message, SipResponse) and s.dialog is not None
        self.send_ack(s, s.dialog, ctx.message)

    def _o_answered_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        resp = ctx.message
        assert isinstance(resp, SipResponse)
        s.local_sdp = s.reinvite_sdp or s.local_sdp
        s.remote_sdp = resp.body or s.remote_sdp
        if s.dialog is not None:
            s.dialog.refresh_target(resp)
        self.emit(ReinviteAnswered(session_id=s.session_id, response=resp, sdp=resp.body,
                                   refresh=s.reinvite_refresh,
                                   needs_answer=bool(s.ack_waiting)))
        timer = uac_result(resp)
        if timer is not None:
            self.start_session_timer(s, timer, now_s)
        elif s.timer is not None:
            self.start_session_timer(s, s.timer, now_s)

    def _o_arm_backoff(self, s: Session, now_s: float, ctx: Ctx) -> None:
        delay = glare_backoff_s(self.rng, s.outgoing)
        self.arm(s.session_id, "backoff", now_s + delay)
        self.emit(GlareBackoff(session_id=s.session_id, retry_at_s=now_s + delay))

    def _o_failed_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        msg = ctx.message
        status = msg.status if isinstance(msg, SipResponse) else ctx.status
        cseq = msg.cseq() if isinstance(msg, SipResponse) else None
        method = cseq.method if cseq is not None else ctx.method
        self.emit(ReinviteFailed(session_id=s.session_id, status=status, method=method))
        if status in (408, 481):  # §14.1: the dialog is gone
            s.end_reason = f"reinvite {status}"
            self.run_call(s, CallInput.HANGUP, now_s)

    def _o_received_event(self, s: Session, now_s: float, ctx: Ctx) -> None:
        req = ctx.message
        assert isinstance(req, SipRequest)
        s.incoming_reinvite = req
        s.incoming_reinvite_key = ctx.key
        if s.dialog is not None:
            s.dialog.refresh_target(req)
        if req.body:
            s.remote_sdp = req.body
        if not ctx.auto:
            self.emit(ReinviteReceived(session_id=s.session_id, request=req, sdp=req.body,
                                       hold=is_hold(req.body), method=req.method))

    def _o_reply_491(self, s: Session, now_s: float, ctx: Ctx) -> None:
        assert isinstance(ctx.message, SipRequest) and s.dialog is not None
        self.respond(ctx.key, ctx.message, 491, now_s)

    def _o_reply_500(self, s: Session, now_s: float, ctx: Ctx) -> None:
        assert isinstance(ctx.message, SipRequest)
        self.respond(ctx.key, ctx.message, 500, now_s,
                     extra=(("Retry-After", str(self.rng.randint(0, 10))),))

    def _o_send_2xx(self, s: Session, now_s: float, ctx: Ctx) -> None:
        req = s.incoming_reinvite
        assert req is not None
        if ctx.sdp:
            s.local_sdp = ctx.sdp
        extra = self.capability_fields()
        if s.timer is not None:
            extra += response_fields(s.timer, req)
        resp = self.respond(s.incoming_reinvite_key, req, 200, now_s, contact=True,
                            extra=extra, body=s.local_sdp, content_type=SDP)
        txn = None if s.incoming_reinvite_key is None else self.layer.get(s.incoming_reinvite_key)
        cseq = req.cseq()
        assert cseq is not None
        self._start_2xx(s, resp, cseq.seq, txn.dest if txn is not None else None, now_s)
        if s.timer is not None:
            self.start_session_timer(s, s.timer, now_s)
        s.incoming_reinvite = None

    def _o_send_final(self, s: Session, now_s: float, ctx: Ctx) -> None:
        req = s.incoming_reinvite
        assert req is not None
        self.respond(s.incoming_reinvite_key, req, ctx.status or 488, now_s)
        s.remote_sdp = ctx.sdp if ctx.sdp is not None else s.remote_sdp
        s.incoming_reinvite = None

    def _o_confirmed(self, s: Session, now_s: float, ctx: Ctx) -> None:
        if ctx.sdp:  # the answer to the offer our 2xx made
            s.remote_sdp = ctx.sdp
            self.emit(Confirmed(session_id=s.session_id, sdp=ctx.sdp))

    def _o_store_pending(self, s: Session, now_s: float, ctx: Ctx) -> None:
        if ctx.sdp is not None:
            s.pending_sdp = ctx.sdp
        else:  # a re-INVITE arrived during our back-off: ours waits for it
            s.pending_sdp = s.reinvite_sdp
            self.disarm(s.session_id, "backoff")

    def _o_send_pending(self, s: Session, now_s: float, ctx: Ctx) -> None:
        if s.pending_sdp is not None and s.state is CallState.CONFIRMED:
            s.reinvite_sdp, s.pending_sdp = s.pending_sdp, None
            s.reinvite_refresh = False
            self.run_offer(s, OfferInput.SEND, now_s, Ctx(sdp=s.reinvite_sdp))

    def _o_bye(self, s: Session, now_s: float, ctx: Ctx) -> None:
        s.end_reason = "no-ack"
        self.run_call(s, CallInput.HANGUP, now_s)

    # -- session timers ---------------------------------------------------------------

    def start_session_timer(self, s: Session, timer: SessionTimer, now_s: float) -> None:
        """(Re)start the RFC 4028 timer of ``s``."""
        s.timer = timer
        self.disarm(s.session_id, "refresh")
        self.disarm(s.session_id, "expire")
        if timer.we_refresh:
            self.arm(s.session_id, "refresh", now_s + refresh_delay_s(timer.interval_s))
        else:
            self.arm(s.session_id, "expire", now_s + expiry_delay_s(timer.interval_s))
        self.emit(SessionRefreshed(session_id=s.session_id, interval_s=timer.interval_s,
                                   we_refresh=timer.we_refresh))

    def fire_refresh(self, s: Session, now_s: float) -> None:
        """Time to refresh the session (we are the refresher)."""
        if s.state is not CallState.CONFIRMED or s.dialog is None or s.timer is None:
            return
        if "UPDATE" in s.remote_allow:
            self.send_in_dialog(s.session_id, s.dialog, "UPDATE", Purpose.UPDATE, now_s,
                                extra=(("Session-Expires",
                                        f"{s.timer.interval_s};refresher=uac"),
                                       ("Supported", "timer")), contact=True)
        elif s.offer is OfferState.IDLE:
            s.reinvite_sdp = s.local_sdp
            s.reinvite_refresh = True
            self.run_offer(s, OfferInput.SEND, now_s, Ctx(sdp=s.local_sdp))
        else:  # an offer is in progress: its outcome restarts the timer; check again soon
            self.arm(s.session_id, "refresh", now_s + self.config.timers.t2_s)
        # Guard: if the refresh gets no answer the session still ends at expiry.
        self.arm(s.session_id, "expire",
                 now_s + expiry_delay_s(s.timer.interval_s) - refresh_delay_s(s.timer.interval_s))

    def fire_expire(self, s: Session, now_s: float) -> None:
        """No refresh came in time (RFC 4028 §10)."""
        s.end_reason = "session-expired"
        self.run_call(s, CallInput.EXPIRED, now_s)
