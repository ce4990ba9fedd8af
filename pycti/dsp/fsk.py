"""1200 baud FSK modem of on-hook data transmission: Bell 202 and ITU-T V.23, asynchronous framing.

Modulation is phase-continuous: each sample advances the carrier phase by ``2 pi f / fs_hz``
with ``f`` the mark or space frequency of the bit that sample belongs to, so keying never
jumps in phase (ITU-T V.23 clause 2, Bell 202).  Bit ``k`` covers samples ``n`` with
``floor(n * baud / fs_hz) == k``, which at 1200 baud and 8000 Hz is an exact 20-samples-per-3-bits
pattern.

Demodulation is a quadrature discriminator, computed for all channels at once:

1. the block is mixed down by ``CENTRE_HZ = 1700`` Hz, the centre of both Bell 202
   (1200/2200 Hz) and V.23 (1300/2100 Hz), through an 80-sample periodic oscillator table
   (1700/8000 = 17/80, so the table is exact and the phase never drifts);
2. a linear-phase FIR low-pass (``LPF_TAPS`` taps, ``LPF_CUTOFF_HZ``) keeps the +-500 Hz
   (Bell) or +-400 Hz (V.23) keyed carrier and rejects the mixing image and out-of-band noise;
3. the product ``z[n] * conj(z[n-1])`` of successive baseband samples has the angle
   ``2 pi (f - 1700) / fs_hz``: negative for mark, positive for space, whichever standard.

:func:`discriminate_planes` does this for a ``(samples, channels)`` array that starts with
``DISC_HISTORY_SAMPLES`` raw samples of history, on real planes (real and imaginary parts side
by side), into reusable :class:`Workspace` buffers.  Every output sample is computed from its
raw samples with the same operations in the same order wherever it falls, so any split of a
signal into blocks, and any subset of channels, gives bit-identical discriminator output: the
only state a stream needs is its last ``DISC_HISTORY_SAMPLES`` raw samples
(:class:`FskDiscriminator` keeps them).  ``LPF_PEAK_POWER_GAIN`` bounds the in-band power the
discriminator can see from a given raw energy (used to skip quiet channels exactly).

:func:`read_async_byte` is the UART: given one channel's buffered discriminator output it finds
the start bit's leading edge, sums the discriminator over the middle of every bit, and checks
start bit, stop bit and the confidence of every bit.  It returns ``NEED_MORE`` rather than
guessing when the buffer ends too early, so its answer never depends on where blocks were cut;
a ``NEED_MORE`` says which sample must arrive before the answer can change and where to resume.
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.signal import firwin  # type: ignore[import-untyped, unused-ignore]  # no scipy-stubs needed

from pycti.dsp._base import as_block, check_channels, check_fs, dbm0_to_peak

__all__ = [
    "BELL202",
    "CENTRE_HZ",
    "DISC_HISTORY_SAMPLES",
    "FSK_STANDARDS",
    "LPF_PEAK_POWER_GAIN",
    "V23",
    "DiscriminatorOutput",
    "DiscriminatorPlanes",
    "FskDiscriminator",
    "FskStandard",
    "UartResult",
    "UartStatus",
    "Workspace",
    "async_frame_bits",
    "discriminate_planes",
    "fsk_modulate",
    "fsk_standard",
    "planes_freq_hz",
    "read_async_byte",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class FskStandard:
    """A binary FSK modulation: mark (binary 1) and space (binary 0) frequencies and bit rate."""

    name: str
    mark_hz: float
    space_hz: float
    baud: int = 1200

    @property
    def deviation_hz(self) -> float:
        """Half the mark-space spacing: the discriminator swing either side of the centre."""
        return abs(self.space_hz - self.mark_hz) / 2.0


#: Bell 202 / Telcordia GR-30-CORE: mark 1200 Hz, space 2200 Hz, 1200 bit/s.
BELL202 = FskStandard(name="bell202", mark_hz=1200.0, space_hz=2200.0)
#: ITU-T V.23 forward channel (mode 2) as used by ETSI EN 300 659-1: mark 1300 Hz, space 2100 Hz.
V23 = FskStandard(name="v23", mark_hz=1300.0, space_hz=2100.0)
FSK_STANDARDS: dict[str, FskStandard] = {BELL202.name: BELL202, V23.name: V23}

#: Centre of both standards' mark and space; the discriminator mixes down by it.
CENTRE_HZ = 1700
_LO_PERIOD_SAMPLES = 80  # 1700 Hz at 8000 Hz repeats after 80 samples (17 cycles)
#: Baseband low-pass: cutoff and length (group delay (LPF_TAPS - 1) / 2 samples).
LPF_CUTOFF_HZ = 1100.0
LPF_TAPS = 31
#: Length of the moving sum that smooths the discriminator for edge and mark detection.
SMOOTH_SAMPLES = 4
#: Delay from an input sample to the discriminator sample that reflects it, in samples.
DEMOD_DELAY_SAMPLES = (LPF_TAPS - 1) // 2


def fsk_standard(name: str) -> FskStandard:
    """Return the :class:`FskStandard` called ``name`` (``"bell202"`` or ``"v23"``)."""
    try:
        return FSK_STANDARDS[name]
    except KeyError:
        raise ValueError(f"unknown FSK standard {name!r}; expected one of {sorted(FSK_STANDARDS)}") from None


def async_frame_bits(data: bytes) -> np.ndarray:
    """Frame bytes for asynchronous transmission: start bit 0, 8 data bits LSB first, stop bit 1.

    Returns a ``uint8`` array of ``10 * len(data)`` bits in transmission order.
    """
    octets = np.frombuffer(bytes(data), dtype=np.uint8)
    data_bits = np.unpackbits(octets[:, np.newaxis], axis=1, bitorder="little")
    n = octets.size
    framed = np.hstack([np.zeros((n, 1), np.uint8), data_bits, np.ones((n, 1), np.uint8)])
    return framed.ravel()


def fsk_modulate(
    bits: np.ndarray,
    *,
    standard: FskStandard = BELL202,
    level_dbm0: float = -13.5,
    fs_hz: int = 8000,
) -> np.ndarray:
    """Phase-continuous FSK of ``bits`` (1 = mark, 0 = space) as float64 in 16-bit linear units.

    The result has ``ceil(len(bits) * fs_hz / baud)`` samples and starts at phase 0.
    """
    fs = check_fs(fs_hz)
    b = np.asarray(bits, dtype=np.uint8).ravel()
    if b.size and b.max() > 1:
        raise ValueError("bits must be 0 or 1")
    n_samples = -(-b.size * fs // standard.baud)
    bit_index = np.arange(n_samples, dtype=np.int64) * standard.baud // fs
    freq_hz = np.where(b[bit_index] == 1, standard.mark_hz, standard.space_hz)
    # Phase of sample n is the sum of the frequencies of samples 0..n-1 (phase-continuous keying);
    # the frequencies are whole hertz, so reduce the sum modulo fs exactly before scaling.
    cycles = np.concatenate([[0.0], np.cumsum(freq_hz)[:-1]]) % fs if n_samples else np.zeros(0)
    return dbm0_to_peak(level_dbm0) * np.cos(2.0 * np.pi * cycles / fs)


@dataclass(frozen=True, slots=True)
class DiscriminatorOutput:
    """Discriminator output for one block, all arrays ``(channels, samples)``.

    ``product`` is ``z[n] * conj(z[n-1])`` (complex; its angle is ``2 pi (f - CENTRE_HZ)/fs``);
    ``freq_hz`` is the offset from ``CENTRE_HZ`` of the ``SMOOTH_SAMPLES``-sample moving sum of
    ``product`` (negative = mark); ``power`` is ``|z|**2``, the keyed carrier's power in the band
    (a sine of peak ``A`` gives ``(A/2)**2``).
    """

    product: np.ndarray
    freq_hz: np.ndarray
    power: np.ndarray


@dataclass(frozen=True, slots=True)
class DiscriminatorPlanes:
    """Discriminator output as real planes, time along axis 0: every array ``(samples, channels)``.

    ``product_re``/``product_im`` are ``z[n] * conj(z[n-1])``, ``smooth_re``/``smooth_im`` its
    ``SMOOTH_SAMPLES``-sample moving sum, ``power`` is ``|z[n]|**2``.  The values are those of
    :class:`DiscriminatorOutput` bit for bit; :func:`planes_freq_hz` gives ``freq_hz``.
    """

    product_re: np.ndarray
    product_im: np.ndarray
    smooth_re: np.ndarray
    smooth_im: np.ndarray
    power: np.ndarray


#: Raw input samples before an output sample that the output depends on: the low-pass span
#: (``LPF_TAPS - 1``), the previous baseband sample of the product and the moving sum.
DISC_HISTORY_SAMPLES = LPF_TAPS - 1 + SMOOTH_SAMPLES

_LO_TABLE = np.exp(-2j * np.pi * CENTRE_HZ * np.arange(_LO_PERIOD_SAMPLES) / 8000.0)
_LO_RE = np.ascontiguousarray(_LO_TABLE.real)
_LO_IM = np.ascontiguousarray(_LO_TABLE.imag)
_LPF = firwin(LPF_TAPS, LPF_CUTOFF_HZ, fs=8000.0)
#: The taps the symmetric form multiplies by: the left half and the centre (firwin's taps are
#: symmetric to within rounding; the left ones are used for both members of each pair).
_LPF_HALF = tuple(float(c) for c in _LPF[: (LPF_TAPS + 1) // 2])
_HZ_PER_RAD = 8000.0 / (2.0 * np.pi)


def _peak_gain(taps: np.ndarray) -> float:
    """An upper bound of ``max |H(f)|`` of an FIR: the peak on a dense grid plus the most the
    response can rise between grid points (grid spacing times the derivative bound)."""
    grid = 1 << 16
    peak = float(np.abs(np.fft.rfft(taps, grid)).max())
    slope = float(np.sum(np.abs(np.arange(taps.size) - (taps.size - 1) / 2.0) * np.abs(taps)))
    return peak + slope * np.pi / grid


_SYMMETRIC_LPF = np.r_[_LPF_HALF, _LPF_HALF[-2::-1]]
#: Upper bound of the discriminator's power gain: ``sum |z|**2 <= LPF_PEAK_POWER_GAIN * sum x**2``
#: over any stretch of output samples and the raw samples they depend on (Parseval).
LPF_PEAK_POWER_GAIN = _peak_gain(_SYMMETRIC_LPF) ** 2


class Workspace:
    """Scratch arrays reused from call to call, so that per-block work neither allocates nor
    faults in fresh pages.  ``array(name, shape)`` returns a C-contiguous view of a buffer that
    grows as needed; a view stays valid until the next request for the same name."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
        size = math.prod(shape)  # a Python int: np.prod costs a ufunc call per request
        buf = self._buffers.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = np.empty(max(size, 1), dtype=dtype)
            self._buffers[name] = buf
        return buf[:size].reshape(shape)


def discriminate_planes(raw: np.ndarray, first_sample: int, work: Workspace | None = None) -> DiscriminatorPlanes:
    """Discriminate raw audio laid out ``(samples, channels)``, computing every output afresh.

    ``raw`` holds ``DISC_HISTORY_SAMPLES`` samples of history followed by the ``m`` samples to
    discriminate; ``first_sample`` is the stream index of ``raw[0]`` (it sets the oscillator
    phase).  Returns planes of ``m`` samples (views into ``work`` when one is given: valid until
    its next use).  Each output sample is computed from its raw samples by the same operations
    in the same order wherever it falls, so any two calls that cover a sample give it
    bit-identical values (history before the stream is zeros).
    """
    w = work if work is not None else Workspace()
    total, k = raw.shape
    m = total - DISC_HISTORY_SAMPLES
    if m < 0:
        raise ValueError(f"raw needs at least {DISC_HISTORY_SAMPLES} samples of history")
    phase = (first_sample + np.arange(total)) % _LO_PERIOD_SAMPLES
    baseband = w.array("baseband", (total, 2 * k))
    np.multiply(raw, _LO_RE[phase][:, np.newaxis], out=baseband[:, :k])
    np.multiply(raw, _LO_IM[phase][:, np.newaxis], out=baseband[:, k:])
    z = _lowpass_planes(baseband, w)  # (m + SMOOTH_SAMPLES, 2k): z for raw rows LPF_TAPS-1 ...
    zr, zi = z[:, :k], z[:, k:]
    # product[n] = z[n] conj(z[n-1]) = (zr zr' + zi zi') + j (zi zr' - zr zi'), the same
    # operations numpy's complex multiply performs.
    cur_r, cur_i, prev_r, prev_i = zr[1:], zi[1:], zr[:-1], zi[:-1]
    shape = (m + SMOOTH_SAMPLES - 1, k)
    p_re, p_im, tmp = w.array("p_re", shape), w.array("p_im", shape), w.array("tmp", shape)
    np.multiply(cur_r, prev_r, out=p_re)
    p_re += np.multiply(cur_i, prev_i, out=tmp)
    np.multiply(cur_i, prev_r, out=p_im)
    p_im -= np.multiply(cur_r, prev_i, out=tmp)
    # Moving sum over SMOOTH_SAMPLES, newest first, as explicit adds in a fixed order.
    last = SMOOTH_SAMPLES - 1
    s_re, s_im = w.array("s_re", (m, k)), w.array("s_im", (m, k))
    np.copyto(s_re, p_re[last:])
    np.copyto(s_im, p_im[last:])
    for lag in range(1, SMOOTH_SAMPLES):
        s_re += p_re[last - lag : last - lag + m]
        s_im += p_im[last - lag : last - lag + m]
    zr_out, zi_out = zr[SMOOTH_SAMPLES:], zi[SMOOTH_SAMPLES:]
    power = np.multiply(zr_out, zr_out, out=w.array("power", (m, k)))
    power += np.multiply(zi_out, zi_out, out=tmp[:m])
    return DiscriminatorPlanes(p_re[last:], p_im[last:], s_re, s_im, power)


def planes_freq_hz(planes: DiscriminatorPlanes, out: np.ndarray | None = None) -> np.ndarray:
    """``freq_hz`` of :class:`DiscriminatorOutput` from the smoothed planes (same layout)."""
    freq: np.ndarray = np.arctan2(planes.smooth_im, planes.smooth_re, out=out)
    freq *= _HZ_PER_RAD
    return freq


def _lowpass_planes(baseband: np.ndarray, work: Workspace) -> np.ndarray:
    """The symmetric FIR along axis 0 as shifted multiply-adds in a fixed order (outermost pair
    first), so every output sample is exact wherever block boundaries fall."""
    last = LPF_TAPS - 1
    centre = last // 2
    n = baseband.shape[0] - last
    shape = (n, baseband.shape[1])
    acc: np.ndarray = np.multiply(baseband[centre : centre + n], _LPF_HALF[centre], out=work.array("lpf_acc", shape))
    pair = work.array("lpf_pair", shape)
    for k in range(centre):
        np.add(baseband[k : k + n], baseband[last - k : last - k + n], out=pair)
        pair *= _LPF_HALF[k]
        acc += pair
    return acc


class FskDiscriminator:
    """Streaming quadrature FM discriminator around ``CENTRE_HZ`` for ``channels`` channels.

    Works for Bell 202 and V.23 alike.  The state carried across :meth:`process` calls is the
    last ``DISC_HISTORY_SAMPLES`` raw samples and the sample count (the oscillator phase).
    """

    def __init__(self, channels: int, *, fs_hz: int = 8000) -> None:
        check_fs(fs_hz)
        channels = check_channels(channels)
        self.channels = channels
        self.samples_seen = 0
        self._history = np.zeros((DISC_HISTORY_SAMPLES, channels))

    def process(self, block: np.ndarray) -> DiscriminatorOutput:
        """Discriminate one ``(channels, samples)`` block of 16-bit linear audio."""
        x = as_block(block, self.channels)
        n = x.shape[1]
        raw = np.concatenate([self._history, x.T])
        first = self.samples_seen - DISC_HISTORY_SAMPLES
        self._history = raw[n:].copy()
        self.samples_seen += n
        planes = discriminate_planes(raw, first)
        product = np.empty((self.channels, n), np.complex128)
        product.real = planes.product_re.T
        product.imag = planes.product_im.T
        return DiscriminatorOutput(product, planes_freq_hz(planes).T.copy(), planes.power.T.copy())


class UartStatus(enum.Enum):
    """Outcome of :func:`read_async_byte`."""

    BYTE = "byte"  #: a well-framed byte with every bit clearly decided
    NEED_MORE = "need_more"  #: the buffer ends before the answer is known
    NO_START = "no_start"  #: no start bit within the allowed wait
    CARRIER_LOST = "carrier_lost"  #: the carrier dropped below the minimum power
    FRAMING = "framing"  #: the stop bit was not a clear mark
    UNRELIABLE = "unreliable"  #: a data bit was too close to the decision threshold


@dataclass(frozen=True, slots=True, kw_only=True)
class UartResult:
    """What :func:`read_async_byte` found.

    ``value`` is the byte (``BYTE`` only); ``start`` the buffer index of the start bit's leading
    edge (or where the failure was seen); ``next_pos`` the index from which to look for the
    next start bit (the middle of this byte's stop bit); ``decided_at`` the last buffer index
    the answer depended on (so a receiver can order its results exactly as a whole-signal pass
    would).  For ``NEED_MORE``, ``decided_at`` is the first buffer index not yet present whose
    arrival can change the answer (the call gives the same result until the buffer reaches it),
    and ``start`` the pending start edge, or -1 when no candidate edge was found: then only new
    samples with the carrier present and the discriminator at space (a candidate edge), new
    samples without carrier (a lost carrier), or reaching the end of the wait can change it.
    A ``NEED_MORE`` result's ``next_pos`` and ``seen`` let the next call on the grown buffer
    resume the search (``resume_from=next_pos, seen=seen``) instead of trying again the start
    bit candidates already rejected; ``seen`` is the furthest index those depended on.
    """

    status: UartStatus
    value: int = -1
    start: int = -1
    next_pos: int = -1
    decided_at: int = -1
    seen: int = -1


#: Half-width of the window summed around each bit centre (window = 2 * h + 1 samples).
_BIT_HALF_WINDOW = 2
#: Offset from the smoothed discriminator's zero crossing to the bit edge of the raw product.
_EDGE_OFFSET_SAMPLES = -1.75


_BIT_OFFSETS = np.arange(-_BIT_HALF_WINDOW, _BIT_HALF_WINDOW + 1)


_NO_RUNS = np.zeros(0, np.int64)


def _run_starts(mask: np.ndarray, run: int) -> np.ndarray:
    """Indices where a run of ``run`` consecutive True values starts (overlapping runs too)."""
    if mask.size < run:
        return np.zeros(0, np.int64)
    counts = np.convolve(mask.astype(np.int32), np.ones(run, np.int32), mode="valid")
    return np.flatnonzero(counts == run)


def _no_start(run_starts: np.ndarray, run: int, stop: int, limit: int, seen: int, resume: int) -> UartResult:
    """The answer when no start bit is left to try: the first remaining lost run, the end of
    the wait, or a need for more samples (``start`` -1: no candidate edge pending; the search
    goes on from ``resume``)."""
    if run_starts.size:
        lost_at = int(run_starts[0]) + run - 1
        return UartResult(status=UartStatus.CARRIER_LOST, start=lost_at, next_pos=lost_at, decided_at=max(lost_at, seen))
    if stop >= limit:
        return UartResult(status=UartStatus.NO_START, start=limit, next_pos=limit, decided_at=max(limit - 1, seen))
    return UartResult(status=UartStatus.NEED_MORE, next_pos=resume, decided_at=stop, seen=seen)


class _Candidate(NamedTuple):
    """The first start-bit candidate after the first that decides the search: ``kind`` is
    ``"start"`` (a start bit at ``at``, sub-sample edge ``frac_edge``), ``"pending"`` (candidate
    ``at`` needs samples up to ``last``), ``"lost"`` (carrier lost, run ending at ``at``) or
    ``"none"`` (all glitches); ``seen`` is the furthest sample the rejected ones depended on."""

    kind: str
    seen: int
    at: int = -1
    frac_edge: float = 0.0
    last: int = -1


@functools.cache
def _bit_centres(bit_samples: float) -> np.ndarray:
    """Offsets of the 10 bit centres from a start edge, in samples."""
    return (np.arange(10) + 0.5) * bit_samples + _EDGE_OFFSET_SAMPLES


def _later_candidates(
    product: np.ndarray,
    freq_hz: np.ndarray,
    edges: np.ndarray,
    run_starts: np.ndarray,
    run: int,
    centres: np.ndarray,
    seen: int,
) -> _Candidate:
    """Judge the candidate edges after the first (a glitch that needed samples up to ``seen``)
    all at once, with the answer trying them one after another would give."""
    size = product.size
    after_first = int(edges[0]) + 1
    edges = edges[1:]
    if edges.size == 0:
        return _Candidate("none", seen)
    # Sub-sample edges: the zero crossing between the two samples around each.
    before = freq_hz[edges - 1]  # edges[0] > 0 here
    at_edge = freq_hz[edges]
    step = at_edge - before
    crossing = (before <= 0.0) & (step > 0.0)
    frac_edges = edges - np.divide(at_edge, step, out=np.zeros(edges.size), where=crossing)
    bit_index = np.rint(frac_edges[:, np.newaxis] + centres).astype(np.int64)  # (edges, 10)
    last = bit_index[:, -1] + _BIT_HALF_WINDOW
    complete = last < size
    start_freq = np.zeros(edges.size)
    if complete.any():
        first_bit = bit_index[complete, 0][:, np.newaxis] + _BIT_OFFSETS
        start_freq[complete] = np.angle(product[first_bit].sum(axis=1))
    # Before candidate i the search starts just after candidate i - 1; the first lost run
    # starting there, if it ends before the candidate, ends the search.
    lost_end = np.full(edges.size, -1, np.int64)
    if run_starts.size:
        search_from = np.empty_like(edges)
        search_from[0] = after_first
        search_from[1:] = edges[:-1] + 1
        found = np.searchsorted(run_starts, search_from)
        has = found < run_starts.size
        lost_end[has] = run_starts[found[has]] + (run - 1)
    lost_first = (lost_end >= 0) & (lost_end < edges)
    deciding = np.flatnonzero(lost_first | ~complete | (start_freq > 0.0))
    if deciding.size == 0:
        return _Candidate("none", int(last[-1]))
    i = int(deciding[0])
    if i > 0:
        seen = int(last[i - 1])
    if lost_first[i]:
        return _Candidate("lost", seen, at=int(lost_end[i]))
    if not complete[i]:
        return _Candidate("pending", seen, at=int(edges[i]), last=int(last[i]))
    return _Candidate("start", seen, at=int(edges[i]), frac_edge=float(frac_edges[i]))


def read_async_byte(
    product: np.ndarray,
    freq_hz: np.ndarray,
    power: np.ndarray,
    pos: int,
    *,
    baud: int = 1200,
    deviation_hz: float,
    min_power: float,
    max_wait_samples: int,
    min_confidence: float = 0.25,
    fs_hz: int = 8000,
    resume_from: int | None = None,
    seen: int = -1,
) -> UartResult:
    """Read one asynchronous byte from one channel's buffered discriminator output.

    Searches from buffer index ``pos`` for the leading edge of a start bit (smoothed
    discriminator turning to space with the carrier present), at most ``max_wait_samples``
    samples on.  Each of the 10 bits is decided from the angle of the sum of ``product`` over
    ``2 * 2 + 1`` samples around its centre; a bit whose frequency offset is below
    ``min_confidence * deviation_hz`` in magnitude is unreliable.  A start bit that turns out to
    be a mark is a glitch and the search goes on.  ``power`` dropping below ``min_power`` for a
    bit time before a start bit is found means the carrier was lost, so start the search where
    the carrier is present.  All three arrays are 1-D and aligned.  ``resume_from`` and
    ``seen`` continue the search of an earlier ``NEED_MORE`` (see :class:`UartResult`); the
    answer is the one a fresh search from ``pos`` would give.
    """
    bit_samples = fs_hz / baud
    centres = _bit_centres(bit_samples)
    size = product.size
    limit = pos + max_wait_samples
    run = int(np.ceil(bit_samples))
    stop = min(size, limit)
    # Candidate start edges (smoothed discriminator turned to space, carrier present) and
    # lost-carrier runs (`run` samples below the minimum power) in the search window.
    first = pos if resume_from is None else resume_from
    present = power[first:stop] >= min_power
    edges = np.flatnonzero((freq_hz[first:stop] > 0.0) & present) + first
    run_starts = _NO_RUNS if present.all() else _run_starts(~present, run) + first
    if edges.size == 0:
        return _no_start(run_starts, run, stop, limit, seen, first)
    # The first candidate on its own: on a clean signal it is the start bit.
    edge = int(edges[0])
    if run_starts.size and run_starts[0] + run - 1 < edge:
        lost_at = int(run_starts[0]) + run - 1
        return UartResult(status=UartStatus.CARRIER_LOST, start=lost_at, next_pos=lost_at, decided_at=max(lost_at, seen))
    # Sub-sample edge: interpolate the zero crossing between the two samples around it.
    at_edge = float(freq_hz[edge])
    before = float(freq_hz[edge - 1]) if edge > 0 else 0.0
    step = at_edge - before
    frac_edge = edge - (at_edge / step if before <= 0.0 and step > 0.0 else 0.0)
    index = np.rint(frac_edge + centres).astype(np.int64)[:, np.newaxis] + _BIT_OFFSETS
    if index[-1, -1] >= size:
        return UartResult(status=UartStatus.NEED_MORE, start=edge, next_pos=edge, decided_at=int(index[-1, -1]), seen=seen)
    bit_freq = np.angle(product[index].sum(axis=1)) * (fs_hz / (2.0 * np.pi))
    if bit_freq[0] <= 0.0:  # a noise spike, not a start bit: judge the others all at once
        c = _later_candidates(product, freq_hz, edges, run_starts, run, centres, int(index[-1, -1]))
        if c.kind == "none":
            return _no_start(run_starts[run_starts > edges[-1]], run, stop, limit, c.seen, int(edges[-1]) + 1)
        if c.kind == "lost":
            return UartResult(status=UartStatus.CARRIER_LOST, start=c.at, next_pos=c.at, decided_at=max(c.at, c.seen))
        if c.kind == "pending":
            return UartResult(status=UartStatus.NEED_MORE, start=c.at, next_pos=c.at, decided_at=c.last, seen=c.seen)
        edge = c.at
        index = np.rint(c.frac_edge + centres).astype(np.int64)[:, np.newaxis] + _BIT_OFFSETS
        bit_freq = np.angle(product[index].sum(axis=1)) * (fs_hz / (2.0 * np.pi))
    where = {"start": edge, "next_pos": int(index[-1, _BIT_HALF_WINDOW]), "decided_at": int(index[-1, -1])}
    if np.any(power[index].mean(axis=1) < min_power):
        return UartResult(status=UartStatus.CARRIER_LOST, **where)
    confident = np.abs(bit_freq) >= min_confidence * deviation_hz
    if bit_freq[9] >= 0.0 or not confident[9]:
        return UartResult(status=UartStatus.FRAMING, **where)
    if not np.all(confident[:9]):
        return UartResult(status=UartStatus.UNRELIABLE, **where)
    value = int(np.dot((bit_freq[1:9] < 0.0).astype(np.int64), 1 << np.arange(8)))
    return UartResult(status=UartStatus.BYTE, value=value, **where)
