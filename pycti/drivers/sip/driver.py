"""The SIP driver: SIP trunks and phones as ports of pycti's switch, over UDP and TCP, RTP in the C pump.

:class:`SipDriver` implements :class:`pycti.drivers.base.Driver`.  Each configured trunk gives
``channels`` trunk ports (named ``<trunk>-<n>``, group = the trunk's name), then each phone
one station port named by its extension; port ``p`` uses channel ``p`` of one
:class:`~pycti.drivers.rtppump.RtpPump` while it has a call.

Signalling is the sans-I/O :class:`~pycti.sip.session_agent.UserAgent`: datagrams from the
:class:`~.transport.UdpTransport` go to :meth:`UserAgent.receive` as they arrive (RFC 3261
§18.2.1), its timers run from :meth:`SipDriver.poll` (once per 20 ms tick, so timer A/E/G
resolution is a tick), and its :class:`~pycti.sip.transaction_table.Transmit` actions are
sent at once.  How its events become driver events is :data:`.calls.PORT_TABLE`:

* an INVITE from a trunk (its host:port, or an ``ip_auth`` address) -> 180 and :class:`IncomingCall`
  (caller from P-Asserted-Identity or From, RFC 3325; called = the Request-URI user); else 403; a DNIS the trunk may not deliver 404; no free channel 503; an SDP offer without
  PCMU/PCMA 488 (RFC 3264 §6); the switch's answer -> 200 with our SDP answer; CANCEL ->
  :class:`Released`; BYE -> :class:`Released` (NORMAL); the switch's release -> BYE, or the
  final status of :func:`.calls.status_of_cause` before the answer;
* :meth:`SipDriver.dial` -> INVITE with an SDP offer to the trunk; 180 -> :class:`Alerting`,
  2xx -> :class:`Answered` (ACK sent by the core), a failure -> :class:`Released` with
  :func:`.calls.cause_of_status`; 401/407 are answered with the trunk's credentials
  (RFC 3261 §22.2); the switch's release before the answer -> CANCEL (§9.1);
* :meth:`SipDriver.set_media_direction` -> re-INVITE with a sendonly/sendrecv offer (RFC 3264 §8.4);
* phones (:mod:`.registrar_service`): REGISTER answered by the digest-checking registrar;
  an INVITE from a non-trunk address must carry the phone's credentials (401, 403); an
  authenticated one is answered at once (the phone is off hook) and reported as
  :class:`Seized` + :class:`DigitsReceived` (the Request-URI user) for the dial plan; its BYE
  -> :class:`Released`; :meth:`SipDriver.ring` -> INVITE to the registered contact, its 2xx
  -> :class:`Answered`, :meth:`SipDriver.stop_ring` -> CANCEL;
* trunks: a ``register`` trunk keeps a registration with its carrier
  (:mod:`.trunk_registration`: 401/407 answered, refreshed before expiry, back-off after a
  failure, ``Expires: 0`` on close; :meth:`SipDriver.trunk_registered`); a ``keepalive_s``
  trunk is sent OPTIONS (:mod:`.trunk_health`) and, while it leaves them unanswered, its
  channels refuse :meth:`SipDriver.dial`; a ``tcp`` trunk is sent to over one TCP connection
  (:class:`~.transport.TcpTransport`, also listening when ``SipDriverConfig.tcp``), whose
  frames go the way datagrams do;
* RTP goes to the SDP address until a valid packet comes from another one, then there
  (symmetric RTP latching, RFC 4961, :class:`~pycti.rtp.latch.SymmetricRtpLatch`);
* RFC 4733 events -> :class:`DigitsReceived`; :meth:`SipDriver.send_digits` sends RFC 4733
  when the peer accepted telephone-event, else returns False (the switch plays DTMF in band).

``has_dsp`` is False on every SIP port: whether a call carries RFC 4733 is negotiated per
call, but ``has_dsp`` is fixed per port, so the switch keeps its in-band DTMF detector on SIP
ports for peers without telephone-event, and RFC 4733 digits arrive as ``DigitsReceived``
beside it (a sender of RFC 4733 replaces the tone's audio with events, RFC 4733 §2.5.1.2, so
one key press is not reported twice).
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from urllib.parse import quote

import numpy as np

from ...clock import Clock, RealClock
from ...sip.digest import DigestClient, UserCredentials
from ...sip.sdp import OfferAnswerState, OfferAnswerStateError, SdpError
from ...sip.session_agent import UserAgent
from ...sip.session_events import (
    Answered as SipAnswered, Cancelled, Confirmed, Ended, Failed, IncomingInvite, KeepAliveFailed,
    KeepAliveRestored, ReinviteAnswered, ReinviteFailed, ReinviteReceived, RequestCompleted,
    RequestFailed, Ringing, SessionProgress, UaConfig, UaError, UaEvent,
)
from ...sip.dialog import new_tag
from ...sip.message import SipMessage, SipRequest
from ...sip.message_errors import SipParseError
from ...sip.message_framing import judge_datagram
from ...sip.register_client import RegState
from ...sip.timers import Destination, TimerConfig
from ...sip.transaction_table import Transmit
from ..base import (
    Alerting, Answered, CallerIdentity, DigitsReceived, DriverEvent, EventsLost, IncomingCall,
    MediaDirection, PortInfo, PortKind, Released, ReleaseCause, RequestRefused, Seized,
)
from ..rtppump import FRAME_SAMPLES, PumpStats, RtpPump, RtpPumpConfig, RtpPumpError, SideKind
from .calls import (
    PortCall, PortInput, PortState, called_of, caller_of, cause_of_status, next_state,
    status_of_cause,
)
from .config import SipDriverClosedError, SipDriverConfig, SipTrunkConfig
from .media import PortMedia
from .registrar_service import PhoneRegistrar
from .transport import TcpTransport, TransportStats, UdpTransport
from .trunk_health import TrunkHealth
from .trunk_registration import TrunkRegistration, TrunkRegistrationStatus

__all__ = ["SipDriver", "EVENTS_MAX"]

#: Driver events kept for poll(); beyond, the oldest are dropped and EventsLost reported.
EVENTS_MAX = 10_000
#: aclose() waits at most this many 20 ms ticks for the answers to our unregistering REGISTERs
_UNREGISTER_TICKS = 50
_DIALLABLE = frozenset("0123456789*#+")


class SipDriver:
    """SIP trunks as switch ports (see the module docstring)."""

    def __init__(self, config: SipDriverConfig, *, pump_config: RtpPumpConfig | None = None) -> None:
        self.config = config
        self._pump_config = pump_config
        self._ports: list[PortInfo] = []
        self._trunk_of: list[SipTrunkConfig | None] = []
        for trunk in config.trunks:
            for i in range(trunk.channels):
                self._ports.append(PortInfo(port=len(self._ports), kind=PortKind.TRUNK, has_dsp=False,
                                            name=f"{trunk.name}-{i + 1}", group=trunk.name))
                self._trunk_of.append(trunk)
        self._station_of: dict[str, int] = {}
        for phone in config.phones:
            self._station_of[phone.extension] = len(self._ports)
            self._ports.append(PortInfo(port=len(self._ports), kind=PortKind.STATION, has_dsp=False,
                                        name=phone.extension))
            self._trunk_of.append(None)
        self._rng = random.Random(config.seed)
        self.registrar: PhoneRegistrar | None = None  #: the phones' registrar (None without phones)
        if config.phones:
            self.registrar = PhoneRegistrar(config.realm, {p.extension: p.password for p in config.phones},
                                            self._rng, algorithms=config.digest_algorithms)
        self._authenticated: dict[str, str] = {}  #: Call-ID of a phone's INVITE -> extension
        self._calls: dict[int, PortCall] = {}
        self._freed: dict[int, int] = {}  # port -> sample clock when it was last freed (reuse the oldest)
        self._media: dict[int, PortMedia] = {}
        self._port_of_session: dict[int, int] = {}
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
        #: problems met while handling SIP events (kept, never raised into the switch's tick)
        self.errors: deque[str] = deque(maxlen=1000)

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> SipDriver:
        cfg = self.config
        self._clock = RealClock()
        self._transport = UdpTransport(cfg.listen_host, cfg.listen_port, self._on_datagram)
        port = await self._transport.open()
        if cfg.listens_tcp:
            self._tcp = TcpTransport(cfg.listen_host, port, self._on_datagram, self._send_failed)
            try:
                await self._tcp.open()
            except OSError:
                self._transport.close()
                raise
        self._ua = UserAgent(
            UaConfig(host=cfg.listen_host, port=port, user=cfg.user,
                     session_expires_s=cfg.session_expires_s,
                     timers=TimerConfig(t1_s=cfg.t1_s, t2_s=max(4.0, cfg.t1_s))),
            rng=self._rng, digest=DigestClient(self._credentials, self._rng.randbytes))
        self._pump = RtpPump(len(self._ports), self._pump_config)
        now = self._now()
        self._health = TrunkHealth(self._ua, cfg.trunks)
        self._health.start(now)
        for trunk in cfg.trunks:
            if trunk.register:
                self._registrations[trunk.name] = reg = TrunkRegistration(trunk, self._ua, self._rng)
                reg.start(now)
        self._flush(None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Hang up every call (BYE/CANCEL/480, sent once), close the sockets."""
        if self._closed:
            return
        for port in list(self._calls):
            self._detach(port, hangup=True)
        if self._health is not None:
            self._health.stop()
        for reg in self._registrations.values():  # RFC 3261 §10.2.2: remove our bindings
            reg.stop(self._now())
        self._flush(None)
        for _ in range(_UNREGISTER_TICKS):  # wait (bounded) for the registrars' answers
            if not any(r.client.state is RegState.UNREGISTERING for r in self._registrations.values()):
                break
            await asyncio.sleep(0.02)
            self._run_timers(self._now())
        self.close()

    def close(self) -> None:
        """Close the SIP socket and the RTP pump (idempotent)."""
        self._closed = True
        if self._transport is not None:
            self._transport.close()
        if self._tcp is not None:
            self._tcp.close()
        if self._pump is not None:
            self._pump.free()
            self._pump = None

    @property
    def sip_port(self) -> int:
        """The UDP port SIP listens on (after entering)."""
        if self._transport is None:
            raise SipDriverClosedError("the SIP driver is not open: enter it first (async with)")
        return self._transport.port

    def transport_stats(self) -> TransportStats:
        """How many SIP messages went out over UDP and TCP, and the TCP connections open."""
        udp, tcp = self._transport, self._tcp
        return TransportStats(udp_sent=udp.sent if udp else 0, udp_send_errors=udp.send_errors if udp else 0,
                              tcp_sent=tcp.sent if tcp else 0, tcp_send_errors=tcp.send_errors if tcp else 0,
                              tcp_connections=len(tcp.connections) if tcp else 0)

    def rtp_stats(self) -> PumpStats | None:
        """The pump's per-channel RTP counters (row = port), None when closed."""
        return self._pump.stats() if self._pump is not None else None

    def trunk_registered(self, name: str) -> bool:
        """Whether trunk ``name`` holds a registration with its carrier now."""
        reg = self._registrations.get(name)
        return reg is not None and reg.registered(self._now())

    def trunk_registration(self, name: str) -> TrunkRegistrationStatus | None:
        """Trunk ``name``'s registration state (None: the trunk does not register)."""
        reg = self._registrations.get(name)
        return None if reg is None else reg.status()

    def trunk_up(self, name: str) -> bool:
        """False while trunk ``name`` leaves its OPTIONS keep-alives unanswered."""
        return self._health is None or name not in self._health.down

    def registered(self, extension: str) -> bool:
        """Whether phone ``extension`` has a binding now."""
        return self.registrar is not None and self.registrar.contact(extension, self._now()) is not None

    def media_direction(self, port: int) -> str | None:
        """Port ``port``'s negotiated direction (ours: ``sendonly`` while we hold the peer,
        ``recvonly`` while it holds us), None without negotiated media."""
        media = self._media.get(port)
        if media is None or media.media is None or media.sdp.state is not OfferAnswerState.STABLE:
            return None
        return media.media.direction

    # ------------------------------------------------------------------ driver protocol
    def capacity(self) -> int:
        """One slot per trunk channel and per phone."""
        return len(self._ports)

    def ports(self) -> list[PortInfo]:
        """Trunk channels as trunk ports, then phones as station ports named by extension
        (``has_dsp`` False: see the module docstring)."""
        return list(self._ports)

    def media_clock(self) -> Clock | None:
        """Real time: RTP peers send 20 ms packets in wall time."""
        return self._clock

    def poll(self) -> list[DriverEvent]:
        """Run due SIP timers, read RFC 4733 events; every event since the last poll."""
        if self._ua is not None and not self._closed:
            now = self._now()
            self._run_timers(now)
            self._side_packets(now)
        out = list(self._events)
        self._events.clear()
        if self._lost:
            out.append(EventsLost(port=-1, sample=self._samples, count=self._lost))
            self._lost = 0
        return out

    def exchange(self, outbound: np.ndarray) -> np.ndarray:
        """One 20 ms frame both ways through the pump, for every port with a call."""
        pump = self._pump
        if pump is None or outbound.shape != (len(self._ports), FRAME_SAMPLES):
            return np.zeros_like(outbound)
        self._samples += FRAME_SAMPLES
        send = np.zeros(len(self._ports), dtype=np.bool_)
        heard = np.zeros(len(self._ports), dtype=np.bool_)
        for port, media in self._media.items():  # ports with a call only
            call = self._calls.get(port)
            talking = call is not None and call.state is PortState.TALKING
            covered = media.send_events()
            send[port] = talking and media.sending and not covered
            heard[port] = talking and media.receiving
        inbound, _ = pump.exchange(np.ascontiguousarray(outbound, dtype=np.int16), send)
        inbound[~heard] = 0
        return inbound

    # ------------------------------------------------------------------ requests
    def dial(self, port: int, number: str) -> None:
        """INVITE ``number`` at the port's trunk, offering PCMU/PCMA and telephone-event."""
        self._check_port(port, "dial")
        if not number or any(c not in _DIALLABLE for c in number) or "+" in number[1:]:
            raise RequestRefused(port, "dial", f"{number!r} is not a number (digits, *, #, a leading +)")
        trunk = self._trunk_of[port]
        if trunk is None:
            raise RequestRefused(port, "dial", "a SIP phone's port is a station, not a trunk")
        self._step(port, PortInput.DIAL, "dial")
        self._open_ua(port, "dial")  # refused when closed
        if not self.trunk_up(trunk.name):
            raise RequestRefused(port, "dial", f"trunk {trunk.name} is down (OPTIONS unanswered)")
        media = self._new_media(port)
        target = f"sip:{quote(number, safe='+*')}@{trunk.host}:{trunk.port}"
        dest = Destination(trunk.host, trunk.port, trunk.transport.upper())
        sid = self._invite(port, "dial", media, target, dest, ())
        self._attach(port, sid, PortState.DIALLING, media)
        self._flush(None)

    def answer(self, port: int) -> None:
        """200 OK with our SDP answer (or our offer, when the INVITE had none)."""
        self._check_port(port, "answer")
        call = self._calls.get(port)
        media = self._media.get(port)
        state = call.state if call is not None else PortState.IDLE
        if call is None or media is None or next_state(state, PortInput.ANSWER) is None:
            raise RequestRefused(port, "answer", f"nothing to answer ({state.value})")
        sdp = media.pending_answer if media.pending_answer is not None else media.make_offer()
        try:
            self._open_ua(port, "answer").answer(call.session_id, self._now(), sdp=sdp)
        except UaError as exc:
            raise RequestRefused(port, "answer", str(exc)) from exc
        call.state = PortState.TALKING
        self._flush(None)

    def release(self, port: int, cause: ReleaseCause = ReleaseCause.NORMAL) -> None:
        """BYE, CANCEL, or a final status for ``cause`` (no-op on an idle port)."""
        self._check_port(port, "release")
        if port in self._calls:
            self._detach(port, hangup=True, cause=cause)
            self._flush(None)

    def ring(self, port: int, caller: CallerIdentity | None = None) -> None:
        """INVITE the phone of station ``port`` at its registered contact (the caller in
        P-Asserted-Identity, RFC 3325); its 200 comes back as Answered."""
        self._check_port(port, "ring")
        ext = self._ports[port].name
        if self._trunk_of[port] is not None or ext is None or self.registrar is None:
            raise RequestRefused(port, "ring", "a SIP trunk port is not a station")
        self._step(port, PortInput.RING, "ring")
        self._open_ua(port, "ring")  # refused when closed
        contact = self.registrar.contact(ext, self._now())
        if contact is None:
            raise RequestRefused(port, "ring", f"phone {ext} is not registered")
        extra: tuple[tuple[str, str], ...] = ()
        if caller is not None and caller.number:
            name = f'"{caller.name}" ' if caller.name else ""
            extra = (("P-Asserted-Identity", f"{name}<sip:{quote(caller.number, safe='+*')}@{self.config.realm}>"),)
        media = self._new_media(port)
        sid = self._invite(port, "ring", media, contact[0], contact[1], extra)
        self._attach(port, sid, PortState.DIALLING, media)
        self._flush(None)

    def stop_ring(self, port: int) -> None:
        """CANCEL the INVITE ringing station ``port`` (no-op when it is not ringing)."""
        self._check_port(port, "stop_ring")
        call = self._calls.get(port)
        if call is not None and call.state is PortState.DIALLING and self._trunk_of[port] is None:
            self._detach(port, hangup=True)

    def send_digits(self, port: int, digits: str) -> bool:
        """Queue ``digits`` as RFC 4733 events; False when the call did not negotiate them."""
        self._check_port(port, "send_digits")
        media = self._media.get(port)
        call = self._calls.get(port)
        if media is None or call is None or call.state is not PortState.TALKING or not media.can_send(digits):
            return False
        for d in digits:
            media.sender.press(d)
        return True

    def set_media_direction(self, port: int, direction: MediaDirection) -> None:
        """re-INVITE offering ``direction`` (hold: sendonly; resume: sendrecv)."""
        self._check_port(port, "set_media_direction")
        call, media = self._calls.get(port), self._media.get(port)
        if call is None or media is None or next_state(call.state, PortInput.HOLD) is None:
            raise RequestRefused(port, "set_media_direction", "no call in progress")
        if media.sdp.local_direction == direction.value:
            return
        try:
            offer = media.make_offer(direction.value)
        except OfferAnswerStateError as exc:
            raise RequestRefused(port, "set_media_direction", str(exc)) from exc
        try:
            self._open_ua(port, "set_media_direction").reinvite(call.session_id, self._now(), sdp=offer)
        except UaError as exc:
            media.cancel_offer()
            raise RequestRefused(port, "set_media_direction", str(exc)) from exc
        self._flush(None)

    # ------------------------------------------------------------------ internals
    def _invite(self, port: int, request: str, media: PortMedia, target: str, dest: Destination,
                extra: tuple[tuple[str, str], ...]) -> int:
        try:
            return self._open_ua(port, request).invite(target, self._now(), sdp=media.make_offer(),
                                                       dest=dest, extra=extra)
        except (UaError, RequestRefused) as exc:
            media.close()
            raise RequestRefused(port, request, str(exc)) from exc

    def _run_timers(self, now: float) -> None:
        assert self._ua is not None
        deadline = self._ua.next_deadline_s()
        if deadline is not None and deadline <= now:
            self._ua.on_timer(now)
        for reg in self._registrations.values():
            reg.on_timer(now)
        self._flush(None)

    def _now(self) -> float:
        return self._clock.now() if self._clock is not None else 0.0

    def _open_ua(self, port: int, request: str) -> UserAgent:
        if self._ua is None or self._closed:
            raise RequestRefused(port, request, "the SIP driver is not open")
        return self._ua

    def _check_port(self, port: int, request: str) -> None:
        if not isinstance(port, int) or not 0 <= port < len(self._ports):
            raise RequestRefused(port, request, f"no SIP port {port!r} (0-{len(self._ports) - 1})")

    def _step(self, port: int, what: PortInput, request: str) -> None:
        call = self._calls.get(port)
        state = call.state if call is not None else PortState.IDLE
        if next_state(state, what) is None:
            raise RequestRefused(port, request, f"port is {state.value}")

    def _credentials(self, realm: str) -> UserCredentials | None:
        for t in self.config.trunks:
            if t.username is not None and t.password is not None and t.realm in (None, realm):
                return UserCredentials(t.username, t.password)
        return None

    def _new_media(self, port: int) -> PortMedia:
        assert self._pump is not None
        return PortMedia(self._pump, port, self.config.media_host, self._rng)

    def _attach(self, port: int, sid: int, state: PortState, media: PortMedia) -> None:
        self._calls[port] = PortCall(sid, state)
        self._media[port] = media
        self._port_of_session[sid] = port

    def _detach(self, port: int, *, hangup: bool, cause: ReleaseCause = ReleaseCause.NORMAL) -> None:
        call = self._calls.pop(port, None)
        self._freed[port] = self._samples
        media = self._media.pop(port, None)
        if media is not None:
            media.close()
        if call is None:
            return
        self._port_of_session.pop(call.session_id, None)
        if self._ua is not None and call.session_id in self._ua.sessions:
            self._authenticated.pop(self._ua.sessions[call.session_id].invite.call_id or "", None)
        if hangup and self._ua is not None:
            try:
                if call.state is PortState.OFFERED:
                    self._ua.reject(call.session_id, self._now(), status=status_of_cause(cause))
                else:
                    self._ua.hangup(call.session_id, self._now())
            except UaError:
                pass  # the session ended already
            self._flush(None)

    def _emit(self, event: DriverEvent) -> None:
        if len(self._events) >= EVENTS_MAX:
            self._events.popleft()
            self._lost += 1
        self._events.append(event)

    def _on_datagram(self, data: bytes, source: Destination) -> None:
        if self._ua is None or self._closed:
            return
        verdict = judge_datagram(data, to_tag=new_tag(self._rng))
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
        for _ in range(1000):
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

    # -- SIP events -------------------------------------------------------------------
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
        sid = getattr(ev, "session_id", None)
        port = self._port_of_session.get(sid) if isinstance(sid, int) else None
        if port is None:
            return
        call, media = self._calls[port], self._media[port]
        if isinstance(ev, (Ringing, SessionProgress)):
            if ev.response.status == 180 and next_state(call.state, PortInput.RINGING) is not None \
                    and self._trunk_of[port] is not None:
                self._emit(Alerting(port=port, sample=self._samples))
        elif isinstance(ev, SipAnswered):
            self._far_end_answered(port, call, media, ev)
        elif isinstance(ev, Failed):
            if next_state(call.state, PortInput.FAILED) is not None:
                self._detach(port, hangup=False)
                if self._trunk_of[port] is not None:  # a phone that declines just stops ringing
                    cause = cause_of_status(ev.status, transport_failed=ev.response is None)
                    self._emit(Released(port=port, sample=self._samples, cause=cause))
        elif isinstance(ev, (Cancelled, Ended)):
            what = PortInput.CANCELLED if isinstance(ev, Cancelled) else PortInput.ENDED
            if next_state(call.state, what) is not None:
                self._detach(port, hangup=False)
                self._emit(Released(port=port, sample=self._samples, cause=ReleaseCause.NORMAL))
        elif isinstance(ev, Confirmed):
            if ev.sdp and media.sdp.state is OfferAnswerState.OFFER_SENT:
                self._take_answer(port, media, ev.sdp)
        elif isinstance(ev, ReinviteReceived):
            self._reinvite(call, media, ev)
        elif isinstance(ev, ReinviteAnswered):
            if ev.sdp and not ev.refresh:
                self._take_answer(port, media, ev.sdp)
        elif isinstance(ev, ReinviteFailed):
            if media.sdp.state is OfferAnswerState.OFFER_SENT:
                media.cancel_offer()

    def _take_answer(self, port: int, media: PortMedia, sdp: bytes) -> bool:
        try:
            media.take_answer(sdp)
            return True
        except (SdpError, OfferAnswerStateError):
            return False

    def _far_end_answered(self, port: int, call: PortCall, media: PortMedia, ev: SipAnswered) -> None:
        if next_state(call.state, PortInput.ANSWERED) is None:
            return
        if not self._take_answer(port, media, ev.sdp):
            # RFC 3264 §5: an answer we cannot use: end the session (BYE), the call failed
            self._detach(port, hangup=True)
            self._emit(Released(port=port, sample=self._samples, cause=ReleaseCause.REJECTED))
            return
        call.state = PortState.TALKING
        self._emit(Answered(port=port, sample=self._samples))

    def _reinvite(self, call: PortCall, media: PortMedia, ev: ReinviteReceived) -> None:
        assert self._ua is not None
        try:
            answer = media.answer_offer(ev.sdp)
        except (SdpError, OfferAnswerStateError):
            self._ua.reject_reinvite(call.session_id, self._now(), status=488)
            return
        self._ua.answer_reinvite(call.session_id, self._now(), sdp=answer)

    def _refuse(self, sid: int, status: int) -> None:
        assert self._ua is not None
        self.rejected[status] = self.rejected.get(status, 0) + 1
        self._ua.reject(sid, self._now(), status=status)

    def _incoming(self, ev: IncomingInvite, source: Destination | None) -> None:
        ext = self._authenticated.get(ev.request.call_id or "")
        if ext is not None:
            self._phone_call(ev, ext)
            return
        trunks = [t for t in self.config.trunks
                  if source is not None and t.accepts(source.host, source.port)]
        if not trunks:
            self._refuse(ev.session_id, 403)  # RFC 3261 §21.4.4: not from a trusted address
            return
        called = called_of(ev.request)
        trunks = [t for t in trunks if not t.numbers or called in t.numbers]
        if not trunks:
            self._refuse(ev.session_id, 404)  # §21.4.5: a number this trunk does not deliver
            return
        free = [p for p, t in enumerate(self._trunk_of) if t in trunks and p not in self._calls]
        port = min(free, key=lambda p: self._freed.get(p, -1), default=None)  # freed longest ago
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
        port = self._station_of[ext]
        if port in self._calls:
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

    def _side_packets(self, now: float) -> None:
        if self._pump is None:
            return
        for packet in self._pump.side_packets():
            media = self._media.get(packet.channel)
            if media is not None and packet.kind is SideKind.SOURCE_ADDRESS:
                media.new_source(packet.data, packet.source, now)
            if media is None or packet.kind is not SideKind.EVENT:
                continue
            for digit in media.event_packet(packet.data, now):
                self._emit(DigitsReceived(port=packet.channel, sample=self._samples, digits=digit.digit))
        for port, media in self._media.items():
            for digit in media.receiver.poll(now):
                self._emit(DigitsReceived(port=port, sample=self._samples, digits=digit.digit))
