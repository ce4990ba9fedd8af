"""ACD agents: one authoritative state machine per agent (ECMA-269 clause 22.2, agent states).

An *agent* is a person known by an agent id (and optionally a password) who logs on at any
station (ECMA-269 SetAgentState ``loggedOn`` with ``device`` = the station) to serve one or
more ACD groups -- pycti's queue devices.  pycti keeps one state per agent, shared by all the
groups the agent is logged on to, in six *phases* finer than ECMA's five agent states:

=============  ========================  ==============================================
phase          ECMA-269 AgentState       meaning
=============  ========================  ==============================================
LOGGED_OUT     agentNull                 not logged on anywhere
READY          agentReady                waiting for an ACD call
OFFERED        agentBusy                 an ACD call is alerting at the station
ON_CALL        agentBusy                 on an ACD call, or on a personal call taken
                                         while ready
AFTER_CALL     agentWorkingAfterCall     wrap-up after an ACD call (timed or manual)
NOT_READY      agentNotReady             unavailable, with a reason code
=============  ========================  ==============================================

Every change of ECMA state is an agent event (AgentLoggedOn, AgentLoggedOff, AgentReady,
AgentNotReady, AgentBusy, AgentWorkingAfterCall).  The event entering NOT_READY carries the
reason; the event leaving it carries ``previous_reason``.

Requests (SetAgentState) that do not fit the phase raise :class:`~pycti.errors.CstaError`
``invalidAgentState`` and change nothing.  A request to leave an ACD call's busy phase
(not ready, logged off, work, ready) is *pending*: it takes effect when the call (and, for
ready, its wrap-up) ends, as ECMA-269's pendingAgentState says.  Facts about the station's
calls (an ACD call offered, answered, rung out; a personal call; the last call ended; the
wrap-up time over) that do not fit the phase are ignored: a personal call of a not-ready or
logged-out agent leaves that state alone, and a ready agent who made or took a personal call
is ready again when it ends (no wrap-up).

Rules: wrap-up lasts the agent's own ``wrap_up_ms``, else the group's, else the default;
``max_ring_outs`` ACD offers in a row that ring out make the agent NOT_READY with reason
``ringNoAnswer`` (0: never).  The whole machine is :data:`TABLE`, one row per
(phase, trigger); the steps are small functions.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pycti.errors import CstaError, ErrorValue
from pycti.switch.agent_states import AgentState, PendingAgentState, RequestedAgentState
from pycti.switch.events import (
    AgentBusy,
    AgentEvent,
    AgentLoggedOff,
    AgentLoggedOn,
    AgentNotReady,
    AgentReady,
    AgentWorkingAfterCall,
    EventCause,
)
from pycti.switch.ids import ConnectionID
from pycti.switch.timers import TimerSet

__all__ = [
    "AgentConfig",
    "AgentPhase",
    "AgentRules",
    "AgentState",
    "AgentStateEntry",
    "AgentTable",
    "PendingAgentState",
    "RequestedAgentState",
    "Trigger",
    "RING_NO_ANSWER_REASON",
    "LOGIN_REASON",
]

#: The reason code of an agent made not ready by ``max_ring_outs`` unanswered offers.
RING_NO_ANSWER_REASON = "ringNoAnswer"
#: The reason code of an agent who logged on and is not ready yet.
LOGIN_REASON = "login"


class AgentPhase(enum.Enum):
    """pycti's agent phases (see the module docstring) and their ECMA-269 state."""

    LOGGED_OUT = "loggedOut"
    READY = "ready"
    OFFERED = "offered"
    ON_CALL = "onCall"
    AFTER_CALL = "afterCall"
    NOT_READY = "notReady"

    @property
    def ecma(self) -> AgentState:
        return _ECMA[self]


_ECMA = {
    AgentPhase.LOGGED_OUT: AgentState.NULL,
    AgentPhase.READY: AgentState.READY,
    AgentPhase.OFFERED: AgentState.BUSY,
    AgentPhase.ON_CALL: AgentState.BUSY,
    AgentPhase.AFTER_CALL: AgentState.WORKING_AFTER_CALL,
    AgentPhase.NOT_READY: AgentState.NOT_READY,
}


class Trigger(enum.Enum):
    """Inputs of the agent machine: SetAgentState requests, then facts about calls."""

    LOG_ON = "logOn"
    LOG_OFF = "logOff"
    READY = "ready"
    NOT_READY = "notReady"
    WORK = "workingAfterCall"
    OFFER = "offer"  # an ACD call alerts at the agent's station
    ANSWER = "answer"  # the offered call was answered there
    RING_OUT = "ringOut"  # the offered call left the station unanswered
    ABANDONED = "abandoned"  # the caller hung up while the call was offered
    PERSONAL_CALL = "personalCall"  # a call that did not come from a queue
    CALL_ENDED = "callEnded"  # the station has no connection left
    WRAP_UP_OVER = "wrapUpOver"


_REQUESTS = {
    RequestedAgentState.LOGGED_ON: Trigger.LOG_ON,
    RequestedAgentState.LOGGED_OFF: Trigger.LOG_OFF,
    RequestedAgentState.READY: Trigger.READY,
    RequestedAgentState.NOT_READY: Trigger.NOT_READY,
    RequestedAgentState.WORKING_AFTER_CALL: Trigger.WORK,
}
_REQUEST_TRIGGERS = frozenset(_REQUESTS.values())
_PENDING = {
    Trigger.LOG_OFF: PendingAgentState.NULL,
    Trigger.NOT_READY: PendingAgentState.NOT_READY,
    Trigger.WORK: PendingAgentState.WORKING_AFTER_CALL,
    Trigger.READY: PendingAgentState.READY,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    """An agent the switch knows: ``groups`` are the queues it may log on to (empty: any),
    ``wrap_up_ms`` its own wrap-up (None: the group's or the default)."""

    agent_id: str
    password: str | None = None
    groups: tuple[str, ...] = ()
    wrap_up_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRules:
    """Rules shared by all agents (see the module docstring)."""

    default_wrap_up_ms: int = 0
    group_wrap_up_ms: Mapping[str, int] = field(default_factory=dict)
    max_ring_outs: int = 0
    ready_on_login: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateEntry:
    """ECMA-269 GetAgentState AgentStateEntry with one AgentInfo per group (flattened)."""

    agent_id: str | None
    logged_on: bool
    groups: tuple[str, ...]
    agent_state: AgentState
    pending_agent_state: PendingAgentState | None
    phase: AgentPhase
    reason: str | None


@dataclass(slots=True)
class _Agent:
    config: AgentConfig
    phase: AgentPhase = AgentPhase.LOGGED_OUT
    station: str | None = None
    groups: tuple[str, ...] = ()
    reason: str | None = None
    pending: PendingAgentState | None = None
    pending_reason: str | None = None
    ring_outs: int = 0
    offer: ConnectionID | None = None
    offer_group: str | None = None
    personal: bool = False
    manual_work: bool = False


@dataclass(frozen=True, slots=True)
class _Input:
    trigger: Trigger
    now: float
    reason: str | None = None
    group: str | None = None
    connection: ConnectionID | None = None


#: A step: given the table, the agent and the input, the new phase (None: stay).
Step = Callable[["AgentTable", _Agent, _Input], "AgentPhase | None"]


class AgentTable:
    """The agents of one switch: requests from SetAgentState, facts from the core."""

    def __init__(self, rules: AgentRules | None = None) -> None:
        self.rules = rules or AgentRules()
        self._agents: dict[str, _Agent] = {}
        self._by_station: dict[str, str] = {}
        self._wrap_up: TimerSet[str] = TimerSet()
        self._out: list[AgentEvent] = []
        self._offered: set[str] = set()  # agents in the OFFERED phase

    # -- configuration -------------------------------------------------------------------
    def add(self, config: AgentConfig) -> None:
        """Make an agent known (logged out)."""
        if not isinstance(config.agent_id, str) or not config.agent_id.strip():
            raise CstaError(ErrorValue.INVALID_AGENT_IDENTIFIER, f"bad agent id {config.agent_id!r}")
        if config.agent_id in self._agents:
            raise CstaError(ErrorValue.INVALID_AGENT_IDENTIFIER, f"agent {config.agent_id} already exists")
        self._agents[config.agent_id] = _Agent(config)

    def split_logon(self, argument: str) -> tuple[str | None, str | None]:
        """(agent id, password) from digits keyed after a log-on feature code: ``id*password``,
        or the known agent id the digits start with and the rest as the password."""
        if "*" in argument:
            agent_id, _, password = argument.partition("*")
            return agent_id or None, password or None
        known = sorted((a for a in self._agents if argument.startswith(a)), key=len, reverse=True)
        if not known:
            return argument or None, None
        return known[0], argument[len(known[0]):] or None

    def agent_at(self, station: str) -> str | None:
        """The id of the agent logged on at ``station``, if any."""
        return self._by_station.get(station)

    def stations(self) -> dict[str, str]:
        """station -> agent id, for every logged-on agent."""
        return dict(self._by_station)

    def phase(self, agent_id: str) -> AgentPhase:
        """The agent's phase."""
        return self._agent(agent_id).phase

    # -- requests (SetAgentState / GetAgentState) ----------------------------------------
    def request(
        self,
        device: str,
        requested: RequestedAgentState,
        now: float,
        *,
        agent_id: str | None = None,
        password: str | None = None,
        group: str | None = None,
        reason: str | None = None,
    ) -> PendingAgentState | None:
        """ECMA-269 SetAgentState at ``device``.  Returns the pending state when the change
        waits for the agent's call to end, else None.  Refusals change nothing."""
        if not isinstance(requested, RequestedAgentState):
            raise CstaError(ErrorValue.AGENT_STATE_OUT_OF_RANGE, f"bad requested agent state {requested!r}")
        trigger = _REQUESTS[requested]
        if trigger is Trigger.LOG_ON:
            agent = self._check_logon(device, agent_id, password, group)
        else:
            held = self._by_station.get(device)
            if held is None:
                raise CstaError(ErrorValue.INVALID_AGENT_STATE, f"no agent is logged on at {device}")
            if agent_id is not None and agent_id != held:
                raise CstaError(ErrorValue.INVALID_AGENT_IDENTIFIER, f"{device}: agent {held} is logged on, not {agent_id}")
            agent = self._agents[held]
        step = TABLE.get((agent.phase, trigger))
        if step is None:
            raise CstaError(
                ErrorValue.INVALID_AGENT_STATE,
                f"agent {agent.config.agent_id} is {agent.phase.value}: cannot {requested.value}",
            )
        if trigger is Trigger.LOG_ON:
            agent.station, agent.groups = device, (group,) if group is not None else agent.config.groups
            self._by_station[device] = agent.config.agent_id
        self._run(agent, step, _Input(trigger, now, reason=reason, group=group))
        return agent.pending if agent.phase in (AgentPhase.OFFERED, AgentPhase.ON_CALL) and trigger in _PENDING else None

    def get(self, device: str) -> AgentStateEntry:
        """ECMA-269 GetAgentState at ``device`` (a station): the agent logged on there."""
        held = self._by_station.get(device)
        if held is None:
            return AgentStateEntry(
                agent_id=None, logged_on=False, groups=(), agent_state=AgentState.NULL,
                pending_agent_state=None, phase=AgentPhase.LOGGED_OUT, reason=None,
            )
        a = self._agents[held]
        return AgentStateEntry(
            agent_id=held, logged_on=True, groups=a.groups, agent_state=a.phase.ecma,
            pending_agent_state=a.pending, phase=a.phase, reason=a.reason,
        )

    def _check_logon(self, device: str, agent_id: str | None, password: str | None, group: str | None) -> _Agent:
        if agent_id is None or agent_id not in self._agents:
            raise CstaError(ErrorValue.INVALID_AGENT_IDENTIFIER, f"unknown agent {agent_id!r}")
        agent = self._agents[agent_id]
        if agent.config.password is not None and password != agent.config.password:
            raise CstaError(ErrorValue.INVALID_AGENT_PASSWORD, f"wrong password for agent {agent_id}")
        if group is not None and agent.config.groups and group not in agent.config.groups:
            raise CstaError(ErrorValue.INVALID_AGENT_GROUP, f"agent {agent_id} does not serve {group}")
        other = self._by_station.get(device)
        if other is not None and other != agent_id:
            raise CstaError(ErrorValue.INVALID_AGENT_STATE, f"agent {other} is logged on at {device}")
        if agent.phase is not AgentPhase.LOGGED_OUT and agent.station != device:
            raise CstaError(ErrorValue.INVALID_AGENT_STATE, f"agent {agent_id} is logged on at {agent.station}")
        return agent

    # -- facts from the core ---------------------------------------------------------------
    def fact(self, station: str, trigger: Trigger, now: float, *, connection: ConnectionID | None = None,
             group: str | None = None) -> None:
        """Something happened at ``station``'s calls; ignored unless an agent is there and
        the fact fits its phase."""
        held = self._by_station.get(station)
        if held is None or trigger in _REQUEST_TRIGGERS:
            return
        agent = self._agents[held]
        step = TABLE.get((agent.phase, trigger))
        if step is not None:
            self._run(agent, step, _Input(trigger, now, group=group, connection=connection))

    def offered_in_call(self, call_id: str) -> list[str]:
        """The stations where call ``call_id`` is offered to an agent."""
        found = []
        for agent_id in self._offered:
            a = self._agents[agent_id]
            if a.offer is not None and a.offer.call_id == call_id and a.station is not None:
                found.append(a.station)
        return sorted(found)

    def offered(self, station: str) -> ConnectionID | None:
        """The ACD call alerting at ``station`` for its agent, if any."""
        held = self._by_station.get(station)
        return self._agents[held].offer if held is not None else None

    # -- timers ---------------------------------------------------------------------------
    def next_timer(self) -> float | None:
        """When the next wrap-up ends."""
        return self._wrap_up.next_deadline()

    def handle_timer(self, now: float) -> None:
        """End the wrap-ups due at ``now``."""
        for agent_id in self._wrap_up.pop_expired(now):
            agent = self._agents[agent_id]
            step = TABLE.get((agent.phase, Trigger.WRAP_UP_OVER))
            if step is not None:
                self._run(agent, step, _Input(Trigger.WRAP_UP_OVER, now))

    def take_events(self) -> list[AgentEvent]:
        """The agent events since the last call, oldest first."""
        out, self._out = self._out, []
        return out

    # -- machinery ------------------------------------------------------------------------
    def _agent(self, agent_id: str) -> _Agent:
        try:
            return self._agents[agent_id]
        except KeyError:
            raise CstaError(ErrorValue.INVALID_AGENT_IDENTIFIER, f"unknown agent {agent_id!r}") from None

    def _run(self, agent: _Agent, step: Step, inp: _Input) -> None:
        before, before_reason, before_pending = agent.phase, agent.reason, agent.pending
        new = step(self, agent, inp)
        if new is None:
            if agent.pending != before_pending and agent.phase is AgentPhase.ON_CALL:
                # a change deferred to the call's end: AgentBusy again, with the pendingAgentState
                # (ECMA-269), so monitors such as the ACD know the agent leaves after this call
                self._emit(agent, before, before_reason, inp)
            return
        agent.phase = new
        if new is AgentPhase.OFFERED:
            self._offered.add(agent.config.agent_id)
        else:
            self._offered.discard(agent.config.agent_id)
        if new is not AgentPhase.NOT_READY:
            agent.reason = None
        if new is not AgentPhase.AFTER_CALL:
            self._wrap_up.cancel(agent.config.agent_id)
        if new is AgentPhase.LOGGED_OUT:
            if agent.station is not None:
                self._by_station.pop(agent.station, None)
        changed_reason = new is AgentPhase.NOT_READY and agent.reason != before_reason
        if new.ecma is not before.ecma or changed_reason or inp.trigger is Trigger.LOG_ON:
            self._emit(agent, before, before_reason, inp)
        if new is AgentPhase.LOGGED_OUT:
            agent.station, agent.groups = None, ()

    def _emit(self, agent: _Agent, before: AgentPhase, before_reason: str | None, inp: _Input) -> None:
        assert agent.station is not None
        common: dict[str, Any] = {
            "time": inp.now,
            "cause": EventCause.NORMAL,
            "involved_devices": frozenset((agent.station, *agent.groups)),
            "agent_device": agent.station,
            "agent_id": agent.config.agent_id,
            "acd_group": inp.group if inp.group is not None else (agent.groups[0] if agent.groups else None),
            "previous_reason": before_reason if before is AgentPhase.NOT_READY else None,
        }
        if inp.trigger is Trigger.LOG_ON:
            self._out.append(AgentLoggedOn(**common))
            common["previous_reason"] = None
        phase = agent.phase
        event: AgentEvent
        if phase is AgentPhase.LOGGED_OUT:
            event = AgentLoggedOff(**common)
        elif phase is AgentPhase.READY:
            event = AgentReady(**common)
        elif phase is AgentPhase.NOT_READY:
            event = AgentNotReady(**common, reason=agent.reason)
        elif phase is AgentPhase.AFTER_CALL:
            event = AgentWorkingAfterCall(**common, pending_agent_state=agent.pending)
        else:
            event = AgentBusy(**common, pending_agent_state=agent.pending)
        self._out.append(event)

    def wrap_up_ms(self, agent: _Agent) -> int:
        """The wrap-up after an ACD call of ``agent`` (see the module docstring)."""
        if agent.config.wrap_up_ms is not None:
            return agent.config.wrap_up_ms
        if agent.offer_group is not None and agent.offer_group in self.rules.group_wrap_up_ms:
            return self.rules.group_wrap_up_ms[agent.offer_group]
        return self.rules.default_wrap_up_ms


# -- steps ------------------------------------------------------------------------------------
def _log_on(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase:
    a.ring_outs, a.pending = 0, None
    if t.rules.ready_on_login:
        return AgentPhase.READY
    a.reason = LOGIN_REASON
    return AgentPhase.NOT_READY


def _log_off(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase:
    a.pending = None
    return AgentPhase.LOGGED_OUT


def _ready(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase:
    a.pending, a.ring_outs, a.manual_work = None, 0, False
    return AgentPhase.READY


def _not_ready(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase:
    a.pending = None
    a.reason = i.reason
    return AgentPhase.NOT_READY


def _work(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase:
    a.pending, a.manual_work = None, True  # manual after-call work: ends by request
    return AgentPhase.AFTER_CALL


def _stay(t: AgentTable, a: _Agent, i: _Input) -> None:
    return None


def _defer(t: AgentTable, a: _Agent, i: _Input) -> None:
    """A request while busy: remembered as the pending state."""
    a.pending = _PENDING[i.trigger]
    a.pending_reason = i.reason
    return None


def _offer(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase:
    a.offer, a.offer_group, a.personal = i.connection, i.group, False
    return AgentPhase.OFFERED


def _answer(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase | None:
    if i.connection is not None and i.connection != a.offer:
        return None
    a.ring_outs, a.offer = 0, None  # offer_group stays: it chooses the wrap-up
    return AgentPhase.ON_CALL


def _personal(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase:
    a.personal = True
    return AgentPhase.ON_CALL


def _resolve_pending(t: AgentTable, a: _Agent, i: _Input, default: AgentPhase) -> AgentPhase:
    pending, a.pending = a.pending, None
    if pending is PendingAgentState.NULL:
        return AgentPhase.LOGGED_OUT
    if pending is PendingAgentState.NOT_READY:
        a.reason = a.pending_reason
        return AgentPhase.NOT_READY
    if pending is PendingAgentState.WORKING_AFTER_CALL:
        a.manual_work = True
        return AgentPhase.AFTER_CALL
    return default


def _rang_out(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase | None:
    if i.connection is not None and i.connection != a.offer:
        return None
    a.offer = None
    a.ring_outs += 1
    if t.rules.max_ring_outs and a.ring_outs >= t.rules.max_ring_outs and a.pending is None:
        a.pending, a.pending_reason = PendingAgentState.NOT_READY, RING_NO_ANSWER_REASON
    return _resolve_pending(t, a, i, AgentPhase.READY)


def _abandoned(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase | None:
    if i.connection is not None and i.connection != a.offer:
        return None
    a.offer = None
    return _resolve_pending(t, a, i, AgentPhase.READY)


def _call_ended(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase:
    personal, a.personal, a.offer = a.personal, False, None
    if personal:
        return _resolve_pending(t, a, i, AgentPhase.READY)
    if a.pending in (PendingAgentState.NULL, PendingAgentState.NOT_READY):
        return _resolve_pending(t, a, i, AgentPhase.READY)
    wrap_ms = t.wrap_up_ms(a)
    if a.pending is PendingAgentState.WORKING_AFTER_CALL or wrap_ms > 0:
        a.manual_work = a.pending is PendingAgentState.WORKING_AFTER_CALL
        a.pending = PendingAgentState.READY if a.pending is PendingAgentState.READY else None
        if not a.manual_work:
            t._wrap_up.set(a.config.agent_id, i.now + wrap_ms / 1000.0)
        return AgentPhase.AFTER_CALL
    return _resolve_pending(t, a, i, AgentPhase.READY)


def _wrap_up_over(t: AgentTable, a: _Agent, i: _Input) -> AgentPhase | None:
    if a.manual_work:
        return None
    return _resolve_pending(t, a, i, AgentPhase.READY)


_P, _T = AgentPhase, Trigger

#: The agent machine: (phase, trigger) -> step.  A request missing here is refused
#: (invalidAgentState); a fact missing here is ignored.
TABLE: dict[tuple[AgentPhase, Trigger], Step] = {
    (_P.LOGGED_OUT, _T.LOG_ON): _log_on,
    (_P.READY, _T.LOG_ON): _stay,
    (_P.READY, _T.LOG_OFF): _log_off,
    (_P.READY, _T.READY): _stay,
    (_P.READY, _T.NOT_READY): _not_ready,
    (_P.READY, _T.WORK): _work,
    (_P.READY, _T.OFFER): _offer,
    (_P.READY, _T.PERSONAL_CALL): _personal,
    (_P.OFFERED, _T.LOG_OFF): _defer,
    (_P.OFFERED, _T.READY): _defer,
    (_P.OFFERED, _T.NOT_READY): _defer,
    (_P.OFFERED, _T.WORK): _defer,
    (_P.OFFERED, _T.ANSWER): _answer,
    (_P.OFFERED, _T.RING_OUT): _rang_out,
    (_P.OFFERED, _T.ABANDONED): _abandoned,
    (_P.ON_CALL, _T.LOG_OFF): _defer,
    (_P.ON_CALL, _T.READY): _defer,
    (_P.ON_CALL, _T.NOT_READY): _defer,
    (_P.ON_CALL, _T.WORK): _defer,
    (_P.ON_CALL, _T.CALL_ENDED): _call_ended,
    (_P.AFTER_CALL, _T.LOG_OFF): _log_off,
    (_P.AFTER_CALL, _T.READY): _ready,
    (_P.AFTER_CALL, _T.NOT_READY): _not_ready,
    (_P.AFTER_CALL, _T.WORK): _stay,
    (_P.AFTER_CALL, _T.WRAP_UP_OVER): _wrap_up_over,
    (_P.NOT_READY, _T.LOG_ON): _stay,
    (_P.NOT_READY, _T.LOG_OFF): _log_off,
    (_P.NOT_READY, _T.READY): _ready,
    (_P.NOT_READY, _T.NOT_READY): _not_ready,
    (_P.NOT_READY, _T.WORK): _work,
}

