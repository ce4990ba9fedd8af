"""The media plane: one batched numpy step per 20 ms tick for every channel of a switch
(bridges, conferences, players, tone generators, recorders, detectors)."""

from __future__ import annotations

from .plane import FRAME_SAMPLES, DetectorFailed, MediaPlane, PlayDone, PlayHandle, Recorder, RecordingFailed, TickResult

__all__ = [
    "FRAME_SAMPLES",
    "DetectorFailed",
    "MediaPlane",
    "PlayDone",
    "PlayHandle",
    "Recorder",
    "RecordingFailed",
    "TickResult",
]
