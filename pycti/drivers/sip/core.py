"""The SIP driver's shared state and plumbing: the user agent's output to the wire, driver
events to the switch, and putting calls on and off ports.

:class:`DriverCore` is the base of :class:`~.driver.SipDriver`: it holds the port table
(:class:`~.ports.PortTable`), the sans-I/O :class:`~pycti.sip.session_agent.UserAgent`, the
transports and the RTP pump.  :meth:`DriverCore._flush` drains the user agent: its
:class:`~pycti.sip.transaction_table.Transmit` actions are sent at once (RFC 3261 §18.1.1,
§18.2.2: over the transport the destination names), a send that fails is reported back to the
user agent (its transaction fails, §8.1.3.1), and its other events go to
:meth:`DriverCore._on_ua` (:mod:`.ua_events`).  Driver events are queued for ``poll()``, at
most :data:`EVENTS_MAX` (beyond, the oldest are dropped and counted for ``EventsLost``).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque

from ...clock import RealClock
from ...sip.digest import UserCredentials
from ...sip.sdp import OfferAnswerStateError, SdpError
from ...sip.session_agent import UserAgent
from ...sip.session_events import UaError, UaEvent
from ...sip.message import SipMessage
from ...sip.timers import Destination
from ...sip.transaction_table import Transmit
from ..base import DriverEvent, ReleaseCause, RequestRefused
from ..rtppump import RtpPump, RtpPumpConfig, RtpPumpError
from .calls import PortInput, PortState, next_state, status_of_cause
from .config import SipDriverConfig
from .media import PortMedia
from .rtcp_port import RtcpReaders
from .ports import PortTable
from .registrar_service import PhoneRegistrar
from .transport import TcpTransport, UdpTransport
from .trunk_health import TrunkHealth
from .trunk_registration import TrunkRegistration

__all__ = ["DriverCore", "EVENTS_MAX"]

#: Driver events kept for poll(); beyond, the oldest are dropped and EventsLost reported.
EVENTS_MAX = 10_000
#: How many rounds of draining the user agent one flush does at most (each round's events may
#: queue more output: a bound against a loop, far above what one input causes).
_FLUSH_ROUNDS = 1000


class DriverCore:
    """State shared by the SIP driver's parts, the user agent's output, port attach/detach."""

    def __init__(self, config: SipDriverConfig, *, pump_config: RtpPumpConfig | None = None) -> None:
        self.config = config
        self._pump_config = pump_config
        self._table = PortTable(config)
        self._rng = random.Random(config.seed)
        self.registrar: PhoneRegistrar | None = None  #: the phones' registrar (None without phones)
        if config.phones:
            self.registrar = PhoneRegistrar(config.realm, {p.extension: p.password for p in config.phones},
                                            self._rng, algorithms=config.digest_algorithms)
        self._authenticated: dict[str, str] = {}  #: Call-ID of a phone's INVITE -> extension
        self._events: deque[DriverEvent] = deque()
        self._lost = 0
        self._samples = 0
        self._transport: UdpTransport | None = None
        self._tcp: TcpTransport | None = None
        self._ua: UserAgent | None = None
        self._pump: RtpPump | None = None
        self._clock: RealClock | None = None
        self._closed = False
        self._registrations: dict[str, TrunkRegistration] = {}
        self._health: TrunkHealth | None = None
        self.rejected: dict[int, int] = {}  #: final status -> how many INVITEs we refused with it
        #: trunk port -> the number its far end was asked to call (our REFER under way)
        self._referring: dict[int, str] = {}
        #: trunk ports whose far end took the transfer: BYE at the next poll (after our 200
        #: to the NOTIFY has gone out)
        self._transferred: list[int] = []
        #: (due time, order, port, media) of the RTCP reports to send (see _run_rtcp)
        self._rtcp_due: list[tuple[float, int, int, PortMedia]] = []
        self._rtcp_order = itertools.count()
        self._rtcp_readers = RtcpReaders()  #: the calls' RTCP sockets, read each poll
        #: problems met while handling SIP events (kept, never raised into the switch's tick)
        self.errors: deque[str] = deque(maxlen=1000)

    # -- the user agent's events (ua_events) -------------------------------------------------
    def _on_ua(self, ev: UaEvent, source: Destination | None) -> None:
        """One user-agent event other than a Transmit (implemented by :mod:`.ua_events`)."""
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------
    def _now(self) -> float:
        return self._clock.now() if self._clock is not None else 0.0

    def _open_ua(self, port: int, request: str) -> UserAgent:
        if self._ua is None or self._closed:
            raise RequestRefused(port, request, "the SIP driver is not open")
        return self._ua

    def _check_port(self, port: int, request: str) -> None:
        n = len(self._table)
        if not isinstance(port, int) or not 0 <= port < n:
            raise RequestRefused(port, request, f"no SIP port {port!r} (0-{n - 1})")

    def _step(self, port: int, what: PortInput, request: str) -> None:
        call = self._table.calls.get(port)
        state = call.state if call is not None else PortState.IDLE
        if next_state(state, what) is None:
            raise RequestRefused(port, request, f"port is {state.value}")

    def _credentials(self, realm: str) -> UserCredentials | None:
        for t in self.config.trunks:
            if t.username is not None and t.password is not None and t.realm in (None, realm):
                return UserCredentials(t.username, t.password)
        return None

    def _emit(self, event: DriverEvent) -> None:
        if len(self._events) >= EVENTS_MAX:
            self._events.popleft()
            self._lost += 1
        self._events.append(event)

    def _run_timers(self, now: float) -> None:
        assert self._ua is not None
        deadline = self._ua.next_deadline_s()
        if deadline is not None and deadline <= now:
            self._ua.on_timer(now)
        for reg in self._registrations.values():
            reg.on_timer(now)
        self._flush(None)

    # -- ports -----------------------------------------------------------------------------
    def _new_media(self, port: int) -> PortMedia:
        assert self._pump is not None
        media = PortMedia(self._pump, port, self.config.media_host, self._rng, now_s=self._now(),
                          readers=self._rtcp_readers)
        if media.rtcp is not None:
            heapq.heappush(self._rtcp_due, (media.rtcp.due_s, next(self._rtcp_order), port, media))
        return media

    def _run_rtcp(self, now: float) -> None:
        """Send the RTCP reports due (a heap of due times: only ports with one due are touched)."""
        self._rtcp_readers.poll()
        heap = self._rtcp_due
        stats = None
        while heap and heap[0][0] <= now:
            _, _, port, media = heapq.heappop(heap)
            rtcp = media.rtcp
            if self._table.media.get(port) is not media or rtcp is None or rtcp.sock is None:
                continue  # the call ended: forget it
            if rtcp.remote is not None and self._pump is not None and self._pump.is_open(port):
                if stats is None:
                    stats = self._pump.stats()
                tx = self._pump.send_state(port)
                rtcp.report(now, ssrc=tx.ssrc, rtp_timestamp=tx.timestamp,
                            packets_sent=int(stats.packets_sent[port]), peer_ssrc=int(stats.ssrc[port]),
                            received=int(stats.received[port]), lost=int(stats.lost[port]),
                            extended_max=int(stats.extended_max[port]),
                            base_sequence=int(stats.base_sequence[port]), jitter=int(stats.jitter[port]))
            due = rtcp.due_s if rtcp.due_s > now else now + 1.0
            heapq.heappush(heap, (due, next(self._rtcp_order), port, media))

    def _attach(self, port: int, sid: int, state: PortState, media: PortMedia) -> None:
        self._table.attach(port, sid, state, media)

    def _detach(self, port: int, *, hangup: bool, cause: ReleaseCause = ReleaseCause.NORMAL) -> None:
        call, media = self._table.detach(port, self._samples)
        self._referring.pop(port, None)
        if media is not None:
            media.close()
        if call is None:
            return
        if self._ua is not None:
            session = self._ua.sessions.get(call.session_id)
            if session is not None:
                self._authenticated.pop(session.invite.call_id or "", None)
        if hangup and self._ua is not None:
            try:
                if call.state is PortState.OFFERED:
                    self._ua.reject(call.session_id, self._now(), status=status_of_cause(cause))
                else:
                    self._ua.hangup(call.session_id, self._now())
            except UaError:
                pass  # the session ended already
            self._flush(None)

    # -- to the wire -----------------------------------------------------------------------
    def _send(self, item: Transmit) -> bool:
        """Send on the transport the destination names (TCP when configured, else UDP)."""
        transport = self._tcp if item.dest.transport == "TCP" else self._transport
        return transport is not None and transport.send(item)

    def _send_failed(self, message: SipMessage) -> None:
        """A TCP connection for ``message`` could not be opened: its transaction fails."""
        if self._ua is not None and not self._closed:
            self._ua.send_failed(message, self._now())
            self._flush(None)

    def _flush(self, source: Destination | None) -> None:
        ua = self._ua
        if ua is None or self._transport is None:
            return
        for _ in range(_FLUSH_ROUNDS):
            out = ua.drain()
            if not out:
                return
            for item in out:
                if isinstance(item, Transmit):
                    if not self._send(item):
                        ua.send_failed(item.message, self._now())
                else:
                    try:
                        self._on_ua(item, source)
                    except (UaError, SdpError, OfferAnswerStateError, RtpPumpError) as exc:
                        # never out of poll() or a datagram callback (docs/drivers.md)
                        self.errors.append(f"{type(item).__name__}: {exc}")
