"""Reading and checking IVR flow files (TOML 1.0.0 via the standard library's :mod:`tomllib`).

Every problem becomes a :class:`~pycti.callcenter.flow.FlowIssue` naming the file, the node
and the line: :mod:`tomllib` gives the line of a syntax error; for errors in the content the
line of the ``[nodes.NAME]`` header, or of the offending ``key =`` below it, is found in the
source text (:class:`_Source`).  Checks: known node kinds and keys, types and ranges, every
target node exists, DTMF keys of ITU-T Q.23, regular expressions compile, time zones exist
(IANA database through :mod:`zoneinfo`), prompts exist and are valid 8 kHz mono telephony
audio (read with :func:`pycti.dsp.audiofile.read_audio` at load, never at call time), and
nodes that no entry point reaches (a warning).
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..dsp.audiofile import read_audio, shared_copy
from .flow import (
    BUILTIN_VARIABLES,
    DTMF_KEYS,
    TRANSFER_KINDS,
    Branch,
    CollectNode,
    ConditionNode,
    Flow,
    FlowError,
    FlowIssue,
    HangupNode,
    HookNode,
    HoursTest,
    MenuNode,
    Node,
    PlayNode,
    Prompt,
    TransferNode,
    VarTest,
    template_names,
)

__all__ = ["check", "load"]

#: Longest prompt accepted (a prompt is not a recording): ten minutes.
MAX_PROMPT_S = 600.0
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VAR_OPS = ("equals", "not_equals", "in", "prefix", "matches", "empty")


class _Source:
    """Finds the lines of tables and keys in the TOML text (tomllib reports none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, tuple[str, ...]]] = []
        for i, line in enumerate(self.lines):
            m = _HEADER.match(line)
            if m:
                parts = tuple(p.strip().strip("\"'") for p in m.group(1).split("."))
                self.headers.append((i + 1, parts))

    def table(self, *key: str, index: int = 0) -> int | None:
        """Line of the ``index``-th header ``[a.b]`` / ``[[a.b]]`` for ``key``."""
        hits = [line for line, parts in self.headers if parts == key]
        if index < len(hits):
            return hits[index]
        prefixed = [line for line, parts in self.headers if parts[:len(key)] == key]
        return prefixed[0] if prefixed else None

    def key(self, table: tuple[str, ...], key: str, index: int = 0) -> int | None:
        """Line of ``key =`` in the table ``table`` (its header line when not found)."""
        start = self.table(*table, index=index)
        if start is None:
            return self.table(*table[:2]) if len(table) > 2 else None
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for i in range(start, len(self.lines)):
            if _HEADER.match(self.lines[i]):
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return start


class _Loader:
    """One load: parses the tables into nodes, collecting issues."""

    def __init__(self, path: Path, text: str, prompts: Mapping[str, np.ndarray]) -> None:
        self.path, self.src, self.named_prompts = path, _Source(text), prompts
        self.issues: list[FlowIssue] = []
        self.broken: set[str] = set()  #: nodes already reported as unusable (no cascade)
        self._audio: dict[str, np.ndarray] = {}

    def issue(self, message: str, *, node: str | None = None, key: str | None = None,
              table: tuple[str, ...] | None = None, index: int = 0, severity: str = "error") -> None:
        where = table if table is not None else (("nodes", node) if node is not None else ("flow",))
        line = self.src.key(where, key, index) if key is not None else self.src.table(*where, index=index)
        self.issues.append(FlowIssue(path=str(self.path), message=message, line=line, node=node,
                                     severity=severity))

    # -- prompts ---------------------------------------------------------------------------
    def prompt(self, node: str, key: str, value: Any) -> tuple[Prompt, ...]:
        """A prompt key: one source or a list of them, each read and checked now."""
        sources = [value] if isinstance(value, str) else value
        if not isinstance(sources, list) or not all(isinstance(s, str) and s for s in sources):
            self.issue(f"{key} must be a file name, '@name' or a list of them, got {value!r}", node=node, key=key)
            return ()
        out = []
        for source in sources:
            samples = self._read_prompt(node, key, source)
            if samples is not None:
                out.append(Prompt(source, samples))
        return tuple(out)

    def _read_prompt(self, node: str, key: str, source: str) -> np.ndarray | None:
        if source in self._audio:
            return self._audio[source]
        if source.startswith("@"):
            samples = self.named_prompts.get(source[1:])
            if samples is None:
                known = ", ".join(sorted(self.named_prompts)) or "none"
                self.issue(f"{key}: no prompt named {source[1:]!r} was supplied (supplied: {known})",
                           node=node, key=key)
                return None
            a = np.asarray(samples)
            if a.ndim != 1 or a.dtype != np.int16 or a.size == 0:
                self.issue(f"{key}: prompt {source!r} must be non-empty 1-D int16 audio, got "
                           f"{a.dtype} {a.shape}", node=node, key=key)
                return None
            a = shared_copy(a)  # the flow's own, read-only copy
            self._audio[source] = a
            return a
        file = Path(source) if Path(source).is_absolute() else self.path.parent / source
        try:
            samples = read_audio(file, max_seconds=MAX_PROMPT_S)
        except FileNotFoundError:
            self.issue(f"{key}: prompt file {source!r} not found (looked for {file})", node=node, key=key)
            return None
        except (OSError, ValueError) as exc:
            self.issue(f"{key}: prompt {source!r} is not valid 8 kHz mono audio: {exc}", node=node, key=key)
            return None
        if samples.size == 0:
            self.issue(f"{key}: prompt {source!r} holds no audio", node=node, key=key)
            return None
        samples.flags.writeable = False
        self._audio[source] = samples
        return samples


class _Fields:
    """Typed access to one node's table; records which keys were used."""

    def __init__(self, ld: _Loader, name: str, table: Mapping[str, Any], kind: str) -> None:
        self.ld, self.name, self.t, self.kind = ld, name, table, kind
        self.used: set[str] = {"kind"}

    def bad(self, key: str, message: str) -> None:
        self.ld.issue(f"{key}: {message}", node=self.name, key=key)

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.t.get(key)

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        v = self.get(key)
        if v is None:
            if required:
                self.ld.issue(f"a {self.kind} node needs {key!r}", node=self.name)
            return default
        if not isinstance(v, str):
            self.bad(key, f"must be a string, got {v!r}")
            return default
        return v

    def target(self, key: str, *, required: bool = False) -> str | None:
        return self.text(key, required=required)

    def number(self, key: str, default: float, *, lo: float = 0.0, hi: float = 3600.0) -> float:
        v = self.get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo < v <= hi:
            self.bad(key, f"must be a number of seconds in ({lo:g}, {hi:g}], got {v!r}")
            return default
        return float(v)

    def count(self, key: str, default: int, *, lo: int = 1, hi: int = 100) -> int:
        v = self.get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.bad(key, f"must be a whole number in [{lo}, {hi}], got {v!r}")
            return default
        return v

    def flag(self, key: str, default: bool) -> bool:
        v = self.get(key)
        if v is None:
            return default
        if not isinstance(v, bool):
            self.bad(key, f"must be true or false, got {v!r}")
            return default
        return v

    def prompt(self, key: str) -> tuple[Prompt, ...]:
        v = self.get(key)
        return () if v is None else self.ld.prompt(self.name, key, v)

    def variable(self, key: str, *, required: bool = False) -> str | None:
        v = self.text(key, required=required)
        if v is not None and not _IDENT.match(v):
            self.bad(key, f"variable name {v!r} must be letters, digits and _ (not starting with a digit)")
            return None
        if v is not None and v in BUILTIN_VARIABLES:
            self.bad(key, f"{v!r} is a built-in variable and cannot be stored into")
            return None
        return v

    def template(self, key: str, value: str) -> str:
        if "$" in value.replace("${", "") or value.count("${") != len(template_names(value)):
            self.bad(key, f"{value!r} is not a valid template (write variables as ${{name}})")
        return value

    def finish(self) -> None:
        for key in sorted(set(self.t) - self.used):
            self.bad(key, f"unknown key for a {self.kind} node")


def _tries_fields(f: _Fields) -> dict[str, Any]:
    """The keys menu and collect share: prompts, timeout, tries and failure targets."""
    return dict(prompt=f.prompt("prompt"), timeout_s=f.number("timeout_s", 5.0),
                tries=f.count("tries", 3, hi=10), no_input_prompt=f.prompt("no_input_prompt"),
                invalid_prompt=f.prompt("invalid_prompt"), no_input=f.target("no_input"),
                invalid=f.target("invalid"), barge_in=f.flag("barge_in", True))


def _menu(f: _Fields) -> Node:
    common = _tries_fields(f)
    options: dict[str, str] = {}
    raw = f.get("options")
    if not isinstance(raw, dict) or not raw:
        f.bad("options", f"must be a table of digit = \"node\" with at least one entry, got {raw!r}")
    else:
        for digit, target in raw.items():
            if len(digit) != 1 or digit.upper() not in DTMF_KEYS:
                f.bad("options", f"{digit!r} is not one DTMF key ({DTMF_KEYS})")
            elif not isinstance(target, str):
                f.bad("options", f"option {digit!r} must name a node, got {target!r}")
            else:
                options[digit.upper()] = target
    return MenuNode(name=f.name, options=options, store=f.variable("store"), **common)


def _play(f: _Fields) -> Node:
    prompt, prompt_var = f.prompt("prompt"), f.variable("prompt_var")
    if not prompt and prompt_var is None and "prompt" not in f.t:
        f.ld.issue("a play node needs 'prompt' or 'prompt_var'", node=f.name)
    return PlayNode(name=f.name, prompt=prompt, prompt_var=prompt_var,
                    next=f.target("next", required=True) or "", barge_in=f.flag("barge_in", False))


def _collect(f: _Fields) -> Node:
    common = _tries_fields(f)
    lo, hi = f.count("min_digits", 1, hi=64), f.count("max_digits", 16, hi=64)
    if lo > hi:
        f.bad("min_digits", f"{lo} is more than max_digits {hi}")
    term = f.text("terminator", "#") or ""
    if len(term) > 1 or (term and term.upper() not in DTMF_KEYS):
        f.bad("terminator", f"must be one DTMF key or \"\", got {term!r}")
        term = "#"
    pattern = f.text("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            f.bad("pattern", f"{pattern!r} is not a regular expression: {exc}")
            pattern = None
    return CollectNode(name=f.name, store=f.variable("store", required=True) or "",
                       next=f.target("next", required=True) or "", min_digits=lo, max_digits=hi,
                       terminator=term.upper(), inter_digit_timeout_s=f.number("inter_digit_timeout_s", 3.0),
                       pattern=pattern, private=f.flag("private", False), **common)


def _hours(f: _Fields, b: Mapping[str, Any], i: int) -> HoursTest | None:
    table = ("nodes", f.name, "when")

    def bad(key: str, message: str) -> None:
        f.ld.issue(f"when #{i + 1} {key}: {message}", node=f.name, key=key, table=table, index=i)

    def strings(key: str) -> list[str]:
        v = b.get(key, [])
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            bad(key, f"must be a string or a list of strings, got {v!r}")
            return []
        return v

    ranges: list[tuple[int, int]] = []
    days: set[int] = set()
    dates: set[str] = set()
    for r in strings("hours"):
        m = _CLOCK.match(r)
        start, end = (int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])) if m else (0, -1)
        if m is None or not 0 <= start < end <= 24 * 60 or int(m[2]) > 59 or int(m[4]) > 59:
            bad("hours", f"{r!r} is not a range HH:MM-HH:MM within one day")
        else:
            ranges.append((start, end))
    for d in strings("days"):
        ends = d.lower().split("-")
        if len(ends) > 2 or not all(e in _DAYS for e in ends):
            bad("days", f"{d!r} is not a day ({', '.join(_DAYS)}) or a range like mon-fri")
            continue
        a, z = _DAYS.index(ends[0]), _DAYS.index(ends[-1])
        days.update(range(a, z + 1) if a <= z else [*range(a, 7), *range(0, z + 1)])
    for d in strings("dates"):
        if not _DATE.match(d):
            bad("dates", f"{d!r} is not an ISO 8601 date YYYY-MM-DD")
        dates.add(d)
    text = " ".join(x for x in (",".join(strings("hours")), ",".join(strings("days")),
                                ",".join(strings("dates"))) if x)
    return HoursTest(ranges_min=tuple(ranges), days=frozenset(days), dates=frozenset(dates), text=text)


def _branch(f: _Fields, b: Any, i: int) -> Branch | None:
    table = ("nodes", f.name, "when")
    line = f.ld.src.table(*table, index=i)
    if not isinstance(b, dict):
        f.ld.issue(f"when #{i + 1} must be a table", node=f.name, table=table, index=i)
        return None
    unknown = set(b) - {"var", *_VAR_OPS, "hours", "days", "dates", "goto"}
    for key in sorted(unknown):
        f.ld.issue(f"when #{i + 1}: unknown key {key!r}", node=f.name, key=key, table=table, index=i)
    tests: list[VarTest | HoursTest] = []
    if "var" in b:
        ops = [op for op in _VAR_OPS if op in b]
        var = b["var"]
        if not isinstance(var, str) or not _IDENT.match(var) or len(ops) != 1:
            f.ld.issue(f"when #{i + 1}: 'var' needs a variable name and exactly one of "
                       f"{', '.join(_VAR_OPS)}", node=f.name, key="var", table=table, index=i)
        else:
            op, value = ops[0], b[ops[0]]
            ok = (isinstance(value, bool) if op == "empty" else
                  isinstance(value, list) and all(isinstance(x, str) for x in value) if op == "in" else
                  isinstance(value, str))
            if op == "matches" and ok:
                try:
                    re.compile(value)
                except re.error as exc:
                    ok = False
                    f.ld.issue(f"when #{i + 1}: {value!r} is not a regular expression: {exc}",
                               node=f.name, key=op, table=table, index=i)
            elif not ok:
                f.ld.issue(f"when #{i + 1}: bad operand for {op}: {value!r}", node=f.name, key=op,
                           table=table, index=i)
            if ok:
                tests.append(VarTest(var=var, op=op, value=tuple(value) if op == "in" else value))
    elif any(op in b for op in _VAR_OPS):
        f.ld.issue(f"when #{i + 1}: a test of a variable needs 'var'", node=f.name, table=table, index=i)
    if any(k in b for k in ("hours", "days", "dates")):
        hours = _hours(f, b, i)
        if hours is not None:
            tests.append(hours)
    if not tests and not unknown:
        f.ld.issue(f"when #{i + 1} tests nothing (give var/... or hours/days/dates)", node=f.name,
                   table=table, index=i)
    goto = b.get("goto")
    if not isinstance(goto, str):
        f.ld.issue(f"when #{i + 1} needs 'goto' naming a node", node=f.name, table=table, index=i)
        return None
    return Branch(tests=tuple(tests), goto=goto, line=line)


def _condition(f: _Fields) -> Node:
    raw = f.get("when")
    if not isinstance(raw, list) or not raw:
        f.ld.issue("a condition node needs [[nodes.NAME.when]] branches", node=f.name)
        raw = []
    branches = tuple(b for i, x in enumerate(raw) if (b := _branch(f, x, i)) is not None)
    return ConditionNode(name=f.name, branches=branches, default=f.target("default", required=True) or "")


def _hook(f: _Fields) -> Node:
    args: dict[str, str] = {}
    raw = f.get("args")
    if raw is not None and not isinstance(raw, dict):
        f.bad("args", f"must be a table of strings, got {raw!r}")
    for key, value in (raw or {}).items() if isinstance(raw, dict) else ():
        if not isinstance(value, str):
            f.bad("args", f"argument {key!r} must be a string, got {value!r}")
        else:
            args[key] = f.template("args", value)
    return HookNode(name=f.name, hook=f.text("hook", required=True) or "", args=args,
                    timeout_s=f.number("timeout_s", 5.0), next=f.target("next", required=True) or "",
                    error=f.target("error"))


def _transfer(f: _Fields) -> Node:
    given = [(k, f.get(k)) for k in TRANSFER_KINDS if k in f.t]
    for k in TRANSFER_KINDS:
        f.used.add(k)
    if len(given) != 1 or not isinstance(given[0][1], str) or not given[0][1]:
        f.ld.issue(f"a transfer node needs exactly one of {', '.join(TRANSFER_KINDS)} naming a "
                   f"device, got {dict(given)!r}", node=f.name)
        return TransferNode(name=f.name)
    kind, to = given[0]
    return TransferNode(name=f.name, dest_kind=kind, to=f.template(kind, to))


def _hangup(f: _Fields) -> Node:
    return HangupNode(name=f.name, prompt=f.prompt("prompt"))


_KINDS: dict[str, Callable[[_Fields], Node]] = {
    "menu": _menu, "play": _play, "prompt": _play, "collect": _collect, "condition": _condition,
    "hook": _hook, "transfer": _transfer, "hangup": _hangup,
}


def _parse(path: Path, prompts: Mapping[str, np.ndarray]) -> tuple[Flow | None, list[FlowIssue]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [FlowIssue(path=str(path), message=f"cannot read the flow file: {exc}")]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"at line (\d+)", str(exc))
        return None, [FlowIssue(path=str(path), line=int(m[1]) if m else None,
                                message=f"TOML syntax error: {exc}")]
    ld = _Loader(path, text, prompts)
    head = doc.get("flow")
    if not isinstance(head, dict):
        ld.issues.append(FlowIssue(path=str(path), line=1, message="no [flow] table (it names the start node)"))
        head = {}
    for key in sorted(set(doc) - {"flow", "nodes"}):
        ld.issue(f"unknown top-level table or key {key!r}", table=(key,))
    raw_nodes = doc.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        ld.issues.append(FlowIssue(path=str(path), message="no [nodes.NAME] tables"))
        raw_nodes = {}
    nodes: dict[str, Node] = {}
    for name, table in raw_nodes.items():
        if not isinstance(table, dict):
            ld.issue(f"nodes.{name} must be a table", node=name)
            ld.broken.add(name)
            continue
        kind = table.get("kind")
        parser = _KINDS.get(kind) if isinstance(kind, str) else None
        if parser is None:
            ld.issue(f"unknown node kind {kind!r} (kinds: {', '.join(sorted(_KINDS))})", node=name,
                     key="kind" if "kind" in table else None)
            ld.broken.add(name)
            continue
        fields = _Fields(ld, name, table, str(kind))
        node = parser(fields)
        fields.finish()
        nodes[name] = type(node)(**{**_as_dict(node), "line": ld.src.table("nodes", name)})
    flow = _head(ld, head, nodes)
    if flow is not None:
        _check_graph(ld, flow)
    return flow, ld.issues


def _as_dict(node: Node) -> dict[str, Any]:
    return {k: getattr(node, k) for k in node.__dataclass_fields__}


def _head(ld: _Loader, head: Mapping[str, Any], nodes: dict[str, Node]) -> Flow | None:
    """The ``[flow]`` table: name, start, dnis entries, fallback, timezone."""
    for key in sorted(set(head) - {"name", "start", "dnis", "fallback", "timezone"}):
        ld.issue(f"unknown key {key!r} in [flow]", key=key)
    start = head.get("start")
    if not isinstance(start, str):
        ld.issue("[flow] needs start = \"NODE\"", key="start")
        start = ""
    fallback = head.get("fallback")
    if fallback is not None and not isinstance(fallback, str):
        ld.issue(f"fallback must name a node, got {fallback!r}", key="fallback")
        fallback = None
    tz = head.get("timezone", "UTC")
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        ld.issue(f"timezone {tz!r} is not an IANA time zone name", key="timezone")
        tz = "UTC"
    entries: dict[str, str] = {}
    dnis = head.get("dnis", {})
    if not isinstance(dnis, dict):
        ld.issue("[flow.dnis] must be a table of \"number\" = \"node\"", key="dnis")
        dnis = {}
    for number, node in dnis.items():
        if not isinstance(node, str):
            ld.issue(f"DNIS {number!r} must name a node, got {node!r}", table=("flow", "dnis"), key=number)
        else:
            entries[number] = node
    name = head.get("name", ld.path.stem)
    return Flow(path=str(ld.path), name=str(name), start=start, nodes=nodes, entries=entries,
                fallback=fallback, timezone=tz)


def _check_graph(ld: _Loader, flow: Flow) -> None:
    """Every target exists; every node is reachable from an entry point (else a warning)."""
    known = set(flow.nodes) | ld.broken
    roots = [("start", flow.start, ("flow",), "start"), ("fallback", flow.fallback, ("flow",), "fallback"),
             *((f"DNIS {n!r}", t, ("flow", "dnis"), n) for n, t in flow.entries.items())]
    for what, target, where, name in roots:
        if target is not None and target not in known and (target or what == "start"):
            ld.issue(f"{what} goes to unknown node {target!r}", table=where, key=name)
    for node in flow.nodes.values():
        for label, target in node.edges():
            if target in known:
                continue
            what = label or "next"
            table: tuple[str, ...] = ("nodes", node.name)
            key = _edge_key(node, label)
            if isinstance(node, MenuNode) and key == label:
                what = f"option {label!r}"
                if ld.src.table("nodes", node.name, "options") is not None:
                    table = ("nodes", node.name, "options")
                else:
                    key = "options"
            ld.issue(f"{what} goes to unknown node {target!r}", node=node.name, table=table, key=key)
    seen: set[str] = set()
    todo = [t for _, t, _, _ in roots if t in known]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in flow.nodes:
            todo.extend(t for _, t in flow.nodes[name].edges() if t in known)
    for name in flow.nodes:
        if name not in seen:
            ld.issue("unreachable: no entry point, node or fallback leads here", node=name,
                     severity="warning")


def _edge_key(node: Node, label: str) -> str:
    """The key an edge is written with (for its line)."""
    if isinstance(node, MenuNode) and label not in ("no input", "invalid"):
        return label if len(label) == 1 else "options"
    if isinstance(node, ConditionNode):
        return "default" if label == "else" else "goto"
    return {"": "next", "ok": "next", "no input": "no_input", "invalid": "invalid",
            "error": "error"}.get(label, "next")


def check(path: str | Path, *, prompts: Mapping[str, np.ndarray] | None = None) -> list[FlowIssue]:
    """Every error and warning of the flow file at ``path``, errors first."""
    _, issues = _parse(Path(path), prompts or {})
    return sorted(issues, key=lambda i: (i.severity != "error", i.line or 0))


def load(path: str | Path, *, prompts: Mapping[str, np.ndarray] | None = None) -> Flow:
    """The checked :class:`Flow` of the file at ``path``; :class:`FlowError` listing every
    error when there is any (warnings are kept in ``Flow.warnings``)."""
    flow, issues = _parse(Path(path), prompts or {})
    errors = [i for i in issues if i.severity == "error"]
    if errors or flow is None:
        raise FlowError(sorted(errors, key=lambda i: i.line or 0))
    return Flow(path=flow.path, name=flow.name, start=flow.start, nodes=flow.nodes, entries=flow.entries,
                fallback=flow.fallback, timezone=flow.timezone,
                warnings=tuple(i for i in issues if i.severity == "warning"))
