"""The simulated board as a pycti driver: adapts :class:`pycti.drivers.simboard.SimBoard`
(C, cffi) to the :class:`pycti.drivers.base.Driver` protocol.

Trunk ports come first (``0 .. trunks-1``), station ports after them.  Script progress events
(``MARK``, ``SCRIPT_DONE``) are not line signalling; they are kept for the simulation harness
in :attr:`SimDriver.script_events`.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .base import LineEvent, LineSignal, PortInfo, PortKind
from .simboard import SimBoard, SimEvent, SimEventType

__all__ = ["SimDriver"]

_SIGNALS = {
    SimEventType.RING_ON: LineSignal.RING_ON,
    SimEventType.RING_OFF: LineSignal.RING_OFF,
    SimEventType.LOOP_DROP: LineSignal.LOOP_DROP,
    SimEventType.OFFHOOK: LineSignal.OFFHOOK,
    SimEventType.ONHOOK: LineSignal.ONHOOK,
    SimEventType.PORT_FAILED: LineSignal.PORT_FAILED,
}


class SimDriver:
    """Driver over a simulated board of ``trunks`` CO lines and ``stations`` agent phones."""

    def __init__(self, trunks: int, stations: int, *, seed: int = 0, report_loop_drop: bool = False) -> None:
        self.board = SimBoard(trunks, stations, seed=seed)
        self.trunks = trunks
        self.stations = stations
        self.script_events: deque[SimEvent] = deque()
        if report_loop_drop:
            for p in range(trunks):
                self.board.report_loop_drop(p, True)
        self._ports = [
            PortInfo(port=p, kind=PortKind.TRUNK if p < trunks else PortKind.STATION)
            for p in range(trunks + stations)
        ]

    def ports(self) -> list[PortInfo]:
        return list(self._ports)

    def exchange(self, outbound: np.ndarray) -> np.ndarray:
        return self.board.exchange(outbound)

    def poll(self) -> list[LineEvent]:
        out: list[LineEvent] = []
        for ev in self.board.poll():
            signal = _SIGNALS.get(ev.type)
            if signal is not None:
                out.append(LineEvent(port=ev.port, signal=signal, sample=ev.sample))
                continue
            self.script_events.append(ev)
            if ev.type == SimEventType.SCRIPT_DONE and ev.arg == SimBoard.GAVE_UP:
                out.append(LineEvent(port=ev.port, signal=LineSignal.CALLER_GONE, sample=ev.sample))
        return out

    def hook(self, port: int, offhook: bool) -> None:
        self.board.hook(port, offhook)

    def ring(self, port: int, on: bool) -> None:
        self.board.ring_station(port, on)

    def close(self) -> None:
        self.board.close()
