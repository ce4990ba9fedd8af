"""DTMF frequency plan (ITU-T Q.23) and tone generation, one-shot or block-wise over channels."""

from __future__ import annotations

import numpy as np

from pycti.dsp._base import check_fs, dbm0_to_peak

__all__ = [
    "DTMF_DIGITS",
    "DTMF_HIGH_HZ",
    "DTMF_LOW_HZ",
    "DtmfGenerator",
    "digit_frequencies",
    "dtmf_tones",
]

#: Q.23 low (row) group, Hz.
DTMF_LOW_HZ = (697.0, 770.0, 852.0, 941.0)
#: Q.23 high (column) group, Hz.
DTMF_HIGH_HZ = (1209.0, 1336.0, 1477.0, 1633.0)
#: Digits in row-major order: digit index = 4 * row + column.
DTMF_DIGITS = "123A456B789C*0#D"


def digit_frequencies(digit: str) -> tuple[float, float]:
    """Return the (low, high) Q.23 frequencies of ``digit`` (0-9, A-D, * or #)."""
    index = DTMF_DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if index < 0:
        raise ValueError(f"not a DTMF digit: {digit!r}")
    return DTMF_LOW_HZ[index // 4], DTMF_HIGH_HZ[index % 4]


def _digit_indices(digits: str) -> np.ndarray:
    """Row-major indices (4 * row + column) of ``digits``; ValueError on a non-DTMF character."""
    bad = [d for d in digits.upper() if d not in DTMF_DIGITS]
    if bad:
        raise ValueError(f"not DTMF digits: {''.join(bad)!r} in {digits!r}")
    return np.array([DTMF_DIGITS.index(d) for d in digits.upper()], dtype=np.intp)


class DtmfGenerator:
    """Block-wise DTMF generator for a media plane: one digit string per channel.

    ``start(channel, digits, ...)`` queues a string on a channel (replacing what it was
    playing); ``read(n)`` returns the next ``(channels, n)`` int16 samples of every channel,
    silence where nothing plays.  Each digit is ``on_ms`` of tone followed by ``off_ms`` of
    silence.  The low tone is at ``level_dbm0``, the high tone at ``level_dbm0 - twist_db`` (a
    positive twist is the usual "normal" twist, high group weaker).  All channels are rendered
    together with array operations.
    """

    def __init__(self, channels: int, *, fs_hz: int = 8000) -> None:
        self._fs = check_fs(fs_hz)
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        self.channels = channels
        self._pos = np.zeros(channels, dtype=np.int64)  # samples played of the current string
        self._length = np.zeros(channels, dtype=np.int64)  # total samples of the string
        self._on = np.zeros(channels, dtype=np.int64)
        self._period = np.ones(channels, dtype=np.int64)
        self._amp = np.zeros((channels, 2))
        self._freqs = np.zeros((channels, 0, 2))  # (channel, digit, low/high) Hz

    def start(
        self,
        channel: int,
        digits: str,
        *,
        on_ms: float = 80.0,
        off_ms: float = 80.0,
        level_dbm0: float = -10.0,
        twist_db: float = 0.0,
    ) -> None:
        """Queue ``digits`` on ``channel``, starting with the next sample read."""
        if not 0 <= channel < self.channels:
            raise ValueError(f"channel {channel} out of range 0..{self.channels - 1}")
        on = round(on_ms * self._fs / 1000)
        off = round(off_ms * self._fs / 1000)
        if on < 1 or off < 0:
            raise ValueError(f"on_ms must be > 0 and off_ms >= 0, got {on_ms}, {off_ms}")
        idx = _digit_indices(digits)
        if idx.size > self._freqs.shape[1]:
            grown = np.zeros((self.channels, idx.size, 2))
            grown[:, : self._freqs.shape[1]] = self._freqs
            self._freqs = grown
        self._freqs[channel] = 0.0
        self._freqs[channel, : idx.size, 0] = np.take(DTMF_LOW_HZ, idx // 4)
        self._freqs[channel, : idx.size, 1] = np.take(DTMF_HIGH_HZ, idx % 4)
        self._on[channel] = on
        self._period[channel] = on + off
        self._length[channel] = idx.size * (on + off)
        self._pos[channel] = 0
        self._amp[channel] = dbm0_to_peak(level_dbm0), dbm0_to_peak(level_dbm0 - twist_db)

    def busy(self, channel: int) -> bool:
        """True while ``channel`` still has samples of its string to play."""
        return bool(self._pos[channel] < self._length[channel])

    def read(self, n: int) -> np.ndarray:
        """Return the next ``n`` samples of every channel as int16 ``(channels, n)``."""
        out = np.zeros((self.channels, n), dtype=np.int16)
        playing = np.flatnonzero(self._pos < self._length)
        if playing.size == 0 or n == 0:
            return out
        t = self._pos[playing, None] + np.arange(n)  # (active, n) position in the string
        period = self._period[playing, None]
        digit = np.minimum(t // period, self._freqs.shape[1] - 1)
        within = t - (t // period) * period
        on = (within < self._on[playing, None]) & (t < self._length[playing, None])
        freqs = np.take_along_axis(self._freqs[playing], digit[..., None].repeat(2, -1), axis=1)
        phase = 2.0 * np.pi * within[..., None] * freqs / self._fs  # each digit starts at phase 0
        tone = (np.sin(phase) * self._amp[playing, None, :]).sum(-1)
        out[playing] = np.where(on, np.rint(tone), 0.0).clip(-32768, 32767).astype(np.int16)
        self._pos[playing] += n
        return out


def dtmf_tones(
    digits: str,
    *,
    on_ms: float = 80.0,
    off_ms: float = 80.0,
    level_dbm0: float = -10.0,
    twist_db: float = 0.0,
    fs_hz: int = 8000,
) -> np.ndarray:
    """Render ``digits`` as one int16 signal: per digit ``on_ms`` of tone, ``off_ms`` of silence.

    ``level_dbm0`` is the low tone's level, the high tone is ``twist_db`` below it.
    """
    gen = DtmfGenerator(1, fs_hz=fs_hz)
    gen.start(0, digits, on_ms=on_ms, off_ms=off_ms, level_dbm0=level_dbm0, twist_db=twist_db)
    on = round(on_ms * fs_hz / 1000)
    off = round(off_ms * fs_hz / 1000)
    signal: np.ndarray = gen.read(len(digits) * (on + off))[0]
    return signal
