"""The QAM/PSK receiver shared by the fax image-data modems (V.27ter, V.29, V.17).

A modem is described by a :class:`ReceiverSpec` (its line signal, constellation, training
reference, decoder and descrambler); :class:`QamReceiver` runs it.  The receiver works on fixed
20 ms frames of input (so any split of the input gives the same bits and events) and goes
through the states of :data:`TRANSITIONS`, one table for the whole life of a transmission:

``IDLE``
    waiting for the carrier detector (:class:`pycti.dsp.qam_rx.CarrierDetector`);
``ACQUIRE``
    carrier up: every 5 ms the last ``acquire_symbols`` of baseband are tested for the
    alternating training segment (V.27ter 2.5 segment 3, V.29 clause 4 segment 2): the share
    of their power in the two lines at ``+-baud/2`` must reach ``min_alternation``.  The
    window that passes gives the symbol timing (:func:`pycti.dsp.qam_rx.alternation_timing`)
    and the level for the AGC.  No alternation within ``acquire_timeout_s`` of the carrier
    coming up: ``TrainingFailed`` (the search goes on, so noise that holds the carrier
    detector on does not hide a training that comes later).  A carrier that goes before an
    alternation was found (the talker-echo protection tone, a noise burst) is just
    ``CarrierDown``; from ``SEEK`` on it is also ``TrainingFailed``;
``SEEK``
    the timing loop runs; the symbol-centre samples are correlated with the start of the known
    training reference (V.27ter segment 4, V.29 segment 3) over ``search_symbols`` candidate
    starts: the peak fixes where the reference starts to the symbol, its phase and size
    initialise the equalizer.  No peak above ``min_correlation``: ``TrainingFailed`` and back
    to ``ACQUIRE``;
``TRAIN``
    block LMS on the known reference; at its end the mean squared error of the last 64
    symbols must be below ``max_train_mse`` (relative to the constellation's power), or
    ``TrainingFailed`` and back to ``ACQUIRE``;
``SETTLE``
    decision-directed over the segment of scrambled ones that ends the training (V.27ter
    segment 5, V.29 segment 4): the descrambler falls into step, its output is not data;
``DATA``
    decision-directed; every decided element's bits are descrambled and returned.  The
    carrier going down ends it (``CarrierDown``).

``TrainingFailed`` is reported at most once per carrier: the retries that follow are silent
until one trains.

The symbols of a block are equalized, sliced and adapted on together (block LMS, blocks of
``train_block`` symbols while training, ``data_block`` after).

Two options serve the trellis-coded V.17: with ``delayed_decisions`` the equalizer and the
carrier loop adapt on the decisions of the decoder (a Viterbi decoder's, some elements late
but far more reliable than the slicer's) while the outputs for the decoder are computed ahead
of them; with ``keep_equalizer`` (the short training) the search for the reference runs
through the taps the last trained transmission left, which are then turned and scaled onto
the new transmission instead of starting from a single centre tap.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

from pycti.dsp import dspcore
from pycti.dsp.modem import Bits, CarrierDown, CarrierUp, ModemEvent, RxResult, Trained, TrainingFailed
from pycti.dsp.qam_rx import (
    FRAME_SAMPLES,
    SUBBLOCK_SAMPLES,
    CarrierDetector,
    Equalizer,
    FrontEnd,
    TimingLoop,
    alternation_share,
    alternation_timing,
)
from pycti.dsp.qam_scrambler import Scrambler
from pycti.dsp.qam_tx import ModemConfigError, PulseShape
from pycti.errors import AudioFormatError

__all__ = [
    "DecidingDecoder",
    "DifferentialMapper",
    "QamReceiver",
    "ReceiverSpec",
    "RxState",
    "SymbolDecoder",
    "TRANSITIONS",
]

Complex = npt.NDArray[np.complex128]
Ints = npt.NDArray[np.intp]
_NO_INDICES: Ints = np.zeros(0, dtype=np.intp)


class DifferentialMapper:
    """Bits to points and back for the differentially phase-coded modems (V.27ter 2.2,
    V.29 clause 3): each group of ``bits_per_symbol`` bits, first bit first, is an optional
    amplitude bit (``amp_bit``: ring 1 when set) followed by phase bits whose binary value
    (first bit most significant) selects a phase change of ``phase_steps[value] * 45``
    degrees from the previous element.  ``rings[r][p]`` is the point of ring ``r`` at phase
    ``p * 45`` degrees; ``used`` lists the ``(ring, phase)`` points the rate can send.
    """

    def __init__(self, rings: Complex, phase_steps: tuple[int, ...], amp_bit: bool) -> None:
        self.rings = rings
        self.phase_steps = np.asarray(phase_steps, dtype=np.int64)
        self.phase_bits = int(round(math.log2(len(phase_steps))))
        self.amp_bit = amp_bit
        self.bits_per_symbol = self.phase_bits + (1 if amp_bit else 0)
        self.phase = 0  # phase (in 45-degree units) of the last element
        inverse = np.full(8, -1, dtype=np.int64)
        inverse[self.phase_steps] = np.arange(len(phase_steps))
        self._inverse = inverse
        ring_count = 2 if amp_bit else 1
        phases = sorted({int(s) for s in phase_steps})
        # Points the slicer chooses from: every ring at every phase a step sequence reaches.
        steps_gcd = math.gcd(*phases) if len(phases) > 1 else 1
        reach = range(0, 8, steps_gcd or 1)
        self.used: list[tuple[int, int]] = [(r, p) for r in range(ring_count) for p in reach]
        self.points: Complex = np.array([rings[r][p] for r, p in self.used], dtype=np.complex128)
        self._ring_of = np.array([r for r, _ in self.used], dtype=np.int64)
        self._phase_of = np.array([p for _, p in self.used], dtype=np.int64)
        self._weights = 1 << np.arange(self.phase_bits - 1, -1, -1)
        self._c = dspcore.enabled()
        self._views = dspcore.Views() if self._c else None

    def map(self, line_bits: Bits) -> Complex:
        """Points for ``line_bits`` (a multiple of ``bits_per_symbol`` long)."""
        g = np.asarray(line_bits, dtype=np.int64).reshape(-1, self.bits_per_symbol)
        if g.shape[0] == 0:
            return np.zeros(0, dtype=np.complex128)
        ring = g[:, 0] if self.amp_bit else np.zeros(g.shape[0], dtype=np.int64)
        value = g[:, -self.phase_bits:] @ self._weights
        phase = (self.phase + np.cumsum(self.phase_steps[value])) % 8
        self.phase = int(phase[-1])
        out: Complex = self.rings[ring, phase]
        return out

    def nearest(self, point: complex) -> int:
        """Index (in :attr:`points`) of the point nearest ``point``."""
        return int(np.argmin(np.abs(self.points - point)))

    def set_previous(self, index: int) -> None:
        """Make point ``index`` of :attr:`points` the previous element."""
        self.phase = int(self._phase_of[index])

    def decode(self, indices: Ints, symbols: Complex | None = None) -> Bits:
        """Line bits for the decided points ``indices`` (into :attr:`points`); the equalized
        ``symbols`` themselves are not needed (hard decisions)."""
        if indices.size == 0:
            return np.zeros(0, dtype=np.uint8)
        if self._c:
            bits, self.phase = dspcore.diff_decode(indices, self._phase_of, self._ring_of,
                                                   self._inverse, self.phase_bits,
                                                   self.amp_bit, self.phase, self._views)
            return bits
        phase = self._phase_of[indices]
        prev = np.concatenate([[self.phase], phase[:-1]])
        value = self._inverse[(phase - prev) % 8]
        value = np.where(value < 0, 0, value)
        self.phase = int(phase[-1])
        pbits = (value[:, None] >> np.arange(self.phase_bits - 1, -1, -1)[None, :]) & 1
        if self.amp_bit:
            pbits = np.concatenate([self._ring_of[indices][:, None], pbits], axis=1)
        return pbits.astype(np.uint8).reshape(-1)


class SymbolDecoder(Protocol):
    """Decided points to line bits (see :class:`DifferentialMapper`)."""

    points: Complex
    bits_per_symbol: int

    def nearest(self, point: complex) -> int:
        """Index of the point nearest ``point``."""

    def set_previous(self, index: int) -> None:
        """Make point ``index`` the previous element."""

    def decode(self, indices: Ints, symbols: Complex | None = None) -> Bits:
        """Line bits for the decided points (a trellis decoder would use the equalized
        ``symbols`` instead)."""


@runtime_checkable
class DecidingDecoder(SymbolDecoder, Protocol):
    """A decoder that decides later than the slicer (a Viterbi decoder): after each
    :meth:`decode`, :attr:`decided` holds the points it decided for the elements whose bits
    that call returned, oldest first."""

    decided: Complex


@dataclass(frozen=True, eq=False)
class ReceiverSpec:
    """Everything :class:`QamReceiver` needs to know about one modem at one rate."""

    rate_bps: int
    shape: PulseShape
    #: Mean power of the data points (the AGC's target, the LMS step's normaliser).
    ref_power: float
    #: The known training elements the equalizer learns on, from the first one searched for.
    training_ref: Complex
    #: Elements of scrambled ones between the reference and the data.
    settle_symbols: int
    make_decoder: Callable[[], SymbolDecoder]
    make_descrambler: Callable[[], Scrambler]
    # Tunables (see the module docstring for where each acts): equalizer length in T/2 taps;
    # alternation window (elements), its power share threshold and timeout; reference search
    # span and correlation length (elements) and threshold; training MSE limit (relative);
    # block sizes (elements) while training, in data and for the timing loop; LMS steps
    # (normalised) and phase loop (proportional, integral) gains per element.
    eq_taps: int = 32
    acquire_symbols: int = 24
    min_alternation: float = 0.4
    acquire_timeout_s: float = 0.5
    search_symbols: int = 96
    corr_symbols: int = 64
    min_correlation: float = 0.5
    max_train_mse: float = 0.06
    train_block: int = 4
    data_block: int = 48
    timing_block: int = 48
    mu_train: float = 0.15
    mu_data: float = 0.01
    pll_train: tuple[float, float] = (0.05, 0.001)
    pll_data: tuple[float, float] = (0.02, 0.0002)
    #: The transmitter's descrambler register and guard count when the settle segment
    #: starts, if the recommendation fixes them (V.27ter): ``(register, count)``.
    descrambler_start: tuple[int, int] | None = None
    #: Start the equalizer from the taps (and carrier frequency) of the last transmission
    #: that trained, turned and scaled onto the new one's training reference, instead of a
    #: single centre tap (V.17's short training, which is too short to train from nothing).
    #: Those taps survive :meth:`QamReceiver.reset`; without them (no transmission trained
    #: before) the training fails as not converged.
    keep_equalizer: bool = False
    #: LMS step over the settle segment (``None``: ``mu_train``).  Decisions there are the
    #: slicer's, so a dense constellation (V.17) wants the smaller data step.
    mu_settle: float | None = None
    #: Adapt the equalizer and the carrier loop on the decoder's decisions (a
    #: :class:`DecidingDecoder`, whose decisions come some elements late and are far more
    #: often right than the slicer's) instead of on the slicer's.
    delayed_decisions: bool = False


class RxState(enum.Enum):
    """The receiver's states (see the module docstring)."""

    IDLE = "idle"
    ACQUIRE = "acquire"
    SEEK = "seek"
    TRAIN = "train"
    SETTLE = "settle"
    DATA = "data"


#: ``(state, input) -> (next state, action)``: the receiver's one transition table.  Inputs are
#: ``up``/``down`` (carrier detector), ``acquired``, ``timeout`` (no alternation in time),
#: ``found``, ``missing`` (no training reference), ``trained``, ``bad`` (equalizer did not
#: converge), ``settled``.
TRANSITIONS: dict[tuple[RxState, str], tuple[RxState, str]] = {
    (RxState.IDLE, "up"): (RxState.ACQUIRE, "carrier_up"),
    (RxState.ACQUIRE, "acquired"): (RxState.SEEK, "none"),
    (RxState.ACQUIRE, "timeout"): (RxState.ACQUIRE, "no_alternation"),
    (RxState.ACQUIRE, "down"): (RxState.IDLE, "carrier_down"),
    (RxState.SEEK, "found"): (RxState.TRAIN, "none"),
    (RxState.SEEK, "missing"): (RxState.ACQUIRE, "no_training"),
    (RxState.SEEK, "down"): (RxState.IDLE, "lost"),
    (RxState.TRAIN, "trained"): (RxState.SETTLE, "none"),
    (RxState.TRAIN, "bad"): (RxState.ACQUIRE, "not_converged"),
    (RxState.TRAIN, "down"): (RxState.IDLE, "lost"),
    (RxState.SETTLE, "settled"): (RxState.DATA, "trained"),
    (RxState.SETTLE, "down"): (RxState.IDLE, "lost"),
    (RxState.DATA, "down"): (RxState.IDLE, "carrier_down"),
}

_FAIL_REASONS = {
    "no_alternation": "no training alternation after the carrier came up",
    "no_training": "training sequence not found",
    "not_converged": "equalizer did not converge on the training sequence",
    "lost": "carrier lost during training",
}


class QamReceiver:
    """A QAM/PSK receiver for one :class:`ReceiverSpec`; implements
    :class:`pycti.dsp.modem.ModemReceiver` (see the module docstring)."""

    def __init__(self, spec: ReceiverSpec) -> None:
        self.spec = spec
        self._sps = spec.shape.samples_per_symbol
        self._window_index: dict[int, npt.NDArray[np.intp]] = {}
        self._kept: tuple[Complex, float] | None = None  # (taps, frequency) of the last training
        self.reset()

    # -- ModemReceiver -----------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: carrier, training, sample count (all but the equalizer taps of
        the last transmission, which a spec with ``keep_equalizer`` starts from)."""
        spec = self.spec
        self.state = RxState.IDLE
        self._fe = FrontEnd(spec.shape)
        self._cd = CarrierDetector()
        self._pending = np.zeros(0, dtype=np.float64)
        self._bb = np.zeros(0, dtype=np.complex128)
        self._bb_base = 0
        self._events: list[ModemEvent] = []
        self._bits: list[Bits] = []
        self._up_at = 0
        self._failed = False
        self._clear_demod()

    def process(self, samples: npt.ArrayLike) -> RxResult:
        """Demodulate the next block of line signal (int16 or float in 16-bit units, 8000 Hz,
        any length); raises :class:`pycti.errors.AudioFormatError` for anything but a 1-D
        int or float array."""
        x = np.asarray(samples)
        if x.ndim != 1 or x.dtype.kind not in "iuf":
            raise AudioFormatError(
                f"samples must be a 1-D int16/float array, got {x.dtype} of shape {x.shape}")
        buf = np.concatenate([self._pending, x.astype(np.float64)])
        whole = buf.size // FRAME_SAMPLES * FRAME_SAMPLES
        for start in range(0, whole, FRAME_SAMPLES):
            self._frame(buf[start:start + FRAME_SAMPLES])
        self._pending = buf[whole:]
        bits = np.concatenate(self._bits) if self._bits else np.zeros(0, dtype=np.uint8)
        events = tuple(self._events)
        self._bits, self._events = [], []
        return RxResult(bits=bits.astype(np.uint8, copy=False), events=events)

    # -- frame processing --------------------------------------------------------------------

    def _clear_demod(self, search_from: int = 0) -> None:
        spec = self.spec
        # The alternation search resumes at baseband index search_from.
        self._next_window = search_from + int(math.ceil(spec.acquire_symbols * self._sps))
        self._timing: TimingLoop | None = None
        self._u = np.zeros(spec.eq_taps // 2, dtype=np.complex128)  # left padding
        self._u_pos = np.zeros(spec.eq_taps // 2)
        self._u_off = 0  # symbols dropped from the front of _u
        self._k = 0  # next symbol to equalize (from the first after acquisition)
        self._k0 = 0
        self._eq = Equalizer(spec.eq_taps, spec.make_decoder().points, spec.ref_power)
        self._decoder = spec.make_decoder()
        if spec.delayed_decisions and not isinstance(self._decoder, DecidingDecoder):
            raise ModemConfigError(
                f"delayed_decisions needs a DecidingDecoder, got {type(self._decoder).__name__}")
        self._descrambler = spec.make_descrambler()
        self._c_descramble = dspcore.enabled()
        self._mse: list[float] = []
        # Equalizer windows of the elements the decoder has not decided yet (delayed_decisions).
        self._undecided = np.zeros((0, spec.eq_taps), dtype=np.complex128)

    def _fire(self, event: str, sample: int) -> None:
        nxt, action = TRANSITIONS.get((self.state, event), (self.state, "ignore"))
        if self.state == RxState.DATA:
            self._kept = (self._eq.w.copy(), self._eq.freq)
        self.state = nxt
        line_sample = max(0, sample - self._fe.delay)
        if action == "carrier_up":
            self._clear_demod(sample)
            self._up_at = sample
            self._failed = False
            self._events.append(CarrierUp(line_sample))
        elif action == "carrier_down":
            self._clear_demod(sample)
            self._events.append(CarrierDown(line_sample))
        elif action in _FAIL_REASONS:
            if not self._failed:
                self._events.append(TrainingFailed(line_sample, _FAIL_REASONS[action]))
            self._failed = True
            if action == "lost":
                self._events.append(CarrierDown(line_sample))
            if action != "no_alternation":
                self._clear_demod(sample)
        elif action == "trained":
            self._events.append(Trained(line_sample, self.spec.rate_bps))

    def _frame(self, frame: npt.NDArray[np.float64]) -> None:
        bb, flat = self._fe.process(frame)
        start = self._bb_base + self._bb.size
        self._bb = np.concatenate([self._bb, bb])
        for sub, on in self._cd.step(flat):
            at = start + sub * SUBBLOCK_SAMPLES
            if on:
                self._fire("up", at)
            else:
                self._pipeline(at - SUBBLOCK_SAMPLES)
                self._flush(at - SUBBLOCK_SAMPLES)
                self._fire("down", at - SUBBLOCK_SAMPLES)
        self._pipeline(start + bb.size)
        self._trim()

    def _trim(self) -> None:
        keep_from = self._bb_base + self._bb.size - 4 * FRAME_SAMPLES
        if self._timing is not None:
            keep_from = min(keep_from, int(self._timing.pos) - 16)
        elif self.state == RxState.ACQUIRE:
            width = int(math.ceil(self.spec.acquire_symbols * self._sps))
            keep_from = min(keep_from, self._next_window - width - 1)
        drop = keep_from - self._bb_base
        if drop > 0:
            self._bb = self._bb[drop:]
            self._bb_base += drop

    # -- the demodulator ---------------------------------------------------------------------

    def _pipeline(self, limit: int) -> None:
        """Advance as far as the baseband (and ``limit``, a baseband index) allows."""
        spec = self.spec
        avail = self._bb_base + self._bb.size
        if self.state == RxState.ACQUIRE:
            self._acquire(min(avail, limit))
        if self._timing is None or self.state in (RxState.IDLE, RxState.ACQUIRE):
            return
        tl = self._timing
        new_u, new_pos = [self._u], [self._u_pos]
        while tl.needed_until() < avail and tl.pos < limit:
            u, pos = tl.produce(self._bb, self._bb_base)
            new_u.append(u)
            new_pos.append(pos)
        if len(new_u) > 1:
            self._u = np.concatenate(new_u)
            self._u_pos = np.concatenate(new_pos)
        self._symbols()

    def _acquire(self, end: int) -> None:
        """Test the windows ending at each 5 ms step up to ``end`` for the alternation."""
        spec = self.spec
        width = int(math.ceil(spec.acquire_symbols * self._sps))
        timeout = self._up_at + int(spec.acquire_timeout_s * 8000)
        while self._next_window <= end:
            s1 = self._next_window
            s0 = s1 - width
            self._next_window += SUBBLOCK_SAMPLES
            z = self._bb[s0 - self._bb_base:s1 - self._bb_base]
            if alternation_share(z, s0, self._sps) >= spec.min_alternation:
                t0 = alternation_timing(z, s0, self._sps)
                power = float(np.vdot(z, z).real) / z.size + 1e-12
                first = t0 + math.ceil((s0 - t0) / self._sps) * self._sps
                gain = math.sqrt(spec.ref_power / power)
                self._timing = TimingLoop(self._sps, first, gain, spec.timing_block)
                self._fire("acquired", s1)
                return
            if s1 >= timeout and not self._failed:
                self._fire("timeout", s1)

    def _have(self, k: int) -> bool:
        """Whether symbol ``k``'s equalizer window is complete."""
        return 2 * (k - self._u_off) + self.spec.eq_taps <= self._u.size

    def _windows(self, k: int, count: int) -> Complex:
        idx = self._window_index.get(count)
        if idx is None:
            n = self.spec.eq_taps
            idx = self._window_index[count] = 2 * np.arange(count)[:, None] + np.arange(n)[None, :]
        out: Complex = self._u[2 * (k - self._u_off) + idx]
        return out

    def _centres(self, k: int, count: int) -> Complex:
        i = 2 * (k - self._u_off) + self.spec.eq_taps // 2
        out: Complex = self._u[i:i + 2 * count:2]
        return out

    def _symbols(self) -> None:
        while True:
            state = self.state
            if state == RxState.SEEK:
                if not self._seek():
                    return
            elif state in (RxState.TRAIN, RxState.SETTLE, RxState.DATA):
                if not self._block():
                    return
            else:
                return

    def _seek(self) -> bool:
        spec = self.spec
        last = spec.search_symbols + spec.corr_symbols
        if not self._have(last):
            return False
        kept = self._kept if spec.keep_equalizer else None
        r = self._centres(0, last) if kept is None else self._windows(0, last) @ kept[0]
        ref = spec.training_ref[:spec.corr_symbols]
        ref_zm = ref - ref.mean()
        corr = np.correlate(r, ref_zm, mode="valid")  # sum r[k0+i] * conj(ref_zm[i])
        energy = np.convolve(np.abs(r) ** 2, np.ones(spec.corr_symbols), mode="valid")
        denom = np.sqrt(energy * float(np.sum(np.abs(ref_zm) ** 2))) + 1e-12
        score = np.abs(corr) / denom
        k0 = int(np.argmax(score[:spec.search_symbols + 1]))
        if score[k0] < spec.min_correlation:
            assert self._timing is not None
            self._fire("missing", int(self._timing.pos))
            return False
        gain = corr[k0] / float(np.sum(np.abs(ref_zm) ** 2))
        if kept is None:
            self._eq.w[self._eq.centre] = 1.0 / gain
        else:
            self._eq.w = kept[0] / gain
            self._eq.freq = kept[1]
        self._eq.set_gains(spec.mu_train, *spec.pll_train)
        self._k = self._k0 = k0
        self._fire("found", 0)
        return True

    def _flush(self, limit: int) -> None:
        """The carrier is going: decide the data elements left in a last short block (those
        whose equalizer window is complete and whose centre comes before ``limit``)."""
        if self.state != RxState.DATA:
            return
        count = 0
        while count < self.spec.data_block and self._have(self._k + count) \
                and self._symbol_sample(self._k + count) < limit:
            count += 1
        if count:
            self._block(count)

    def _block(self, data_count: int = 0) -> bool:
        spec = self.spec
        state = self.state
        k = self._k
        ref_end = self._k0 + spec.training_ref.size
        settle_end = ref_end + spec.settle_symbols
        if state == RxState.TRAIN:
            count = min(spec.train_block, ref_end - k)
        elif state == RxState.SETTLE:
            count = min(spec.train_block, settle_end - k)
        else:
            count = data_count or spec.data_block
        if not self._have(k + count - 1):
            return False
        x = self._windows(k, count)
        if state == RxState.TRAIN:
            ref = spec.training_ref[k - self._k0:k - self._k0 + count]
            _, _, mse = self._eq.run(x, ref)
            self._mse.append(mse)
            self._k = k + count
            if self._k == ref_end:
                tail = self._mse[-max(1, 64 // spec.train_block):]
                untaught = spec.keep_equalizer and self._kept is None
                if untaught or float(np.mean(tail)) / spec.ref_power > spec.max_train_mse:
                    self._fire("bad", self._symbol_sample(self._k))
                    return False
                self._fire("trained", 0)
                mu_settle = spec.mu_train if spec.mu_settle is None else spec.mu_settle
                self._eq.set_gains(mu_settle, *spec.pll_data)
                last = complex(spec.training_ref[-1])
                self._decoder.set_previous(self._decoder.nearest(last))
                if spec.descrambler_start is not None:
                    self._descrambler.register, self._descrambler.count = spec.descrambler_start
            return True
        if spec.delayed_decisions:
            bits = self._descramble(self._decide_late(x))
        else:
            yr, idx, _ = self._eq.run(x, None)
            bits = self._descramble(self._decoder.decode(idx, yr))
        self._k = k + count
        if state == RxState.SETTLE:
            if self._k == settle_end:
                self._eq.set_gains(spec.mu_data, *spec.pll_data)
                self._fire("settled", self._symbol_sample(self._k))
        else:
            self._bits.append(bits)
        self._drop_old()
        return True

    def _descramble(self, line: Bits) -> Bits:
        """The descrambler over ``line`` (in C when the kernels are enabled: the same register
        and guard counter, left in the descrambler)."""
        d = self._descrambler
        if not self._c_descramble or line.size == 0:
            return d.descramble(line)
        guard = d.guard
        bits, d.register, d.count = dspcore.descramble(
            line, d.taps, guard.compare if guard else (), guard.limit if guard else 0,
            d.register, d.count)
        return bits

    def _decide_late(self, x: Complex) -> Bits:
        """Equalize one block ahead of the adaptation, decode it, then adapt on the elements
        the decoder decided (see ``ReceiverSpec.delayed_decisions``)."""
        decoder = cast(DecidingDecoder, self._decoder)  # checked in _clear_demod
        yr = self._eq.output(x, ahead=self._undecided.shape[0])
        line = decoder.decode(_NO_INDICES, yr)  # it decides on the soft symbols itself
        rows = np.concatenate([self._undecided, x])
        n = decoder.decided.size
        if n:
            self._eq.run(rows[:n], decoder.decided)
        self._undecided = rows[n:]
        return line

    def _symbol_sample(self, k: int) -> int:
        i = 2 * (k - self._u_off) + self.spec.eq_taps // 2
        i = min(i, self._u_pos.size - 1)
        return int(self._u_pos[i])

    def _drop_old(self) -> None:
        drop = self._k - self._u_off - 64
        if drop > 256:
            self._u = self._u[2 * drop:]
            self._u_pos = self._u_pos[2 * drop:]
            self._u_off += drop
