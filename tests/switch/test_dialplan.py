"""Dial plans: schema validation, digit-by-digit matching, precedence, DNIS routing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycti.errors import CstaError, ErrorValue
from pycti.switch.dialplan import (
    DialPlan,
    DialPlanError,
    Extension,
    External,
    Ivr,
    Match,
    MatchStatus,
    Queue,
    RoutePoint,
)
from pycti.switch.numbers import DialString, NumberRole, parse_number

C, I, X = MatchStatus.COMPLETE, MatchStatus.INCOMPLETE, MatchStatus.INVALID

CONFIG: dict[str, Any] = {
    "8001": "station:S1",
    "800": "ivr:menu",
    "0": "queue:operator",
    "7XXX": "ivr:directory",
    "7[0-4]00": "route:R1",
    "9": {"trunk": "PSTN", "min": 3, "max": 15},
    "+": {"trunk": "INTL"},
    "*1": {"trunk": "PSTN", "number": "+442079460000"},
    "911": {"trunk": "PSTN", "number": "911", "urgent": True},
}


@pytest.fixture
def plan() -> DialPlan:
    return DialPlan.from_dict(CONFIG)


def digit_by_digit(plan: DialPlan, digits: str) -> list[MatchStatus]:
    return [plan.match(digits[:i]).status for i in range(len(digits) + 1)]


# -- matching --------------------------------------------------------------------------------


def test_exact_extension(plan: DialPlan) -> None:
    m = plan.match("8001")
    assert m == Match(C, "8001", Extension("S1"), DialString("8001"), "8001")
    assert digit_by_digit(plan, "8001") == [I, I, I, I, C]


def test_ambiguous_prefix(plan: DialPlan) -> None:
    m = plan.match("800")
    assert m.status is I and m.can_complete
    assert m.destination == Ivr("menu") and m.rule == "800"
    final = plan.match("800", final=True)
    assert final.status is C and final.destination == Ivr("menu")
    assert plan.match("80").can_complete is False
    assert plan.match("80", final=True).status is X


def test_operator(plan: DialPlan) -> None:
    assert plan.match("0").destination == Queue("operator")
    assert plan.match("0").status is C


def test_patterns_and_specificity(plan: DialPlan) -> None:
    assert plan.match("7123").destination == Ivr("directory")
    assert plan.match("7300").destination == RoutePoint("R1")  # the more specific pattern
    assert plan.match("7500").destination == Ivr("directory")
    assert plan.match("7301").destination == Ivr("directory")
    assert plan.match("71").status is I and not plan.match("71").can_complete
    assert plan.match("7*").status is X
    assert plan.match("71234").status is X


def test_trunk_access(plan: DialPlan) -> None:
    assert digit_by_digit(plan, "912") == [I, I, I, I]
    m = plan.match("9123")
    assert m.status is I and m.can_complete  # 3 digits: enough, but up to 15 may follow
    assert m.destination == External("PSTN", DialString("123"))
    done = plan.match("9123", final=True)
    assert done.status is C and done.number == DialString("123") and done.rule == "9"
    full = plan.match("9" + "1" * 15)
    assert full.status is C and full.number == DialString("1" * 15)  # max reached: at once
    assert plan.match("9" + "1" * 16).status is X
    assert plan.match("9*72#1", final=True).number == DialString("*72#1")


def test_urgent_beats_longer_candidates(plan: DialPlan) -> None:
    m = plan.match("911")  # the trunk rule "9" could still take more digits
    assert m.status is C and m.destination == External("PSTN", DialString("911"))
    assert m.rule == "911"


def test_speed_dial(plan: DialPlan) -> None:
    m = plan.match("*1")
    assert m.status is C and m.destination == External("PSTN", parse_number("+442079460000"))
    assert m.number == parse_number("+442079460000")


def test_international(plan: DialPlan) -> None:
    assert digit_by_digit(plan, "+861380") == [I] * 8
    m = plan.match("+8613800138000")
    assert m.status is I and m.can_complete  # 13 digits, E.164 allows 15
    assert m.destination == External("INTL", DialString("8613800138000", True))
    assert plan.match("+861380013800012").status is C  # 15 digits
    assert plan.match("+0").status is X  # no country code starts with 0
    assert plan.match("+86", final=True).status is X


def test_invalid_and_empty(plan: DialPlan) -> None:
    assert plan.match("") == Match(I, "")
    assert plan.match("", final=True) == Match(X, "")
    assert plan.match("5") == Match(X, "5")
    assert plan.match("80011").status is X


def test_default() -> None:
    plan = DialPlan.from_dict({"8001": "station:S1", "default": "ivr:main"})
    assert plan.default == Ivr("main")
    m = plan.match("5")
    assert m == Match(C, "5", Ivr("main"), DialString("5"), "default")
    assert plan.match("80").status is I
    assert plan.match("80", final=True).destination == Ivr("main")
    assert plan.match("", final=True) == Match(C, "", Ivr("main"), None, "default")
    assert plan.match("+12", final=True).number is None  # not a valid number to pass on


def test_strip_false() -> None:
    plan = DialPlan.from_dict({"0": {"trunk": "T", "min": 9, "max": 11, "strip": False}})
    m = plan.match("0301234567", final=True)
    assert m.number == DialString("0301234567")


def test_to_table_and_urgent_route() -> None:
    plan = DialPlan.from_dict({"555": {"to": "route:R1", "urgent": True}, "5551": "station:S1"})
    assert plan.match("555").status is C
    plan2 = DialPlan.from_dict({"555": {"to": "route:R1"}, "5551": "station:S1"})
    assert plan2.match("555").status is I


def test_exact_beats_pattern_beats_trunk() -> None:
    plan = DialPlan.from_dict(
        {"9": {"trunk": "T", "min": 3, "max": 3}, "9XXX": "queue:pattern", "9123": "station:S1"}
    )
    assert plan.match("9123").destination == Extension("S1")
    assert plan.match("9124").destination == Queue("pattern")
    plan2 = DialPlan.from_dict({"9": {"trunk": "T", "min": 3, "max": 3}, "99": {"trunk": "U", "min": 2, "max": 2}})
    assert plan2.match("9912").destination == External("U", DialString("12"))  # longer access code
    assert plan2.match("9812").destination == External("T", DialString("812"))


def test_ties_go_to_the_first_listed() -> None:
    plan = DialPlan.from_dict({"1X": "queue:a", "X1": "queue:b"})
    assert plan.match("11").destination == Queue("a")
    plan = DialPlan.from_dict({"X1": "queue:b", "1X": "queue:a"})
    assert plan.match("11").destination == Queue("b")


def test_wildcards() -> None:
    plan = DialPlan.from_dict({"Z": "queue:z", "N0": "queue:n", "[13-5]#": "queue:set"})
    assert plan.match("0").status is X
    assert plan.match("1").destination == Queue("z")
    assert plan.match("1", final=True).destination == Queue("z")
    assert plan.match("20").destination == Queue("n")
    assert plan.match("10").status is X
    assert plan.match("4#").destination == Queue("set")
    assert plan.match("2#").status is X


def test_bad_digits_raise_with_role(plan: DialPlan) -> None:
    for bad in ("12a", "8 001", "++", "8+", 8001):
        with pytest.raises(CstaError) as info:
            plan.match(bad)  # type: ignore[arg-type]
        assert info.value.error_value is ErrorValue.INVALID_CALLED_DEVICE_ID
    with pytest.raises(CstaError) as info:
        plan.match("x", role=NumberRole.DESTINATION)
    assert info.value.error_value is ErrorValue.INVALID_DESTINATION_DEVICE_ID


# -- DNIS ------------------------------------------------------------------------------------


def test_dnis_routing() -> None:
    dnis = DialPlan.from_dict({"+442079460000": "queue:sales", "+44207946XXXX": "ivr:main", "2000": "station:S2"})
    assert dnis.route("+442079460000").destination == Queue("sales")
    assert dnis.route(parse_number("+442079461234")).destination == Ivr("main")
    assert dnis.route("2000").destination == Extension("S2")
    for missing in ("200", "+4420794600001", "+15550109999"):
        with pytest.raises(CstaError) as info:
            dnis.route(missing)
        assert info.value.error_value is ErrorValue.INVALID_CALLED_DEVICE_ID
        assert repr(missing) in info.value.detail
    with pytest.raises(CstaError) as info:
        dnis.route("nope", role=NumberRole.DESTINATION)
    assert info.value.error_value is ErrorValue.INVALID_DESTINATION_DEVICE_ID
    fallback = DialPlan.from_dict({"2000": "station:S2", "default": "queue:reception"})
    assert fallback.route("+15550109999").destination == Queue("reception")
    assert fallback.route("+15550109999").number == parse_number("+15550109999")


# -- schema validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"8001": "S1"}, "'8001': destination must be 'kind:name'"),
        ({"8001": "phone:S1"}, "'8001': unknown destination kind 'phone'"),
        ({"8001": "station:"}, "'8001': Extension needs a non-empty name"),
        ({"8001": "station:S 1"}, "'8001'"),
        ({"8001": 42}, "'8001': value must be"),
        ({"80a1": "station:S1"}, "'80a1': 'a' at index 2"),
        ({"": "station:S1"}, "'' is empty"),
        ({"7[0-": "ivr:x"}, "'7[0-': '[' at index 1 is not closed"),
        ({"7[]": "ivr:x"}, "'7[]': empty []"),
        ({"7[5-3]": "ivr:x"}, "bad range 5-3"),
        ({"7[a]": "ivr:x"}, "may hold only digits"),
        ({"8+1": "ivr:x"}, "'+' may only lead"),
        ({"+44": "ivr:x"}, "'+44': a '+' key needs 7-15 digits"),
        ({"+0441234567": "ivr:x"}, "country code does not start with 0"),
        ({"+44*1234567": "ivr:x"}, "needs 7-15 digits"),
        ({"9": {"trunk": "T", "min": 0}}, "'9': need 1 <= min <= max <= 31"),
        ({"9": {"trunk": "T", "min": 5, "max": 4}}, "min 5, max 4"),
        ({"9": {"trunk": "T", "max": 32}}, "<= 31"),
        ({"9": {"trunk": "T", "min": "3"}}, "'min' must be an integer"),
        ({"9": {"trunk": "T", "min": True}}, "'min' must be an integer"),
        ({"9": {"trunk": "T", "mni": 3}}, "unknown field(s) ['mni']"),
        ({"9": {"trunk": ""}}, "'trunk' must name a trunk group"),
        ({"9": {"min": 3}}, "a table needs 'to', 'trunk' or 'feature'"),
        ({"9": {"trunk": "T", "strip": "no"}}, "'strip' must be true or false"),
        ({"9": {"trunk": "T", "urgent": 1}}, "'urgent' must be true or false"),
        ({"*1": {"trunk": "T", "number": "garbage"}}, "'*1': 'number': bad number 'garbage'"),
        ({"*1": {"trunk": "T", "number": "+441234567", "max": 3}}, "'number' excludes"),
        ({"+": {"trunk": "T", "min": 3}}, "'+': need 7 <= min <= max <= 15"),
        ({"+": {"trunk": "T", "strip": False}}, "'strip' does not apply to '+'"),
        ({"+": "ivr:x"}, "'+': a '+' key needs"),
        ({"+44": {"trunk": "T"}}, "'+44': an international trunk rule's key is just '+'"),
        ({"5": {"to": "ivr:x", "trunk": "T"}}, "unknown field(s) ['trunk']"),
        ({"7X": "ivr:a", "7[0-9]": "ivr:b"}, "'7[0-9]' matches the same digits as '7X'"),
        ({"default": "nowhere"}, "'default'"),
        ({1: "station:S1"}, "1 is not text"),
    ],
)
def test_schema_errors_name_the_key(config: dict[Any, Any], message: str) -> None:
    with pytest.raises(DialPlanError) as info:
        DialPlan.from_dict(config)
    assert message in str(info.value), str(info.value)
    assert isinstance(info.value, ValueError)


def test_not_a_mapping() -> None:
    with pytest.raises(DialPlanError, match="mapping"):
        DialPlan.from_dict([("8001", "station:S1")])  # type: ignore[arg-type]


def test_same_key_as_exact_and_trunk_is_allowed() -> None:
    plan = DialPlan.from_dict({"9": "queue:nine"} | {"9X": "queue:x"})
    assert plan.match("9").status is I and plan.match("9").destination == Queue("nine")
    assert len(plan) == 2


def test_destinations_validate() -> None:
    for cls in (Extension, RoutePoint, Queue, Ivr):
        with pytest.raises(ValueError):
            cls("")
        with pytest.raises(ValueError):
            cls(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        External("T", "8001")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Match(C, "1")
    with pytest.raises(ValueError):
        Match(X, "1", Queue("q"))


# -- properties ------------------------------------------------------------------------------

keys = st.text(alphabet="0123", min_size=1, max_size=4)


@given(st.lists(keys, min_size=1, max_size=8, unique=True), st.text(alphabet="0123", max_size=5), st.booleans())
def test_exact_plans_match_the_oracle(extensions: list[str], dialled: str, final: bool) -> None:
    plan = DialPlan.from_dict({k: f"station:S{k}" for k in extensions})
    m = plan.match(dialled, final=final)
    exact = dialled in extensions
    longer = any(k != dialled and k.startswith(dialled) for k in extensions)
    if exact and (final or not longer):
        assert m.status is C and m.destination == Extension(f"S{dialled}")
    elif exact:
        assert m.status is I and m.destination == Extension(f"S{dialled}")
    elif longer and not final:
        assert m == Match(I, dialled)
    else:
        assert m == Match(X, dialled)


@given(st.text(alphabet="0123456789*#", max_size=8), st.text(alphabet="0123456789", min_size=1, max_size=4))
def test_invalid_stays_invalid(dialled: str, more: str) -> None:
    plan = DialPlan.from_dict(CONFIG)
    if plan.match(dialled).status is X:
        assert plan.match(dialled + more).status is X


@given(st.text(alphabet="0123456789*#", min_size=3, max_size=15))
def test_trunk_sends_what_follows_the_access_code(rest: str) -> None:
    plan = DialPlan.from_dict({"9": {"trunk": "T", "min": 3, "max": 15}})
    m = plan.match("9" + rest, final=True)
    assert m.status is C and m.destination == External("T", DialString(rest))


@given(st.text(alphabet="0123456789*#ABCD", max_size=10))
def test_final_never_incomplete(dialled: str) -> None:
    plan = DialPlan.from_dict(CONFIG)
    m = plan.match(dialled, final=True)
    assert m.status is not I
    assert (m.status is C) == m.can_complete
    early = plan.match(dialled)
    if early.can_complete:
        assert m.destination == early.destination
