"""Reliable provisional responses (RFC 3262), both sides, as bookkeeping without I/O.

UAS (§3): a provisional response above 100 goes out reliably when the INVITE ``Require``s or
``Supported`` 100rel and we want it: it gets ``Require: 100rel`` and ``RSeq``, numbered from a
random start below 2**31 and up by one; it is retransmitted at T1, 2*T1, ... (doubling
without the T2 cap, §3) until the PRACK arrives, and after 64*T1 unanswered the INVITE is
rejected with a 5xx.  Only one reliable provisional is outstanding at a time: later ones queue.
A 2xx waits for the PRACK of an outstanding provisional that carried a session description.

UAC (§4): a provisional with ``Require: 100rel`` and an RSeq is PRACKed when its RSeq is the
first one seen for that early dialog or one above the last; retransmissions and out-of-order
ones are not.  The PRACK carries ``RAck: rseq cseq method``.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from pycti.sip.message import SipResponse

__all__ = ["RAck", "ReliableSender", "ReliableReceiver", "parse_rack", "rseq_of"]

RSEQ_START_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class RAck:
    """The RAck header (RFC 3262 §7.2): response number, CSeq number, method."""

    rseq: int
    cseq: int
    method: str

    def __str__(self) -> str:
        return f"{self.rseq} {self.cseq} {self.method}"


def parse_rack(value: str | None) -> RAck | None:
    """Parse ``RAck: 1*DIGIT LWS 1*DIGIT LWS Method``; ``None`` if absent or malformed."""
    if value is None:
        return None
    parts = value.split()
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return RAck(int(parts[0]), int(parts[1]), parts[2].upper())


def rseq_of(response: SipResponse) -> int | None:
    """The RSeq of a reliable provisional (with ``Require: 100rel``), else ``None``."""
    if "100rel" not in {t.strip().lower() for t in response.headers.get_list("Require")}:
        return None
    value = response.headers.get("RSeq")
    return int(value) if value is not None and value.strip().isdigit() else None


class ReliableSender:
    """UAS side: number, hold and retransmit reliable provisionals of one INVITE."""

    def __init__(self, rng: random.Random, t1_s: float) -> None:
        self._next_rseq = rng.randint(1, RSEQ_START_MAX)
        self.t1_s = t1_s
        self.outstanding: SipResponse | None = None
        self.outstanding_rseq = 0
        self.first_sent_s = 0.0
        self.interval_s = t1_s
        self.queue: deque[SipResponse] = deque()

    def stamp(self, response: SipResponse) -> tuple[SipResponse, int]:
        """``response`` with ``Require: 100rel`` and the next RSeq."""
        rseq = self._next_rseq
        self._next_rseq += 1
        stamped = response.with_header("Require", "100rel").with_header("RSeq", str(rseq))
        return stamped, rseq

    def offer(self, response: SipResponse, now_s: float) -> SipResponse | None:
        """Send ``response`` now (returned, stamped) or queue it behind the outstanding one."""
        if self.outstanding is not None:
            self.queue.append(response)
            return None
        return self._send(response, now_s)

    def _send(self, response: SipResponse, now_s: float) -> SipResponse:
        stamped, rseq = self.stamp(response)
        self.outstanding = stamped
        self.outstanding_rseq = rseq
        self.first_sent_s = now_s
        self.interval_s = self.t1_s
        return stamped

    def retransmit(self, now_s: float, timeout_s: float) -> SipResponse | None:
        """The outstanding response to send again now, the interval doubled for the next
        time (:attr:`interval_s`); ``None`` when nothing is outstanding or ``timeout_s``
        (64*T1) has passed since it was first sent (the caller then rejects the INVITE)."""
        if self.outstanding is None or now_s - self.first_sent_s >= timeout_s - 1e-9:
            return None
        self.interval_s *= 2
        return self.outstanding

    def acknowledge(self, rack: RAck, invite_cseq: int, now_s: float) -> tuple[bool, SipResponse | None]:
        """A PRACK arrived: (matched, next queued response to send now, stamped)."""
        if (self.outstanding is None or rack.rseq != self.outstanding_rseq
                or rack.cseq != invite_cseq or rack.method != "INVITE"):
            return False, None
        self.outstanding = None
        if self.queue:
            return True, self._send(self.queue.popleft(), now_s)
        return True, None

    @property
    def outstanding_has_sdp(self) -> bool:
        """True when the unacknowledged provisional carries a body (an offer/answer)."""
        return self.outstanding is not None and bool(self.outstanding.body)


class ReliableReceiver:
    """UAC side: which reliable provisionals of one early dialog to PRACK."""

    def __init__(self) -> None:
        self.last_rseq: int | None = None

    def accept(self, rseq: int) -> bool:
        """True (and remember it) when ``rseq`` is the first or the next in order."""
        if self.last_rseq is None or rseq == self.last_rseq + 1:
            self.last_rseq = rseq
            return True
        return False
