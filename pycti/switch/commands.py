"""Commands from the switch core to the layer below (drivers and media plane).

Drained in order with :meth:`pycti.switch.core.SwitchCore.take_commands`.  Each command is a
frozen, slotted, keyword-only dataclass naming the device (the port) it acts on.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnswerLine",
    "Command",
    "DialTone",
    "MediaTopology",
    "ReleaseLine",
    "RingStation",
    "SeizeTrunk",
    "SendDigits",
    "StopRinging",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """Base of all switch commands."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RingStation(Command):
    """Start ringing station ``device``; ``calling_number`` is for its caller-ID display."""

    device: str
    calling_number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StopRinging(Command):
    """Stop ringing station ``device`` (answered, diverted, picked up or abandoned)."""

    device: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerLine(Command):
    """Take ``device`` off-hook: answer a trunk, or put a station off-hook hands-free."""

    device: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseLine(Command):
    """Put ``device`` on-hook: release a trunk, or disconnect a station's line."""

    device: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SeizeTrunk(Command):
    """Seize trunk ``trunk`` and dial ``number`` towards the network (outbound call)."""

    trunk: str
    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SendDigits(Command):
    """Play ``digits`` as DTMF towards the far end of ``device``'s connection."""

    device: str
    digits: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaTopology(Command):
    """The devices of call ``call_id`` that hear each other now (their connections are
    connected): 2 parties form a bridge, 3 or more a conference, 0 or 1 nothing.

    Emitted whenever that set changes; ``parties=()`` when a call that had parties ends.
    Held, alerting, queued and failed connections are not parties.
    """

    call_id: str
    parties: tuple[str, ...]
    #: parties who only listen (a supervisor), each with the one party who hears them
    #: (whisper) or None (silent monitoring)
    listeners: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DialTone(Command):
    """Start (``on``) or stop the dial tone ``device`` hears while it dials."""

    device: str
    on: bool
