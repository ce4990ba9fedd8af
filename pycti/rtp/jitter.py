"""Playout (jitter) buffer: G.711 packets in, exactly one 20 ms frame out per tick.

The buffer works on G.711 *codes*, not samples: a packet's payload is cut at 160-sample frame
boundaries of the RTP timeline (RFC 3550 §5.1: the timestamp counts samples) and copied into
per-frame slots, so 10, 20 or 30 ms packets (RFC 3551 §4.5: ``ptime``) all come out as 20 ms
frames.  Decoding is left to :func:`decode_frames`, which turns the frames of every channel of
a tick into one ``(channels, 160)`` int16 array with one G.711 table lookup per codec.

Playout: frame ``k`` of the stream is played ``depth`` ticks after the tick at which the frame
``0`` was received (a fixed buffer keeps ``depth``; an adaptive one moves it between ``min`` and
``max``).  On every tick :meth:`JitterBuffer.pop` returns the frame at the playout point:

* a frame with every sample received -> ``AUDIO``; partly received -> the rest is silence;
* a missing frame -> ``CONCEALED`` (the previous frame repeated once, when ``conceal`` is
  ``"repeat"``) or ``SILENCE``; a stopped stream therefore gives silence;
* packets behind the playout point are *late* and dropped; a packet more than ``max`` frames
  ahead, a talkspurt start (marker bit) on an empty buffer, or several late packets in a row
  re-anchor the playout point (a new timestamp base or a long pause).

Adaptive mode grows the delay by one frame on each late packet (repeating/holding the playout
point once), and shrinks it by dropping a frame when the smallest lead over one second exceeded
the target by more than a frame; the target decays by one frame after ten seconds without a
late packet.  Sender/receiver clock drift is absorbed the same way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, NamedTuple, Sequence

import numpy as np

from pycti.dsp.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from pycti.errors import PyctiError

__all__ = [
    "FRAME_SAMPLES",
    "PT_PCMA",
    "PT_PCMU",
    "SILENCE_CODE",
    "Frame",
    "FrameKind",
    "InsertResult",
    "JitterBuffer",
    "JitterConfig",
    "JitterConfigError",
    "decode_frames",
    "transcode",
]

FRAME_SAMPLES = 160  #: 20 ms at 8 kHz
PT_PCMU = 0  #: RFC 3551 static payload type of G.711 mu-law
PT_PCMA = 8  #: RFC 3551 static payload type of G.711 A-law
#: The code of linear zero: mu-law 0xFF, A-law 0xD5 (G.711 Tables 1b/2b).
SILENCE_CODE = {PT_PCMU: 0xFF, PT_PCMA: 0xD5}
_SILENCE_FRAME = {pt: bytes((code,)) * FRAME_SAMPLES for pt, code in SILENCE_CODE.items()}
_WINDOW_TICKS = 50  # 1 s of ticks for the lead minimum
_DECAY_TICKS = 500  # 10 s without a late packet lowers the target
_LATE_RUN_RESYNC = 5


class JitterConfigError(PyctiError, ValueError):
    """A jitter buffer configuration out of range."""


class FrameKind(enum.Enum):
    """What :meth:`JitterBuffer.pop` delivered."""

    AUDIO = "audio"  #: received samples (possibly part of the frame, the rest silence)
    CONCEALED = "concealed"  #: the previous frame repeated for a missing one
    SILENCE = "silence"  #: nothing to play: before the stream, a gap, a stopped stream


_AUDIO = FrameKind.AUDIO


class InsertResult(enum.Enum):
    """What :meth:`JitterBuffer.insert` did with a packet."""

    ACCEPTED = "accepted"
    LATE = "late"  #: entirely behind the playout point: dropped
    RESYNC = "resync"  #: accepted after re-anchoring the playout point on it


class Frame(NamedTuple):
    """One tick of playout: 160 G.711 codes of ``payload_type`` (0 PCMU, 8 PCMA)."""

    codes: bytes
    payload_type: int
    kind: FrameKind


@dataclass(frozen=True, slots=True)
class JitterConfig:
    """``mode`` fixed (delay ``depth_ms``) or adaptive (starting at ``depth_ms``, kept in
    ``min_ms``..``max_ms``); all multiples of 20 ms.  ``conceal``: repeat the last frame once
    or play silence for a missing frame."""

    mode: Literal["fixed", "adaptive"] = "adaptive"
    depth_ms: int = 60
    min_ms: int = 20
    max_ms: int = 300
    conceal: Literal["repeat", "silence"] = "repeat"

    def __post_init__(self) -> None:
        if self.mode not in ("fixed", "adaptive"):
            raise JitterConfigError(f"jitter buffer mode must be 'fixed' or 'adaptive', got {self.mode!r}")
        if self.conceal not in ("repeat", "silence"):
            raise JitterConfigError(f"conceal must be 'repeat' or 'silence', got {self.conceal!r}")
        for name in ("depth_ms", "min_ms", "max_ms"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0 or value % 20:
                raise JitterConfigError(f"{name} must be a non-negative multiple of 20, got {value!r}")
        if not self.min_ms <= self.depth_ms <= self.max_ms or self.max_ms < 20:
            raise JitterConfigError(f"need min_ms <= depth_ms <= max_ms (max >= 20), got "
                                    f"{self.min_ms}, {self.depth_ms}, {self.max_ms}")


def transcode(codes: bytes, from_pt: int, to_pt: int) -> bytes:
    """G.711 codes of one law as codes of the other (through 16-bit linear)."""
    if from_pt == to_pt:
        return codes
    a = np.frombuffer(codes, dtype=np.uint8)
    if from_pt == PT_PCMU:
        return bytes(alaw_encode(ulaw_decode(a)).tobytes())
    return bytes(ulaw_encode(alaw_decode(a)).tobytes())


#: One frame being filled: (codes, law).  ``codes`` is the payload itself for a whole 20 ms
#: packet, a bytearray prefilled with silence when packets fill the frame piecewise.
_Slot = tuple[bytes | bytearray, int]
_new = tuple.__new__


class JitterBuffer:
    """The playout buffer of one received stream (see the module docstring).

    Timestamps given to :meth:`insert` are *extended* (unwrapped) RTP timestamps; the caller
    drops duplicate packets (the receive stream does, by extended sequence number).
    """

    def __init__(self, config: JitterConfig | None = None) -> None:
        self.config = cfg = config or JitterConfig()
        self._adaptive = cfg.mode == "adaptive"
        self._min = cfg.min_ms // 20
        self._max = cfg.max_ms // 20
        self.target_frames = cfg.depth_ms // 20  #: current playout delay in frames
        self._repeat = cfg.conceal == "repeat"
        self.reset()
        self.late_packets = 0  #: packets dropped for arriving behind the playout point
        self.resyncs = 0
        self.concealed_frames = 0

    def reset(self) -> None:
        """Forget the stream (a new SSRC): the next packet anchors playout afresh."""
        self._origin: int | None = None
        self._slots: dict[int, _Slot] = {}
        self._play = 0  # frame index of the next pop
        self._newest = -1
        self._last: Frame | None = None  # last frame played, for repeat
        self._repeated = False
        self._late_run = 0
        self._stretch = 0
        self._window_min = 1 << 30
        self._window_ticks = 0
        self._calm_ticks = 0

    @property
    def buffered_frames(self) -> int:
        """Frames held at or after the playout point."""
        return len(self._slots)

    def _anchor(self, ext_ts: int) -> None:
        self._origin = ext_ts
        self._slots.clear()
        self._play = -self.target_frames
        self._newest = -1
        self._late_run = 0
        self._stretch = 0

    def insert(self, ext_ts: int, payload: bytes, payload_type: int, marker: bool = False) -> InsertResult:
        """File ``payload`` (G.711 codes of PT 0 or 8) of the packet stamped ``ext_ts``."""
        result = InsertResult.ACCEPTED
        origin = self._origin
        if origin is None:
            self._anchor(ext_ts)
            origin = ext_ts
            result = InsertResult.RESYNC
        frame, offset = divmod(ext_ts - origin, FRAME_SAMPLES)
        if frame > self._play + self._max or (marker and not self._slots and frame != self._play + self.target_frames):
            self._anchor(ext_ts)
            self.resyncs += 1
            frame, offset, result = 0, 0, InsertResult.RESYNC
        elif frame + (offset + len(payload) - 1) // FRAME_SAMPLES < self._play:
            self.late_packets += 1
            self._late_run += 1
            if self._late_run >= _LATE_RUN_RESYNC:
                self._anchor(ext_ts)
                self.resyncs += 1
                frame, offset, result = 0, 0, InsertResult.RESYNC
            else:
                if self._adaptive and self.target_frames < self._max:
                    self.target_frames += 1
                    self._stretch += 1
                self._calm_ticks = 0
                return InsertResult.LATE
        self._late_run = 0
        slots = self._slots
        if offset == 0 and len(payload) == FRAME_SAMPLES and frame >= self._play and frame not in slots \
                and payload_type in SILENCE_CODE:
            slots[frame] = (payload, payload_type)  # the usual 20 ms packet: no copy
            if frame > self._newest:
                self._newest = frame
            return result
        pos = 0
        n = len(payload)
        while pos < n:
            take = min(FRAME_SAMPLES - offset, n - pos)
            if frame >= self._play:
                slot = slots.get(frame)
                if slot is None:
                    law = payload_type if payload_type in SILENCE_CODE else PT_PCMU
                    slot = (bytearray(_SILENCE_FRAME[law]), law)
                codes, law = slot
                if not isinstance(codes, bytearray):
                    codes = bytearray(codes)
                slots[frame] = (codes, law)
                chunk = payload[pos : pos + take]
                if payload_type != law:
                    chunk = transcode(chunk, payload_type, law)
                codes[offset : offset + take] = chunk
                if frame > self._newest:
                    self._newest = frame
            pos += take
            offset = 0
            frame += 1
        return result

    def _conceal(self) -> Frame:
        last = self._last
        if self._repeat and last is not None and last.kind is FrameKind.AUDIO and not self._repeated:
            self._repeated = True
            self.concealed_frames += 1
            return Frame(last.codes, last.payload_type, FrameKind.CONCEALED)
        return _SILENT[last.payload_type if last is not None else PT_PCMU]

    def _adapt(self) -> None:
        """Once per tick in adaptive mode: shrink when the lead stayed above the target."""
        lead = self._newest - self._play + 1
        if lead < self._window_min:
            self._window_min = lead
        self._window_ticks += 1
        self._calm_ticks += 1
        if self._calm_ticks >= _DECAY_TICKS:
            self._calm_ticks = 0
            if self.target_frames > self._min:
                self.target_frames -= 1
        if self._window_ticks >= _WINDOW_TICKS:
            if self._window_min > self.target_frames + 1 and self._play in self._slots:
                self._slots.pop(self._play)  # drop one frame: the delay shrinks by 20 ms
                self._play += 1
            self._window_ticks = 0
            self._window_min = 1 << 30

    def pop(self) -> Frame:
        """The frame of this tick (always 160 codes)."""
        if self._origin is None:
            return _SILENT[PT_PCMU]
        if self._adaptive:
            if self._stretch:
                self._stretch -= 1
                out = self._conceal()  # hold the playout point: the delay grows by a frame
                self._last = out
                return out
            self._adapt()
        slot = self._slots.pop(self._play, None)
        self._play += 1
        if slot is None:
            out = self._conceal()
        else:
            codes, law = slot
            out = _new(Frame, (codes if isinstance(codes, bytes) else bytes(codes), law, _AUDIO))
            self._repeated = False
        self._last = out
        return out


_SILENT = {pt: Frame(codes, pt, FrameKind.SILENCE) for pt, codes in _SILENCE_FRAME.items()}


def decode_frames(frames: Sequence[Frame]) -> np.ndarray:
    """The frames of many channels as one ``(len(frames), 160)`` int16 array: one G.711
    lookup for all the mu-law rows and one for the A-law rows."""
    codes = np.frombuffer(b"".join([f.codes for f in frames]), dtype=np.uint8).reshape(len(frames), FRAME_SAMPLES)
    pts = [f.payload_type for f in frames]
    if all(pt == PT_PCMU for pt in pts):
        return ulaw_decode(codes)
    if all(pt == PT_PCMA for pt in pts):
        return alaw_decode(codes)
    alaw = np.array([pt == PT_PCMA for pt in pts])
    out = ulaw_decode(codes)
    out[alaw] = alaw_decode(np.ascontiguousarray(codes[alaw]))
    return out
