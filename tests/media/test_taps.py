"""Frame taps on the media plane: lock-step frames in and out, replacing what the channel
sends; done, detached and failing taps each end with a TapDone, and the rest of the plane goes on."""

from __future__ import annotations

import numpy as np
import pytest

from pycti.media.plane import MediaPlane
from pycti.media.taps import TapDone

N = 160


class ToneTap:
    """Sends a sine for ``frames`` frames, keeping what it hears."""

    def __init__(self, frames: int, fail_at: int | None = None, shape: int = N) -> None:
        self.frames, self.fail_at, self.shape = frames, fail_at, shape
        self.heard: list[np.ndarray] = []
        t = np.arange(N) / 8000
        self.tone = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)

    def process(self, rx: np.ndarray) -> np.ndarray:
        if self.fail_at is not None and len(self.heard) == self.fail_at:
            raise RuntimeError("modem lost its mind")
        self.heard.append(rx.copy())
        return self.tone if self.shape == N else np.zeros(self.shape, np.int16)

    @property
    def done(self) -> bool:
        return len(self.heard) >= self.frames


def _frames(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(-3000, 3000, size=(4, N)).astype(np.int16)


def test_a_tap_hears_its_channel_and_replaces_what_it_sends_then_leaves() -> None:
    rng = np.random.default_rng(1)
    with MediaPlane(4) as plane:
        plane.set_parties("call", [0, 1])
        tap = ToneTap(frames=3)
        handle = plane.attach_tap(1, tap)
        done: list[TapDone] = []
        sent = []
        for _ in range(4):
            inbound = _frames(rng)
            result = plane.tick(inbound)
            sent.append(inbound)
            done += [e for e in result.events if isinstance(e, TapDone)]
            if len(tap.heard) <= 3 and len(sent) <= 3:
                assert np.array_equal(result.outbound[1], tap.tone)  # the tap talks on channel 1
                assert np.array_equal(result.outbound[0], inbound[1])  # the bridge still carries 1 -> 0
            else:
                assert np.array_equal(result.outbound[1], inbound[0])  # tap gone: the bridge again
        assert all(np.array_equal(h, s[1]) for h, s in zip(tap.heard, sent))
        assert [(e.handle_id, e.reason, e.sample) for e in done] == [(handle.handle_id, "done", 3 * N)]


def test_a_failing_tap_is_removed_and_the_others_go_on() -> None:
    rng = np.random.default_rng(2)
    with MediaPlane(4) as plane:
        bad, good, odd = ToneTap(frames=10, fail_at=1), ToneTap(frames=10), ToneTap(frames=10, shape=80)
        plane.attach_tap(0, bad)
        plane.attach_tap(2, good)
        plane.attach_tap(3, odd)
        events = []
        for _ in range(3):
            result = plane.tick(_frames(rng))
            events += [e for e in result.events if isinstance(e, TapDone)]
            assert np.array_equal(result.outbound[2], good.tone)
        reasons = {e.channel: (e.reason, e.error) for e in events}
        assert reasons[0][0] == "failed" and "modem lost its mind" in (reasons[0][1] or "")
        assert reasons[3][0] == "failed" and "shape" in (reasons[3][1] or "")
        assert len(good.heard) == 3


def test_detach_and_the_checks_on_attach() -> None:
    with MediaPlane(2) as plane:
        handle = plane.attach_tap(0, ToneTap(frames=100))
        with pytest.raises(ValueError, match="already has a tap"):
            plane.attach_tap(0, ToneTap(frames=1))
        with pytest.raises(TypeError, match="process"):
            plane.attach_tap(1, object())  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="out of range"):
            plane.attach_tap(5, ToneTap(frames=1))
        assert plane.detach_tap(handle) and not plane.detach_tap(handle)
        result = plane.tick(np.zeros((2, N), np.int16))
        assert [e.reason for e in result.events if isinstance(e, TapDone)] == ["detached"]
        assert not result.outbound.any()
