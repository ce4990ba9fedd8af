"""Recorders: PCM16 8 kHz WAV files, one party per WAV channel, kept valid while they grow.

Each tick every active recorder's channels are gathered in one numpy operation per recorder
width (mono, stereo, ...) into a ring of ``flush_ticks`` frames per recorder.  A recorder writes
its ring to its file every ``flush_ticks`` ticks, the first time 1 to ``flush_ticks`` ticks
after its start depending on its id, so that recorders started on the same tick do not all
write on the same later tick.  Each write uses ``os.pwrite``: first the audio, then the 44-byte
header with the new RIFF and data sizes.  A process killed at any moment therefore
leaves a valid WAV holding everything flushed before it; at most ``flush_ticks`` ticks are lost.

A write error (disk full, file removed from a dying disk) closes that recorder and is reported
as a :class:`RecordingFailed` event; other channels and recorders carry on.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Recorder", "RecordingFailed", "RecorderBank", "wav_header"]

_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")
WAV_HEADER_BYTES = _HEADER.size  # 44


def wav_header(*, channels: int, fs_hz: int, data_bytes: int) -> bytes:
    """Canonical 44-byte RIFF/WAVE header for PCM16 (format tag 1) with ``data_bytes`` of audio."""
    block_align = 2 * channels
    return _HEADER.pack(
        b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, 1, channels, fs_hz,
        fs_hz * block_align, block_align, 16, b"data", data_bytes,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFailed:
    """Recorder ``recorder_id`` writing ``path`` failed with ``error`` and was closed.

    ``samples_written`` (per WAV channel) were written before the failure and remain valid.
    """

    recorder_id: int
    path: str
    samples_written: int
    error: str


class Recorder:
    """A running (or finished) recording of ``channels`` into ``path``.

    ``samples_written`` counts samples per WAV channel already in the file (flushed); the WAV
    header always describes exactly those.
    """

    __slots__ = ("recorder_id", "path", "channels", "samples_written", "closed", "paused", "_fd", "_bank", "_row")

    def __init__(self, recorder_id: int, path: Path, channels: tuple[int, ...], fd: int) -> None:
        self.recorder_id = recorder_id
        self.path = path
        self.channels = channels
        self.samples_written = 0
        self.closed = False
        self.paused = False
        self._fd = fd
        self._bank: _WidthBank | None = None
        self._row = -1

    def __repr__(self) -> str:
        state = "closed" if self.closed else "recording"
        return f"<Recorder {self.recorder_id} {self.path} channels={self.channels} {state}>"


class _WidthBank:
    """Recorders of one WAV channel count, stored as rows of shared arrays."""

    def __init__(self, width: int, flush_ticks: int, frame_samples: int) -> None:
        self.width = width
        self.flush_ticks = flush_ticks
        self.frame_samples = frame_samples
        self.idx = np.zeros((0, width), dtype=np.intp)
        self.ring = np.zeros((0, flush_ticks, frame_samples, width), dtype=np.int16)
        self.rows: list[Recorder | None] = []
        self.pending = np.zeros(0, dtype=np.int64)  # per row: ticks in the ring not yet written
        self.due_in = np.zeros(0, dtype=np.int64)  # per row: ticks until the row's next write
        self.active = np.zeros(0, dtype=np.intp)

    def add(self, rec: Recorder) -> None:
        try:
            row = self.rows.index(None)
        except ValueError:
            row = len(self.rows)
            cap = max(4, 2 * row)
            self.rows.extend([None] * (cap - row))
            self.idx = np.concatenate((self.idx, np.zeros((cap - row, self.width), dtype=np.intp)))
            grow = np.zeros((cap - row, self.flush_ticks, self.frame_samples, self.width), dtype=np.int16)
            self.ring = np.concatenate((self.ring, grow))
            self.pending = np.concatenate((self.pending, np.zeros(cap - row, dtype=np.int64)))
            self.due_in = np.concatenate((self.due_in, np.zeros(cap - row, dtype=np.int64)))
        self.rows[row] = rec
        self.pending[row] = 0
        # The first write comes 1..flush_ticks ticks in, by recorder id, so recorders started
        # together (a shift of agents logging in) spread their writes over different ticks.
        self.due_in[row] = 1 + rec.recorder_id % self.flush_ticks
        self.idx[row] = rec.channels
        rec._bank, rec._row = self, row
        self._reindex()

    def remove(self, rec: Recorder) -> None:
        self.rows[rec._row] = None
        self._reindex()

    def _reindex(self) -> None:
        self.active = np.fromiter((i for i, r in enumerate(self.rows) if r is not None), dtype=np.intp)

    def pending_audio(self, rec: Recorder, slot: int) -> bytes:
        """The frames of ``rec`` not yet written (ending at ring ``slot``), interleaved PCM16LE.

        Marks them written.
        """
        k = int(self.pending[rec._row])
        self.pending[rec._row] = 0
        order = (slot - k + 1 + np.arange(k)) % self.flush_ticks
        data: bytes = self.ring[rec._row, order].astype("<i2", copy=False).tobytes()
        return data


class RecorderBank:
    """All recorders of a media plane; ``capture`` is called once per tick with the inbound array."""

    def __init__(self, channels: int, frame_samples: int, *, fs_hz: int, flush_ticks: int) -> None:
        if flush_ticks < 1:
            raise ValueError(f"flush_ticks must be >= 1, got {flush_ticks!r}")
        self.channels = int(channels)
        self.frame_samples = int(frame_samples)
        self.fs_hz = int(fs_hz)
        self.flush_ticks = int(flush_ticks)
        self._banks: dict[int, _WidthBank] = {}
        self._ids = itertools.count(1)
        self._tick = 0
        self._pending_events: list[RecordingFailed] = []

    def start(self, channels: Sequence[int], path: str | os.PathLike[str]) -> Recorder:
        """Create (truncate) ``path`` and record ``channels`` into it from the next tick on.

        Raises ``ValueError`` on an empty channel list or a channel out of range and ``OSError``
        if the file cannot be created; nothing else is affected either way.
        """
        chans = tuple(int(c) for c in channels)
        if not chans:
            raise ValueError("record needs at least one channel")
        for c in chans:
            if not 0 <= c < self.channels:
                raise ValueError(f"record: channel {c} out of range 0..{self.channels - 1}")
        p = Path(path)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.pwrite(fd, wav_header(channels=len(chans), fs_hz=self.fs_hz, data_bytes=0), 0)
        except OSError:
            os.close(fd)
            raise
        rec = Recorder(next(self._ids), p, chans, fd)
        bank = self._banks.get(len(chans))
        if bank is None:
            bank = self._banks[len(chans)] = _WidthBank(len(chans), self.flush_ticks, self.frame_samples)
        bank.add(rec)
        return rec

    def _write(self, rec: Recorder, slot: int) -> None:
        bank = rec._bank
        assert bank is not None
        data = bank.pending_audio(rec, slot)
        if not data:
            return
        width = len(rec.channels)
        at = WAV_HEADER_BYTES + 2 * width * rec.samples_written
        try:
            os.pwrite(rec._fd, data, at)
            total = rec.samples_written + len(data) // (2 * width)
            os.pwrite(rec._fd, wav_header(channels=width, fs_hz=self.fs_hz, data_bytes=2 * width * total), 0)
        except OSError as exc:
            self._pending_events.append(
                RecordingFailed(recorder_id=rec.recorder_id, path=str(rec.path), samples_written=rec.samples_written, error=str(exc))
            )
            self._close(rec)
            return
        rec.samples_written = total

    def _close(self, rec: Recorder) -> None:
        if rec.closed:
            return
        rec.closed = True
        if rec._bank is not None:
            rec._bank.remove(rec)
        os.close(rec._fd)

    def stop(self, rec: Recorder) -> None:
        """Write what ``rec`` still holds, close its file; a second call does nothing."""
        if rec.closed:
            return
        if not rec.paused:
            self._write(rec, (self._tick - 1) % self.flush_ticks)
        self._close(rec)

    def pause(self, rec: Recorder, paused: bool) -> None:
        """Stop (``paused``) or resume appending ``rec``'s channels; the file stays open and
        valid, and resumed audio follows the paused point directly."""
        if rec.closed or rec.paused == paused:
            return
        if paused:
            self._write(rec, (self._tick - 1) % self.flush_ticks)
            if rec.closed:  # the write failed
                return
            assert rec._bank is not None
            rec._bank.remove(rec)
            rec._bank = None
            rec.paused = True
        else:
            rec.paused = False
            bank = self._banks.get(len(rec.channels))
            if bank is None:
                bank = self._banks[len(rec.channels)] = _WidthBank(len(rec.channels), self.flush_ticks, self.frame_samples)
            bank.add(rec)

    def flush(self, rec: Recorder) -> None:
        """Write what ``rec`` holds now instead of waiting for its next periodic flush."""
        if not rec.closed:
            self._write(rec, (self._tick - 1) % self.flush_ticks)

    def close_all(self) -> None:
        """Stop every recorder (used when the media plane closes)."""
        for bank in self._banks.values():
            for rec in [r for r in bank.rows if r is not None]:
                self.stop(rec)

    def capture(self, inbound: np.ndarray) -> list[RecordingFailed]:
        """Append this tick's frames of every recorder's channels; flush recorders that are due."""
        slot = self._tick % self.flush_ticks
        self._tick += 1
        for bank in self._banks.values():
            rows = bank.active
            if rows.size == 0:
                continue
            # (recorders, width, frame) -> (recorders, frame, width): interleaved WAV order.
            bank.ring[rows, slot] = inbound[bank.idx[rows]].transpose(0, 2, 1)
            bank.pending[rows] += 1
            bank.due_in[rows] -= 1
            due = rows[bank.due_in[rows] <= 0]
            bank.due_in[due] = self.flush_ticks
            for row in due.tolist():
                rec = bank.rows[row]
                assert rec is not None
                self._write(rec, slot)
        events, self._pending_events = self._pending_events, []
        return events
