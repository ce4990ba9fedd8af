"""The SIP user agent core: INVITE sessions, in-dialog requests, REFER, keep-alives, sans-I/O.

Feed what arrives with :meth:`UserAgent.receive` (a UDP datagram) or
:meth:`UserAgent.receive_message` (a message a stream framer cut), call
:meth:`UserAgent.on_timer` at :meth:`UserAgent.next_deadline_s`, and read back with
:meth:`UserAgent.drain` the :class:`~pycti.sip.transaction_table.Transmit` actions (message and
destination) and the events of :mod:`pycti.sip.session_events`.  Nothing here reads a clock
or touches a socket; randomness (tags, branches, Call-IDs, CSeq starts, RSeq starts, glare
back-off) comes from the ``random.Random`` given.

UAC side: :meth:`UserAgent.invite` (an SDP offer, or none for an offer in the 2xx answered in
the ACK), provisional responses as :class:`~pycti.sip.session_events.Ringing` /
:class:`~pycti.sip.session_events.SessionProgress` (reliable ones PRACKed, RFC 3262 §4), the
2xx ACKed and reported as :class:`~pycti.sip.session_events.Answered`, failures as
:class:`~pycti.sip.session_events.Failed`; 401/407 retried through the digest client (§22.2)
and 422 retried with the peer's Min-SE (RFC 4028 §7.4); hang-up as CANCEL (§9.1) or BYE.
In dialog: re-INVITE (:meth:`UserAgent.reinvite`), REFER (:meth:`UserAgent.refer`), NOTIFY of a
REFER we received (:meth:`UserAgent.notify_refer`), OPTIONS keep-alives
(:meth:`UserAgent.start_keepalive`); out of dialog: :meth:`UserAgent.send_request` (REGISTER,
MESSAGE ...).  A datagram goes to :meth:`UserAgent.receive`; a stream transport frames with
:class:`~pycti.sip.message_framing.StreamFramer` and hands messages to
:meth:`UserAgent.receive_message`.

UAS behaviour on what arrives (RFC 3261 §8.2, §12.2.2, §13.3, §15.1.2, §9.2): unknown methods
501, known ones we do not serve 405 with Allow, ``Require`` of an extension we lack 420 with
Unsupported, requests in an unknown dialog 481, a CSeq below the dialog's 500, CANCEL of an
unanswered INVITE 200 + 487 (481 when nothing matches), OPTIONS 200 with our capabilities,
an INVITE whose Session-Expires is under our Min-SE 422 (RFC 4028 §9), an INVITE with a
Replaces naming no usable dialog 481 (RFC 3891 §3; a confirmed one with ``early-only`` 486).
re-INVITEs that repeat the peer's last SDP byte for byte (a session refresh, RFC 3264 §8) are
answered with our current SDP without asking the application.
"""

from __future__ import annotations

from pycti.sip.dialog import Dialog, DialogError, DialogState, destination_for, new_call_id, new_tag
from pycti.sip.header_values import NameAddr, parse_via
from pycti.sip.message import SipMessage, SipRequest, SipResponse, make_request
from pycti.sip.message_errors import SipParseError
from pycti.sip.message_framing import judge_datagram
from pycti.sip.session import CallInput, CallState, OfferInput, OfferState, Session
from pycti.sip.session_base import GenericRequest, KeepAlive, Pending, Purpose
from pycti.sip.session_calls import SDP, Ctx
from pycti.sip.session_events import (
    KeepAliveFailed, KeepAliveRestored, ReferAccepted, ReferFailed, RequestCompleted,
    RequestFailed, UaError,
)
from pycti.sip.session_prack import RAck, ReliableReceiver, rseq_of
from pycti.sip.session_refer import ReferError, ReplacesValue, refer_to_value
from pycti.sip.session_timer import min_se_of_422, uac_fields, uac_result
from pycti.sip.session_uas import UasDispatch
from pycti.sip.timers import Destination
from pycti.sip.transaction_table import (
    IncomingRequest, IncomingResponse, StrayResponse, TransactionFailed, Transmit, TxKey,
    client_key, replace_top_via,
)
from pycti.sip.uri import parse_uri

__all__ = ["UserAgent"]


class UserAgent(UasDispatch):
    """One SIP user agent (UAC and UAS) with its transactions, dialogs and sessions."""

    # -- driving ----------------------------------------------------------------------

    def receive(self, data: bytes, source: Destination, now_s: float) -> None:
        """A datagram arrived from ``source`` (malformed requests get 400, §18.3 RFC 4475)."""
        verdict = judge_datagram(data, to_tag=lambda: new_tag(self.rng))
        if verdict.message is not None:
            self.receive_message(verdict.message, source, now_s)
        elif verdict.reply is not None:
            self.transmit(verdict.reply, source)

    def receive_message(self, message: SipMessage, source: Destination, now_s: float) -> None:
        """A parsed message arrived from ``source``."""
        self._now_s = now_s
        self.layer.receive(message, source, now_s)
        self._pump(now_s)

    def on_timer(self, now_s: float) -> None:
        """Run every timer due at ``now_s``."""
        self._now_s = now_s
        self.layer.on_timer(now_s)
        self._pump(now_s)
        for due in self.timers.pop_due(now_s):
            assert isinstance(due, tuple)
            owner, name = due
            self._fire(owner, name, now_s)
            self._pump(now_s)

    def transport_error(self, key: TxKey, now_s: float) -> None:
        """The transport could not deliver a message of transaction ``key``."""
        self.layer.transport_error(key, now_s)
        self._pump(now_s)

    def send_failed(self, message: SipMessage, now_s: float) -> None:
        """The transport could not send ``message`` (a :class:`Transmit` the driver got):
        its transaction ends and the owner hears of it (§17.1.4, §17.2.4; 503 for INVITE)."""
        if isinstance(message, SipRequest):
            key = client_key(message)
        else:
            via, cseq = message.top_via(), message.cseq()
            key = None if via is None or via.branch is None or cseq is None else TxKey(
                via.branch, cseq.method, via.sent_by.lower(), True)
        if key is not None:
            self.transport_error(key, now_s)

    def _pump(self, now_s: float) -> None:
        for _ in range(10_000):
            outputs = self.layer.drain()
            if not outputs:
                return
            for item in outputs:
                if isinstance(item, Transmit):
                    self._out.append(item)
                elif isinstance(item, IncomingRequest):
                    try:
                        self._on_request(item, now_s)
                    except (SipParseError, DialogError, ReferError) as exc:
                        self._bad_request(item, exc, now_s)
                elif isinstance(item, IncomingResponse):
                    try:
                        self._on_response(item, now_s)
                    except (SipParseError, DialogError, ReferError):
                        pass  # §18.1.2: a response we cannot use is dropped
                elif isinstance(item, TransactionFailed):
                    self._on_failed(item, now_s)
                elif isinstance(item, StrayResponse):
                    self._on_stray(item.response)

    def _bad_request(self, item: IncomingRequest, exc: Exception, now_s: float) -> None:
        """A header field the core needed did not parse: 400 naming it (§8.2, §21.4.1)."""
        req = item.request
        if req.method == "ACK" or item.key is None:
            return
        txn = self.layer.get(item.key)
        if txn is None or txn.last_response is not None and txn.last_response.status >= 200:
            return
        phrase = " ".join(f"Bad Request ({exc})".split())[:120]
        headers = self.response(req, 400, to_tag=new_tag(self.rng)).headers
        self.layer.send_response(item.key, SipResponse(400, phrase, headers), now_s)

    def _fire(self, owner: int, name: str, now_s: float) -> None:
        if name == "keepalive":
            self._keepalive_tick(owner, now_s)
            return
        if name == "forget":
            self.forget_session(owner)
            return
        s = self.sessions.get(owner)
        if s is None:
            return
        if name == "2xx":
            self.fire_2xx(s, now_s)
        elif name == "rel1xx":
            self.fire_rel1xx(s, now_s)
        elif name == "backoff":
            self.run_offer(s, OfferInput.BACKOFF_TIMER, now_s)
        elif name == "refresh":
            self.fire_refresh(s, now_s)
        elif name == "expire":
            self.fire_expire(s, now_s)
        elif name == "cancel":
            self.run_call(s, CallInput.CANCEL_TIMEOUT, now_s, Ctx(status=408))

    # -- calls: API -------------------------------------------------------------------

    def invite(self, target: str, now_s: float, *, sdp: bytes,
               dest: Destination | None = None, extra: tuple[tuple[str, str], ...] = (),
               replaces: ReplacesValue | None = None,
               session_expires_s: int | None = None) -> int:
        """Call ``target`` (a SIP URI) offering ``sdp``; returns the session id.

        ``dest`` overrides the next hop (else ``outbound_proxy``, else the URI's host);
        ``session_expires_s`` the configured session interval.
        """
        try:
            uri = parse_uri(target)
        except SipParseError as exc:
            raise UaError(f"cannot call {target!r}: {exc}") from None
        cfg = self.config
        hop = dest or cfg.outbound_proxy or destination_for(uri, cfg.transport)
        local_tag = new_tag(self.rng)
        se = session_expires_s if session_expires_s is not None else cfg.session_expires_s
        fields = list(self.capability_fields())
        if cfg.require_100rel:
            fields.append(("Require", "100rel"))
        if replaces is not None:
            fields.append(("Replaces", str(replaces)))
        fields += list(extra)
        request = make_request("INVITE", uri, via=self.via(),
                               from_=self.local_uri().with_param("tag", local_tag),
                               to=NameAddr(None, uri), call_id=new_call_id(self.rng, cfg.host),
                               cseq=self.rng.randint(1, 2**16), contact=self.contact(),
                               extra=tuple(fields), body=sdp,
                               content_type=SDP if sdp else None)
        s = Session(session_id=self.new_id(), outgoing=True, invite=request,
                    state=CallState.CALLING, local_tag=local_tag, invite_dest=hop,
                    local_sdp=sdp, timer_se_s=se, timer_min_se_s=cfg.min_se_s)
        s.invite = self._with_timer_fields(request, s)
        self.sessions[s.session_id] = s
        assert s.invite.call_id is not None
        self.link(self._by_call_id, s.invite.call_id, s.session_id)
        s.invite_key = self.send_request_txn(s.invite, hop, s.session_id, Purpose.INVITE, now_s)
        return s.session_id

    def _with_timer_fields(self, request: SipRequest, s: Session) -> SipRequest:
        if s.timer_se_s is None:
            return request
        request = request.without_header("Session-Expires").without_header("Min-SE")
        for name, value in uac_fields(s.timer_se_s, s.timer_min_se_s or self.config.min_se_s):
            request = request.with_header(name, value)
        return request

    def ring(self, session_id: int, now_s: float, *, status: int = 180, sdp: bytes = b"") -> None:
        """Send a provisional response (180, 183 with early media ``sdp`` ...) to an INVITE;
        reliably when the caller supports 100rel (RFC 3262)."""
        if not 101 <= status <= 199:
            raise UaError(f"ring status {status} is not a provisional above 100")
        self.run_call(self.session(session_id), CallInput.PROVISIONAL, now_s,
                      Ctx(status=status, sdp=sdp))

    def answer(self, session_id: int, now_s: float, *, sdp: bytes) -> None:
        """Accept an incoming INVITE with 200 OK carrying ``sdp`` (the answer)."""
        s = self.session(session_id)
        if s.state not in (CallState.RECEIVED, CallState.EARLY_IN):
            raise UaError(f"session {session_id} is {s.state.value}, not ringing")
        self.run_call(s, CallInput.ANSWER, now_s, Ctx(status=200, sdp=sdp))

    def ack(self, session_id: int, now_s: float, *, sdp: bytes) -> None:
        """Send the ACK carrying our answer ``sdp`` to a 2xx that brought the offer (after
        :class:`Answered`/:class:`ReinviteAnswered` with ``needs_answer``)."""
        if not self.send_ack_answer(self.session(session_id), sdp):
            raise UaError(f"session {session_id} has no 2xx waiting for an ACK with SDP")

    def reject(self, session_id: int, now_s: float, *, status: int = 486) -> None:
        """Refuse an incoming INVITE with a 300-699 ``status``."""
        if not 300 <= status <= 699:
            raise UaError(f"reject status {status} outside 300-699")
        self.run_call(self.session(session_id), CallInput.REJECT, now_s, Ctx(status=status))

    def hangup(self, session_id: int, now_s: float) -> None:
        """End the call: CANCEL before the answer, BYE after it, 603 to an unanswered
        incoming INVITE."""
        self.run_call(self.session(session_id), CallInput.HANGUP, now_s, Ctx(status=603))

    def reinvite(self, session_id: int, now_s: float, *, sdp: bytes) -> None:
        """Send a re-INVITE offering ``sdp`` (hold: a ``sendonly`` offer; resume:
        ``sendrecv``; empty: ask the peer for an offer); one waiting for a pending offer goes
        when it completes."""
        s = self.session(session_id)
        if s.state is not CallState.CONFIRMED:
            raise UaError(f"session {session_id} is {s.state.value}, not confirmed")
        if s.offer is OfferState.IDLE:
            s.reinvite_sdp = sdp
            s.reinvite_refresh = False
        self.run_offer(s, OfferInput.SEND, now_s, Ctx(sdp=sdp))

    def update(self, session_id: int, now_s: float, *, sdp: bytes) -> None:
        """Send an UPDATE offering ``sdp`` in the confirmed dialog (RFC 3311); the answer
        comes as :class:`ReinviteAnswered` with ``method="UPDATE"``."""
        s = self.session(session_id)
        if s.state is not CallState.CONFIRMED or not sdp:
            raise UaError(f"session {session_id} is {s.state.value}; an UPDATE offer needs a "
                          f"confirmed dialog and SDP")
        if s.offer is not OfferState.IDLE:
            raise UaError(f"session {session_id} has an offer in progress ({s.offer.value})")
        s.reinvite_sdp = sdp
        self.run_offer(s, OfferInput.SEND_UPDATE, now_s, Ctx(sdp=sdp))

    def answer_reinvite(self, session_id: int, now_s: float, *, sdp: bytes) -> None:
        """Accept the peer's re-INVITE with ``sdp`` (our answer)."""
        s = self.session(session_id)
        if not self.run_offer(s, OfferInput.ANSWER, now_s, Ctx(sdp=sdp)):
            raise UaError(f"session {session_id} has no re-INVITE to answer")

    def reject_reinvite(self, session_id: int, now_s: float, *, status: int = 488) -> None:
        """Refuse the peer's re-INVITE (the session goes on unchanged, §14.2)."""
        s = self.session(session_id)
        if not self.run_offer(s, OfferInput.REJECT, now_s, Ctx(status=status)):
            raise UaError(f"session {session_id} has no re-INVITE to reject")

    def replaces_for(self, session_id: int) -> ReplacesValue:
        """The Replaces value a third party uses to replace our dialog of ``session_id``
        (written from our peer's side: to-tag = our tag as they see it)."""
        s = self.session(session_id)
        if s.dialog is None:
            raise UaError(f"session {session_id} has no dialog")
        d = s.dialog.id
        return ReplacesValue(d.call_id, d.remote_tag, d.local_tag)

    # -- REFER ------------------------------------------------------------------------

    def refer(self, session_id: int, target: str, now_s: float, *,
              replaces: ReplacesValue | None = None) -> None:
        """Ask the peer to call ``target`` (RFC 3515), with an embedded Replaces for an
        attended transfer (RFC 3891 §4)."""
        s = self.session(session_id)
        if s.dialog is None or s.state is not CallState.CONFIRMED:
            raise UaError(f"session {session_id} is not confirmed")
        try:
            refer_to = refer_to_value(target, replaces)
        except ReferError as exc:
            raise UaError(str(exc)) from None
        self.send_in_dialog(s.session_id, s.dialog, "REFER", Purpose.REFER, now_s,
                            extra=(("Refer-To", refer_to),
                                   ("Referred-By", str(self.local_uri()))), contact=True)

    def notify_refer(self, session_id: int, status: int, now_s: float) -> None:
        """Report the progress of the call a REFER asked for: NOTIFY with a sipfrag of
        ``status``; a final status ends the implicit subscription (RFC 3515 §2.4.4)."""
        s = self.session(session_id)
        if s.refer_cseq is None or s.dialog is None or s.refer_done:
            raise UaError(f"session {session_id} has no REFER subscription")
        self.send_notify(s, status, now_s)

    # -- OPTIONS keep-alive and generic requests --------------------------------------

    def start_keepalive(self, now_s: float, *, interval_s: float, session_id: int | None = None,
                        target: str | None = None, dest: Destination | None = None) -> int:
        """Send OPTIONS every ``interval_s`` in a session's dialog or to ``target``;
        :class:`KeepAliveFailed` when one goes unanswered.  Returns the keep-alive id."""
        if interval_s <= 0 or (session_id is None) == (target is None):
            raise UaError(f"keep-alive needs interval_s > 0 ({interval_s}) and exactly one of "
                          f"session_id={session_id!r}, target={target!r}")
        ka = KeepAlive(self.new_id(), interval_s, session_id, target, dest)
        self.keepalives[ka.keepalive_id] = ka
        self.arm(ka.keepalive_id, "keepalive", now_s + interval_s)
        return ka.keepalive_id

    def stop_keepalive(self, keepalive_id: int) -> None:
        """Stop a keep-alive."""
        self.keepalives.pop(keepalive_id, None)
        self.disarm(keepalive_id, "keepalive")

    def _keepalive_tick(self, kid: int, now_s: float) -> None:
        ka = self.keepalives.get(kid)
        if ka is None:
            return
        self.arm(kid, "keepalive", now_s + ka.interval_s)
        if ka.session_id is not None:
            s = self.sessions.get(ka.session_id)
            if s is None or s.dialog is None or s.state is CallState.ENDED:
                self.stop_keepalive(kid)
                return
            self.send_in_dialog(kid, s.dialog, "OPTIONS", Purpose.OPTIONS, now_s)
            return
        assert ka.target is not None
        request = self._out_of_dialog("OPTIONS", ka.target, (), b"", None)
        hop = ka.dest or self.config.outbound_proxy or destination_for(request.uri,
                                                                       self.config.transport)
        self.send_request_txn(request, hop, kid, Purpose.OPTIONS, now_s)

    def send_request(self, method: str, target: str, now_s: float, *,
                     dest: Destination | None = None, extra: tuple[tuple[str, str], ...] = (),
                     body: bytes = b"", content_type: str | None = None) -> int:
        """Send an out-of-dialog request (REGISTER, MESSAGE, OPTIONS ...) with digest retries;
        :class:`RequestCompleted` or :class:`RequestFailed` follows.  Returns its id."""
        if method in ("INVITE", "ACK", "CANCEL", "BYE", "PRACK"):
            raise UaError(f"{method} is sent through the session API")
        request = self._out_of_dialog(method, target, extra, body, content_type)
        hop = dest or self.config.outbound_proxy or destination_for(request.uri,
                                                                    self.config.transport)
        rid = self.new_id()
        self.requests[rid] = GenericRequest(rid, request, hop)
        self.send_request_txn(request, hop, rid, Purpose.REQUEST, now_s)
        return rid

    def _out_of_dialog(self, method: str, target: str, extra: tuple[tuple[str, str], ...],
                       body: bytes, content_type: str | None) -> SipRequest:
        try:
            uri = parse_uri(target)
        except SipParseError as exc:
            raise UaError(f"bad target {target!r}: {exc}") from None
        to = self.local_uri() if method == "REGISTER" else NameAddr(None, uri)
        return make_request(method, uri, via=self.via(),
                            from_=self.local_uri().with_param("tag", new_tag(self.rng)),
                            to=to, call_id=new_call_id(self.rng, self.config.host),
                            cseq=1, contact=self.contact(),
                            extra=self.capability_fields() + extra, body=body,
                            content_type=content_type if body else None)

    # -- responses --------------------------------------------------------------------

    def _on_response(self, item: IncomingResponse, now_s: float) -> None:
        pending = self._pending.get(item.key)
        if pending is None:
            return
        resp = item.response
        if resp.status >= 300 or (resp.status >= 200 and pending.purpose not in (
                Purpose.INVITE, Purpose.REINVITE)):
            self._pending.pop(item.key, None)  # 2xx to INVITE repeat while Accepted
        if pending.purpose is Purpose.OPTIONS:
            self._keepalive_answer(pending.owner, resp)
            return
        if pending.purpose is Purpose.REQUEST:
            self._generic_answer(pending, item.request, resp, now_s)
            return
        s = self.sessions.get(pending.owner)
        if s is None:
            return
        if resp.status >= 200:
            retry = self.auth_retry(item.request, resp, s.dialog if pending.purpose
                                    is not Purpose.INVITE else None)
            if retry is not None and pending.purpose in (Purpose.INVITE, Purpose.REINVITE,
                                                         Purpose.BYE, Purpose.REFER):
                key = self.send_request_txn(retry, pending.dest, s.session_id,
                                            pending.purpose, now_s)
                if pending.purpose is Purpose.INVITE:
                    s.invite, s.invite_key = retry, key
                elif pending.purpose is Purpose.REINVITE:
                    s.reinvite_key = key
                return
            self.auth_accepted(resp.status)
        handler = {
            Purpose.INVITE: self._invite_answer, Purpose.REINVITE: self._reinvite_answer,
            Purpose.BYE: self._bye_answer, Purpose.REFER: self._refer_answer,
            Purpose.UPDATE: self._update_answer, Purpose.OFFER_UPDATE: self._offer_update_answer,
        }.get(pending.purpose)
        if handler is not None:
            handler(s, resp, now_s)

    def _invite_answer(self, s: Session, resp: SipResponse, now_s: float) -> None:
        status = resp.status
        to = resp.to()
        tag = to.tag if to is not None else None
        if status < 200:
            s.got_provisional = True
            dialog = None
            if tag is not None and status > 100:
                dialog = s.early.get(tag)
                if dialog is None:
                    dialog = Dialog.from_uac(s.invite, resp, self.config.transport)
                    s.early[tag] = dialog
                    self.register_dialog(s, dialog)
                    if s.dialog is None:
                        s.dialog = dialog
                else:
                    dialog.update_from_response(resp)
                self._maybe_prack(s, dialog, resp, now_s)
            self.run_call(s, CallInput.RECV_1XX, now_s, Ctx(message=resp, dialog=dialog))
            return
        if status >= 300:
            if status == 422 and s.state in (CallState.CALLING, CallState.EARLY):
                min_se = min_se_of_422(resp)
                if min_se is not None and s.timer_se_s is not None and min_se > s.timer_se_s:
                    self._resend_invite(s, min_se, now_s)
                    return
            self.run_call(s, CallInput.RECV_FAIL, now_s, Ctx(message=resp))
            return
        if tag is None:
            return
        dialog = s.early.get(tag)
        if dialog is None:
            dialog = Dialog.from_uac(s.invite, resp, self.config.transport)
            s.early[tag] = dialog
            self.register_dialog(s, dialog)
        else:
            dialog.update_from_response(resp)
        confirmed = s.dialog is not None and s.dialog.state is DialogState.CONFIRMED
        if confirmed and s.dialog is not None and s.dialog.id.remote_tag != tag:
            # A second fork answered (§13.2.2.4): ACK it and end that dialog.
            cseq = resp.cseq()
            new_fork = cseq is not None and (tag, cseq.seq) not in s.acks
            self.send_ack(s, dialog, resp)
            if new_fork:
                self.send_in_dialog(s.session_id, dialog, "BYE", Purpose.FORK_BYE, now_s)
            return
        s.dialog = dialog
        s.remote_allow = frozenset(m.strip().upper() for m in resp.headers.get_list("Allow"))
        self.run_call(s, CallInput.RECV_2XX, now_s, Ctx(message=resp, dialog=dialog))

    def _resend_invite(self, s: Session, min_se: int, now_s: float) -> None:
        """RFC 4028 §7.4: ask again with at least the Min-SE of the 422."""
        s.timer_se_s = min_se
        s.timer_min_se_s = min_se
        cseq = s.invite.cseq()
        assert cseq is not None and s.invite_dest is not None
        again = s.invite.with_replaced_header("CSeq", f"{cseq.seq + 1} INVITE")
        again = replace_top_via(again, parse_via(self.via()))
        s.invite = self._with_timer_fields(again, s)
        s.invite_key = self.send_request_txn(s.invite, s.invite_dest, s.session_id,
                                             Purpose.INVITE, now_s)

    def _maybe_prack(self, s: Session, dialog: Dialog, resp: SipResponse, now_s: float) -> None:
        rseq = rseq_of(resp)
        if rseq is None:
            return
        receiver = s.prack_in.setdefault(dialog.id.remote_tag, ReliableReceiver())
        if not receiver.accept(rseq):
            return
        cseq = resp.cseq()
        assert cseq is not None
        self.send_in_dialog(s.session_id, dialog, "PRACK", Purpose.PRACK, now_s,
                            extra=(("RAck", str(RAck(rseq, cseq.seq, "INVITE"))),))

    def _reinvite_answer(self, s: Session, resp: SipResponse, now_s: float) -> None:
        if resp.status < 200:
            return
        if resp.status < 300:
            self.run_offer(s, OfferInput.RECV_2XX, now_s, Ctx(message=resp))
        elif resp.status == 491:
            self.run_offer(s, OfferInput.RECV_491, now_s, Ctx(message=resp))
        else:
            self.run_offer(s, OfferInput.RECV_FAIL, now_s, Ctx(message=resp))

    def _bye_answer(self, s: Session, resp: SipResponse, now_s: float) -> None:
        if resp.status >= 200:
            self.run_call(s, CallInput.BYE_DONE, now_s)

    def _refer_answer(self, s: Session, resp: SipResponse, now_s: float) -> None:
        if 200 <= resp.status < 300:
            self.emit(ReferAccepted(session_id=s.session_id, status=resp.status))
        elif resp.status >= 300:
            self.emit(ReferFailed(session_id=s.session_id, status=resp.status))

    def _update_answer(self, s: Session, resp: SipResponse, now_s: float) -> None:
        if 200 <= resp.status < 300:
            timer = uac_result(resp) or s.timer
            if timer is not None:
                self.start_session_timer(s, timer, now_s)
        elif resp.status in (408, 481):
            s.end_reason = f"refresh {resp.status}"
            self.run_call(s, CallInput.HANGUP, now_s)

    def _offer_update_answer(self, s: Session, resp: SipResponse, now_s: float) -> None:
        if 200 <= resp.status < 300:
            self.run_offer(s, OfferInput.UPDATE_2XX, now_s, Ctx(message=resp))
        elif resp.status >= 300:
            self.run_offer(s, OfferInput.UPDATE_FAIL, now_s, Ctx(message=resp))

    def _keepalive_answer(self, kid: int, resp: SipResponse) -> None:
        ka = self.keepalives.get(kid)
        if ka is None or resp.status < 200:
            return
        if ka.session_id is not None and resp.status in (408, 481):
            if not ka.failed:
                ka.failed = True
                self.emit(KeepAliveFailed(keepalive_id=kid, reason=str(resp.status)))
        elif ka.failed:
            ka.failed = False
            self.emit(KeepAliveRestored(keepalive_id=kid, status=resp.status))

    def _generic_answer(self, pending: Pending, request: SipRequest, resp: SipResponse,
                        now_s: float) -> None:
        if resp.status < 200:
            return
        gen = self.requests.get(pending.owner)
        if gen is None:
            return
        retry = self.auth_retry(request, resp, None)
        if retry is not None:
            gen.request = retry
            self.send_request_txn(retry, pending.dest, gen.request_id, Purpose.REQUEST, now_s)
            return
        self.auth_accepted(resp.status)
        del self.requests[gen.request_id]
        self.emit(RequestCompleted(request_id=gen.request_id, response=resp))

    def _on_failed(self, item: TransactionFailed, now_s: float) -> None:
        if item.key.server:
            return
        pending = self._pending.pop(item.key, None)
        if pending is None:
            return
        status = 408 if item.reason == "timeout" else 503
        if pending.purpose is Purpose.OPTIONS:
            ka = self.keepalives.get(pending.owner)
            if ka is not None and not ka.failed:
                ka.failed = True
                self.emit(KeepAliveFailed(keepalive_id=ka.keepalive_id, reason=item.reason))
            return
        if pending.purpose is Purpose.REQUEST:
            if self.requests.pop(pending.owner, None) is not None:
                self.emit(RequestFailed(request_id=pending.owner, status=status,
                                        reason=item.reason))
            return
        s = self.sessions.get(pending.owner)
        if s is None:
            return
        if pending.purpose is Purpose.INVITE:
            self.run_call(s, CallInput.TX_FAILED, now_s, Ctx(status=status))
        elif pending.purpose is Purpose.REINVITE:
            self.run_offer(s, OfferInput.RECV_FAIL, now_s, Ctx(status=status))
        elif pending.purpose is Purpose.OFFER_UPDATE:
            self.run_offer(s, OfferInput.UPDATE_FAIL, now_s, Ctx(status=status, method="UPDATE"))
        elif pending.purpose is Purpose.BYE:
            s.end_reason = "bye-" + item.reason
            self.run_call(s, CallInput.BYE_DONE, now_s)
        elif pending.purpose is Purpose.REFER:
            self.emit(ReferFailed(session_id=s.session_id, status=status))

    def _on_stray(self, resp: SipResponse) -> None:
        cseq = resp.cseq()
        call_id = resp.call_id
        if cseq is None or cseq.method != "INVITE" or not 200 <= resp.status < 300:
            return
        sid = self._by_call_id.get(call_id or "")
        s = None if sid is None else self.sessions.get(sid)
        to = resp.to()
        tag = to.tag if to is not None else None
        if s is None or tag is None or (tag, cseq.seq) not in s.acks:
            return
        dialog = s.early.get(tag) or s.dialog
        if dialog is not None:
            self.send_ack(s, dialog, resp)

