"""The simulated board as a pycti driver.

:class:`SimLines` is the board's :class:`~pycti.drivers.base.LineDriver` face (line signals,
hook and ring, the called number of a trunk); :class:`SimDriver` puts the shared
:class:`~pycti.drivers.analog.AnalogAdapter` over it, so the switch sees calls.

Trunk ports come first (``0 .. trunks-1``), station ports after them.  Script progress events
(``MARK``, ``SCRIPT_DONE``) are not line signalling; they are kept for the simulation harness
in :attr:`SimDriver.script_events`, a bounded queue (:attr:`SimDriver.script_events_lost`
counts what fell off its end when nobody drains it).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from .analog import AnalogAdapter, AnalogConfig
from .base import LineEvent, LineSignal, PortDead, PortInfo, PortKind, RequestRefused
from .simboard import PortFailedError, PortStateError, SimBoard, SimEvent, SimEventType

__all__ = ["SimLines", "SimDriver"]

_SIGNALS = {
    SimEventType.RING_ON: LineSignal.RING_ON,
    SimEventType.RING_OFF: LineSignal.RING_OFF,
    SimEventType.LOOP_DROP: LineSignal.LOOP_DROP,
    SimEventType.OFFHOOK: LineSignal.OFFHOOK,
    SimEventType.ONHOOK: LineSignal.ONHOOK,
    SimEventType.PORT_FAILED: LineSignal.PORT_FAILED,
    SimEventType.ANSWER: LineSignal.REVERSAL,  #: the CO's battery reversal on answer
}

#: How many script events :attr:`SimDriver.script_events` keeps when nobody drains it.
SCRIPT_EVENTS_MAX = 10_000


class SimLines:
    """The sim board's line-level face: board errors become RequestRefused / PortDead."""

    def __init__(self, board: SimBoard, *, report_loop_drop: bool = False,
                 script_events_max: int = SCRIPT_EVENTS_MAX) -> None:
        self.board = board
        self.trunks = board.n_trunks
        self.stations = board.n_stations
        self.script_events: deque[SimEvent] = deque(maxlen=script_events_max)
        self.script_events_lost = 0
        self._failed: set[int] = set()
        self._report_loop_drop = report_loop_drop
        self._ports = [
            PortInfo(port=p, kind=PortKind.TRUNK if p < self.trunks else PortKind.STATION)
            for p in range(board.n_ports)
        ]

    def open(self) -> None:
        if self._report_loop_drop:
            for p in range(self.trunks):
                self.board.report_loop_drop(p, True)

    def close(self) -> None:
        self.board.close()

    def line_ports(self) -> list[PortInfo]:
        return list(self._ports)

    def exchange(self, outbound: np.ndarray) -> np.ndarray:
        return self.board.exchange(outbound)

    def poll_lines(self) -> list[LineEvent]:
        out: list[LineEvent] = []
        for ev in self.board.poll():
            signal = _SIGNALS.get(ev.type)
            if signal is not None:
                if signal is LineSignal.PORT_FAILED:
                    self._failed.add(ev.port)
                out.append(LineEvent(port=ev.port, signal=signal, sample=ev.sample))
                continue
            if len(self.script_events) == self.script_events.maxlen:
                self.script_events_lost += 1
            self.script_events.append(ev)
            if ev.type == SimEventType.SCRIPT_DONE and ev.arg == SimBoard.GAVE_UP:
                out.append(LineEvent(port=ev.port, signal=LineSignal.CALLER_GONE, sample=ev.sample))
        for port in sorted(self._failed):
            if not self.board.state(port).failed:  # repaired
                self._failed.discard(port)
                out.append(LineEvent(port=port, signal=LineSignal.PORT_RESTORED, sample=self.board.time_samples))
        return out

    def _call(self, request: str, port: int, fn: Any, *args: Any) -> None:
        try:
            fn(port, *args)
        except PortStateError as exc:
            raise RequestRefused(port, request, str(exc)) from exc
        except PortFailedError as exc:
            self._failed.add(port)
            raise PortDead(port, request, str(exc)) from exc

    def hook(self, port: int, offhook: bool) -> None:
        self._call("hook", port, self.board.hook, offhook)

    def ring_station(self, port: int, on: bool) -> None:
        self._call("ring", port, self.board.ring_station, on)

    def called_number(self, port: int) -> str | None:
        return self.board.called_number(port) or None

    def events_lost(self) -> int:
        return int(self.board.event_overflow)


class SimDriver(AnalogAdapter):
    """Driver over a simulated board of ``trunks`` CO lines and ``stations`` agent phones."""

    def __init__(self, trunks: int, stations: int, *, seed: int = 0, report_loop_drop: bool = False,
                 config: AnalogConfig | None = None) -> None:
        self.sim = SimLines(SimBoard(trunks, stations, seed=seed), report_loop_drop=report_loop_drop)
        self.board = self.sim.board
        self.trunks = trunks
        self.stations = stations
        super().__init__(self.sim, config)
        self.open()

    @property
    def script_events(self) -> deque[SimEvent]:
        """Script progress events (MARK, SCRIPT_DONE) for the simulation harness; bounded."""
        return self.sim.script_events

    @property
    def script_events_lost(self) -> int:
        """Script events dropped because :attr:`script_events` was full."""
        return self.sim.script_events_lost

    def hook(self, port: int, offhook: bool) -> None:
        """The simulated person at station ``port`` lifts (True) or replaces the handset."""
        self.board.hook(port, offhook)
