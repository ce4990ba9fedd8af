"""Fax and modem answer tones: CNG, CED/ANS, ANSam and their phase-reversed forms.

Facts used (ITU-T T.30 clause 5.2, V.25 clause 3, V.8 clause 7.1.1):

* CNG, the calling fax tone: 1100 +/- 38 Hz, 0.5 s on, 3 s off.
* CED / ANS, the answer tone: 2100 +/- 15 Hz for 2.6 to 4.0 s.  /ANS reverses its phase by
  180 degrees every 450 +/- 25 ms (V.25, to disable network echo cancellers).
* ANSam: 2100 Hz amplitude-modulated by a 15 +/- 0.1 Hz sine at 20 +/- 1 % depth (V.8);
  /ANSam adds the phase reversals of /ANS.

Detection works on the 20 ms frames of :mod:`pycti.dsp.progress_frames`: a frame is "CNG" when
the 1075-1125 Hz subspace holds ``min_fraction`` of its energy, "CED" likewise for
2085-2115 Hz.  CNG is reported once a run of CNG frames reaches ``cng_min_ms``; CED once a run
reaches ``ced_min_ms``, named after what the run showed:

* phase reversals: a 20 ms frame holds exactly 42 cycles of 2100 Hz, so the phase of the
  2100 Hz coefficient moves from frame to frame only by the tone's frequency offset.  The
  detector keeps a running estimate of that step; a two-frame phase step more than 90 degrees
  away from twice it is a reversal.
* amplitude modulation: the 15 Hz component of the frames' tone amplitude (20 ms frames sample
  it at 50 Hz), relative to the mean amplitude and corrected for the averaging over a frame.

Names: ``"CNG"``, ``"CED"`` (plain ANS), ``"CED_PR"`` (/ANS), ``"ANSAM"``, ``"ANSAM_PR"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import DBM0_REF_RMS, ToneEvent, check_channels, check_fs
from pycti.dsp.progress import (
    ProgressParams,
    ProgressToneDetector,
    Segment,
    TonePattern,
    render_pattern,
)
from pycti.dsp.progress_frames import FRAME_SAMPLES, Features, ToneFrontEnd

__all__ = [
    "CNG_PATTERN",
    "FAX_TONE_NAMES",
    "CallToneDetector",
    "FaxToneDetector",
    "FaxToneParams",
    "ced",
    "ced_pattern",
    "cng",
]

CNG_HZ = 1100.0  # T.30 5.2.1: 1100 +/- 38 Hz
CED_HZ = 2100.0  # T.30 5.2.2 / V.25: 2100 +/- 15 Hz
AM_HZ = 15.0  # V.8 7.1.1: ANSam modulation 15 Hz
AM_DEPTH = 0.2  # V.8 7.1.1: 20 %
REVERSAL_MS = 450  # V.25 3.1: phase reversals every 450 ms
FAX_TONE_NAMES = ("CNG", "CED", "CED_PR", "ANSAM", "ANSAM_PR")

_FS = 8000
_FRAME_S = FRAME_SAMPLES / _FS
# Averaging a 15 Hz envelope over a 20 ms frame scales it by sinc(15 Hz * 20 ms).
_AM_FRAME_GAIN = math.sin(math.pi * AM_HZ * _FRAME_S) / (math.pi * AM_HZ * _FRAME_S)

#: CNG: 1100 Hz, 0.5 s on, 3 s off (T.30 5.2.1).
CNG_PATTERN = TonePattern(name="CNG", segments=(
    Segment(duration_samples=4000, freqs_hz=(CNG_HZ,), amps=(1.0,)),
    Segment(duration_samples=24000)))


def ced_pattern(*, am: bool = False, phase_reversal: bool = False) -> TonePattern:
    """The 2100 Hz answer tone as a continuous pattern: ANS, /ANS, ANSam or /ANSam."""
    freqs: tuple[float, ...]
    amps: tuple[float, ...]
    if am:
        freqs = (CED_HZ - AM_HZ, CED_HZ, CED_HZ + AM_HZ)
        amps = (AM_DEPTH / 2, 1.0, AM_DEPTH / 2)
    else:
        freqs, amps = (CED_HZ,), (1.0,)
    name = ("ANSAM" if am else "CED") + ("_PR" if phase_reversal else "")
    return TonePattern(name=name,
                       segments=(Segment(duration_samples=0, freqs_hz=freqs, amps=amps),),
                       reversal_samples=REVERSAL_MS * _FS // 1000 if phase_reversal else 0)


def cng(duration_ms: int, *, level_dbm0: float = -13.0, fs_hz: int = 8000) -> np.ndarray:
    """``duration_ms`` of CNG (int16 mono) from the start of a burst."""
    return render_pattern(CNG_PATTERN, duration_ms, level_dbm0=level_dbm0, fs_hz=fs_hz)


def ced(duration_ms: int, *, am: bool = False, phase_reversal: bool = False,
        level_dbm0: float = -13.0, fs_hz: int = 8000) -> np.ndarray:
    """``duration_ms`` of the answer tone (int16 mono): ANS, /ANS, ANSam or /ANSam."""
    return render_pattern(ced_pattern(am=am, phase_reversal=phase_reversal), duration_ms,
                          level_dbm0=level_dbm0, fs_hz=fs_hz)


@dataclass(frozen=True, slots=True, kw_only=True)
class FaxToneParams:
    """Thresholds of :class:`FaxToneDetector`."""

    min_fraction: float = 0.8
    min_level_dbm0: float = -43.0
    cng_min_ms: int = 400
    ced_min_ms: int = 560
    max_gap_frames: int = 2
    am_min_depth: float = 0.1
    cng_band_hz: tuple[float, ...] = (1075.0, 1100.0, 1125.0)
    ced_band_hz: tuple[float, ...] = (2085.0, 2100.0, 2115.0)


class _Runs:
    """Per-channel runs of "on" frames that tolerate gaps of up to ``max_gap`` frames."""

    __slots__ = ("active", "last", "max_gap", "reported", "start")

    def __init__(self, channels: int, max_gap: int) -> None:
        self.start = np.zeros(channels, dtype=np.int64)
        self.last = np.full(channels, -(1 << 30), dtype=np.int64)
        self.active = np.zeros(channels, dtype=bool)
        self.reported = np.zeros(channels, dtype=bool)
        self.max_gap = max_gap

    def step(self, on: np.ndarray, t: int) -> np.ndarray:
        """Advance to frame ``t``; return the mask of channels whose run (re)started now."""
        ended = self.active & (t - self.last > self.max_gap + 1)
        self.active &= ~ended
        self.reported &= self.active
        started = on & ~self.active
        self.start[started] = t
        self.active |= on
        self.last[on] = t
        return started

    def length(self, t: int) -> np.ndarray:
        return t - self.start + 1


class FaxToneDetector:
    """Detects CNG and the CED/ANSam family on ``channels`` channels at once.

    ``process(block)`` takes ``(channels, n)`` audio of any length and returns the tones decided
    in it (each once per burst); ``flush()`` processes held-back samples and resets.
    """

    def __init__(self, channels: int, params: FaxToneParams = FaxToneParams(), *,
                 fs_hz: int = 8000) -> None:
        check_fs(fs_hz)
        self.channels = check_channels(channels)
        self.params = params
        self.bands = (params.cng_band_hz, params.ced_band_hz, (CED_HZ,))
        self._front = ToneFrontEnd(self.channels, self.bands)
        self._min_energy = (DBM0_REF_RMS * 10.0 ** (params.min_level_dbm0 / 20.0)) ** 2 \
            * FRAME_SAMPLES
        self._cng_frames = math.ceil(params.cng_min_ms / (1000 * _FRAME_S))
        self._ced_frames = math.ceil(params.ced_min_ms / (1000 * _FRAME_S))
        self._reset_state()

    def _reset_state(self) -> None:
        c = self.channels
        self._frame = 0
        self._cng = _Runs(c, self.params.max_gap_frames)
        self._ced = _Runs(c, self.params.max_gap_frames)
        self._cng_energy = np.zeros(c)
        self._ced_energy = np.zeros(c)
        self._z1 = np.zeros(c, dtype=np.complex64)  # 2100 Hz coefficient one frame back
        self._z2 = np.zeros(c, dtype=np.complex64)  # two frames back
        self._step = np.zeros(c, dtype=complex)  # smoothed unit phasor of the frame step
        self._rev_prev = np.zeros(c, dtype=bool)
        self._reversals = np.zeros(c, dtype=np.int64)
        self._n_on = np.zeros(c, dtype=np.int64)
        self._amp_sum = np.zeros(c)
        self._amp_mod = np.zeros(c, dtype=complex)  # sum of amplitude * exp(-j w k)
        self._rot_sum = np.zeros(c, dtype=complex)  # sum of exp(-j w k) over the same frames

    def process(self, block: np.ndarray) -> list[ToneEvent]:
        """Feed ``(channels, n)`` audio; return the fax tones decided in it, in time order."""
        f = self._front.push(block)
        ci, si = self._front.bank.pair(2)
        return self.consume(f.energies, f.total, f.coeffs[..., ci], f.coeffs[..., si])

    def flush(self) -> list[ToneEvent]:
        """Process held-back samples (zero-padded to a frame) and reset the detector."""
        f = self._front.drain()
        ci, si = self._front.bank.pair(2)
        return self.consume(f.energies, f.total, f.coeffs[..., ci], f.coeffs[..., si],
                            final=True)

    def consume(self, energies: np.ndarray, total: np.ndarray, cos2100: np.ndarray,
                sin2100: np.ndarray, *, final: bool = False) -> list[ToneEvent]:
        """Advance over frames given as energies of :attr:`bands` ``(channels, k, 3)``, frame
        energies ``(channels, k)`` and the 2100 Hz band's whitened cosine and sine
        coefficients ``(channels, k)`` (for a shared front end); ``final=True`` resets after."""
        events = self._run(energies, total, cos2100 + 1j * sin2100)
        if final:
            self._reset_state()
        return events

    def _run(self, energy: np.ndarray, total: np.ndarray, z: np.ndarray) -> list[ToneEvent]:
        if energy.shape[1] == 0:
            return []
        loud = energy[..., :2] >= self._min_energy
        on = loud & (energy[..., :2] >= self.params.min_fraction * total[..., np.newaxis])
        events: list[ToneEvent] = []
        for k in range(energy.shape[1]):
            events += self._step_frame(on[:, k, 0], on[:, k, 1], energy[:, k, 0],
                                       energy[:, k, 1], z[:, k])
            self._frame += 1
        return events

    def _step_frame(self, cng_on: np.ndarray, ced_on: np.ndarray, cng_e: np.ndarray,
                    ced_e: np.ndarray, z: np.ndarray) -> list[ToneEvent]:
        t = self._frame
        events: list[ToneEvent] = []
        # ---- CNG: runs over all channels, the rest on the channels inside a run.
        new = self._cng.step(cng_on, t)
        self._cng_energy[new] = 0.0
        a = np.flatnonzero(self._cng.active)
        if a.size:
            self._cng_energy[a] += np.where(cng_on[a], cng_e[a], 0.0)
            hit = a[~self._cng.reported[a] & (t - self._cng.start[a] + 1 >= self._cng_frames)]
            if hit.size:
                self._cng.reported[hit] = True
                events += [self._event(int(c), "CNG", int(self._cng.start[c]), t,
                                       self._cng_energy[c] / self._cng_frames) for c in hit]
        # ---- CED family
        new = self._ced.step(ced_on, t)
        if new.any():
            for arr in (self._ced_energy, self._reversals, self._n_on, self._amp_sum,
                        self._amp_mod, self._rot_sum, self._step):
                arr[new] = 0
            self._rev_prev[new] = False
        z1, z2 = self._z1, self._z2
        self._z2, self._z1 = z1, z
        a = np.flatnonzero(self._ced.active)
        if a.size:
            events += self._ced_frame(a, t, ced_on[a], ced_e[a], z[a], z1[a], z2[a])
        return events

    def _ced_frame(self, a: np.ndarray, t: int, on: np.ndarray, e: np.ndarray, z: np.ndarray,
                   z1: np.ndarray, z2: np.ndarray) -> list[ToneEvent]:
        """Phase-reversal and AM bookkeeping for the channels ``a`` inside a 2100 Hz run."""
        run = t - self._ced.start[a] + 1
        e = np.where(on, e, 0.0)
        self._ced_energy[a] += e
        # Phase: unit phasor of this frame's step, and the two-frame step against its estimate.
        step = self._step[a]
        rev_prev = self._rev_prev[a]
        u = z * np.conj(z1)
        u /= np.maximum(np.abs(u), 1e-12)
        rev = (run >= 3) & ((z * np.conj(z2) * np.conj(step * step)).real < 0)
        self._reversals[a] += rev & ~rev_prev
        steady = (run >= 2) & ~rev & ~rev_prev
        step = np.where(steady & (step == 0), u,
                        np.where(steady, 0.7 * step + 0.3 * u, step))
        self._step[a] = step / np.maximum(np.abs(step), 1e-12)
        self._rev_prev[a] = rev
        # Amplitude envelope at 15 Hz over the run's on frames.
        amp = np.sqrt(e)
        rot = np.exp(-2j * np.pi * AM_HZ * _FRAME_S * t) * on
        self._n_on[a] += on
        self._amp_sum[a] += amp
        self._amp_mod[a] += amp * rot
        self._rot_sum[a] += rot
        hit = a[~self._ced.reported[a] & (run >= self._ced_frames)]
        if not hit.size:
            return []
        self._ced.reported[hit] = True
        n = np.maximum(self._n_on[hit], 1)
        mean = self._amp_sum[hit] / n
        mod = self._amp_mod[hit] - mean * self._rot_sum[hit]
        depth = 2.0 * np.abs(mod) / np.maximum(self._amp_sum[hit], 1e-9) / _AM_FRAME_GAIN
        events = []
        for j, c in enumerate(hit):
            name = "ANSAM" if depth[j] >= self.params.am_min_depth else "CED"
            if self._reversals[c]:
                name += "_PR"
            events.append(self._event(int(c), name, int(self._ced.start[c]), t,
                                      self._ced_energy[c] / n[j]))
        return events

    def _event(self, channel: int, tone: str, start_frame: int, t: int, energy: float
               ) -> ToneEvent:
        rms = math.sqrt(max(energy, 1e-12) / FRAME_SAMPLES)
        return ToneEvent(channel=channel, tone=tone, start_sample=start_frame * FRAME_SAMPLES,
                         end_sample=(t + 1) * FRAME_SAMPLES,
                         level_dbm0=round(20.0 * math.log10(max(rms, 1e-6) / DBM0_REF_RMS), 2))


class CallToneDetector:
    """Fax tones and call-progress tones of ``country`` (``tones``: only those progress tones)
    from one shared front end.

    One framing, one matrix product and one frame-energy pass per block feed both
    :class:`FaxToneDetector` (``.fax``) and :class:`ProgressToneDetector` (``.progress``);
    their events come back merged in order of decision.
    """

    def __init__(self, channels: int, country: str | tuple[str, ...] = "CN", *,
                 tones: tuple[str, ...] | None = None,
                 progress_params: ProgressParams | None = None,
                 fax_params: FaxToneParams | None = None, fs_hz: int = 8000) -> None:
        self.progress = ProgressToneDetector(channels, country,
                                             progress_params or ProgressParams(), tones=tones,
                                             fs_hz=fs_hz)
        self.fax = FaxToneDetector(channels, fax_params or FaxToneParams(), fs_hz=fs_hz)
        self._split = len(self.progress.signatures)
        self._front = ToneFrontEnd(channels, self.progress.signatures + self.fax.bands,
                                   fs_hz=fs_hz)
        self._phase_cols = self._front.bank.pair(self._split + 2)

    def process(self, block: np.ndarray) -> list[ToneEvent]:
        """Feed ``(channels, n)`` audio; return the tones decided in it."""
        return self._consume(self._front.push(block), final=False)

    def flush(self) -> list[ToneEvent]:
        """End the stream (see the two detectors' ``flush``) and reset."""
        return self._consume(self._front.drain(), final=True)

    def _consume(self, f: Features, *, final: bool) -> list[ToneEvent]:
        k = self._split
        ci, si = self._phase_cols
        events = self.progress.consume(f.energies[..., :k], f.total, final=final)
        events += self.fax.consume(f.energies[..., k:], f.total, f.coeffs[..., ci],
                                   f.coeffs[..., si], final=final)
        events.sort(key=lambda e: (e.end_sample, e.channel))
        return events
