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

Filters carry their state (the last samples of the previous block) across blocks and compute
every output sample with the same operations in the same order, so any split of a signal into
blocks gives bit-identical discriminator output.

:func:`read_async_byte` is the UART: given one channel's buffered discriminator output it finds
the start bit's leading edge, sums the discriminator over the middle of every bit, and checks
start bit, stop bit and the confidence of every bit.  It returns ``NEED_MORE`` rather than
guessing when the buffer ends too early, so its answer never depends on where blocks were cut.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
from scipy.signal import firwin

from pycti.dsp._base import as_block, check_fs, dbm0_to_peak

__all__ = [
    "BELL202",
    "CENTRE_HZ",
    "FSK_STANDARDS",
    "V23",
    "DiscriminatorOutput",
    "FskDiscriminator",
    "FskStandard",
    "UartResult",
    "UartStatus",
    "async_frame_bits",
    "fsk_modulate",
    "fsk_standard",
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


_LO_TABLE = np.exp(-2j * np.pi * CENTRE_HZ * np.arange(_LO_PERIOD_SAMPLES) / 8000.0)
_LPF = firwin(LPF_TAPS, LPF_CUTOFF_HZ, fs=8000.0)


class FskDiscriminator:
    """Streaming quadrature FM discriminator around ``CENTRE_HZ`` for ``channels`` channels.

    Works for Bell 202 and V.23 alike.  State (oscillator phase, filter memories, last baseband
    sample) carries across :meth:`process` calls.
    """

    def __init__(self, channels: int, *, fs_hz: int = 8000) -> None:
        check_fs(fs_hz)
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        self.channels = channels
        self.samples_seen = 0
        self._lpf_tail = np.zeros((channels, LPF_TAPS - 1), dtype=np.complex128)
        self._smooth_tail = np.zeros((channels, SMOOTH_SAMPLES - 1), dtype=np.complex128)
        self._last_z = np.zeros(channels, dtype=np.complex128)

    def _lowpass(self, baseband: np.ndarray) -> np.ndarray:
        """The symmetric FIR as shifted multiply-adds in a fixed order: every output sample is
        computed the same way wherever the block boundaries fall, so the result is exact."""
        n = baseband.shape[1]
        ext = np.concatenate([self._lpf_tail, baseband], axis=1)
        self._lpf_tail = ext[:, n:].copy()
        last = LPF_TAPS - 1
        centre = last // 2
        acc = _LPF[centre] * ext[:, centre : centre + n]
        pair = np.empty_like(acc)
        for k in range(centre):
            np.add(ext[:, k : k + n], ext[:, last - k : last - k + n], out=pair)
            pair *= _LPF[k]
            acc += pair
        return acc

    def process(self, block: np.ndarray) -> DiscriminatorOutput:
        """Discriminate one ``(channels, samples)`` block of 16-bit linear audio."""
        x = as_block(block, self.channels)
        n = x.shape[1]
        phase = (self.samples_seen + np.arange(n)) % _LO_PERIOD_SAMPLES
        self.samples_seen += n
        if n == 0:
            empty_c = np.zeros((self.channels, 0), np.complex128)
            return DiscriminatorOutput(empty_c, np.zeros((self.channels, 0)), np.zeros((self.channels, 0)))
        z = self._lowpass(x * _LO_TABLE[phase])
        previous = np.concatenate([self._last_z[:, np.newaxis], z[:, :-1]], axis=1)
        self._last_z = z[:, -1].copy()
        product = z * np.conj(previous)
        # Moving sum over SMOOTH_SAMPLES as explicit shifted adds (fixed order, so exact across
        # block cuts; much cheaper than lfilter for four taps).
        ext = np.concatenate([self._smooth_tail, product], axis=1)
        self._smooth_tail = ext[:, -(SMOOTH_SAMPLES - 1) :].copy()
        smoothed = ext[:, SMOOTH_SAMPLES - 1 :].copy()
        for lag in range(1, SMOOTH_SAMPLES):
            smoothed += ext[:, SMOOTH_SAMPLES - 1 - lag : SMOOTH_SAMPLES - 1 - lag + n]
        freq_hz = np.angle(smoothed) * (8000.0 / (2.0 * np.pi))
        return DiscriminatorOutput(product, freq_hz, z.real**2 + z.imag**2)


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
    would).
    """

    status: UartStatus
    value: int = -1
    start: int = -1
    next_pos: int = -1
    decided_at: int = -1


#: Half-width of the window summed around each bit centre (window = 2 * h + 1 samples).
_BIT_HALF_WINDOW = 2
#: Offset from the smoothed discriminator's zero crossing to the bit edge of the raw product.
_EDGE_OFFSET_SAMPLES = -1.75


def _first_run(mask: np.ndarray, run: int) -> int:
    """Index of the first sample ending a run of ``run`` consecutive True values, or -1."""
    if mask.size < run:
        return -1
    counts = np.convolve(mask.astype(np.int32), np.ones(run, np.int32), mode="valid")
    hits = np.flatnonzero(counts == run)
    return int(hits[0]) + run - 1 if hits.size else -1


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
) -> UartResult:
    """Read one asynchronous byte from one channel's buffered discriminator output.

    Searches from buffer index ``pos`` for the leading edge of a start bit (smoothed
    discriminator turning to space with the carrier present), at most ``max_wait_samples``
    samples on.  Each of the 10 bits is decided from the angle of the sum of ``product`` over
    ``2 * 2 + 1`` samples around its centre; a bit whose frequency offset is below
    ``min_confidence * deviation_hz`` in magnitude is unreliable.  A start bit that turns out to
    be a mark is a glitch and the search goes on.  ``power`` dropping below ``min_power`` for a
    bit time before a start bit is found means the carrier was lost, so start the search where
    the carrier is present.  All three arrays are 1-D and aligned.
    """
    bit_samples = fs_hz / baud
    offsets = np.arange(-_BIT_HALF_WINDOW, _BIT_HALF_WINDOW + 1)
    centres = (np.arange(10) + 0.5) * bit_samples + _EDGE_OFFSET_SAMPLES
    size = product.size
    limit = pos + max_wait_samples
    run = int(np.ceil(bit_samples))
    search_from = pos
    while True:
        stop = min(size, limit)
        window = slice(search_from, stop)
        present = power[window] >= min_power
        edges = np.flatnonzero((freq_hz[window] > 0.0) & present)
        lost = _first_run(~present, run)
        edge = int(edges[0]) + search_from if edges.size else -1
        lost_at = lost + search_from if lost >= 0 else -1
        if lost_at >= 0 and (edge < 0 or lost_at < edge):
            return UartResult(status=UartStatus.CARRIER_LOST, start=lost_at, next_pos=lost_at, decided_at=lost_at)
        if edge < 0:
            if stop >= limit:
                return UartResult(status=UartStatus.NO_START, start=limit, next_pos=limit, decided_at=limit - 1)
            return UartResult(status=UartStatus.NEED_MORE)
        # Sub-sample edge: interpolate the zero crossing between the two samples around it.
        before = freq_hz[edge - 1] if edge > 0 else 0.0
        step = freq_hz[edge] - before
        frac_edge = edge - (freq_hz[edge] / step if before <= 0.0 and step > 0.0 else 0.0)
        index = np.rint(frac_edge + centres).astype(np.int64)[:, np.newaxis] + offsets
        if index[-1, -1] >= size:
            return UartResult(status=UartStatus.NEED_MORE)
        sums = product[index].sum(axis=1)
        bit_freq = np.angle(sums) * (fs_hz / (2.0 * np.pi))
        if bit_freq[0] <= 0.0:
            search_from = edge + 1  # a noise spike, not a start bit
            continue
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
