"""Dialled numbers and caller identity, E.164-aware (pure: no I/O, no clock).

A :class:`DialString` is what a user dials or a network delivers: a run of dial characters,
optionally marked *international* (a leading ``'+'`` in the text).  :func:`parse_number` is the
strict way in from text.

Rules (pycti's, stated so there is no guessing):

* Dial characters are the DTMF alphabet ``0-9 * # A B C D``, ASCII only and upper case.
  ``"12a"`` is refused (a lower-case letter is more likely a typo than DTMF ``A``); digits of
  other scripts (Arabic-Indic ``'٣'``, full-width ``'８'``) are refused by name.
* ``'+'`` is not a DTMF character: it marks an international (E.164) number and may only lead
  the text.  An international number has :data:`E164_MIN_DIGITS` .. :data:`E164_MAX_DIGITS`
  digits ``0-9`` after the ``'+'`` and its country code does not start with ``0``.
* A national (non-``'+'``) number has 1 .. :data:`MAX_DIAL_CHARACTERS` dial characters.
* The pause ``','`` is not part of a number; :meth:`DialString.in_band` inserts one where
  asked (after a trunk access code).
* Whitespace and separators are refused by default.  With ``separators=True`` the
  separators people type -- ASCII space, ``'-'``, ``'.'``, ``'('``, ``')'`` -- are dropped
  between characters (``"+1 (555) 010-9999"``); leading or trailing whitespace and any other
  whitespace (tabs, newlines, non-breaking spaces) are still refused.

A bad number raises :class:`~pycti.errors.CstaError` with the error value of the number's
:class:`NumberRole` (``invalidCalledDeviceID`` for a called number ...) and a detail naming
the text and the reason.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from pycti.errors import CstaError, ErrorValue

__all__ = [
    "DTMF_CHARACTERS",
    "E164_MAX_DIGITS",
    "E164_MIN_DIGITS",
    "MAX_DIAL_CHARACTERS",
    "SEPARATORS",
    "DialString",
    "NumberRole",
    "parse_number",
    "validate_dialled",
]

#: The characters a :class:`DialString` may hold (the DTMF alphabet, upper case).
DTMF_CHARACTERS = frozenset("0123456789*#ABCD")
#: What ``separators=True`` drops from the text.
SEPARATORS = frozenset(" -.()")
#: E.164 clause 6: at most 15 digits, country code included.
E164_MAX_DIGITS = 15
#: Shortest international number accepted (pycti's bound): a 3-digit country code and a
#: 4-digit subscriber number, as in the smallest numbering plans; shorter is taken as a typo.
E164_MIN_DIGITS = 7
#: Longest national dial string accepted (pycti's bound; ECMA-269 leaves it to the switch).
MAX_DIAL_CHARACTERS = 32

_ASCII_DIGITS = frozenset("0123456789")


class NumberRole(enum.Enum):
    """What a number is for; the value is the ECMA-269 error value a bad one is refused with."""

    CALLED = ErrorValue.INVALID_CALLED_DEVICE_ID
    CALLING = ErrorValue.INVALID_CALLING_DEVICE_ID
    DESTINATION = ErrorValue.INVALID_DESTINATION_DEVICE_ID

    @property
    def error_value(self) -> ErrorValue:
        """The ECMA-269 error value for a malformed number in this role."""
        value: ErrorValue = self.value
        return value


def _describe(ch: str) -> str:
    """``'a'`` -> ``'a'``; non-ASCII characters with their code point and Unicode name."""
    if ch.isascii() and ch.isprintable():
        return repr(ch)
    name = unicodedata.name(ch, "unnamed character")
    return f"{ch!r} (U+{ord(ch):04X} {name})"


def _char_problem(body: str, international: bool, skip: frozenset[str] = frozenset()) -> str | None:
    """Why a character of ``body`` (the text after any ``'+'``) cannot be dialled, or None.

    Characters in ``skip`` (separators) are ignored; indexes in the reason count in the
    whole text, the ``'+'`` included."""
    allowed = _ASCII_DIGITS if international else DTMF_CHARACTERS
    offset = 1 if international else 0
    for i, ch in enumerate(body):
        if ch in allowed or ch in skip:
            continue
        where = f"at index {i + offset}"
        if ch == "+":
            return f"'+' {where}: '+' may only lead an international number"
        if ch.isspace():
            return f"whitespace {_describe(ch)} {where}"
        if unicodedata.category(ch) == "Nd" or ch.isdigit():
            return f"non-ASCII digit {_describe(ch)} {where}; use 0-9"
        if international:
            return f"{_describe(ch)} {where}: an international number has only digits 0-9"
        if ch in "abcd":
            return f"lower-case {ch!r} {where}: DTMF letters are upper-case A-D"
        return f"{_describe(ch)} {where} is not a dial character (0-9 * # A-D)"
    return None


def _problem(body: str, international: bool, skip: frozenset[str] = frozenset()) -> str | None:
    """Why ``body`` (the text after any ``'+'``) is not a valid number, or None when it is."""
    why = _char_problem(body, international, skip)
    if why is not None:
        return why
    digits = "".join(ch for ch in body if ch not in skip)
    if not digits:
        if body:
            return "only separators"
        return "no digits after '+'" if international else "empty"
    if international:
        if len(digits) > E164_MAX_DIGITS:
            return f"{len(digits)} digits after '+': E.164 allows at most {E164_MAX_DIGITS}"
        if len(digits) < E164_MIN_DIGITS:
            return f"{len(digits)} digits after '+': fewer than {E164_MIN_DIGITS}"
        if digits[0] == "0":
            return "country code starts with 0"
    elif len(digits) > MAX_DIAL_CHARACTERS:
        return f"{len(digits)} characters: more than {MAX_DIAL_CHARACTERS}"
    return None


@dataclass(frozen=True, slots=True)
class DialString:
    """A validated dialled number.

    ``digits`` holds the dial characters (for an international number: the E.164 digits,
    country code first, without the ``'+'``); ``international`` is True for a number written
    with a leading ``'+'``.  ``str()`` gives the canonical text (``"+8613800138000"``,
    ``"8001"``), which :func:`parse_number` reads back to an equal value.  Constructing one
    directly validates like :func:`parse_number` (error value ``invalidParameterValue``).
    """

    digits: str
    international: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.digits, str) or not isinstance(self.international, bool):
            raise CstaError(
                ErrorValue.INVALID_PARAMETER_VALUE,
                f"DialString needs digits: str and international: bool, got {self.digits!r}, {self.international!r}",
            )
        why = _problem(self.digits, self.international)
        if why is not None:
            raise CstaError(ErrorValue.INVALID_PARAMETER_VALUE, f"bad number {str(self)!r}: {why}")

    def __str__(self) -> str:
        return f"+{self.digits}" if self.international else self.digits

    def in_band(self, *, international_prefix: str | None = None, access_code: str = "", pause: bool = False) -> str:
        """The characters to send in-band (DTMF) to dial this number.

        An international number cannot be sent as ``'+'``: give the ``international_prefix``
        of the network the call leaves through (``"00"`` in most of the world, ``"011"`` in
        North America); without one it raises ``invalidParameterValue``.  ``access_code``
        (e.g. a trunk access code ``"9"``) goes first, followed by a pause ``','`` when
        ``pause`` is set.  The result uses only ``0-9 * # A-D ,``.
        """
        for label, part in (("access_code", access_code), ("international_prefix", international_prefix or "")):
            if not isinstance(part, str) or not set(part) <= DTMF_CHARACTERS:
                raise CstaError(ErrorValue.INVALID_PARAMETER_VALUE, f"{label} {part!r} is not DTMF (0-9 * # A-D)")
        if self.international:
            if not international_prefix:
                raise CstaError(
                    ErrorValue.INVALID_PARAMETER_VALUE,
                    f"{self} is international: '+' is not DTMF, give international_prefix",
                )
            body = international_prefix + self.digits
        else:
            body = self.digits
        return f"{access_code}{',' if pause and access_code else ''}{body}"


def parse_number(text: object, *, role: NumberRole = NumberRole.DESTINATION, separators: bool = False) -> DialString:
    """Read a dialled number from text (see the module docstring for the rules).

    ``role`` picks the error value a bad number is refused with: ``NumberRole.CALLED``
    (invalidCalledDeviceID), ``CALLING`` (invalidCallingDeviceID) or ``DESTINATION`` (the
    default: invalidDestinationDeviceID).  ``separators=True`` drops ``' ' - . ( )``.
    Non-``str`` input (an ``int`` 8001, bytes, None) is refused, not converted: a number
    with a leading ``0`` or ``'+'`` does not survive being an int.
    """
    if not isinstance(role, NumberRole):
        raise TypeError(f"role must be a NumberRole, got {role!r}")
    ev = role.error_value
    if not isinstance(text, str):
        hint = f"; write it as text: '{text}'" if isinstance(text, int) and not isinstance(text, bool) else ""
        raise CstaError(ev, f"a number must be a str, got {type(text).__name__} {text!r}{hint}")
    if not text:
        raise CstaError(ev, "bad number '': empty")
    if text != text.strip():
        raise CstaError(ev, f"bad number {text!r}: leading or trailing whitespace")
    international = text.startswith("+")
    body = text[1:] if international else text
    skip = SEPARATORS if separators else frozenset()
    if international and body[:1] in skip:
        raise CstaError(ev, f"bad number {text!r}: separator right after '+'")
    why = _problem(body, international, skip)
    if why is not None:
        raise CstaError(ev, f"bad number {text!r}: {why}")
    body = "".join(ch for ch in body if ch not in skip)
    return DialString(body, international)


def validate_dialled(text: object, *, role: NumberRole = NumberRole.CALLED) -> str:
    """Check a possibly incomplete dialled string, as a digit collector accumulates it, and
    return it unchanged.

    The characters follow :func:`parse_number` (an optional leading ``'+'`` then digits
    ``0-9``, otherwise ``0-9 * # A-D``; no separators) but no minimum length applies: ``""``
    (nothing dialled yet), ``"+"`` and ``"+86"`` pass.  The maximum lengths do apply.
    """
    if not isinstance(role, NumberRole):
        raise TypeError(f"role must be a NumberRole, got {role!r}")
    if not isinstance(text, str):
        raise CstaError(role.error_value, f"dialled digits must be a str, got {type(text).__name__} {text!r}")
    international = text.startswith("+")
    body = text[1:] if international else text
    why = _char_problem(body, international)
    limit = E164_MAX_DIGITS if international else MAX_DIAL_CHARACTERS
    if why is None and len(body) > limit:
        why = f"{len(body)} characters: more than {limit}"
    if why is not None:
        raise CstaError(role.error_value, f"bad dialled digits {text!r}: {why}")
    return text
