"""The queue rules' pure parts: the estimated-wait formula and the checks on its inputs and on
a queue's configuration (each refusal names the value)."""

from __future__ import annotations

import math

import pytest

from pycti.callcenter.queue_rules import OpeningHours, QueueConfig, QueueRuleError, estimate_wait_s
from pycti.errors import PyctiError


@pytest.mark.parametrize(("position", "aht_s", "serving", "free", "want_s"), [
    (1, 120.0, 2, 0, 60.0),   # next in line, both agents busy: the first of two departures
    (3, 120.0, 2, 0, 180.0),
    (1, 120.0, 2, 1, 0.0),    # an agent free takes the call at once
    (3, 120.0, 4, 2, 30.0),   # the two before are taken by the free agents, then 1 x 120 / 4
    (2, 0.0, 1, 0, 0.0),
])
def test_estimate_is_the_mmn_conditional_mean(position: int, aht_s: float, serving: int, free: int,
                                              want_s: float) -> None:
    assert estimate_wait_s(position, aht_s, serving, free) == want_s


@pytest.mark.parametrize(("args", "named"), [
    ((0, 120.0, 2, 0), "position must be >= 1, got 0"),
    ((1, -1.0, 2, 0), "aht_s must be a finite number >= 0, got -1.0"),
    ((1, math.nan, 2, 0), "aht_s must be a finite number >= 0, got nan"),
    ((1, 120.0, 0, 0), "at least one agent serving the queue, got 0"),
    ((1, 120.0, 2, 3), "free agents must be 0..2, got 3"),
])
def test_estimate_refuses_inputs_that_cannot_hold(args: tuple, named: str) -> None:
    with pytest.raises(QueueRuleError, match=named.replace(".", r"\.")):
        estimate_wait_s(*args)


def test_queue_rule_errors_are_value_errors_and_pycti_errors() -> None:
    with pytest.raises(QueueRuleError, match="default_aht_s must be a finite number > 0, got inf") as info:
        QueueConfig(name="QA", default_aht_s=math.inf)
    assert isinstance(info.value, ValueError) and isinstance(info.value, PyctiError)
    with pytest.raises(QueueRuleError, match="'25:00' is not a time of day"):
        OpeningHours(weekly={0: (("08:00", "25:00"),)})
    with pytest.raises(QueueRuleError, match="exit key '12' is not one DTMF digit"):
        QueueConfig(name="QA", exit_keys=("12",))
