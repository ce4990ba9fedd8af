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
    "check_block",
    "check_channels",
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


def check_channels(channels: int) -> int:
    """Validate a detector's channel count: an ``int`` of at least 1."""
    if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) or channels < 1:
        raise ValueError(f"channels must be an integer >= 1, got {channels!r}")
    return int(channels)


def check_block(x: object, channels: int | None = None) -> np.ndarray:
    """``x`` as an array after the checks every detector's ``process`` makes (not converted).

    Raises ``ValueError`` naming the problem for anything that is not a 1-D or 2-D int16/float
    array of shape ``(channels, n)`` (a scalar, ``None``, 3-D, complex, strings ...) and for a
    channel count other than ``channels``.
    """
    a = np.asarray(x)
    if a.ndim not in (1, 2):
        raise ValueError("audio block must be a 1-D or 2-D int16/float array of shape (channels, n), "
                         f"got {'a scalar' if a.ndim == 0 else f'{a.ndim}-D'} of shape {a.shape}")
    if a.dtype.kind not in "iuf":
        raise ValueError(f"audio block must be int16 or float, got dtype {a.dtype}")
    got = 1 if a.ndim == 1 else a.shape[0]
    if channels is not None and got != channels:
        raise ValueError(f"audio block has {got} channels, detector was built for {channels}")
    return a


def as_block(x: np.ndarray, channels: int | None = None) -> np.ndarray:
    """Return ``x`` as a float64 ``(channels, samples)`` array in 16-bit linear units.

    Accepts int16 or float arrays (floats are taken to be in 16-bit units already).  A 1-D
    array is one channel.  Raises ``ValueError`` on a wrong shape, dtype or channel count (see
    :func:`check_block`).
    """
    a = check_block(x, channels)
    if a.ndim == 1:
        a = a[np.newaxis, :]
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
