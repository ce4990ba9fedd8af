"""ITU-T V.21 300 bit/s FSK modem, channel No. 2: the T.30 control channel.

T.30 clause 5 sends every facsimile control frame (HDLC, see :mod:`pycti.dsp.hdlc`) with V.21
channel No. 2: binary 1 (mark) 1650 Hz, binary 0 (space) 1850 Hz, 300 bit/s, half duplex
(ITU-T V.21; channel No. 1, 980/1180 Hz, is here too as :data:`V21_CH1`).  Both halves follow
the :mod:`pycti.dsp.modem` protocols.

:class:`V21Transmitter` keys a phase-continuous carrier: sample ``n`` of a transmission belongs
to bit ``floor(n * 300 / 8000)`` and advances the phase by the frequency of that bit; the phase
is kept as an integer number of 1/8000 cycles, so any split into ``generate`` calls gives the
same samples.  Between its raised-cosine rise and fall (:data:`RAMP_SAMPLES`) it is the stream
form of :func:`pycti.dsp.fsk.fsk_modulate` with the V.21 standards.

:class:`V21Receiver` works on each block in these steps, every one of them exact whatever the
block boundaries (per-sample operations, recursive filters carrying their state, running sums
continued sample by sample), so any split of the input gives the same bits and events:

1. mix down by the channel's centre (1750 Hz: a 32-sample oscillator table, exact);
2. two Butterworth low-passes of the baseband: a narrow one for the data (:data:`LPF_ORDER`,
   :data:`LPF_CUTOFF_HZ`), close to a matched filter for the 300 bit/s keyed tones, and a wider,
   faster one for carrier detection (:data:`DETECT_LPF_ORDER`, :data:`DETECT_LPF_CUTOFF_HZ`);
3. carrier detection: the in-band power over :data:`POWER_WINDOW_SAMPLES` samples against two
   thresholds with hysteresis, inside V.21's limits (on for more than -43 dBm0, off for less
   than -48 dBm0).  To come on, the data filter's band must also hold most of the power
   (:data:`IN_BAND_RATIO_DB`), so CED, CNG or channel No. 1 do not count as this carrier.  A drop
   below the off threshold must last :data:`OFF_HOLD_SAMPLES` before the carrier counts as gone,
   which also lets the last bits out of the (slower) data filter first.  The
   detector is one transition table (:data:`_CARRIER_TRANSITIONS`); its
   :class:`~pycti.dsp.modem.CarrierUp` / :class:`~pycti.dsp.modem.CarrierDown` events carry the
   sample at which it switched;
4. a delay-and-multiply discriminator ``Im(z[n] conj(z[n-1]))`` of the data baseband (negative
   for mark), summed over :data:`SMOOTH_SAMPLES`;
5. bit timing from the zero crossings of that statistic (a data transition crosses zero half a
   bit before the next decision instant): the first crossing after the carrier comes sets the
   phase, the ``k``-th pulls it by ``max(1/k, 1/16)`` of its error, which follows clock
   differences of thousands of ppm;
6. a bit is decided (mark = 1 for a negative statistic) at each decision instant while the
   carrier is present.

Steps 1-4 run in C (:func:`pycti.dsp.dspcore.v21_front`, sample by sample as here) and so do
steps 5-6 (:func:`pycti.dsp.dspcore.v21_bits`) when :func:`pycti.dsp.dspcore.enabled` says
so; the numpy code is the reference and the fallback.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import butter, lfilter  # type: ignore[import-untyped, unused-ignore]

from pycti.dsp import dspcore
from pycti.dsp._base import FS_HZ, FULL_SCALE_SINE_DBM0, dbm0_to_peak
from pycti.dsp.fsk import FskStandard
from pycti.dsp.modem import Bits, CarrierDown, CarrierUp, ModemEvent, RxResult, as_bits
from pycti.errors import PyctiError

__all__ = [
    "CARRIER_OFF_DBM0",
    "CARRIER_ON_DBM0",
    "DETECT_LPF_CUTOFF_HZ",
    "DETECT_LPF_ORDER",
    "IN_BAND_RATIO_DB",
    "LPF_CUTOFF_HZ",
    "LPF_ORDER",
    "OFF_HOLD_SAMPLES",
    "POWER_WINDOW_SAMPLES",
    "RAMP_SAMPLES",
    "SMOOTH_SAMPLES",
    "V21Error",
    "V21Receiver",
    "V21Transmitter",
    "V21_CH1",
    "V21_CH2",
]

#: V.21 channel No. 1 (the calling modem's channel): mark 980 Hz, space 1180 Hz.
V21_CH1 = FskStandard(name="v21ch1", mark_hz=980.0, space_hz=1180.0, baud=300)
#: V.21 channel No. 2, the T.30 control channel: mark 1650 Hz, space 1850 Hz.
V21_CH2 = FskStandard(name="v21ch2", mark_hz=1650.0, space_hz=1850.0, baud=300)

#: Carrier detector thresholds, inside V.21's "on above -43 dBm0, off below -48 dBm0" with
#: 1.5 dB of margin on either side for the spread of the measurement, 2 dB of hysteresis.
CARRIER_ON_DBM0 = -44.5
CARRIER_OFF_DBM0 = -46.5
#: Data low-pass after the mix-down (Butterworth order and cutoff); chosen by measured bit
#: error rate in white noise (orders 2 to 6 and cutoffs 100 to 400 Hz were tried).
LPF_ORDER = 4
LPF_CUTOFF_HZ = 150.0
#: Moving sum of the discriminator that steadies its zero crossings (1 ms).
SMOOTH_SAMPLES = 8
#: Carrier detection low-pass: wider than the data one so that its ringing dies out fast.
DETECT_LPF_ORDER = 2
DETECT_LPF_CUTOFF_HZ = 300.0
#: Length of the carrier detector's power window (4 ms).
POWER_WINDOW_SAMPLES = 32
#: How long the power must stay below the off threshold before the carrier is gone (2 ms).
OFF_HOLD_SAMPLES = 16
#: To turn the carrier on, the data filter's band must hold at least this share (in dB) of the
#: detection band's power, so tones beside the channel (CED 2100 Hz, CNG 1100 Hz, channel
#: No. 1) are not taken for its carrier; V.21's own signal gives -0.4 dB, white noise -3.1 dB.
IN_BAND_RATIO_DB = -6.0

#: Length of the transmitter's raised-cosine rise and fall (3 ms: with 2 ms the end of a -10 dBm0
#: channel No. 1 carrier splashed enough into channel No. 2 to trip its detector; longer ramps
#: delay the carrier events).
RAMP_SAMPLES = 24

_MIN_GAIN = 1.0 / 16.0  # bit timing loop gain once acquired
_HISTORY = 40  # samples of the bit statistic kept for decisions a timing step moved back
_TYPICAL_BLOCK = 160  # 20 ms: blocks up to this size take the fast oscillator path


class V21Error(PyctiError, ValueError):
    """A bad argument to a V.21 modem half, or bits written after ``finish`` (the message names
    the value)."""


def _check_standard(standard: FskStandard) -> FskStandard:
    if not isinstance(standard, FskStandard) or standard.baud != 300:
        raise V21Error(f"standard must be V21_CH1 or V21_CH2, got {standard!r}")
    if not (float(standard.mark_hz).is_integer() and float(standard.space_hz).is_integer()):
        raise V21Error(f"V.21 frequencies must be whole hertz, got {standard!r}")
    return standard


def _check_level(level_dbm0: float) -> float:
    if not isinstance(level_dbm0, (int, float)) or not -70.0 <= level_dbm0 <= FULL_SCALE_SINE_DBM0:
        raise V21Error(f"level_dbm0 must be within -70 .. {FULL_SCALE_SINE_DBM0} dBm0, got {level_dbm0!r}")
    return float(level_dbm0)


class V21Transmitter:
    """V.21 transmitter (:class:`~pycti.dsp.modem.ModemTransmitter`) at ``level_dbm0``.

    The carrier starts with the first :meth:`generate`.  Each 1/300 s bit slot takes the next
    written bit; while none is queued before :meth:`finish` the slot is a mark (binary 1, the
    V.21 idle condition), so an HDLC sender should keep flags queued.  After :meth:`finish`
    the carrier goes on to the end of the last written bit, then dies away over
    :data:`RAMP_SAMPLES` at that bit's frequency, and :attr:`done` turns true; silence follows.
    It also rises over its first :data:`RAMP_SAMPLES`.  The raised-cosine edges keep switching
    the carrier from splashing into the neighbouring bands (where another receiver would take
    the click for a carrier).
    """

    def __init__(self, level_dbm0: float = -10.0, *, standard: FskStandard = V21_CH2) -> None:
        self.standard = _check_standard(standard)
        self.level_dbm0 = _check_level(level_dbm0)
        self._amplitude = dbm0_to_peak(self.level_dbm0)
        self._mark_hz = int(standard.mark_hz)
        self._space_hz = int(standard.space_hz)
        self._queue: list[Bits] = []
        self._queued = 0
        self._sample = 0  # samples of the transmission generated so far
        self._slot_bit = -1  # bit of the slot holding the next sample, -1 = not yet taken
        self._phase = 0  # carrier phase in 1/FS_HZ cycles
        self._last_hz = self._mark_hz  # frequency of the last sample generated
        self._finished = False
        self._tail_left = -1  # samples of the closing ramp still to send, -1 = bits still flow
        self._done = False

    @property
    def done(self) -> bool:
        """True once :meth:`finish` was called and the last bit and the closing ramp are out."""
        return self._done

    def write_bits(self, bits: npt.ArrayLike) -> None:
        """Queue ``bits`` (0/1, first sent first) after those already queued."""
        if self._finished:
            raise V21Error("bits written after finish(): the transmission is ending")
        try:
            b = as_bits(bits)
        except ValueError as exc:
            raise V21Error(f"V.21 transmitter input: {exc}") from None
        if b.size:
            self._queue.append(b.copy())
            self._queued += b.size

    def finish(self) -> None:
        """No more bits: stop the carrier after the queued ones."""
        self._finished = True
        if self._queued == 0 and self._slot_bit < 0:
            self._end_bits()

    def _end_bits(self) -> None:
        """The last bit slot is over: on to the closing ramp (none if nothing was sent)."""
        self._slot_bit = -1
        self._tail_left = RAMP_SAMPLES if self._sample else 0
        self._done = self._tail_left == 0

    def _take(self, count: int) -> Bits:
        """The next ``count`` queued bits (fewer if the queue runs dry)."""
        if count <= 0 or not self._queued:
            return np.zeros(0, dtype=np.uint8)
        joined = np.concatenate(self._queue)
        taken, rest = joined[:count], joined[count:]
        self._queue = [rest] if rest.size else []
        self._queued = rest.size
        return taken

    def _bit_frequencies(self, n: int) -> npt.NDArray[np.int64]:
        """The frequency of each of the next (up to ``n``) samples that carry a bit."""
        baud = self.standard.baud
        slots = (self._sample + np.arange(n, dtype=np.int64)) * baud // FS_HZ
        first_slot = int(slots[0])
        # Bits for the slots of this block: the one already under way, then fresh ones.
        fresh = int(slots[-1]) - first_slot + (1 if self._slot_bit < 0 else 0)
        taken = self._take(fresh)
        if taken.size < fresh and not self._finished:
            taken = np.concatenate([taken, np.ones(fresh - taken.size, dtype=np.uint8)])
        slot_bits = taken if self._slot_bit < 0 else np.concatenate([[np.uint8(self._slot_bit)], taken])
        live = int(np.searchsorted(slots, first_slot + slot_bits.size))  # samples with a bit
        freq = np.where(slot_bits[slots[:live] - first_slot] == 1, self._mark_hz, self._space_hz).astype(np.int64)
        self._sample += live
        if live < n:
            self._end_bits()
        elif (self._sample * baud) // FS_HZ == int(slots[-1]):
            self._slot_bit = int(slot_bits[-1])  # the last slot goes on in the next block
        else:
            self._slot_bit = -1
            if self._finished and self._queued == 0:
                self._end_bits()
        return freq

    def generate(self, n: int) -> npt.NDArray[np.int16]:
        """The next ``n`` samples (int16 at 8000 Hz); silence once :attr:`done`."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise V21Error(f"sample count must be a non-negative integer, got {n!r}")
        out = np.zeros(int(n), dtype=np.int16)
        if self._done or n == 0:
            return out
        first = self._sample
        freq = self._bit_frequencies(int(n)) if self._tail_left < 0 else np.zeros(0, dtype=np.int64)
        live = freq.size
        tail = min(int(n) - live, max(self._tail_left, 0))
        if live:
            self._last_hz = int(freq[-1])
        freq = np.concatenate([freq, np.full(tail, self._last_hz, dtype=np.int64)])
        if not freq.size:
            return out
        cycles = (self._phase + np.concatenate([[0], np.cumsum(freq[:-1])])) % FS_HZ
        self._phase = int((cycles[-1] + freq[-1]) % FS_HZ)
        envelope = np.ones(freq.size)
        if first < RAMP_SAMPLES and live:
            rise = np.arange(first, min(first + live, RAMP_SAMPLES))
            envelope[: rise.size] = np.sin(np.pi / 2 * (rise + 0.5) / RAMP_SAMPLES) ** 2
        if tail:
            done_so_far = RAMP_SAMPLES - self._tail_left
            envelope[live:] = np.cos(np.pi / 2 * (np.arange(done_so_far, done_so_far + tail) + 0.5) / RAMP_SAMPLES) ** 2
            self._tail_left -= tail
            self._done = self._tail_left == 0
        out[: freq.size] = np.rint(self._amplitude * envelope * np.cos(2.0 * np.pi * cycles / FS_HZ)).astype(np.int16)
        return out


def _table_period(centre_hz: int) -> int:
    return FS_HZ // math.gcd(FS_HZ, centre_hz)


class _Carrier(enum.Enum):
    OFF = "off"
    ON = "on"
    ENDING = "ending"  # below the off threshold for less than OFF_HOLD_SAMPLES: still present


class _Level(enum.Enum):
    RISE = "rise"  # power above the on threshold
    FALL = "fall"  # power below the off threshold
    RECOVER = "recover"  # power back at or above the off threshold
    HELD = "held"  # power below the off threshold for OFF_HOLD_SAMPLES


#: The carrier detector: (state, level input) -> (next state, event to report).
_CARRIER_TRANSITIONS: dict[tuple[_Carrier, _Level], tuple[_Carrier, type[CarrierUp] | type[CarrierDown] | None]] = {
    (_Carrier.OFF, _Level.RISE): (_Carrier.ON, CarrierUp),
    (_Carrier.ON, _Level.FALL): (_Carrier.ENDING, None),
    (_Carrier.ENDING, _Level.RECOVER): (_Carrier.ON, None),
    (_Carrier.ENDING, _Level.HELD): (_Carrier.OFF, CarrierDown),
}


@dataclass(frozen=True, slots=True)
class _Front:
    """The per-block output of the front end, aligned with the input samples."""

    bit_stat: npt.NDArray[np.float64]  # discriminator summed over SMOOTH_SAMPLES (negative = mark)
    power_sum: npt.NDArray[np.float64]  # detection |w|^2 summed over POWER_WINDOW_SAMPLES
    narrow_sum: npt.NDArray[np.float64]  # data |z|^2 summed over POWER_WINDOW_SAMPLES


class _CarrierDetector:
    """Hysteresis on the windowed in-band power, with the off hold (see the module docstring)."""

    def __init__(self, on_sum: float, off_sum: float) -> None:
        self._on_sum = on_sum
        self._off_sum = off_sum
        self._ratio = 10.0 ** (IN_BAND_RATIO_DB / 10.0)
        self.state = _Carrier.OFF
        self._ending_since = 0  # stream index of the sample that started ENDING

    @property
    def present(self) -> bool:
        return self.state is not _Carrier.OFF

    def _next_input(self, front: _Front, at: int, start: int) -> tuple[int, _Level] | None:
        """The block index and kind of the next level input from block index ``at`` on."""
        power_sum = front.power_sum
        n = power_sum.size
        if self.state is _Carrier.ENDING:
            expiry = self._ending_since + OFF_HOLD_SAMPLES - start
            back = np.flatnonzero(power_sum[at : max(at, min(expiry, n))] >= self._off_sum)
            if back.size:
                return at + int(back[0]), _Level.RECOVER
            return (max(at, expiry), _Level.HELD) if expiry < n else None
        if self.state is _Carrier.OFF:
            p = power_sum[at:]
            hits, level = np.flatnonzero((p > self._on_sum) & (front.narrow_sum[at:] >= self._ratio * p)), _Level.RISE
        else:
            hits, level = np.flatnonzero(power_sum[at:] < self._off_sum), _Level.FALL
        return (at + int(hits[0]), level) if hits.size else None

    def run(self, front: _Front, start: int) -> list[ModemEvent]:
        """Step through one block (``start``: stream index of its first sample); returns the
        carrier events in it, in order."""
        events: list[ModemEvent] = []
        at = 0
        while (found := self._next_input(front, at, start)) is not None:
            at, level = found
            self.state, event = _CARRIER_TRANSITIONS[(self.state, level)]
            if self.state is _Carrier.ENDING:
                self._ending_since = start + at
            if event is not None:
                events.append(event(start + at))
        return events


class V21Receiver:
    """V.21 receiver (:class:`~pycti.dsp.modem.ModemReceiver`) for one channel of the modem.

    :meth:`process` takes int16 (or float, in 16-bit units) samples at 8000 Hz and returns the
    bits decided while the carrier was present, with ``CarrierUp``/``CarrierDown`` events
    stamped with the sample index (from the start or the last :meth:`reset`) at which the
    detector switched.  ``carrier_on_dbm0``/``carrier_off_dbm0`` set the detector's thresholds
    (on above the first, off below the second).  The last bit of a transmission is out before
    its ``CarrierDown``; a bit or two of line noise may follow it.

    Bit timing is acquired afresh at each ``CarrierUp``.  On a line whose noise alone is above
    the on threshold the carrier is already present when a transmission starts; the timing
    loop then pulls in at 1/16 of the error per data transition, about a dozen flags.
    """

    def __init__(
        self,
        *,
        standard: FskStandard = V21_CH2,
        carrier_on_dbm0: float = CARRIER_ON_DBM0,
        carrier_off_dbm0: float = CARRIER_OFF_DBM0,
    ) -> None:
        self.standard = _check_standard(standard)
        on, off = _check_level(carrier_on_dbm0), _check_level(carrier_off_dbm0)
        if off > on:
            raise V21Error(f"carrier_off_dbm0 ({off!r}) must not be above carrier_on_dbm0 ({on!r})")
        self.carrier_on_dbm0, self.carrier_off_dbm0 = on, off
        # A sine of peak A gives |z|^2 = (A/2)^2 after the mix-down and a unity-gain low-pass.
        self._on_sum = POWER_WINDOW_SAMPLES * (dbm0_to_peak(on) / 2.0) ** 2
        self._off_sum = POWER_WINDOW_SAMPLES * (dbm0_to_peak(off) / 2.0) ** 2
        centre = int(standard.mark_hz + standard.space_hz) // 2
        table = np.exp(-2j * np.pi * centre * np.arange(_table_period(centre)) / FS_HZ)
        self._period = table.size
        # The table repeated to cover a 20 ms block from any phase, so that blocks slice it.
        tiled = np.tile(table, -(-(self._period + _TYPICAL_BLOCK) // self._period))
        self._lo = np.ascontiguousarray(np.stack([tiled.real, tiled.imag]))
        self._ba = butter(LPF_ORDER, LPF_CUTOFF_HZ, fs=FS_HZ)
        self._ba_detect = butter(DETECT_LPF_ORDER, DETECT_LPF_CUTOFF_HZ, fs=FS_HZ)
        self._samples_per_bit = FS_HZ / standard.baud
        self._c = dspcore.enabled()
        self._views = dspcore.Views() if self._c else None
        self._lo_period = np.ascontiguousarray(table)
        self._ba_c = tuple(np.asarray(c, dtype=np.float64) / self._ba[1][0] for c in self._ba)
        self._ba_detect_c = tuple(np.asarray(c, dtype=np.float64) / self._ba_detect[1][0]
                                  for c in self._ba_detect)
        self.reset()

    def reset(self) -> None:
        """Forget everything: carrier off, filters empty, sample count back to zero."""
        self._count = 0
        self._zi = np.zeros((2, LPF_ORDER))
        self._zi_detect = np.zeros((2, DETECT_LPF_ORDER))
        self._last_z = (0.0, 0.0)
        self._hist = np.zeros((3, POWER_WINDOW_SAMPLES))
        self._sums = np.zeros(3)
        self._stat_hist = np.zeros(_HISTORY)  # bit statistic of samples count-_HISTORY .. count-1
        self._rows_c = np.zeros((3, POWER_WINDOW_SAMPLES))  # C path: history + one block
        self._last_z_c = np.zeros(2)
        self._detector = _CarrierDetector(self._on_sum, self._off_sum)
        self._next_decision = 0.0
        self._crossings = 0

    @property
    def carrier_present(self) -> bool:
        """True while the carrier detector is on."""
        return self._detector.present

    @property
    def samples_seen(self) -> int:
        """Samples processed since the start or the last :meth:`reset`."""
        return self._count

    def _front(self, x: npt.NDArray[np.float64]) -> _Front:
        if self._c:
            return self._front_c(x)
        n = x.size
        offset = self._count % self._period
        if offset + n <= self._lo.shape[1]:
            lo = self._lo[:, offset : offset + n]
        else:
            lo = self._lo[:, (offset + np.arange(n)) % self._period]
        baseband = lo * x
        z, self._zi = lfilter(self._ba[0], self._ba[1], baseband, axis=-1, zi=self._zi)
        w, self._zi_detect = lfilter(self._ba_detect[0], self._ba_detect[1], baseband, axis=-1, zi=self._zi_detect)
        re, im = z[0], z[1]
        last_re, last_im = self._last_z
        self._last_z = (float(re[-1]), float(im[-1]))
        # Rows: Im(z[n] conj(z[n-1])), |w[n]|^2, |z[n]|^2, after POWER_WINDOW_SAMPLES of history.
        rows = np.empty((3, POWER_WINDOW_SAMPLES + n))
        rows[:, :POWER_WINDOW_SAMPLES] = self._hist
        steps = rows[:, POWER_WINDOW_SAMPLES:]
        np.subtract(im[1:] * re[:-1], re[1:] * im[:-1], out=steps[0, 1:])
        steps[0, 0] = im[0] * last_re - re[0] * last_im
        np.add(w[0] * w[0], w[1] * w[1], out=steps[1])
        np.add(re * re, im * im, out=steps[2])
        self._hist = rows[:, n:].copy()
        # Moving sums as running sums of (arriving - leaving), continued sample by sample.
        arriving = steps.copy()
        arriving[0] -= rows[0, POWER_WINDOW_SAMPLES - SMOOTH_SAMPLES : POWER_WINDOW_SAMPLES - SMOOTH_SAMPLES + n]
        arriving[1:] -= rows[1:, :n]
        arriving[:, 0] += self._sums
        sums = np.cumsum(arriving, axis=1)
        self._sums = sums[:, -1].copy()
        return _Front(sums[0], sums[1], sums[2])

    def _front_c(self, x: npt.NDArray[np.float64]) -> _Front:
        n = x.size
        if self._rows_c.shape[1] != POWER_WINDOW_SAMPLES + n:
            rows = np.zeros((3, POWER_WINDOW_SAMPLES + n))
            rows[:, :POWER_WINDOW_SAMPLES] = self._rows_c[:, :POWER_WINDOW_SAMPLES]
            self._rows_c = rows
        offset = self._count % self._period
        stat, power, narrow = dspcore.v21_front(
            np.ascontiguousarray(x), self._lo_period, offset, self._ba_c, self._zi,
            self._ba_detect_c, self._zi_detect, self._last_z_c, self._rows_c, SMOOTH_SAMPLES,
            self._sums, self._views)
        return _Front(stat, power, narrow)

    def _decide_c(self, stat: npt.NDArray[np.float64], start: int, end: int,
                  events: list[ModemEvent], present: bool) -> Bits | None:
        """Steps 5 and 6 by the C kernel (``None``: the Python loop below decides)."""
        state = np.array([self._next_decision, float(self._crossings), 1.0 if present else 0.0])
        switches = [(e.sample, isinstance(e, CarrierUp)) for e in events]
        bits = dspcore.v21_bits(stat, _HISTORY, start, end, switches, self._samples_per_bit,
                                _MIN_GAIN, state)
        if bits is not None:
            self._next_decision, self._crossings = float(state[0]), int(state[1])
        return bits

    def process(self, samples: npt.ArrayLike) -> RxResult:
        """Demodulate the next block; returns its bits and carrier events (see the class)."""
        x = np.asarray(samples)
        if x.ndim != 1 or x.dtype.kind not in "iuf":
            raise V21Error(f"V.21 receiver input must be a 1-D int16 or float array, got {x.dtype} of shape {x.shape}")
        n = x.size
        if n == 0:
            return RxResult()
        start = self._count
        end = start + n
        front = self._front(x.astype(np.float64, copy=False))
        was_present = self._detector.present
        events = self._detector.run(front, start)
        stat = np.concatenate([self._stat_hist, front.bit_stat])
        stat_origin = start - _HISTORY  # stream index of stat[0]
        if self._c:
            decided = self._decide_c(stat, start, end, events, was_present)
            if decided is not None:
                self._stat_hist = stat[-_HISTORY:]
                self._count = end
                return RxResult(decided, tuple(events))
        signs = stat[_HISTORY - 1 :] >= 0.0
        crossings = (np.flatnonzero(signs[1:] != signs[:-1]) + start).tolist()  # revealed at
        bits: list[int] = []
        t_bit = self._samples_per_bit
        present = was_present
        ci = ei = 0
        while True:
            # The next thing to happen, by the sample that reveals it; on a tie a carrier switch
            # comes first, then a crossing, then a decision.
            t_switch = events[ei].sample if ei < len(events) else end
            t_cross = crossings[ci] if ci < len(crossings) else end
            t_decide = math.floor(self._next_decision) + 1 if present else end
            now = min(t_switch, t_cross, t_decide)
            if now >= end:
                break
            if t_switch == now:
                present = isinstance(events[ei], CarrierUp)
                ei += 1
                self._next_decision = now + t_bit
                self._crossings = 0
            elif t_cross == now:
                ci += 1
                if present:
                    k = now - stat_origin
                    before, after = stat[k - 1], stat[k]
                    crossing = now - 1 + before / (before - after)
                    error = (crossing + t_bit / 2.0 - self._next_decision) % t_bit
                    error = error - t_bit if error >= t_bit / 2.0 else error
                    self._crossings += 1
                    self._next_decision += error * max(1.0 / self._crossings, _MIN_GAIN)
            else:
                at = self._next_decision
                k = math.floor(at) - stat_origin
                value = stat[k] + (at - math.floor(at)) * (stat[k + 1] - stat[k])
                bits.append(1 if value < 0.0 else 0)
                self._next_decision += t_bit
        self._stat_hist = stat[-_HISTORY:]
        self._count = end
        return RxResult(np.array(bits, dtype=np.uint8), tuple(events))
