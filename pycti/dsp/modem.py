"""What every data modem of pycti.dsp has in common: its events and its two halves.

Fax (ITU-T T.30) drives its modems half duplex and bit by bit: V.21 channel 2 carries the HDLC
control frames, V.27ter, V.29 and V.17 carry the training check (TCF) and the page data.  Each
modem here is a pair of objects with the same shape, so the fax terminal wires any of them the
same way:

- a :class:`ModemTransmitter` takes data bits (``write_bits``), is told when no more will come
  (``finish``), and is pulled for audio (``generate(n)``: ``n`` int16 samples at 8000 Hz).  It
  sends its training (if the modem has one) before the first data bit, its end-of-transmission
  after the last, and silence once ``done``;
- a :class:`ModemReceiver` is pushed audio (``process(samples)``) and returns the data bits it
  recovered from that audio with the :class:`ModemEvent` s that happened in it, each stamped with
  the index of the sample (counted from the receiver's start or last ``reset``) where it
  happened.  Any split of the same audio into blocks gives the same bits and events.

Bits are ``numpy.uint8`` arrays of 0 and 1 in transmission order (T.30 sends each octet least
significant bit first; framing is the caller's business, see :mod:`pycti.dsp.hdlc`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "Bits",
    "CarrierDown",
    "CarrierUp",
    "ModemEvent",
    "ModemReceiver",
    "ModemTransmitter",
    "RxResult",
    "TrainingFailed",
    "Trained",
    "as_bits",
]

#: A bit stream: ``uint8`` values 0 or 1, first bit sent first.
Bits: TypeAlias = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class CarrierUp:
    """The receiver's carrier detector turned on at ``sample``."""

    sample: int


@dataclass(frozen=True)
class CarrierDown:
    """The receiver's carrier detector turned off at ``sample`` (end of the transmission, or
    the line dropped it)."""

    sample: int


@dataclass(frozen=True)
class Trained:
    """The receiver recognised the training sequence and its equalizer converged at
    ``sample``; the bits that follow are data at ``rate_bps``."""

    sample: int
    rate_bps: int


@dataclass(frozen=True)
class TrainingFailed:
    """A carrier came but its training did not succeed (``reason`` says how)."""

    sample: int
    reason: str


ModemEvent: TypeAlias = CarrierUp | CarrierDown | Trained | TrainingFailed


def _no_bits() -> Bits:
    return np.zeros(0, dtype=np.uint8)


@dataclass(frozen=True)
class RxResult:
    """What one :meth:`ModemReceiver.process` call recovered."""

    bits: Bits = field(default_factory=_no_bits)
    events: tuple[ModemEvent, ...] = ()


def as_bits(values: npt.ArrayLike) -> Bits:
    """``values`` as a 1-D bit array, checked: every value must be 0 or 1."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"bits must be a 1-D sequence, got shape {arr.shape}")
    if arr.size and (arr.dtype.kind not in "biu" or arr.min() < 0 or arr.max() > 1):
        raise ValueError("bits must be 0 or 1")
    return arr.astype(np.uint8, copy=False)


@runtime_checkable
class ModemTransmitter(Protocol):
    """The sending half of a modem (see the module docstring)."""

    def write_bits(self, bits: npt.ArrayLike) -> None:
        """Queue data bits to send after those already queued."""

    def finish(self) -> None:
        """No more bits will be written: end the transmission after the queued ones."""

    def generate(self, n: int) -> npt.NDArray[np.int16]:
        """The next ``n`` samples of line signal (silence once :attr:`done`)."""

    @property
    def done(self) -> bool:
        """True once the transmission, end sequence included, has been generated."""


@runtime_checkable
class ModemReceiver(Protocol):
    """The receiving half of a modem (see the module docstring)."""

    def process(self, samples: npt.NDArray[np.int16]) -> RxResult:
        """Demodulate the next block of line signal."""

    def reset(self) -> None:
        """Forget everything (carrier, training, sample count): ready for a new transmission."""
