"""DTMF detection (ITU-T Q.23 frequencies, Q.24 acceptance) over many channels at once.

How a digit is recognised (all numbers at 8 kHz):

1. Every 40 samples (5 ms) an 80-sample Hann window is evaluated at the eight Q.23 frequencies
   for all channels together (:mod:`pycti.dsp.goertzel`).
2. A window is a *hit* for a digit when, with ``low``/``high`` the strongest bin of each group:
   each tone is at or above ``threshold_dbm0``; the pair holds at least ``min_pair_ratio`` of
   the window's energy (talk-off guard: speech, music and noise spread their energy); the twist
   (high minus low level) lies within ``[-(twist_db + twist_margin_db), reverse_twist_db +
   twist_margin_db]``; the previous window holds both tones at no more than 6 dB below; and both
   tones' frequencies, measured from the phase advance between the two windows, lie within
   ``freq_tolerance_pct`` of nominal, and are not a tone and its second harmonic.
3. A digit starts after ``hits_required`` consecutive hits of the same digit.  The count is what
   a ``min_on_ms`` tone gives in its worst alignment, less one window for noise; tones shorter
   than about 26 ms do not reach it.
4. While a digit lasts, each 5 ms half is *present* when its energy is at least half the digit's
   reference energy and one of the two windows containing it is dominated by the digit's own
   pair.  The digit ends after ``end_halves`` absent halves in a row: gaps up to
   ``max_dropout_ms`` are bridged, pauses of ``min_off_ms`` always end the digit.
5. Onset and end are refined to the sample from the energy of the boundary halves, and the event
   is reported when the digit ends.

The work runs once per batch of ``batch_ms`` of audio (100 ms by default): one matrix product
and array operations over ``(channels, windows)`` for the filter bank and a cheap screen, the
full window test only on the screened candidates, and the state machine
(:mod:`pycti.dsp.dtmf_fsm`), vectorised over channels and windows with a number of numpy calls
that does not grow with the batch, only for the channels with a digit in progress or a digit
about to start.  Events (digit, channel, start and end sample) are identical for any block
partition and any ``batch_ms``, and levels agree to within one 0.01 dB rounding step (the filter
bank's float32 products may round differently for different batch shapes; see
:mod:`pycti.dsp.goertzel`); only when events are reported depends on ``batch_ms``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import DBM0_REF_RMS, DigitEvent, as_block, check_channels, check_fs
from pycti.dsp.dtmf_fsm import BatchEnergies, DigitMachine, Hits
from pycti.dsp.dtmf_gen import (
    DTMF_DIGITS,
    DTMF_HIGH_HZ,
    DTMF_LOW_HZ,
    DtmfGenerator,
    digit_frequencies,
    dtmf_tones,
)
from pycti.dsp.goertzel import (
    HALF_SAMPLES,
    HOP_SAMPLES,
    WINDOW_SAMPLES,
    HalfWindowBank,
    WindowBlock,
    bin_power,
    window_gain,
)

__all__ = [
    "DTMF_DIGITS",
    "DTMF_HIGH_HZ",
    "DTMF_LOW_HZ",
    "DtmfDetector",
    "DtmfGenerator",
    "DtmfParams",
    "digit_frequencies",
    "dtmf_tones",
]

_FREQS_HZ = np.array(DTMF_LOW_HZ + DTMF_HIGH_HZ)
_GAIN = window_gain()
#: |W|^2 of a tone pair divided by this times the window energy is 1 for a clean pair.
_PAIR_NORM = _GAIN**2 / (2.0 * WINDOW_SAMPLES)
#: dBm0 of a tone = 10*log10(|W|^2) + this.
_LEVEL_OFFSET_DB = 10.0 * math.log10(2.0 / (_GAIN**2 * DBM0_REF_RMS**2))
_HISTORY_HALVES = 16  # half energies kept per channel for onset/end refinement
_PREV_WINDOW_POWER = 0.25  # the previous window must hold each tone at >= -6 dB
#: Harmonic guard: a "pair" whose measured high/low frequency ratio is within this of 2 is a
#: tone and its second harmonic (852 Hz - 2.5 % doubled lands within 1.8 % of 1633 Hz).  Real
#: pairs accepted at +/-1.5 % stay >= 0.025 away (1633/852 * 1.015/0.985 = 1.975).
_HARMONIC_RATIO_GUARD = 0.012
#: The pre-screen compares a float32 sum of 16 squares with bounds derived from sums of two; this
#: relative slack (far above float32 rounding) keeps it a superset of the exact screen.
_PRESCREEN_SLACK = 1e-3
_GROUP_OFFSET = np.array([0, 4])  # first bin of the low and of the high group


def _both_tones(test: np.ndarray) -> np.ndarray:
    """Rows of a ``(windows, 2)`` boolean test that hold for both tones."""
    both: np.ndarray = test[:, 0] & test[:, 1]
    return both


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfParams:
    """Acceptance limits of :class:`DtmfDetector` (defaults follow ITU-T Q.24).

    ``twist_db``: normal twist (high group weaker than low) accepted up to, dB.
    ``reverse_twist_db``: reverse twist (high group stronger) accepted up to, dB.
    ``twist_margin_db``: measurement allowance added to both twist limits, so the limits are
    accepted with margin while 2 dB beyond them is still refused.
    ``threshold_dbm0``: minimum level of each tone.
    ``freq_tolerance_pct``: largest accepted deviation of each tone from nominal, percent
    (Q.24: accept 1.5 %, reject 3.5 %; the default splits the difference).
    ``min_pair_ratio``: smallest share of a window's energy that the tone pair must hold.
    ``min_on_ms``: tones at least this long are always accepted.
    ``max_dropout_ms``: interruptions up to this long inside one tone are bridged.
    ``min_off_ms``: pauses at least this long always separate two digits.
    """

    twist_db: float = 8.0
    reverse_twist_db: float = 4.0
    twist_margin_db: float = 1.0
    threshold_dbm0: float = -30.0
    freq_tolerance_pct: float = 2.5
    min_pair_ratio: float = 0.7
    min_on_ms: float = 40.0
    max_dropout_ms: float = 20.0
    min_off_ms: float = 40.0

    def __post_init__(self) -> None:
        if self.twist_db < 0 or self.reverse_twist_db < 0 or self.twist_margin_db < 0:
            raise ValueError("twist limits and margin must be >= 0 dB")
        if not 0.0 < self.freq_tolerance_pct < 6.0:
            raise ValueError(f"freq_tolerance_pct must be in (0, 6), got {self.freq_tolerance_pct}")
        if not 0.0 < self.min_pair_ratio <= 1.0:
            raise ValueError(f"min_pair_ratio must be in (0, 1], got {self.min_pair_ratio}")
        if self.min_on_ms < 25.0:
            raise ValueError(f"min_on_ms must be >= 25 ms (window length), got {self.min_on_ms}")
        if self.max_dropout_ms < 0:
            raise ValueError("max_dropout_ms must be >= 0")
        if self.min_off_ms < self.max_dropout_ms + 20.0:
            raise ValueError("min_off_ms must exceed max_dropout_ms by at least 20 ms")

    def hits_required(self, fs_hz: int = 8000) -> int:
        """Consecutive hit windows that start a digit (5 for the defaults).

        A ``min_on_ms`` tone holds ``floor((on - window) / hop)`` whole windows in its worst
        alignment (6 for 40 ms); one is left as margin for noise.  Measured: 40 ms tones give 6-7
        hits, 23 ms tones 3-4.
        """
        on_samples = self.min_on_ms * fs_hz / 1000.0
        worst_case_hits = math.floor((on_samples - WINDOW_SAMPLES) / HOP_SAMPLES)
        return max(2, worst_case_hits - 1)

    def end_halves(self, fs_hz: int = 8000) -> int:
        """Absent halves in a row that end a digit (6 for the defaults)."""
        return math.floor(self.max_dropout_ms * fs_hz / 1000.0 / HALF_SAMPLES) + 2


class DtmfDetector:
    """Detects DTMF digits on ``channels`` channels, block by block.

    ``process(block)`` takes ``(channels, n)`` int16 or float samples (16-bit units), any
    ``n >= 1``, and returns the digits whose end it detected; ``flush()`` ends the stream.  Sample
    positions count from the detector's creation, per channel.

    Latency: the analysis runs once ``batch_ms`` of audio has accumulated (default 100 ms, five
    20 ms blocks; ``batch_ms <= 5`` analyses every block as it arrives), so a digit is reported
    by the call that completes the first batch holding its end detection, which needs
    ``end_halves`` absent 5 ms halves (35-40 ms after the tone stops, by default): with 20 ms
    blocks and the default, at most 140 ms after the tone stops (132.8 ms measured over all
    alignments; 92.6 ms with ``batch_ms=60``, which costs about 10 % more CPU).  Events (digit,
    start, end) are the same whatever the block sizes and ``batch_ms``, levels to within a
    0.01 dB rounding step; only when they are returned depends on them.

    A block that is not a 1-D or 2-D int16/float array with ``channels`` rows raises
    ``ValueError`` naming the problem (before any state changes).
    """

    def __init__(self, channels: int, params: DtmfParams = DtmfParams(), *, fs_hz: int = 8000, batch_ms: float = 100.0) -> None:
        self._fs = check_fs(fs_hz)
        channels = check_channels(channels)
        if not 0.0 <= batch_ms <= 1000.0:
            raise ValueError(f"batch_ms must be in [0, 1000], got {batch_ms}")
        self.channels = channels
        self.params = params
        self.batch_ms = batch_ms
        batch_halves = max(1, round(batch_ms * fs_hz / 1000.0 / HALF_SAMPLES))
        self._bank = HalfWindowBank(channels, _FREQS_HZ, fs_hz=fs_hz, batch_halves=batch_halves)
        self._hits_required = params.hits_required(fs_hz)
        self._end_halves = params.end_halves(fs_hz)
        p = params
        self._pair_floor = p.min_pair_ratio * _PAIR_NORM
        self._min_tone_power = 10.0 ** ((p.threshold_dbm0 - _LEVEL_OFFSET_DB) / 10.0)
        prescreen_pair = self._pair_floor * (1.0 - _PRESCREEN_SLACK)
        self._prescreen_weights = np.full(2 * _FREQS_HZ.size, 1.0 / prescreen_pair, np.float32)
        self._prescreen_floor = 2.0 * self._min_tone_power * (1.0 - _PRESCREEN_SLACK) / prescreen_pair
        self._twist_lo = 10.0 ** (-(p.twist_db + p.twist_margin_db) / 10.0)
        self._twist_hi = 10.0 ** ((p.reverse_twist_db + p.twist_margin_db) / 10.0)
        self._max_phase = 2.0 * np.pi * HOP_SAMPLES / fs_hz * _FREQS_HZ * p.freq_tolerance_pct / 100.0
        self._expected_turn = np.exp(-2j * np.pi * _FREQS_HZ * HOP_SAMPLES / fs_hz).astype(np.complex64)
        self._lookback = max(_HISTORY_HALVES, self._end_halves + 2)
        self._history = np.zeros((channels, self._lookback), np.float32)  # last halves' energies
        self._fsm = DigitMachine(
            channels, hits_required=self._hits_required, end_halves=self._end_halves,
            pair_norm=_PAIR_NORM, lookback=self._lookback,
        )  # fmt: skip

    @property
    def report_delay_samples(self) -> int:
        """Most samples by which the report of a digit can trail its ``end_sample``.

        The end needs ``end_halves`` absent halves after the last present one, judged by the
        window that follows them, and the batch holding that window is analysed when its last
        half arrives: ``(end_halves + 1 + batch_halves)`` halves, plus one half of margin for the
        end refined into the last present half (1,120 samples, 140 ms, by default).
        """
        return (self._end_halves + 2 + self._bank.batch_halves) * HALF_SAMPLES

    # ------------------------------------------------------------------ per-window analysis
    def _hits(self, wb: WindowBlock, window_energy: np.ndarray) -> Hits:
        """The batch's hit windows: a cheap screen over all windows, then :meth:`_judge`.

        The screen needs, for every window, the strongest bin of each group.  Since the eight
        bins' total power bounds the pair's (``low + high <= total`` and ``min(low, high) <=
        total / 2``), a pre-screen on the total (with ``_PRESCREEN_SLACK`` for rounding) keeps a
        few percent of the windows, and the exact screen runs on those only.
        """
        windows = wb.windows.reshape(-1, 2 * _FREQS_HZ.size)
        # total / prescreen_pair >= max(energy, prescreen_tone / prescreen_pair), the scale folded
        # into the BLAS row sum (its rounding is covered by the slack).
        scaled_total = np.square(windows) @ self._prescreen_weights
        energy = window_energy.reshape(-1)
        pre = np.flatnonzero(scaled_total >= np.maximum(energy, self._prescreen_floor))
        power = bin_power(windows[pre])
        both = power.reshape(-1, 2, 4).argmax(-1) + _GROUP_OFFSET  # strongest bin of each group
        pair = power[np.arange(pre.size)[:, None], both]  # (low, high) powers
        low, high = pair[:, 0], pair[:, 1]
        candidate = (low + high >= self._pair_floor * energy[pre]) & (np.minimum(low, high) >= self._min_tone_power)
        return self._judge(pre[candidate], both[candidate], pair[candidate], wb)

    def _judge(self, flat: np.ndarray, both: np.ndarray, pair: np.ndarray, wb: WindowBlock) -> Hits:
        """Twist, previous-window and frequency checks on the candidate windows ``flat``.

        ``flat`` indexes the batch's ``(channels, halves + 1)`` window slots, ``both`` holds the
        strongest bin of each group there and ``pair`` their powers; slot 0 (the window before
        the batch) is never a candidate, so ``flat - 1`` is always the previous window.
        """
        p_pair = pair.astype(np.float64)
        # Both tones in this window and the previous one, as complex numbers.
        tones = wb.windows.view(np.complex64).reshape(-1)
        at = flat[:, None] * _FREQS_HZ.size + both
        w_cur = tones[at]
        w_prev = tones[at - _FREQS_HZ.size]
        ratio = p_pair[:, 1] / p_pair[:, 0]
        advance = w_cur * np.conj(w_prev) * self._expected_turn[both]
        turn = np.arctan2(advance.imag, advance.real)  # phase advance beyond the nominal one
        freq = _FREQS_HZ[both] + turn * (self._fs / (2.0 * np.pi * HOP_SAMPLES))
        per_tone = (np.abs(w_prev) ** 2 >= _PREV_WINDOW_POWER * p_pair) & (np.abs(turn) <= self._max_phase[both])
        ok = (
            (ratio >= self._twist_lo)
            & (ratio <= self._twist_hi)
            & _both_tones(per_tone)
            & (np.abs(freq[:, 1] / freq[:, 0] - 2.0) > _HARMONIC_RATIO_GUARD)
        )
        keep = np.flatnonzero(ok)
        channel, slot = np.divmod(flat[keep], wb.halves + 1)  # sorted by channel, then window
        good = both[keep]
        level = 5.0 * np.log10(p_pair[keep, 0] * p_pair[keep, 1]) + _LEVEL_OFFSET_DB
        return Hits(channel=channel, window=slot - 1, digit=4 * good[:, 0] + good[:, 1] - 4, level=level)

    # ------------------------------------------------------------------ public API
    def process(self, block: np.ndarray) -> list[DigitEvent]:
        """Feed ``(channels, n)`` samples; return digits that ended, by (end_sample, channel)."""
        x = np.asarray(block)
        if x.dtype != np.int16 or x.ndim != 2 or x.shape[0] != self.channels:
            x = as_block(x, self.channels)
        return self._analyse(self._bank.push(x))

    def reset_channels(self, channels: Sequence[int] | np.ndarray) -> None:
        """Start channels ``channels`` afresh, as if silent until now: a digit in progress
        there is forgotten, and the next one is detected as by a new detector.  The stream
        position (sample count) is shared and does not change.  ``ValueError`` names a
        channel out of range."""
        rows = np.asarray(channels, dtype=np.intp).reshape(-1)
        if rows.size and (rows.min() < 0 or rows.max() >= self.channels):
            raise ValueError(f"reset_channels: channels {rows.tolist()} not all in 0..{self.channels - 1}")
        self._bank.reset_channels(rows)  # also: not live until their next non-zero sample
        self._history[rows] = 0.0
        self._fsm.reset_channels(rows)

    def _release_quiet(self, rows: np.ndarray | None, history: np.ndarray) -> None:
        """Let the bank skip the channels of ``rows`` (None: all) that are quiet now.

        A channel is quiet when its last ``lookback`` halves (``history``, one row per channel
        of ``rows``) and its pending samples are all zero and the digit machine has no digit in
        progress there.  Its state is then unchanged by silence in the full detector: its
        halves, windows and energies stay zero, none is a hit, and the machine only touches
        channels with a digit or a hit -- so skipping it until its next non-zero sample gives
        the same events, and the same state when it is live again.
        """
        quiet = ~history.any(axis=1)
        if self._bank.pending_samples:
            quiet &= ~self._bank.pending_rows(rows).any(axis=1)
        chans = np.flatnonzero(quiet) if rows is None else rows[quiet]
        if chans.size:
            chans = chans[self._fsm.idle(chans)]
            self._bank.release(chans)

    def flush(self) -> list[DigitEvent]:
        """End the stream: pad with silence until every digit in progress has ended.

        The padding counts as consumed; use a new detector for a new stream.
        """
        pad = (-self._bank.pending_samples) % HALF_SAMPLES + (self._end_halves + 3) * HALF_SAMPLES
        events = self.process(np.zeros((self.channels, pad), np.int16))
        events += self._analyse(self._bank.evaluate())
        events.sort(key=lambda e: (e.end_sample, e.channel))
        return events

    def _analyse(self, wb: WindowBlock | None) -> list[DigitEvent]:
        """Judge a batch's windows and advance the digit machine over them (on the bank's live
        channels only: see :meth:`_release_quiet`)."""
        if wb is None:
            return []
        n, lb, rows = wb.halves, self._lookback, wb.rows
        if rows is not None and rows.size == 0:
            return []
        before = self._history if rows is None else self._history[rows]
        history = np.concatenate([before, wb.energy], axis=1)  # column t: half first_half - lb + t
        if rows is None:
            self._history = history[:, n:]
        else:
            self._history[rows] = history[:, n:]
        window_energy = np.empty((wb.energy.shape[0], n + 1), np.float32)  # slots as in wb.power
        window_energy[:, 0] = np.inf  # the window before the batch was judged with the last one
        np.add(history[:, lb - 1 : lb - 1 + n], history[:, lb:], out=window_energy[:, 1:])
        hits = self._hits(wb, window_energy)
        ended = self._fsm.advance(hits, BatchEnergies(wb.windows, window_energy, history, wb.first_half), rows=rows)
        self._release_quiet(rows, history[:, n:])
        if ended is None:
            return []
        order = np.lexsort((ended.channels, ended.ends))  # by (end_sample, channel)
        fields = (ended.channels, ended.digits, ended.onsets, ended.ends, np.round(ended.levels, 2))
        return [
            DigitEvent(channel=c, digit=DTMF_DIGITS[d], start_sample=s, end_sample=e, level_dbm0=lv)
            for c, d, s, e, lv in zip(*(f[order].tolist() for f in fields))
        ]
