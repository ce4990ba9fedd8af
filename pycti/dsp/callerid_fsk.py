"""FSK caller ID on the line: the central office's signal and the board's receiver.

On-hook data transmission (ETSI EN 300 659-1 clause 6, Telcordia GR-30-CORE) sends, at
1200 baud (Bell 202 or V.23, see :mod:`pycti.dsp.fsk`):

1. the channel seizure signal: 300 bits of alternating 0 and 1 (the 0x55 pattern, first bit 0);
2. the mark signal: 180 bits of 1 (80 bits when the data follows the first ring, ETSI);
3. the message (:mod:`pycti.dsp.callerid`), each byte framed start bit / 8 data bits LSB first
   / stop bit.

:class:`FskCallerIdReceiver` runs the discriminator on all channels at once, and counts, per
channel and sample, how many of the last ``mark_window_bits`` bit times were a steady mark with
the carrier present (a cumulative sum over integers, so it is exact across blocks).  A channel
whose count crosses ``mark_fraction`` of the window has a mark signal: only then does
per-channel work start, buffering that channel's discriminator output and reading bytes with
:func:`pycti.dsp.fsk.read_async_byte` until the message's length and checksum are in.  Every
message yields one :class:`~pycti.dsp.callerid.CallerIdEvent`; a message that fails framing,
bit confidence, checksum or content checks yields one with ``caller_id=None`` and the reason in
``error``.  A mark signal that ends, or goes on too long, without any byte yields nothing.

Channels too quiet to start a mark signal are not demodulated at all (an energy bound, exact:
see :class:`FskCallerIdReceiver`), so idle channels cost one sum of squares per block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import as_block, check_channels, check_fs, dbm0_to_peak
from pycti.dsp.callerid import CallerIdError, CallerIdEvent, decode_message
from pycti.dsp.fsk import (
    BELL202,
    CENTRE_HZ,
    DEMOD_DELAY_SAMPLES,
    DISC_HISTORY_SAMPLES,
    LPF_PEAK_POWER_GAIN,
    V23,
    FskStandard,
    UartResult,
    UartStatus,
    Workspace,
    async_frame_bits,
    discriminate_planes,
    fsk_modulate,
    fsk_standard,
    planes_freq_hz,
    read_async_byte,
)

__all__ = ["FskCallerIdParams", "FskCallerIdReceiver", "fsk_callerid_signal"]

#: ETSI EN 300 659-1 clause 6.1.2 / GR-30-CORE: channel seizure of 300 alternating bits.
SEIZURE_BITS = 300
#: Mark signal before the message: 180 bits (80 bits for data after the first ring, ETSI).
MARK_BITS = 180
_BIT_SAMPLES = 8000.0 / 1200.0
#: A sample counts towards a mark signal when the smoothed discriminator lies within this
#: fraction of the deviation from a standard's mark frequency (and the carrier is present).
_MARK_RANGE_OF_DEVIATION = 0.6
#: Non-mark samples in a row that count as a gap (a space bit of the seizure signal) when
#: estimating where the mark signal began.
_ONSET_GAP_SAMPLES = 3


def fsk_callerid_signal(
    message_bytes: bytes,
    *,
    standard: str = "bell202",
    level_dbm0: float = -13.5,
    seizure_bits: int = SEIZURE_BITS,
    mark_bits: int = MARK_BITS,
    fs_hz: int = 8000,
) -> np.ndarray:
    """The caller ID transmission of ``message_bytes`` as a central office sends it, int16.

    Channel seizure (``seizure_bits`` alternating bits starting with 0), mark signal
    (``mark_bits`` ones) and the message, each byte framed start/8 data LSB first/stop, all one
    phase-continuous FSK signal (``standard`` ``"bell202"`` or ``"v23"``) at ``level_dbm0``.
    """
    check_fs(fs_hz)
    if seizure_bits < 0 or mark_bits < 0:
        raise ValueError("seizure_bits and mark_bits must be >= 0")
    bits = np.concatenate(
        [
            (np.arange(seizure_bits) % 2).astype(np.uint8),
            np.ones(mark_bits, np.uint8),
            async_frame_bits(bytes(message_bytes)),
        ]
    )
    x = fsk_modulate(bits, standard=fsk_standard(standard), level_dbm0=level_dbm0, fs_hz=fs_hz)
    out: np.ndarray = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class FskCallerIdParams:
    """Tuning of :class:`FskCallerIdReceiver`.

    ``min_level_dbm0``: weakest carrier accepted (ETSI EN 300 659-1 asks receivers to work down
    to about -40 dBm0 at the line interface).  ``mark_window_bits`` / ``mark_fraction``: a mark
    signal is recognised when this fraction of the last window of bit times was a steady mark
    (ETSI's shortest mark signal is 80 - 25 = 55 bits).  ``max_gap_bits``: longest run of marks
    accepted between two bytes of a message.  ``max_leading_mark_bits``: longest wait for the
    first byte after the mark signal is recognised.  ``min_confidence``: smallest discriminator
    swing, as a fraction of the standard's deviation, at which a bit counts as decided.
    ``gate_quiet_channels``: skip the discriminator on channels whose recent energy proves that
    no mark signal can be recognised in the block (see :class:`FskCallerIdReceiver`); the
    events are the same either way, ``False`` only costs more (it runs every channel).
    """

    min_level_dbm0: float = -45.0
    mark_window_bits: int = 32
    mark_fraction: float = 0.7
    max_gap_bits: int = 16
    max_leading_mark_bits: int = 400
    min_confidence: float = 0.25
    gate_quiet_channels: bool = True


_DEFAULT_PARAMS = FskCallerIdParams()


class _Reception:
    """One channel's message in progress: buffered discriminator output and bytes read so far."""

    __slots__ = (
        "arrays",
        "chunks",
        "damaged",
        "data",
        "origin",
        "pos",
        "resume",
        "size",
        "standard",
        "start_sample",
        "wait_edge",
        "wait_for",
        "wait_limit",
    )

    def __init__(self, origin: int, start_sample: int, standard: FskStandard) -> None:
        self.origin = origin  # absolute discriminator index of buffer index 0
        self.start_sample = start_sample
        self.standard = standard
        self.pos = 0
        self.data = bytearray()
        self.damaged = 0  # damaged bytes skipped while waiting for the first good one
        self.chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.size = 0  # samples buffered
        self.wait_for = 0  # buffer index that must arrive before reading again can help
        self.wait_edge = False  # the UART found no candidate start edge last time ...
        self.wait_limit = 0  # ... and gives up when the buffer reaches this size
        self.resume: UartResult | None = None  # the UART's last NEED_MORE, to go on from

    def append(self, product: np.ndarray, freq_hz: np.ndarray, power: np.ndarray) -> None:
        self.chunks.append((product, freq_hz, power))
        self.arrays = None
        self.size += product.size

    def buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.arrays is None:
            product, freq, power = (np.concatenate(parts) for parts in zip(*self.chunks, strict=True))
            self.chunks = [(product, freq, power)]
            self.arrays = (product, freq, power)
        return self.arrays

    def expected_length(self) -> int | None:
        return self.data[1] + 3 if len(self.data) >= 2 else None


_FAILURES = {
    UartStatus.NO_START: "no start bit in time",
    UartStatus.CARRIER_LOST: "carrier lost",
    UartStatus.FRAMING: "framing error (stop bit not a mark)",
    UartStatus.UNRELIABLE: "unreliable bit (signal too noisy)",
}


#: Failures that mean a byte was there but damaged, as opposed to a mark signal that simply
#: ended or went on (which, with no byte at all, is not a message).
_DAMAGED = (UartStatus.FRAMING, UartStatus.UNRELIABLE)


def _mark_onset(window_flags: np.ndarray) -> int:
    """Where in a recognised mark window the mark began: after its last space-like gap."""
    gap = np.flatnonzero(
        np.convolve(window_flags == 0, np.ones(_ONSET_GAP_SAMPLES), mode="valid") == _ONSET_GAP_SAMPLES
    )
    return int(gap[-1]) + _ONSET_GAP_SAMPLES if gap.size else 0


class _RecentBlocks:
    """Copies of the last blocks of every channel, enough to cover ``keep`` samples before the
    newest, with each block's per-channel energy (sum of squares)."""

    def __init__(self, channels: int, keep: int) -> None:
        self.keep = keep
        self._blocks: list[np.ndarray] = [np.zeros((channels, keep))]  # the silence before the stream
        self._energies: list[np.ndarray] = [np.zeros(channels)]
        self._spare: list[np.ndarray] = []  # copies of dropped blocks, reused for new ones

    def push(self, x: np.ndarray) -> np.ndarray:
        """Keep a copy of block ``x``; return each channel's energy over it and the kept blocks
        before it (at least ``keep`` samples)."""
        covered = sum(b.shape[1] for b in self._blocks)
        while covered - self._blocks[0].shape[1] >= self.keep:
            covered -= self._blocks[0].shape[1]
            self._spare.append(self._blocks.pop(0))
            self._energies.pop(0)
        fits = [i for i, b in enumerate(self._spare) if b.shape == x.shape]
        copy = self._spare.pop(fits[0]) if fits else np.empty_like(x)
        del self._spare[2:]
        np.copyto(copy, x)
        energy = np.einsum("ij,ij->i", copy, copy)
        total: np.ndarray = energy.copy()
        for e in self._energies:
            total += e
        self._blocks.append(copy)
        self._energies.append(energy)
        return total

    def last(self, rows: np.ndarray, samples: int) -> np.ndarray:
        """The last ``samples`` samples (at most ``keep`` + the newest block's) of ``rows``."""
        pieces = []
        for block in reversed(self._blocks):
            take = min(samples, block.shape[1])
            pieces.append(block[rows, block.shape[1] - take :])
            samples -= take
            if samples == 0:
                break
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces[::-1], axis=1)


class _Workspace(Workspace):
    """A :class:`~pycti.dsp.fsk.Workspace` that hands back the very view of a name's last
    request when the shape and dtype are those again: the memory the workspace would give (it
    replaces a name's buffer only when that name is asked for bigger or of another dtype), for
    a dictionary look-up instead of sizing and slicing the buffer anew; the discriminator asks
    for some twenty arrays per demodulated block."""

    def __init__(self) -> None:
        super().__init__()
        self._last: dict[str, tuple[tuple[int, ...], type, np.ndarray]] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        last = self._last.get(name)
        if last is not None and last[1] is dtype and last[0] == shape:
            return last[2]
        view = super().array(name, shape, dtype)
        self._last[name] = (shape, dtype, view)
        return view


class FskCallerIdReceiver:
    """Receive FSK caller ID on ``channels`` channels at once.

    ``standard`` is ``"bell202"``, ``"v23"`` or ``"auto"``; the discriminator decodes both (it
    is centred at 1700 Hz), so the choice sets only the accepted mark frequency range and the
    deviation bits are judged against; ``"auto"`` accepts either and reports, in each event's
    ``signalling``, the standard whose mark frequency is nearer the one measured.  Feed blocks of
    any length to :meth:`process`; the events do not depend on how the signal was cut.

    Quiet channels cost one sum of squares per block.  A mark signal is recognised only when
    ``mark_fraction`` of a window's samples have an in-band power of at least the minimum
    level's, and the in-band power summed over any stretch is at most the low-pass filter's peak
    power gain times the raw energy feeding it (Parseval); so a channel whose raw energy over the
    last window, the filter span and the block is below that many samples' minimum power (over
    the gain) cannot recognise one in the block.  Such a channel, with no message in progress, is
    not demodulated; when it is next loud its mark-count history is recomputed from the raw
    samples kept for that purpose.  The discriminator output and so the events are exactly those
    of the ungated receiver (``FskCallerIdParams(gate_quiet_channels=False)``).
    ``demodulated_channels`` tells how many channels the last block demodulated.

    ``start_sample`` is the stream index of the first sample fed (it sets the discriminator's
    oscillator phase and the events' sample positions).  Digital silence leaves no state
    behind, so a receiver started at ``start_sample`` is exactly one that was fed that many
    zero samples first: a caller may make the receiver only when the signal starts.
    """

    def __init__(
        self,
        channels: int,
        *,
        standard: str = "auto",
        params: FskCallerIdParams = _DEFAULT_PARAMS,
        fs_hz: int = 8000,
        start_sample: int = 0,
    ) -> None:
        check_fs(fs_hz)
        channels = check_channels(channels)
        if start_sample < 0:
            raise ValueError(f"start_sample must be >= 0, got {start_sample!r}")
        candidates: tuple[FskStandard, ...]
        if standard == "auto":
            candidates = (BELL202, V23)
        else:
            candidates = (fsk_standard(standard),)
        self.channels = channels
        self.params = params
        self._fixed = candidates[0] if len(candidates) == 1 else None
        offsets = [s.mark_hz - CENTRE_HZ for s in candidates]
        half = [s.deviation_hz * _MARK_RANGE_OF_DEVIATION for s in candidates]
        self._mark_low_hz = min(o - h for o, h in zip(offsets, half, strict=True))
        self._mark_high_hz = max(o + h for o, h in zip(offsets, half, strict=True))
        self._min_power = (dbm0_to_peak(params.min_level_dbm0) / 2.0) ** 2
        self._window = round(params.mark_window_bits * _BIT_SAMPLES)
        self._needed = int(np.ceil(params.mark_fraction * self._window))
        # Below this raw energy (with a margin for rounding) no window can reach `needed`.
        self._gate_energy = self._needed * self._min_power / (LPF_PEAK_POWER_GAIN * (1.0 + 1e-6))
        self._samples_seen = int(start_sample)
        # Raw history to rebuild a window of discriminator output; it also covers the window and
        # the filter span (LPF_TAPS - 1 samples) that the energy gate must look back over.
        self._recent = _RecentBlocks(channels, self._window + DISC_HISTORY_SAMPLES)
        self._flag_history = np.zeros((self._window, channels), dtype=np.int8)  # samples-major
        self._primed = np.zeros(channels, dtype=bool)  # flag history is up to date
        self._work = _Workspace()
        self._freq_history = np.zeros((self._window, channels))  # samples-major, "auto" only
        self._active: dict[int, _Reception] = {}
        self._rearm_at = np.zeros(channels, dtype=np.int64)
        self.demodulated_channels = 0  #: channels the last :meth:`process` call demodulated

    @property
    def samples_seen(self) -> int:
        """Samples per channel processed so far."""
        return self._samples_seen

    def process(self, block: np.ndarray) -> list[CallerIdEvent]:
        """Feed one ``(channels, samples)`` block; return the caller ID events it completed."""
        x = as_block(block, self.channels)
        n = x.shape[1]
        if n == 0:
            return []
        base = self._samples_seen
        self._samples_seen += n
        energy = self._recent.push(x)
        if self.params.gate_quiet_channels:
            loud = energy >= self._gate_energy
            loud[list(self._active)] = True
            rows = loud.nonzero()[0]
        else:
            rows = np.arange(self.channels)
        self.demodulated_channels = rows.size
        primed = self._primed[rows]
        self._primed[:] = False
        self._primed[rows] = True
        keyed: list[tuple[int, int, CallerIdEvent]] = []
        # Channels demodulated in the previous block carry their mark-count history; the others
        # recompute it from the raw history first.
        for group, history in ((rows[primed], 0), (rows[~primed], self._window)):
            if group.size:
                keyed.extend(self._demodulate(group, base, n, history))
        keyed.sort(key=lambda item: (item[0], item[1]))
        return [event for _, _, event in keyed]

    def _demodulate(self, rows: np.ndarray, base: int, n: int, history: int) -> list[tuple[int, int, CallerIdEvent]]:
        """Discriminator, mark counting and per-message work for channels ``rows``.  With
        ``history`` > 0 the mark flags of the ``history`` samples before the block are
        recomputed too (``history`` must then be the window)."""
        span = history + n
        k = rows.size
        w = self._work
        raw = self._recent.last(rows, span + DISC_HISTORY_SAMPLES)
        planes = discriminate_planes(raw.T, base - history - DISC_HISTORY_SAMPLES, w)
        freq = planes_freq_hz(planes, out=w.array("freq", (span, k)))
        steady = np.greater_equal(freq, self._mark_low_hz, out=w.array("steady", (span, k), np.bool_))
        test = np.less_equal(freq, self._mark_high_hz, out=w.array("test", (span, k), np.bool_))
        steady &= test
        steady &= np.greater_equal(planes.power, self._min_power, out=test)
        wnd = self._window
        flags = w.array("flags", (wnd + n, k), np.int8)
        if history:
            flags[...] = steady
        else:
            np.take(self._flag_history, rows, axis=1, out=flags[:wnd])
            flags[wnd:] = steady
        self._flag_history[:, rows] = flags[-wnd:]
        onsets = w.array("onsets", (n, k), np.bool_)
        onsets[...] = False
        # Marks in the window ending just before the block; in the window ending at block sample
        # j it is that plus the flags entering minus those leaving.  It can reach `needed` in the
        # block only where it plus every new mark does, so count only those channels.
        before = flags[:wnd].sum(axis=0, dtype=np.int16)
        ceiling = flags[wnd:].sum(axis=0, dtype=np.int16)
        ceiling += before
        cols = np.flatnonzero(ceiling >= self._needed)
        if cols.size:
            sub = flags[:, cols]
            marks = np.subtract(sub[wnd:], sub[:n], dtype=np.int16)
            np.cumsum(marks, axis=0, out=marks)
            marks += before[cols]
            triggered = marks >= self._needed
            rising = triggered.copy()
            rising[0] &= before[cols] < self._needed
            rising[1:] &= ~triggered[:-1]
            onsets[:, cols] = rising
        busy = np.zeros(k, dtype=bool)
        busy[cols] = onsets[:, cols].any(axis=0)
        # The discriminator output over the window before each onset, for classifying the mark.
        window_freq: dict[int, np.ndarray] = {}
        if self._fixed is None:
            onset_cols = np.flatnonzero(busy)
            if history:
                window_freq = {int(c): freq[:, c].copy() for c in onset_cols}
            else:
                past = self._freq_history[:, rows[onset_cols]]
                window_freq = {int(c): np.concatenate([past[:, i], freq[:, c]]) for i, c in enumerate(onset_cols)}
            self._keep_freq_history(rows, freq, history)
        keyed: list[tuple[int, int, CallerIdEvent]] = []
        if self._active:  # and the channels with a message in progress
            busy |= np.isin(rows, list(self._active))
        for col in np.flatnonzero(busy).tolist():
            ch = int(rows[col])
            product = np.empty(n, np.complex128)
            product.real = planes.product_re[history:, col]
            product.imag = planes.product_im[history:, col]
            block_out = (product, freq[history:, col].copy(), planes.power[history:, col].copy())
            keyed.extend(self._run_channel(ch, base, block_out, onsets[:, col], flags[:, col], window_freq.get(col)))
        return keyed

    def _keep_freq_history(self, rows: np.ndarray, freq: np.ndarray, history: int) -> None:
        """Keep the discriminator output of the last window of samples of channels ``rows``."""
        wnd = self._window
        if history or freq.shape[0] >= wnd:
            self._freq_history[:, rows] = freq[-wnd:]
        else:
            n = freq.shape[0]
            past = self._freq_history[n:, rows]
            self._freq_history[: wnd - n, rows] = past
            self._freq_history[wnd - n :, rows] = freq

    def flush(self) -> list[CallerIdEvent]:
        """Drain the filters with silence and end every message in progress (reported as an error)."""
        pad = int(np.ceil(DEMOD_DELAY_SAMPLES + 2 * _BIT_SAMPLES))
        events = self.process(np.zeros((self.channels, pad)))
        for ch in sorted(self._active):
            rx = self._active.pop(ch)
            event = self._finish(ch, rx, "signal ended mid-message", self.samples_seen)
            if event is not None:
                events.append(event)
        return events

    def _may_start(self, freq: np.ndarray, power: np.ndarray) -> bool:
        """Whether new samples hold a candidate start edge or a sample without carrier."""
        present = power >= self._min_power
        return not present.all() or bool(np.any(freq[present] > 0.0))

    def _classify(self, window_freq: np.ndarray | None) -> FskStandard:
        """The standard of a recognised mark signal: whichever mark frequency is nearer the median
        discriminator output over the window."""
        if self._fixed is not None or window_freq is None:
            return self._fixed or BELL202
        mark_offset = float(np.median(window_freq))
        bell = BELL202.mark_hz - CENTRE_HZ
        v23 = V23.mark_hz - CENTRE_HZ
        return BELL202 if abs(mark_offset - bell) < abs(mark_offset - v23) else V23

    def _run_channel(
        self,
        ch: int,
        base: int,
        out: tuple[np.ndarray, np.ndarray, np.ndarray],
        onsets: np.ndarray,
        flags: np.ndarray,
        freq_ext: np.ndarray | None,
    ) -> list[tuple[int, int, CallerIdEvent]]:
        """Per-channel work for a channel with a mark signal or a message in progress.

        ``out`` is the block's ``(product, freq_hz, power)``; ``flags`` the mark flags of the
        window before the block and of the block, ``onsets`` the block's mark-signal onsets."""
        events: list[tuple[int, int, CallerIdEvent]] = []
        product, freq, power = out
        rx = self._active.get(ch)
        if rx is not None:
            rx.append(product, freq, power)
            if rx.wait_edge and rx.size < rx.wait_limit and not self._may_start(freq, power):
                # Waiting for a start bit, and the new samples hold neither a candidate edge nor
                # a carrier drop: the UART's answer cannot have changed.
                rx.wait_for = rx.size
        while True:
            if rx is None:
                earliest = max(0, int(self._rearm_at[ch]) - base)
                hits = np.flatnonzero(onsets[earliest:])
                if hits.size == 0:
                    return events
                j = earliest + int(hits[0])
                standard = self._classify(None if freq_ext is None else freq_ext[j + 1 : j + 1 + self._window])
                start = base + j - self._window + 1 + _mark_onset(flags[j + 1 : j + 1 + self._window])
                start -= DEMOD_DELAY_SAMPLES
                rx = _Reception(base + j + 1, max(0, start), standard)
                rx.append(product[j + 1 :], freq[j + 1 :], power[j + 1 :])
                self._active[ch] = rx
            result = self._read_message(ch, rx) if rx.size > rx.wait_for else None
            if result is None:
                return events
            decided_at, event = result
            del self._active[ch]
            self._rearm_at[ch] = decided_at + 1
            if event is not None:
                events.append((decided_at, ch, event))
            rx = None

    def _read_message(self, ch: int, rx: _Reception) -> tuple[int, CallerIdEvent | None] | None:
        """Read bytes until the message is complete or fails; None while more signal is needed."""
        product, freq, power = rx.buffers()
        std = rx.standard
        p = self.params
        lead_limit = round(p.max_leading_mark_bits * _BIT_SAMPLES)
        gap_limit = round(p.max_gap_bits * _BIT_SAMPLES)
        while True:
            max_wait = gap_limit if rx.data else max(1, lead_limit - rx.pos)
            r = read_async_byte(
                product,
                freq,
                power,
                rx.pos,
                baud=std.baud,
                deviation_hz=std.deviation_hz,
                min_power=self._min_power,
                max_wait_samples=max_wait,
                min_confidence=p.min_confidence,
                resume_from=None if rx.resume is None else rx.resume.next_pos,
                seen=-1 if rx.resume is None else rx.resume.seen,
            )
            rx.resume = None
            if r.status is UartStatus.NEED_MORE:
                rx.resume = r
                rx.wait_for = r.decided_at
                rx.wait_edge = r.start < 0
                rx.wait_limit = rx.pos + max_wait
                return None
            decided_at = rx.origin + r.decided_at
            if r.status in _DAMAGED and not rx.data:
                # A damaged byte before any good one: noise on the mark signal or a hit type
                # byte.  Keep looking; report it only if nothing good follows.
                rx.damaged += 1
                rx.pos = r.next_pos
                continue
            if r.status is not UartStatus.BYTE:
                end = rx.origin + r.start - DEMOD_DELAY_SAMPLES
                expected = rx.expected_length()
                detail = f"{_FAILURES[r.status]} after {len(rx.data)} of {expected or '?'} bytes"
                if rx.damaged and not rx.data:
                    detail = f"no valid byte after the mark signal ({rx.damaged} damaged)"
                return decided_at, self._finish(ch, rx, detail, end)
            rx.data.append(r.value)
            rx.pos = r.next_pos
            if len(rx.data) == rx.expected_length():
                end = rx.origin + r.next_pos + round(_BIT_SAMPLES / 2) - DEMOD_DELAY_SAMPLES
                return decided_at, self._finish(ch, rx, None, end)

    def _finish(self, ch: int, rx: _Reception, failure: str | None, end_sample: int) -> CallerIdEvent | None:
        """The event for a finished reception (None for a mark signal that carried no byte)."""
        if failure is not None and not rx.data and not rx.damaged:
            return None
        raw = bytes(rx.data)
        caller_id = None
        error = failure
        if failure is None:
            try:
                caller_id = decode_message(raw)
            except CallerIdError as exc:
                error = str(exc)
        return CallerIdEvent(
            channel=ch,
            start_sample=rx.start_sample,
            end_sample=max(end_sample, rx.start_sample),
            caller_id=caller_id,
            error=error,
            raw=raw,
            signalling=rx.standard.name,
        )
