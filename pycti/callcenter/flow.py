"""Declarative IVR flows: the data model of a flow file and its loader entry points.

A flow is a graph of named nodes (``[nodes.NAME]`` tables of a TOML file, read with the
standard library's :mod:`tomllib`, TOML 1.0.0): *menu*, *play*, *collect*, *condition*,
*hook*, *transfer* and *hangup*.  Each node names the nodes it leads to; the ``[flow]`` table
names the default ``start`` node, per-DNIS entry nodes (``[flow.dnis]``: called number ->
node) and a ``fallback`` node taken on any failure.  Variables are strings; ``caller``,
``dnis``, ``call_id`` and ``route`` are set for every call.  The file format is described in
``docs/ivr.md``; :mod:`pycti.callcenter.flow_load` reads and checks it (every problem as a
:class:`FlowIssue` naming the file, the node and the line) and
:mod:`pycti.callcenter.flow_runner` runs it on a :class:`~pycti.provider.MediaProvider`.

DTMF digits are the 16 of ITU-T Q.23 (0-9, ``*``, ``#``, A-D).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import PyctiError

__all__ = [
    "BUILTIN_VARIABLES",
    "DTMF_KEYS",
    "Branch",
    "CollectNode",
    "ConditionNode",
    "Flow",
    "FlowError",
    "FlowIssue",
    "HangupNode",
    "HookNode",
    "HoursTest",
    "MenuNode",
    "Node",
    "PlayNode",
    "Prompt",
    "TransferNode",
    "VarTest",
    "check_flow",
    "expand",
    "load_flow",
    "template_names",
]

#: The DTMF keys of ITU-T Q.23.
DTMF_KEYS = "0123456789*#ABCD"
#: Variables every call has; a flow reads them but never stores into them.
BUILTIN_VARIABLES = frozenset({"caller", "dnis", "call_id", "route"})
_TEMPLATE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowIssue:
    """One problem found in a flow file: ``severity`` is ``error`` or ``warning``; ``line``
    is 1-based (``None`` when no line can be named), ``node`` the node concerned."""

    path: str
    message: str
    line: int | None = None
    node: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        node = f" [nodes.{self.node}]" if self.node is not None else ""
        tag = "" if self.severity == "error" else f" {self.severity}:"
        return f"{where}:{node}{tag} {self.message}"


class FlowError(PyctiError, ValueError):
    """A flow file that cannot be used (or hooks it needs that are not registered);
    ``issues`` holds every error found, each naming the file, node and line."""

    def __init__(self, issues: tuple[FlowIssue, ...] | list[FlowIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid flow")


@dataclass(frozen=True, slots=True)
class Prompt:
    """Audio to play: ``source`` as the flow file gives it (a file path, or ``@name`` for a
    prompt the application supplied) and its 8 kHz int16 samples, read at load."""

    source: str
    samples: np.ndarray = field(compare=False, repr=False)

    @property
    def duration_s(self) -> float:
        """Length of the prompt in seconds (8000 samples a second)."""
        return float(self.samples.size) / 8000.0


def template_names(text: str) -> tuple[str, ...]:
    """The ``${name}`` variables a template refers to, in order."""
    return tuple(_TEMPLATE.findall(text))


def expand(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with every ``${name}`` replaced by the variable's value; a variable that is
    not set raises ``KeyError`` naming it."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in variables:
            raise KeyError(f"variable {name!r} is not set")
        return variables[name]

    return _TEMPLATE.sub(one, text)


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """Base of the node kinds: ``name`` as in ``[nodes.NAME]``, ``line`` its header line."""

    name: str
    line: int | None = None

    kind = "node"

    def edges(self) -> tuple[tuple[str, str], ...]:
        """(label, target node) of every way out of this node."""
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuNode(Node):
    """Play ``prompt`` and take one digit: ``options`` maps digits to nodes.  No digit within
    ``timeout_s`` plays ``no_input_prompt``, a digit not in ``options`` ``invalid_prompt``;
    after ``tries`` such attempts the call goes to ``no_input`` or ``invalid`` (whichever
    failure came last; each defaults to the other, then to the flow's fallback).  The digit
    taken is stored in ``store`` when given."""

    prompt: tuple[Prompt, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 5.0
    tries: int = 3
    no_input_prompt: tuple[Prompt, ...] = ()
    invalid_prompt: tuple[Prompt, ...] = ()
    no_input: str | None = None
    invalid: str | None = None
    store: str | None = None
    barge_in: bool = True

    kind = "menu"

    def edges(self) -> tuple[tuple[str, str], ...]:
        out = [(digit, target) for digit, target in self.options.items()]
        if self.no_input is not None:
            out.append(("no input", self.no_input))
        if self.invalid is not None:
            out.append(("invalid", self.invalid))
        return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayNode(Node):
    """Play ``prompt`` (or the WAV whose path the variable ``prompt_var`` holds at call
    time, e.g. made by a speech-synthesis hook), then go to ``next``."""

    prompt: tuple[Prompt, ...] = ()
    prompt_var: str | None = None
    next: str = ""
    barge_in: bool = False

    kind = "play"

    def edges(self) -> tuple[tuple[str, str], ...]:
        return (("", self.next),)


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectNode(Node):
    """Collect ``min_digits`` to ``max_digits`` digits into the variable ``store``.

    Collection ends at ``terminator`` (not stored; "" for none), at ``max_digits``, or when
    ``inter_digit_timeout_s`` passes after a digit; ``timeout_s`` is the wait for the first
    digit.  Digits that do not match ``pattern`` (a full-match regular expression) or are
    too few count as an invalid try.  ``private`` keeps the digits out of the keyed-digit
    record (PINs)."""

    prompt: tuple[Prompt, ...] = ()
    store: str = ""
    next: str = ""
    min_digits: int = 1
    max_digits: int = 16
    terminator: str = "#"
    timeout_s: float = 5.0
    inter_digit_timeout_s: float = 3.0
    tries: int = 3
    pattern: str | None = None
    no_input_prompt: tuple[Prompt, ...] = ()
    invalid_prompt: tuple[Prompt, ...] = ()
    no_input: str | None = None
    invalid: str | None = None
    private: bool = False
    barge_in: bool = True

    kind = "collect"

    def edges(self) -> tuple[tuple[str, str], ...]:
        out = [("ok", self.next)]
        if self.no_input is not None:
            out.append(("no input", self.no_input))
        if self.invalid is not None:
            out.append(("invalid", self.invalid))
        return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class VarTest:
    """A test of variable ``var``: ``op`` is ``equals``, ``not_equals``, ``in``, ``prefix``,
    ``matches`` (full-match regex) or ``empty``; ``value`` its operand(s)."""

    var: str
    op: str
    value: str | tuple[str, ...] | bool

    def describe(self) -> str:
        """A short label (``caller prefix 33``) for pictures and logs."""
        v = self.value
        text = ",".join(v) if isinstance(v, tuple) else str(v).lower() if isinstance(v, bool) else v
        return f"{self.var} {self.op.replace('_', ' ')} {text}"


@dataclass(frozen=True, slots=True, kw_only=True)
class HoursTest:
    """Opening hours in the flow's time zone: the local time falls in one of ``ranges_min``
    ((start, end) minutes after midnight, end exclusive) on one of ``days`` (0 = Monday,
    ISO 8601 weekday - 1), and, when ``dates`` is given, the local date (ISO 8601) is one of
    them.  Empty ``ranges_min`` or ``days`` mean any time or any day."""

    ranges_min: tuple[tuple[int, int], ...] = ()
    days: frozenset[int] = frozenset()
    dates: frozenset[str] = frozenset()
    text: str = ""

    def describe(self) -> str:
        """The test as written (``08:00-18:00 mon-fri``)."""
        return self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Branch:
    """One ``[[nodes.NAME.when]]`` entry: every test holds -> ``goto``."""

    tests: tuple[VarTest | HoursTest, ...]
    goto: str
    line: int | None = None

    def describe(self) -> str:
        """The branch's tests joined by ``and``."""
        return " and ".join(t.describe() for t in self.tests)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionNode(Node):
    """The first branch whose tests all hold gives the next node; none: ``default``."""

    branches: tuple[Branch, ...] = ()
    default: str = ""

    kind = "condition"

    def edges(self) -> tuple[tuple[str, str], ...]:
        return (*((b.describe(), b.goto) for b in self.branches), ("else", self.default))


@dataclass(frozen=True, slots=True, kw_only=True)
class HookNode(Node):
    """Await the application's hook ``hook`` with ``args`` (templates over the variables);
    the mapping of strings it returns is merged into the variables, then ``next``.  A hook
    that raises, returns anything else or outlasts ``timeout_s`` goes to ``error`` (default:
    the flow's fallback)."""

    hook: str = ""
    args: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 5.0
    next: str = ""
    error: str | None = None

    kind = "hook"

    def edges(self) -> tuple[tuple[str, str], ...]:
        out = [("ok", self.next)]
        if self.error is not None:
            out.append(("error", self.error))
        return tuple(out)


#: What a transfer node may send the call to (the key it is written with).
TRANSFER_KINDS = ("queue", "agent", "voicemail", "flow")


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferNode(Node):
    """SingleStepTransferCall to ``to`` (a template): a queue, an agent's station, a
    voicemail device, or the route device of another flow (``dest_kind``)."""

    dest_kind: str = "queue"
    to: str = ""

    kind = "transfer"


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupNode(Node):
    """Play ``prompt`` if any, then clear the call."""

    prompt: tuple[Prompt, ...] = ()

    kind = "hangup"


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    """A loaded, checked flow.  ``entries`` maps called numbers (DNIS) to their start node;
    other calls start at ``start``.  ``warnings`` are the issues that did not stop the load
    (unreachable nodes)."""

    path: str
    name: str
    start: str
    nodes: Mapping[str, Node]
    entries: Mapping[str, str] = field(default_factory=dict)
    fallback: str | None = None
    timezone: str = "UTC"
    warnings: tuple[FlowIssue, ...] = ()

    def entry_for(self, dnis: str | None) -> str:
        """The start node of a call to ``dnis``."""
        return self.entries.get(dnis or "", self.start)

    def hooks_used(self) -> dict[str, HookNode]:
        """Hook name -> the first node that calls it."""
        out: dict[str, HookNode] = {}
        for node in self.nodes.values():
            if isinstance(node, HookNode):
                out.setdefault(node.hook, node)
        return out

    def missing_hooks(self, registered: Mapping[str, object] | set[str]) -> list[FlowIssue]:
        """An issue for each hook the flow calls that is not in ``registered``."""
        return [FlowIssue(path=self.path, line=node.line, node=node.name,
                          message=f"hook {name!r} is not registered with the runner "
                                  f"(registered: {', '.join(sorted(registered)) or 'none'})")
                for name, node in self.hooks_used().items() if name not in registered]


def load_flow(path: str | Path, *, prompts: Mapping[str, np.ndarray] | None = None) -> Flow:
    """Read and check the flow file at ``path``; ``prompts`` are application-supplied
    prompts the file names as ``@name``.  Raises :class:`FlowError` listing every error."""
    from .flow_load import load

    return load(path, prompts=prompts)


def check_flow(path: str | Path, *, prompts: Mapping[str, np.ndarray] | None = None) -> list[FlowIssue]:
    """Every error and warning of the flow file at ``path`` (an empty list: all is well)."""
    from .flow_load import check

    return check(path, prompts=prompts)
