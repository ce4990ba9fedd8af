"""The tick engine: glue between drivers, the media plane and the switch core (synchronous).

Once per tick :meth:`SwitchEngine.step` polls every driver's call events, exchanges one frame of
audio with each, runs the media plane (bridges, conferences, players, recorders, the DTMF
detector on ports without their own DSP), turns what it found into core inputs, and carries out
the core's commands on the drivers and the media plane.  Services run through
:meth:`SwitchEngine.service`, which hands the core the current time.  Nothing here touches
asyncio; the provider paces it.

With ``SwitchConfig(dtmf_only_in_calls=True)`` the DTMF detector runs only where a digit can
matter: on the channels in a call's media group or collecting digits (and those with a driver
event this tick); a channel enabled again starts afresh (:meth:`pycti.media.plane.MediaPlane.add_gated_detector`).  With
``SwitchConfig(media=False)`` a tick is signalling only: drivers are advanced in time and the
core's timers run, but the media plane does not tick.

Several drivers share one switch: driver ``k`` owns the media channels
``offset_k .. offset_k + capacity_k - 1``.  A driver's request that the port refuses in its
present state is reported (:class:`Notice`) and the port stays in service; a dead port is
taken out of service until the driver reports it restored.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from threadpoolctl import threadpool_limits

from ..drivers import base as drv
from ..drivers.analog import DetectorFailed as AdapterDetectorFailed
from ..drivers.base import Driver, MediaDirection, PortInfo, PortKind, ReleaseCause
from ..dsp._base import ToneEvent
from ..dsp.dtmf import DtmfDetector
from ..dsp.fax_tones import FAX_TONE_NAMES, FaxToneDetector
from ..dsp.progress import progress_tone
from ..errors import CstaError, DriverError, ErrorValue
from ..media.plane import DetectorFailed, MediaPlane
from ..switch import commands as cmd
from ..switch.core import DeviceKind, SwitchCore
from ..switch.events import Conferenced, EventCause, Held, Retrieved, ServiceInitiated, Transferred
from ..switch.ids import ConnectionID
from .config import SwitchConfig

__all__ = ["SwitchEngine", "Notice"]

log = logging.getLogger("pycti.switch")

T = TypeVar("T")

#: How a driver's release cause reads as an ECMA-269 event cause.
_CAUSES = {
    ReleaseCause.NORMAL: EventCause.NORMAL_CLEARING,
    ReleaseCause.BUSY: EventCause.BUSY,
    ReleaseCause.NO_ANSWER: EventCause.CALL_NOT_ANSWERED,
    ReleaseCause.REJECTED: EventCause.CALL_CANCELLED,
    ReleaseCause.UNREACHABLE: EventCause.DEST_NOT_OBTAINABLE,
    ReleaseCause.NETWORK_FAILURE: EventCause.NETWORK_OUT_OF_ORDER,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """Something went wrong that the application should see, though no call failed because
    of it: a refused driver request, a detector or recording that failed, lost driver
    events.  ``device`` is the device concerned, if any."""

    time: float
    kind: str  #: "request_refused", "port_dead", "detector_failed", "recording_failed", "events_lost", "core_refused"
    text: str
    device: str | None = None


@dataclass(slots=True)
class _Slot:
    driver: int
    port: int
    info: PortInfo


class SwitchEngine:
    """One soft switch: a core, a media plane and its drivers, stepped tick by tick."""

    def __init__(self, config: SwitchConfig, drivers: Sequence[Driver]) -> None:
        if not drivers:
            raise ValueError("a switch needs at least one driver")
        self.config = config
        self.drivers = list(drivers)
        # numerical work per tick is a few small products: several BLAS threads only cost CPU
        self._blas = threadpool_limits(limits=1, user_api="blas")
        self.default_route = config.default_route or (config.routes[0] if config.routes else None)
        self.core = SwitchCore(default_route=self.default_route, dial_plan=config.dial_plan,
                               timers=config.timers, no_answer_forward=config.no_answer_forward,
                               agent_rules=config.agent_rules)
        self.core.network_transfer = self._transfer_out
        for agent in config.agents:
            self.core.add_agent(agent)
        self.offsets: list[int] = []
        total = 0
        for d in self.drivers:
            self.offsets.append(total)
            total += d.capacity()
        self.n_ports = total
        self.port_of: dict[str, int] = {}  #: device -> media channel
        self.device_of: list[str | None] = [None] * total  #: media channel -> device
        self._slot: list[_Slot | None] = [None] * total
        self._n_trunks = 0
        self._n_stations = 0
        for k, d in enumerate(self.drivers):
            for info in d.ports():
                self._add_port(k, info)
        for route in config.routes:
            self.core.add_device(route, DeviceKind.ROUTE)
        for queue in config.queues:
            self.core.add_device(queue, DeviceKind.QUEUE)
        for number, target in config.dnis.items():
            if target not in self.core.devices():
                raise ValueError(f"dnis: {number!r} routes to {target!r}, which is no device of this switch")
        self.media = MediaPlane(self.n_ports, frame_samples=config.tick_samples)
        # one second of the country's dial tone (steady), looped while a station dials
        self._dial_tone = progress_tone(config.country, "DIAL", 1000)
        self._dial_tone.flags.writeable = False  # shared by every dialling channel
        self._dtmf_channels = [ch for ch, s in enumerate(self._slot) if s is not None and not s.info.has_dsp]
        if not config.media:
            self._dtmf_channels = []  # signalling only: no in-band detection at all
        self._dtmf_gated = bool(self._dtmf_channels) and config.dtmf_only_in_calls
        if self._dtmf_gated:
            # run only where a digit can matter: see _dtmf_where_it_matters
            self.media.add_gated_detector("dtmf", DtmfDetector, self._dtmf_channels, bank_channels=128)
        elif self._dtmf_channels:
            self.media.add_detector("dtmf", DtmfDetector(len(self._dtmf_channels)),
                                    channels=None if len(self._dtmf_channels) == total else self._dtmf_channels)
        self._dtmf_allowed = frozenset(self._dtmf_channels)
        #: channels whose device may be collecting digits: those with a ServiceInitiated (the
        #: core starts digit collection only there, in line_offhook) not yet seen to end
        self._maybe_dialling: set[int] = set()
        self._touched: set[int] = set()  #: channels with a driver event this tick
        if config.detect_fax_tones and self._dtmf_channels:
            # CNG / CED / ANSam on the same ports: a call that turns out to be a fax or a modem
            self.media.add_detector("fax_tones", FaxToneDetector(len(self._dtmf_channels)),
                                    channels=None if len(self._dtmf_channels) == total else self._dtmf_channels)
        self._outbound = np.zeros((self.n_ports, config.tick_samples), dtype=np.int16)
        self._group_of: dict[int, str] = {}  #: channel -> call id of its media group
        self._members: dict[str, dict[int, None]] = {}  #: call id -> its channels, in joining order
        self.parties: dict[str, tuple[str, ...]] = {}
        self.callers: dict[str, drv.CallerIdentity] = {}  #: trunk device -> identity of its caller
        self.now = 0.0
        self.ticks = 0
        self.events: list[Any] = []  #: CSTA events not yet taken by the provider
        self.media_events: list[Any] = []  #: PlayDone etc. for the provider
        self.notices: list[Notice] = []  #: problems not yet taken by the provider
        self.removed: list[str] = []  #: devices whose ports went away, not yet taken by the provider
        #: the latest problems met while stepping (also logged; never raised into the tick loop)
        self.errors: deque[str] = deque(maxlen=1000)

    # ------------------------------------------------------------------ ports
    def _add_port(self, k: int, info: PortInfo) -> str:
        ch = self.offsets[k] + info.port
        if not 0 <= info.port < self.drivers[k].capacity():
            raise ValueError(f"driver {k} reports port {info.port} beyond its capacity {self.drivers[k].capacity()}")
        if info.kind is PortKind.TRUNK:
            dev = info.name or self.config.trunk_device(self._n_trunks)
            self._n_trunks += 1
            self.core.add_device(dev, DeviceKind.TRUNK)
        else:
            dev = info.name or self.config.station_device(self._n_stations)
            self._n_stations += 1
            self.core.add_device(dev, DeviceKind.STATION, pickup_group=self.config.pickup_groups.get(dev))
        self.port_of[dev] = ch
        self.device_of[ch] = dev
        self._slot[ch] = _Slot(k, info.port, info)
        return dev

    def _remove_port(self, ch: int) -> None:
        dev = self.device_of[ch]
        if dev is None:
            return
        self._guarded(lambda: self.core.port_failed(dev, self.now))
        self._after_core()
        self.core.remove_device(dev)
        self.removed.append(dev)
        del self.port_of[dev]
        self.device_of[ch] = None
        self._slot[ch] = None

    # ------------------------------------------------------------------ services
    def service(self, fn: Callable[[float], T]) -> T:
        """Run one core service ``fn(now)`` now; its commands are carried out before this
        returns.  Raises :class:`CstaError` (state unchanged) when the core refuses it."""
        result = fn(self.now)
        self._after_core()
        return result

    # ------------------------------------------------------------------ the tick
    def step(self, now: float) -> None:
        """Run one media tick at time ``now`` (seconds)."""
        self.now = now
        for k, d in enumerate(self.drivers):
            for ev in d.poll():
                self._driver_event(k, ev)
        if not self.config.media:
            self._advance_signalling()
            due = self.core.next_timer()
            if due is not None and due <= now:
                self.core.handle_timer(now)
                self._after_core()
            self.ticks += 1
            return
        if len(self.drivers) == 1:
            inbound = self.drivers[0].exchange(self._outbound)
        else:
            inbound = np.empty_like(self._outbound)
            for k, d in enumerate(self.drivers):
                lo, hi = self.offsets[k], self.offsets[k] + d.capacity()
                inbound[lo:hi] = d.exchange(self._outbound[lo:hi])
        due = self.core.next_timer()
        if due is not None and due <= now:
            self.core.handle_timer(now)
            self._after_core()
        if self._dtmf_gated:
            self.media.set_detector_channels("dtmf", self._dtmf_where_it_matters())
        result = self.media.tick(inbound)
        self._outbound = result.outbound
        for mev in result.events:
            self._media_event(mev)
        self._after_core()
        self.ticks += 1

    def _advance_signalling(self) -> None:
        """Signalling-only tick: let each driver's line time pass without audio work (its
        ``advance(n_samples)`` when it has one, else one exchange of silence, discarded)."""
        n = self.config.tick_samples
        for k, d in enumerate(self.drivers):
            advance = getattr(d, "advance", None)
            if callable(advance):
                advance(n)
            else:
                lo, hi = self.offsets[k], self.offsets[k] + d.capacity()
                d.exchange(self._outbound[lo:hi])  # stays silent: the media plane never writes it

    def _dtmf_where_it_matters(self) -> set[int]:
        """The channels whose digits the switch takes (see :meth:`_media_event`): in a call's
        media group, or collecting digits (dialling), plus those with a driver event this tick
        (a call that starts now joins its group only after this tick's media)."""
        enabled = set(self._group_of)
        for ch in list(self._maybe_dialling):
            if ch in enabled:
                continue
            dev = self.device_of[ch]
            if dev is not None and self.core.is_dialling(dev):
                enabled.add(ch)
            else:  # collecting ended; only a new ServiceInitiated (off-hook) starts it again
                self._maybe_dialling.discard(ch)
        enabled |= self._touched
        self._touched.clear()
        return enabled & self._dtmf_allowed

    # ------------------------------------------------------------------ inputs
    def _driver_event(self, k: int, ev: drv.DriverEvent) -> None:
        if isinstance(ev, drv.EventsLost):
            self._notice("events_lost", f"driver {k} lost {ev.count} events")
            return
        if isinstance(ev, AdapterDetectorFailed):
            self._notice("detector_failed", f"driver {k}: detector {ev.detector} failed and was switched off: {ev.error}")
            return
        if ev.port < 0:
            self._notice("driver", f"driver {k}: {ev}")
            return
        ch = self.offsets[k] + ev.port
        if isinstance(ev, drv.PortAdded):
            try:
                self._add_port(k, ev.info)
            except (ValueError, CstaError) as exc:  # beyond capacity, a name already taken ...
                self._notice("driver", f"driver {k}: PortAdded refused: {exc}")
            return
        dev = self.device_of[ch] if 0 <= ch < self.n_ports else None
        if dev is None:
            self._problem(f"driver {k}: event for unknown port {ev.port}: {ev}")
            return
        self._touched.add(ch)
        core, now = self.core, self.now
        if isinstance(ev, drv.IncomingCall):
            self.callers[dev] = ev.caller
            taken = self._guarded(lambda: core.incoming_call(
                dev, calling_number=ev.caller.number or "", called_number=ev.called or "",
                route_to=self._route_for(ev.called), now=now))
            if taken is None:  # refused (the port's device still in a call ...): the caller
                self._refuse_at_driver(k, ev.port)  # gets a final answer, not a ringing that never ends
        elif isinstance(ev, drv.Seized):
            self._guarded(lambda: core.line_offhook(dev, now))
        elif isinstance(ev, drv.Answered):
            if self._is_trunk(ch):
                self._guarded(lambda: core.far_end_answered(dev, now))
            else:
                self._guarded(lambda: core.line_offhook(dev, now))
        elif isinstance(ev, drv.Released):
            if self._is_trunk(ch):
                self.callers.pop(dev, None)
                self._guarded(lambda: core.far_end_released(dev, now, _CAUSES[ev.cause]))
            else:
                self._guarded(lambda: core.line_onhook(dev, now))
        elif isinstance(ev, drv.DigitsReceived):
            self._guarded(lambda: core.digits_detected(dev, ev.digits, now), quiet=True)
        elif isinstance(ev, drv.PortFailed):
            self._notice("port_dead", f"{dev}: {ev.reason}", dev)
            self._guarded(lambda: core.port_failed(dev, now))
        elif isinstance(ev, drv.PortRestored):
            self._guarded(lambda: core.set_in_service(dev, now))
        elif isinstance(ev, drv.PortRemoved):
            self._remove_port(ch)
        elif isinstance(ev, drv.TransferFailed):
            self._notice("transfer_failed", f"{dev}: the network did not take the transfer: {ev.reason}", dev)
            self._guarded(lambda: core.network_transfer_failed(dev, now))

    def _transfer_out(self, trunk: str, number: str) -> bool:
        """The core's network-transfer hook: ask the driver of ``trunk`` (one that offers
        :class:`~pycti.drivers.base.NetworkTransfer`) to hand its far end over to ``number``."""
        slot = self._slot_of(trunk)
        d = self.drivers[slot.driver] if slot is not None else None
        if slot is None or not isinstance(d, drv.NetworkTransfer):
            return False
        try:
            return bool(d.transfer_out(slot.port, number))
        except (drv.RequestRefused, OSError) as exc:
            self._notice("request_refused", f"transfer_out({trunk}, {number}): {exc}", trunk)
            return False

    def _slot_of(self, device: str) -> _Slot | None:
        """The driver and port behind ``device`` (None: no such port, or it went away)."""
        ch = self.port_of.get(device)
        return self._slot[ch] if ch is not None else None

    def _is_trunk(self, ch: int) -> bool:
        slot = self._slot[ch]
        return slot is not None and slot.info.kind is PortKind.TRUNK

    def _route_for(self, called: str | None) -> str | None:
        """The device an incoming call for ``called`` goes to (DNIS routing), None for the
        core's default route."""
        if called is None:
            return None
        return self.config.dnis.get(called)

    def _media_event(self, ev: Any) -> None:
        if isinstance(ev, DetectorFailed):
            self._notice("detector_failed", f"detector {ev.name} failed and was removed: {ev.error}")
            return
        channel = getattr(ev, "channel", None)
        if channel is None:
            self.media_events.append(ev)
            return
        dev = self.device_of[channel]
        if isinstance(ev, ToneEvent) and ev.tone in FAX_TONE_NAMES:
            if dev is not None:
                core, now, tone = self.core, self.now, ev.tone
                self._guarded(lambda: core.tone_detected(dev, tone, now), quiet=True)
            return
        digit = getattr(ev, "digit", None)
        if digit is not None and dev is not None:
            if channel in self._group_of or self.core.is_dialling(dev):
                core, now = self.core, self.now
                self._guarded(lambda: core.digits_detected(dev, digit, now), quiet=True)
            return
        self.media_events.append(ev)

    def _refuse_at_driver(self, k: int, port: int) -> None:
        """Release a call the switch could not take on driver ``k``'s ``port`` as busy (SIP:
        486 Busy Here; a board: back on hook), so its caller is not left ringing."""
        try:
            self.drivers[k].release(port, drv.ReleaseCause.BUSY)
        except DriverError as exc:
            self._problem(f"driver {k}: could not refuse the call on port {port}: {exc}")

    def _guarded(self, fn: Callable[[], Any], *, quiet: bool = False) -> Any:
        """Feed one input to the core; a refusal is recorded, never raised into the tick loop."""
        try:
            return fn()
        except CstaError as exc:
            if not quiet:
                self._problem(f"core refused a driver input: {exc}")
            return None

    def _problem(self, text: str) -> None:
        log.warning("%s", text)
        self.errors.append(text)

    def _notice(self, kind: str, text: str, device: str | None = None) -> None:
        self._problem(text)
        self.notices.append(Notice(time=self.now, kind=kind, text=text, device=device))

    # ------------------------------------------------------------------ outputs
    def _after_core(self) -> None:
        for c in self.core.take_commands():
            self._command(c)
        events = self.core.take_events()
        for e in events:
            if isinstance(e, ServiceInitiated):  # off-hook: digits may follow
                ch = self.port_of.get(e.initiating_device)
                if ch is not None:
                    self._maybe_dialling.add(ch)
            elif isinstance(e, Held):
                self._media_direction(e.held_connection, MediaDirection.SENDONLY)
            elif isinstance(e, Retrieved):
                self._media_direction(e.retrieved_connection, MediaDirection.SENDRECV)
            elif isinstance(e, (Transferred, Conferenced)):
                # the held party is in a call with audio again (a SIP leg held with sendonly
                # is re-INVITEd sendrecv; a leg that was not held is left alone)
                left = e.transferring_device if isinstance(e, Transferred) else e.conferencing_device
                for entry in (e.transferred_connections if isinstance(e, Transferred) else e.conference_connections):
                    if entry.new_connection is not None:
                        self._media_direction(ConnectionID(entry.new_connection.call_id, left), MediaDirection.SENDRECV)
                        break
        self.events.extend(events)

    def _media_direction(self, conn: ConnectionID, direction: MediaDirection) -> None:
        """Tell the drivers of the other parties of ``conn``'s call which way audio flows now
        (a SIP leg re-INVITEs: sendonly while the holder holds, sendrecv when retrieved)."""
        try:
            parties = [d for d, _, _ in self.core.snapshot_call(conn.call_id) if d != conn.device_id]
        except CstaError:
            return
        for dev in parties:
            slot = self._slot_of(dev)
            if slot is None:
                continue
            try:
                self.drivers[slot.driver].set_media_direction(slot.port, direction)
            except drv.RequestRefused as exc:
                self._notice("request_refused", f"set_media_direction({dev}): {exc}", dev)
            except OSError as exc:
                self._notice("port_dead", f"set_media_direction({dev}): {exc}", dev)

    def _command(self, c: cmd.Command) -> None:
        if isinstance(c, cmd.MediaTopology):
            self._topology(c.call_id, c.parties, c.listeners)
            return
        if isinstance(c, cmd.DialTone):
            ch = self.port_of.get(c.device)
            if ch is not None:
                if c.on:
                    self.media.send_tone(ch, self._dial_tone)
                else:
                    self.media.stop_playing(ch)
            return
        dev = c.trunk if isinstance(c, cmd.SeizeTrunk) else getattr(c, "device", "")
        ch = self.port_of.get(dev)
        slot = self._slot_of(dev)
        if ch is None or slot is None:
            return
        d, port = self.drivers[slot.driver], slot.port
        try:
            if isinstance(c, cmd.RingStation):
                d.ring(port, drv.CallerIdentity(number=c.calling_number or None))
            elif isinstance(c, cmd.StopRinging):
                d.stop_ring(port)
            elif isinstance(c, cmd.AnswerLine):
                d.answer(port)
            elif isinstance(c, cmd.ReleaseLine):
                self.media.stop_playing(ch)
                self.callers.pop(dev, None)
                d.release(port)
            elif isinstance(c, cmd.SeizeTrunk):
                d.dial(port, c.number)
            elif isinstance(c, cmd.SendDigits):
                self._send_digits(c.device, c.digits)
        except drv.RequestRefused as exc:
            self._notice("request_refused", f"{type(c).__name__}({dev}): {exc}", dev)
        except OSError as exc:  # a dead port: the core learns it, other calls go on
            self._notice("port_dead", f"{type(c).__name__}({dev}): {exc}", dev)
            core, now = self.core, self.now
            self._guarded(lambda: core.port_failed(dev, now))

    def _send_digits(self, device: str, digits: str) -> None:
        """DTMF from ``device`` into its call: out of band where the far port can, else in band."""
        for parties in self.parties.values():
            if device in parties:
                for other in parties:
                    ch = self.port_of.get(other)
                    if other == device or ch is None:
                        continue
                    slot = self._slot[ch]
                    if slot is None or not self.drivers[slot.driver].send_digits(slot.port, digits):
                        self.media.send_digits(ch, digits)
                return

    def _topology(self, call_id: str, parties: tuple[str, ...],
                  listeners: tuple[tuple[str, str | None], ...] = ()) -> None:
        if parties:
            self.parties[call_id] = tuple(parties)
        else:
            self.parties.pop(call_id, None)
        channels = [self.port_of[d] for d in parties if d in self.port_of]
        for ch in channels:
            other = self._group_of.get(ch)
            if other is not None and other != call_id:
                self._leave_group(ch, other)
                self.media.set_parties(other, list(self._members.get(other, ())))
        for ch in [c for c in self._members.get(call_id, ()) if c not in channels]:
            self._leave_group(ch, call_id)
        heard = {self.port_of[d]: (self.port_of.get(t) if t is not None else None)
                 for d, t in listeners if d in self.port_of}
        self.media.set_parties(call_id, channels, heard)
        for ch in channels:
            self._group_of[ch] = call_id
        if channels:
            self._members.setdefault(call_id, {}).update(dict.fromkeys(channels))

    def _leave_group(self, ch: int, call_id: str) -> None:
        """Channel ``ch`` is no longer in ``call_id``'s media group (both indexes)."""
        del self._group_of[ch]
        members = self._members[call_id]
        del members[ch]
        if not members:
            del self._members[call_id]

    # ------------------------------------------------------------------ helpers for the provider
    def channel_of(self, device: str) -> int:
        """The media channel of a device; CstaError for devices without one (routes, queues)."""
        try:
            return self.port_of[device]
        except KeyError:
            raise CstaError(ErrorValue.INVALID_DEVICE_ID, f"{device!r} has no media channel") from None

    def call_channels(self, call_id: str, exclude: str | None = None) -> list[int]:
        """Channels of the connected parties of a call (optionally without one device)."""
        return [self.port_of[d] for d in self.parties.get(call_id, ()) if d in self.port_of and d != exclude]

    def close(self) -> list[Any]:
        """Close the media plane (finishing recordings) and every driver; restore BLAS threads."""
        leftover = self.media.close()
        for d in self.drivers:
            closer = getattr(d, "close", None)
            if closer is not None:
                closer()
        self._blas.restore_original_limits()
        return list(leftover or [])
