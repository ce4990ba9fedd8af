"""What the SIP user agent core does with each request that arrives (the UAS half).

RFC 3261 §8.2 (method, Require checks), §9.2 (CANCEL), §12.2.2 (in-dialog requests: 481 for
an unknown dialog, 500 for a CSeq out of order), §13.3 (INVITE), §14.2 (re-INVITE), §15.1.2
(BYE), §11.2 (OPTIONS); RFC 3262 §3 (PRACK), RFC 3311 (UPDATE in a confirmed dialog: without a body a
target/session refresh, with an offer through the offer machine), RFC 4028 §9 (422, negotiation), RFC 3515 §2.4
(REFER: 202, an implicit subscription, NOTIFY 100 Trying at once; NOTIFYs we receive),
RFC 3891 §3 (Replaces matching).
"""

from __future__ import annotations

from pycti.sip.dialog import Dialog, DialogId, DialogState, new_tag
from pycti.sip.message import STANDARD_METHODS, SipRequest
from pycti.sip.session import CallInput, CallState, OfferInput, OfferState, Session
from pycti.sip.session_base import ALLOW, Purpose
from pycti.sip.session_calls import SDP, CallSteps, Ctx
from pycti.sip.session_events import (
    SUPPORTED_EXTENSIONS, IncomingInvite, ProvisionalAcknowledged, ReferProgress, ReferReceived,
)
from pycti.sip.session_prack import parse_rack
from pycti.sip.session_refer import ReferError, ReplacesValue, embedded_replaces, parse_sipfrag, sipfrag
from pycti.sip.session_timer import option_tags, response_fields, uas_negotiate
from pycti.sip.transaction_table import IncomingRequest, TxKey

__all__ = ["UasDispatch"]

_SERVED = frozenset(m.strip() for m in ALLOW.split(","))


class UasDispatch(CallSteps):
    """Routes received requests to sessions and answers what no session owns."""

    def _on_request(self, item: IncomingRequest, now_s: float) -> None:
        req = item.request
        key = item.key
        if req.method == "CANCEL":
            self._on_cancel(req, key, now_s)
            return
        to = req.to()
        from_ = req.from_()
        if to is None or from_ is None or req.call_id is None:
            return
        if req.method not in _SERVED:
            if req.method != "ACK":
                status = 405 if req.method in STANDARD_METHODS else 501
                self.respond(key, req, status, now_s, to_tag=new_tag(self.rng),
                             extra=(("Allow", ALLOW),))
            return
        unsupported = [t for t in option_tags(req, "Require") if t not in SUPPORTED_EXTENSIONS]
        if unsupported and req.method not in ("ACK",):
            self.respond(key, req, 420, now_s, to_tag=to.tag or new_tag(self.rng),
                         extra=(("Unsupported", ", ".join(sorted(unsupported))),))
            return
        if to.tag is None:
            self._out_of_dialog_request(req, key, now_s)
            return
        sid = self._by_dialog.get(DialogId(req.call_id, to.tag, from_.tag or ""))
        s = None if sid is None else self.sessions.get(sid)
        if s is None or s.dialog is None or s.state is CallState.ENDED:
            if req.method != "ACK":
                self.respond(key, req, 481, now_s)
            return
        dialog = s.dialog
        if dialog.id.remote_tag != (from_.tag or "") or dialog.id.local_tag != to.tag:
            dialog = next((d for d in s.early.values()
                           if d.id == DialogId(req.call_id, to.tag, from_.tag or "")), dialog)
        if req.method == "ACK":
            self.got_ack(s, req, now_s)
            return
        bad = dialog.check_request(req)
        if bad is not None:
            self.respond(key, req, bad, now_s)
            return
        handler = {
            "INVITE": self._on_reinvite, "BYE": self._on_bye, "PRACK": self._on_prack,
            "UPDATE": self._on_update, "REFER": self._on_refer, "NOTIFY": self._on_notify,
            "OPTIONS": self._on_options,
        }[req.method]
        handler(s, req, key, now_s)

    # -- out of dialog ----------------------------------------------------------------

    def _out_of_dialog_request(self, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        if req.method == "OPTIONS":
            self.respond(key, req, 200, now_s, to_tag=new_tag(self.rng), contact=True,
                         extra=self.capability_fields() + (("Accept", SDP),))
        elif req.method == "INVITE":
            self._new_invite(req, key, now_s)
        elif req.method != "ACK":
            self.respond(key, req, 481, now_s, to_tag=new_tag(self.rng))

    def _new_invite(self, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        if key is None:
            return
        tag = new_tag(self.rng)
        dialog = Dialog.from_uas(req, tag, confirmed=False, transport=self.config.transport)
        dialog.destination()  # a Contact we could not send a BYE to: 400 now (§8.2)
        timer = uas_negotiate(req, max_s=self.config.session_expires_s,
                              min_se_s=self.config.min_se_s)
        if isinstance(timer, int):
            self.respond(key, req, 422, now_s, to_tag=tag, extra=(("Min-SE", str(timer)),))
            return
        replaced: int | None = None
        replaces_text = req.headers.get("Replaces")
        if replaces_text is not None:
            status, replaced = self._match_replaces(replaces_text)
            if status is not None:
                self.respond(key, req, status, now_s, to_tag=tag)
                return
        s = Session(session_id=self.new_id(), outgoing=False, invite=req,
                    state=CallState.RECEIVED, local_tag=tag, invite_key=key,
                    remote_sdp=req.body, timer_offer=timer, replaces=replaced, uas_dialog=dialog)
        s.remote_allow = frozenset(m.strip().upper() for m in req.headers.get_list("Allow"))
        self.sessions[s.session_id] = s
        self.link(self._by_server_key, key, s.session_id)
        self.emit(IncomingInvite(session_id=s.session_id, request=req, sdp=req.body,
                                 replaces=replaced))

    def _match_replaces(self, text: str) -> tuple[int | None, int | None]:
        """RFC 3891 §3: (error status, None) or (None, session id replaced)."""
        try:
            value = ReplacesValue.parse(text)
        except ReferError:
            return 400, None
        sid = self._by_dialog.get(DialogId(value.call_id, value.to_tag, value.from_tag))
        s = None if sid is None else self.sessions.get(sid)
        if s is None or s.dialog is None or s.state in (CallState.ENDED, CallState.BYE_SENT):
            return 481, None
        if s.dialog.state is DialogState.CONFIRMED:
            return (486, None) if value.early_only else (None, s.session_id)
        if not s.outgoing:  # an early dialog we did not initiate
            return 481, None
        return None, s.session_id

    def _on_cancel(self, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        invite_key = self.layer.find_invite_for(req)
        if invite_key is None:
            self.respond(key, req, 481, now_s)
            return
        self.respond(key, req, 200, now_s)
        sid = self._by_server_key.get(invite_key)
        s = None if sid is None else self.sessions.get(sid)
        if s is not None and s.invite_key == invite_key:
            self.run_call(s, CallInput.RECV_CANCEL, now_s)
            return
        for s in self.sessions.values():
            if s.incoming_reinvite_key == invite_key and s.offer is OfferState.IN_PENDING:
                self.run_offer(s, OfferInput.REJECT, now_s, Ctx(status=487))

    # -- in dialog --------------------------------------------------------------------

    def _on_reinvite(self, s: Session, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        if s.state is not CallState.CONFIRMED:
            self.respond(key, req, 491 if s.state is CallState.ANSWERED else 481, now_s)
            return
        timer = uas_negotiate(req, max_s=self.config.session_expires_s,
                              min_se_s=self.config.min_se_s)
        if isinstance(timer, int):
            self.respond(key, req, 422, now_s, extra=(("Min-SE", str(timer)),))
            return
        refresh = bool(req.body) and req.body == s.remote_sdp and bool(s.local_sdp) \
            and s.offer is OfferState.IDLE
        if s.offer in (OfferState.IDLE, OfferState.BACKOFF) and timer is not None:
            s.timer = timer
        self.run_offer(s, OfferInput.RECV_INVITE, now_s, Ctx(message=req, key=key, auto=refresh))
        if refresh:
            self.run_offer(s, OfferInput.ANSWER, now_s, Ctx(sdp=s.local_sdp))

    def _on_bye(self, s: Session, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        if s.state in (CallState.ANSWERED, CallState.ANSWERED_HANGUP, CallState.CONFIRMED,
                       CallState.BYE_SENT):
            self.run_call(s, CallInput.RECV_BYE, now_s, Ctx(message=req, key=key))
        else:
            self.respond(key, req, 481, now_s)

    def _on_prack(self, s: Session, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        rack = parse_rack(req.headers.get("RAck"))
        sender = s.prack_out
        cseq = s.invite.cseq()
        if rack is None or sender is None or cseq is None:
            self.respond(key, req, 481, now_s)
            return
        matched, following = sender.acknowledge(rack, cseq.seq, now_s)
        if not matched:
            self.respond(key, req, 481, now_s)
            return
        self.respond(key, req, 200, now_s)
        self.disarm(s.session_id, "rel1xx")
        self.emit(ProvisionalAcknowledged(session_id=s.session_id, rseq=rack.rseq))
        if following is not None and s.invite_key is not None:
            self.layer.send_response(s.invite_key, following, now_s)
            self.arm(s.session_id, "rel1xx", now_s + sender.interval_s)
        if s.deferred_2xx is not None and not sender.outstanding_has_sdp:
            resp, s.deferred_2xx = s.deferred_2xx, None
            self.send_2xx_now(s, resp, now_s)

    def _on_update(self, s: Session, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        if req.body:
            if s.state is not CallState.CONFIRMED:
                self.respond(key, req, 491 if s.state is CallState.ANSWERED else 481, now_s)
                return
            if s.dialog is not None:
                s.dialog.refresh_target(req)
            self.run_offer(s, OfferInput.RECV_UPDATE, now_s, Ctx(message=req, key=key))
            return
        timer = uas_negotiate(req, max_s=self.config.session_expires_s,
                              min_se_s=self.config.min_se_s)
        if isinstance(timer, int):
            self.respond(key, req, 422, now_s, extra=(("Min-SE", str(timer)),))
            return
        if s.dialog is not None:
            s.dialog.refresh_target(req)
        extra = self.capability_fields()
        if timer is not None:
            extra += response_fields(timer, req)
        self.respond(key, req, 200, now_s, contact=True, extra=extra)
        if timer is not None:
            self.start_session_timer(s, timer, now_s)

    def _on_refer(self, s: Session, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        refer_to = req.headers.get("Refer-To")
        if refer_to is None or s.dialog is None:
            self.respond(key, req, 400, now_s)
            return
        try:
            target, replaces = embedded_replaces(refer_to)
        except ReferError:
            self.respond(key, req, 400, now_s)
            return
        cseq = req.cseq()
        assert cseq is not None
        self.respond(key, req, 202, now_s, contact=True)
        s.refer_cseq = cseq.seq
        s.refer_done = False
        self.emit(ReferReceived(session_id=s.session_id, request=req, refer_to=target,
                                replaces=None if replaces is None else str(replaces)))
        self.send_notify(s, 100, now_s)

    def send_notify(self, s: Session, status: int, now_s: float) -> None:
        """NOTIFY the REFER subscription of ``s`` with a sipfrag of ``status``."""
        assert s.dialog is not None
        final = status >= 200
        state = ("terminated;reason=noresource" if final
                 else f"active;expires={self.config.refer_expires_s}")
        s.refer_done = final
        self.send_in_dialog(s.session_id, s.dialog, "NOTIFY", Purpose.NOTIFY, now_s,
                            extra=(("Event", f"refer;id={s.refer_cseq}"),
                                   ("Subscription-State", state)),
                            body=sipfrag(status), content_type="message/sipfrag;version=2.0",
                            contact=True)

    def _on_notify(self, s: Session, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        event = (req.headers.get("Event") or "").split(";")[0].strip().lower()
        if event != "refer":
            self.respond(key, req, 489, now_s)
            return
        try:
            status, line = parse_sipfrag(req.body)
        except ReferError:
            self.respond(key, req, 400, now_s)
            return
        self.respond(key, req, 200, now_s)
        state = (req.headers.get("Subscription-State") or "").split(";")[0].strip().lower()
        self.emit(ReferProgress(session_id=s.session_id, status=status, status_line=line,
                                final=state == "terminated"))

    def _on_options(self, s: Session, req: SipRequest, key: TxKey | None, now_s: float) -> None:
        self.respond(key, req, 200, now_s, contact=True,
                     extra=self.capability_fields() + (("Accept", SDP),))

