"""ITU-T V.27ter modem (4800 and 2400 bit/s) for fax image data (T.30 / T.4), half duplex.

Line signal (V.27ter clause 2): a 1800 Hz carrier, differential phase modulation, raised-cosine
shaping of 50 % roll-off split equally between the two ends (:data:`ROLLOFF`):

- 4800 bit/s: 1600 baud, tribits (first bit first) coded as a phase change (Table 1):
  ``001: 0, 000: 45, 010: 90, 011: 135, 111: 180, 110: 225, 100: 270, 101: 315`` degrees;
- 2400 bit/s: 1200 baud, dibits coded as (Table 2) ``00: 0, 01: 90, 11: 180, 10: 270``
  degrees.

Data are scrambled by ``1 + x^-6 + x^-7`` with its guard against repeated patterns (see
:mod:`pycti.dsp.qam_scrambler`).

Training (clause 2.5, Table 3), sent before the data; T.4 clause 5.1 asks fax for the long
sequence (``long_training=False`` sends the short one):

1. with ``echo_protection``: 200 ms of unmodulated carrier, the protection against talker
   echo (T.4 (1988) clause 5.1 asks for it; most fax equipment leaves it out, so it is off by
   default);
2. no transmitted energy, 20 ms;
3. continuous 180-degree phase reversals: 50 elements (long), 14 (short);
4. the equalizer conditioning pattern: 1074 elements (long), 58 (short) whose phase changes
   by 0 or 180 degrees as the first of every three bits of the scrambler, fed with ones and
   started in the state ``0011110``, is 0 or 1;
5. 8 elements of continuous scrambled ones (data coding).

The recommendation defines no turn-off sequence; the transmitter ends with 32 elements of
scrambled ones after the last data bit and then stops.

The receiver acquires its symbol timing from segment 3 and needs 24 elements of it, so it
receives the long training; after a short training (segment 3 only 14 elements long) it
reports ``TrainingFailed``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pycti.dsp.qam import DifferentialMapper, QamReceiver, ReceiverSpec
from pycti.dsp.qam_scrambler import GUARD_V27TER, V27TER_TAPS, Scrambler
from pycti.dsp.qam_tx import ModemConfigError, PulseShape, QamTransmitter

__all__ = [
    "RATES_BPS",
    "ROLLOFF",
    "V27terRateError",
    "V27terReceiver",
    "V27terTransmitter",
    "mapper",
    "receiver_spec",
    "shape",
    "training_symbols",
]

#: The data signalling rates of V.27ter.
RATES_BPS = (4800, 2400)
#: Roll-off of the raised-cosine shaping (50 %, split equally between the two ends).
ROLLOFF = 0.5
_BAUD = {4800: 1600, 2400: 1200}
_SQ2 = float(np.sqrt(2.0))
#: The eight phases (45-degree steps) on one ring of radius sqrt(2).
_RINGS = np.array([[_SQ2 * np.exp(1j * np.pi * p / 4) for p in range(8)]], dtype=np.complex128)
_RINGS[0] = np.round(_RINGS[0].real, 12) + 1j * np.round(_RINGS[0].imag, 12)
_PHASE_STEPS = {4800: (1, 0, 2, 3, 6, 7, 5, 4), 2400: (0, 2, 6, 4)}
_SEG3 = {True: 50, False: 14}
_SEG4 = {True: 1074, False: 58}
_SEG5 = 8
#: Segment 4 starts the scrambler in the state 0011110, listed from the bit one bit time back
#: (x^-1) to the bit seven back (x^-7): register bit ``d - 1`` holds the bit ``d`` back.
_SCRAMBLER_START = 0b0111100
_SEG1_S = 0.200  # 185 to 200 ms
_SEG2_S = 0.020


class V27terRateError(ModemConfigError):
    """A V.27ter rate other than 4800 or 2400 bit/s."""


def _check_rate(rate_bps: int) -> int:
    if rate_bps not in RATES_BPS:
        raise V27terRateError(f"V.27ter rate_bps must be one of {RATES_BPS}, got {rate_bps!r}")
    return int(rate_bps)


def shape(rate_bps: int) -> PulseShape:
    """The line signal at ``rate_bps``."""
    return PulseShape(baud=_BAUD[_check_rate(rate_bps)], carrier_hz=1800.0, rrc_alpha=ROLLOFF)


def mapper(rate_bps: int) -> DifferentialMapper:
    """A fresh bits-to-points mapper (and decoder) for ``rate_bps``, at phase 0."""
    return DifferentialMapper(_RINGS, _PHASE_STEPS[rate_bps], amp_bit=False)


def _conditioning(long_training: bool) -> tuple[npt.NDArray[np.complex128], Scrambler, int]:
    """Segments 3 and 4 as points, the scrambler as segment 4 leaves it, and the phase (in
    45-degree units) of the last element."""
    phase = 0
    reversals = np.empty(_SEG3[long_training], dtype=np.int64)
    for i in range(reversals.size):
        phase = (phase + 4) % 8
        reversals[i] = phase
    scrambler = Scrambler(V27TER_TAPS, GUARD_V27TER, state=_SCRAMBLER_START)
    n4 = _SEG4[long_training]
    first_bits = scrambler.scramble(np.ones(3 * n4, dtype=np.uint8))[0::3].astype(np.int64)
    seg4 = (phase + 4 * np.cumsum(first_bits)) % 8
    phases = np.concatenate([reversals, seg4])
    return _RINGS[0][phases], scrambler, int(phases[-1])


def training_symbols(rate_bps: int, long_training: bool = True,
                     echo_protection: bool = False) -> npt.NDArray[np.complex128]:
    """Segments 1 (if ``echo_protection``) to 4 of the training (segment 5 is data coding of
    ones)."""
    baud = _BAUD[_check_rate(rate_bps)]
    tep = np.full(int(round(_SEG1_S * baud)) if echo_protection else 0, _RINGS[0][0])
    silence = np.zeros(int(round(_SEG2_S * baud)), dtype=np.complex128)
    return np.concatenate([tep, silence, _conditioning(long_training)[0]])


class V27terTransmitter(QamTransmitter):
    """V.27ter transmitter: training, scrambled data, 32 elements of ones, silence."""

    def __init__(self, rate_bps: int, level_dbm0: float = -10.0, long_training: bool = True,
                 echo_protection: bool = False) -> None:
        rate = _check_rate(rate_bps)
        points = mapper(rate)
        _, scrambler, last_phase = _conditioning(long_training)
        points.phase = last_phase
        training = training_symbols(rate, long_training, echo_protection)
        super().__init__(shape(rate), training, points, scrambler, level_dbm0, 2.0)
        self.rate_bps = rate
        self.long_training = long_training
        self.echo_protection = echo_protection
        self.write_bits(np.ones(_SEG5 * points.bits_per_symbol, dtype=np.uint8))


def receiver_spec(rate_bps: int) -> ReceiverSpec:
    """The :class:`pycti.dsp.qam.ReceiverSpec` of V.27ter at ``rate_bps`` (long training)."""
    rate = _check_rate(rate_bps)
    symbols, scrambler, _ = _conditioning(True)
    ref = symbols[_SEG3[True]:]
    return ReceiverSpec(
        rate_bps=rate,
        shape=shape(rate),
        ref_power=2.0,
        training_ref=ref,
        settle_symbols=_SEG5,
        make_decoder=lambda: mapper(rate),
        make_descrambler=lambda: Scrambler(V27TER_TAPS, GUARD_V27TER),
        eq_taps=24,
        acquire_symbols=20,
        search_symbols=72,
        corr_symbols=64,
        descrambler_start=(scrambler.register, scrambler.count),
        data_block=_BAUD[rate] // 50,  # one 20 ms frame of elements per block
        timing_block=_BAUD[rate] // 50,
        # about twice the mean squared error at which one element in 100 is misjudged
        max_train_mse={4800: 0.08, 2400: 0.2}[rate],
    )


class V27terReceiver(QamReceiver):
    """V.27ter receiver (see :mod:`pycti.dsp.qam` for its states)."""

    def __init__(self, rate_bps: int) -> None:
        super().__init__(receiver_spec(rate_bps))
        self.rate_bps = self.spec.rate_bps
