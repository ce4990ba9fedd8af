"""Digit collection and the core's timers (sans-I/O, the aioquic way).

A station that goes off-hook gets an initiated connection and dial tone; the digits it keys
are collected here and matched against the :class:`~pycti.switch.dialplan.DialPlan` after each
one.  A complete match routes the call; an invalid one fails it; an incomplete one waits for
the next digit or the inter-digit timeout (then the plan decides with what was dialled).  No
digit within the first-digit timeout clears the connection.  A station that rings longer than
``ring_no_answer_ms`` takes the configured next step (forward, or leave the call).

Nothing here reads a clock: :meth:`DigitCollector.next_deadline` says when the core next needs
to be woken and the caller calls :meth:`pycti.switch.core.SwitchCore.handle_timer` with ``now``.
Without a dial plan, what is dialled completes as soon as it names a device, and otherwise at
the inter-digit timeout as an external number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pycti.switch.dialplan import DialPlan, Extension, External, Feature, Ivr, Match, MatchStatus, Queue, RoutePoint
from pycti.switch.ids import ConnectionID
from pycti.switch.timers import TimerConfig, TimerSet

__all__ = ["DigitCollector", "Dialled", "TimerKind"]


class TimerKind:
    """Names of the core's timers (keys are ``(kind, connection)``)."""

    FIRST_DIGIT = "first_digit"
    INTER_DIGIT = "inter_digit"
    RING_NO_ANSWER = "ring_no_answer"


@dataclass(frozen=True, slots=True)
class Dialled:
    """What collection decided for one connection: ``number`` to route (a device id or an
    external number), or ``number=None`` when the digits lead nowhere."""

    connection: ConnectionID
    digits: str
    number: str | None
    feature: Feature | None = None  #: a switch feature was dialled (``number`` is then None)


def _target(match: Match) -> str | None:
    dest = match.destination
    if isinstance(dest, Extension):
        return dest.device
    if isinstance(dest, (RoutePoint, Queue, Ivr)):
        return dest.name
    if isinstance(dest, External):
        return str(dest.number)
    return None


class DigitCollector:
    """Dial buffers and timers of initiated connections, plus ring-no-answer timers."""

    def __init__(self, plan: DialPlan | None, timers: TimerConfig,
                 is_device: Callable[[str], bool], could_be_device: Callable[[str], bool]) -> None:
        """``is_device(d)``: ``d`` names a device; ``could_be_device(d)``: a longer device id
        starts with ``d`` (used when there is no dial plan)."""
        self.plan = plan
        self.config = timers
        self._is_device = is_device
        self._could_be_device = could_be_device
        self._buffers: dict[ConnectionID, str] = {}
        self.timers: TimerSet[tuple[str, ConnectionID]] = TimerSet()

    # -- collection ---------------------------------------------------------------------
    def start(self, conn: ConnectionID, now: float) -> None:
        """An initiated connection waits for its first digit."""
        self._buffers[conn] = ""
        self._arm(TimerKind.FIRST_DIGIT, conn, now, self.config.first_digit_ms)

    def collecting(self, conn: ConnectionID) -> bool:
        return conn in self._buffers

    def dialled_so_far(self, conn: ConnectionID) -> str:
        return self._buffers.get(conn, "")

    def add(self, conn: ConnectionID, digits: str, now: float) -> Dialled | None:
        """Digits keyed on ``conn``: a decision, or None while more are needed."""
        buf = self._buffers.get(conn, "") + digits
        self._buffers[conn] = buf
        self.timers.cancel((TimerKind.FIRST_DIGIT, conn))
        decided = self._decide(conn, buf, final=False)
        if decided is None:
            self._arm(TimerKind.INTER_DIGIT, conn, now, self.config.inter_digit_ms)
        return decided

    def _decide(self, conn: ConnectionID, buf: str, *, final: bool) -> Dialled | None:
        if self.plan is not None:
            match = self.plan.match(buf, final=final)
            if match.status is MatchStatus.COMPLETE:
                if isinstance(match.destination, Feature):
                    self.forget(conn)
                    return Dialled(conn, buf, None, match.destination)
                return self._done(conn, buf, _target(match))
            if match.status is MatchStatus.INVALID or final:
                return self._done(conn, buf, None)
            return None
        if self._is_device(buf) and (final or not self._could_be_device(buf)):
            return self._done(conn, buf, buf)
        if final:
            return self._done(conn, buf, buf)
        return None

    def _done(self, conn: ConnectionID, buf: str, number: str | None) -> Dialled:
        self.forget(conn)
        return Dialled(conn, buf, number)

    def forget(self, conn: ConnectionID) -> None:
        """Stop collecting on ``conn`` (it was routed, cleared or left)."""
        self._buffers.pop(conn, None)
        self.timers.cancel((TimerKind.FIRST_DIGIT, conn))
        self.timers.cancel((TimerKind.INTER_DIGIT, conn))

    # -- ring no answer -------------------------------------------------------------------
    def ringing(self, conn: ConnectionID, now: float) -> None:
        self._arm(TimerKind.RING_NO_ANSWER, conn, now, self.config.ring_no_answer_ms)

    # -- time -----------------------------------------------------------------------------
    def _arm(self, kind: str, conn: ConnectionID, now: float, ms: float) -> None:
        deadline = TimerConfig.deadline(now, ms)
        if deadline is not None:
            self.timers.set((kind, conn), deadline)

    def next_deadline(self) -> float | None:
        return self.timers.next_deadline()

    def expired(self, now: float) -> list[tuple[str, ConnectionID]]:
        return self.timers.pop_expired(now)

    def timed_out(self, conn: ConnectionID) -> Dialled | None:
        """The inter-digit timer ran out: decide with what was dialled."""
        buf = self._buffers.get(conn)
        if buf is None:
            return None
        return self._decide(conn, buf, final=True)
