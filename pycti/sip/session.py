"""INVITE session usage (RFC 3261 §13-§15): the call state machine, the re-INVITE (offer)
machine and the per-call record, as tables the UA core (:mod:`pycti.sip.session_agent`) runs.

:data:`CALL_TABLE` follows one call from INVITE to the end of the BYE: outgoing (Calling ->
Early -> Confirmed; CANCEL only after a provisional, §9.1, so a hang-up before one waits in
Cancelling; a 2xx crossing our CANCEL is ACKed and BYEd, §9.1), incoming (Received -> Early ->
Answered -> Confirmed on the ACK; a CANCEL before the final response gets 487, §9.2; no ACK
within 64*T1 ends the call with BYE, §13.3.1.4; a callee hanging up before the ACK sends its
BYE once the ACK came or the wait ended, §15), the BYE both ways (§15), and a CANCEL whose
INVITE gets no final response within 64*T1 gives up on it (§9.1).

:data:`REINVITE_TABLE` follows re-INVITEs of a confirmed dialog (§14): one offer at a time, an
INVITE received while ours is pending is answered 491, one received before we answered the
previous one 500 with Retry-After (§14.2), our 491 is retried after the §14.1 random back-off
(2.1-4 s when we own the Call-ID, 0-2 s otherwise; 10 ms units).

The same machine serialises offers carried by UPDATE (RFC 3311 §5.2: 491 while our offer is
out, 500 with Retry-After while theirs is unanswered); an UPDATE is answered in its 2xx, with
no ACK, and a 491 to our UPDATE is reported, not retried.

A pair absent from a table is ignored (a late response, a second hang-up).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pycti.sip.dialog import Dialog
from pycti.sip.message import SipRequest, SipResponse
from pycti.sip.session_prack import ReliableReceiver, ReliableSender
from pycti.sip.session_timer import SessionTimer
from pycti.sip.table_enum import TableEnum
from pycti.sip.timers import Destination
from pycti.sip.transaction_table import TxKey

__all__ = ["CallState", "CallInput", "CallStep", "CALL_TABLE", "OfferState", "OfferInput",
           "OfferStep", "REINVITE_TABLE", "Session", "glare_backoff_s"]


class CallState(TableEnum):
    """Where a call stands."""

    CALLING = "calling"  # our INVITE sent, no provisional yet
    EARLY = "early"  # a provisional arrived
    CANCELLING = "cancelling"  # we hung up before the answer
    RECEIVED = "received"  # an INVITE arrived, nothing sent but 100
    EARLY_IN = "early-in"  # we sent a provisional
    ANSWERED = "answered"  # we sent 2xx, waiting for the ACK
    ANSWERED_HANGUP = "answered-hangup"  # hung up before the ACK: BYE waits for it (§15)
    CONFIRMED = "confirmed"
    BYE_SENT = "bye-sent"
    ENDED = "ended"


class CallInput(TableEnum):
    """What can happen to a call."""

    RECV_1XX = "1xx"
    RECV_2XX = "2xx"
    RECV_FAIL = "300-699"
    TX_FAILED = "timeout/transport"
    HANGUP = "hangup"
    PROVISIONAL = "send-1xx"
    ANSWER = "send-2xx"
    REJECT = "send-300-699"
    RECV_CANCEL = "cancel"
    RECV_ACK = "ack"
    NO_ACK = "no-ack"
    RECV_BYE = "bye"
    BYE_DONE = "bye-done"
    EXPIRED = "session-expired"
    PRACK_TIMEOUT = "prack-timeout"
    CANCEL_TIMEOUT = "cancel-timeout"  # no final response 64*T1 after our CANCEL (§9.1)


class CallStep(TableEnum):
    """Steps the UA core runs for a call row."""

    PROVISIONAL_EVENT = "provisional-event"
    CANCEL = "cancel"  # send CANCEL (or mark it pending until a provisional)
    CANCEL_IF_PENDING = "cancel-if-pending"
    ACK = "ack"
    ANSWERED_EVENT = "answered-event"
    BYE = "bye"
    FAILED_EVENT = "failed-event"
    SEND_PROVISIONAL = "send-provisional"
    SEND_2XX = "send-2xx"
    SEND_FINAL = "send-final"
    SEND_487 = "send-487"
    CANCELLED_EVENT = "cancelled-event"
    CONFIRMED_EVENT = "confirmed-event"
    OK_BYE = "ok-bye"
    ENDED_REMOTE = "ended-remote"
    ENDED_LOCAL = "ended-local"
    EXPIRED_EVENT = "expired-event"
    REJECT_500 = "reject-500"
    ABANDON = "abandon"  # destroy the INVITE client transaction


C, I, X = CallState, CallInput, CallStep
CallTable = dict[tuple[CallState, CallInput], tuple[CallState, tuple[CallStep, ...]]]

CALL_TABLE: CallTable = {
    (C.CALLING, I.RECV_1XX): (C.EARLY, (X.PROVISIONAL_EVENT,)),
    (C.CALLING, I.RECV_2XX): (C.CONFIRMED, (X.ACK, X.ANSWERED_EVENT)),
    (C.CALLING, I.RECV_FAIL): (C.ENDED, (X.FAILED_EVENT,)),
    (C.CALLING, I.TX_FAILED): (C.ENDED, (X.FAILED_EVENT,)),
    (C.CALLING, I.HANGUP): (C.CANCELLING, (X.CANCEL,)),
    (C.EARLY, I.RECV_1XX): (C.EARLY, (X.PROVISIONAL_EVENT,)),
    (C.EARLY, I.RECV_2XX): (C.CONFIRMED, (X.ACK, X.ANSWERED_EVENT)),
    (C.EARLY, I.RECV_FAIL): (C.ENDED, (X.FAILED_EVENT,)),
    (C.EARLY, I.TX_FAILED): (C.ENDED, (X.FAILED_EVENT,)),
    (C.EARLY, I.HANGUP): (C.CANCELLING, (X.CANCEL,)),
    (C.CANCELLING, I.RECV_1XX): (C.CANCELLING, (X.CANCEL_IF_PENDING,)),
    (C.CANCELLING, I.RECV_2XX): (C.BYE_SENT, (X.ACK, X.BYE)),
    (C.CANCELLING, I.RECV_FAIL): (C.ENDED, (X.FAILED_EVENT,)),
    (C.CANCELLING, I.TX_FAILED): (C.ENDED, (X.FAILED_EVENT,)),
    (C.CANCELLING, I.CANCEL_TIMEOUT): (C.ENDED, (X.ABANDON, X.FAILED_EVENT)),
    (C.RECEIVED, I.PROVISIONAL): (C.EARLY_IN, (X.SEND_PROVISIONAL,)),
    (C.RECEIVED, I.ANSWER): (C.ANSWERED, (X.SEND_2XX,)),
    (C.RECEIVED, I.REJECT): (C.ENDED, (X.SEND_FINAL,)),
    (C.RECEIVED, I.HANGUP): (C.ENDED, (X.SEND_FINAL,)),
    (C.RECEIVED, I.RECV_CANCEL): (C.ENDED, (X.SEND_487, X.CANCELLED_EVENT)),
    (C.EARLY_IN, I.PROVISIONAL): (C.EARLY_IN, (X.SEND_PROVISIONAL,)),
    (C.EARLY_IN, I.ANSWER): (C.ANSWERED, (X.SEND_2XX,)),
    (C.EARLY_IN, I.REJECT): (C.ENDED, (X.SEND_FINAL,)),
    (C.EARLY_IN, I.HANGUP): (C.ENDED, (X.SEND_FINAL,)),
    (C.EARLY_IN, I.RECV_CANCEL): (C.ENDED, (X.SEND_487, X.CANCELLED_EVENT)),
    (C.EARLY_IN, I.PRACK_TIMEOUT): (C.ENDED, (X.REJECT_500,)),
    (C.ANSWERED, I.RECV_ACK): (C.CONFIRMED, (X.CONFIRMED_EVENT,)),
    (C.ANSWERED, I.NO_ACK): (C.BYE_SENT, (X.BYE,)),
    (C.ANSWERED, I.HANGUP): (C.ANSWERED_HANGUP, ()),
    (C.ANSWERED_HANGUP, I.RECV_ACK): (C.BYE_SENT, (X.BYE,)),
    (C.ANSWERED_HANGUP, I.NO_ACK): (C.BYE_SENT, (X.BYE,)),
    (C.ANSWERED_HANGUP, I.RECV_BYE): (C.ENDED, (X.OK_BYE, X.ENDED_REMOTE)),
    (C.ANSWERED, I.RECV_BYE): (C.ENDED, (X.OK_BYE, X.ENDED_REMOTE)),
    (C.CONFIRMED, I.RECV_2XX): (C.CONFIRMED, (X.ACK,)),
    (C.CONFIRMED, I.HANGUP): (C.BYE_SENT, (X.BYE,)),
    (C.CONFIRMED, I.RECV_BYE): (C.ENDED, (X.OK_BYE, X.ENDED_REMOTE)),
    (C.CONFIRMED, I.EXPIRED): (C.BYE_SENT, (X.BYE, X.EXPIRED_EVENT)),
    (C.BYE_SENT, I.RECV_2XX): (C.BYE_SENT, (X.ACK,)),
    (C.BYE_SENT, I.RECV_BYE): (C.BYE_SENT, (X.OK_BYE,)),
    (C.BYE_SENT, I.BYE_DONE): (C.ENDED, (X.ENDED_LOCAL,)),
}
"""The call state machine: ``(state, input) -> (next state, steps)``."""
del C, I, X


class OfferState(TableEnum):
    """re-INVITE state of a confirmed dialog (§14)."""

    IDLE = "idle"
    OUT_PENDING = "out-pending"  # our re-INVITE awaits its final response
    BACKOFF = "backoff"  # our re-INVITE met 491; waiting to retry
    IN_PENDING = "in-pending"  # a re-INVITE arrived; the application has to answer
    IN_WAIT_ACK = "in-wait-ack"  # we answered 2xx; waiting for the ACK
    OUT_UPDATE = "out-update"  # our UPDATE with an offer awaits its answer (RFC 3311)
    IN_UPDATE = "in-update"  # an UPDATE with an offer arrived; the application has to answer


class OfferInput(TableEnum):
    """What can happen to the offer machine."""

    SEND = "send-reinvite"
    RECV_2XX = "2xx"
    RECV_491 = "491"
    RECV_FAIL = "failure"
    BACKOFF_TIMER = "backoff-timer"
    RECV_INVITE = "reinvite"
    ANSWER = "answer"
    REJECT = "reject"
    RECV_ACK = "ack"
    NO_ACK = "no-ack"
    SEND_UPDATE = "send-update"
    RECV_UPDATE = "update"
    UPDATE_2XX = "update-2xx"
    UPDATE_FAIL = "update-failure"


class OfferStep(TableEnum):
    """Steps the UA core runs for an offer row."""

    SEND_REINVITE = "send-reinvite"
    ACK = "ack"
    ANSWERED_EVENT = "answered-event"
    ARM_BACKOFF = "arm-backoff"
    FAILED_EVENT = "failed-event"
    RECEIVED_EVENT = "received-event"
    REPLY_491 = "reply-491"
    REPLY_500 = "reply-500"
    SEND_2XX = "send-2xx"
    SEND_FINAL = "send-final"
    CONFIRMED = "confirmed"
    STORE_PENDING = "store-pending"
    SEND_PENDING = "send-pending"  # a re-INVITE the application asked for meanwhile
    BYE = "bye"
    SEND_UPDATE = "send-update"
    UPDATE_ANSWERED_EVENT = "update-answered-event"
    SEND_UPDATE_2XX = "send-update-2xx"


O, N, P = OfferState, OfferInput, OfferStep
OfferTable = dict[tuple[OfferState, OfferInput], tuple[OfferState, tuple[OfferStep, ...]]]

REINVITE_TABLE: OfferTable = {
    (O.IDLE, N.SEND): (O.OUT_PENDING, (P.SEND_REINVITE,)),
    (O.IDLE, N.RECV_INVITE): (O.IN_PENDING, (P.RECEIVED_EVENT,)),
    (O.IDLE, N.RECV_2XX): (O.IDLE, (P.ACK,)),
    (O.OUT_PENDING, N.RECV_2XX): (O.IDLE, (P.ACK, P.ANSWERED_EVENT, P.SEND_PENDING)),
    (O.OUT_PENDING, N.RECV_491): (O.BACKOFF, (P.ARM_BACKOFF,)),
    (O.OUT_PENDING, N.RECV_FAIL): (O.IDLE, (P.FAILED_EVENT, P.SEND_PENDING)),
    (O.OUT_PENDING, N.RECV_INVITE): (O.OUT_PENDING, (P.REPLY_491,)),
    (O.OUT_PENDING, N.SEND): (O.OUT_PENDING, (P.STORE_PENDING,)),
    (O.BACKOFF, N.BACKOFF_TIMER): (O.OUT_PENDING, (P.SEND_REINVITE,)),
    (O.BACKOFF, N.RECV_INVITE): (O.IN_PENDING, (P.STORE_PENDING, P.RECEIVED_EVENT)),
    (O.BACKOFF, N.SEND): (O.BACKOFF, (P.STORE_PENDING,)),
    (O.IN_PENDING, N.RECV_INVITE): (O.IN_PENDING, (P.REPLY_500,)),
    (O.IN_PENDING, N.ANSWER): (O.IN_WAIT_ACK, (P.SEND_2XX,)),
    (O.IN_PENDING, N.REJECT): (O.IDLE, (P.SEND_FINAL, P.SEND_PENDING)),
    (O.IN_PENDING, N.SEND): (O.IN_PENDING, (P.STORE_PENDING,)),
    (O.IN_WAIT_ACK, N.RECV_ACK): (O.IDLE, (P.CONFIRMED, P.SEND_PENDING)),
    (O.IN_WAIT_ACK, N.RECV_INVITE): (O.IN_WAIT_ACK, (P.REPLY_491,)),
    (O.IN_WAIT_ACK, N.SEND): (O.IN_WAIT_ACK, (P.STORE_PENDING,)),
    (O.IN_WAIT_ACK, N.NO_ACK): (O.IDLE, (P.BYE,)),
    (O.IN_WAIT_ACK, N.RECV_UPDATE): (O.IN_WAIT_ACK, (P.REPLY_491,)),
    # UPDATE carrying an offer (RFC 3311 §5): the same one-offer-at-a-time rule, no ACK.
    (O.IDLE, N.SEND_UPDATE): (O.OUT_UPDATE, (P.SEND_UPDATE,)),
    (O.IDLE, N.RECV_UPDATE): (O.IN_UPDATE, (P.RECEIVED_EVENT,)),
    (O.OUT_UPDATE, N.UPDATE_2XX): (O.IDLE, (P.UPDATE_ANSWERED_EVENT, P.SEND_PENDING)),
    (O.OUT_UPDATE, N.UPDATE_FAIL): (O.IDLE, (P.FAILED_EVENT, P.SEND_PENDING)),
    (O.OUT_UPDATE, N.RECV_UPDATE): (O.OUT_UPDATE, (P.REPLY_491,)),
    (O.OUT_UPDATE, N.RECV_INVITE): (O.OUT_UPDATE, (P.REPLY_491,)),
    (O.OUT_UPDATE, N.SEND): (O.OUT_UPDATE, (P.STORE_PENDING,)),
    (O.OUT_PENDING, N.RECV_UPDATE): (O.OUT_PENDING, (P.REPLY_491,)),
    (O.BACKOFF, N.RECV_UPDATE): (O.IN_UPDATE, (P.STORE_PENDING, P.RECEIVED_EVENT)),
    (O.IN_PENDING, N.RECV_UPDATE): (O.IN_PENDING, (P.REPLY_500,)),
    (O.IN_UPDATE, N.RECV_UPDATE): (O.IN_UPDATE, (P.REPLY_500,)),
    (O.IN_UPDATE, N.RECV_INVITE): (O.IN_UPDATE, (P.REPLY_500,)),
    (O.IN_UPDATE, N.ANSWER): (O.IDLE, (P.SEND_UPDATE_2XX, P.SEND_PENDING)),
    (O.IN_UPDATE, N.REJECT): (O.IDLE, (P.SEND_FINAL, P.SEND_PENDING)),
    (O.IN_UPDATE, N.SEND): (O.IN_UPDATE, (P.STORE_PENDING,)),
}
"""The re-INVITE machine: ``(state, input) -> (next state, steps)``."""
del O, N, P


def glare_backoff_s(rng: random.Random, owns_call_id: bool) -> float:
    """The §14.1 wait before retrying a re-INVITE that met 491, in 10 ms units:
    2.1-4 s when we generated the Call-ID, 0-2 s otherwise."""
    if owns_call_id:
        return rng.randint(210, 400) / 100
    return rng.randint(0, 200) / 100


@dataclass(eq=False)
class Session:
    """Everything the UA core keeps for one call."""

    session_id: int
    outgoing: bool
    invite: SipRequest  # the dialog-creating INVITE (ours, or the one received)
    state: CallState
    local_tag: str
    invite_key: TxKey | None = None  # client or server transaction of the INVITE
    invite_dest: Destination | None = None  # where our INVITE (and its CANCEL) went
    got_provisional: bool = False
    timer_offer: SessionTimer | None = None  # what our 2xx will confirm (UAS)
    final_2xx_dest: Destination | None = None
    final_2xx_started_s: float = 0.0
    dialog: Dialog | None = None  # the confirmed (or the first early) dialog
    uas_dialog: Dialog | None = None  # UAS: the dialog our responses will create, checked on arrival
    early: dict[str, Dialog] = field(default_factory=dict)  # remote tag -> early dialog
    prack_in: dict[str, ReliableReceiver] = field(default_factory=dict)
    prack_out: ReliableSender | None = None
    local_sdp: bytes = b""
    remote_sdp: bytes = b""
    cancel_pending: bool = False
    cancel_sent: bool = False
    ack_waiting: dict[tuple[str, int], Dialog] = field(default_factory=dict)  # offer in 2xx
    acks: dict[tuple[str, int], SipRequest] = field(default_factory=dict)  # (remote tag, CSeq) -> ACK
    final_2xx: SipResponse | None = None  # our 2xx being retransmitted
    final_2xx_cseq: int | None = None
    retransmit_s: float = 0.0
    deferred_2xx: SipResponse | None = None  # waiting for a PRACK (RFC 3262 §3)
    offer: OfferState = OfferState.IDLE
    reinvite_sdp: bytes = b""  # the offer of our current re-INVITE
    reinvite_refresh: bool = False
    reinvite_key: TxKey | None = None
    pending_sdp: bytes | None = None  # a re-INVITE to send once the offer machine is idle
    incoming_reinvite: SipRequest | None = None
    incoming_reinvite_key: TxKey | None = None
    timer: SessionTimer | None = None
    timer_se_s: int | None = None  # the Session-Expires we ask for
    timer_min_se_s: int | None = None
    replaces: int | None = None  # the session this INVITE replaces
    refer_cseq: int | None = None  # id of the implicit subscription of a REFER we received
    refer_done: bool = False
    end_reason: str = ""
    remote_allow: frozenset[str] = frozenset()
