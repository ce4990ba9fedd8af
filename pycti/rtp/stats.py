"""Reception statistics of one RTP source (RFC 3550 Appendix A.1, A.3, A.8).

:class:`ReceptionStats` validates sequence numbers with the probation rule of A.1 (a source
counts once ``MIN_SEQUENTIAL`` packets arrive in sequence; a jump of more than ``MAX_DROPOUT``
or back by more than ``MAX_MISORDER`` is a restart only when the next packet confirms it),
keeps the cycle count that extends the 16-bit sequence number, computes expected / lost /
fraction lost as A.3 does (cumulative loss clamped to the 24-bit signed field of a report
block; duplicates make it negative, as the RFC intends) and the interarrival jitter of A.8 in
timestamp units, with the integer form ``J += |D| - ((J + 8) >> 4)`` on a 16-times scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycti.rtp.packet import RtpError

__all__ = ["MAX_DROPOUT", "MAX_MISORDER", "MIN_SEQUENTIAL", "LossReport", "ReceptionStats"]

RTP_SEQ_MOD = 1 << 16
MAX_DROPOUT = 3000  #: RFC 3550 A.1: largest forward jump still taken as loss
MAX_MISORDER = 100  #: RFC 3550 A.1: largest backward step still taken as reordering
MIN_SEQUENTIAL = 2  #: RFC 3550 A.1: packets in sequence before a source is valid
_LOST_MAX = 0x7FFFFF
_LOST_MIN = -0x800000


@dataclass(frozen=True, slots=True)
class LossReport:
    """The loss figures of one reception report interval (RFC 3550 A.3).

    ``fraction_lost`` is the 8-bit fixed-point fraction of the report block (lost / expected
    * 256, 0 when packets were duplicated), ``cumulative_lost`` the 24-bit signed total.
    """

    extended_highest_sequence: int
    cumulative_lost: int
    fraction_lost: int
    expected: int
    received: int


class ReceptionStats:
    """Sequence validation, loss and jitter of one SSRC.  Call :meth:`update_sequence` for
    every packet, :meth:`update_jitter` for the packets whose timestamp is a sampling instant
    (audio, not RFC 4733 events), :meth:`loss_report` when a report block is due."""

    def __init__(self, sequence: int, *, min_sequential: int = MIN_SEQUENTIAL) -> None:
        if not 0 <= sequence <= 0xFFFF or min_sequential < 0:
            raise RtpError(f"sequence {sequence} must be 0-65535 and min_sequential {min_sequential} >= 0")
        self._init(sequence)
        if min_sequential:
            self.max_seq = (sequence - 1) & 0xFFFF  # so that the first packet is "in sequence"
        self.probation = min_sequential
        self._min_sequential = min_sequential
        self._transit: int | None = None
        self.jitter_q4 = 0  #: interarrival jitter times 16, timestamp units
        self.restarts = 0  #: confirmed sequence restarts (A.1: two in-sequence packets after a jump)

    def _init(self, sequence: int) -> None:
        self.base_seq = sequence
        self.max_seq = sequence
        self.bad_seq = RTP_SEQ_MOD + 1
        self.cycles = 0
        self.received = 0
        self.received_prior = 0
        self.expected_prior = 0

    def update_sequence(self, sequence: int) -> bool:
        """RFC 3550 A.1 ``update_seq``: False for a packet that does not (yet) count (source
        on probation, or a large jump not yet confirmed)."""
        udelta = (sequence - self.max_seq) & 0xFFFF
        if self.probation:
            if sequence == (self.max_seq + 1) & 0xFFFF:
                self.probation -= 1
                self.max_seq = sequence
                if self.probation == 0:
                    self._init(sequence)
                    self.received += 1
                    return True
            else:
                self.probation = self._min_sequential - 1
                self.max_seq = sequence
            return False
        if udelta < MAX_DROPOUT:
            if sequence < self.max_seq:
                self.cycles += RTP_SEQ_MOD
            self.max_seq = sequence
        elif udelta <= RTP_SEQ_MOD - MAX_MISORDER:
            if sequence == self.bad_seq:
                self._init(sequence)  # the source restarted: two packets in sequence say so
                self.restarts += 1
            else:
                self.bad_seq = (sequence + 1) & 0xFFFF
                return False
        self.received += 1
        return True

    def extend(self, sequence: int) -> int:
        """The extended (32-bit, cycle-counted) number of a sequence number that
        :meth:`update_sequence` has accepted, reordered ones included."""
        ext = self.cycles + sequence
        top = self.cycles + self.max_seq
        if ext > top + 0x8000:
            ext -= RTP_SEQ_MOD
        elif ext < top - 0x8000:
            ext += RTP_SEQ_MOD
        return ext

    def update_jitter(self, timestamp: int, arrival_ts: int) -> None:
        """RFC 3550 A.8: ``arrival_ts`` is the arrival time in timestamp units."""
        transit = (arrival_ts - timestamp) & 0xFFFFFFFF
        if self._transit is not None:
            d = (transit - self._transit) & 0xFFFFFFFF
            if d >= 0x80000000:
                d = 0x100000000 - d
            self.jitter_q4 += d - ((self.jitter_q4 + 8) >> 4)
        self._transit = transit

    @property
    def jitter(self) -> int:
        """Interarrival jitter in timestamp units, as a report block carries it."""
        return self.jitter_q4 >> 4

    @property
    def extended_max(self) -> int:
        """Extended highest sequence number received."""
        return self.cycles + self.max_seq

    def cumulative_lost(self) -> int:
        """Packets expected minus received since the source became valid (may be < 0)."""
        return self.extended_max - self.base_seq + 1 - self.received

    def loss_report(self) -> LossReport:
        """The loss figures for a report block; starts a new fraction-lost interval."""
        expected = self.extended_max - self.base_seq + 1
        lost = min(max(expected - self.received, _LOST_MIN), _LOST_MAX)
        expected_interval = expected - self.expected_prior
        self.expected_prior = expected
        received_interval = self.received - self.received_prior
        self.received_prior = self.received
        lost_interval = expected_interval - received_interval
        fraction = 0 if expected_interval <= 0 or lost_interval <= 0 else (lost_interval << 8) // expected_interval
        return LossReport(self.extended_max & 0xFFFFFFFF, lost, min(fraction, 255), expected, self.received)
