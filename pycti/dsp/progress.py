"""Call-progress tone generation: one-shot arrays and a block-wise multi-channel generator.

A tone is compiled from its table row (:mod:`pycti.dsp.progress_tables`) into a
:class:`TonePattern`: a repeating list of segments, each a sum of sinusoids (silence has none).
Every sample is computed from its absolute position in the pattern, so a channel's output is
phase continuous whatever block sizes it is read in.  Fax tones (:mod:`pycti.dsp.fax_tones`)
use the same patterns and the same :class:`ToneGenerator`.

The detector lives in :mod:`pycti.dsp.progress_detect` and is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pycti.dsp._base import check_fs, dbm0_to_peak
from pycti.dsp.progress_tables import ProgressToneRow, lookup

__all__ = [
    "ProgressParams",
    "ProgressToneDetector",
    "Segment",
    "ToneGenerator",
    "TonePattern",
    "pattern_for",
    "progress_tone",
    "render_pattern",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """``duration_samples`` of the sum of ``amps[i] * sin(2 pi freqs_hz[i] t)``; no freqs is
    silence.  Amplitudes are relative to the pattern's level (1.0 = the nominal level)."""

    duration_samples: int
    freqs_hz: tuple[float, ...] = ()
    amps: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TonePattern:
    """A tone as segments repeating from sample 0.

    A single segment with ``duration_samples == 0`` is a continuous tone.
    ``reversal_samples`` > 0 inverts the whole signal every that many samples (the 180-degree
    phase reversals of V.25 /ANS).  ``repeat=False`` plays the segments once, then silence.
    """

    name: str
    segments: tuple[Segment, ...]
    reversal_samples: int = 0
    repeat: bool = True

    @property
    def period_samples(self) -> int:
        """Samples in one cycle (0 for a continuous tone)."""
        return sum(s.duration_samples for s in self.segments)


def pattern_for(row: ProgressToneRow, *, fs_hz: int = 8000) -> TonePattern:
    """Compile one table row into a :class:`TonePattern` (zero-length segments dropped)."""
    check_fs(fs_hz)
    name = f"{row.country}:{row.tone}"
    if row.continuous:
        freqs, amps = row.on_components()
        return TonePattern(name=name, segments=(Segment(duration_samples=0, freqs_hz=freqs,
                                                        amps=amps),))
    segs: list[Segment] = []
    for i, ms in enumerate(row.cadence_ms):
        n = ms * fs_hz // 1000
        if n == 0:
            continue
        if i % 2:
            segs.append(Segment(duration_samples=n))
            continue
        freqs, amps = row.on_components(i // 2)
        segs.append(Segment(duration_samples=n, freqs_hz=freqs, amps=amps))
    return TonePattern(name=name, segments=tuple(segs))


class _CompiledPattern:
    """Lookup tables of a pattern: segment ends and per-segment (freq, amp) slots."""

    __slots__ = ("amps", "ends", "freqs", "pattern", "period")

    def __init__(self, pattern: TonePattern) -> None:
        self.pattern = pattern
        self.period = pattern.period_samples
        self.ends = np.cumsum([s.duration_samples for s in pattern.segments])
        slots = max(1, max(len(s.freqs_hz) for s in pattern.segments))
        self.freqs = np.zeros((len(pattern.segments), slots))
        self.amps = np.zeros((len(pattern.segments), slots))
        for i, s in enumerate(pattern.segments):
            self.freqs[i, : len(s.freqs_hz)] = s.freqs_hz
            self.amps[i, : len(s.amps)] = s.amps

    def render(self, positions: np.ndarray, n: int, fs_hz: int) -> np.ndarray:
        """``(len(positions), n)`` float samples at unit amplitude starting at ``positions``."""
        t = positions[:, np.newaxis] + np.arange(n, dtype=np.int64)
        if self.period == 0:
            seg = np.zeros(t.shape, dtype=np.intp)
            inside = np.ones(t.shape, dtype=bool)
        else:
            tt = t % self.period if self.pattern.repeat else t
            inside = tt < self.period
            seg = np.minimum(np.searchsorted(self.ends, tt, side="right"), len(self.ends) - 1)
        out = np.zeros(t.shape)
        for j in range(self.freqs.shape[1]):
            f = self.freqs[seg, j]
            a = self.amps[seg, j]
            # (f * t) mod fs keeps the sine argument small for long-running channels.
            out += a * np.sin(2.0 * np.pi * np.mod(f * t, fs_hz) / fs_hz)
        if self.pattern.reversal_samples:
            out *= 1.0 - 2.0 * ((t // self.pattern.reversal_samples) % 2)
        out *= inside
        return out


_CACHE: dict[TonePattern, _CompiledPattern] = {}


def _compiled(pattern: TonePattern) -> _CompiledPattern:
    c = _CACHE.get(pattern)
    if c is None:
        c = _CACHE[pattern] = _CompiledPattern(pattern)
    return c


def _to_int16(x: np.ndarray) -> np.ndarray:
    y: np.ndarray = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    return y


def render_pattern(pattern: TonePattern, duration_ms: int, *, level_dbm0: float = -13.0,
                   fs_hz: int = 8000) -> np.ndarray:
    """``duration_ms`` of ``pattern`` from its start as int16, each component at
    ``level_dbm0`` (times its relative amplitude)."""
    check_fs(fs_hz)
    n = int(duration_ms) * fs_hz // 1000
    y = _compiled(pattern).render(np.zeros(1, dtype=np.int64), n, fs_hz)[0]
    return _to_int16(y * dbm0_to_peak(level_dbm0))


def progress_tone(country: str, tone: str, duration_ms: int, *, level_dbm0: float = -13.0,
                  fs_hz: int = 8000) -> np.ndarray:
    """``duration_ms`` of ``country``'s ``tone`` (``"CN"``, ``"BUSY"``) as int16 mono, from the
    start of its cadence, each frequency component at ``level_dbm0``."""
    return render_pattern(pattern_for(lookup(country, tone), fs_hz=fs_hz), duration_ms,
                          level_dbm0=level_dbm0, fs_hz=fs_hz)


class ToneGenerator:
    """Block-wise tone source for the media plane: one pattern (or silence) per channel.

    ``read(n)`` returns ``(channels, n)`` int16; each channel's pattern runs from the sample at
    which it was started and stays phase continuous across reads.  Work per read is one
    vectorised render per distinct active pattern, not per channel.
    """

    def __init__(self, channels: int, *, fs_hz: int = 8000) -> None:
        self.fs_hz = check_fs(fs_hz)
        self.channels = int(channels)
        self._pattern_id = np.full(self.channels, -1, dtype=np.intp)
        self._position = np.zeros(self.channels, dtype=np.int64)
        self._peak = np.zeros(self.channels)
        self._patterns: list[_CompiledPattern] = []
        self._ids: dict[TonePattern, int] = {}

    def play(self, channel: int, pattern: TonePattern, *, level_dbm0: float = -13.0) -> None:
        """Start ``pattern`` on ``channel`` from its beginning at the next sample read."""
        pid = self._ids.get(pattern)
        if pid is None:
            pid = self._ids[pattern] = len(self._patterns)
            self._patterns.append(_compiled(pattern))
        self._pattern_id[channel] = pid
        self._position[channel] = 0
        self._peak[channel] = dbm0_to_peak(level_dbm0)

    def start(self, channel: int, country: str, tone: str, *, level_dbm0: float = -13.0) -> None:
        """Start ``country``'s call-progress ``tone`` on ``channel``."""
        self.play(channel, pattern_for(lookup(country, tone), fs_hz=self.fs_hz),
                  level_dbm0=level_dbm0)

    def stop(self, channel: int) -> None:
        """Silence ``channel``."""
        self._pattern_id[channel] = -1

    @property
    def active(self) -> np.ndarray:
        """Boolean mask of the channels playing a tone."""
        return self._pattern_id >= 0

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` samples of every channel as ``(channels, n)`` int16."""
        out = np.zeros((self.channels, n))
        for pid in np.unique(self._pattern_id[self._pattern_id >= 0]):
            rows = np.flatnonzero(self._pattern_id == pid)
            y = self._patterns[pid].render(self._position[rows], n, self.fs_hz)
            out[rows] = y * self._peak[rows, np.newaxis]
        self._position += n
        return _to_int16(out)


# The detector is re-exported here; it does not import this module, so no cycle.
from pycti.dsp.progress_detect import ProgressParams, ProgressToneDetector
