"""DTMF caller ID: the digit sequences, their generator, a parser and a receiver.

Several networks (Denmark, the Netherlands, Sweden, Finland, Brazil, India, China, Taiwan ...)
send the calling number as DTMF digits before or between rings instead of FSK.  ETSI EN 300 659-1
keeps this as its DTMF-based annex; national practice differs in the framing digits.  This
module knows two framings (sources: the DTMF CLIP annex of ETSI EN 300 659-1 as summarised in
public implementer notes, and the published TeleDanmark CLIP description; the standard's own
text was not at hand, so check a national network's document before relying on a code):

``"D...C"``
    number: ``D`` + digits + ``C``; no number: ``B`` + two-digit reason + ``C``, with ``00`` =
    number unavailable and ``10`` = number private (``B00C``, ``B10C``).  ``DB00C`` is accepted
    as the same as ``B00C``.
``"A...#"``
    number: ``A`` + digits + ``#``; no number: ``D`` + one-digit reason + ``#``, with ``1`` =
    private (caller's restriction), ``2`` = unavailable (international call), ``3`` =
    unavailable (technical reasons).

The parser accepts either framing (``A`` or ``D`` open a number, ``C`` or ``#`` close it).  A
sequence without its start or end digit is an error, never a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import DigitEvent, check_channels, check_fs
from pycti.dsp.callerid import CallerId, CallerIdError, CallerIdEvent
from pycti.dsp.dtmf import DtmfDetector, DtmfParams, dtmf_tones

__all__ = [
    "DTMF_FORMATS",
    "DtmfCallerIdParser",
    "DtmfCallerIdReceiver",
    "DtmfCallerIdResult",
    "dtmf_callerid_digits",
    "dtmf_callerid_signal",
    "parse_dtmf_callerid",
]

DTMF_FORMATS = ("D...C", "A...#")
_NUMBER_START = frozenset("AD")
_INFO_START = "B"
_END = frozenset("C#")
_STARTS = frozenset("ABD")
#: Reason-for-absence codes after ``B`` (ETSI DTMF annex, as summarised publicly).
_B_CODES = {"00": "unavailable", "10": "private"}
#: Reason-for-absence codes after ``D`` ... ``#`` (TeleDanmark CLIP description).
_D_CODES = {"1": "private", "2": "unavailable", "3": "unavailable"}
_ABSENCE_DIGITS = {
    "D...C": {"unavailable": "B00C", "private": "B10C"},
    "A...#": {"unavailable": "D3#", "private": "D1#"},
}

def dtmf_callerid_digits(number: str | None, *, fmt: str = "D...C", absence: str | None = None) -> str:
    """The DTMF digit string that carries ``number`` (or the reason ``absence``) in ``fmt``."""
    if fmt not in DTMF_FORMATS:
        raise ValueError(f"fmt must be one of {DTMF_FORMATS}, got {fmt!r}")
    if number is not None:
        if absence is not None:
            raise CallerIdError("give a number or a reason for its absence, not both")
        if not number or not number.isdigit() or not number.isascii():
            raise CallerIdError(f"DTMF caller ID numbers are digits 0-9, got {number!r}")
        return f"{fmt[0]}{number}{fmt[-1]}"
    if absence not in ("unavailable", "private"):
        raise CallerIdError(f"absence must be 'unavailable' or 'private', got {absence!r}")
    return _ABSENCE_DIGITS[fmt][absence]


def dtmf_callerid_signal(
    number: str | None,
    *,
    fmt: str = "D...C",
    absence: str | None = None,
    on_ms: float = 70.0,
    off_ms: float = 70.0,
    level_dbm0: float = -10.0,
    fs_hz: int = 8000,
) -> np.ndarray:
    """DTMF caller ID as a central office sends it: int16, each digit ``on_ms`` then ``off_ms``."""
    check_fs(fs_hz)
    digits = dtmf_callerid_digits(number, fmt=fmt, absence=absence)
    return dtmf_tones(digits, on_ms=on_ms, off_ms=off_ms, level_dbm0=level_dbm0, fs_hz=fs_hz)


def parse_dtmf_callerid(digits: str) -> CallerId:
    """Decode one complete DTMF caller ID sequence (start digit ... end digit).

    Raises :class:`CallerIdError` for a missing start or end digit, an empty or non-numeric
    number, or an unknown reason code.
    """
    seq = digits.upper()
    if seq.startswith("DB"):
        seq = seq[1:]
    if not seq or seq[0] not in _STARTS:
        raise CallerIdError(f"DTMF caller ID {digits!r} lacks a start digit (A, B or D)")
    if len(seq) < 2 or seq[-1] not in _END:
        raise CallerIdError(f"DTMF caller ID {digits!r} lacks an end digit (C or #)")
    start, body, end = seq[0], seq[1:-1], seq[-1]
    if not body.isdigit():
        raise CallerIdError(f"DTMF caller ID {digits!r}: {body!r} is not a digit string")
    if start == _INFO_START:
        if body not in _B_CODES:
            raise CallerIdError(f"unknown DTMF caller ID information code B{body}")
        return CallerId(number_absence=_B_CODES[body])
    if start == "D" and end == "#":
        if body not in _D_CODES:
            raise CallerIdError(f"unknown DTMF caller ID information code D{body}#")
        return CallerId(number_absence=_D_CODES[body])
    return CallerId(number=body)


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfCallerIdResult:
    """A finished DTMF sequence: ``caller_id`` or ``error`` (exactly one set) and its ``digits``."""

    caller_id: CallerId | None
    error: str | None
    digits: str


class DtmfCallerIdParser:
    """Turns one channel's digits, in order, into caller ID results.

    :meth:`feed` returns a result when a sequence ends (an end digit, a new start digit that
    cuts the previous sequence short, or ``max_digits`` exceeded); :meth:`expire` ends whatever
    is pending (call it when the digits stop coming).  Digits that arrive without a start digit
    still form a sequence, which ends in an error.
    """

    def __init__(self, *, max_digits: int = 32) -> None:
        self.max_digits = max_digits
        self._pending = ""

    @property
    def pending(self) -> str:
        """The digits of the sequence in progress ("" when idle)."""
        return self._pending

    def feed(self, digit: str) -> list[DtmfCallerIdResult]:
        """Add one digit; return the sequences it finished (zero, one, or two)."""
        d = digit.upper()
        results: list[DtmfCallerIdResult] = []
        if self.cuts_short(d):
            results.append(self._fail(f"DTMF caller ID {self._pending!r} cut short by a new start digit"))
        self._pending += d
        if d in _END:
            results.append(self._complete())
        elif len(self._pending) > self.max_digits:
            results.append(self._fail(f"DTMF caller ID longer than {self.max_digits} digits"))
        return results

    def cuts_short(self, digit: str) -> bool:
        """True if ``digit`` is a start digit that would end the pending sequence unfinished."""
        d = digit.upper()
        return d in _STARTS and bool(self._pending) and not (self._pending == "D" and d == _INFO_START)

    def expire(self) -> DtmfCallerIdResult | None:
        """End the pending sequence, which has no end digit: an error result (None if idle)."""
        if not self._pending:
            return None
        if self._pending[0] not in _STARTS:
            return self._fail(f"DTMF caller ID {self._pending!r} lacks start and end digits")
        return self._fail(f"DTMF caller ID {self._pending!r} lacks an end digit (C or #)")

    def _complete(self) -> DtmfCallerIdResult:
        digits, self._pending = self._pending, ""
        try:
            return DtmfCallerIdResult(caller_id=parse_dtmf_callerid(digits), error=None, digits=digits)
        except CallerIdError as exc:
            return DtmfCallerIdResult(caller_id=None, error=str(exc), digits=digits)

    def _fail(self, reason: str) -> DtmfCallerIdResult:
        digits, self._pending = self._pending, ""
        return DtmfCallerIdResult(caller_id=None, error=reason, digits=digits)


_DEFAULT_DTMF_PARAMS = DtmfParams()


class DtmfCallerIdReceiver:
    """Receive DTMF caller ID on ``channels`` channels: a :class:`DtmfDetector` plus one parser each.

    A sequence also ends when no digit ends within ``max_gap_ms`` of the previous digit's end
    (reported as an error: it has no end digit).  Every result is reported once the detector
    has seen :attr:`DtmfDetector.report_delay_samples` (100 ms by default) past the sample that
    decides it (the last digit's end, or that end plus ``max_gap_ms``), in that order, so the
    events and their order are the same however the signal is cut into blocks.
    """

    def __init__(
        self,
        channels: int,
        params: DtmfParams = _DEFAULT_DTMF_PARAMS,
        *,
        max_gap_ms: float = 500.0,
        max_digits: int = 32,
        fs_hz: int = 8000,
    ) -> None:
        fs = check_fs(fs_hz)
        self.channels = channels = check_channels(channels)
        self._detector = DtmfDetector(channels, params, fs_hz=fs)
        self._parsers = [DtmfCallerIdParser(max_digits=max_digits) for _ in range(channels)]
        self._max_gap = round(max_gap_ms * fs / 1000.0)
        self._first_start = [0] * channels
        self._last_end = [0] * channels
        self._samples_seen = 0
        self._latency = self._detector.report_delay_samples
        self._held: list[tuple[int, int, CallerIdEvent]] = []

    def process(self, block: np.ndarray) -> list[CallerIdEvent]:
        """Feed one ``(channels, samples)`` block; return the caller ID sequences decided by its end."""
        digits = self._detector.process(block)
        self._samples_seen += int(np.shape(block)[-1])
        return self._handle(digits, final=False)

    def flush(self) -> list[CallerIdEvent]:
        """End the stream: flush the detector and end every pending sequence."""
        digits = self._detector.flush()
        return self._handle(digits, final=True)

    def _handle(self, digits: list[DigitEvent], *, final: bool) -> list[CallerIdEvent]:
        # Each result is held until its decision sample (last digit's end + detector latency,
        # or + max gap + latency for a sequence that timed out) so that the events and their
        # order never depend on how the signal was cut into blocks.
        for ev in digits:
            ch = ev.channel
            parser = self._parsers[ch]
            if parser.pending and ev.end_sample > self._last_end[ch] + self._max_gap:
                self._expire(ch)
            cut, was_pending = parser.cuts_short(ev.digit), bool(parser.pending)
            results = parser.feed(ev.digit)
            if cut:  # the new start digit ended the previous sequence, which ended earlier
                self._hold(ch, results.pop(0), self._last_end[ch])
            if cut or not was_pending:
                self._first_start[ch] = ev.start_sample
            for result in results:
                self._hold(ch, result, ev.end_sample)
            self._last_end[ch] = ev.end_sample
        for ch, parser in enumerate(self._parsers):
            if parser.pending and (final or self._expiry(ch) <= self._samples_seen):
                self._expire(ch)
        ready = [item for item in self._held if final or item[0] <= self._samples_seen]
        self._held = [item for item in self._held if not (final or item[0] <= self._samples_seen)]
        ready.sort(key=lambda item: (item[0], item[1]))
        return [event for _, _, event in ready]

    def _expiry(self, ch: int) -> int:
        return self._last_end[ch] + self._max_gap + self._latency

    def _expire(self, ch: int) -> None:
        result = self._parsers[ch].expire()
        if result is not None:
            event = self._event(ch, result, self._last_end[ch])
            self._held.append((self._expiry(ch), ch, event))

    def _hold(self, ch: int, result: DtmfCallerIdResult, end_sample: int) -> None:
        self._held.append((end_sample + self._latency, ch, self._event(ch, result, end_sample)))

    def _event(self, ch: int, result: DtmfCallerIdResult, end_sample: int) -> CallerIdEvent:
        return CallerIdEvent(
            channel=ch,
            start_sample=self._first_start[ch],
            end_sample=end_sample,
            caller_id=result.caller_id,
            error=result.error,
            raw=result.digits.encode("ascii"),
            signalling="dtmf",
        )
