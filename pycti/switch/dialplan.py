"""Dial plans: which destination a dialled (or delivered) number leads to (pure).

One class serves both jobs a PBX has for numbers:

* **Station dialling** -- digits arrive one by one; :meth:`DialPlan.match` on the digits so
  far says COMPLETE (route now), INCOMPLETE (wait for more; possibly ambiguous, e.g. ``800``
  while ``8001`` exists) or INVALID.  When the inter-digit timer runs out the caller asks
  again with ``final=True``, which completes an ambiguous match instead of waiting.
* **Incoming DNIS routing** -- the called number arrives whole; :meth:`DialPlan.route` is a
  final match that raises instead of returning INVALID.  A DNIS table is simply another
  DialPlan (usually exact keys, E.164 ``"+..."`` keys and a ``default``).

Schema (a plain mapping, as TOML gives it)::

    {
      "8001": "station:S1",                     # exact key -> destination
      "0": "queue:operator",
      "7XXX": "ivr:directory",                  # pattern: X 0-9, Z 1-9, N 2-9, [1-5], [135]
      "9": {"trunk": "T", "min": 3, "max": 15}, # access code + 3..15 digits -> External
      "+": {"trunk": "INTL"},                   # '+' + E.164 digits -> international External
      "*1": {"trunk": "T", "number": "+442079460000"},  # speed dial: fixed external number
      "112": {"trunk": "T", "number": "112", "urgent": true},
      "555": {"to": "route:R1", "urgent": true},
      "*61": {"feature": "agentLogon", "max": 16},  # *61 + agent id [+ '*' + password] [#]
      "*63": "feature:agentReady",              # a feature without argument
      "default": "ivr:main",                    # where everything else goes (optional)
    }

Destination text is ``kind:name`` with kind ``station`` (:class:`Extension`), ``route``
(:class:`RoutePoint`), ``queue`` (:class:`Queue`), ``ivr`` (:class:`Ivr`) or ``feature``
(:class:`Feature`: one of :data:`FEATURES`, the agent services a station dials; a
``{"feature": ..., "min": m, "max": n}`` rule takes up to ``n`` digits after its code as the
feature's argument, ended by ``#`` or the inter-digit timeout).  A trunk rule
strips its access code unless ``"strip": false``.  ``"urgent": true`` completes a rule as
soon as it matches even when longer numbers could still match (emergency numbers).

Precedence when several rules match the same digits: exact keys, then patterns (the most
specific first: fewest possible strings), then trunk rules (longest access code first);
remaining ties go to the rule listed first.  ``default`` applies whenever no rule can match
(including, with ``final=True``, digits that are only the beginning of a rule).  Matching
scans the rules: O(rules x digits).  Build errors raise :class:`DialPlanError` naming the key.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from math import prod

from pycti.errors import CstaError, PyctiError

from pycti.switch.numbers import DTMF_CHARACTERS, E164_MAX_DIGITS, E164_MIN_DIGITS, MAX_DIAL_CHARACTERS
from pycti.switch.numbers import DialString, NumberRole, parse_number, validate_dialled

__all__ = [
    "DialPlan", "DialPlanError", "Destination", "Extension", "External", "FEATURES", "Feature", "Ivr", "Match",
    "MatchStatus",
    "Queue", "RoutePoint",
]


class DialPlanError(PyctiError, ValueError):
    """A dial plan configuration is malformed; the message names the key."""


def _check_name(what: str, name: object) -> None:
    if not isinstance(name, str) or not name or any(ch.isspace() for ch in name):
        raise ValueError(f"{what} needs a non-empty name without whitespace, got {name!r}")


@dataclass(frozen=True, slots=True)
class Extension:
    """A device of this switch (a station), by device id."""

    device: str

    def __post_init__(self) -> None:
        _check_name("Extension", self.device)


@dataclass(frozen=True, slots=True)
class _Named:
    name: str

    def __post_init__(self) -> None:
        _check_name(type(self).__name__, self.name)


@dataclass(frozen=True, slots=True)
class RoutePoint(_Named):
    """An ECMA-269 routeing device (``name``): the application chooses where the call goes."""


@dataclass(frozen=True, slots=True)
class Queue(_Named):
    """An ACD queue (``name``): the call waits for an agent."""


@dataclass(frozen=True, slots=True)
class Ivr(_Named):
    """An IVR application (``name``): a voice menu."""


@dataclass(frozen=True, slots=True)
class External:
    """A number outside the switch, sent out on a trunk of ``trunk_group``."""

    trunk_group: str
    number: DialString

    def __post_init__(self) -> None:
        _check_name("External", self.trunk_group)
        if not isinstance(self.number, DialString):
            raise ValueError(f"External.number must be a DialString, got {self.number!r}")


#: The switch features a station can dial (agent log-on and the agent states).
FEATURES = ("agentLogon", "agentLogoff", "agentReady", "agentNotReady", "agentWorkingAfterCall")


@dataclass(frozen=True, slots=True)
class Feature:
    """A switch feature dialled from a station: ``name`` (one of :data:`FEATURES`) with the
    digits keyed after the feature code as ``argument`` (an agent id and password, a reason)."""

    name: str
    argument: str = ""

    def __post_init__(self) -> None:
        if self.name not in FEATURES:
            raise ValueError(f"unknown feature {self.name!r} (one of {', '.join(FEATURES)})")


#: Where a number leads.
Destination = Extension | RoutePoint | Queue | Ivr | External | Feature

_KINDS: dict[str, type[Extension | RoutePoint | Queue | Ivr | Feature]]
_KINDS = {"station": Extension, "route": RoutePoint, "queue": Queue, "ivr": Ivr, "feature": Feature}


class MatchStatus(enum.Enum):
    """The outcome of matching dialled digits."""

    COMPLETE = "complete"  #: route the call now
    INCOMPLETE = "incomplete"  #: wait for more digits
    INVALID = "invalid"  #: no rule can match, however many digits follow


@dataclass(frozen=True, slots=True)
class Match:
    """What :meth:`DialPlan.match` found.

    ``destination`` is where the call goes (COMPLETE) or would go if dialling stopped now
    (INCOMPLETE and ambiguous); None otherwise.  ``number`` is what to send on: an
    External's number, else the dialled digits as a :class:`DialString` (None when they do
    not form a valid number, e.g. nothing dialled).  ``rule`` is the key that matched
    (``"default"`` for the default), ``dialled`` the digits as given.
    """

    status: MatchStatus
    dialled: str
    destination: Destination | None = None
    number: DialString | None = None
    rule: str | None = None

    def __post_init__(self) -> None:
        if self.status is MatchStatus.COMPLETE and self.destination is None:
            raise ValueError("a complete match needs a destination")
        if self.status is MatchStatus.INVALID and (self.destination is not None or self.number is not None):
            raise ValueError("an invalid match has no destination and no number")

    @property
    def can_complete(self) -> bool:
        """True when the digits so far already lead somewhere (COMPLETE, or an ambiguous
        INCOMPLETE that ``final=True`` would complete)."""
        return self.destination is not None


# -- rules -----------------------------------------------------------------------------------

_DIGITS = frozenset("0123456789")
_WILDCARDS = {"X": _DIGITS, "Z": frozenset("123456789"), "N": frozenset("23456789")}
_EXACT, _PATTERN, _TRUNK = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Rule:
    key: str
    order: int
    sets: tuple[frozenset[str], ...]  # the key, one character set per position
    kind: int  # _EXACT, _PATTERN or _TRUNK
    destination: Destination | None  # None for a trunk (access code) rule
    urgent: bool = False
    trunk_group: str = ""
    min_digits: int = 0
    max_digits: int = 0
    strip: bool = True
    feature: str = ""  # a feature rule: code + argument digits (kind _TRUNK's length rules)

    def rank(self) -> tuple[int, int, int]:
        """Sort key: lower wins."""
        if self.kind == _TRUNK:
            return (_TRUNK, -len(self.sets), self.order)
        return (self.kind, prod(len(s) for s in self.sets), self.order)

    def state(self, dialled: str) -> tuple[bool, bool]:
        """(matches now, could match with more digits)."""
        n = len(self.sets)
        head = dialled[:n]
        if any(ch not in s for ch, s in zip(head, self.sets)):
            return False, False
        if self.kind != _TRUNK:
            return len(dialled) == n, len(dialled) < n
        if len(dialled) <= n:
            return len(dialled) == n and self.min_digits == 0, len(dialled) < n or self.max_digits > 0
        rest = dialled[n:]
        if self.feature and rest.endswith("#"):  # '#' ends a feature's argument
            return self.min_digits <= len(rest) - 1 <= self.max_digits, False
        if "+" in self.sets[0] and rest[0] == "0":
            return False, False  # no E.164 country code starts with 0
        r = len(rest)
        return self.min_digits <= r <= self.max_digits, r < self.max_digits

    def complete(self, dialled: str) -> Match:
        """The COMPLETE match of this rule for ``dialled`` (which matches it now)."""
        if self.feature:
            return Match(MatchStatus.COMPLETE, dialled, Feature(self.feature, dialled[len(self.sets):].rstrip("#")),
                         None, self.key)
        if self.destination is not None:
            dest: Destination = self.destination
            number = dest.number if isinstance(dest, External) else _as_number(dialled)
            return Match(MatchStatus.COMPLETE, dialled, dest, number, self.key)
        n = len(self.sets)
        if "+" in self.sets[0]:
            number = DialString(dialled[n:], international=True)
        else:
            number = DialString(dialled[n:] if self.strip else dialled)
        return Match(MatchStatus.COMPLETE, dialled, External(self.trunk_group, number), number, self.key)


def _as_number(dialled: str) -> DialString | None:
    try:
        return parse_number(dialled)
    except CstaError:
        return None


_TOKEN = re.compile(r"\[([^\]]*)\]|(\[)|(.)", re.DOTALL)
_CLASS = re.compile(r"(?:[0-9](?:-[0-9])?)+")


def _parse_key(key: str) -> tuple[frozenset[str], ...]:
    if not key:
        raise DialPlanError("dial plan key '' is empty")
    sets: list[frozenset[str]] = []
    for token in _TOKEN.finditer(key):
        body, unclosed, ch = token.groups()
        i = token.start()
        if unclosed:
            raise DialPlanError(f"dial plan key {key!r}: '[' at index {i} is not closed")
        if body is not None:
            sets.append(_parse_class(key, body))
        elif ch == "+" and i == 0 or ch in DTMF_CHARACTERS:
            sets.append(frozenset(ch))
        elif ch in _WILDCARDS:
            sets.append(_WILDCARDS[ch])
        elif ch == "+":
            raise DialPlanError(f"dial plan key {key!r}: '+' may only lead the key")
        else:
            raise DialPlanError(f"dial plan key {key!r}: {ch!r} at index {i} is not a dial character, X, Z, N or [...]")
    return tuple(sets)


def _parse_class(key: str, body: str) -> frozenset[str]:
    if not body:
        raise DialPlanError(f"dial plan key {key!r}: empty []")
    if not _CLASS.fullmatch(body):
        raise DialPlanError(f"dial plan key {key!r}: [{body}] may hold only digits and ranges like 1-5")
    chars: set[str] = set()
    for lo, hi in re.findall(r"([0-9])(?:-([0-9]))?", body):
        if hi and hi < lo:
            raise DialPlanError(f"dial plan key {key!r}: bad range {lo}-{hi} in [{body}]")
        chars.update(str(d) for d in range(int(lo), int(hi or lo) + 1))
    return frozenset(chars)


def _parse_destination(key: str, text: object) -> Destination:
    if not isinstance(text, str) or ":" not in text:
        raise DialPlanError(f"dial plan key {key!r}: destination must be 'kind:name' text, got {text!r}")
    kind, _, name = text.partition(":")
    if kind not in _KINDS:
        kinds = ", ".join(_KINDS)
        raise DialPlanError(f"dial plan key {key!r}: unknown destination kind {kind!r} (one of {kinds})")
    try:
        return _KINDS[kind](name)
    except ValueError as exc:
        raise DialPlanError(f"dial plan key {key!r}: {exc}") from None


def _int_field(key: str, spec: Mapping[str, object], field: str, default: int) -> int:
    value = spec.get(field, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DialPlanError(f"dial plan key {key!r}: {field!r} must be an integer, got {value!r}")
    return value


def _bool_field(key: str, spec: Mapping[str, object], field: str, default: bool = False) -> bool:
    value = spec.get(field, default)
    if not isinstance(value, bool):
        raise DialPlanError(f"dial plan key {key!r}: {field!r} must be true or false, got {value!r}")
    return value


_TO_FIELDS = frozenset({"to", "urgent"})
_TRUNK_FIELDS = frozenset({"trunk", "min", "max", "number", "strip", "urgent"})


def _parse_rule(key: str, order: int, value: object) -> _Rule:
    sets = _parse_key(key)
    international = "+" in sets[0]
    literal = all(len(s) == 1 for s in sets)
    fixed_kind = _EXACT if literal else _PATTERN
    access = isinstance(value, Mapping) and "trunk" in value and "number" not in value and "to" not in value
    if international and not access:
        if any(not s <= _DIGITS for s in sets[1:]) or not E164_MIN_DIGITS <= len(sets) - 1 <= E164_MAX_DIGITS:
            raise DialPlanError(f"dial plan key {key!r}: a '+' key needs {E164_MIN_DIGITS}-{E164_MAX_DIGITS} digits")
        if "0" in sets[1]:
            raise DialPlanError(f"dial plan key {key!r}: an E.164 country code does not start with 0")
    if isinstance(value, str):
        return _Rule(key, order, sets, fixed_kind, _parse_destination(key, value))
    if not isinstance(value, Mapping):
        raise DialPlanError(f"dial plan key {key!r}: value must be 'kind:name' text or a table, got {value!r}")
    spec: Mapping[str, object] = value
    if "to" in spec:
        unknown = set(spec) - _TO_FIELDS
        if unknown:
            raise DialPlanError(f"dial plan key {key!r}: unknown field(s) {sorted(unknown)} (allowed: to, urgent)")
        dest = _parse_destination(key, spec["to"])
        return _Rule(key, order, sets, fixed_kind, dest, _bool_field(key, spec, "urgent"))
    if "feature" in spec:
        unknown = set(spec) - {"feature", "min", "max"}
        if unknown:
            raise DialPlanError(f"dial plan key {key!r}: unknown field(s) {sorted(unknown)} (allowed: feature, min, max)")
        name = spec["feature"]
        if name not in FEATURES:
            raise DialPlanError(f"dial plan key {key!r}: unknown feature {name!r} (one of {', '.join(FEATURES)})")
        lo = _int_field(key, spec, "min", 0)
        hi = _int_field(key, spec, "max", 0)
        if not 0 <= lo <= hi <= MAX_DIAL_CHARACTERS - len(sets):
            raise DialPlanError(f"dial plan key {key!r}: need 0 <= min <= max, got min {lo}, max {hi}")
        return _Rule(key, order, sets, _TRUNK, None, False, "", lo, hi, True, str(name))
    if "trunk" not in spec:
        raise DialPlanError(f"dial plan key {key!r}: a table needs 'to', 'trunk' or 'feature'")
    unknown = set(spec) - _TRUNK_FIELDS
    if unknown:
        allowed = ", ".join(sorted(_TRUNK_FIELDS))
        raise DialPlanError(f"dial plan key {key!r}: unknown field(s) {sorted(unknown)} (allowed: {allowed})")
    group = spec["trunk"]
    if not isinstance(group, str) or not group or any(ch.isspace() for ch in group):
        raise DialPlanError(f"dial plan key {key!r}: 'trunk' must name a trunk group, got {group!r}")
    urgent = _bool_field(key, spec, "urgent")
    if "number" in spec:
        if {"min", "max", "strip"} & set(spec):
            raise DialPlanError(f"dial plan key {key!r}: 'number' excludes 'min', 'max' and 'strip'")
        try:
            number = parse_number(spec["number"])
        except CstaError as exc:
            raise DialPlanError(f"dial plan key {key!r}: 'number': {exc.detail}") from None
        return _Rule(key, order, sets, fixed_kind, External(group, number), urgent)
    if international:
        if len(sets) != 1:
            raise DialPlanError(f"dial plan key {key!r}: an international trunk rule's key is just '+'")
        lo_bound, hi_bound = E164_MIN_DIGITS, E164_MAX_DIGITS
        if "strip" in spec:
            raise DialPlanError(f"dial plan key {key!r}: 'strip' does not apply to '+'")
    else:
        lo_bound, hi_bound = 1, MAX_DIAL_CHARACTERS - len(sets)
    strip = _bool_field(key, spec, "strip", True)
    lo = _int_field(key, spec, "min", lo_bound)
    hi = _int_field(key, spec, "max", hi_bound)
    if not lo_bound <= lo <= hi <= hi_bound:
        raise DialPlanError(
            f"dial plan key {key!r}: need {lo_bound} <= min <= max <= {hi_bound}, got min {lo}, max {hi}"
        )
    return _Rule(key, order, sets, _TRUNK, None, urgent, group, lo, hi, strip)


class DialPlan:
    """An immutable dial plan (see the module docstring); build it with :meth:`from_dict`."""

    __slots__ = ("_default", "_rules")

    def __init__(self, rules: tuple[_Rule, ...] = (), default: Destination | None = None) -> None:
        self._rules = rules
        self._default = default

    @classmethod
    def from_dict(cls, config: Mapping[str, object]) -> DialPlan:
        """Build and validate a plan from its mapping; :class:`DialPlanError` names the bad key."""
        if not isinstance(config, Mapping):
            raise DialPlanError(f"a dial plan is a mapping of keys to destinations, got {type(config).__name__}")
        rules: list[_Rule] = []
        default: Destination | None = None
        seen: dict[tuple[int, tuple[frozenset[str], ...]], str] = {}
        for order, (key, value) in enumerate(config.items()):
            if not isinstance(key, str):
                raise DialPlanError(f"dial plan key {key!r} is not text")
            if key == "default":
                default = _parse_destination(key, value)
                continue
            rule = _parse_rule(key, order, value)
            same = seen.setdefault((rule.kind == _TRUNK, rule.sets), key)
            if same != key:
                raise DialPlanError(f"dial plan key {key!r} matches the same digits as {same!r}")
            rules.append(rule)
        return cls(tuple(rules), default)

    @property
    def default(self) -> Destination | None:
        """Where numbers no rule matches go (None: they are INVALID)."""
        return self._default

    def __len__(self) -> int:
        return len(self._rules)

    def match(self, dialled: str, *, final: bool = False, role: NumberRole = NumberRole.CALLED) -> Match:
        """Match the digits dialled so far (``""`` = nothing yet).

        ``final=True`` means no more digits will come (inter-digit timeout, or a number
        delivered whole): an ambiguous match completes, an incomplete one is INVALID (or the
        default).  Malformed digits (not ``0-9 * # A-D``, a misplaced ``'+'``) raise
        CstaError with ``role``'s error value.
        """
        validate_dialled(dialled, role=role)
        now: list[_Rule] = []
        more = False
        for rule in self._rules:
            matches, extends = rule.state(dialled)
            if matches:
                now.append(rule)
            more = more or extends
        if now:
            best = min(now, key=_Rule.rank)
            urgent = [r for r in now if r.urgent]
            if urgent:
                return min(urgent, key=_Rule.rank).complete(dialled)
            done = best.complete(dialled)
            if final or not more:
                return done
            return Match(MatchStatus.INCOMPLETE, dialled, done.destination, done.number, done.rule)
        if more and not final:
            return Match(MatchStatus.INCOMPLETE, dialled)
        if self._default is not None:
            return Match(MatchStatus.COMPLETE, dialled, self._default, _as_number(dialled), "default")
        return Match(MatchStatus.INVALID, dialled)

    def route(self, number: str | DialString, *, role: NumberRole = NumberRole.CALLED) -> Match:
        """Route a whole number (incoming DNIS, a make_call destination): a final match that
        raises CstaError(``role``'s error value) instead of returning INVALID."""
        text = str(number) if isinstance(number, DialString) else number
        found = self.match(text, final=True, role=role)
        if found.status is not MatchStatus.COMPLETE:
            raise CstaError(role.error_value, f"no route for {text!r}")
        return found
