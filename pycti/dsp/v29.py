"""ITU-T V.29 modem (9600 and 7200 bit/s) for fax image data (T.30 / T.4), half duplex.

Line signal (V.29 clauses 1-3): 2400 baud on a 1700 Hz carrier; each element carries four
bits at 9600 bit/s (Q1 the amplitude, Q2 Q3 Q4 a phase change, first bit first) and three at
7200 bit/s (Q2 Q3 Q4; the low ring only).  The phase change of the bits Q2 Q3 Q4 is (Table 1)
``001: 0, 000: 45, 010: 90, 011: 135, 111: 180, 110: 225, 100: 270, 101: 315`` degrees; the
absolute phase and Q1 give the point (Table 2): at 0/90/180/270 degrees amplitude 3 (Q1 = 0)
or 5 (Q1 = 1), at 45/135/225/315 degrees the points ``(1, 1)`` (Q1 = 0) or ``(3, 3)`` (Q1 = 1)
and their rotations.  Root-raised-cosine shaping with roll-off :data:`ROLLOFF` split between
the two ends.  Data are scrambled by ``1 + x^-18 + x^-23`` (the scrambler of V.29).

Training (clause 4, synchronizing signals), sent before the data (with ``echo_protection``
after 200 ms of unmodulated carrier that protects against talker echo):

1. 48 elements of no energy;
2. 128 alternations between points A and B, starting with A: ``A = (-3, 0)`` and
   ``B = (3, -3)`` at 9600 bit/s, ``B = (1, -1)`` at 7200 bit/s;
3. 384 elements of C or D chosen by the pseudo-random sequence of ``1 + x^-6 + x^-7`` started
   in the state ``0101010`` (0: ``C = (3, 0)``; 1: ``D = (-3, 3)`` at 9600, ``(-1, 1)`` at
   7200);
4. 48 elements of scrambled ones (data coding, from the scrambler state 0 and phase 0).

The recommendation defines no turn-off sequence; the transmitter ends with 32 elements of
scrambled ones after the last data bit and then stops.

:class:`V29Transmitter` and :class:`V29Receiver` implement
:class:`pycti.dsp.modem.ModemTransmitter` / :class:`~pycti.dsp.modem.ModemReceiver` on the
shared machinery of :mod:`pycti.dsp.qam`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pycti.dsp.qam import DifferentialMapper, QamReceiver, ReceiverSpec
from pycti.dsp.qam_scrambler import V29_TAPS, Scrambler
from pycti.dsp.qam_tx import ModemConfigError, PulseShape, QamTransmitter

__all__ = [
    "RATES_BPS",
    "ROLLOFF",
    "SHAPE",
    "V29RateError",
    "V29Receiver",
    "V29Transmitter",
    "mapper",
    "receiver_spec",
    "training_symbols",
]

#: The data signalling rates implemented (T.30 uses 9600 and 7200; 4800 falls back to V.27ter).
RATES_BPS = (9600, 7200)
#: Roll-off of the root-raised-cosine shaping (the recommendation gives the spectrum's
#: 3 dB points at 500 and 2900 Hz, not the roll-off; 0.25 keeps the band within 200-3200 Hz).
ROLLOFF = 0.25
SHAPE = PulseShape(baud=2400, carrier_hz=1700.0, rrc_alpha=ROLLOFF, span_symbols=12)

_RINGS = np.array(
    [
        [3, 1 + 1j, 3j, -1 + 1j, -3, -1 - 1j, -3j, 1 - 1j],
        [5, 3 + 3j, 5j, -3 + 3j, -5, -3 - 3j, -5j, 3 - 3j],
    ],
    dtype=np.complex128,
)
#: Phase change (45-degree units) for the value of Q2 Q3 Q4 (Q2 most significant), Table 1.
_PHASE_STEPS = (1, 0, 2, 3, 6, 7, 5, 4)
_AB = {9600: (-3 + 0j, 3 - 3j), 7200: (-3 + 0j, 1 - 1j)}
_CD = {9600: (3 + 0j, -3 + 3j), 7200: (3 + 0j, -1 + 1j)}
_SEG1, _SEG2, _SEG3, _SEG4 = 48, 128, 384, 48
_TEP = 480  # 200 ms of unmodulated carrier against talker echo, before segment 1


class V29RateError(ModemConfigError):
    """A V.29 rate other than those of :data:`RATES_BPS`."""


def _check_rate(rate_bps: int) -> int:
    if rate_bps not in RATES_BPS:
        raise V29RateError(f"V.29 rate_bps must be one of {RATES_BPS}, got {rate_bps!r}")
    return int(rate_bps)


def mapper(rate_bps: int) -> DifferentialMapper:
    """A fresh bits-to-points mapper (and decoder) for ``rate_bps``, at phase 0."""
    return DifferentialMapper(_RINGS, _PHASE_STEPS, amp_bit=rate_bps == 9600)


def _segment3(rate_bps: int) -> npt.NDArray[np.complex128]:
    """Segment 3: C/D by the ``1 + x^-6 + x^-7`` sequence from ``0101010``."""
    reg = 0b0101010
    bits = np.empty(_SEG3, dtype=np.int64)
    for i in range(_SEG3):
        bit = reg & 1
        reg >>= 1
        reg |= ((bit ^ reg) & 1) << 6
        bits[i] = bit
    c, d = _CD[rate_bps]
    return np.where(bits == 0, c, d).astype(np.complex128)


def training_symbols(rate_bps: int, echo_protection: bool = False) -> npt.NDArray[np.complex128]:
    """The optional echo protection tone (``echo_protection``) and segments 1-3 of the
    training (segment 4 is data coding of ones)."""
    _check_rate(rate_bps)
    a, b = _AB[rate_bps]
    tep = np.full(_TEP if echo_protection else 0, 3 + 0j)
    abab = np.where(np.arange(_SEG2) % 2 == 0, a, b).astype(np.complex128)
    return np.concatenate([tep, np.zeros(_SEG1, dtype=np.complex128), abab, _segment3(rate_bps)])


def _mean_power(rate_bps: int) -> float:
    return float(np.mean(np.abs(mapper(rate_bps).points) ** 2))


class V29Transmitter(QamTransmitter):
    """V.29 transmitter: training, scrambled data, 32 elements of ones, silence."""

    def __init__(self, rate_bps: int, level_dbm0: float = -10.0, echo_protection: bool = False) -> None:
        rate = _check_rate(rate_bps)
        points = mapper(rate)
        super().__init__(
            SHAPE,
            training_symbols(rate, echo_protection),
            points,
            Scrambler(V29_TAPS),
            level_dbm0,
            _mean_power(rate),
        )
        self.rate_bps = rate
        self.echo_protection = echo_protection
        self.write_bits(np.ones(_SEG4 * points.bits_per_symbol, dtype=np.uint8))


def receiver_spec(rate_bps: int) -> ReceiverSpec:
    """The :class:`pycti.dsp.qam.ReceiverSpec` of V.29 at ``rate_bps``."""
    rate = _check_rate(rate_bps)
    return ReceiverSpec(
        rate_bps=rate,
        shape=SHAPE,
        ref_power=_mean_power(rate),
        training_ref=_segment3(rate),
        settle_symbols=_SEG4,
        make_decoder=lambda: mapper(rate),
        make_descrambler=lambda: Scrambler(V29_TAPS),
        eq_taps=32,
        acquire_symbols=48,
        search_symbols=160,
        corr_symbols=64,
        # about twice the mean squared error at which one element in 100 is misjudged
        max_train_mse={9600: 0.05, 7200: 0.1}[rate],
    )


class V29Receiver(QamReceiver):
    """V.29 receiver (see :mod:`pycti.dsp.qam` for its states)."""

    def __init__(self, rate_bps: int) -> None:
        super().__init__(receiver_spec(rate_bps))
        self.rate_bps = self.spec.rate_bps
