"""Runs declarative IVR flows (:mod:`pycti.callcenter.flow`) on a MediaProvider.

For every call delivered to one of its route devices the runner answers (ECMA-269
AnswerCall), learns the caller's device (SnapshotCall), and walks the flow for that call in a
task of its own: prompts are played with ``play`` (barge-in: a key stops the prompt with
StopPlaying where the node allows it), the DTMF keys of the call arrive as DigitsDetected on
the route's monitor, every wait is switch time (``provider.sleep``: virtual in tests), hooks
are awaited with a timeout, and the call leaves with SingleStepTransferCall (or ClearCall
for a hangup node).  Only the Provider API is used.

Isolation: any failure in one call's flow -- a prompt that cannot play, a hook that raises
or overruns, a refused transfer, a bug -- is recorded as a :class:`FlowFailure` in
:attr:`FlowRunner.failures` and logged, and the call goes to the flow's fallback node (a
failure there clears the call).  Nothing one call does stops the runner or another call.  A
caller who hangs up ends that call's flow quietly.

What the flow learns (variables, keyed digits, DNIS, caller number) is kept in a
:class:`~pycti.callcenter.calldata.CallDataStore` that follows the call on, and the keyed
digits go to the call detail record's ``choice`` field through
:meth:`~pycti.callcenter.calllog.CallLog.note`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import zoneinfo
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import numpy as np

from ..dsp.audiofile import read_audio
from ..errors import CstaError, PyctiError
from ..provider import MediaProvider, PlayOutcome
from ..switch import events as ev
from ..switch.ids import ConnectionID
from .calldata import CallDataStore
from .calllog import CallLog
from .flow import (
    BUILTIN_VARIABLES,
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
    expand,
)
from .flow_load import MAX_PROMPT_S

__all__ = ["FlowFailure", "FlowRunner", "FlowRuntimeError", "Hook", "HookRequest"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class HookRequest:
    """What a hook is given: the call, the node, its ``args`` (templates expanded) and a
    read-only view of the call's variables."""

    call_id: str
    caller: str | None
    dnis: str | None
    node: str
    args: Mapping[str, str]
    variables: Mapping[str, str]


#: An application hook: awaited with a :class:`HookRequest`, returns variables to set.
Hook = Callable[[HookRequest], Awaitable[Mapping[str, str]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowFailure:
    """One failure in one call's flow (the call went on to the fallback node, or, when
    ``gave_up``, was cleared).  ``time_s`` is switch time; ``error`` the exception's class."""

    time_s: float
    route: str
    call_id: str
    flow: str
    node: str
    error: str
    detail: str
    gave_up: bool = False

    def __str__(self) -> str:
        then = "call cleared" if self.gave_up else "to fallback"
        return f"{self.flow} [nodes.{self.node}] call {self.call_id} at {self.route}: {self.error}: {self.detail} ({then})"


class FlowRuntimeError(PyctiError, RuntimeError):
    """A flow that cannot go on for a call: a hook that overran or returned a bad value, a
    node with no way out, a loop without end, a variable that is not set."""


class _CallerGone(Exception):
    """The caller left; the flow ends quietly."""


@dataclass(slots=True)
class _Call:
    conn: ConnectionID
    route: str
    flow: Flow
    caller: str | None
    dnis: str | None
    variables: dict[str, str]
    keys: deque[str] = field(default_factory=deque)
    key_event: asyncio.Event = field(default_factory=asyncio.Event)
    caller_device: str | None = None
    gone: bool = False
    task: asyncio.Task[None] | None = None

    def push(self, digits: str) -> None:
        self.keys.extend(digits.upper())
        self.key_event.set()


class FlowRunner:
    """Serves the route devices in ``routes`` (route device -> its :class:`Flow`)."""

    def __init__(self, provider: MediaProvider, routes: Mapping[str, Flow], *,
                 hooks: Mapping[str, Hook] | None = None, calldata: CallDataStore | None = None,
                 calllog: CallLog | None = None, clock: Callable[[], datetime] | None = None,
                 max_steps: int = 1000) -> None:
        """``hooks``: name -> async function; ``calldata``: the store shared with agent
        applications (a new one if None); ``clock``: the wall-clock time for opening hours
        (an aware datetime; UTC now by default); ``max_steps``: nodes one call may pass
        through before its flow is taken to be looping."""
        if not routes or max_steps < 1:
            raise FlowError([FlowIssue(path="<FlowRunner>", message=f"needs at least one route device and its "
                                       f"flow, and max_steps >= 1; got routes={list(routes)}, max_steps={max_steps}")])
        self._p = provider
        self.routes: dict[str, Flow] = dict(routes)
        self.hooks: dict[str, Hook] = dict(hooks or {})
        self.calldata = calldata if calldata is not None else CallDataStore()
        self._log = calllog
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._max_steps = max_steps
        self._calls: dict[tuple[str, str], _Call] = {}
        self._audio: dict[tuple[str, ...], np.ndarray] = {}
        self.failures: list[FlowFailure] = []
        self._steps: dict[type[Node], Callable[[_Call, Any], Coroutine[Any, Any, str | None]]] = {
            MenuNode: self._menu, PlayNode: self._play_node, CollectNode: self._collect,
            ConditionNode: self._condition, HookNode: self._hook, TransferNode: self._transfer,
            HangupNode: self._hangup,
        }

    def register_hook(self, name: str, hook: Hook) -> None:
        """Make ``hook`` callable from flows as ``hook = "name"``."""
        self.hooks[name] = hook

    def check_hooks(self) -> None:
        """Raise :class:`FlowError` naming every hook a flow calls that is not registered."""
        issues = [i for flow in self.routes.values() for i in flow.missing_hooks(set(self.hooks))]
        if issues:
            raise FlowError(issues)

    @property
    def active_calls(self) -> int:
        """Calls being served now."""
        return len(self._calls)

    def release(self, call_id: str, reason: str = "handed off") -> bool:
        """Stop serving call ``call_id`` without clearing it: another application (a fax
        desk that heard CNG, an agent taking the caller) has it now.  The flow's current step is
        cancelled -- a prompt playing stops, a menu waiting for keys gives up, so no timeout
        will later hang up or transfer the call -- and nothing more is sent to the caller by
        this runner.  The call's data stay in :attr:`calldata`, with ``handed_off`` set to
        ``reason``.  Returns whether a flow was serving the call (False: it had ended, or
        never started here)."""
        served = [key for key in self._calls if key[1] == call_id]
        for key in served:
            call = self._calls.pop(key)
            if call.task is not None and call.task is not asyncio.current_task():
                call.task.cancel()
            log.info("IVR flow %s: call %s handed off at %s (%s)", call.flow.name, call_id, call.route, reason)
        if served and self.calldata.get(call_id) is not None:
            self.calldata.set_variables(call_id, {"handed_off": reason})
        return bool(served)

    # -- events ------------------------------------------------------------------------------
    async def run(self) -> None:
        """Serve the routes until cancelled.  Raises :class:`FlowError` at once when a flow
        calls a hook that is not registered."""
        self.check_hooks()
        streams = {route: self._p.monitor(route) for route in self.routes}
        try:
            await asyncio.gather(*(self._watch(route, stream) for route, stream in streams.items()))
        finally:
            for call in list(self._calls.values()):
                if call.task is not None:
                    call.task.cancel()

    async def _watch(self, route: str, stream: Any) -> None:
        async with stream as events:
            async for e in events:
                try:
                    self._event(route, e)
                except Exception as exc:  # one bad event never stops the runner
                    log.exception("flow runner: event %s at %s", type(e).__name__, route)
                    self.failures.append(FlowFailure(time_s=self._p.now(), route=route, call_id="-",
                                                     flow=self.routes[route].name, node="-",
                                                     error=type(exc).__name__, detail=str(exc)))

    def _event(self, route: str, e: ev.CstaEvent) -> None:
        self.calldata.observe(e)
        if isinstance(e, ev.Delivered) and e.connection.device_id == route:
            self._start(route, e)
        elif isinstance(e, ev.DigitsDetected):
            call = self._calls.get((route, e.connection.call_id))
            if call is not None:
                call.push(e.digits)
        elif isinstance(e, ev.CallCleared):
            self._gone(route, e.cleared_call)
        elif isinstance(e, ev.ConnectionCleared) and e.dropped_connection.device_id not in self.routes:
            self._gone(route, e.dropped_connection.call_id)

    def _start(self, route: str, e: ev.Delivered) -> None:
        key = (route, e.connection.call_id)
        if key in self._calls:
            return
        flow = self.routes[route]
        dnis = e.called_device or None
        variables = {"caller": e.calling_device or "", "dnis": dnis or "", "call_id": e.connection.call_id,
                     "route": route}
        known = self.calldata.get(e.connection.call_id)
        if known is not None and known.ended_s is None:  # back from another flow: keep its data
            variables = {**known.variables, **variables}
        call = _Call(e.connection, route, flow, e.calling_device, dnis, variables)
        self._calls[key] = call
        call.task = asyncio.ensure_future(self._serve(call))
        call.task.add_done_callback(lambda t: None if t.cancelled() else t.exception())

    def _gone(self, route: str, call_id: str) -> None:
        call = self._calls.pop((route, call_id), None)
        if call is not None:
            call.gone = True
            if call.task is not None and call.task is not asyncio.current_task():
                call.task.cancel()

    # -- one call ----------------------------------------------------------------------------
    async def _serve(self, call: _Call) -> None:
        cid = call.conn.call_id
        node: str | None = None
        try:
            await self._p.answer_call(call.conn)
            parties = await self._p.snapshot_call(cid)
            call.caller_device = next((s.device for s in parties if s.device not in self.routes), None)
            self.calldata.open(cid, caller=call.caller, dnis=call.dnis, caller_device=call.caller_device,
                               now_s=self._p.now())
            self.calldata.set_variables(cid, call.variables)
            node = call.flow.entry_for(call.dnis)
            await self._walk(call, node)
        except (asyncio.CancelledError, _CallerGone):
            pass
        except Exception as exc:  # answering failed: the caller left, or the switch refused
            if not await self._caller_gone(call):
                self._record(call, node or "(answer)", exc, gave_up=True)
        finally:
            if self._calls.get((call.route, cid)) is call:
                del self._calls[(call.route, cid)]

    async def _walk(self, call: _Call, node: str | None) -> None:
        flow, steps, in_fallback = call.flow, 0, False
        while node is not None:
            steps += 1
            try:
                if steps > self._max_steps:
                    raise FlowRuntimeError(f"more than {self._max_steps} nodes passed: the flow loops")
                current = flow.nodes[node]
                self.calldata.visit(call.conn.call_id, node)
                node = await self._steps[type(current)](call, current)
            except (asyncio.CancelledError, _CallerGone):
                raise
            except Exception as exc:
                if await self._caller_gone(call):
                    raise _CallerGone() from exc
                give_up = in_fallback or flow.fallback is None
                self._record(call, node or "?", exc, gave_up=give_up)
                if give_up:
                    await self._clear(call)
                    return
                in_fallback, node, steps = True, flow.fallback, 0

    def _record(self, call: _Call, node: str, exc: BaseException, *, gave_up: bool) -> None:
        failure = FlowFailure(time_s=self._p.now(), route=call.route, call_id=call.conn.call_id,
                              flow=call.flow.name, node=node, error=type(exc).__name__,
                              detail=str(exc) or repr(exc), gave_up=gave_up)
        self.failures.append(failure)
        log.warning("IVR flow failure: %s", failure)

    async def _caller_gone(self, call: _Call) -> bool:
        """Whether the caller has left (the event may not have been handled yet)."""
        if call.gone:
            return True
        try:
            parties = await self._p.snapshot_call(call.conn.call_id)
        except CstaError:
            return True
        devices = {s.device for s in parties}
        return call.route not in devices or not devices - set(self.routes)

    async def _clear(self, call: _Call) -> None:
        try:
            await self._p.clear_call(call.conn.call_id)
        except CstaError:
            pass  # already gone

    # -- waiting -----------------------------------------------------------------------------
    async def _race(self, work: Awaitable[_T], timeout_s: float) -> tuple[bool, _T | None]:
        """(True, result) if ``work`` ends within ``timeout_s`` of switch time, else
        (False, None) with ``work`` cancelled."""
        task = asyncio.ensure_future(work)
        timer = asyncio.ensure_future(self._p.sleep(timeout_s))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                return True, task.result()
            return False, None
        finally:
            task.cancel()
            timer.cancel()

    async def _key(self, call: _Call, timeout_s: float) -> str | None:
        """The next key of the call within ``timeout_s``, else None."""
        if not call.keys:
            call.key_event.clear()
            got, _ = await self._race(call.key_event.wait(), timeout_s)
            if not got:
                return None
        return call.keys.popleft()

    def _note(self, call: _Call, digits: str) -> None:
        cid = call.conn.call_id
        self.calldata.add_digits(cid, digits)
        if self._log is not None:
            data = self.calldata.get(cid)
            self._log.note(cid, choice=data.digits if data is not None else digits)

    # -- prompts -----------------------------------------------------------------------------
    def _samples(self, prompts: tuple[Prompt, ...]) -> np.ndarray:
        key = tuple(p.source for p in prompts)
        audio = self._audio.get(key)
        if audio is None:
            audio = np.concatenate([p.samples for p in prompts]).astype(np.int16, copy=False)
            self._audio[key] = audio
        return audio

    async def _say(self, call: _Call, prompts: tuple[Prompt, ...] | np.ndarray, barge_in: bool) -> None:
        """Play to the caller; with ``barge_in`` a key (or one typed ahead) cuts it short."""
        audio = prompts if isinstance(prompts, np.ndarray) else self._samples(prompts) if prompts else None
        if audio is None or (barge_in and call.keys):
            return
        play = asyncio.ensure_future(self._p.play(call.conn, audio, wait=True))
        try:
            if barge_in:
                call.key_event.clear()
                key = asyncio.ensure_future(call.key_event.wait())
                try:
                    await asyncio.wait({play, key}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    key.cancel()
                if not play.done():
                    await self._p.stop_playing(call.conn)
            outcome = await play
        finally:
            play.cancel()
        if outcome is PlayOutcome.CALL_CLEARED:
            raise _CallerGone()

    # -- the node kinds ----------------------------------------------------------------------
    async def _menu(self, call: _Call, node: MenuNode) -> str | None:
        last = "no_input"
        for attempt in range(node.tries):
            await self._say(call, node.prompt, node.barge_in)
            key = await self._key(call, node.timeout_s)
            more = attempt + 1 < node.tries
            if key is not None:
                self._note(call, key)
                target = node.options.get(key)
                if target is not None:
                    if node.store is not None:
                        self._set(call, {node.store: key})
                    return target
                last = "invalid"
                call.keys.clear()
                if more:
                    await self._say(call, node.invalid_prompt, node.barge_in)
            else:
                last = "no_input"
                if more:
                    await self._say(call, node.no_input_prompt, node.barge_in)
        return self._way_out(call, node, last)

    async def _collect(self, call: _Call, node: CollectNode) -> str | None:
        last = "no_input"
        for attempt in range(node.tries):
            await self._say(call, node.prompt, node.barge_in)
            more = attempt + 1 < node.tries
            key = await self._key(call, node.timeout_s)
            if key is None:
                last = "no_input"
                if more:
                    await self._say(call, node.no_input_prompt, node.barge_in)
                continue
            digits, ended = "", False
            while key is not None:
                if node.terminator and key == node.terminator:
                    ended = True
                    break
                digits += key
                if len(digits) >= node.max_digits:
                    break
                key = await self._key(call, node.inter_digit_timeout_s)
            keyed = digits + (node.terminator if ended else "")
            self._note(call, "*" * len(keyed) if node.private else keyed)
            if node.min_digits <= len(digits) and (node.pattern is None or re.fullmatch(node.pattern, digits)):
                self._set(call, {node.store: digits})
                return node.next
            last = "invalid"
            call.keys.clear()
            if more:
                await self._say(call, node.invalid_prompt, node.barge_in)
        return self._way_out(call, node, last)

    def _way_out(self, call: _Call, node: MenuNode | CollectNode, last: str) -> str:
        first, second = (node.no_input, node.invalid) if last == "no_input" else (node.invalid, node.no_input)
        target = first or second
        if target is None:
            raise FlowRuntimeError(f"{last.replace('_', ' ')} after {node.tries} tries and no "
                                   "no_input/invalid node")
        return target

    async def _play_node(self, call: _Call, node: PlayNode) -> str | None:
        if node.prompt_var is not None:
            path = call.variables.get(node.prompt_var)
            if not path:
                raise FlowRuntimeError(f"prompt_var {node.prompt_var!r} is not set")
            file = Path(path) if Path(path).is_absolute() else Path(call.flow.path).parent / path
            await self._say(call, read_audio(file, max_seconds=MAX_PROMPT_S), node.barge_in)
        else:
            await self._say(call, node.prompt, node.barge_in)
        return node.next

    async def _condition(self, call: _Call, node: ConditionNode) -> str | None:
        for branch in node.branches:
            if all(self._holds(call, test) for test in branch.tests):
                return branch.goto
        return node.default

    def _holds(self, call: _Call, test: VarTest | HoursTest) -> bool:
        if isinstance(test, HoursTest):
            now = self._clock().astimezone(zoneinfo.ZoneInfo(call.flow.timezone))
            minute = now.hour * 60 + now.minute
            return ((not test.ranges_min or any(a <= minute < b for a, b in test.ranges_min))
                    and (not test.days or now.weekday() in test.days)
                    and (not test.dates or now.date().isoformat() in test.dates))
        value = call.variables.get(test.var, "")
        operand = test.value
        tests: dict[str, Callable[[], bool]] = {
            "equals": lambda: value == operand,
            "not_equals": lambda: value != operand,
            "in": lambda: isinstance(operand, tuple) and value in operand,
            "prefix": lambda: isinstance(operand, str) and value.startswith(operand),
            "matches": lambda: isinstance(operand, str) and re.fullmatch(operand, value) is not None,
            "empty": lambda: (value == "") is operand,
        }
        return tests[test.op]()

    async def _hook(self, call: _Call, node: HookNode) -> str | None:
        try:
            fn = self.hooks[node.hook]
            request = HookRequest(call_id=call.conn.call_id, caller=call.caller, dnis=call.dnis, node=node.name,
                                  args=MappingProxyType(self._expand_all(call, node.args)),
                                  variables=MappingProxyType(dict(call.variables)))
            done, result = await self._race(fn(request), node.timeout_s)
            if not done:
                raise FlowRuntimeError(f"hook {node.hook!r} did not answer within {node.timeout_s:g} s")
            self._set(call, self._checked(node, result))
        except (asyncio.CancelledError, _CallerGone):
            raise
        except Exception as exc:
            if node.error is None:
                raise
            if await self._caller_gone(call):
                raise _CallerGone() from exc
            self._record(call, node.name, exc, gave_up=False)
            return node.error
        return node.next

    @staticmethod
    def _checked(node: HookNode, result: object) -> dict[str, str]:
        if not isinstance(result, Mapping):
            raise FlowRuntimeError(f"hook {node.hook!r} returned {type(result).__name__}, expected a mapping")
        out: dict[str, str] = {}
        for k, v in result.items():
            if not isinstance(k, str) or not _IDENT.match(k) or k in BUILTIN_VARIABLES or not isinstance(v, str):
                raise FlowRuntimeError(f"hook {node.hook!r} returned {k!r}: {v!r}; variables are "
                                       "name -> string (built-ins cannot be set)")
            out[k] = v
        return out

    def _expand_all(self, call: _Call, templates: Mapping[str, str]) -> dict[str, str]:
        try:
            return {k: expand(v, call.variables) for k, v in templates.items()}
        except KeyError as exc:
            raise FlowRuntimeError(str(exc.args[0])) from None

    def _set(self, call: _Call, variables: Mapping[str, str]) -> None:
        call.variables.update(variables)
        self.calldata.set_variables(call.conn.call_id, variables)

    async def _transfer(self, call: _Call, node: TransferNode) -> str | None:
        dest = self._expand_all(call, {"to": node.to})["to"]
        if not dest:
            raise FlowRuntimeError(f"{node.dest_kind} {node.to!r} expands to nothing")
        self._set(call, {"transferred_to": dest})
        await self._p.single_step_transfer_call(call.conn, dest)
        return None

    async def _hangup(self, call: _Call, node: HangupNode) -> str | None:
        await self._say(call, node.prompt, False)
        await self._clear(call)
        return None
