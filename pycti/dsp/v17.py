"""ITU-T V.17 modem (14 400, 12 000, 9600 and 7200 bit/s) for fax image data, half duplex.

Line signal (V.17, line signals): 2400 symbols/s on an 1800 Hz carrier,
root-raised-cosine shaping of roll-off :data:`ROLLOFF` split between the two ends, data
scrambled by ``1 + x^-18 + x^-23`` (the scrambler of V.29 and V.32 bis), then trellis coded
(8 states, differential encoding of ``Q1 Q2``) onto 128, 64, 32 or 16 points (see
:mod:`pycti.dsp.v17_trellis`).

Training (V.17's synchronizing signals: the long train and the short "resync" train), sent
before the data (with ``echo_protection`` after 200 ms of unmodulated carrier and 20 ms of
silence that protect against talker echo); points ``A = (-6, -2)``, ``B = (2, -6)``,
``C = (6, 2)``, ``D = (-2, 6)``:

1. 256 elements alternating ``A B A B ...``;
2. the equalizer conditioning pattern: 2976 elements (long training) or 38 (short training):
   the scrambler, started in the state ``0x2ECDD5`` (bit ``d - 1`` the line bit ``d`` bits
   back) and fed with ones, gives two bits per element (first bit first): ``00`` sends C,
   ``01`` D, ``10`` B, ``11`` A;
3. long training only: the 64-element bridge: the scrambler is fed with the 16-bit word
   ``0x8880`` (least significant bit first, repeated); each element's two bits ``00, 01, 10,
   11`` turn the previous point by ``+90, 0, +180, +270`` degrees (in the order A B C D);
4. 48 elements of scrambled ones, data coded at the data rate (the trellis encoder starts in
   its zero state).

T.30 sends the long training before the training check (TCF) and the first page, and the
short one (the "resynchronisation") before later pages at the same rate: the receiver keeps
the equalizer the long training taught it.  After the data the transmitter sends 32 elements
of scrambled ones (the turn-off sequence) and stops.

:class:`V17Transmitter` and :class:`V17Receiver` implement
:class:`pycti.dsp.modem.ModemTransmitter` / :class:`~pycti.dsp.modem.ModemReceiver` on the
machinery of :mod:`pycti.dsp.qam`; ``V17Receiver.reset(short_training=True)`` readies the same
receiver for a short training after a long one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pycti.dsp.qam import QamReceiver, ReceiverSpec
from pycti.dsp.qam_scrambler import V29_TAPS, Scrambler
from pycti.dsp.qam_tx import ModemConfigError, PulseShape, QamTransmitter
from pycti.dsp.v17_trellis import DECISION_DELAY, TrellisMapper, ViterbiDecoder, constellation

__all__ = [
    "ABCD",
    "RATES_BPS",
    "ROLLOFF",
    "SHAPE",
    "V17RateError",
    "V17Receiver",
    "V17Transmitter",
    "receiver_spec",
    "training_symbols",
]

#: The data signalling rates of V.17.
RATES_BPS = (14400, 12000, 9600, 7200)
#: Roll-off of the shaping (V.17 fixes the spectrum only loosely; 0.25 keeps 1800 +- 1500 Hz
#: inside the 300-3400 Hz channel).
ROLLOFF = 0.25
SHAPE = PulseShape(baud=2400, carrier_hz=1800.0, rrc_alpha=ROLLOFF, span_symbols=12)
#: The training points A, B, C, D.
ABCD = np.array([-6 - 2j, 2 - 6j, 6 + 2j, -2 + 6j], dtype=np.complex128)

_SEG1 = 256
_SEG2 = {False: 2976, True: 38}  # keyed by short_training
_SEG3 = 64
_SEG4 = 48
_SCRAMBLER_START = 0x2ECDD5
_BRIDGE_WORD = 0x8880
_DIBIT_TO_POINT = np.array([2, 3, 1, 0])  # segment 2: 00 C, 01 D, 10 B, 11 A
_DIBIT_TO_TURN = np.array([1, 0, 2, 3])  # segment 3: quarter turns for 00, 01, 10, 11
_DIFF_START = {False: 1, True: 0}  # the differential encoder's Y2 Y1 at segment 4
_TEP = 480  # 200 ms of unmodulated carrier (the point A) against talker echo ...
_TEP_GAP = 48  # ... then 20 ms of silence, before segment 1


class V17RateError(ModemConfigError):
    """A V.17 rate other than those of :data:`RATES_BPS`."""


def _check_rate(rate_bps: int) -> int:
    if rate_bps not in RATES_BPS:
        raise V17RateError(f"V.17 rate_bps must be one of {RATES_BPS}, got {rate_bps!r}")
    return int(rate_bps)


def _training(short_training: bool) -> tuple[npt.NDArray[np.complex128], Scrambler]:
    """Segments 1 to 3 (3 for the long training only) and the scrambler as they leave it."""
    scrambler = Scrambler(V29_TAPS, state=_SCRAMBLER_START)
    abab = ABCD[np.arange(_SEG1) % 2]
    pairs = scrambler.scramble(np.ones(2 * _SEG2[short_training], dtype=np.uint8)).reshape(-1, 2)
    seg2_state = _DIBIT_TO_POINT[2 * pairs[:, 0] + pairs[:, 1]]
    parts = [abab, ABCD[seg2_state]]
    if not short_training:
        word = (_BRIDGE_WORD >> np.arange(16)) & 1
        bridge = scrambler.scramble(np.tile(word, _SEG3 // 8).astype(np.uint8)).reshape(-1, 2)
        turns = _DIBIT_TO_TURN[2 * bridge[:, 0] + bridge[:, 1]]
        parts.append(ABCD[(int(seg2_state[-1]) + np.cumsum(turns)) % 4])
    return np.concatenate(parts), scrambler


def training_symbols(short_training: bool = False) -> npt.NDArray[np.complex128]:
    """Segments 1 to 3 of the training (segment 4 is data coding of ones); the same at every
    rate."""
    return _training(short_training)[0]


def _mean_power(rate_bps: int) -> float:
    return float(np.mean(np.abs(constellation(rate_bps)) ** 2))


class V17Transmitter(QamTransmitter):
    """V.17 transmitter: the echo protection tone (with ``echo_protection``), the training
    (long, or short with ``short_training``), scrambled and trellis-coded data, 32 elements
    of ones, silence."""

    def __init__(self, rate_bps: int, level_dbm0: float = -10.0, short_training: bool = False,
                 echo_protection: bool = False) -> None:
        rate = _check_rate(rate_bps)
        training, scrambler = _training(short_training)
        if echo_protection:
            training = np.concatenate([np.full(_TEP, ABCD[0]), np.zeros(_TEP_GAP, np.complex128), training])
        mapper = TrellisMapper(rate, diff=_DIFF_START[short_training])
        super().__init__(SHAPE, training, mapper, scrambler, level_dbm0, _mean_power(rate))
        self.rate_bps = rate
        self.short_training = short_training
        self.echo_protection = echo_protection
        self.write_bits(np.ones(_SEG4 * mapper.bits_per_symbol, dtype=np.uint8))


# The limit of the training's mean squared error (relative to the constellation's power) per
# rate: about where, over the line model, 3 bits in 100 come out of the Viterbi decoder wrong
# (the error grows fast beyond it); a worse line fails the training rather than deliver junk.
_MAX_TRAIN_MSE = {14400: 0.009, 12000: 0.018, 9600: 0.04, 7200: 0.08}


def receiver_spec(rate_bps: int, short_training: bool = False) -> ReceiverSpec:
    """The :class:`pycti.dsp.qam.ReceiverSpec` of V.17 at ``rate_bps`` for the long training
    or (``short_training``) the short one, which starts from the equalizer the last
    transmission left."""
    rate = _check_rate(rate_bps)
    ref = training_symbols(short_training)[_SEG1:]
    return ReceiverSpec(
        rate_bps=rate,
        shape=SHAPE,
        ref_power=_mean_power(rate),
        training_ref=ref,
        # Segment 4, and the elements the Viterbi decoder holds back before its first data bit.
        settle_symbols=_SEG4 + DECISION_DELAY,
        make_decoder=lambda: ViterbiDecoder(rate),
        make_descrambler=lambda: Scrambler(V29_TAPS),
        eq_taps=32,
        acquire_symbols=64,
        # A and B are a quarter turn apart: half of segment 1's power is in the two lines at
        # +-1200 Hz, which the two root-raised-cosine filters bring down to a quarter.
        min_alternation=0.12,
        # Segment 1 is 256 elements; the carrier detector and the 64-element window can come
        # up to 96 elements before it.
        search_symbols=_SEG1 + 96,
        corr_symbols=32 if short_training else 64,
        max_train_mse=_MAX_TRAIN_MSE[rate],
        keep_equalizer=short_training,
        delayed_decisions=True,
        mu_train=0.05,
        mu_settle=0.01,
    )


class V17Receiver(QamReceiver):
    """V.17 receiver (see :mod:`pycti.dsp.qam` for its states); bits come out
    :data:`pycti.dsp.v17_trellis.DECISION_DELAY` elements after their element."""

    def __init__(self, rate_bps: int) -> None:
        self.rate_bps = _check_rate(rate_bps)
        self._specs = {s: receiver_spec(self.rate_bps, s) for s in (False, True)}
        super().__init__(self._specs[False])

    def reset(self, short_training: bool = False) -> None:
        """Forget the last transmission and wait for the next one: with the long training
        (the default), or with the short one (``short_training``), for which the equalizer
        the last trained transmission left is kept.  T.30 says which training comes: a long
        training received when the short one was expected trains on its first 38 elements
        and its remainder comes out as (wrong) data."""
        self.spec = self._specs[bool(short_training)]
        super().reset()
