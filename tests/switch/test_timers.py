"""Timers: deterministic expiry order, re-set and cancel, lazy deletion; TimerConfig checks."""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from pycti.switch.timers import TimerConfig, TimerConfigError, TimerSet

Key = tuple[str, str]


def test_empty() -> None:
    timers: TimerSet[Key] = TimerSet()
    assert timers.next_deadline() is None
    assert timers.pop_expired(1e9) == []
    assert len(timers) == 0 and list(timers) == []


def test_order_and_ties() -> None:
    timers: TimerSet[Key] = TimerSet()
    timers.set(("ring_no_answer", "C1"), 20.0)
    timers.set(("inter_digit", "C2"), 5.0)
    timers.set(("first_digit", "C3"), 5.0)  # same deadline: after C2 (set later)
    timers.set(("wrap_up", "A1"), 7.5)
    assert timers.next_deadline() == 5.0
    assert list(timers) == [("inter_digit", "C2"), ("first_digit", "C3"), ("wrap_up", "A1"), ("ring_no_answer", "C1")]
    assert timers.pop_expired(4.999) == []
    assert timers.pop_expired(7.5) == [("inter_digit", "C2"), ("first_digit", "C3"), ("wrap_up", "A1")]
    assert timers.next_deadline() == 20.0
    assert timers.pop_expired(100) == [("ring_no_answer", "C1")]
    assert timers.next_deadline() is None


def test_deadline_is_inclusive() -> None:
    timers: TimerSet[str] = TimerSet()
    timers.set("a", 3.0)
    assert timers.pop_expired(3.0) == ["a"]


def test_reset_replaces() -> None:
    timers: TimerSet[str] = TimerSet()
    timers.set("digit", 5.0)
    timers.set("other", 6.0)
    timers.set("digit", 10.0)  # re-armed: the 5.0 entry is stale
    assert timers.deadline("digit") == 10.0
    assert timers.next_deadline() == 6.0
    assert timers.pop_expired(9.0) == ["other"]
    assert timers.pop_expired(10.0) == ["digit"]
    timers.set("x", 5.0)
    timers.set("y", 5.0)
    timers.set("x", 5.0)  # re-set to the same deadline: now after y
    assert timers.pop_expired(5.0) == ["y", "x"]
    timers.set("z", 9.0)
    timers.set("z", 1.0)  # earlier than before
    assert timers.next_deadline() == 1.0
    assert timers.pop_expired(1.0) == ["z"]
    assert timers.pop_expired(100.0) == []


def test_cancel() -> None:
    timers: TimerSet[str] = TimerSet()
    timers.set("a", 1.0)
    timers.set("b", 2.0)
    assert timers.cancel("a") is True
    assert timers.cancel("a") is False
    assert timers.cancel("never") is False
    assert "a" not in timers and "b" in timers
    assert timers.deadline("a") is None
    assert timers.next_deadline() == 2.0
    assert timers.pop_expired(5.0) == ["b"]
    timers.set("c", 1.0)
    timers.clear()
    assert len(timers) == 0 and timers.next_deadline() is None


def test_popped_keys_are_disarmed_and_rearmable() -> None:
    timers: TimerSet[str] = TimerSet()
    timers.set("a", 1.0)
    assert timers.pop_expired(1.0) == ["a"]
    assert "a" not in timers
    timers.set("a", 2.0)
    assert timers.pop_expired(2.0) == ["a"]


def test_bad_arguments() -> None:
    timers: TimerSet[object] = TimerSet()
    for bad in (math.nan, math.inf, -math.inf, "1", None, True):
        with pytest.raises(ValueError, match="deadline"):
            timers.set("k", bad)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="now"):
            timers.pop_expired(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        timers.set(["unhashable"], 1.0)
    assert len(timers) == 0


def test_lazy_deletion_is_bounded() -> None:
    timers: TimerSet[int] = TimerSet()
    for i in range(10_000):
        timers.set(i % 10, float(i))  # 10 live keys, re-armed over and over
    assert len(timers) == 10
    assert len(timers._heap) <= 2 * len(timers) + 17
    assert timers.pop_expired(1e9) == list(range(10))


def test_integer_times_accepted() -> None:
    timers: TimerSet[str] = TimerSet()
    timers.set("a", 3)
    assert timers.next_deadline() == 3.0
    assert timers.pop_expired(3) == ["a"]


class Model(RuleBasedStateMachine):
    """TimerSet against a dict-and-sort model."""

    def __init__(self) -> None:
        super().__init__()
        self.timers: TimerSet[int] = TimerSet()
        self.model: dict[int, tuple[float, int]] = {}
        self.seq = 0
        self.now = 0.0

    @rule(key=st.integers(0, 6), delay=st.integers(0, 5))
    def arm(self, key: int, delay: int) -> None:
        self.seq += 1
        self.timers.set(key, self.now + delay)
        self.model[key] = (self.now + delay, self.seq)

    @rule(key=st.integers(0, 6))
    def cancel(self, key: int) -> None:
        assert self.timers.cancel(key) == (self.model.pop(key, None) is not None)

    @rule(step=st.integers(0, 3))
    def advance(self, step: int) -> None:
        self.now += step
        due = sorted((entry, key) for key, entry in self.model.items() if entry[0] <= self.now)
        assert self.timers.pop_expired(self.now) == [key for _, key in due]
        for _, key in due:
            del self.model[key]

    @invariant()
    def agrees(self) -> None:
        expected = min((when for when, _ in self.model.values()), default=None)
        assert self.timers.next_deadline() == expected
        assert len(self.timers) == len(self.model)
        assert list(self.timers) == [k for _, k in sorted((e, k) for k, e in self.model.items())]


TestTimerSetModel = Model.TestCase
TestTimerSetModel.settings = settings(max_examples=200, stateful_step_count=40)


@given(st.lists(st.tuples(st.integers(0, 20), st.floats(0, 100, allow_nan=False)), max_size=60))
def test_pop_everything_is_sorted(ops: list[tuple[int, float]]) -> None:
    timers: TimerSet[int] = TimerSet()
    last: dict[int, float] = {}
    for key, when in ops:
        timers.set(key, when)
        last[key] = when
    popped = timers.pop_expired(100.0)
    assert sorted(popped) == sorted(last)
    assert [last[k] for k in popped] == sorted(last[k] for k in popped)


# -- TimerConfig -----------------------------------------------------------------------------


def test_config_defaults() -> None:
    cfg = TimerConfig()
    assert cfg.ring_no_answer_ms == 20_000
    assert cfg.first_digit_ms == 10_000
    assert cfg.inter_digit_ms == 5_000
    assert cfg.wrap_up_ms == 0
    with pytest.raises(FrozenInstanceError):
        cfg.wrap_up_ms = 5  # type: ignore[misc]


@pytest.mark.parametrize("field", ["ring_no_answer_ms", "first_digit_ms", "inter_digit_ms", "wrap_up_ms"])
@pytest.mark.parametrize("value", [-1, -0.5, math.nan, math.inf, "5000", None, True])
def test_config_refuses_and_names_the_field(field: str, value: object) -> None:
    with pytest.raises(TimerConfigError, match=field) as info:
        TimerConfig(**{field: value})  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_config_zero_and_floats_allowed() -> None:
    cfg = TimerConfig(ring_no_answer_ms=0, inter_digit_ms=2500.5)
    assert cfg.ring_no_answer_ms == 0 and cfg.inter_digit_ms == 2500.5


def test_config_from_dict() -> None:
    cfg = TimerConfig.from_dict({"ring_no_answer_ms": 30_000, "wrap_up_ms": 15_000})
    assert cfg == TimerConfig(ring_no_answer_ms=30_000, wrap_up_ms=15_000)
    assert TimerConfig.from_dict({}) == TimerConfig()
    with pytest.raises(TimerConfigError, match="'ring_no_answer'"):
        TimerConfig.from_dict({"ring_no_answer": 30})
    with pytest.raises(TimerConfigError, match="inter_digit_ms"):
        TimerConfig.from_dict({"inter_digit_ms": -5})


def test_deadline_helper() -> None:
    cfg = TimerConfig()
    assert TimerConfig.deadline(100.0, cfg.ring_no_answer_ms) == 120.0
    assert TimerConfig.deadline(100.0, cfg.wrap_up_ms) is None  # 0 = off
    for bad in (-1, math.nan, math.inf, True):
        with pytest.raises(ValueError, match="duration_ms"):
            TimerConfig.deadline(0.0, bad)
    with pytest.raises(ValueError, match="now"):
        TimerConfig.deadline(math.nan, 5)


def test_config_drives_timers() -> None:
    """The intended use: a core arms keyed timers from the config and expires them."""
    cfg = TimerConfig()
    timers: TimerSet[Key] = TimerSet()
    now = 1000.0
    for name, ms in (("ring_no_answer", cfg.ring_no_answer_ms), ("wrap_up", cfg.wrap_up_ms)):
        deadline = TimerConfig.deadline(now, ms)
        if deadline is not None:
            timers.set((name, "C1"), deadline)
    assert list(timers) == [("ring_no_answer", "C1")]
    assert timers.pop_expired(now + 19.999) == []
    assert timers.pop_expired(now + 20.0) == [("ring_no_answer", "C1")]
