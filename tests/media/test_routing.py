"""Routing in the media plane: bridges, conferences, group replacement and removal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pycti.errors import AudioFormatError
from pycti.media.plane import MediaPlane
from pycti.media.bench import sine, speech_like

FRAME = 160


def run(plane: MediaPlane, signal: np.ndarray) -> np.ndarray:
    """Feed ``signal`` (channels, n*160) tick by tick; return the concatenated outbound audio."""
    ticks = signal.shape[1] // FRAME
    outs = [plane.tick(signal[:, k * FRAME : (k + 1) * FRAME]).outbound for k in range(ticks)]
    return np.concatenate(outs, axis=1)


def test_bridge_carries_each_party_to_the_other_sample_exactly() -> None:
    plane = MediaPlane(4)
    plane.set_parties("call-1", [1, 3])
    n = 25 * FRAME
    a = sine(697.0, n, level_dbm0=-10.0)
    b = sine(1336.0, n, level_dbm0=-6.0)
    noise = speech_like(n, np.random.default_rng(1))
    signal = np.stack([noise, a, noise, b])
    out = run(plane, signal)
    np.testing.assert_array_equal(out[3], a)  # B hears A, same sample positions
    np.testing.assert_array_equal(out[1], b)  # A hears B
    assert not out[0].any() and not out[2].any()  # channels in no group hear silence


def conference_reference(signal: np.ndarray, members: list[int]) -> np.ndarray:
    total = signal[members].astype(np.int64).sum(axis=0)
    return np.clip(total - signal[members].astype(np.int64), -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("size", [3, 5])
def test_conference_members_hear_the_others_but_not_themselves(size: int) -> None:
    rng = np.random.default_rng(size)
    channels = size + 2
    members = list(rng.permutation(channels)[:size])
    plane = MediaPlane(channels)
    plane.set_parties("conf", members)
    n = 10 * FRAME
    freqs = [350.0, 440.0, 480.0, 620.0, 1000.0, 1400.0, 2000.0]
    signal = np.stack([sine(freqs[c], n, level_dbm0=-12.0) for c in range(channels)])
    out = run(plane, signal)
    np.testing.assert_array_equal(out[members], conference_reference(signal, members))
    # Each member's own tone is absent: its correlation with what it hears is ~0.
    for m in members:
        own = signal[m].astype(float)
        assert abs(np.dot(out[m].astype(float), own)) < 0.02 * np.dot(own, own)
    others = [c for c in range(channels) if c not in members]
    assert not out[others].any()


def test_conference_sum_clips_at_int16() -> None:
    plane = MediaPlane(3)
    plane.set_parties("loud", [0, 1, 2])
    frame = np.full((3, FRAME), 30000, dtype=np.int16)
    frame[2] = -30000
    out = plane.tick(frame).outbound
    assert out.dtype == np.int16
    np.testing.assert_array_equal(out[2], np.full(FRAME, 32767))  # 60000 clipped
    np.testing.assert_array_equal(out[0], np.zeros(FRAME))  # 30000 - 30000
    frame[:] = -32768
    out = plane.tick(frame).outbound
    np.testing.assert_array_equal(out, np.full((3, FRAME), -32768))


@settings(deadline=None, max_examples=40)
@given(
    st.integers(min_value=2, max_value=12).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.integers(min_value=0, max_value=3), min_size=n, max_size=n),
            st.integers(min_value=0, max_value=2**32 - 1),
        )
    )
)
def test_any_grouping_matches_the_sum_minus_self_reference(case: tuple[int, list[int], int]) -> None:
    channels, labels, seed = case
    plane = MediaPlane(channels, frame_samples=16)
    groups: dict[int, list[int]] = {}
    for ch, label in enumerate(labels):
        groups.setdefault(label, []).append(ch)
    for label, members in groups.items():
        plane.set_parties(f"g{label}", members)
    frame = np.random.default_rng(seed).integers(-32768, 32768, (channels, 16)).astype(np.int16)
    out = plane.tick(frame).outbound
    expected = np.zeros_like(frame)
    for members in groups.values():
        if len(members) >= 2:
            expected[members] = conference_reference(frame, members)
    np.testing.assert_array_equal(out, expected)


def test_groups_are_replaced_and_removed() -> None:
    plane = MediaPlane(5)
    frame = np.stack([np.full(FRAME, 100 * (c + 1), dtype=np.int16) for c in range(5)])
    plane.set_parties("g", [0, 1])
    np.testing.assert_array_equal(plane.tick(frame).outbound[:, 0], [200, 100, 0, 0, 0])
    plane.set_parties("g", [0, 1, 2])  # consultation became a conference
    np.testing.assert_array_equal(plane.tick(frame).outbound[:, 0], [500, 400, 300, 0, 0])
    plane.set_parties("g", [2, 4])  # replaced: 0 and 1 freed
    assert plane.group_of(0) is None and plane.group_of(4) == "g"
    np.testing.assert_array_equal(plane.tick(frame).outbound[:, 0], [0, 0, 500, 0, 300])
    plane.set_parties("h", [0, 1])
    plane.set_parties("g", ())
    np.testing.assert_array_equal(plane.tick(frame).outbound[:, 0], [200, 100, 0, 0, 0])
    plane.set_parties("h", [3])  # one party alone hears nothing
    assert not plane.tick(frame).outbound.any()


def test_a_channel_is_in_at_most_one_group() -> None:
    plane = MediaPlane(4)
    plane.set_parties("a", [0, 1])
    with pytest.raises(ValueError, match="already in group 'a'"):
        plane.set_parties("b", [1, 2])
    with pytest.raises(ValueError, match="out of range"):
        plane.set_parties("b", [2, 4])
    with pytest.raises(ValueError, match="repeated"):
        plane.set_parties("b", [2, 2])
    frame = np.arange(4 * FRAME, dtype=np.int16).reshape(4, FRAME)
    out = plane.tick(frame).outbound  # the failed calls changed nothing
    np.testing.assert_array_equal(out[0], frame[1])
    assert not out[2:].any()


def test_tick_rejects_a_malformed_inbound_block() -> None:
    plane = MediaPlane(2)
    with pytest.raises(AudioFormatError, match="int16"):
        plane.tick(np.zeros((2, FRAME), dtype=np.float32))
    with pytest.raises(AudioFormatError):
        plane.tick(np.zeros((3, FRAME), dtype=np.int16))
    assert plane.sample == 0
