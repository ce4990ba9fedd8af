"""RFC 4733 telephone events (DTMF) over RTP: payload, sender and receiver.

Payload (§2.3): ``event`` (8 bits) | ``E`` end bit | ``R`` reserved | ``volume`` (6 bits, 0 to
-63 dBm0 as 0-63) | ``duration`` (16 bits, timestamp units).  Events 0-9 are the digits, 10
``*``, 11 ``#``, 12-15 ``A``-``D``, 16 flash (§3.2, Table 7); pycti spells flash ``"!"``.

Sender (§2.5.1): an event keeps the RTP timestamp of its start; its first packet carries the
marker bit, each further packet (one per 20 ms tick) the duration so far, and the final packet
the E bit and the total duration; the final packet is sent three times (§2.5.1.4), with the same
timestamp and duration and new sequence numbers.  Durations stop at 65535 (8.19 s); longer
events (§2.5.1.3 segments) are refused: a press lasts at most 8180 ms.

Receiver (§2.5.2): one :class:`DigitReceived` per key press.  Packets of a timestamp already
ended (the retransmitted end packets, late updates) are dropped; the first packet seen of a new
timestamp starts the event whether or not it has the marker bit (a lost start packet); an event
without an end packet ends when a packet of a new event arrives or, by :meth:`poll`, when no
packet came for ``timeout_s``.  The receiver is one transition table, ``(state, input) ->
(action, next state)``.
"""

from __future__ import annotations

import enum
import struct
from collections import deque
from dataclasses import dataclass
from typing import Callable, NamedTuple

from pycti.errors import PyctiError

__all__ = [
    "EVENT_DIGITS",
    "DigitReceived",
    "EventPacket",
    "TelephoneEventError",
    "TelephoneEventPayload",
    "TelephoneEventReceiver",
    "TelephoneEventSender",
    "digit_to_event",
    "event_to_digit",
    "parse_event_payload",
    "build_event_payload",
]

#: pycti's digit character of each event code 0-16 (RFC 4733 Table 7).
EVENT_DIGITS = "0123456789*#ABCD!"
_PAYLOAD = struct.Struct("!BBH")
_MAX_DURATION = 0xFFFF
TICK_SAMPLES = 160


class TelephoneEventError(PyctiError, ValueError):
    """A malformed RFC 4733 payload, or a digit/duration/volume that cannot be sent."""


def digit_to_event(digit: str) -> int:
    """RFC 4733 event code of a pycti digit character (``"0"``-``"9"``, ``*#ABCD``, ``!``)."""
    code = EVENT_DIGITS.find(digit.upper()) if isinstance(digit, str) and len(digit) == 1 else -1
    if code < 0:
        raise TelephoneEventError(f"no RFC 4733 event for digit {digit!r} (want one of {EVENT_DIGITS!r})")
    return code


def event_to_digit(event: int) -> str | None:
    """The digit character of an event code, ``None`` for codes other than 0-16."""
    return EVENT_DIGITS[event] if 0 <= event < len(EVENT_DIGITS) else None


class TelephoneEventPayload(NamedTuple):
    """The first (usually only) event block of a payload."""

    event: int
    end: bool
    volume: int  #: 0-63, meaning 0 to -63 dBm0
    duration: int  #: timestamp units


def parse_event_payload(payload: bytes) -> TelephoneEventPayload:
    """Decode the first 4-octet event block (further blocks, §2.5.1.5, are ignored)."""
    if len(payload) < 4:
        raise TelephoneEventError(f"RFC 4733 payload of {len(payload)} octets, need 4")
    event, flags, duration = _PAYLOAD.unpack_from(payload)
    return TelephoneEventPayload(event, bool(flags & 0x80), flags & 0x3F, duration)


def build_event_payload(event: int, end: bool, volume: int, duration: int) -> bytes:
    """Encode one event block; :class:`TelephoneEventError` for a field out of range."""
    if not 0 <= event <= 255 or not 0 <= volume <= 63 or not 0 <= duration <= _MAX_DURATION:
        raise TelephoneEventError(f"RFC 4733 field out of range: event {event}, volume {volume}, duration {duration}")
    return _PAYLOAD.pack(event, (0x80 if end else 0) | volume, duration)


class EventPacket(NamedTuple):
    """One packet the sender wants sent: RTP ``timestamp`` and ``marker`` and the payload."""

    timestamp: int
    marker: bool
    payload: bytes


@dataclass(frozen=True, slots=True)
class _Press:
    event: int
    duration: int
    volume: int


class TelephoneEventSender:
    """Turns key presses into RFC 4733 packets, one call of :meth:`tick` per 20 ms.

    ``press(digit, duration_ms, volume_dbm0)`` queues a key press; ``tick(timestamp)`` (the RTP
    timestamp of this tick's audio frame) returns the event packets due now: while an event is
    on, the sender's audio should be suppressed (:attr:`active`).  Presses are separated by
    ``gap_ms`` of no event.
    """

    def __init__(self, *, gap_ms: int = 60) -> None:
        if gap_ms < 0 or gap_ms % 20:
            raise TelephoneEventError(f"gap_ms must be a non-negative multiple of 20, got {gap_ms}")
        self._queue: deque[_Press] = deque()
        self._current: _Press | None = None
        self._start_ts = 0
        self._elapsed = 0
        self._end_repeats = 0  # end packets still to send
        self._gap_ticks = 0
        self._gap = gap_ms // 20
        self._repeat_tick = False
        self.covering = False  #: the last tick's packet was a start, update or first end

    def press(self, digit: str, duration_ms: int = 100, volume_dbm0: int = -10) -> None:
        """Queue one key press of ``digit`` lasting ``duration_ms`` (20-8180 ms, rounded up to
        whole ticks; the 16-bit duration field ends at 8191 ms) at ``volume_dbm0`` (0 to -63)."""
        event = digit_to_event(digit)
        if not 20 <= duration_ms <= 8180:
            raise TelephoneEventError(f"event duration {duration_ms} ms is outside 20-8180 ms")
        if not -63 <= volume_dbm0 <= 0:
            raise TelephoneEventError(f"event volume {volume_dbm0} dBm0 is outside 0 to -63")
        ticks = -(-duration_ms // 20)
        self._queue.append(_Press(event, ticks * TICK_SAMPLES, -volume_dbm0))

    @property
    def active(self) -> bool:
        """True while an event occupies the stream (its packets replace the audio)."""
        return self._current is not None and self._end_repeats == 0

    @property
    def idle(self) -> bool:
        """Nothing queued, nothing in progress."""
        return self._current is None and not self._queue and self._gap_ticks == 0

    def tick(self, timestamp: int) -> list[EventPacket]:
        """The packets of this 20 ms tick (none, one start/update/end, or an end repeat);
        :attr:`covering` then tells whether the event covers this tick (audio suppressed)."""
        out = self._tick(timestamp)
        self.covering = bool(out) and not self._repeat_tick
        return out

    def _tick(self, timestamp: int) -> list[EventPacket]:
        self._repeat_tick = False
        cur = self._current
        if cur is not None:
            if self._end_repeats:
                self._repeat_tick = True
                self._end_repeats -= 1
                if self._end_repeats == 0:
                    self._current = None
                    self._gap_ticks = self._gap
                return [EventPacket(self._start_ts, False, build_event_payload(cur.event, True, cur.volume, cur.duration))]
            self._elapsed += TICK_SAMPLES
            if self._elapsed >= cur.duration:
                self._end_repeats = 2
                return [EventPacket(self._start_ts, False, build_event_payload(cur.event, True, cur.volume, cur.duration))]
            return [EventPacket(self._start_ts, False, build_event_payload(cur.event, False, cur.volume, self._elapsed))]
        if self._gap_ticks:
            self._gap_ticks -= 1
            return []
        if not self._queue:
            return []
        cur = self._current = self._queue.popleft()
        self._start_ts = timestamp & 0xFFFFFFFF
        self._elapsed = TICK_SAMPLES
        if self._elapsed >= cur.duration:  # a one-tick press: the start is also the end
            self._end_repeats = 2
            return [EventPacket(self._start_ts, True, build_event_payload(cur.event, True, cur.volume, cur.duration))]
        return [EventPacket(self._start_ts, True, build_event_payload(cur.event, False, cur.volume, self._elapsed))]


@dataclass(frozen=True, slots=True)
class DigitReceived:
    """One key press received as RFC 4733 events.

    ``digit`` is pycti's character (``None`` member codes above 16 are reported with
    ``digit="?"``), ``duration_ms`` the last duration seen, ``ended_by`` ``"end"`` (E bit),
    ``"next"`` (a new event came first) or ``"timeout"``; ``start_lost`` when the first packet
    seen had no marker bit; ``volume_dbm0`` 0 to -63.
    """

    digit: str
    event: int
    timestamp: int
    duration_ms: float
    volume_dbm0: int
    ended_by: str
    start_lost: bool


class _RxState(enum.Enum):
    IDLE = "idle"
    ACTIVE = "active"


class _RxInput(enum.Enum):
    NEW = "new"  # first packet of an unseen timestamp, no E bit
    NEW_END = "new_end"  # first packet of an unseen timestamp with the E bit
    UPDATE = "update"  # same timestamp as the event in progress
    END = "end"  # same timestamp, E bit
    STALE = "stale"  # a timestamp already ended or older: retransmission or late
    TIMEOUT = "timeout"


@dataclass(slots=True)
class _Active:
    timestamp: int
    event: int
    duration: int
    volume: int
    start_lost: bool
    last_s: float


class TelephoneEventReceiver:
    """Dedupes and assembles RFC 4733 packets into :class:`DigitReceived` events."""

    def __init__(self, *, timeout_s: float = 0.25, clock_hz: int = 8000) -> None:
        self.timeout_s = timeout_s
        self._clock_hz = clock_hz
        self.state = _RxState.IDLE
        self._active: _Active | None = None
        self._last_ended: int | None = None  # timestamp of the last finished event

    def _classify(self, timestamp: int, end: bool) -> _RxInput:
        act = self._active
        if act is not None and timestamp == act.timestamp:
            return _RxInput.END if end else _RxInput.UPDATE
        last = self._last_ended
        if last is not None and ((timestamp - last) & 0xFFFFFFFF == 0 or (timestamp - last) & 0xFFFFFFFF >= 0x80000000):
            return _RxInput.STALE
        if act is not None and (timestamp - act.timestamp) & 0xFFFFFFFF >= 0x80000000:
            return _RxInput.STALE
        return _RxInput.NEW_END if end else _RxInput.NEW

    def receive(self, timestamp: int, marker: bool, payload: bytes, now_s: float) -> list[DigitReceived]:
        """Take one packet of the negotiated telephone-event PT; the key presses it completes."""
        block = parse_event_payload(payload)
        kind = self._classify(timestamp, block.end)
        return self._step(kind, timestamp, marker, block, now_s)

    @property
    def active(self) -> bool:
        """Whether an event is in progress (:meth:`poll` can end it; idle receivers need no poll)."""
        return self._active is not None

    def poll(self, now_s: float) -> list[DigitReceived]:
        """End an event whose end packets were all lost, ``timeout_s`` after its last packet."""
        act = self._active
        if act is None or now_s - act.last_s < self.timeout_s:
            return []
        return self._step(_RxInput.TIMEOUT, act.timestamp, False, None, now_s)

    def _step(self, kind: _RxInput, ts: int, marker: bool, block: TelephoneEventPayload | None,
              now_s: float) -> list[DigitReceived]:
        action, nxt = _RX_TABLE[(self.state, kind)]
        out = action(self, ts, marker, block, now_s)
        self.state = nxt
        return out

    # -- actions -------------------------------------------------------------------------------
    def _ignore(self, ts: int, marker: bool, block: TelephoneEventPayload | None, now_s: float) -> list[DigitReceived]:
        return []

    def _begin(self, ts: int, marker: bool, block: TelephoneEventPayload | None, now_s: float) -> list[DigitReceived]:
        assert block is not None
        self._active = _Active(ts, block.event, block.duration, block.volume, not marker, now_s)
        return []

    def _update(self, ts: int, marker: bool, block: TelephoneEventPayload | None, now_s: float) -> list[DigitReceived]:
        act = self._active
        assert act is not None and block is not None
        act.duration = max(act.duration, block.duration)
        act.last_s = now_s
        return []

    def _finish(self, ended_by: str) -> list[DigitReceived]:
        act = self._active
        assert act is not None
        self._active = None
        self._last_ended = act.timestamp
        digit = event_to_digit(act.event) or "?"
        return [DigitReceived(digit, act.event, act.timestamp, act.duration * 1000.0 / self._clock_hz,
                              -act.volume, ended_by, act.start_lost)]

    def _end(self, ts: int, marker: bool, block: TelephoneEventPayload | None, now_s: float) -> list[DigitReceived]:
        self._update(ts, marker, block, now_s)
        return self._finish("end")

    def _timeout(self, ts: int, marker: bool, block: TelephoneEventPayload | None, now_s: float) -> list[DigitReceived]:
        return self._finish("timeout")

    def _single(self, ts: int, marker: bool, block: TelephoneEventPayload | None, now_s: float) -> list[DigitReceived]:
        self._begin(ts, marker, block, now_s)
        return self._finish("end")

    def _next_begin(self, ts: int, marker: bool, block: TelephoneEventPayload | None, now_s: float) -> list[DigitReceived]:
        out = self._finish("next")
        self._begin(ts, marker, block, now_s)
        return out

    def _next_single(self, ts: int, marker: bool, block: TelephoneEventPayload | None, now_s: float) -> list[DigitReceived]:
        return self._finish("next") + self._single(ts, marker, block, now_s)


_Action = Callable[[TelephoneEventReceiver, int, bool, "TelephoneEventPayload | None", float], list[DigitReceived]]
_I, _A = _RxState.IDLE, _RxState.ACTIVE
#: The receiver's one transition table: (state, input) -> (action, next state).
_RX_TABLE: dict[tuple[_RxState, _RxInput], tuple[_Action, _RxState]] = {
    (_I, _RxInput.NEW): (TelephoneEventReceiver._begin, _A),
    (_I, _RxInput.NEW_END): (TelephoneEventReceiver._single, _I),
    (_I, _RxInput.STALE): (TelephoneEventReceiver._ignore, _I),
    (_I, _RxInput.TIMEOUT): (TelephoneEventReceiver._ignore, _I),
    (_A, _RxInput.UPDATE): (TelephoneEventReceiver._update, _A),
    (_A, _RxInput.END): (TelephoneEventReceiver._end, _I),
    (_A, _RxInput.NEW): (TelephoneEventReceiver._next_begin, _A),
    (_A, _RxInput.NEW_END): (TelephoneEventReceiver._next_single, _I),
    (_A, _RxInput.STALE): (TelephoneEventReceiver._ignore, _A),
    (_A, _RxInput.TIMEOUT): (TelephoneEventReceiver._timeout, _I),
}
