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

Layout: :mod:`.ports` (the port table: channels, calls, media, free-channel order, per-tick
audio masks), :mod:`.core` (shared state, the user agent's output to the wire, attach/detach),
:mod:`.inbound` (datagrams in, screening, incoming INVITEs), :mod:`.ua_events` (the user
agent's events as driver events), :mod:`.media` (one call's SDP and pump channel), this module
(lifecycle, the :class:`~pycti.drivers.base.Driver` protocol and the switch's requests).
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import numpy as np

from ...clock import Clock, RealClock
from ...sip.digest import DigestClient
from ...sip.sdp import OfferAnswerState, OfferAnswerStateError
from ...sip.session import CallState
from ...sip.session_agent import UserAgent
from ...sip.session_events import UaConfig, UaError
from ...sip.register_client import RegState
from ...sip.timers import Destination, TimerConfig
from ..base import (
    CallerIdentity, DigitsReceived, DriverEvent, EventsLost, MediaDirection, PortInfo, Released, ReleaseCause,
    RequestRefused,
)
from ..rtppump import FRAME_SAMPLES, PumpStats, RtpPump, SideKind
from .calls import PortInput, PortState, next_state
from .config import SipDriverClosedError
from .core import EVENTS_MAX
from .media import PortMedia
from .rtcp_port import PortRtcp
from .transport import TcpTransport, TransportStats, UdpTransport
from .trunk_health import TrunkHealth
from .trunk_registration import TrunkRegistration, TrunkRegistrationStatus
from .ua_events import UaEvents

__all__ = ["SipDriver", "EVENTS_MAX"]

#: aclose() waits at most this many 20 ms ticks for the answers to our unregistering REGISTERs
_UNREGISTER_TICKS = 50
_DIALLABLE = frozenset("0123456789*#+")


def _raise_fd_limit(needed: int) -> None:
    """Lift the soft limit on open files towards ``needed`` (up to the hard limit): a port's
    call holds two sockets, and 1,024 (a common default) is less than 500 calls need."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass  # the limit stays; a call beyond it gets no RTCP socket or is refused (503)


class SipDriver(UaEvents):
    """SIP trunks and phones as switch ports (see the module docstring).

    ``SipDriver(config, pump_config=None)``: ``config`` a
    :class:`~.config.SipDriverConfig`; ``pump_config`` the RTP pump's settings."""

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> SipDriver:
        cfg = self.config
        _raise_fd_limit(2 * len(self._table.ports) + 64)  # an RTP and an RTCP socket per port
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
        self._pump = RtpPump(len(self._table.ports), self._pump_config)
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
        for port in list(self._table.calls):
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
        self._rtcp_readers.close()

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

    def rtcp(self, port: int) -> PortRtcp | None:
        """The RTCP state of the call on ``port`` (None: no call, or no RTCP port pair)."""
        media = self._table.media.get(port)
        return None if media is None else media.rtcp

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
        media = self._table.media.get(port)
        if media is None or media.media is None or media.sdp.state is not OfferAnswerState.STABLE:
            return None
        return media.media.direction

    # ------------------------------------------------------------------ driver protocol
    def capacity(self) -> int:
        """One slot per trunk channel and per phone."""
        return len(self._table.ports)

    def ports(self) -> list[PortInfo]:
        """Trunk channels as trunk ports, then phones as station ports named by extension
        (``has_dsp`` False: see the module docstring)."""
        return list(self._table.ports)

    def media_clock(self) -> Clock | None:
        """Real time: RTP peers send 20 ms packets in wall time."""
        return self._clock

    def poll(self) -> list[DriverEvent]:
        """Run due SIP timers, read RFC 4733 events; every event since the last poll."""
        if self._ua is not None and not self._closed:
            now = self._now()
            self._run_timers(now)
            self._side_packets(now)
            self._run_rtcp(now)
            while self._transferred:  # the far end took a transfer: our part ends (BYE)
                port = self._transferred.pop()
                if self._referring.get(port) is not None:
                    self._detach(port, hangup=True)
                    self._emit(Released(port=port, sample=self._samples, cause=ReleaseCause.NORMAL))
        out = list(self._events)
        self._events.clear()
        if self._lost:
            out.append(EventsLost(port=-1, sample=self._samples, count=self._lost))
            self._lost = 0
        return out

    def exchange(self, outbound: np.ndarray) -> np.ndarray:
        """One 20 ms frame both ways through the pump, for every port with a call (the
        per-port audio masks are kept by the port table, so this does no Python work per call
        except for ports sending RFC 4733 events)."""
        pump = self._pump
        if pump is None or outbound.shape != (len(self._table.ports), FRAME_SAMPLES):
            return np.zeros_like(outbound)
        self._samples += FRAME_SAMPLES
        table = self._table
        send = table.send_mask
        if table.events_out:  # RFC 4733 §2.5.1.2: an event covering the tick masks its audio
            send = send.copy()
            for port in list(table.events_out):
                media = table.media.get(port)
                if media is None:
                    table.events_out.discard(port)
                    continue
                if media.send_events():
                    send[port] = False
                if media.sender.idle:
                    table.events_out.discard(port)
        inbound, _ = pump.exchange(np.ascontiguousarray(outbound, dtype=np.int16), send,
                                   background=self.config.rtp_send_thread)
        inbound[~table.heard_mask] = 0
        return inbound

    # ------------------------------------------------------------------ requests
    def dial(self, port: int, number: str) -> None:
        """INVITE ``number`` at the port's trunk, offering PCMU/PCMA and telephone-event."""
        self._check_port(port, "dial")
        if not number or any(c not in _DIALLABLE for c in number) or "+" in number[1:]:
            raise RequestRefused(port, "dial", f"{number!r} is not a number (digits, *, #, a leading +)")
        trunk = self._table.trunk_of[port]
        if trunk is None:
            raise RequestRefused(port, "dial", "a SIP phone's port is a station, not a trunk")
        self._step(port, PortInput.DIAL, "dial")
        self._open_ua(port, "dial")  # refused when closed
        if not self.trunk_up(trunk.name):
            raise RequestRefused(port, "dial", f"trunk {trunk.name} is down (OPTIONS unanswered)")
        media = self._new_media(port)
        target = trunk.uri(number)
        dest = Destination(trunk.host, trunk.port, trunk.transport.upper())
        sid = self._invite(port, "dial", media, target, dest, ())
        self._attach(port, sid, PortState.DIALLING, media)
        self._flush(None)

    def transfer_out(self, port: int, number: str) -> bool:
        """Blind transfer in the network (RFC 3515, RFC 5589 §6): REFER the far end of trunk
        ``port`` to ``sip:<number>@<trunk host:port>``.  False (nothing sent) unless the
        trunk allows it (``SipTrunkConfig.refer``), the call is up and the far end's Allow
        lists REFER.  A call answered a moment ago sends it once the far end's ACK arrives
        (a request in the dialog waits for the dialog to be confirmed).  Then a NOTIFY with
        a 2xx sipfrag ends our dialog (BYE) and the port is Released; a refused REFER or a
        failure NOTIFY gives TransferFailed and the call stays up (:mod:`.ua_events`)."""
        self._check_port(port, "transfer_out")
        trunk, call = self._table.trunk_of[port], self._table.calls.get(port)
        if (trunk is None or not trunk.refer or call is None or call.state is not PortState.TALKING
                or port in self._referring or self._ua is None or self._closed
                or not number or any(c not in _DIALLABLE for c in number)):
            return False
        session = self._ua.sessions.get(call.session_id)
        if session is None or "REFER" not in session.remote_allow \
                or session.state not in (CallState.ANSWERED, CallState.CONFIRMED):
            return False
        self._referring[port] = number
        if session.state is CallState.CONFIRMED:
            return self._send_refer(port, report=False)
        return True  # sent by _on_confirmed when the ACK arrives

    def answer(self, port: int) -> None:
        """200 OK with our SDP answer (or our offer, when the INVITE had none)."""
        self._check_port(port, "answer")
        call = self._table.calls.get(port)
        media = self._table.media.get(port)
        state = call.state if call is not None else PortState.IDLE
        if call is None or media is None or next_state(state, PortInput.ANSWER) is None:
            raise RequestRefused(port, "answer", f"nothing to answer ({state.value})")
        sdp = media.pending_answer if media.pending_answer is not None else media.make_offer()
        try:
            self._open_ua(port, "answer").answer(call.session_id, self._now(), sdp=sdp)
        except UaError as exc:
            raise RequestRefused(port, "answer", str(exc)) from exc
        self._table.set_state(port, PortState.TALKING)
        self._flush(None)

    def release(self, port: int, cause: ReleaseCause = ReleaseCause.NORMAL) -> None:
        """BYE, CANCEL, or a final status for ``cause`` (no-op on an idle port)."""
        self._check_port(port, "release")
        if port in self._table.calls:
            self._detach(port, hangup=True, cause=cause)
            self._flush(None)

    def ring(self, port: int, caller: CallerIdentity | None = None) -> None:
        """INVITE the phone of station ``port`` at its registered contact (the caller in
        P-Asserted-Identity, RFC 3325); its 200 comes back as Answered."""
        self._check_port(port, "ring")
        ext = self._table.ports[port].name
        if self._table.trunk_of[port] is not None or ext is None or self.registrar is None:
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
        call = self._table.calls.get(port)
        if call is not None and call.state is PortState.DIALLING and self._table.trunk_of[port] is None:
            self._detach(port, hangup=True)

    def send_digits(self, port: int, digits: str) -> bool:
        """Queue ``digits`` as RFC 4733 events; False when the call did not negotiate them."""
        self._check_port(port, "send_digits")
        media = self._table.media.get(port)
        call = self._table.calls.get(port)
        if media is None or call is None or call.state is not PortState.TALKING or not media.can_send(digits):
            return False
        for d in digits:
            media.sender.press(d)
        self._table.events_out.add(port)
        return True

    def set_media_direction(self, port: int, direction: MediaDirection) -> None:
        """re-INVITE offering ``direction`` (hold: sendonly; resume: sendrecv)."""
        self._check_port(port, "set_media_direction")
        call, media = self._table.calls.get(port), self._table.media.get(port)
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

    def _side_packets(self, now: float) -> None:
        if self._pump is None:
            return
        for packet in self._pump.side_packets():
            media = self._table.media.get(packet.channel)
            if media is not None and packet.kind is SideKind.SOURCE_ADDRESS:
                media.new_source(packet.data, packet.source, now)
            if media is None or packet.kind is not SideKind.EVENT:
                continue
            for digit in media.event_packet(packet.data, now):
                self._emit(DigitsReceived(port=packet.channel, sample=self._samples, digits=digit.digit))
            if media.receiver.active:
                self._table.events_in.add(packet.channel)
        for port in list(self._table.events_in):  # only receivers with an event in progress
            media = self._table.media.get(port)
            if media is None:
                self._table.events_in.discard(port)
                continue
            for digit in media.receiver.poll(now):
                self._emit(DigitsReceived(port=port, sample=self._samples, digits=digit.digit))
            if not media.receiver.active:
                self._table.events_in.discard(port)

