"""Receiving building blocks shared by the QAM/PSK modems (V.27ter, V.29, V.17).

- :class:`FrontEnd`: mixes the line signal down by the carrier (a table one carrier period
  long) and low-pass filters it with the root-raised-cosine matched filter (the receiver's
  half of the raised-cosine shaping of the V.27ter and V.29 line signals), in fixed frames so
  that any split of the input gives the same baseband;
- :class:`CarrierDetector`: the received line signal detector (circuit 109) with the
  switched-network thresholds of V.27ter (on for more than -43 dBm0, off for less than
  -48 dBm0; it switches on at -45 and off at -48 dBm0) on the in-band power of 10 ms
  windows stepped by 5 ms, with the hysteresis between its two thresholds;
- :func:`alternation_timing`: feed-forward symbol timing from an alternating training segment
  (V.27ter segment 3, V.29 segment 2): such a segment puts two lines at ``+-baud/2`` in the
  baseband whose phase difference is ``2 pi t0 / T``;
- :class:`TimingLoop`: windowed-sinc interpolation of the baseband at the T/2 instants, steered
  by a Gardner timing-error detector (a proportional-integral loop, so a clock difference of a
  few hundred ppm is absorbed by the integrator);
- :class:`Equalizer`: a T/2-spaced transversal equalizer adapted by block LMS, with a
  second-order decision-directed carrier phase loop at its output.  Training blocks use the
  known training symbols as reference, data blocks the slicer's decisions; a block of ``B``
  symbols is one matrix product, one slicer call and one gradient product.

The front end, the timing loop's blocks and the equalizer's blocks run the C kernels of
:mod:`pycti.dsp.dspcore` when it says they are enabled (the same steps in the same order; the
numpy code here is the reference and the fallback).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from scipy.signal import firwin  # type: ignore[import-untyped, unused-ignore]

from pycti.dsp import dspcore
from pycti.dsp._base import DBM0_REF_RMS, FS_HZ
from pycti.dsp.qam_tx import ModemConfigError, PulseShape, rrc_pulse

__all__ = [
    "CarrierDetector",
    "Equalizer",
    "FRAME_SAMPLES",
    "FrontEnd",
    "SUBBLOCK_SAMPLES",
    "TimingLoop",
    "alternation_share",
    "alternation_timing",
]

Complex = npt.NDArray[np.complex128]
Float = npt.NDArray[np.float64]

#: The receiver works on fixed 20 ms frames of input (any input split gives the same frames).
FRAME_SAMPLES = 160
#: The carrier detector's step (5 ms); it decides on the power of the last two steps.
SUBBLOCK_SAMPLES = 40
_INTERP_HALF = 4  # interpolator taps: -3 .. +4 around the instant


class FrontEnd:
    """Line samples to complex baseband: carrier mix-down and matched filter (see module
    docstring).  Baseband sample ``n`` is line sample ``n - delay`` filtered.  A second,
    flat low-pass over the whole occupied band (the matched filter halves the alternating
    training segments, whose power sits at its -6 dB points) gives the power that the
    carrier detector measures."""

    def __init__(self, shape: PulseShape) -> None:
        sps = shape.samples_per_symbol
        half = int(math.ceil(shape.span_symbols / 2 * sps))
        t = np.arange(-half, half + 1) / sps
        taps = rrc_pulse(t, shape.rrc_alpha)
        self.taps: Float = taps / taps.sum()
        self.delay = half
        edge_hz = min(0.5 * (1 + shape.rrc_alpha) * shape.baud + 100.0, 0.45 * FS_HZ)
        flat = firwin(2 * half + 1, edge_hz, fs=FS_HZ)
        self.flat_taps: Float = np.asarray(flat, dtype=np.float64)
        self._carrier_conj = np.conj(shape.carrier_table())
        self._hist = np.zeros(self.taps.size - 1, dtype=np.complex128)
        self._n = 0
        self._c = dspcore.enabled() and self.flat_taps.size == self.taps.size
        self._ext = np.zeros(0, dtype=np.complex128)  # C path: history + one frame
        self._views = dspcore.Views() if self._c else None

    def process(self, frame: Float) -> tuple[Complex, Complex]:
        """Baseband for one frame of line samples (any length; the receiver uses fixed ones):
        matched-filtered and flat-filtered (for the power)."""
        if self._c:
            return self._process_c(np.asarray(frame, dtype=np.float64))
        idx = (self._n + np.arange(frame.size)) % self._carrier_conj.size
        self._n += frame.size
        mixed = frame * self._carrier_conj[idx]
        ext = np.concatenate([self._hist, mixed])
        self._hist = ext[-(self.taps.size - 1):]
        out: Complex = np.convolve(ext, self.taps, mode="valid")
        flat: Complex = np.convolve(ext, self.flat_taps, mode="valid")
        return out, flat

    def _process_c(self, frame: Float) -> tuple[Complex, Complex]:
        h = self.taps.size - 1
        if self._ext.size != h + frame.size:
            ext = np.zeros(h + frame.size, dtype=np.complex128)
            ext[:h] = self._hist if self._ext.size == 0 else self._ext[:h]
            self._ext = ext
        phase0 = self._n % self._carrier_conj.size
        self._n += frame.size
        return dspcore.fe_process(frame, self._carrier_conj, phase0, self._ext, self.taps,
                                  self.flat_taps, self._views)


class CarrierDetector:
    """Energy detector with hysteresis on the baseband of the :class:`FrontEnd`."""

    def __init__(self, on_dbm0: float = -45.0, off_dbm0: float = -48.0) -> None:
        """Thresholds in dBm0 of line power; :class:`ModemConfigError` unless off < on."""
        if off_dbm0 >= on_dbm0:
            raise ModemConfigError(f"off_dbm0 ({off_dbm0!r}) must be below on_dbm0 ({on_dbm0!r})")
        # Line power P of a signal whose baseband (unit-DC-gain low-pass) has mean |z|^2 = P / 2.
        self._on = 0.5 * (DBM0_REF_RMS**2) * 10.0 ** (on_dbm0 / 10.0)
        self._off = 0.5 * (DBM0_REF_RMS**2) * 10.0 ** (off_dbm0 / 10.0)
        self.on = False
        self._prev = 0.0
        self._c = dspcore.enabled()

    def reset(self) -> None:
        """Carrier off, no history."""
        self.on = False
        self._prev = 0.0

    def step(self, baseband: Complex) -> list[tuple[int, bool]]:
        """Decisions for a frame of baseband (a whole number of sub-blocks): a list of
        ``(sub-block index, new state)`` for every change."""
        if self._c and baseband.size % SUBBLOCK_SAMPLES == 0:
            state = np.array([self._prev, 1.0 if self.on else 0.0, self._on, self._off])
            found = dspcore.cd_step(baseband, SUBBLOCK_SAMPLES, state)
            self._prev, self.on = float(state[0]), bool(state[1])
            return found
        p = np.mean((np.abs(baseband) ** 2).reshape(-1, SUBBLOCK_SAMPLES), axis=1)
        changes: list[tuple[int, bool]] = []
        prev = self._prev
        for i, cur in enumerate(p.tolist()):
            level = 0.5 * (prev + cur)
            prev = cur
            if not self.on and level > self._on:
                self.on = True
                changes.append((i, True))
            elif self.on and level < self._off:
                self.on = False
                changes.append((i, False))
        self._prev = prev
        return changes


def _half_baud_lines(z: Complex, start: int, sps: float) -> tuple[complex, complex]:
    n = start + np.arange(z.size)
    w = np.exp(-1j * np.pi * n / sps)
    return complex(np.dot(z, w)), complex(np.dot(z, np.conj(w)))


def alternation_share(z: Complex, start: int, sps: float) -> float:
    """The share of the power of ``z`` (baseband from absolute index ``start``) in the two
    lines at ``+-baud/2`` that an alternating segment produces: near 1 for the alternation,
    near 0 for noise or random data."""
    plus, minus = _half_baud_lines(z, start, sps)
    total = float(np.vdot(z, z).real) * z.size + 1e-12
    return (abs(plus) ** 2 + abs(minus) ** 2) / total


def alternation_timing(z: Complex, start: int, sps: float) -> float:
    """The position (in baseband samples, absolute) of a symbol centre, estimated from ``z``
    (baseband samples starting at absolute index ``start``) covering an alternating segment."""
    plus, minus = _half_baud_lines(z, start, sps)
    t0 = sps * float(np.angle(minus * np.conj(plus))) / (2.0 * np.pi)
    return t0 % sps


_INTERP_PHASES = 256
_OFFS = np.arange(-_INTERP_HALF + 1, _INTERP_HALF + 1)


def _interp_table() -> Float:
    t = _OFFS[None, :] - (np.arange(_INTERP_PHASES + 1) / _INTERP_PHASES)[:, None]
    win = 0.42 + 0.5 * np.cos(np.pi * t / _INTERP_HALF) + 0.08 * np.cos(2 * np.pi * t / _INTERP_HALF)
    table: Float = np.sinc(t) * win
    normalised: Float = table / table.sum(axis=1, keepdims=True)
    return normalised


_INTERP_TABLE = _interp_table()
_TABLE_VIEWS = dspcore.Views() if dspcore.AVAILABLE else None


def interpolate(z: Complex, base: int, pos: Float) -> Complex:
    """Windowed-sinc (8 taps, Blackman, 256 phases) interpolation of ``z`` (``z[0]`` is
    absolute sample ``base``) at the absolute positions ``pos``."""
    whole = np.floor(pos)
    phase = np.rint((pos - whole) * _INTERP_PHASES).astype(np.int64)
    rel = (whole.astype(np.int64) - base)[:, None] + _OFFS[None, :]
    out: Complex = np.einsum("ij,ij->i", z[rel], _INTERP_TABLE[phase])
    return out


class TimingLoop:
    """T/2 samples of the baseband at instants steered by a Gardner detector.

    ``pos`` is the absolute baseband position of the next T/2 instant (a symbol centre when
    the count of samples produced is even).  Blocks of ``block`` symbols are interpolated at
    the current timing; their Gardner error moves the next block's instants.  ``kp`` and
    ``ki`` are the loop's proportional and integral gains per symbol."""

    def __init__(self, sps: float, start_pos: float, gain: float, block: int = 16,
                 kp: float = 0.004, ki: float = 0.000004) -> None:
        self.sps = sps
        self.pos = start_pos
        self.gain = gain
        self.block = block
        self.kp = kp * block
        self.ki = ki * block
        self.rate = 0.0  # fractional clock difference (samples per sample)
        self._last: complex = 0j  # the last symbol-centre and mid samples (the pair that
        self._last_mid: complex = 0j  # straddles two blocks)
        self._have_last = False
        self._c = dspcore.enabled()

    def needed_until(self) -> float:
        """Absolute baseband index that must be available to produce the next block."""
        return self.pos + (2 * self.block - 1) * self.sps / 2 * (1 + self.rate) + _INTERP_HALF + 1

    def produce(self, z: Complex, base: int) -> tuple[Complex, Float]:
        """The next block's ``2 * block`` T/2 samples (AGC gain applied) and their instants."""
        half = self.sps / 2 * (1 + self.rate)
        if self._c:
            last = np.array([self._last, self._last_mid]) if self._have_last else None
            done = dspcore.timing_block(z, base, self.pos, half, self.gain, 2 * self.block,
                                        _INTERP_TABLE, last, _TABLE_VIEWS)
            if done is not None:
                u, pos, e = done
                return self._advance(u, pos, half, e)
        pos = self.pos + half * np.arange(2 * self.block, dtype=np.float64)
        u = interpolate(z, base, pos) * self.gain
        centres = u[0::2]
        mids = u[1::2]
        if self._have_last:
            prev = np.concatenate([[self._last], centres[:-1]])
            m = np.concatenate([[self._last_mid], mids[:-1]])
            nxt = centres
        else:
            prev, m, nxt = centres[:-1], mids[:-1], centres[1:]
        # Gardner: the sample midway between two symbol centres is zero on time when they
        # differ; late sampling tilts it toward the later symbol.
        err = np.real(np.conj(m) * (nxt - prev))
        power = float(np.vdot(centres, centres).real) / centres.size + 1e-9
        e = float(err.sum()) / (err.size * power) if err.size else 0.0
        e = max(-1.0, min(1.0, e))
        return self._advance(u, pos, half, e)

    def _advance(self, u: Complex, pos: Float, half: float, e: float) -> tuple[Complex, Float]:
        """Steer the loop by the block's Gardner error ``e``; returns the block."""
        self.rate -= self.ki * e
        self.pos = float(pos[-1]) + half - self.kp * e * self.sps
        self._last = complex(u[-2])
        self._last_mid = complex(u[-1])
        self._have_last = True
        return u, pos


class Equalizer:
    """T/2-spaced LMS equalizer with a decision-directed carrier loop (see module docstring).

    ``taps`` T/2 taps, centre tap ``taps // 2``; the output for symbol ``k`` reads the T/2
    samples ``2k - centre .. 2k - centre + taps - 1``."""

    def __init__(self, taps: int, constellation: Complex, ref_power: float) -> None:
        self.n = taps
        self.centre = taps // 2
        self.w: Complex = np.zeros(taps, dtype=np.complex128)
        self.w[self.centre] = 1.0
        self.points = constellation
        self.ref_power = ref_power
        self.phase = 0.0
        self.freq = 0.0  # radians per symbol
        self.mu = 0.0
        self.pll_a = 0.0
        self.pll_b = 0.0
        self._c = dspcore.enabled() and taps <= dspcore.MAX_TAPS and constellation.size > 0
        self._views = dspcore.Views() if self._c else None

    def set_gains(self, mu: float, pll_a: float, pll_b: float) -> None:
        """LMS step (normalised: per symbol, relative to the tap count and signal power) and
        the phase loop's proportional and integral gains (per symbol)."""
        self.mu = mu / (self.n * self.ref_power)
        self.pll_a = pll_a
        self.pll_b = pll_b

    def slice(self, y: Complex) -> npt.NDArray[np.intp]:
        """Index of the nearest constellation point for each of ``y``."""
        diff = y[:, None] - self.points[None, :]
        idx: npt.NDArray[np.intp] = np.argmin(diff.real**2 + diff.imag**2, axis=1)
        return idx

    def output(self, x: Complex, ahead: int = 0) -> Complex:
        """The derotated outputs for the rows of ``x`` without adapting, the first row being
        ``ahead`` elements after the next one :meth:`run` would take (a receiver that adapts
        on delayed decisions equalizes ahead of its adaptation)."""
        if self._c:
            return dspcore.eq_output(x, self.w, self.phase, self.freq, ahead, self._views)
        b = x.shape[0]
        rot = np.exp(-1j * (self.phase + self.freq * (ahead + _K[:b])))
        out: Complex = (x @ self.w) * rot
        return out

    def run(self, x: Complex, ref: Complex | None) -> tuple[Complex, npt.NDArray[np.intp], float]:
        """Equalize one block (``x``: one window of T/2 samples per row); adapt toward ``ref``
        (training) or the decisions (``ref is None``).  Returns the derotated outputs, the
        decided point indices and the block's mean squared error."""
        if self._c:
            return self._run_c(x, ref)
        b = x.shape[0]
        rot = np.exp(-1j * (self.phase + self.freq * _K[:b]))
        yr = (x @ self.w) * rot
        idx = self.slice(yr)
        d = self.points[idx] if ref is None else ref
        e = d - yr
        self.w += self.mu * (e * np.conj(rot)) @ np.conj(x)
        pe = float(np.angle(yr * np.conj(d)).sum()) / b
        self.phase = (self.phase + b * self.freq + self.pll_a * b * pe) % (2 * np.pi)
        self.freq += self.pll_b * b * pe
        mse = float((e.real**2 + e.imag**2).sum()) / b
        return yr, idx, mse

    def _run_c(self, x: Complex, ref: Complex | None) -> tuple[Complex, npt.NDArray[np.intp], float]:
        if self.w.dtype != np.complex128 or not self.w.flags.c_contiguous:
            self.w = np.ascontiguousarray(self.w, dtype=np.complex128)
        state = np.array([self.phase, self.freq, self.mu, self.pll_a, self.pll_b, 0.0])
        yr, idx, mse = dspcore.eq_run(x, self.w, self.points, ref, state, self._views)
        self.phase, self.freq = float(state[0]), float(state[1])
        return yr, idx.astype(np.intp, copy=False), mse


_K = np.arange(4096, dtype=np.float64)
