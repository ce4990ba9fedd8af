"""The driver protocol: what the soft switch needs from any telephony hardware.

A driver owns ports (channels): trunk ports that face the network and station ports that face
phones.  It speaks *calls*, not line states, in both directions:

* **from the driver** -- :meth:`Driver.poll` returns :class:`DriverEvent` values: an
  :class:`IncomingCall` with calling and called number, a station that was :class:`Seized`
  (lifted to dial), :class:`Alerting` (the far end rings), :class:`Answered`,
  :class:`Released` with a :class:`ReleaseCause`, :class:`DigitsReceived` out of band,
  :class:`PortFailed` / :class:`PortRestored`, :class:`PortAdded` / :class:`PortRemoved`
  for ports that come and go, and :class:`EventsLost` when the driver's own queue overflowed;
* **to the driver** -- :meth:`Driver.dial`, :meth:`~Driver.answer`, :meth:`~Driver.release`,
  :meth:`~Driver.ring` / :meth:`~Driver.stop_ring`, :meth:`~Driver.send_digits` and
  :meth:`~Driver.set_media_direction`.  A request the port cannot carry out *in its present
  state* raises :class:`RequestRefused` (the port stays in service); a port whose hardware is
  gone raises :class:`PortDead` (the switch takes it out of service until
  :class:`PortRestored`).

Audio moves once per media tick: :meth:`Driver.exchange` takes the outbound audio of every
port slot as one ``(slots, samples)`` int16 array and returns the inbound audio the same way.
A driver has a fixed number of slots (:meth:`Driver.capacity`); ports occupy slots while they
exist.  A port whose hardware detects digits and tones itself says so (``has_dsp``) and the
switch runs no detector on it.  Drivers do no call control: that is the switch core's job.

Analog lines (ring cadences, caller ID between rings, far-end disconnect by busy tone or loop
drop, in-band dialling after seizure) are turned into these events by one shared adapter,
:class:`pycti.drivers.analog.AnalogAdapter`, over the smaller :class:`LineDriver` protocol.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..clock import Clock
from ..errors import DriverError

__all__ = [
    "PortKind",
    "Presentation",
    "CallerIdentity",
    "ReleaseCause",
    "MediaDirection",
    "PortInfo",
    "DriverEvent",
    "IncomingCall",
    "Seized",
    "Alerting",
    "Answered",
    "Released",
    "DigitsReceived",
    "PortFailed",
    "PortRestored",
    "PortAdded",
    "PortRemoved",
    "EventsLost",
    "TransferFailed",
    "RequestRefused",
    "PortDead",
    "Driver",
    "NetworkTransfer",
    "LineSignal",
    "LineEvent",
    "LineDriver",
]


class PortKind(enum.Enum):
    """What faces a port: a line to the network, or an extension phone."""

    TRUNK = "trunk"
    STATION = "station"


class Presentation(enum.Enum):
    """Whether a calling number may be shown (caller ID 'P' = withheld, 'O' = unavailable)."""

    AVAILABLE = "available"
    WITHHELD = "withheld"  #: the caller restricted presentation (caller ID reason 'P')
    UNAVAILABLE = "unavailable"  #: the network does not know it (caller ID reason 'O')


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerIdentity:
    """Who calls: a number (None when withheld or unavailable), a name where the line gives one."""

    number: str | None = None
    name: str | None = None
    presentation: Presentation = Presentation.AVAILABLE

    def __post_init__(self) -> None:
        if self.presentation is Presentation.AVAILABLE and self.number is None and self.name is None:
            object.__setattr__(self, "presentation", Presentation.UNAVAILABLE)


class ReleaseCause(enum.Enum):
    """Why a driver-side party went away (a subset of Q.850 a board can tell apart)."""

    NORMAL = "normal"  #: the party hung up
    BUSY = "busy"  #: the called party is busy (busy tone, SIP 486)
    NO_ANSWER = "no_answer"  #: nobody answered
    REJECTED = "rejected"  #: the network or the party refused the call (SIP 603)
    UNREACHABLE = "unreachable"  #: number unobtainable / congestion / SIT (SIP 404, 503)
    NETWORK_FAILURE = "network_failure"  #: the line or link failed


class MediaDirection(enum.Enum):
    """Which way audio flows on a port (SDP's attribute names): hold is SENDONLY/INACTIVE."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True, kw_only=True)
class PortInfo:
    """A port's description: its number within its driver, what faces it, whether its
    hardware detects digits and tones (``has_dsp``), and optional names from the driver's
    configuration (a directory number for a station, a trunk group for a trunk)."""

    port: int
    kind: PortKind
    has_dsp: bool = False
    name: str | None = None
    group: str | None = None


# ---------------------------------------------------------------------- driver -> switch
@dataclass(frozen=True, slots=True, kw_only=True)
class DriverEvent:
    """One event on one port; ``sample`` counts 8 kHz samples since the driver opened."""

    port: int
    sample: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingCall(DriverEvent):
    """The network offers a call on trunk ``port``: ``called`` is the dialled number (DNIS),
    None when the line does not say."""

    caller: CallerIdentity = CallerIdentity()
    called: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Seized(DriverEvent):
    """A station went off-hook with no call ringing it: it wants to dial."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Alerting(DriverEvent):
    """The far end of an outgoing call rings (ringback heard, SIP 180)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered(DriverEvent):
    """The far end of an outgoing call answered, or a ringing station was lifted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Released(DriverEvent):
    """The driver-side party went away (hung up, busy, refused ...) for ``cause``."""

    cause: ReleaseCause = ReleaseCause.NORMAL


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitsReceived(DriverEvent):
    """Digits signalled out of band (hardware DSP, RFC 4733, ISDN keypad)."""

    digits: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PortFailed(DriverEvent):
    """The port's hardware (or link) failed; every call on it is lost."""

    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PortRestored(DriverEvent):
    """A failed port works again and can serve calls."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PortAdded(DriverEvent):
    """A port came into being at run time (a SIP trunk channel, a hot-plugged card)."""

    info: PortInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class PortRemoved(DriverEvent):
    """A port ceased to exist; its slot may be reused by a later PortAdded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EventsLost(DriverEvent):
    """The driver's event queue overflowed and ``count`` events were lost (``port`` is -1)."""

    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferFailed(DriverEvent):
    """The far end of trunk ``port`` did not take the transfer :meth:`NetworkTransfer.transfer_out`
    asked of it (SIP: REFER refused, or its NOTIFY reported the new call failed); the call is
    still up on ``port`` and the switch connects it itself."""

    reason: str = ""


# ---------------------------------------------------------------------- switch -> driver errors
class _PortRequestError(DriverError):
    """A request on one port did not happen; ``port``, ``request`` and ``reason`` say which and why."""

    verb = "failed"

    def __init__(self, port: int, request: str, reason: str) -> None:
        super().__init__(f"{request} on port {port} {self.verb}: {reason}")
        self.port = port
        self.request = request
        self.reason = reason


class RequestRefused(_PortRequestError):
    """The port cannot do this now (wrong state: already ringing, on-hook ...); it stays in service."""

    verb = "refused"


class PortDead(_PortRequestError):
    """The port's hardware is gone; the switch takes it out of service until PortRestored."""


@runtime_checkable
class Driver(Protocol):
    """The contract of a pycti driver (see docs/drivers.md).

    Lifecycle: ``async with driver:`` opens the hardware and closes it on exit; the switch
    calls everything else between the two from its tick thread, never concurrently.
    """

    async def __aenter__(self) -> Driver: ...

    async def __aexit__(self, *exc: object) -> None: ...

    def capacity(self) -> int:
        """Port slots: the first dimension of the arrays :meth:`exchange` takes and returns."""
        ...

    def ports(self) -> list[PortInfo]:
        """The ports that exist now (PortAdded/PortRemoved report later changes)."""
        ...

    def media_clock(self) -> Clock | None:
        """The clock the driver's media runs on (a card's frame interrupt, RTP arrival), or
        None to follow the switch's clock."""
        ...

    def exchange(self, outbound: np.ndarray) -> np.ndarray:
        """Send one frame ``outbound`` (capacity, n) int16 and return the inbound frame."""
        ...

    def poll(self) -> list[DriverEvent]:
        """Events since the last poll, in order."""
        ...

    def dial(self, port: int, number: str) -> None:
        """Seize trunk ``port`` and call ``number`` (digits, ``*``, ``#``; a leading ``+`` is
        international).  Progress comes back as Alerting, Answered or Released."""
        ...

    def answer(self, port: int) -> None:
        """Answer the incoming call on trunk ``port`` (take it off-hook, SIP 200)."""
        ...

    def release(self, port: int, cause: ReleaseCause = ReleaseCause.NORMAL) -> None:
        """End whatever call ``port`` has (on-hook, SIP BYE/CANCEL/486 by ``cause``)."""
        ...

    def ring(self, port: int, caller: CallerIdentity | None = None) -> None:
        """Ring station ``port`` (with caller ID where the phone shows it)."""
        ...

    def stop_ring(self, port: int) -> None:
        """Stop ringing station ``port``."""
        ...

    def send_digits(self, port: int, digits: str) -> bool:
        """Signal ``digits`` out of band on ``port``; False when the port cannot (the switch
        then plays them in band)."""
        ...

    def set_media_direction(self, port: int, direction: MediaDirection) -> None:
        """Change which way audio flows on ``port`` (hold, resume)."""
        ...


@runtime_checkable
class NetworkTransfer(Protocol):
    """What a driver whose trunks can hand a call over to the network offers besides
    :class:`Driver` (a SIP trunk whose carrier accepts REFER, RFC 3515; an ISDN line with
    explicit call transfer).  The switch asks it on a single-step transfer of an external
    party to an external number, instead of holding a second trunk and bridging the two."""

    def transfer_out(self, port: int, number: str) -> bool:
        """Ask the far end of trunk ``port`` to call ``number`` itself and leave.  True when
        the request went out: the outcome comes later, Released on ``port`` (the far end took
        the call elsewhere) or TransferFailed (the call stays up on ``port``).  False when
        this port or its far end cannot (the switch connects the call itself)."""
        ...


# ---------------------------------------------------------------------- analog line level
class LineSignal(enum.Enum):
    """Line signalling an analog board reports (what :class:`LineDriver.poll_lines` returns)."""

    RING_ON = "ring_on"  #: the central office rings a trunk (start of a ring burst)
    RING_OFF = "ring_off"  #: end of a ring burst
    LOOP_DROP = "loop_drop"  #: loop current dropped: the far end released (if the line reports it)
    REVERSAL = "reversal"  #: battery (polarity) reversal: the far end answered an outgoing call
    OFFHOOK = "offhook"  #: a station's handset was lifted
    ONHOOK = "onhook"  #: a station's handset was replaced
    CALLER_GONE = "caller_gone"  #: the far end stopped ringing before anyone answered
    PORT_FAILED = "port_failed"  #: the port's hardware failed
    PORT_RESTORED = "port_restored"  #: the port's hardware works again


@dataclass(frozen=True, slots=True, kw_only=True)
class LineEvent:
    """One line-signalling event on one port; ``sample`` counts samples since the board opened."""

    port: int
    signal: LineSignal
    sample: int


@runtime_checkable
class LineDriver(Protocol):
    """What an analog board gives the shared :class:`~pycti.drivers.analog.AnalogAdapter`:
    ports, audio, line signals and hook/ring control.  Requests the port refuses in its state
    raise :class:`RequestRefused`; a dead port raises :class:`PortDead`."""

    def line_ports(self) -> list[PortInfo]: ...

    def exchange(self, outbound: np.ndarray) -> np.ndarray: ...

    def poll_lines(self) -> list[LineEvent]: ...

    def hook(self, port: int, offhook: bool) -> None: ...

    def ring_station(self, port: int, on: bool) -> None: ...

    def called_number(self, port: int) -> str | None:
        """The number the network called on trunk ``port`` (DID/DNIS), if the line tells."""
        ...

    def events_lost(self) -> int:
        """How many line events the board's queue has dropped since it opened."""
        ...

    def open(self) -> None: ...

    def close(self) -> None: ...
