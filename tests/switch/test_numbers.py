"""Dialled numbers: strict parsing, E.164 bounds, role-dependent error values, presentation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycti.errors import CstaError, ErrorValue
from pycti.switch.numbers import (
    DTMF_CHARACTERS,
    E164_MAX_DIGITS,
    E164_MIN_DIGITS,
    MAX_DIAL_CHARACTERS,
    DialString,
    NumberRole,
    parse_number,
    validate_dialled,
)

DTMF = "".join(sorted(DTMF_CHARACTERS))


def refused(text: object, *, role: NumberRole = NumberRole.DESTINATION, separators: bool = False) -> CstaError:
    with pytest.raises(CstaError) as info:
        parse_number(text, role=role, separators=separators)
    assert info.value.error_value is role.error_value
    return info.value


# -- valid numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "digits", "international"),
    [
        ("+8613800138000", "8613800138000", True),
        ("+442079460000", "442079460000", True),
        ("+6834002", "6834002", True),  # Niue: 7 digits, the shortest accepted
        ("+123456789012345", "123456789012345", True),  # 15: the E.164 maximum
        ("8001", "8001", False),
        ("0", "0", False),
        ("*72#", "*72#", False),
        ("12A", "12A", False),
        ("ABCD", "ABCD", False),
        ("0" * MAX_DIAL_CHARACTERS, "0" * MAX_DIAL_CHARACTERS, False),
    ],
)
def test_valid(text: str, digits: str, international: bool) -> None:
    number = parse_number(text)
    assert number == DialString(digits, international)
    assert number.digits == digits and number.international is international
    assert str(number) == text


# -- refused numbers: the error names the text and why ---------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("NOPE", "'N' at index 0 is not a dial character"),
        ("", "empty"),
        ("12a", "lower-case 'a' at index 2"),
        ("+", "no digits after '+'"),
        ("++1", "'+' at index 1: '+' may only lead"),
        ("12+3", "'+' at index 2"),
        ("+1234567890123456", "16 digits after '+': E.164 allows at most 15"),
        ("+123456", "6 digits after '+': fewer than 7"),
        ("+0123456789", "country code starts with 0"),
        ("+86*1380013", "'*' at index 3: an international number has only digits 0-9"),
        ("+86A1380013", "'A' at index 3: an international number"),
        ("0" * (MAX_DIAL_CHARACTERS + 1), f"{MAX_DIAL_CHARACTERS + 1} characters: more than {MAX_DIAL_CHARACTERS}"),
        ("80 01", "whitespace ' ' at index 2"),
        ("80\t01", "whitespace '\\t' (U+0009"),
        (" 8001", "leading or trailing whitespace"),
        ("8001\n", "leading or trailing whitespace"),
        ("80\u00a001", "whitespace '\\xa0' (U+00A0 NO-BREAK SPACE)"),
        ("\u0668\u0660\u0660\u0661", "non-ASCII digit '٨' (U+0668 ARABIC-INDIC DIGIT EIGHT) at index 0"),
        ("800\uff18", "non-ASCII digit '８' (U+FF18 FULLWIDTH DIGIT EIGHT) at index 3"),
        ("+86\u0661380013800", "non-ASCII digit '١'"),
        ("8,001", "',' at index 1 is not a dial character"),
        ("80-01", "'-' at index 2"),
        ("(800)", "'(' at index 0"),
    ],
)
def test_refused_with_reason(text: str, why: str) -> None:
    err = refused(text)
    assert repr(text) in err.detail
    assert why in err.detail, err.detail


@pytest.mark.parametrize(
    ("role", "value"),
    [
        (NumberRole.DESTINATION, ErrorValue.INVALID_DESTINATION_DEVICE_ID),
        (NumberRole.CALLING, ErrorValue.INVALID_CALLING_DEVICE_ID),
        (NumberRole.CALLED, ErrorValue.INVALID_CALLED_DEVICE_ID),
    ],
)
def test_role_picks_error_value(role: NumberRole, value: ErrorValue) -> None:
    assert role.error_value is value
    for bad in ("NOPE", "", "+", 8001):
        assert refused(bad, role=role).error_value is value


def test_default_role_is_destination() -> None:
    with pytest.raises(CstaError) as info:
        parse_number("x")
    assert info.value.error_value is ErrorValue.INVALID_DESTINATION_DEVICE_ID
    assert str(info.value).startswith("invalidDestinationDeviceID: ")


@pytest.mark.parametrize("value", [8001, 8001.0, None, b"8001", True, ["8001"]])
def test_non_str_refused(value: object) -> None:
    err = refused(value)
    assert type(value).__name__ in err.detail
    assert "must be a str" in err.detail


def test_int_gets_a_hint() -> None:
    assert "write it as text: '8001'" in refused(8001).detail


def test_bad_role() -> None:
    with pytest.raises(TypeError):
        parse_number("8001", role="called")  # type: ignore[arg-type]


# -- separators ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("+1 (555) 010-9999", "+15550109999"),
        ("+44 20 7946 0000", "+442079460000"),
        ("800.1", "8001"),
        ("(0)30-1234", "0301234"),
    ],
)
def test_separators_when_asked(text: str, canonical: str) -> None:
    assert str(parse_number(text, separators=True)) == canonical
    refused(text)  # strict by default


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("+ 15550109999", "separator right after '+'"),
        (" 8001", "leading or trailing whitespace"),
        ("800 1 ", "leading or trailing whitespace"),
        ("80\t01", "whitespace"),
        ("- -", "only separators"),
        ("+1 555 010 9999 12345", "16 digits"),
        ("80 0a", "lower-case 'a' at index 4"),
    ],
)
def test_separators_still_strict(text: str, why: str) -> None:
    assert why in refused(text, separators=True).detail


# -- DialString ------------------------------------------------------------------------------


def test_dialstring_validates_directly() -> None:
    for digits, intl in [("", False), ("12a", False), ("123", True), ("+8613800138000", True), ("*1", True)]:
        with pytest.raises(CstaError) as info:
            DialString(digits, intl)
        assert info.value.error_value is ErrorValue.INVALID_PARAMETER_VALUE
    with pytest.raises(CstaError):
        DialString(8001)  # type: ignore[arg-type]
    with pytest.raises(CstaError):
        DialString("8001", 1)  # type: ignore[arg-type]


def test_dialstring_is_frozen_and_hashable() -> None:
    n = parse_number("8001")
    with pytest.raises(AttributeError):
        n.digits = "9"  # type: ignore[misc]
    assert {n: 1}[DialString("8001")] == 1
    assert parse_number("+8613800138000") != parse_number("8613800138000")


def test_in_band() -> None:
    intl = parse_number("+8613800138000")
    local = parse_number("8001")
    assert local.in_band() == "8001"
    assert local.in_band(access_code="9") == "98001"
    assert local.in_band(access_code="9", pause=True) == "9,8001"
    assert local.in_band(pause=True) == "8001"  # no access code: nothing to pause after
    assert intl.in_band(international_prefix="00") == "008613800138000"
    assert intl.in_band(international_prefix="011", access_code="9", pause=True) == "9,0118613800138000"
    with pytest.raises(CstaError, match="give international_prefix") as info:
        intl.in_band()
    assert info.value.error_value is ErrorValue.INVALID_PARAMETER_VALUE
    for kwargs in ({"access_code": "9,"}, {"access_code": "x"}, {"international_prefix": "+"}):
        with pytest.raises(CstaError):
            intl.in_band(**kwargs)  # type: ignore[arg-type]


national = st.text(alphabet=DTMF, min_size=1, max_size=MAX_DIAL_CHARACTERS)
international = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("123456789"),
    st.text(alphabet="0123456789", min_size=E164_MIN_DIGITS - 1, max_size=E164_MAX_DIGITS - 1),
)


@given(national)
def test_national_round_trip(text: str) -> None:
    number = parse_number(text)
    assert not number.international and str(number) == text
    assert parse_number(str(number)) == number
    assert set(number.in_band(access_code="9", pause=True)) <= DTMF_CHARACTERS | {","}


@given(international)
def test_international_round_trip(digits: str) -> None:
    number = parse_number("+" + digits)
    assert number.international and number.digits == digits
    assert parse_number(str(number)) == number
    assert number.in_band(international_prefix="00") == "00" + digits


@given(st.text(max_size=40))
def test_any_text_parses_or_refuses_cleanly(text: str) -> None:
    try:
        number = parse_number(text, role=NumberRole.CALLING)
    except CstaError as err:
        assert err.error_value is ErrorValue.INVALID_CALLING_DEVICE_ID
        assert repr(text) in err.detail
        return
    assert str(number) == text
    assert text.isascii() and not any(ch.isspace() for ch in text)


@given(st.text(max_size=40))
def test_separators_only_widen(text: str) -> None:
    """Whatever strict parsing accepts, lenient parsing accepts to the same value."""
    try:
        strict = parse_number(text)
    except CstaError:
        return
    assert parse_number(text, separators=True) == strict


# -- partial digits --------------------------------------------------------------------------


def test_validate_dialled() -> None:
    for ok in ("", "+", "+86", "8", "*7", "9" * MAX_DIAL_CHARACTERS, "+" + "1" * E164_MAX_DIGITS):
        assert validate_dialled(ok) == ok
    for bad, why in [
        ("12a", "lower-case"),
        ("++", "'+' at index 1"),
        ("+*", "only digits"),
        ("9" * (MAX_DIAL_CHARACTERS + 1), "more than"),
        ("+" + "1" * (E164_MAX_DIGITS + 1), "more than"),
        (8, "must be a str"),
    ]:
        with pytest.raises(CstaError) as info:
            validate_dialled(bad)
        assert info.value.error_value is ErrorValue.INVALID_CALLED_DEVICE_ID
        assert why in info.value.detail
    with pytest.raises(CstaError) as info:
        validate_dialled("x", role=NumberRole.CALLING)
    assert info.value.error_value is ErrorValue.INVALID_CALLING_DEVICE_ID
