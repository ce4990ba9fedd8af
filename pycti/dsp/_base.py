"""Shared conventions of pycti.dsp: sample rate check, block shape, dBm0 levels, events.

Levels follow the G.711 convention: a full-scale sine (peak 32767 in 16-bit linear) is
+3.17 dBm0, so a 0 dBm0 sine has a peak of 32767 * 10**(-3.17/20) = 22748.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "FS_HZ",
    "FULL_SCALE_SINE_DBM0",
    "check_fs",
    "as_block",
    "dbm0_to_peak",
    "rms_to_dbm0",
    "DigitEvent",
    "ToneEvent",
]

FS_HZ = 8000
#: Level of a full-scale 16-bit sine in dBm0 (ITU-T G.711 digital milliwatt convention).
FULL_SCALE_SINE_DBM0 = 3.17
_FULL_SCALE_PEAK = 32767.0
#: RMS of a 0 dBm0 sine in 16-bit linear units.
DBM0_REF_RMS = _FULL_SCALE_PEAK / np.sqrt(2.0) * 10.0 ** (-FULL_SCALE_SINE_DBM0 / 20.0)


def check_fs(fs_hz: int) -> int:
    """Validate the sample rate once; pycti.dsp works at 8000 Hz only."""
    if fs_hz != FS_HZ:
        raise ValueError(f"fs_hz must be {FS_HZ} (telephony narrowband), got {fs_hz!r}")
    return FS_HZ


def as_block(x: np.ndarray, channels: int | None = None) -> np.ndarray:
    """Return ``x`` as a float64 ``(channels, samples)`` array in 16-bit linear units.

    Accepts int16 or float arrays (floats are taken to be in 16-bit units already).  A 1-D
    array is one channel.  Raises ``ValueError`` on a wrong shape or channel count.
    """
    a = np.asarray(x)
    if a.ndim == 1:
        a = a[np.newaxis, :]
    if a.ndim != 2:
        raise ValueError(f"audio block must be (channels, samples), got shape {a.shape}")
    if channels is not None and a.shape[0] != channels:
        raise ValueError(f"audio block has {a.shape[0]} channels, detector was built for {channels}")
    if a.dtype.kind not in "iuf":
        raise ValueError(f"audio block must be int16 or float, got dtype {a.dtype}")
    return a.astype(np.float64, copy=False)


def dbm0_to_peak(level_dbm0: float) -> float:
    """Peak amplitude (16-bit linear units) of a sine at ``level_dbm0``."""
    return float(DBM0_REF_RMS * np.sqrt(2.0) * 10.0 ** (level_dbm0 / 20.0))


def rms_to_dbm0(rms: float | np.ndarray) -> float | np.ndarray:
    """Level in dBm0 of a signal of the given RMS (16-bit linear units); -inf-safe floor -120."""
    r = np.maximum(np.asarray(rms, dtype=np.float64), 1e-6)
    out = 20.0 * np.log10(r / DBM0_REF_RMS)
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitEvent:
    """One DTMF digit detected on one channel.

    ``start_sample``/``end_sample`` count samples of that channel from the detector's creation
    (end exclusive); ``level_dbm0`` is the mean of the two tones' levels.
    """

    channel: int
    digit: str
    start_sample: int
    end_sample: int
    level_dbm0: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ToneEvent:
    """A tone recognised on one channel (``CNG``, ``CED``, ``ANSAM``, ``DIAL``, ``RINGBACK``,
    ``BUSY``, ``CONGESTION``, ``SIT``, ``CALL_WAITING`` ...).

    ``start_sample`` is the onset of the tone, ``end_sample`` the sample at which the detector
    made its decision (so ``end_sample - start_sample`` is the detection latency).
    """

    channel: int
    tone: str
    start_sample: int
    end_sample: int
    level_dbm0: float
