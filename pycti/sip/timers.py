"""SIP timer values, destinations and a virtual-time timer wheel, sans-I/O.

RFC 3261 §17.1.1.1 and Table 4 (§A): T1 (RTT estimate, 500 ms), T2 (longest interval between
non-INVITE request and INVITE response retransmissions, 4 s), T4 (longest time a message stays
in the network, 5 s); every other timer is derived from them (A, B, D, E, F, G, H, I, J, K;
RFC 6026 §8.4/§8.7 adds L and M).  Over a reliable transport (TCP, TLS, §18) the retransmission
timers A, E and G are not used and D, I, J, K are zero.

Nothing here reads a clock: times are seconds on whatever time line the caller feeds in
(``now_s``).  :class:`TimerWheel` keeps the pending deadlines of a core so the caller can ask
for the next one (:meth:`TimerWheel.next_s`) and hand back ``now_s`` when it is due.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable
from dataclasses import dataclass

from pycti.errors import PyctiError

__all__ = ["TimerConfig", "Destination", "TimerWheel", "SipConfigError", "RELIABLE_TRANSPORTS"]

RELIABLE_TRANSPORTS = frozenset(["TCP", "TLS", "SCTP", "WS", "WSS"])
"""Transports that RFC 3261 §17 treats as reliable (no retransmission timers)."""


class SipConfigError(PyctiError, ValueError):
    """A timer value, destination or other SIP setting that cannot be used."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerConfig:
    """The base timers of RFC 3261 §17.1.1.1 / Table 4 and the 100 Trying delay of §17.2.1.

    ``trying_delay_s`` is how long an INVITE server transaction waits for the TU's first
    provisional response before it sends 100 Trying itself (200 ms in §17.2.1; 0 sends it at
    once).
    """

    t1_s: float = 0.5
    t2_s: float = 4.0
    t4_s: float = 5.0
    trying_delay_s: float = 0.2

    def __post_init__(self) -> None:
        for name in ("t1_s", "t2_s", "t4_s"):
            if not getattr(self, name) > 0:
                raise SipConfigError(f"{name}={getattr(self, name)!r} must be positive")
        if self.t2_s < self.t1_s:
            raise SipConfigError(f"t2_s={self.t2_s} is below t1_s={self.t1_s}")
        if self.trying_delay_s < 0:
            raise SipConfigError(f"trying_delay_s={self.trying_delay_s} is negative")

    @property
    def timeout_s(self) -> float:
        """64*T1: Timers B, F, H, J (unreliable), L and M."""
        return 64 * self.t1_s


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a message goes (or came from): host, port and transport name (``UDP``, ``TCP``).

    ``host`` is an IP address or a name the caller resolves; IPv6 without brackets.
    """

    host: str
    port: int
    transport: str = "UDP"

    def __post_init__(self) -> None:
        if not 0 < self.port <= 65535:
            raise SipConfigError(f"port {self.port!r} of {self.host!r} outside 1-65535")
        if self.transport != self.transport.upper():
            raise SipConfigError(f"transport {self.transport!r} must be upper case")

    @property
    def reliable(self) -> bool:
        """True for stream transports (RFC 3261 §17: no retransmissions)."""
        return self.transport in RELIABLE_TRANSPORTS

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport} {host}:{self.port}"


class TimerWheel:
    """Pending deadlines keyed by any hashable; setting a key again moves its deadline.

    Keys come due in order of deadline, ties in order of setting (a heap with lazy
    deletion).  Nothing fires by itself: :meth:`pop_due` returns the keys due at ``now_s``.
    """

    def __init__(self) -> None:
        self._due: dict[Hashable, tuple[float, int]] = {}
        self._heap: list[tuple[float, int, Hashable]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._due

    def set(self, key: Hashable, at_s: float) -> None:
        """Arm (or re-arm) ``key`` for ``at_s``."""
        entry = (at_s, next(self._seq))
        self._due[key] = entry
        heapq.heappush(self._heap, (entry[0], entry[1], key))

    def cancel(self, key: Hashable) -> None:
        """Disarm ``key`` (no error if it was not armed)."""
        self._due.pop(key, None)

    def due_at(self, key: Hashable) -> float | None:
        """The deadline of ``key``, or ``None``."""
        entry = self._due.get(key)
        return None if entry is None else entry[0]

    def next_s(self) -> float | None:
        """The earliest pending deadline, or ``None`` when nothing is armed."""
        heap = self._heap
        while heap:
            at_s, seq, key = heap[0]
            if self._due.get(key) == (at_s, seq):
                return at_s
            heapq.heappop(heap)
        return None

    def pop_due(self, now_s: float) -> list[Hashable]:
        """Disarm and return every key whose deadline is at or before ``now_s``, in order."""
        out: list[Hashable] = []
        heap = self._heap
        while heap and heap[0][0] <= now_s:
            at_s, seq, key = heapq.heappop(heap)
            if self._due.get(key) == (at_s, seq):
                del self._due[key]
                out.append(key)
        return out
