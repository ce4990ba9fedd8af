"""The SIP transaction layer: creating transactions, matching messages to them, timers.

RFC 3261 §17.1.3 (a response matches the client transaction whose branch is the top Via's and
whose method is the CSeq's), §17.2.3 (a request matches the server transaction with the same
branch, sent-by and method, ACK matching INVITE; CANCEL is a transaction of its own, and
:meth:`TransactionLayer.find_invite_for` finds the INVITE it cancels, §9.2), §18.1.2 (a
response whose top Via sent-by is not ours is dropped), §18.2.1 (``received``; RFC 3581
``rport``) and §18.2.2 (where a server sends its responses).  Requests without the RFC 3261
magic cookie (RFC 2543 peers) are not matched to transactions by the §17.2.3 fallback rules:
each is passed to the TU as a new request.

Sans-I/O: messages and ``now_s`` in; :meth:`TransactionLayer.drain` returns
:class:`Transmit` (a message and where to send it) and the TU events :class:`IncomingRequest`,
:class:`IncomingResponse`, :class:`TransactionFailed`, :class:`StrayResponse`.  Timers are
kept in a :class:`~pycti.sip.timers.TimerWheel`: :meth:`TransactionLayer.next_deadline_s` says
when to call :meth:`TransactionLayer.on_timer` next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Union

from pycti.sip.header_values import Via, split_commas
from pycti.sip.headers import Headers
from pycti.sip.message import SipMessage, SipRequest, SipResponse
from pycti.sip.timers import Destination, SipConfigError, TimerConfig, TimerWheel
from pycti.sip.transaction import (
    TIMER_INPUTS, Transaction, TxAction, TxArm, TxDeliver, TxFailed, TxKind, TxSend,
)

__all__ = [
    "TxKey", "Transmit", "IncomingRequest", "IncomingResponse", "TransactionFailed",
    "StrayResponse", "LayerOutput", "TransactionLayer", "client_key", "server_key",
    "replace_top_via", "response_destination", "stamp_via",
]

MAGIC_COOKIE = "z9hG4bK"


class TxKey(NamedTuple):
    """Identifies a transaction: branch, sent-by (servers only) and method (ACK -> INVITE).

    A named tuple, not a dataclass: it keys the transaction and timer dicts, several lookups
    per message, and a tuple hashes and compares in C."""

    branch: str
    method: str
    sent_by: str = ""
    server: bool = False


@dataclass(frozen=True, slots=True)
class Transmit:
    """Send ``message`` to ``dest``; :attr:`data` is its wire form."""

    message: SipMessage
    dest: Destination

    @property
    def data(self) -> bytes:
        """The serialized message."""
        return self.message.to_bytes()


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """A new request (or an ACK/request no transaction absorbs) for the TU.

    ``key`` is its server transaction (``None`` for ACK, which has none); ``source`` where it
    came from; the top Via carries ``received``/``rport`` as §18.2.1 / RFC 3581 add them.
    """

    request: SipRequest
    key: TxKey | None
    source: Destination


@dataclass(frozen=True, slots=True)
class IncomingResponse:
    """A response the client transaction ``key`` passes to the TU."""

    response: SipResponse
    key: TxKey
    request: SipRequest


@dataclass(frozen=True, slots=True)
class TransactionFailed:
    """Transaction ``key`` ended on a timeout (B, F, H) or transport error (§17.1.4)."""

    key: TxKey
    request: SipRequest
    reason: str


@dataclass(frozen=True, slots=True)
class StrayResponse:
    """A response matching no transaction (e.g. a 2xx retransmission after Timer M)."""

    response: SipResponse


LayerOutput = Union[Transmit, IncomingRequest, IncomingResponse, TransactionFailed, StrayResponse]


def client_key(message: SipMessage) -> TxKey | None:
    """The §17.1.3 key of a request we send or a response we receive."""
    via = message.top_via()
    cseq = message.cseq()
    if via is None or cseq is None or via.branch is None:
        return None
    return TxKey(via.branch, cseq.method)


def server_key(request: SipRequest) -> TxKey | None:
    """The §17.2.3 key of a received request, ``None`` without a magic-cookie branch."""
    via = request.top_via()
    if via is None or not via.is_rfc3261_branch:
        return None
    assert via.branch is not None
    method = "INVITE" if request.method == "ACK" else request.method
    return TxKey(via.branch, method, via.sent_by.lower(), True)


def replace_top_via(message: SipRequest, via: Via) -> SipRequest:
    """``message`` with its topmost Via value replaced by ``via`` (other Vias untouched)."""
    fields: list[tuple[str, str]] = []
    done = False
    for name, value in message.headers.fields:
        if name == "Via" and not done:
            parts = split_commas(value)
            parts[0] = str(via)
            value = ", ".join(p.strip() for p in parts)
            done = True
        fields.append((name, value))
    return SipRequest(message.method, message.uri, Headers(fields), message.body)


def stamp_via(request: SipRequest, source: Destination) -> SipRequest:
    """Add ``received`` (§18.2.1) and fill ``rport`` (RFC 3581 §4) from the source address."""
    via = request.top_via()
    if via is None:
        return request
    new = via
    if via.host_address != source.host or via.rport is True:
        new = new.with_param("received", source.host)
    if via.rport is True:
        new = new.with_param("rport", str(source.port))
    return request if new is via else replace_top_via(request, new)


def response_destination(request: SipRequest, source: Destination) -> Destination:
    """Where the responses to ``request`` go (RFC 3261 §18.2.2, RFC 3581 §4)."""
    via = request.top_via()
    if via is None or source.reliable:
        return source
    rport = via.rport
    port = rport if isinstance(rport, int) and not isinstance(rport, bool) else (via.port or 5060)
    host = via.received or via.maddr or via.host_address
    if host == source.host and port == source.port:
        return source  # the usual case: the responses go back where the request came from
    try:
        return Destination(host, port, source.transport)
    except SipConfigError:
        return source


class TransactionLayer:
    """All client and server transactions of one UA, their timers and the matching rules.

    ``local_sent_by`` are the ``host:port`` values our Via headers carry (§18.1.2 drops
    responses naming another).  An empty set accepts every response.
    """

    def __init__(self, config: TimerConfig = TimerConfig(), *,
                 local_sent_by: frozenset[str] = frozenset()) -> None:
        self.config = config
        self.local_sent_by = frozenset(s.lower() for s in local_sent_by)
        self._txns: dict[TxKey, Transaction] = {}
        self._timers = TimerWheel()
        self._out: list[LayerOutput] = []
        self._source: dict[TxKey, Destination] = {}

    # -- inspection -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._txns)

    def get(self, key: TxKey) -> Transaction | None:
        """The live transaction ``key``, or ``None``."""
        return self._txns.get(key)

    def next_deadline_s(self) -> float | None:
        """When :meth:`on_timer` must next be called, or ``None``."""
        return self._timers.next_s()

    def drain(self) -> list[LayerOutput]:
        """Return and forget the outputs collected since the last call."""
        out, self._out = self._out, []
        return out

    # -- TU side ----------------------------------------------------------------------

    def send_request(self, request: SipRequest, dest: Destination, now_s: float) -> TxKey:
        """Start a client transaction for ``request`` (not ACK) towards ``dest``."""
        key = client_key(request)
        if key is None or request.method == "ACK":
            raise SipConfigError(f"{request.method} needs a top Via with a branch and no ACK: "
                                 f"{request.headers.get('Via')!r}")
        if key in self._txns:
            raise SipConfigError(f"branch {key.branch!r} is already in use for {key.method}")
        kind = TxKind.INVITE_CLIENT if request.method == "INVITE" else TxKind.NON_INVITE_CLIENT
        txn = Transaction(kind, request, dest, self.config)
        self._txns[key] = txn
        self._apply(key, txn, txn.start(now_s))
        return key

    def send_response(self, key: TxKey, response: SipResponse, now_s: float) -> bool:
        """Send ``response`` through server transaction ``key``; False if it has ended."""
        txn = self._txns.get(key)
        if txn is None or not key.server:
            return False
        self._apply(key, txn, txn.handle(response, now_s))
        return True

    def transport_error(self, key: TxKey, now_s: float) -> None:
        """The transport failed to deliver a message of ``key`` (§17.1.4, §17.2.4)."""
        txn = self._txns.get(key)
        if txn is not None:
            self._apply(key, txn, txn.transport_error(now_s))

    def abandon(self, key: TxKey) -> None:
        """Destroy transaction ``key`` without a final response (RFC 3261 §9.1: an INVITE
        still unanswered 64*T1 after its CANCEL)."""
        txn = self._txns.pop(key, None)
        self._source.pop(key, None)
        if txn is not None:
            for timer in TIMER_INPUTS:
                self._timers.cancel((key, timer))

    def find_invite_for(self, cancel: SipRequest) -> TxKey | None:
        """The INVITE server transaction a CANCEL (or ACK) names (§9.2, §17.2.3)."""
        key = server_key(cancel)
        if key is None:
            return None
        invite = TxKey(key.branch, "INVITE", key.sent_by, True)
        return invite if invite in self._txns else None

    # -- network side -----------------------------------------------------------------

    def receive(self, message: SipMessage, source: Destination, now_s: float) -> None:
        """Feed a message that arrived from ``source``."""
        if isinstance(message, SipResponse):
            self._receive_response(message, now_s)
        else:
            self._receive_request(message, source, now_s)

    def _receive_response(self, response: SipResponse, now_s: float) -> None:
        via = response.top_via()
        if via is None:
            return
        if self.local_sent_by and via.sent_by.lower() not in self.local_sent_by:
            return  # §18.1.2: not ours
        key = client_key(response)
        txn = None if key is None else self._txns.get(key)
        if key is None or txn is None:
            self._out.append(StrayResponse(response))
            return
        self._apply(key, txn, txn.handle(response, now_s))

    def _receive_request(self, request: SipRequest, source: Destination, now_s: float) -> None:
        request = stamp_via(request, source)
        key = server_key(request)
        txn = None if key is None else self._txns.get(key)
        if txn is not None and key is not None:
            if request.method == "ACK" and txn.kind is not TxKind.INVITE_SERVER:
                return
            self._apply(key, txn, txn.handle(request, now_s))
            return
        if request.method == "ACK" or key is None:
            self._out.append(IncomingRequest(request, None, source))
            return
        kind = TxKind.INVITE_SERVER if request.method == "INVITE" else TxKind.NON_INVITE_SERVER
        txn = Transaction(kind, request, response_destination(request, source), self.config)
        self._txns[key] = txn
        self._source[key] = source
        self._apply(key, txn, txn.start(now_s))

    def on_timer(self, now_s: float) -> None:
        """Fire every transaction timer due at ``now_s``."""
        for due in self._timers.pop_due(now_s):
            assert isinstance(due, tuple)
            key, timer = due
            txn = self._txns.get(key)
            if txn is not None:
                self._apply(key, txn, txn.fire(timer, now_s))

    # -- plumbing ---------------------------------------------------------------------

    def _apply(self, key: TxKey, txn: Transaction, actions: list[TxAction]) -> None:
        for action in actions:
            if isinstance(action, TxSend):
                self._out.append(Transmit(action.message, action.dest))
            elif isinstance(action, TxArm):
                self._timers.set((key, action.timer), action.at_s)
            elif isinstance(action, TxDeliver):
                msg = action.message
                if isinstance(msg, SipResponse):
                    self._out.append(IncomingResponse(msg, key, txn.request))
                else:
                    src = self._source.get(key, txn.dest)
                    self._out.append(IncomingRequest(msg, None if msg.method == "ACK" else key,
                                                     src))
            elif isinstance(action, TxFailed):
                self._out.append(TransactionFailed(key, txn.request, action.reason))
        if txn.terminated:
            self._txns.pop(key, None)
            self._source.pop(key, None)
            for timer in TIMER_INPUTS:
                self._timers.cancel((key, timer))
