"""The driver protocol: what the soft switch needs from any telephony hardware.

A driver owns a number of ports (channels).  Once per media tick the switch hands it the
outbound audio of all its ports as one ``(ports, samples)`` int16 array and receives their
inbound audio the same way; signalling is polled as :class:`LineEvent` values and driven with
the switch's line commands.  Drivers do no call control: that is the switch core's job.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["PortKind", "LineSignal", "LineEvent", "PortInfo", "Driver"]


class PortKind(enum.Enum):
    """What faces a port: a line to the central office, or an extension phone."""

    TRUNK = "trunk"
    STATION = "station"


class LineSignal(enum.Enum):
    """Line signalling a driver reports."""

    RING_ON = "ring_on"  #: the central office rings a trunk (start of a ring burst)
    RING_OFF = "ring_off"  #: end of a ring burst
    LOOP_DROP = "loop_drop"  #: loop current dropped: the far end released (if the line reports it)
    OFFHOOK = "offhook"  #: a station's handset was lifted
    ONHOOK = "onhook"  #: a station's handset was replaced
    CALLER_GONE = "caller_gone"  #: the far end stopped ringing before anyone answered
    PORT_FAILED = "port_failed"  #: the port's hardware failed


@dataclass(frozen=True, slots=True, kw_only=True)
class LineEvent:
    """One signalling event on one port; ``sample`` counts samples since the driver opened."""

    port: int
    signal: LineSignal
    sample: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PortInfo:
    """A port's static description."""

    port: int
    kind: PortKind
    has_dsp: bool = False  #: True when the hardware detects digits/tones itself


@runtime_checkable
class Driver(Protocol):
    """What the switch calls on a driver."""

    def ports(self) -> list[PortInfo]:
        """The driver's ports, in port order."""
        ...

    def exchange(self, outbound: np.ndarray) -> np.ndarray:
        """Send ``outbound`` (ports, n) int16 to the ports and return their inbound audio."""
        ...

    def poll(self) -> list[LineEvent]:
        """Signalling events since the last poll, in order."""
        ...

    def hook(self, port: int, offhook: bool) -> None:
        """Seize/answer (True) or release (False) a trunk; hands-free off/on hook on a station."""
        ...

    def ring(self, port: int, on: bool) -> None:
        """Start or stop ringing a station port."""
        ...

    def close(self) -> None:
        """Release the hardware."""
        ...
