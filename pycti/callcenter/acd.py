"""The ACD: queued calls offered to logged-on, ready agents by a distribution strategy.

It uses only the Provider API -- monitors, DeflectCall, AnswerCall, play -- and the agent
services (SetAgentState and the agent events), so it runs on the local switch, on SIP, or on a
remote PBX alike.  The switch keeps each agent's state (:mod:`pycti.switch.agents`): agents
log on at a station with their id and password, become ready, and the switch reports every
change as an agent event on the monitors of the station and of the agent's queues.  The ACD
follows those events; it never decides an agent's state itself.

A call queued at a queue device (Queued) waits, hearing the queue's ``hold_audio``, until an
agent who is ready, logged on to that queue and skilled enough (level ``min_skill_level``,
relaxed by ``relax_skill`` as the call waits) is free; the queue's :class:`Strategy` picks the
agent and the ACD deflects the call to the agent's station.  An offer not answered within
``offer_timeout_s`` rings out: the ACD takes the call back to its queue, where it keeps its
place, and does not offer it to that agent again; the switch counts the ring-out against the
agent (``AgentRules.max_ring_outs``).  Waiting calls are served by caller priority (higher
first; :meth:`Acd.set_priority` repositions a call at once), then by the time they joined.

Every per-call step -- the hold music, an offer, a ring-out -- runs isolated: when it fails (a
caller who hung up a moment ago, a station that just went busy) the failure is logged and kept
in :attr:`Acd.errors`, that call's step is dropped or retried, and the ACD goes on with the
others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ..errors import CstaError, ErrorValue, PyctiError
from ..monitor import EventStream
from ..provider import MediaProvider
from ..switch import events as ev
from ..switch.agent_states import AgentState
from ..switch.ids import ConnectionID
from .agent_view import AgentProfile, AgentView
from .calllog import CallLog
from .queue_rules import Announcement, QueueConfig, estimate_wait_s
from .routing_index import INDEXED_STRATEGIES, ReadyAgent, RoutingIndex, next_offer
from .strategies import Candidate, Choice, Strategy, rank

__all__ = ["Acd", "AgentProfile", "AgentView", "NotWaitingError", "QueueConfig", "Strategy", "WaitingCall"]

log = logging.getLogger(__name__)

_GONE = (ErrorValue.INVALID_CONNECTION_STATE, ErrorValue.INVALID_CONNECTION_ID)


class NotWaitingError(PyctiError, KeyError):
    """The call named is not waiting in any of the ACD's queues (the message names it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(slots=True)
class WaitingCall:
    """A call the ACD holds in a queue."""

    call_id: str
    conn: ConnectionID  #: the queued connection
    queue: str
    enqueued_s: float
    seq: int
    caller: str | None
    priority: int = 0
    #: a callback request holding this place: the number to call when an agent is free (the
    #: caller has hung up; ``conn`` is the queued connection it had)
    callback: str | None = None
    offered_to: str | None = None  #: set while an offer is out (the first agent offered)
    offer_set: set[str] = field(default_factory=set)  #: every agent the call is offered to
    rang_out: set[str] = field(default_factory=set)

    def key(self) -> tuple[int, float, int]:
        return (-self.priority, self.enqueued_s, self.seq)


@dataclass(slots=True)
class _Queue:
    config: QueueConfig
    waiting: list[WaitingCall] = field(default_factory=list)
    last_offered_order: int = -1


class Acd:
    """Distributes queued calls to agents (see the module docstring)."""

    def __init__(self, provider: MediaProvider, queues: Iterable[QueueConfig | str],
                 agents: Iterable[AgentProfile], *, calllog: CallLog | None = None,
                 hold_audio: np.ndarray | None = None, seed: int = 0,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        """``queues``: configs, or names for the defaults (``hold_audio`` is the default
        music); ``agents``: the profiles of the agents who may log on; ``clock``: local wall
        time for opening hours (default: the machine's)."""
        self._p = provider
        self.queues: dict[str, _Queue] = {}
        for q in queues:
            cfg = (q if isinstance(q, QueueConfig) else QueueConfig(name=q)).with_hold_audio(hold_audio)
            self.queues[cfg.name] = _Queue(cfg)
        #: ready agents per queue, ordered for each indexed strategy: a routing decision costs
        #: O(levels x log agents) instead of a scan (queues of other strategies are scanned)
        self._indexed = [n for n, q in self.queues.items() if q.config.strategy in INDEXED_STRATEGIES]
        self._index = RoutingIndex({n: self.queues[n].config.strategy for n in self._indexed})
        self.agents: dict[str, AgentView] = {
            a.agent_id: AgentView(a, i, on_change=self._reindex) for i, a in enumerate(agents)
        }
        self._log = calllog
        self._rng = random.Random(seed)
        self._calls: dict[str, WaitingCall] = {}
        self._last_agent: dict[str, str] = {}  # caller number -> agent who served it last
        self._seq = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stations: dict[str, asyncio.Task[None]] = {}
        self.errors: list[str] = []
        self.abandoned: list[tuple[float, str | None, str]] = []  #: (time, caller, queue) to call back
        #: (time, call id, queue, rule, destination or None for cleared) of every overflow
        self.overflowed: list[tuple[float, str, str, str, str | None]] = []
        self._clock = clock or dt.datetime.now
        #: (time, number, queue) of callers who asked to be called back, and (time, number,
        #: agent, call id) of the callbacks made
        self.callbacks: list[tuple[float, str, str]] = []
        self.called_back: list[tuple[float, str, str, str]] = []
        self._announced: dict[str, int] = {}  # call id -> last position announced

    # ------------------------------------------------------------ running
    async def run(self) -> None:
        """Watch the queues (calls and agent events) until cancelled or the provider closes.

        The queue monitors start before the first await, so events from the moment the task
        first runs are seen; agents logged on earlier are picked up at their next change."""
        streams = {q: self._p.monitor(q) for q in self.queues}
        try:
            await asyncio.gather(*(self._watch_queue(q, stream) for q, stream in streams.items()))
        finally:
            for task in [*self._tasks, *self._stations.values()]:
                task.cancel()

    def _spawn(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        """Run one per-call step as its own task, isolated (see the module docstring)."""
        task = asyncio.ensure_future(self._isolated(what, step))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _isolated(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one call's failure never stops the ACD
            self._fail(what, exc)

    def _fail(self, what: str, exc: BaseException) -> None:
        msg = f"{what}: {exc}"
        log.warning("ACD %s", msg)
        self.errors.append(msg)

    async def _events(self, stream: EventStream[ev.CstaEvent], handle: Callable[[ev.CstaEvent], Awaitable[None]]) -> None:
        async with stream as events:
            async for e in events:
                try:
                    await handle(e)
                except Exception as exc:  # isolated: the next event is handled all the same
                    self._fail(f"{type(e).__name__} at {sorted(e.devices())}", exc)

    # ------------------------------------------------------------ queues
    async def _watch_queue(self, name: str, stream: EventStream[ev.CstaEvent]) -> None:
        async def handle(e: ev.CstaEvent) -> None:
            if isinstance(e, ev.Queued) and e.queue == name:
                self._queued(name, e)
            elif isinstance(e, ev.ConnectionCleared) and e.dropped_connection.device_id == name:
                self._left(e.dropped_connection.call_id, e.time, abandoned=True)  # (a callback has a new id)
            elif isinstance(e, ev.AgentEvent):
                self._agent_event(e)
                if isinstance(e, ev.AgentLoggedOff):
                    await self._leave_empty()
            elif isinstance(e, ev.DigitsDetected):
                await self._exit_key(e)
            else:
                return
            await self.dispatch()

        await self._events(stream, handle)

    def _queued(self, name: str, e: ev.Queued) -> None:
        q = self.queues[name]
        w = self._calls.get(e.queued_connection.call_id)
        if w is None:  # a new call; one coming back after a ring-out keeps its place
            w = WaitingCall(e.queued_connection.call_id, e.queued_connection, name, e.time, next(self._seq),
                            e.calling_device)
            self._calls[w.call_id] = w
            if self._log is not None:
                self._log.note(w.call_id, queue=name, enqueued_s=e.time)
            if q.config.relax_skill:
                self._spawn(f"skill relaxing for {w.call_id}", lambda: self._relax(w, q.config))
        returning = w.offered_to is not None
        w.conn, w.queue, w.offered_to, w.offer_set = e.queued_connection, name, None, set()
        if not returning:
            rule = self._arrival_rule(q)
            if rule is not None:
                self._spawn(f"{rule} overflow of {w.call_id}", lambda: self._overflow(w, rule, rule == "closed"))
                return
        if w not in q.waiting:
            q.waiting.append(w)
            q.waiting.sort(key=WaitingCall.key)
        if not returning:
            cfg = q.config
            if cfg.max_wait_s is not None:
                self._spawn(f"max wait of {w.call_id}", lambda: self._max_wait(w, cfg.max_wait_s or 0.0))
            if cfg.announcements is not None:
                self._spawn(f"announcements for {w.call_id}", lambda: self._announce(w, q))
        if q.config.hold_audio is not None:
            audio = q.config.hold_audio
            self._spawn(f"hold music for {w.call_id}", lambda: self._music(w, audio))

    async def _music(self, w: WaitingCall, audio: np.ndarray) -> None:
        if w.offered_to is not None or w.callback is not None or self._calls.get(w.call_id) is not w:
            return  # offered (or gone) before the music could start
        try:
            await self._p.play(w.conn, audio, loop=True, wait=False)
        except CstaError as exc:
            if exc.error_value in _GONE and w.offered_to is None:
                # the caller hung up before the music started: the queue's ConnectionCleared
                # removes the call; nothing to play to
                return
            raise

    # ------------------------------------------------------------ queue rules
    def _arrival_rule(self, q: _Queue) -> str | None:
        """The rule that turns an arriving call away, if any (see queue_rules)."""
        cfg = q.config
        if cfg.hours is not None and not cfg.hours.is_open(self._clock()):
            return "closed"
        if cfg.max_length is not None and len(q.waiting) >= cfg.max_length:
            return "maxLength"
        logged_on = [v for v in self.agents.values() if v.station is not None and cfg.name in v.groups]
        if not cfg.join_empty and not logged_on:
            return "joinEmpty"
        if cfg.overflow_calls_per_agent is not None:
            available = sum(1 for v in logged_on if v.ready or v.offer is not None or v.answered_at_s is not None)
            if (len(q.waiting) + 1) > cfg.overflow_calls_per_agent * available:
                return "callsPerAgent"
        return None

    async def _overflow(self, w: WaitingCall, rule: str, closed: bool = False) -> None:
        """Send a waiting call on by ``rule``: to ``closed_to``/``overflow_to``, or clear it."""
        q = self.queues[w.queue]
        target = q.config.closed_to if closed else q.config.overflow_to
        self._calls.pop(w.call_id, None)
        if w in q.waiting:
            q.waiting.remove(w)
        self.overflowed.append((self._p.now(), w.call_id, w.queue, rule, target))
        try:
            if q.config.hold_audio is not None:
                await self._p.stop_playing(w.conn)
            if target is not None:
                await self._p.deflect_call(w.conn, target)
            else:
                await self._p.clear_connection(w.conn)
        except CstaError as exc:
            if exc.error_value not in _GONE:
                raise

    async def _max_wait(self, w: WaitingCall, max_wait_s: float) -> None:
        await self._p.sleep(max_wait_s)
        if self._calls.get(w.call_id) is w and w.offered_to is None and w.callback is None:
            await self._overflow(w, "maxWait")

    async def _leave_empty(self) -> None:
        for q in self.queues.values():
            if q.config.leave_empty and q.waiting and not any(
                v.station is not None and q.config.name in v.groups for v in self.agents.values()
            ):
                for w in list(q.waiting):
                    if w.offered_to is None:
                        await self._overflow(w, "leaveEmpty")

    async def _exit_key(self, e: ev.DigitsDetected) -> None:
        w = self._calls.get(e.connection.call_id)
        if w is None or w.offered_to is not None or w.callback is not None:
            return
        key = self.queues[w.queue].config.callback_key
        if key is not None and key in e.digits and w.caller:
            await self._keep_place(w, e.time)
            return
        target = next((self.queues[w.queue].config.exit_keys[d] for d in e.digits
                       if d in self.queues[w.queue].config.exit_keys), None)
        if target is not None:
            q = self.queues[w.queue]
            self._calls.pop(w.call_id, None)
            if w in q.waiting:
                q.waiting.remove(w)
            self.overflowed.append((e.time, w.call_id, w.queue, "exitKey", target))
            if q.config.hold_audio is not None:
                await self._p.stop_playing(w.conn)
            await self._p.deflect_call(w.conn, target)

    async def _keep_place(self, w: WaitingCall, now: float) -> None:
        """The caller asked to be called back: a callback request keeps the call's place, the
        caller's line is released, and the ACD calls the number when an agent is free."""
        q = self.queues[w.queue]
        old = w.call_id
        del self._calls[old]
        w.callback, w.call_id = w.caller, f"callback:{old}"
        self._calls[w.call_id] = w
        self.callbacks.append((now, w.caller or "", w.queue))
        if q.config.hold_audio is not None:
            await self._p.stop_playing(w.conn)
        try:
            await self._p.clear_connection(w.conn)
        except CstaError as exc:
            if exc.error_value not in _GONE:
                raise

    def aht_s(self, queue: str) -> float:
        """The queue's average handle time so far: talk plus wrap-up, over the calls of its
        agents that have ended (a call in progress has no talk time yet; a wrap-up under way
        counts once it ends); ``default_aht_s`` until one has."""
        views = [v for v in self.agents.values() if queue in v.groups and v.ended]
        calls = sum(v.ended for v in views)
        return sum(v.talk_s + v.wrap_s for v in views) / calls if calls else self.queues[queue].config.default_aht_s

    def estimated_wait_s(self, call_id: str) -> float | None:
        """The estimated wait of a waiting call, seconds: the M/M/n conditional mean
        ``max(0, position - free) x AHT / n`` over the agents serving its queue (see
        :mod:`pycti.callcenter.queue_rules`); None when no agent serves the queue."""
        w = self._waiting(call_id)
        q = self.queues[w.queue]
        serving = sum(1 for v in self.agents.values() if v.serving and w.queue in v.groups)
        if not serving:
            return None
        free = min(serving, len(self._candidates(q, w, self._p.now())))
        return estimate_wait_s(self.position(call_id), self.aht_s(w.queue), serving, free)

    def _waiting(self, call_id: str) -> WaitingCall:
        w = self._calls.get(call_id)
        if w is None or w not in self.queues[w.queue].waiting:
            raise NotWaitingError(f"call {call_id!r} is not waiting in a queue")
        return w

    async def _announce(self, w: WaitingCall, q: _Queue) -> None:
        ann = q.config.announcements
        assert ann is not None
        await self._p.sleep(ann.first_after_s)
        while self._calls.get(w.call_id) is w and w.offered_to is None and w.callback is None:
            position = min(self.position(w.call_id), self._announced.get(w.call_id, 1 << 30))
            self._announced[w.call_id] = position
            audio = ann.render(Announcement(w.call_id, w.queue, position, self.estimated_wait_s(w.call_id)))
            if audio is not None:
                if q.config.hold_audio is not None:
                    await self._p.stop_playing(w.conn)
                await self._p.play(w.conn, audio, wait=True)
                if q.config.hold_audio is not None and self._calls.get(w.call_id) is w and w.offered_to is None:
                    await self._p.play(w.conn, q.config.hold_audio, loop=True, wait=False)
            await self._p.sleep(ann.every_s)
        self._announced.pop(w.call_id, None)

    async def _relax(self, w: WaitingCall, config: QueueConfig) -> None:
        """Look for agents again each time the call's minimum skill level relaxes."""
        for after_s, _ in sorted(config.relax_skill):
            wait_s = w.enqueued_s + after_s - self._p.now()
            if wait_s > 0:
                await self._p.sleep(wait_s)
            if self._calls.get(w.call_id) is not w:
                return
            await self.dispatch()

    def _left(self, call_id: str, now: float, *, abandoned: bool) -> None:
        """The call is no longer the ACD's (the caller hung up, or an agent answered)."""
        w = self._calls.pop(call_id, None)
        if w is None:
            return
        q = self.queues[w.queue]
        if w in q.waiting:
            q.waiting.remove(w)
        if abandoned:
            self.abandoned.append((now, w.caller, w.queue))

    def set_priority(self, call_id: str, priority: int) -> None:
        """Give a waiting call a new priority (higher is served first); it moves at once
        (call :meth:`dispatch` to hand out calls now)."""
        w = self._calls.get(call_id)
        if w is None:
            raise NotWaitingError(f"call {call_id!r} is not waiting in a queue")
        w.priority = priority
        self.queues[w.queue].waiting.sort(key=WaitingCall.key)

    def position(self, call_id: str) -> int:
        """1-based place of a waiting call in its queue (:class:`NotWaitingError` if it is
        not waiting)."""
        w = self._waiting(call_id)
        return self.queues[w.queue].waiting.index(w) + 1

    # ------------------------------------------------------------ agents
    def _reindex(self, view: AgentView) -> None:
        """Keep the routing index in step with ``view`` (called whenever it changes)."""
        agent_id = view.profile.agent_id
        if view.ready and view.offer is None and view.station is not None:
            levels = {q: view.profile.skills[q] for q in view.groups
                      if view.profile.skills.get(q, 0) >= 1 and q in self._indexed}
            self._index.add(ReadyAgent(agent_id, view.order, view.idle_since_s, view.answered, view.talk_s, levels))
        else:
            self._index.discard(agent_id)

    def _agent_event(self, e: ev.AgentEvent) -> None:
        view = self.agents.get(e.agent_id or "")
        if view is None:
            return
        view.note_state(e)
        if isinstance(e, ev.AgentLoggedOff):
            view.ready = False
            watcher = self._stations.pop(view.station, None) if view.station is not None else None
            if watcher is not None:
                watcher.cancel()
            view.station = None
            return
        if view.station is None or isinstance(e, ev.AgentLoggedOn):
            # logged on (or, the ACD having started late, any change): where, and to which queues
            view.station, view.groups = e.agent_device, frozenset(e.devices() & self.queues.keys())
            self._reindex(view)
            if view.station not in self._stations:
                stream = self._p.monitor(view.station)  # before any await: no event missed
                self._stations[view.station] = asyncio.ensure_future(self._watch_station(view, view.station, stream))
        if isinstance(e, ev.AgentReady):
            if not view.ready:
                view.idle_since_s = e.time
                view.ready = True
        else:
            view.ready = False

    async def _watch_station(self, view: AgentView, station: str, stream: EventStream[ev.CstaEvent]) -> None:
        async def handle(e: ev.CstaEvent) -> None:
            if isinstance(e, ev.Established) and e.established_connection.device_id == station:
                self._answered(view, e)
            elif isinstance(e, ev.ConnectionCleared) and e.dropped_connection.device_id == station:
                if view.answered_at_s is not None:
                    view.talk_s += e.time - view.answered_at_s
                    view.ended += 1
                    view.answered_at_s = None
                    self._reindex(view)  # its AgentReady may have come first
                if view.offer == e.dropped_connection:
                    view.offer = None
                    if e.cause is not ev.EventCause.DISTRIBUTED:  # (another ring-all phone answered)
                        self._left(e.dropped_connection.call_id, e.time, abandoned=True)  # the caller left

        await self._events(stream, handle)

    def _answered(self, view: AgentView, e: ev.Established) -> None:
        call_id = e.established_connection.call_id
        w = self._calls.get(call_id)
        if view.offer == e.established_connection:
            view.offer = None
        if w is None or view.profile.agent_id not in w.offer_set:
            return  # not an ACD call of ours
        view.answered, view.answered_at_s = view.answered + 1, e.time
        if w.caller is not None:
            self._last_agent[w.caller] = view.profile.agent_id
        self._left(call_id, e.time, abandoned=False)
        if self._log is not None:
            self._log.note(call_id, answered_s=e.time, agent=view.profile.agent_id)

    # ------------------------------------------------------------ distribution
    def _candidates(self, q: _Queue, w: WaitingCall, now: float) -> list[Candidate]:
        level = q.config.min_level(now - w.enqueued_s)
        out = []
        for view in self.agents.values():
            skill = view.profile.skills.get(q.config.name, 0)
            if (view.ready and view.offer is None and view.station is not None and q.config.name in view.groups
                    and skill >= level and view.profile.agent_id not in w.rang_out):
                out.append(Candidate(view.profile.agent_id, view.order, view.idle_since_s, view.answered,
                                     view.talk_s, skill, view.profile.weight))
        return out

    def _next_offer(self, now: float, *, scan_all: bool = False) -> tuple[_Queue, WaitingCall, list[AgentView]] | None:
        """The waiting call to offer now and its agents (one, or all for RING_ALL and
        RING_PROGRESSIVELY): across queues, the highest priority, then the longest waiting call
        that has a candidate.  Queues of the indexed strategies are served by the routing index,
        the others by a scan of their candidates (``scan_all``: every queue by the scan, the
        reference the index is checked against)."""
        best: tuple[tuple[int, float, int], _Queue, WaitingCall, list[AgentView]] | None = None
        if self._indexed and not scan_all:
            found = next_offer(
                self._index, [(n, self.queues[n].waiting) for n in self._indexed],
                lambda n, w: self.queues[n].config.min_level(now - w.enqueued_s),
                lambda w: self._last_agent.get(w.caller or ""),
            )
            if found is not None:
                name, w, agent_id = found
                best = (w.key(), self.queues[name], w, [self.agents[agent_id]])
        for q in self.queues.values():
            if q.config.strategy in INDEXED_STRATEGIES and not scan_all:
                continue
            for w in q.waiting:
                if w.offered_to is not None:
                    continue
                if best is not None and w.key() >= best[0]:
                    break
                cands = self._candidates(q, w, now)
                if cands:
                    choice = Choice(self._rng, q.last_offered_order, self._last_agent.get(w.caller or ""))
                    ranked = [self.agents[c.agent_id] for c in rank(q.config.strategy, cands, choice)]
                    forked = q.config.strategy in (Strategy.RING_ALL, Strategy.RING_PROGRESSIVELY)
                    best = (w.key(), q, w, ranked if forked else ranked[:1])
                    break
        return None if best is None else best[1:]

    async def dispatch(self) -> None:
        """Offer waiting calls to ready agents until no call has a candidate."""
        while (found := self._next_offer(self._p.now())) is not None:
            q, w, agents = found
            await self._offer(q, w, agents)

    async def _offer(self, q: _Queue, w: WaitingCall, agents: list[AgentView]) -> None:
        later: list[AgentView] = []
        if q.config.strategy is Strategy.RING_PROGRESSIVELY:
            agents, later = agents[:1], agents[1:]  # one now, one more each step
        stations = tuple(a.station for a in agents if a.station is not None)
        w.offered_to, w.offer_set = agents[0].profile.agent_id, {a.profile.agent_id for a in agents}
        for a in agents:
            a.ready = False
        q.last_offered_order = agents[0].order
        names = ", ".join(a.profile.agent_id for a in agents)
        if w.callback is not None:
            await self._call_back(q, w, agents[0])
            return
        try:
            if q.config.hold_audio is not None:
                await self._p.stop_playing(w.conn)
            if q.config.strategy is Strategy.RING_ALL:
                await self._p.deflect_call_to_all(w.conn, stations)
            else:
                await self._p.deflect_call(w.conn, stations[0])
        except CstaError as exc:
            self._fail(f"offer {w.call_id} to {names} at {', '.join(stations)}", exc)
            if exc.error_value in _GONE:  # the caller has just hung up: the agents are still ready
                self._left(w.call_id, self._p.now(), abandoned=True)
                for a in agents:
                    await self._reread_ready(a)
                return
            # a station cannot take it now: the call goes to other agents, and the agents'
            # readiness is taken from the switch (their events may still be on the way)
            w.offered_to, w.offer_set = None, set()
            for a in agents:
                w.rang_out.add(a.profile.agent_id)
                await self._reread_ready(a)
            return
        offers = []
        for a in agents:
            a.offer = ConnectionID(w.call_id, a.station or "")
            offers.append((a, a.offer))
        if w in q.waiting:
            q.waiting.remove(w)
        self._spawn(f"offer timer of {w.call_id}", lambda: self._offer_timer(q, w, offers))
        if later:
            self._spawn(f"ringing more phones for {w.call_id}", lambda: self._progress(q, w, offers, later))
        for a, offer in offers:
            if a.profile.auto_answer:
                self._spawn(f"auto-answer {w.call_id}", lambda offer=offer: self._p.answer_call(offer))  # type: ignore[misc]
                break  # with ring-all, the first headset agent takes it

    async def _reread_ready(self, agent: AgentView) -> None:
        """Take ``agent``'s readiness from the switch (after a refused offer its agent event
        may still be on the way, or none will come)."""
        entry = await self._p.get_agent_state(agent.station or "")
        agent.ready = entry.agent_state is AgentState.READY and entry.agent_id == agent.profile.agent_id

    async def _progress(self, q: _Queue, w: WaitingCall, offers: list[tuple[AgentView, ConnectionID]],
                        later: list[AgentView]) -> None:
        """Ring progressively: every ``progressive_step_s`` one more ready agent's phone joins
        the ringing (the offer timer then covers them all)."""
        for agent in later:
            await self._p.sleep(q.config.progressive_step_s)
            ringing = [o for a, o in offers if a.offer == o]
            if not ringing or self._calls.get(w.call_id) is not w or w.offered_to is None:
                return
            if not (agent.ready and agent.offer is None and agent.station is not None):
                continue
            agent.ready = False
            try:
                offer = await self._p.alert_also(ringing[0], agent.station)
            except CstaError as exc:
                self._fail(f"ring {agent.profile.agent_id} too for {w.call_id}", exc)
                await self._reread_ready(agent)
                continue
            agent.offer = offer
            w.offer_set.add(agent.profile.agent_id)
            offers.append((agent, offer))

    async def _call_back(self, q: _Queue, w: WaitingCall, agent: AgentView) -> None:
        """A callback request reached the front and ``agent`` is free: the agent's phone
        calls the number (MakeCall from the station)."""
        assert w.callback is not None and agent.station is not None
        if w in q.waiting:
            q.waiting.remove(w)
        self._calls.pop(w.call_id, None)
        try:
            calling = await self._p.make_call(agent.station, w.callback)
        except CstaError as exc:
            self._fail(f"call back {w.callback} from {agent.profile.agent_id} at {agent.station}", exc)
            await self._reread_ready(agent)
            w.offered_to, w.offer_set = None, set()
            w.rang_out.add(agent.profile.agent_id)
            self._calls[w.call_id] = w
            q.waiting.append(w)
            q.waiting.sort(key=WaitingCall.key)
            return
        self.called_back.append((self._p.now(), w.callback, agent.profile.agent_id, calling.call_id))

    async def _offer_timer(self, q: _Queue, w: WaitingCall, offers: list[tuple[AgentView, ConnectionID]]) -> None:
        await self._p.sleep(q.config.offer_timeout_s)
        ringing = [(a, o) for a, o in offers if a.offer == o]
        if not ringing or self._calls.get(w.call_id) is not w or w.offered_to is None:
            return  # answered, or the caller hung up
        for a, _ in ringing:
            w.rang_out.add(a.profile.agent_id)
            a.offer = None
        try:
            for _, offer in ringing[:-1]:  # ring-all: the other phones stop first
                await self._p.clear_connection(offer)
            await self._p.deflect_call(ringing[-1][1], q.config.name)  # back to its place in the queue
        except CstaError as exc:
            if exc.error_value not in _GONE:
                raise
