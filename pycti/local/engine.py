"""The tick engine: glue between a driver, the media plane and the switch core (synchronous).

Once per tick :meth:`SwitchEngine.step` polls the driver's line signalling, exchanges one frame
of audio with it, runs the media plane (bridges, conferences, players, recorders, detectors),
turns what the detectors found (digits, far-end busy tone, caller ID) into core inputs, and
carries out the core's commands on the driver and the media plane.  Services go through
:meth:`SwitchEngine.invoke`.  Nothing here touches asyncio; the provider paces it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..drivers.base import Driver, LineEvent, LineSignal, PortKind
from ..dsp.dtmf import DtmfDetector
from ..dsp.progress import ProgressToneDetector
from ..errors import CstaError, ErrorValue
from ..switch import commands as cmd
from ..switch.core import DeviceKind, SwitchCore
from ..media.plane import MediaPlane
from .config import SwitchConfig

__all__ = ["SwitchEngine"]

log = logging.getLogger("pycti.switch")

#: Tones on a trunk's inbound audio that mean the far end has gone (central offices send busy or
#: congestion tone after the caller hangs up).
_RELEASE_TONES = frozenset({"BUSY", "CONGESTION"})


#: Core queries that change nothing and take no time.
_TIMELESS = frozenset({"monitor_start", "monitor_stop", "snapshot_device", "snapshot_call"})


@dataclass(slots=True)
class _TrunkState:
    """Where an incoming call on one trunk port stands before and while the switch has it."""

    rings: int = 0
    caller_number: str | None = None
    offered: bool = False


class _IdleLinesOnly:
    """Feeds a caller-ID receiver only the trunks that have no call: caller ID arrives before
    answer, and speech or DTMF on a line in a call would only cost work and false starts.
    Lines in a call are handed over as silence, which the receivers skip almost for free."""

    def __init__(self, receiver: Any, channels: int) -> None:
        self.receiver = receiver
        self.busy = np.zeros(channels, dtype=bool)

    def process(self, block: np.ndarray) -> list[Any]:
        if self.busy.any():
            block = block.copy()
            block[self.busy] = 0
        return list(self.receiver.process(block))


class SwitchEngine:
    """One soft switch: a core, a media plane and one driver, stepped tick by tick."""

    def __init__(self, config: SwitchConfig, driver: Driver) -> None:
        self.config = config
        self.driver = driver
        self.default_route = config.default_route or (config.routes[0] if config.routes else None)
        self.core = SwitchCore(default_route=self.default_route)
        ports = driver.ports()
        self.n_ports = len(ports)
        self.port_of: dict[str, int] = {}
        self.device_of: list[str] = []
        station_index = 0
        for info in ports:
            if info.kind is PortKind.TRUNK:
                dev = config.trunk_device(info.port)
                self.core.add_device(dev, DeviceKind.TRUNK)
            else:
                dev = config.station_device(station_index)
                station_index += 1
                self.core.add_device(dev, DeviceKind.STATION, pickup_group=config.pickup_groups.get(dev))
            self.port_of[dev] = info.port
            self.device_of.append(dev)
        for route in config.routes:
            self.core.add_device(route, DeviceKind.ROUTE)
        for queue in config.queues:
            self.core.add_device(queue, DeviceKind.QUEUE)
        self.trunk_ports: list[int] = [i.port for i in ports if i.kind is PortKind.TRUNK]
        self._trunks: dict[int, _TrunkState] = {p: _TrunkState() for p in self.trunk_ports}
        self._trunk_row = {p: i for i, p in enumerate(self.trunk_ports)}
        self._cid: _IdleLinesOnly | None = None
        self.media = MediaPlane(self.n_ports, frame_samples=config.tick_samples)
        self.media.add_detector("dtmf", DtmfDetector(self.n_ports))
        if len(self.trunk_ports):
            self.media.add_detector(
                "progress",
                ProgressToneDetector(len(self.trunk_ports), country=config.country,
                                     tones=sorted(_RELEASE_TONES)),
                channels=self.trunk_ports,
            )
            receiver: Any = None
            if config.caller_id == "fsk":
                from ..dsp.callerid_fsk import FskCallerIdReceiver

                receiver = FskCallerIdReceiver(len(self.trunk_ports))
            elif config.caller_id == "dtmf":
                from ..dsp.callerid_dtmf import DtmfCallerIdReceiver

                receiver = DtmfCallerIdReceiver(len(self.trunk_ports))
            if receiver is not None:
                self._cid = _IdleLinesOnly(receiver, len(self.trunk_ports))
                self.media.add_detector("callerid", self._cid, channels=self.trunk_ports)
        self._outbound = np.zeros((self.n_ports, config.tick_samples), dtype=np.int16)
        self._group_of: dict[int, str] = {}
        self.parties: dict[str, tuple[str, ...]] = {}
        self.now = 0.0
        self.ticks = 0
        self.events: list[Any] = []  #: CSTA events not yet taken by the provider
        self.media_events: list[Any] = []  #: PlayDone etc. for the provider
        #: the latest problems met while stepping (also logged; never raised into the tick loop)
        self.errors: deque[str] = deque(maxlen=1000)

    # ------------------------------------------------------------------ services
    def invoke(self, service: str, *args: Any, **kwargs: Any) -> Any:
        """Run a core service now; its commands are carried out before this returns.

        Raises :class:`CstaError` (state unchanged) when the core refuses it.
        """
        fn: Callable[..., Any] = getattr(self.core, service)
        if service in _TIMELESS:
            return fn(*args, **kwargs)
        result = fn(*args, now=self.now, **kwargs)
        self._after_core()
        return result

    # ------------------------------------------------------------------ the tick
    def step(self, now: float) -> None:
        """Run one media tick at time ``now`` (seconds)."""
        self.now = now
        for ev in self.driver.poll():
            self._line_event(ev)
        inbound = self.driver.exchange(self._outbound)
        result = self.media.tick(inbound)
        self._outbound = result.outbound
        for ev in result.events:
            self._media_event(ev)
        self._after_core()
        self.ticks += 1

    # ------------------------------------------------------------------ inputs
    def _line_event(self, ev: LineEvent) -> None:
        dev = self.device_of[ev.port]
        sig = ev.signal
        if sig is LineSignal.RING_ON:
            st = self._trunks.get(ev.port)
            if st is None or st.offered:
                return
            st.rings += 1
            if st.rings >= 2 or st.caller_number is not None or self.config.caller_id == "none":
                self._offer(ev.port)
        elif sig is LineSignal.CALLER_GONE:
            st = self._trunks.get(ev.port)
            if st is not None:
                if st.offered:
                    self._guarded(self.core.far_end_released, dev, now=self.now)
                self._reset_trunk(ev.port)
        elif sig is LineSignal.LOOP_DROP:
            st = self._trunks.get(ev.port)
            if st is not None and st.offered:
                self._guarded(self.core.far_end_released, dev, now=self.now)
        elif sig is LineSignal.OFFHOOK:
            self._guarded(self.core.line_offhook, dev, now=self.now)
        elif sig is LineSignal.ONHOOK:
            self._guarded(self.core.line_onhook, dev, now=self.now)
        elif sig is LineSignal.PORT_FAILED:
            self._guarded(self.core.port_failed, dev, now=self.now)
            if ev.port in self._trunks:
                self._reset_trunk(ev.port)

    def _reset_trunk(self, port: int) -> None:
        """The line is idle again: forget its call, listen for caller ID again."""
        self._trunks[port] = _TrunkState()
        if self._cid is not None:
            self._cid.busy[self._trunk_row[port]] = False

    def _offer(self, port: int) -> None:
        st = self._trunks[port]
        st.offered = True
        if self._cid is not None:
            self._cid.busy[self._trunk_row[port]] = True
        called = self.default_route
        self._guarded(
            self.core.incoming_call,
            self.device_of[port],
            calling_number=st.caller_number or "",
            called_number=called or "",
            now=self.now,
        )

    def _media_event(self, ev: Any) -> None:
        channel = getattr(ev, "channel", None)
        if channel is None:
            self.media_events.append(ev)
            return
        dev = self.device_of[channel]
        digit = getattr(ev, "digit", None)
        if digit is not None:
            if self._in_call(dev):
                self._guarded(self.core.digits_detected, dev, digit, now=self.now, quiet=True)
            return
        tone = getattr(ev, "tone", None)
        if tone is not None:
            st = self._trunks.get(channel)
            if tone in _RELEASE_TONES and st is not None and st.offered:
                self._guarded(self.core.far_end_released, dev, now=self.now)
            return
        if hasattr(ev, "caller_id"):
            st = self._trunks.get(channel)
            if st is None or st.offered:
                return
            cid = ev.caller_id
            if cid is not None:
                st.caller_number = cid.number or (cid.number_absence or "unknown")
            else:
                st.caller_number = "unknown"
            if st.rings >= 1:
                self._offer(channel)
            return
        self.media_events.append(ev)

    def _in_call(self, dev: str) -> bool:
        port = self.port_of.get(dev)
        return port is not None and port in self._group_of

    def _guarded(self, fn: Callable[..., Any], *args: Any, quiet: bool = False, **kwargs: Any) -> Any:
        """Feed one input to the core; a refusal is recorded, never raised into the tick loop."""
        try:
            return fn(*args, **kwargs)
        except CstaError as exc:
            if not quiet:
                self._problem(f"{getattr(fn, '__name__', fn)}{args}: {exc}")
            return None

    def _problem(self, text: str) -> None:
        log.warning("%s", text)
        self.errors.append(text)

    # ------------------------------------------------------------------ outputs
    def _after_core(self) -> None:
        for c in self.core.take_commands():
            self._command(c)
        self.events.extend(self.core.take_events())

    def _command(self, c: Any) -> None:
        if isinstance(c, cmd.MediaTopology):
            self._topology(c.call_id, c.parties)
            return
        port = self.port_of.get(getattr(c, "device", None) or getattr(c, "trunk", None) or "")
        if port is None:
            return
        try:
            if isinstance(c, cmd.RingStation):
                self.driver.ring(port, True)
            elif isinstance(c, cmd.StopRinging):
                self.driver.ring(port, False)
            elif isinstance(c, cmd.AnswerLine):
                self.driver.hook(port, True)
            elif isinstance(c, cmd.ReleaseLine):
                self.driver.hook(port, False)
                self.media.stop_playing(port)
                if port in self._trunks:
                    self._reset_trunk(port)
            elif isinstance(c, cmd.SeizeTrunk):
                self.driver.hook(port, True)
                self.media.send_digits(port, c.number)
            elif isinstance(c, cmd.SendDigits):
                self._send_digits(c.device, c.digits)
        except OSError as exc:  # a failed port: the core learns it, other calls go on
            self._problem(f"{type(c).__name__}({self.device_of[port]}): {exc}")
            self._guarded(self.core.port_failed, self.device_of[port], now=self.now)

    def _send_digits(self, device: str, digits: str) -> None:
        """DTMF from ``device`` into its call: every other party's channel hears it."""
        for parties in self.parties.values():
            if device in parties:
                for other in parties:
                    p = self.port_of.get(other)
                    if other != device and p is not None:
                        self.media.send_digits(p, digits)
                return

    def _topology(self, call_id: str, parties: tuple[str, ...]) -> None:
        if parties:
            self.parties[call_id] = tuple(parties)
        else:
            self.parties.pop(call_id, None)
        channels = [self.port_of[d] for d in parties if d in self.port_of]
        for ch in channels:
            other = self._group_of.get(ch)
            if other is not None and other != call_id:
                rest = [c for c, g in self._group_of.items() if g == other and c != ch]
                self.media.set_parties(other, rest)
                del self._group_of[ch]
        for ch in [c for c, g in self._group_of.items() if g == call_id and c not in channels]:
            del self._group_of[ch]
        self.media.set_parties(call_id, channels)
        for ch in channels:
            self._group_of[ch] = call_id

    # ------------------------------------------------------------------ helpers for the provider
    def channel_of(self, device: str) -> int:
        """The media channel (driver port) of a device; ValueError for virtual devices."""
        try:
            return self.port_of[device]
        except KeyError:
            raise CstaError(ErrorValue.INVALID_DEVICE_ID, f"{device!r} has no media channel") from None

    def call_channels(self, call_id: str, exclude: str | None = None) -> list[int]:
        """Channels of the connected parties of a call (optionally without one device)."""
        return [self.port_of[d] for d in self.parties.get(call_id, ()) if d in self.port_of and d != exclude]

    def close(self) -> None:
        self.media.close()
        self.driver.close()
