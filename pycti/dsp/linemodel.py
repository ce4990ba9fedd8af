"""A telephone line between two terminals, for testing modems and detectors with real impairments.

What a signal meets on its way, in this order:

1. **band filter** (``band_filter=True``): the telephone channel's 300-3400 Hz pass band
   (ITU-T G.712 / M.1020 shape), a 4th-order Butterworth band-pass, so the edges also bring the
   group-delay distortion a real line has;
2. **gain** (``gain_db``): the line's loss (negative) or gain;
3. **delay** (``delay_ms``): whole samples of propagation and buffering delay;
4. **clock difference** (``clock_ppm``): the receiving end samples with a clock ``clock_ppm``
   parts per million faster (positive) or slower (negative) than the sender's, so ``1 + ppm/1e6``
   received samples stand for each sent one.  Done by windowed-sinc interpolation (16 taps,
   Blackman window), flat to within 0.1 dB up to 3.4 kHz;
5. **noise** (``noise_dbm0``): white Gaussian noise whose total power over 0-4 kHz is
   ``noise_dbm0`` (so the in-band noise of the 300-3400 Hz channel is 0.7 dB lower), seeded;
6. **codec** (``codec``): optionally a G.711 round trip (``"ulaw"`` or ``"alaw"``), then
   saturation to int16.

:meth:`LineModel.apply` takes a whole signal; :meth:`LineModel.stream` gives a
:class:`LineChannel` that carries a signal block by block (lock-step 20 ms frames: one block in,
one block of the same length out), with the same result for any split into blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import butter, sosfilt  # type: ignore[import-untyped, unused-ignore]

from pycti.dsp._base import DBM0_REF_RMS, FS_HZ
from pycti.dsp.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

__all__ = ["LineChannel", "LineModel"]

_BAND_HZ = (300.0, 3400.0)
_DRIFT_BUDGET_S = 600.0
_HALF_TAPS = 8  # the interpolator reads samples n-7 .. n+8 around position n + frac
_OFFSETS = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)
_CODECS = {None: None, "ulaw": (ulaw_encode, ulaw_decode), "alaw": (alaw_encode, alaw_decode)}


@dataclass(frozen=True)
class LineModel:
    """A line's impairments (see the module docstring for their order and meaning)."""

    gain_db: float = 0.0
    noise_dbm0: float | None = None
    delay_ms: float = 0.0
    clock_ppm: float = 0.0
    band_filter: bool = True
    seed: int = 0
    codec: str | None = None

    def __post_init__(self) -> None:
        if self.delay_ms < 0:
            raise ValueError(f"delay_ms must not be negative, got {self.delay_ms!r}")
        if not -5000.0 <= self.clock_ppm <= 5000.0:
            raise ValueError(f"clock_ppm must be within +-5000, got {self.clock_ppm!r}")
        if self.codec not in _CODECS:
            raise ValueError(f"codec must be None, 'ulaw' or 'alaw', got {self.codec!r}")

    @property
    def delay_samples(self) -> int:
        """The delay in whole samples at 8000 Hz."""
        return int(round(self.delay_ms * FS_HZ / 1000.0))

    def stream(self) -> LineChannel:
        """A fresh channel carrying a signal through this line block by block."""
        return LineChannel(self)

    def apply(self, samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
        """The whole of ``samples`` (int16 at 8000 Hz) as received at the far end: the output is
        longer than the input by the delay and the interpolator's latency, so nothing sent is
        cut off."""
        x = np.asarray(samples)
        pad = self.delay_samples + LineChannel.latency_slack(self) + int(abs(self.clock_ppm) * 1e-6 * x.size) + 1
        return self.stream().process(np.concatenate([x.astype(np.float64), np.zeros(pad)]))


class LineChannel:
    """One direction of a :class:`LineModel` line, carrying a signal block by block.

    :meth:`process` returns as many samples as it was given.  The channel's latency is the
    line's delay plus :meth:`latency_slack`: 16 samples for the interpolator and, for a receiver
    slower than the sender (negative ``clock_ppm``, which eats into the latency at ``|ppm|``
    samples per million), enough for ``_DRIFT_BUDGET_S`` (10 minutes) of drift.  Past that the
    missing samples come out as silence, counted in :attr:`underrun_samples`.
    """

    def __init__(self, model: LineModel) -> None:
        self.model = model
        self._sos = butter(4, _BAND_HZ, btype="bandpass", fs=FS_HZ, output="sos") if model.band_filter else None
        self._zi = np.zeros((self._sos.shape[0], 2)) if self._sos is not None else None
        self._gain = 10.0 ** (model.gain_db / 20.0)
        self._noise_rms = (
            DBM0_REF_RMS * 10.0 ** (model.noise_dbm0 / 20.0) if model.noise_dbm0 is not None else 0.0
        )
        self._rng = np.random.default_rng(model.seed)
        # The delay's zeros, then the sender's samples after filter and gain.
        self._buf = np.zeros(model.delay_samples + self.latency_slack(model))
        self._base = 0  # absolute index of _buf[0]
        self._step = 1.0 / (1.0 + model.clock_ppm * 1e-6)  # sent samples per received sample
        self._out_count = 0  # received samples produced so far
        self.underrun_samples = 0

    @staticmethod
    def latency_slack(model: LineModel) -> int:
        """Samples of latency the channel adds to the line's delay: twice the interpolator's
        half width, and for a receiver slower than the sender the drift of
        ``_DRIFT_BUDGET_S`` seconds."""
        drift = math.ceil(-model.clock_ppm * 1e-6 * FS_HZ * _DRIFT_BUDGET_S) if model.clock_ppm < 0 else 0
        return 2 * _HALF_TAPS + drift

    def process(self, block: npt.ArrayLike) -> npt.NDArray[np.int16]:
        """Carry ``block`` (int16 or float samples) one block further: returns the same number
        of samples as received at the far end."""
        x = np.asarray(block, dtype=np.float64)
        if x.ndim != 1:
            raise ValueError(f"a line carries one signal: expected a 1-D block, got shape {x.shape}")
        n = x.size
        if self._sos is not None:
            x, self._zi = sosfilt(self._sos, x, zi=self._zi)
        self._buf = np.concatenate([self._buf, x * self._gain])
        y = self._resample(n)
        if self._noise_rms:
            y = y + self._rng.normal(0.0, self._noise_rms, n)
        codec = _CODECS[self.model.codec]
        out = np.clip(np.rint(y), -32768, 32767).astype(np.int16)
        if codec is not None:
            encode, decode = codec
            out = decode(encode(out)).astype(np.int16)
        return out

    def _resample(self, n: int) -> npt.NDArray[np.float64]:
        """The next ``n`` received samples, interpolated from the buffered sent ones.

        Received sample ``k`` is read at position ``k * step`` of the buffer as it was first
        laid (the delay's and the interpolator's zeros, then the sent samples), so the latency
        is ``delay + latency_slack`` samples."""
        pos = (self._out_count + np.arange(n)) * self._step
        self._out_count += n
        whole = np.floor(pos).astype(np.int64)
        frac = pos - whole
        rel = whole[:, None] + _OFFSETS[None, :] - self._base
        t = _OFFSETS[None, :] - frac[:, None]
        weights = np.sinc(t) * (
            0.42 + 0.5 * np.cos(np.pi * t / _HALF_TAPS) + 0.08 * np.cos(2.0 * np.pi * t / _HALF_TAPS)
        )
        ready = rel[:, -1] < self._buf.size
        self.underrun_samples += int(n - np.count_nonzero(ready))
        inside = (rel >= 0) & (rel < self._buf.size)
        taps = np.where(inside, self._buf[np.clip(rel, 0, self._buf.size - 1)], 0.0)
        y: npt.NDArray[np.float64] = np.where(ready, (taps * weights).sum(axis=1), 0.0)
        # Keep only what later samples can still need.
        drop = int(whole[-1]) + int(_OFFSETS[0]) - self._base if n else 0
        if drop > 0:
            self._buf = self._buf[drop:]
            self._base += drop
        return y
