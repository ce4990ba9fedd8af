"""Frame taps: a program that talks on one channel, frame by frame, in lock-step.

Some media work is a conversation rather than a recording or a prompt: a fax terminal, a
modem, an answering-machine detector that plays a beep.  A *tap* (:class:`FrameTap`) is such a
program attached to one channel of the media plane: every tick it is handed the frame the
channel received (the far party's audio) and returns the frame the channel sends instead of its
group's audio and players -- one in, one out, 160 samples at 8 kHz, so a tap sees exactly what
it would see on a line.  It is detached when it says it is :attr:`FrameTap.done`, when it is
detached by hand, or when its ``process`` raises: then a :class:`TapDone` event carries the
error and the other channels go on untouched.

A channel has at most one tap.  The cost is one Python call per tap per tick.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from ..errors import AudioFormatError

__all__ = ["FrameTap", "TapBank", "TapDone", "TapHandle"]


@runtime_checkable
class FrameTap(Protocol):
    """A lock-step frame program (see the module docstring)."""

    def process(self, rx: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """Take the frame the channel received; return the frame it sends (same length)."""

    @property
    def done(self) -> bool:
        """True once the tap has nothing more to say: it is then detached."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TapHandle:
    """An attached tap: ``handle_id`` is unique in its media plane."""

    handle_id: int
    channel: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TapDone:
    """A tap left ``channel`` at plane sample ``sample``: ``reason`` is ``"done"``,
    ``"detached"`` or ``"failed"`` (then ``error`` says why)."""

    channel: int
    handle_id: int
    sample: int
    reason: str
    error: str | None = None


class TapBank:
    """The taps of a media plane."""

    def __init__(self, channels: int, frame_samples: int) -> None:
        self._channels, self._n = channels, frame_samples
        self._taps: dict[int, tuple[int, FrameTap]] = {}  # channel -> (handle id, tap)
        self._ids = itertools.count(1)
        self._events: list[TapDone] = []

    def __len__(self) -> int:
        return len(self._taps)

    def idle(self) -> bool:
        """No tap attached and no event waiting: the tick can skip the bank."""
        return not self._taps and not self._events

    def attach(self, channel: int, tap: FrameTap) -> TapHandle:
        """Attach ``tap`` to ``channel`` from the next tick on."""
        if not isinstance(tap, FrameTap):
            raise TypeError(f"a tap needs process(rx) and done, got {type(tap).__name__}")
        if channel in self._taps:
            raise ValueError(f"channel {channel} already has a tap")
        handle = TapHandle(handle_id=next(self._ids), channel=channel)
        self._taps[channel] = (handle.handle_id, tap)
        return handle

    def detach(self, handle: TapHandle, at_sample: int) -> bool:
        """Detach a tap (``TapDone`` reason ``"detached"``); False if it was gone already."""
        entry = self._taps.get(handle.channel)
        if entry is None or entry[0] != handle.handle_id:
            return False
        del self._taps[handle.channel]
        self._events.append(TapDone(channel=handle.channel, handle_id=handle.handle_id, sample=at_sample,
                                    reason="detached"))
        return True

    def apply(self, inbound: np.ndarray, out: np.ndarray, start_sample: int) -> list[TapDone]:
        """Run every tap on its channel's inbound frame, writing its answer into ``out``."""
        events, self._events = self._events, []
        end = start_sample + self._n
        for channel, (handle_id, tap) in list(self._taps.items()):
            try:
                tx = np.asarray(tap.process(inbound[channel]))
                if tx.shape != (self._n,):
                    raise AudioFormatError(f"tap returned shape {tx.shape}, expected ({self._n},)")
                out[channel] = tx
                finished = bool(tap.done)
            except Exception as exc:  # one tap's failure leaves the others and the tick alone
                del self._taps[channel]
                events.append(TapDone(channel=channel, handle_id=handle_id, sample=end, reason="failed",
                                      error=f"{type(exc).__name__}: {exc}"))
                continue
            if finished:
                del self._taps[channel]
                events.append(TapDone(channel=channel, handle_id=handle_id, sample=end, reason="done"))
        return events

    def close(self, at_sample: int) -> list[TapDone]:
        """Detach every tap."""
        for channel, (handle_id, _) in list(self._taps.items()):
            self._events.append(TapDone(channel=channel, handle_id=handle_id, sample=at_sample, reason="detached"))
        self._taps.clear()
        events, self._events = self._events, []
        return events
