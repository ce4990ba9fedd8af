"""State and message-building helpers shared by the SIP user agent core's parts.

The core is split by concern: this base (state, Via/Contact/response building, sending in
and out of dialogs, digest retries, timers), :mod:`pycti.sip.session_calls` (the call and
re-INVITE machines' steps, 2xx and reliable-provisional retransmission, session timers) and
:mod:`pycti.sip.session_agent` (the public API and the dispatch of what arrives).

Digest retries (RFC 3261 §22.2, §8.1.3.5): a 401/407 to a request we sent is fed to the
:class:`~pycti.sip.digest.DigestClient`; when it can answer, the request goes again with the
same Call-ID and tags, a higher CSeq, a new branch and the ``Authorization`` /
``Proxy-Authorization`` fields.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any

from pycti.sip.dialog import Dialog, DialogId, new_branch
from pycti.sip.digest import DigestClient
from pycti.sip.header_values import NameAddr, parse_via
from pycti.sip.message import SipRequest, SipResponse, make_response
from pycti.sip.session import Session
from pycti.sip.session_events import (
    SUPPORTED_EXTENSIONS, Cancelled, Ended, Failed, Output, UaConfig, UaError, UaEvent,
)
from pycti.sip.table_enum import TableEnum
from pycti.sip.timers import Destination, TimerWheel
from pycti.sip.transaction_table import TransactionLayer, Transmit, TxKey, replace_top_via
from pycti.sip.uri import SipUri

__all__ = ["Purpose", "Pending", "AgentBase", "ALLOW", "KeepAlive", "GenericRequest"]

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, REFER, NOTIFY"
"""Methods we accept (Allow, §20.5)."""


class Purpose(TableEnum):
    """What a client transaction of ours is for."""

    INVITE = "invite"
    REINVITE = "reinvite"
    BYE = "bye"
    CANCEL = "cancel"
    PRACK = "prack"
    REFER = "refer"
    NOTIFY = "notify"
    UPDATE = "update"
    OPTIONS = "options"
    REQUEST = "request"
    FORK_BYE = "fork-bye"
    OFFER_UPDATE = "offer-update"  # an UPDATE carrying an SDP offer


@dataclass(frozen=True, slots=True)
class Pending:
    """The owner (session, keep-alive or request id) and purpose of a client transaction."""

    owner: int
    purpose: Purpose
    dest: Destination


@dataclass(eq=False)
class KeepAlive:
    """An OPTIONS keep-alive: in a session's dialog or towards a URI."""

    keepalive_id: int
    interval_s: float
    session_id: int | None
    target: str | None
    dest: Destination | None
    failed: bool = False


@dataclass(eq=False)
class GenericRequest:
    """A request sent with ``send_request`` (REGISTER, MESSAGE ...)."""

    request_id: int
    request: SipRequest
    dest: Destination


class AgentBase:
    """The state of a UA core and the helpers its parts share."""

    def __init__(self, config: UaConfig, *, rng: random.Random,
                 digest: DigestClient | None = None) -> None:
        self.config = config
        self.rng = rng
        self.digest = digest
        self.layer = TransactionLayer(config.timers,
                                      local_sent_by=frozenset([self._sent_by()]))
        self.timers = TimerWheel()
        self.sessions: dict[int, Session] = {}
        self.keepalives: dict[int, KeepAlive] = {}
        self.requests: dict[int, GenericRequest] = {}
        self._out: list[Output] = []
        self._by_dialog: dict[DialogId, int] = {}
        self._by_server_key: dict[TxKey, int] = {}
        self._by_call_id: dict[str, int] = {}
        #: session id -> the (table, key) entries above that find it, dropped with it
        self._links: dict[int, list[tuple[dict[Any, int], Any]]] = {}
        self._pending: dict[TxKey, Pending] = {}
        self._ids = itertools.count(1)
        self._now_s = 0.0
        #: (config, Contact text, capability fields) built from that config, reused while it is the same
        self._built: tuple[UaConfig, str, tuple[tuple[str, str], ...]] | None = None

    # -- output -----------------------------------------------------------------------

    def drain(self) -> list[Output]:
        """Return and forget everything to send and every event since the last call."""
        self._pump(self._now_s)
        out, self._out = self._out, []
        return out

    def _pump(self, now_s: float) -> None:
        """Route what the transaction layer produced (the agent implements it)."""
        raise NotImplementedError

    def emit(self, event: UaEvent) -> None:
        """Queue an event for :meth:`drain`.  An ended (failed, cancelled) session is forgotten
        64*T1 later (after
        the retransmissions of its last transactions), so a long-running agent does not keep
        every call it ever had."""
        self._out.append(event)
        if isinstance(event, (Ended, Failed, Cancelled)):
            self.arm(event.session_id, "forget", self._now_s + self.config.timers.timeout_s)

    def forget_session(self, session_id: int) -> None:
        """Drop an ended session and the ways to find it."""
        if self.sessions.pop(session_id, None) is None:
            return
        for table, key in self._links.pop(session_id, ()):
            if table.get(key) == session_id:  # (not a later session's entry under the same key)
                del table[key]

    def link(self, table: dict[Any, int], key: Any, session_id: int) -> None:
        """``table[key] = session_id`` (a dialog id, Call-ID or server transaction key that finds
        the session), undone by :meth:`forget_session` without a scan of the table."""
        table[key] = session_id
        self._links.setdefault(session_id, []).append((table, key))

    def transmit(self, message: SipRequest | SipResponse, dest: Destination) -> None:
        """Send a message outside any transaction (ACK for 2xx, 2xx retransmissions)."""
        self._out.append(Transmit(message, dest))

    def session(self, session_id: int) -> Session:
        """The session ``session_id``; :class:`UaError` if unknown."""
        s = self.sessions.get(session_id)
        if s is None:
            raise UaError(f"no session {session_id!r}")
        return s

    # -- building ---------------------------------------------------------------------

    def _sent_by(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{self.config.port}"

    def via(self) -> str:
        """A new top Via with a fresh branch and ``rport`` (RFC 3581)."""
        return (f"SIP/2.0/{self.config.transport} {self._sent_by()};"
                f"branch={new_branch(self.rng)};rport")

    def contact(self) -> NameAddr:
        """Our Contact (with ``transport`` for non-UDP)."""
        cfg = self.config
        params: tuple[tuple[str, str | None], ...] = ()
        if cfg.transport != "UDP":
            params = (("transport", cfg.transport.lower()),)
        host = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
        return NameAddr(None, SipUri("sip", cfg.user, host, cfg.port, params=params))

    def local_uri(self) -> NameAddr:
        """Our address of record for From (out of dialog)."""
        cfg = self.config
        host = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
        return NameAddr(cfg.display_name, SipUri("sip", cfg.user, host, cfg.port))

    def _from_config(self) -> tuple[UaConfig, str, tuple[tuple[str, str], ...]]:
        """Our Contact as text and :meth:`capability_fields`, built once per config."""
        built = self._built
        if built is None or built[0] is not self.config:
            cfg = self.config
            supported = [t for t in SUPPORTED_EXTENSIONS if t != "100rel" or cfg.support_100rel]
            built = self._built = (cfg, str(self.contact()), (
                ("Allow", ALLOW), ("Supported", ", ".join(supported)), ("User-Agent", cfg.user_agent)))
        return built

    def capability_fields(self) -> tuple[tuple[str, str], ...]:
        """Allow, Supported and User-Agent."""
        return self._from_config()[2]

    def response(self, request: SipRequest, status: int, *, to_tag: str | None,
                 contact: bool = False, extra: tuple[tuple[str, str], ...] = (),
                 body: bytes = b"", content_type: str | None = None) -> SipResponse:
        """A response to ``request`` with our tag, Contact when asked (§12.1.1)."""
        if contact:
            extra = (("Contact", self._from_config()[1]),) + extra
        return make_response(request, status, to_tag=to_tag, extra=extra, body=body,
                             content_type=content_type if body else None)

    def respond(self, key: TxKey | None, request: SipRequest, status: int, now_s: float, *,
                to_tag: str | None = None, contact: bool = False,
                extra: tuple[tuple[str, str], ...] = (), body: bytes = b"",
                content_type: str | None = None) -> SipResponse:
        """Build and send a response through server transaction ``key``."""
        resp = self.response(request, status, to_tag=to_tag, contact=contact, extra=extra,
                             body=body, content_type=content_type)
        if key is not None:
            self._now_s = now_s
            self.layer.send_response(key, resp, now_s)
        return resp

    def send_in_dialog(self, session_id: int, dialog: Dialog, method: str, purpose: Purpose,
                       now_s: float, *, extra: tuple[tuple[str, str], ...] = (),
                       body: bytes = b"", content_type: str | None = None,
                       contact: bool = False) -> TxKey:
        """Send ``method`` in ``dialog`` with the next local CSeq as a client transaction."""
        cseq = dialog.next_cseq(self.rng)
        request = dialog.request(method, cseq=cseq, via=self.via(),
                                 contact=self.contact() if contact else None, extra=extra,
                                 body=body, content_type=content_type if body else None)
        return self.send_request_txn(request, dialog.destination(), session_id, purpose, now_s)

    def send_request_txn(self, request: SipRequest, dest: Destination, owner: int,
                         purpose: Purpose, now_s: float) -> TxKey:
        """Start a client transaction and remember who it belongs to."""
        self._now_s = now_s
        key = self.layer.send_request(request, dest, now_s)
        self._pending[key] = Pending(owner, purpose, dest)
        return key

    def auth_retry(self, request: SipRequest, response: SipResponse,
                   dialog: Dialog | None) -> SipRequest | None:
        """The request to send again answering a 401/407, or ``None`` (§22.2)."""
        if self.digest is None or response.status not in (401, 407):
            return None
        name = "WWW-Authenticate" if response.status == 401 else "Proxy-Authenticate"
        result = self.digest.on_challenge(response.status, response.headers.get_all(name))
        if not result.retry:
            return None
        cseq = request.cseq()
        assert cseq is not None
        seq = dialog.next_cseq(self.rng) if dialog is not None else cseq.seq + 1
        new = request.without_header("Authorization").without_header("Proxy-Authorization")
        new = new.with_replaced_header("CSeq", f"{seq} {request.method}")
        new = replace_top_via(new, parse_via(self.via()))
        for header in self.digest.authorization(request.method, str(request.uri), request.body):
            new = new.with_header(header.name, header.value)
        return new

    def auth_accepted(self, status: int) -> None:
        """Tell the digest client a final response other than 401/407 came."""
        if self.digest is not None and status >= 200 and status not in (401, 407):
            self.digest.accepted()

    # -- timers -----------------------------------------------------------------------

    def arm(self, owner: int, name: str, at_s: float) -> None:
        """Arm the core timer ``(owner, name)``."""
        self.timers.set((owner, name), at_s)

    def disarm(self, owner: int, name: str) -> None:
        """Disarm the core timer ``(owner, name)``."""
        self.timers.cancel((owner, name))

    def next_deadline_s(self) -> float | None:
        """When ``on_timer`` must next be called (transaction or core timers), or ``None``."""
        times = [t for t in (self.layer.next_deadline_s(), self.timers.next_s()) if t is not None]
        return min(times) if times else None

    def new_id(self) -> int:
        """A fresh id for a session, keep-alive or request."""
        return next(self._ids)

    def register_dialog(self, session: Session, dialog: Dialog) -> None:
        """Make in-dialog requests of ``dialog`` find ``session``."""
        self.link(self._by_dialog, dialog.id, session.session_id)
