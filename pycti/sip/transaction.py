"""The four SIP transaction state machines of RFC 3261 §17, sans-I/O.

* INVITE client (§17.1.1, Figure 5): Calling, Proceeding, Completed, Accepted, Terminated;
  Timer A (retransmit, T1 doubling), B (64*T1 timeout), D (32 s wait for response
  retransmissions, 0 on reliable transports); the ACK for a 300-699 response is built and sent
  by the transaction (§17.1.1.3).
* non-INVITE client (§17.1.2, Figure 6): Trying, Proceeding, Completed, Terminated; Timer E
  (retransmit, doubling up to T2; T2 once Proceeding), F (64*T1 timeout), K (T4, 0 reliable).
* INVITE server (§17.2.1, Figure 7): Proceeding, Completed, Confirmed, Accepted, Terminated;
  100 Trying after ``trying_delay_s`` (200 ms) unless the TU answered first, Timer G
  (retransmit the final response, doubling up to T2), H (64*T1 wait for ACK), I (T4, 0
  reliable).
* non-INVITE server (§17.2.2, Figure 8): Trying, Proceeding, Completed, Terminated; Timer J
  (64*T1, 0 reliable).

2xx responses to INVITE follow RFC 6026, the update of §17 the IETF made for forking: the
INVITE client transaction enters Accepted and hands every 2xx (retransmissions and other forks)
to the TU until Timer M (64*T1); the INVITE server transaction enters Accepted, absorbs INVITE
retransmissions, passes the TU's 2xx retransmissions to the transport and ends at Timer L
(64*T1).  The TU (the UA core) retransmits the 2xx and sends the ACK for it (§13.3.1.4,
§13.2.2.4).

Each machine's transitions are one table, ``(state, input) -> (next state, steps)``
(:data:`INVITE_CLIENT`, :data:`NON_INVITE_CLIENT`, :data:`INVITE_SERVER`,
:data:`NON_INVITE_SERVER`); a pair absent from its table is ignored (a stale timer, an
absorbed retransmission).  :class:`Transaction` runs the steps and returns actions:
:class:`TxSend`, :class:`TxDeliver`, :class:`TxArm`, :class:`TxFailed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from pycti.sip.message import SipMessage, SipRequest, SipResponse, make_ack_for_failure, make_response
from pycti.sip.table_enum import TableEnum
from pycti.sip.timers import Destination, TimerConfig

__all__ = [
    "TxKind", "TxState", "TxInput", "TxStep", "TxSend", "TxDeliver", "TxArm", "TxFailed",
    "TxAction", "Transaction", "TABLES", "INVITE_CLIENT", "NON_INVITE_CLIENT", "INVITE_SERVER",
    "NON_INVITE_SERVER", "TIMER_INPUTS",
]


class TxKind(TableEnum):
    """Which of the four machines."""

    INVITE_CLIENT = "invite-client"
    NON_INVITE_CLIENT = "non-invite-client"
    INVITE_SERVER = "invite-server"
    NON_INVITE_SERVER = "non-invite-server"

    @property
    def is_client(self) -> bool:
        """True for the two client machines."""
        return self in (TxKind.INVITE_CLIENT, TxKind.NON_INVITE_CLIENT)


class TxState(TableEnum):
    """States of Figures 5-8 (plus Accepted of RFC 6026)."""

    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    TERMINATED = "terminated"


class TxInput(TableEnum):
    """What can happen to a transaction."""

    START = "start"  # client: TU hands the request; server: the request arrived
    RETRANSMIT = "retransmit"  # server: the request arrived again
    ACK = "ack"  # INVITE server: an ACK matching it arrived
    RESP_1XX = "1xx"  # client: a provisional response arrived
    RESP_2XX = "2xx"
    RESP_FAIL = "300-699"
    TU_1XX = "tu-1xx"  # server: the TU sends a response
    TU_2XX = "tu-2xx"
    TU_FAIL = "tu-300-699"
    TRANSPORT_ERROR = "transport-error"
    TIMER_A = "A"
    TIMER_B = "B"
    TIMER_D = "D"
    TIMER_E = "E"
    TIMER_F = "F"
    TIMER_K = "K"
    TIMER_G = "G"
    TIMER_H = "H"
    TIMER_I = "I"
    TIMER_J = "J"
    TIMER_L = "L"
    TIMER_M = "M"
    TIMER_TRYING = "100"  # §17.2.1: the 200 ms after which the server sends 100 itself


TIMER_INPUTS = frozenset(i for i in TxInput if i.name.startswith("TIMER_"))


class TxStep(TableEnum):
    """The steps a table row runs, in order."""

    SEND_REQUEST = "send-request"  # (re)transmit the request
    SEND_RESPONSE = "send-response"  # transmit the response the TU gave
    RESEND_RESPONSE = "resend-response"  # retransmit the last response sent (or 100)
    SEND_100 = "send-100"  # 100 Trying unless the TU already sent a provisional
    SEND_ACK = "send-ack"  # ACK for a 300-699 (§17.1.1.3)
    DELIVER = "deliver"  # pass the message to the TU
    REPORT_TIMEOUT = "report-timeout"
    REPORT_TRANSPORT = "report-transport"
    ARM_A = "arm-A"  # first A = T1 (unreliable only)
    DOUBLE_A = "double-A"
    ARM_B = "arm-B"
    ARM_D = "arm-D"
    ARM_E = "arm-E"  # first E = T1 (unreliable only)
    DOUBLE_E = "double-E"  # min(2E, T2)
    E_AT_T2 = "E-at-T2"
    ARM_F = "arm-F"
    ARM_K = "arm-K"
    ARM_G = "arm-G"
    DOUBLE_G = "double-G"
    ARM_H = "arm-H"
    ARM_I = "arm-I"
    ARM_J = "arm-J"
    ARM_L = "arm-L"
    ARM_M = "arm-M"
    ARM_TRYING = "arm-100"


S, I, T = TxState, TxInput, TxStep
Table = dict[tuple[TxState, TxInput], tuple[TxState, tuple[TxStep, ...]]]

INVITE_CLIENT: Table = {
    (S.CALLING, I.START): (S.CALLING, (T.SEND_REQUEST, T.ARM_A, T.ARM_B)),
    (S.CALLING, I.TIMER_A): (S.CALLING, (T.SEND_REQUEST, T.DOUBLE_A)),
    (S.CALLING, I.TIMER_B): (S.TERMINATED, (T.REPORT_TIMEOUT,)),
    (S.CALLING, I.RESP_1XX): (S.PROCEEDING, (T.DELIVER,)),
    (S.CALLING, I.RESP_2XX): (S.ACCEPTED, (T.DELIVER, T.ARM_M)),
    (S.CALLING, I.RESP_FAIL): (S.COMPLETED, (T.SEND_ACK, T.DELIVER, T.ARM_D)),
    (S.CALLING, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.PROCEEDING, I.RESP_1XX): (S.PROCEEDING, (T.DELIVER,)),
    (S.PROCEEDING, I.RESP_2XX): (S.ACCEPTED, (T.DELIVER, T.ARM_M)),
    (S.PROCEEDING, I.RESP_FAIL): (S.COMPLETED, (T.SEND_ACK, T.DELIVER, T.ARM_D)),
    (S.PROCEEDING, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.COMPLETED, I.RESP_FAIL): (S.COMPLETED, (T.SEND_ACK,)),
    (S.COMPLETED, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.COMPLETED, I.TIMER_D): (S.TERMINATED, ()),
    (S.ACCEPTED, I.RESP_2XX): (S.ACCEPTED, (T.DELIVER,)),
    (S.ACCEPTED, I.TIMER_M): (S.TERMINATED, ()),
}
"""RFC 3261 Figure 5 with RFC 6026 Figure 3 (Accepted)."""

NON_INVITE_CLIENT: Table = {
    (S.TRYING, I.START): (S.TRYING, (T.SEND_REQUEST, T.ARM_E, T.ARM_F)),
    (S.TRYING, I.TIMER_E): (S.TRYING, (T.SEND_REQUEST, T.DOUBLE_E)),
    (S.TRYING, I.TIMER_F): (S.TERMINATED, (T.REPORT_TIMEOUT,)),
    (S.TRYING, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.TRYING, I.RESP_1XX): (S.PROCEEDING, (T.DELIVER,)),
    (S.TRYING, I.RESP_2XX): (S.COMPLETED, (T.DELIVER, T.ARM_K)),
    (S.TRYING, I.RESP_FAIL): (S.COMPLETED, (T.DELIVER, T.ARM_K)),
    (S.PROCEEDING, I.TIMER_E): (S.PROCEEDING, (T.SEND_REQUEST, T.E_AT_T2)),
    (S.PROCEEDING, I.TIMER_F): (S.TERMINATED, (T.REPORT_TIMEOUT,)),
    (S.PROCEEDING, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.PROCEEDING, I.RESP_1XX): (S.PROCEEDING, (T.DELIVER,)),
    (S.PROCEEDING, I.RESP_2XX): (S.COMPLETED, (T.DELIVER, T.ARM_K)),
    (S.PROCEEDING, I.RESP_FAIL): (S.COMPLETED, (T.DELIVER, T.ARM_K)),
    (S.COMPLETED, I.TIMER_K): (S.TERMINATED, ()),
}
"""RFC 3261 Figure 6."""

INVITE_SERVER: Table = {
    (S.PROCEEDING, I.START): (S.PROCEEDING, (T.DELIVER, T.ARM_TRYING)),
    (S.PROCEEDING, I.TIMER_TRYING): (S.PROCEEDING, (T.SEND_100,)),
    (S.PROCEEDING, I.RETRANSMIT): (S.PROCEEDING, (T.RESEND_RESPONSE,)),
    (S.PROCEEDING, I.TU_1XX): (S.PROCEEDING, (T.SEND_RESPONSE,)),
    (S.PROCEEDING, I.TU_2XX): (S.ACCEPTED, (T.SEND_RESPONSE, T.ARM_L)),
    (S.PROCEEDING, I.TU_FAIL): (S.COMPLETED, (T.SEND_RESPONSE, T.ARM_G, T.ARM_H)),
    (S.PROCEEDING, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.COMPLETED, I.RETRANSMIT): (S.COMPLETED, (T.RESEND_RESPONSE,)),
    (S.COMPLETED, I.TIMER_G): (S.COMPLETED, (T.RESEND_RESPONSE, T.DOUBLE_G)),
    (S.COMPLETED, I.TIMER_H): (S.TERMINATED, (T.REPORT_TIMEOUT,)),
    (S.COMPLETED, I.ACK): (S.CONFIRMED, (T.ARM_I,)),
    (S.COMPLETED, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.CONFIRMED, I.TIMER_I): (S.TERMINATED, ()),
    (S.ACCEPTED, I.TU_2XX): (S.ACCEPTED, (T.SEND_RESPONSE,)),
    (S.ACCEPTED, I.ACK): (S.ACCEPTED, (T.DELIVER,)),
    (S.ACCEPTED, I.TIMER_L): (S.TERMINATED, ()),
}
"""RFC 3261 Figure 7 with RFC 6026 Figure 5 (Accepted)."""

NON_INVITE_SERVER: Table = {
    (S.TRYING, I.START): (S.TRYING, (T.DELIVER,)),
    (S.TRYING, I.TU_1XX): (S.PROCEEDING, (T.SEND_RESPONSE,)),
    (S.TRYING, I.TU_2XX): (S.COMPLETED, (T.SEND_RESPONSE, T.ARM_J)),
    (S.TRYING, I.TU_FAIL): (S.COMPLETED, (T.SEND_RESPONSE, T.ARM_J)),
    (S.PROCEEDING, I.RETRANSMIT): (S.PROCEEDING, (T.RESEND_RESPONSE,)),
    (S.PROCEEDING, I.TU_1XX): (S.PROCEEDING, (T.SEND_RESPONSE,)),
    (S.PROCEEDING, I.TU_2XX): (S.COMPLETED, (T.SEND_RESPONSE, T.ARM_J)),
    (S.PROCEEDING, I.TU_FAIL): (S.COMPLETED, (T.SEND_RESPONSE, T.ARM_J)),
    (S.PROCEEDING, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.COMPLETED, I.RETRANSMIT): (S.COMPLETED, (T.RESEND_RESPONSE,)),
    (S.COMPLETED, I.TRANSPORT_ERROR): (S.TERMINATED, (T.REPORT_TRANSPORT,)),
    (S.COMPLETED, I.TIMER_J): (S.TERMINATED, ()),
}
"""RFC 3261 Figure 8."""

TABLES: dict[TxKind, Table] = {
    TxKind.INVITE_CLIENT: INVITE_CLIENT, TxKind.NON_INVITE_CLIENT: NON_INVITE_CLIENT,
    TxKind.INVITE_SERVER: INVITE_SERVER, TxKind.NON_INVITE_SERVER: NON_INVITE_SERVER,
}
INITIAL_STATE: dict[TxKind, TxState] = {
    TxKind.INVITE_CLIENT: S.CALLING, TxKind.NON_INVITE_CLIENT: S.TRYING,
    TxKind.INVITE_SERVER: S.PROCEEDING, TxKind.NON_INVITE_SERVER: S.TRYING,
}
del S, I, T


@dataclass(frozen=True, slots=True)
class TxSend:
    """Give ``message`` to the transport for ``dest``."""

    message: SipMessage
    dest: Destination


@dataclass(frozen=True, slots=True)
class TxDeliver:
    """Pass ``message`` (a response for a client, the request/ACK for a server) to the TU."""

    message: SipMessage


@dataclass(frozen=True, slots=True)
class TxArm:
    """Call :meth:`Transaction.fire` with ``timer`` at ``at_s`` (replacing an earlier one)."""

    timer: TxInput
    at_s: float


@dataclass(frozen=True, slots=True)
class TxFailed:
    """The transaction ended without a final response: ``timeout`` (B, F, H) or
    ``transport`` (a transport error, §17.1.4 / §17.2.4)."""

    reason: str


TxAction = Union[TxSend, TxDeliver, TxArm, TxFailed]


def classify_response(status: int, server: bool) -> TxInput:
    """The input a response status is for a client (``server=False``) or from the TU."""
    if status < 200:
        return TxInput.TU_1XX if server else TxInput.RESP_1XX
    if status < 300:
        return TxInput.TU_2XX if server else TxInput.RESP_2XX
    return TxInput.TU_FAIL if server else TxInput.RESP_FAIL


class Transaction:
    """One transaction: the request, where messages go, the state and the timer intervals.

    ``dest`` is where a client sends its request, or where a server sends its responses
    (computed from the top Via by the transaction layer, §18.2.2).  Call :meth:`start` once,
    then :meth:`handle` for messages and :meth:`fire` for timers; each returns actions.
    """

    __slots__ = ("kind", "request", "dest", "config", "state", "last_response", "ack",
                 "_a_s", "_e_s", "_g_s", "_sent_provisional")

    def __init__(self, kind: TxKind, request: SipRequest, dest: Destination,
                 config: TimerConfig) -> None:
        self.kind = kind
        self.request = request
        self.dest = dest
        self.config = config
        self.state = INITIAL_STATE[kind]
        self.last_response: SipResponse | None = None
        self.ack: SipRequest | None = None
        self._a_s = config.t1_s
        self._e_s = config.t1_s
        self._g_s = config.t1_s
        self._sent_provisional = False

    @property
    def reliable(self) -> bool:
        """True over a reliable transport (no retransmission timers, zero wait timers)."""
        return self.dest.reliable

    @property
    def terminated(self) -> bool:
        """True once the machine reached Terminated."""
        return self.state is TxState.TERMINATED

    def start(self, now_s: float) -> list[TxAction]:
        """Send the request (client) or pass it to the TU (server)."""
        return self._run(TxInput.START, now_s, self.request)

    def handle(self, message: SipMessage, now_s: float) -> list[TxAction]:
        """Feed a response received (client), a retransmission/ACK received or a response
        the TU sends (server)."""
        if isinstance(message, SipResponse):
            return self._run(classify_response(message.status, not self.kind.is_client),
                             now_s, message)
        inp = TxInput.ACK if message.method == "ACK" else TxInput.RETRANSMIT
        return self._run(inp, now_s, message)

    def fire(self, timer: TxInput, now_s: float) -> list[TxAction]:
        """A timer the transaction armed came due."""
        return self._run(timer, now_s, None)

    def transport_error(self, now_s: float) -> list[TxAction]:
        """The transport could not send a message of this transaction."""
        return self._run(TxInput.TRANSPORT_ERROR, now_s, None)

    # -- engine -----------------------------------------------------------------------

    def _run(self, inp: TxInput, now_s: float, message: SipMessage | None) -> list[TxAction]:
        row = TABLES[self.kind].get((self.state, inp))
        if row is None:
            return []
        self.state, steps = row
        out: list[TxAction] = []
        for step in steps:
            self._step(step, now_s, message, out)
        # A wait timer of zero (reliable transport) fires at once.
        zero = [a for a in out if isinstance(a, TxArm) and a.at_s <= now_s
                and a.timer in _ZERO_OK]
        for arm in zero:
            out.remove(arm)
            out.extend(self.fire(arm.timer, now_s))
        return out

    def _arm(self, out: list[TxAction], timer: TxInput, now_s: float, delay_s: float) -> None:
        out.append(TxArm(timer, now_s + delay_s))

    def _step(self, step: TxStep, now_s: float, message: SipMessage | None,
              out: list[TxAction]) -> None:
        reliable = self.reliable
        if step is TxStep.SEND_REQUEST:
            out.append(TxSend(self.request, self.dest))
        elif step is TxStep.SEND_RESPONSE:
            assert isinstance(message, SipResponse)
            self.last_response = message
            if message.status < 200:
                self._sent_provisional = True
            out.append(TxSend(message, self.dest))
        elif step is TxStep.RESEND_RESPONSE:
            if self.last_response is not None:
                out.append(TxSend(self.last_response, self.dest))
            elif self.kind is TxKind.INVITE_SERVER:
                out.append(TxSend(self._trying(), self.dest))
        elif step is TxStep.SEND_100:
            if not self._sent_provisional:
                self._sent_provisional = True
                self.last_response = self._trying()
                out.append(TxSend(self.last_response, self.dest))
        elif step is TxStep.SEND_ACK:
            assert isinstance(message, SipResponse)
            if self.ack is None:
                self.ack = make_ack_for_failure(self.request, message)
            out.append(TxSend(self.ack, self.dest))
        elif step is TxStep.DELIVER:
            assert message is not None
            out.append(TxDeliver(message))
        elif step is TxStep.REPORT_TIMEOUT:
            out.append(TxFailed("timeout"))
        elif step is TxStep.REPORT_TRANSPORT:
            out.append(TxFailed("transport"))
        elif step in _RETRANSMIT_STEPS:
            if not reliable:
                self._retransmit_timer(step, now_s, out)
        else:
            timer, delay_s = self._wait_timer(step, reliable)
            self._arm(out, timer, now_s, delay_s)

    def _retransmit_timer(self, step: TxStep, now_s: float, out: list[TxAction]) -> None:
        cfg = self.config
        if step is TxStep.ARM_A:
            self._a_s = cfg.t1_s
            self._arm(out, TxInput.TIMER_A, now_s, self._a_s)
        elif step is TxStep.DOUBLE_A:
            self._a_s *= 2
            self._arm(out, TxInput.TIMER_A, now_s, self._a_s)
        elif step is TxStep.ARM_E:
            self._e_s = cfg.t1_s
            self._arm(out, TxInput.TIMER_E, now_s, self._e_s)
        elif step is TxStep.DOUBLE_E:
            self._e_s = min(2 * self._e_s, cfg.t2_s)
            self._arm(out, TxInput.TIMER_E, now_s, self._e_s)
        elif step is TxStep.E_AT_T2:
            self._e_s = cfg.t2_s
            self._arm(out, TxInput.TIMER_E, now_s, self._e_s)
        elif step is TxStep.ARM_G:
            self._g_s = cfg.t1_s
            self._arm(out, TxInput.TIMER_G, now_s, self._g_s)
        elif step is TxStep.DOUBLE_G:
            self._g_s = min(2 * self._g_s, cfg.t2_s)
            self._arm(out, TxInput.TIMER_G, now_s, self._g_s)

    def _wait_timer(self, step: TxStep, reliable: bool) -> tuple[TxInput, float]:
        timer, delay = _WAIT_TIMERS[step]
        return timer, 0.0 if reliable and timer in _RELIABLE_ZERO else delay(self.config)

    def _trying(self) -> SipResponse:
        return make_response(self.request, 100)


_RETRANSMIT_STEPS = frozenset([TxStep.ARM_A, TxStep.DOUBLE_A, TxStep.ARM_E, TxStep.DOUBLE_E,
                               TxStep.E_AT_T2, TxStep.ARM_G, TxStep.DOUBLE_G])
_ZERO_OK = frozenset([TxInput.TIMER_D, TxInput.TIMER_K, TxInput.TIMER_I, TxInput.TIMER_J,
                      TxInput.TIMER_TRYING])
_RELIABLE_ZERO = frozenset([TxInput.TIMER_D, TxInput.TIMER_K, TxInput.TIMER_I, TxInput.TIMER_J])


def _timeout_s(cfg: TimerConfig) -> float:
    return cfg.timeout_s


#: wait step -> (its timer, its delay over an unreliable transport); over a reliable one
#: D, K, I and J are zero (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2)
_WAIT_TIMERS: dict[TxStep, tuple[TxInput, Callable[[TimerConfig], float]]] = {
    TxStep.ARM_B: (TxInput.TIMER_B, _timeout_s),
    TxStep.ARM_D: (TxInput.TIMER_D, lambda cfg: max(32.0, cfg.timeout_s / 2)),
    TxStep.ARM_F: (TxInput.TIMER_F, _timeout_s),
    TxStep.ARM_K: (TxInput.TIMER_K, lambda cfg: cfg.t4_s),
    TxStep.ARM_H: (TxInput.TIMER_H, _timeout_s),
    TxStep.ARM_I: (TxInput.TIMER_I, lambda cfg: cfg.t4_s),
    TxStep.ARM_J: (TxInput.TIMER_J, _timeout_s),
    TxStep.ARM_L: (TxInput.TIMER_L, _timeout_s),
    TxStep.ARM_M: (TxInput.TIMER_M, _timeout_s),
    TxStep.ARM_TRYING: (TxInput.TIMER_TRYING, lambda cfg: cfg.trying_delay_s),
}
