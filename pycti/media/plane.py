"""The media plane of the soft switch: one batched numpy step per 20 ms tick for all channels.

Each :meth:`MediaPlane.tick` takes the inbound frames of every channel as one int16
``(channels, frame_samples)`` array and, without per-channel Python work:

1. routes audio between the parties of each group (bridges: one index gather; conferences: one
   grouped sum minus self, clipped to int16) -- see :mod:`pycti.media.mixer`;
2. mixes every active player and tone generator into its channel's outbound frame -- see
   :mod:`pycti.media.players`;
3. appends the inbound audio of recorded channels to their WAV files -- see
   :mod:`pycti.media.recorder`;
4. runs the pluggable detectors (any object with ``process(block) -> list[event]``) on the whole
   inbound array or on a channel subset; a *gated* detector runs only on the channels enabled
   for it now (those where its events can matter: a port in a call ...), packed into banks of
   a few channels, a bank with no enabled channel costing nothing; a channel enabled again is
   reset first (``reset_channels``), so it detects from then on as a new detector would;

and returns the outbound array with the tick's events.  Channels are indices ``0..channels-1``;
the switch core maps them to devices.  All sample positions in events count samples since the
plane's first tick.
"""

from __future__ import annotations

import dataclasses
import heapq
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from pycti.dsp._base import FS_HZ, check_fs
from pycti.errors import AudioFormatError
from pycti.media.mixer import Router
from pycti.media.players import PlayDone, PlayerBank, PlayHandle
from pycti.media.recorder import Recorder, RecorderBank, RecordingFailed
from pycti.media.taps import FrameTap, TapBank, TapHandle

__all__ = [
    "FRAME_SAMPLES",
    "EventDetector",
    "DetectorFailed",
    "TickResult",
    "MediaPlane",
    "PlayHandle",
    "PlayDone",
    "Recorder",
    "RecordingFailed",
]

#: Samples per 20 ms tick at 8 kHz.
FRAME_SAMPLES = 160


@runtime_checkable
class EventDetector(Protocol):
    """What the media plane needs from a detector (``DtmfDetector``, ``ProgressToneDetector`` ...).

    ``process`` takes an int16 ``(channels, samples)`` block -- the channels the detector was
    added for, in that order -- and returns events whose ``channel`` field indexes that block.
    """

    def process(self, block: np.ndarray) -> list[Any]: ...


@runtime_checkable
class ResettableDetector(EventDetector, Protocol):
    """A detector whose channels can be started afresh one by one (``DtmfDetector``)."""

    def reset_channels(self, channels: np.ndarray) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorFailed:
    """Detector ``name`` raised ``error`` while processing the tick at ``sample``; it was removed."""

    name: str
    sample: int
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TickResult:
    """One tick's output.

    ``outbound`` is int16 ``(channels, frame_samples)``: what each channel's party hears.
    ``events`` holds the detectors' events (channels as plane indices, sample positions on the
    plane's timeline) followed by :class:`PlayDone`, :class:`RecordingFailed` and
    :class:`DetectorFailed` events.  ``start_sample`` is the plane sample index of the frame's
    first sample.
    """

    outbound: np.ndarray
    events: list[Any]
    start_sample: int


@dataclass(slots=True)
class _DetectorSlot:
    detector: EventDetector
    channels: np.ndarray | None  # plane indices of the detector's channels, None = all
    offset_samples: int  # plane sample at which the detector saw its first sample


class _GatedDetector:
    """A detector kept for ``allowed`` channels but run only on those enabled now.

    Enabled channels occupy slots of banks of ``bank_channels`` rows (the lowest free slot
    first, so the enabled channels pack into few banks); each bank is one detector built by
    ``factory(bank_channels)``, run on a tick only when one of its slots is taken, its free
    slots fed silence.  A channel taking a slot has that row reset; a freed slot's events are
    dropped (nothing can matter there).  Sample positions: a bank's own count plus the plane
    samples it skipped while empty.
    """

    def __init__(self, factory: Callable[[int], ResettableDetector], allowed: np.ndarray,
                 bank_channels: int) -> None:
        self.factory = factory
        self.allowed = frozenset(int(c) for c in allowed)
        self.size = bank_channels
        n_banks = -(-len(self.allowed) // bank_channels)
        self.banks: list[ResettableDetector | None] = [None] * n_banks
        self.seen = [0] * n_banks  # samples each bank has processed
        self.slots = np.full((n_banks, bank_channels), -1, dtype=np.intp)  # plane channel per slot
        self.taken = [0] * n_banks
        self.slot_of: dict[int, int] = {}  # plane channel -> flat slot index
        self.free = list(range(n_banks * bank_channels))  # a heap: lowest slot first
        self.gather: list[tuple[np.ndarray, np.ndarray] | None] = [None] * n_banks  # rows, free slots

    def set_enabled(self, channels: Collection[int]) -> None:
        wanted = set(channels)
        if wanted == self.slot_of.keys():
            return
        for ch in [c for c in self.slot_of if c not in wanted]:
            flat = self.slot_of.pop(ch)
            b, row = divmod(flat, self.size)
            self.slots[b, row] = -1
            self.taken[b] -= 1
            self.gather[b] = None
            heapq.heappush(self.free, flat)
        fresh: dict[int, list[int]] = {}
        for ch in sorted(wanted.difference(self.slot_of)):
            flat = heapq.heappop(self.free)
            b, row = divmod(flat, self.size)
            self.slot_of[ch] = flat
            self.slots[b, row] = ch
            self.taken[b] += 1
            self.gather[b] = None
            fresh.setdefault(b, []).append(row)
        for b, rows in fresh.items():
            bank = self.banks[b]
            if bank is None:
                self.banks[b] = self.factory(self.size)
            else:
                bank.reset_channels(np.asarray(rows, dtype=np.intp))

    def process(self, inbound: np.ndarray, start_sample: int) -> list[Any]:
        events: list[Any] = []
        for b, bank in enumerate(self.banks):
            if bank is None or not self.taken[b]:
                continue
            slots = self.slots[b]
            gather = self.gather[b]
            if gather is None:
                gather = self.gather[b] = (np.maximum(slots, 0), np.flatnonzero(slots < 0))
            block = inbound[gather[0]]
            if gather[1].size:
                block[gather[1]] = 0
            shift = start_sample - self.seen[b]
            self.seen[b] += inbound.shape[1]
            events.extend(self._mapped(bank.process(block), slots, shift))
        return events

    def flush(self, at_sample: int) -> list[Any]:
        events: list[Any] = []
        for b, bank in enumerate(self.banks):
            flush = getattr(bank, "flush", None)
            if bank is not None and self.taken[b] and callable(flush):
                events.extend(self._mapped(flush(), self.slots[b], at_sample - self.seen[b]))
        return events

    @staticmethod
    def _mapped(found: list[Any], slots: np.ndarray, shift: int) -> list[Any]:
        out = []
        for ev in found:
            ch = int(slots[ev.channel])
            if ch >= 0:
                out.append(_remap(ev, slots, shift))
        return out


class MediaPlane:
    """The media engine of a switch with ``channels`` channels.

    ``record_flush_ms`` bounds what a crash can lose from a recording (default 1 s); it must be
    a multiple of the frame duration (20 ms).
    """

    def __init__(
        self,
        channels: int,
        *,
        frame_samples: int = FRAME_SAMPLES,
        fs_hz: int = FS_HZ,
        record_flush_ms: int = 1000,
    ) -> None:
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels!r}")
        if frame_samples < 1:
            raise ValueError(f"frame_samples must be >= 1, got {frame_samples!r}")
        self.fs_hz = check_fs(fs_hz)
        self.channels = int(channels)
        self.frame_samples = int(frame_samples)
        frame_ms = 1000 * self.frame_samples / self.fs_hz
        flush_ticks = record_flush_ms / frame_ms
        if flush_ticks < 1 or flush_ticks != int(flush_ticks):
            raise ValueError(f"record_flush_ms must be a positive multiple of {frame_ms:g} ms, got {record_flush_ms!r}")
        self._router = Router(self.channels)
        self._players = PlayerBank(self.channels, self.frame_samples)
        self._recorders = RecorderBank(self.channels, self.frame_samples, fs_hz=self.fs_hz, flush_ticks=int(flush_ticks))
        self._detectors: dict[str, _DetectorSlot] = {}
        self._gated: dict[str, _GatedDetector] = {}
        self._taps = TapBank(self.channels, self.frame_samples)
        self._sample = 0

    # -- state -------------------------------------------------------------------------------
    @property
    def sample(self) -> int:
        """Plane sample index of the next tick's first sample (= samples processed so far)."""
        return self._sample

    def _check_channel(self, channel: int) -> int:
        c = int(channel)
        if not 0 <= c < self.channels:
            raise ValueError(f"channel {channel!r} out of range 0..{self.channels - 1}")
        return c

    # -- routing -----------------------------------------------------------------------------
    def set_parties(self, group_id: str, channels: Sequence[int],
                    listeners: Mapping[int, int | None] | None = None) -> None:
        """Make ``channels`` hear each other as group ``group_id`` from the next tick on.

        0 or 1 channel: nobody hears anybody; 2: a bridge; 3 or more: a conference in which each
        hears the int16-clipped sum of the others.  ``listeners``: members who only listen
        (monitoring), mapped to the one member who hears them (whisper) or None.  A second call
        replaces the members; ``()`` removes the group.  ``ValueError`` (nothing changed) if a
        channel is in another group.
        """
        self._router.set_parties(group_id, channels, listeners)

    def listeners_of(self, group_id: str) -> Mapping[int, int | None]:
        """The listening members of group ``group_id`` and who hears each (None: nobody)."""
        return self._router.listeners_of(group_id)

    def group_of(self, channel: int) -> str | None:
        """The group ``channel`` is in, or ``None``."""
        return self._router.group_of(channel)

    # -- players -----------------------------------------------------------------------------
    def play(self, channel: int, samples: np.ndarray, *, loop: bool = False, replace: bool = True) -> PlayHandle:
        """Play int16 8 kHz ``samples`` to ``channel`` from the next tick on, over its group audio.

        ``replace`` stops what is already playing on the channel (``PlayDone`` reason
        ``"replaced"``); otherwise the players are summed.  A non-looping play ends with a
        ``PlayDone`` event of reason ``"completed"``.  A read-only buffer is shared, not copied.
        """
        c = self._check_channel(channel)
        buf = np.asarray(samples)
        if buf.ndim != 1 or buf.dtype != np.int16:
            raise AudioFormatError(f"play: need 1-D int16 samples at {self.fs_hz} Hz, got {buf.dtype} {buf.shape}")
        if buf.size == 0:
            raise AudioFormatError("play: empty buffer")
        if replace:
            self._players.stop(channel=c, reason="replaced", at_sample=self._sample)
        return self._players.add(c, buf, loop=loop)

    def play_file(
        self, channel: int, path: str | os.PathLike[str], *, loop: bool = False, replace: bool = True
    ) -> PlayHandle:
        """Play a WAV file (read with :func:`pycti.dsp.audiofile.read_audio`) to ``channel``.

        A file that is not 8 kHz mono audio raises :class:`AudioFormatError` naming the file;
        a missing file raises ``OSError``.  Nothing is changed in either case.
        """
        from pycti.dsp.audiofile import read_audio

        c = self._check_channel(channel)
        try:
            samples = read_audio(path)
        except AudioFormatError as exc:
            if os.fspath(path) in str(exc):
                raise
            raise AudioFormatError(f"{os.fspath(path)}: {exc}") from exc
        return self.play(c, samples, loop=loop, replace=replace)

    def send_digits(
        self, channel: int, digits: str, *, on_ms: int = 80, off_ms: int = 80, level_dbm0: float = -10.0
    ) -> PlayHandle:
        """Send DTMF ``digits`` (``0-9*#A-D``) to ``channel``, mixed over what it hears."""
        from pycti.dsp.dtmf import dtmf_tones

        c = self._check_channel(channel)
        tones = dtmf_tones(digits, on_ms=on_ms, off_ms=off_ms, level_dbm0=level_dbm0, fs_hz=self.fs_hz)
        return self.play(c, np.asarray(tones, dtype=np.int16), replace=False)

    def send_tone(self, channel: int, samples: np.ndarray, *, loop: bool = True) -> PlayHandle:
        """Play a generated tone (busy, ringback, music on hold ...) to ``channel``, replacing
        whatever played there; looped by default.  Pass a read-only array to share one copy."""
        return self.play(channel, samples, loop=loop, replace=True)

    def stop_playing(self, channel: int) -> int:
        """Stop every player on ``channel`` (``PlayDone`` reason ``"stopped"``); return how many."""
        return self._players.stop(channel=self._check_channel(channel), reason="stopped", at_sample=self._sample)

    def stop_play(self, handle: PlayHandle) -> bool:
        """Stop one play (``PlayDone`` reason ``"stopped"``); ``False`` if it had already ended."""
        return self._players.stop(handle_id=handle.handle_id, reason="stopped", at_sample=self._sample) > 0

    def is_playing(self, channel: int) -> bool:
        """Whether anything is playing to ``channel``."""
        return self._players.is_playing(self._check_channel(channel))

    # -- recorders ---------------------------------------------------------------------------
    def record(self, channels: Sequence[int], path: str | os.PathLike[str]) -> Recorder:
        """Record what each of ``channels`` sends (its inbound audio) to a PCM16 WAV at ``path``.

        One WAV channel per plane channel, in the given order (a two-party call gives a stereo
        file).  Recording starts with the next tick; the file is valid at every moment.
        """
        return self._recorders.start(channels, path)

    def stop_recording(self, recorder: Recorder) -> None:
        """Write the rest of ``recorder``'s audio and close its file (idempotent)."""
        self._recorders.stop(recorder)

    def pause_recording(self, recorder: Recorder, paused: bool = True) -> None:
        """Pause or resume ``recorder`` (nothing is written while paused)."""
        self._recorders.pause(recorder, paused)

    def flush_recording(self, recorder: Recorder) -> None:
        """Write ``recorder``'s buffered audio now rather than at its next periodic flush."""
        self._recorders.flush(recorder)

    # -- detectors ---------------------------------------------------------------------------
    def add_detector(self, name: str, detector: EventDetector, channels: Sequence[int] | None = None) -> None:
        """Run ``detector`` every tick on all channels, or on ``channels`` (in that order).

        The detector must have been built for that many channels.  Its events come back from
        :meth:`tick` with ``channel`` mapped to plane indices and ``start_sample``/``end_sample``
        shifted onto the plane's timeline.  ``ValueError`` if ``name`` is taken.
        """
        if name in self._detectors:
            raise ValueError(f"a detector named {name!r} is already installed")
        if not callable(getattr(detector, "process", None)):
            raise TypeError(f"detector {name!r} has no process(block) method")
        idx = None
        if channels is not None:
            idx = np.fromiter((self._check_channel(c) for c in channels), dtype=np.intp)
            if idx.size == 0:
                raise ValueError(f"detector {name!r}: empty channel list")
        self._detectors[name] = _DetectorSlot(detector, idx, self._sample)

    def add_gated_detector(self, name: str, factory: Callable[[int], ResettableDetector],
                           channels: Sequence[int], *, bank_channels: int = 32) -> None:
        """Keep a detector for ``channels`` that runs only on those of them enabled with
        :meth:`set_detector_channels` (none at first).

        ``factory(n)`` builds an ``n``-channel detector with ``process`` and
        ``reset_channels``; the plane builds banks of ``bank_channels`` as channels are
        enabled.  A channel enabled again after a tick without it is reset first, so it
        detects from then on as a new detector would: what it heard before is forgotten, a
        tone begun before is judged on its part after.  Events come back as from
        :meth:`add_detector`.  ``ValueError`` if ``name`` is taken, ``channels`` is empty or
        ``bank_channels`` < 1.
        """
        if name in self._detectors or name in self._gated:
            raise ValueError(f"a detector named {name!r} is already installed")
        if bank_channels < 1:
            raise ValueError(f"bank_channels must be >= 1, got {bank_channels!r}")
        idx = np.fromiter((self._check_channel(c) for c in channels), dtype=np.intp)
        if idx.size == 0:
            raise ValueError(f"detector {name!r}: empty channel list")
        self._gated[name] = _GatedDetector(factory, idx, bank_channels)

    def set_detector_channels(self, name: str, channels: Collection[int]) -> None:
        """Run gated detector ``name`` from the next tick on ``channels`` only (plane indices,
        each one of those it was added for; ``ValueError`` names one that is not, ``KeyError``
        an unknown detector)."""
        gated = self._gated[name]
        stray = [c for c in channels if c not in gated.allowed]
        if stray:
            raise ValueError(f"detector {name!r} was not added for channels {sorted(stray)}")
        gated.set_enabled(channels)

    def detector_channels(self, name: str) -> frozenset[int]:
        """The channels gated detector ``name`` runs on now."""
        return frozenset(self._gated[name].slot_of)

    def remove_detector(self, name: str) -> EventDetector:
        """Uninstall and return detector ``name`` (``KeyError`` if absent)."""
        return self._detectors.pop(name).detector

    def _run_detectors(self, inbound: np.ndarray, start_sample: int) -> list[Any]:
        events: list[Any] = []
        for name, gated in list(self._gated.items()):
            try:
                events.extend(gated.process(inbound, start_sample))
            except Exception as exc:  # noqa: BLE001 - reported as an event, the others carry on
                del self._gated[name]
                events.append(DetectorFailed(name=name, sample=start_sample, error=f"{type(exc).__name__}: {exc}"))
        for name, slot in list(self._detectors.items()):
            block = inbound if slot.channels is None else inbound[slot.channels]
            try:
                found = slot.detector.process(block)
            except Exception as exc:  # noqa: BLE001 - reported as an event, the others carry on
                del self._detectors[name]
                events.append(DetectorFailed(name=name, sample=start_sample, error=f"{type(exc).__name__}: {exc}"))
                continue
            if found and (slot.channels is not None or slot.offset_samples):
                found = [_remap(ev, slot.channels, slot.offset_samples) for ev in found]
            events.extend(found)
        return events

    # -- taps ----------------------------------------------------------------------------------
    def attach_tap(self, channel: int, tap: FrameTap) -> TapHandle:
        """Let ``tap`` talk on ``channel`` from the next tick on (see :mod:`pycti.media.taps`):
        it hears the channel's inbound frames and its frames replace what the channel sends."""
        return self._taps.attach(self._check_channel(channel), tap)

    def detach_tap(self, handle: TapHandle) -> bool:
        """Take a tap off its channel (``TapDone`` reason ``"detached"`` at the next tick)."""
        return self._taps.detach(handle, self._sample)

    # -- the tick ----------------------------------------------------------------------------
    def tick(self, inbound: np.ndarray) -> TickResult:
        """Process one frame of every channel; return the outbound frames and the events."""
        frame = np.asarray(inbound)
        shape = (self.channels, self.frame_samples)
        if frame.shape != shape or frame.dtype != np.int16:
            raise AudioFormatError(f"tick: inbound must be int16 {shape}, got {frame.dtype} {frame.shape}")
        start = self._sample
        out = self._router.route(frame)
        events = self._run_detectors(frame, start)
        events.extend(self._players.mix(out, start))
        if not self._taps.idle():
            events.extend(self._taps.apply(frame, out, start))
        events.extend(self._recorders.capture(frame))
        self._sample = start + self.frame_samples
        return TickResult(outbound=out, events=events, start_sample=start)

    def close(self) -> list[Any]:
        """End the plane: complete and close every recording, stop every player, and flush the
        detectors that have a ``flush()`` method.  Returns the detectors' final events (a digit
        still held when the audio stops) and the players' ``PlayDone`` events."""
        events: list[Any] = []
        for slot in self._detectors.values():
            flush = getattr(slot.detector, "flush", None)
            if callable(flush):
                events.extend(_remap(ev, slot.channels, slot.offset_samples) for ev in flush())
        for gated in self._gated.values():
            events.extend(gated.flush(self._sample))
        self._players.stop(reason="stopped", at_sample=self._sample)
        events.extend(self._players.drain_events())
        events.extend(self._taps.close(self._sample))
        self._recorders.close_all()
        return events

    def __enter__(self) -> MediaPlane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _remap(event: Any, channels: np.ndarray | None, offset_samples: int) -> Any:
    """``event`` with its channel as a plane index and its sample fields on the plane timeline."""
    if not dataclasses.is_dataclass(event) or isinstance(event, type):
        return event
    changes: dict[str, int] = {}
    if channels is not None and hasattr(event, "channel"):
        changes["channel"] = int(channels[event.channel])
    if offset_samples:
        for field in ("start_sample", "end_sample"):
            if hasattr(event, field):
                changes[field] = getattr(event, field) + offset_samples
    return dataclasses.replace(event, **changes) if changes else event
