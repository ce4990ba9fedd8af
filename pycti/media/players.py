"""Players: int16 buffers played into channels' outbound audio, mixed in as one batch per tick.

Every buffer being played lives in one int16 *arena*; each active player is a row in a set of
parallel arrays (channel, arena offset, length, position, loop flag).  One tick of all players
is then a handful of numpy operations: build the ``(players, frame)`` index array, gather from the
arena, zero what lies past the end of non-looping buffers, add into the outbound frames, clip.

A read-only buffer (``buf.flags.writeable`` false) is stored once however many players share
it, so a busy tone or music on hold played on hundreds of channels costs its length once.  A
writable buffer is copied at ``add`` time, so the caller may reuse it.  The arena is compacted
when more than half of it holds buffers no player uses any more.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

__all__ = ["PlayHandle", "PlayDone", "PlayerBank"]

_INT16_MIN = -32768
_INT16_MAX = 32767
_MIN_ARENA_SAMPLES = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayHandle:
    """A started play: ``handle_id`` is unique in its media plane; ``length_samples`` at 8 kHz."""

    handle_id: int
    channel: int
    length_samples: int
    loop: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayDone:
    """A play ended on ``channel``.

    ``sample`` is the media plane's sample index (since the plane started) just after the last
    sample played.  ``reason`` is ``"completed"`` (the buffer ran out), ``"stopped"``
    (``stop_playing``) or ``"replaced"`` (a later ``play`` with ``replace=True``).
    """

    channel: int
    handle_id: int
    sample: int
    reason: str


@dataclass(slots=True)
class _Segment:
    offset: int
    length: int
    refs: int
    key: int | None  # id() of a shared read-only source buffer, else None
    source: np.ndarray | None  # keeps that buffer alive so its id() stays unique


def _clip16(acc: np.ndarray) -> None:
    """Clip int32 ``acc`` to the int16 range in place (as ``np.clip``, with less overhead)."""
    np.maximum(acc, _INT16_MIN, out=acc)
    np.minimum(acc, _INT16_MAX, out=acc)


class PlayerBank:
    """All active players of a media plane of ``channels`` channels."""

    def __init__(self, channels: int, frame_samples: int) -> None:
        self.channels = int(channels)
        self.frame_samples = int(frame_samples)
        self._ramp = np.arange(self.frame_samples, dtype=np.int64)
        self._arena = np.zeros(_MIN_ARENA_SAMPLES + self.frame_samples, dtype=np.int16)
        self._used = 0
        self._dead = 0
        self._segments: dict[int, _Segment] = {}
        self._shared: dict[int, int] = {}  # id(read-only buffer) -> segment id
        self._ids = itertools.count(1)
        self._seg_ids = itertools.count(1)
        # One row per active player.
        self._handle = np.zeros(0, dtype=np.int64)
        self._chan = np.zeros(0, dtype=np.intp)
        self._seg = np.zeros(0, dtype=np.int64)
        self._off = np.zeros(0, dtype=np.int64)
        self._len = np.zeros(0, dtype=np.int64)
        self._pos = np.zeros(0, dtype=np.int64)
        self._loop = np.zeros(0, dtype=bool)
        self._unique_channels = True  #: no channel has two players (mix adds without np.add.at)
        self._players_on: dict[int, int] = {}  #: channel -> how many players it has
        self._doubled = 0  #: channels with more than one player
        self._pending: list[PlayDone] = []
        self._windows: tuple[np.ndarray, np.ndarray] | None = None  # (arena, its frame windows)

    def __len__(self) -> int:
        return int(self._handle.size)

    @property
    def stored_samples(self) -> int:
        """Samples of audio held for the active players (a shared buffer counts once)."""
        return sum(seg.length for seg in self._segments.values())

    def is_playing(self, channel: int) -> bool:
        """Whether any player is active on ``channel``."""
        return bool(np.any(self._chan == channel))

    # -- arena -------------------------------------------------------------------------------
    def _store(self, samples: np.ndarray) -> int:
        shared = not samples.flags.writeable
        if shared:
            sid = self._shared.get(id(samples))
            if sid is not None:
                self._segments[sid].refs += 1
                return sid
        n = samples.size
        if self._used + n + self.frame_samples > self._arena.size:
            self._compact(extra=n)
        self._arena[self._used : self._used + n] = samples
        sid = next(self._seg_ids)
        self._segments[sid] = _Segment(
            self._used, n, 1, id(samples) if shared else None, samples if shared else None
        )
        if shared:
            self._shared[id(samples)] = sid
        self._used += n
        return sid

    def _release(self, seg_ids: np.ndarray) -> None:
        for sid in seg_ids.tolist():
            seg = self._segments[sid]
            seg.refs -= 1
            if seg.refs == 0:
                del self._segments[sid]
                if seg.key is not None:
                    del self._shared[seg.key]
                self._dead += seg.length

    def _compact(self, extra: int = 0) -> None:
        live = self._used - self._dead
        size = max(_MIN_ARENA_SAMPLES, 2 * (live + extra)) + self.frame_samples
        arena = np.empty(size, dtype=np.int16)
        at = 0
        for seg in self._segments.values():
            arena[at : at + seg.length] = self._arena[seg.offset : seg.offset + seg.length]
            seg.offset = at
            at += seg.length
        self._arena, self._used, self._dead = arena, at, 0
        if self._seg.size:
            self._off = np.fromiter(
                (self._segments[s].offset for s in self._seg.tolist()), dtype=np.int64, count=self._seg.size
            )

    # -- players -----------------------------------------------------------------------------
    def add(self, channel: int, samples: np.ndarray, *, loop: bool) -> PlayHandle:
        """Start playing ``samples`` (1-D int16, non-empty) on ``channel``; return its handle."""
        if samples.size == 0:
            raise ValueError("cannot play an empty buffer")
        sid = self._store(samples)
        seg = self._segments[sid]
        hid = next(self._ids)
        self._handle = np.append(self._handle, hid)
        self._chan = np.append(self._chan, channel)
        self._seg = np.append(self._seg, sid)
        self._off = np.append(self._off, seg.offset)
        self._len = np.append(self._len, seg.length)
        self._pos = np.append(self._pos, 0)
        self._loop = np.append(self._loop, bool(loop))
        count = self._players_on.get(channel, 0) + 1
        self._players_on[channel] = count
        if count == 2:
            self._doubled += 1
        self._unique_channels = self._doubled == 0
        return PlayHandle(handle_id=hid, channel=channel, length_samples=seg.length, loop=bool(loop))

    def _drop(self, rows: np.ndarray, *, reason: str, end_samples: np.ndarray) -> None:
        """Remove the players selected by boolean mask ``rows``, queueing their PlayDone events."""
        if not rows.any():
            return
        for ch, hid, at in zip(
            self._chan[rows].tolist(), self._handle[rows].tolist(), end_samples.tolist(), strict=True
        ):
            self._pending.append(PlayDone(channel=ch, handle_id=hid, sample=at, reason=reason))
            count = self._players_on[ch] - 1
            if count:
                self._players_on[ch] = count
            else:
                del self._players_on[ch]
            if count == 1:
                self._doubled -= 1
        self._release(self._seg[rows])
        keep = ~rows
        self._handle, self._chan, self._seg = self._handle[keep], self._chan[keep], self._seg[keep]
        self._off, self._len, self._pos = self._off[keep], self._len[keep], self._pos[keep]
        self._loop = self._loop[keep]
        self._unique_channels = self._doubled == 0
        if self._dead > _MIN_ARENA_SAMPLES and 2 * self._dead > self._used:
            self._compact()

    def stop(self, *, channel: int | None = None, handle_id: int | None = None, reason: str, at_sample: int) -> int:
        """Stop the players on ``channel`` and/or with ``handle_id``; return how many stopped."""
        rows = np.ones(self._handle.size, dtype=bool)
        if channel is not None:
            rows &= self._chan == channel
        if handle_id is not None:
            rows &= self._handle == handle_id
        n = int(rows.sum())
        self._drop(rows, reason=reason, end_samples=np.full(n, at_sample, dtype=np.int64))
        return n

    def mix(self, out: np.ndarray, start_sample: int) -> list[PlayDone]:
        """Add one frame of every player into ``out`` (int16, clipped) and advance them.

        ``start_sample`` is the plane sample index of this frame's first sample.  Returns the
        PlayDone events of players that completed in this frame and of players stopped since
        the previous call.
        """
        if self._handle.size:
            n = self.frame_samples
            pos, length = self._pos, self._len
            # Every frame as one contiguous window of the arena (rows = players); the arena is
            # padded by a frame so the window of the last buffer never runs off its end.
            windows = self._frame_windows()
            frames = windows[self._off + pos]
            crossing = (pos + n >= length).nonzero()[0]  # 1-D: flatnonzero without its wrapper
            if crossing.size:  # rows looping back to the start or running out: fix them up
                p = pos[crossing, None] + self._ramp
                seg_len = length[crossing, None]
                loops = self._loop[crossing, None]
                wrapped = np.where(loops, p % seg_len, np.minimum(p, seg_len - 1))
                frames[crossing] = self._arena[self._off[crossing, None] + wrapped] * (loops | (p < seg_len))
            if self._unique_channels:
                acc = out[self._chan].astype(np.int32)
                acc += frames
                _clip16(acc)
                out[self._chan] = acc
            else:
                uniq, inv = np.unique(self._chan, return_inverse=True)
                acc = out[uniq].astype(np.int32)
                np.add.at(acc, inv, frames)
                _clip16(acc)
                out[uniq] = acc
            self._pos = pos + n
            if crossing.size:
                looped = crossing[self._loop[crossing]]
                self._pos[looped] %= length[looped]
                done = np.zeros(pos.size, dtype=bool)
                done[crossing[~self._loop[crossing]]] = True
                self._drop(done, reason="completed", end_samples=start_sample + length[done] - pos[done])
        return self.drain_events()

    def _frame_windows(self) -> np.ndarray:
        """Every frame-long window of the arena, one per start offset (a read-only view, made
        again only when the arena is replaced)."""
        if self._windows is None or self._windows[0] is not self._arena:
            self._windows = (self._arena, np.lib.stride_tricks.sliding_window_view(self._arena, self.frame_samples))
        return self._windows[1]

    def drain_events(self) -> list[PlayDone]:
        """The PlayDone events queued since the last call (by stops and completions)."""
        events, self._pending = self._pending, []
        return events
