"""A minimal ACD: queues in arrival order, agents with skills, longest-idle agent first.

It uses only the Provider API, so it runs on the local switch or a remote PBX alike.  A call
queued at a queue device (Queued event) waits until an agent who serves that queue is ready;
the ACD then deflects it to the agent's station (DeflectCall).  While it waits, the caller
hears ``hold_audio`` (music or an announcement) in a loop, if one is given.  Agents go busy when their
station is alerted, into after-call work when their connection clears, and ready again after
``wrap_up_s``.  A caller who hangs up while queued is counted as abandoned.

The full call-center layer (priorities, overflow, announcements, not-ready reasons) grows
from this.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..errors import CstaError, ErrorValue
from ..errors import PyctiError
from ..provider import MediaProvider
from ..switch import events as ev
from ..switch.ids import ConnectionID
from .calllog import CallLog

__all__ = ["AgentState", "AgentConfig", "Agent", "Acd"]


class AgentState(enum.Enum):
    """ECMA-269 agent states (the ones this ACD uses)."""

    LOGGED_OUT = "loggedOut"
    READY = "ready"
    NOT_READY = "notReady"
    BUSY = "busy"
    WORK_AFTER_CALL = "workingAfterCall"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    agent_id: str
    station: str
    skills: tuple[str, ...]  #: the queues this agent serves


@dataclass(slots=True)
class Agent:
    config: AgentConfig
    state: AgentState = AgentState.READY
    since_s: float = 0.0
    call: ConnectionID | None = None
    answered: int = 0


@dataclass(slots=True)
class _Waiting:
    conn: ConnectionID
    enqueued_s: float


@dataclass(slots=True)
class _Queue:
    name: str
    waiting: deque[_Waiting] = field(default_factory=deque)


class Acd:
    """Distributes queued calls to agents."""

    def __init__(self, provider: MediaProvider, queues: Iterable[str], agents: Iterable[AgentConfig],
                 *, wrap_up_s: float = 5.0, calllog: CallLog | None = None,
                 hold_audio: np.ndarray | None = None) -> None:
        self._p = provider
        self._hold_audio = hold_audio
        self.queues = {q: _Queue(q) for q in queues}
        self.agents = {a.station: Agent(a) for a in agents}
        self.wrap_up_s = wrap_up_s
        self._log = calllog
        self.errors: list[str] = []
        self._wrapups: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Watch the queues and agents until cancelled or the provider closes; pending
        wrap-up timers end with it."""
        try:
            await asyncio.gather(
                *(self._watch_queue(q) for q in self.queues),
                *(self._watch_agent(a) for a in self.agents),
            )
        finally:
            for task in list(self._wrapups):
                task.cancel()

    # ------------------------------------------------------------ queues
    async def _watch_queue(self, name: str) -> None:
        q = self.queues[name]
        async with self._p.monitor(name) as events:
            async for e in events:
                if isinstance(e, ev.Queued) and e.queued_connection.device_id == name:
                    q.waiting.append(_Waiting(e.queued_connection, e.time))
                    if self._hold_audio is not None:
                        await self._p.play(e.queued_connection, self._hold_audio, loop=True)
                    if self._log is not None:
                        self._log.note(e.queued_connection.call_id, queue=name, enqueued_s=e.time)
                    await self.dispatch()
                elif isinstance(e, ev.ConnectionCleared) and e.dropped_connection.device_id == name:
                    self._drop(q, e.dropped_connection)

    def _drop(self, q: _Queue, conn: ConnectionID) -> None:
        """The caller left the queue (hung up): forget the waiting call."""
        for w in q.waiting:
            if w.conn == conn:
                q.waiting.remove(w)
                return

    async def dispatch(self) -> None:
        """Give waiting calls to ready agents: oldest call first, longest-idle agent first."""
        while True:
            best: tuple[float, _Queue] | None = None
            for q in self.queues.values():
                if q.waiting and (best is None or q.waiting[0].enqueued_s < best[0]):
                    if self._ready_agent(q.name) is not None:
                        best = (q.waiting[0].enqueued_s, q)
            if best is None:
                return
            q = best[1]
            agent = self._ready_agent(q.name)
            assert agent is not None
            w = q.waiting.popleft()
            agent.state, agent.since_s = AgentState.BUSY, self._p.now()
            try:
                if self._hold_audio is not None:
                    await self._p.stop_playing(w.conn)
                await self._p.deflect_call(w.conn, agent.config.station)
            except CstaError as exc:
                self.errors.append(f"deflect {w.conn} -> {agent.config.station}: {exc}")
                agent.state = AgentState.NOT_READY
                if exc.error_value not in (ErrorValue.INVALID_CONNECTION_STATE, ErrorValue.INVALID_CONNECTION_ID):
                    q.waiting.appendleft(w)
                continue

    def _ready_agent(self, queue: str) -> Agent | None:
        best: Agent | None = None
        for a in self.agents.values():
            if a.state is AgentState.READY and queue in a.config.skills:
                if best is None or a.since_s < best.since_s:
                    best = a
        return best

    # ------------------------------------------------------------ agents
    async def _watch_agent(self, station: str) -> None:
        agent = self.agents[station]
        async with self._p.monitor(station) as events:
            async for e in events:
                if isinstance(e, ev.Delivered) and e.connection.device_id == station:
                    agent.state, agent.call = AgentState.BUSY, e.connection
                elif isinstance(e, ev.Established) and e.established_connection.device_id == station:
                    agent.call = e.established_connection
                    agent.answered += 1
                    if self._log is not None:
                        self._log.note(e.established_connection.call_id, answered_s=e.time,
                                       agent=agent.config.agent_id)
                elif isinstance(e, ev.ConnectionCleared) and e.dropped_connection.device_id == station:
                    agent.call = None
                    agent.state, agent.since_s = AgentState.WORK_AFTER_CALL, e.time
                    task = asyncio.ensure_future(self._wrap_up(agent))
                    self._wrapups.add(task)
                    task.add_done_callback(self._wrapups.discard)

    async def _wrap_up(self, agent: Agent) -> None:
        try:
            await self._p.sleep(self.wrap_up_s)
        except PyctiError:  # the provider closed while the agent wrapped up: nothing to do
            return
        if agent.state is AgentState.WORK_AFTER_CALL:
            agent.state, agent.since_s = AgentState.READY, self._p.now()
            await self.dispatch()

    def set_ready(self, station: str) -> None:
        """Make an agent who was not ready available again (call :meth:`dispatch` to hand out
        waiting calls now)."""
        agent = self.agents[station]
        agent.state, agent.since_s = AgentState.READY, self._p.now()
