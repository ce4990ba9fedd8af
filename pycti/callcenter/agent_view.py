"""What the ACD knows of each agent: its profile (skills, answering mode, weight, wrap-up) and
its view (station, queues, readiness, offer, counts and times), kept from the agent events
(ECMA-269 AgentLoggedOn ... AgentWorkingAfterCall) and the calls at its station."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..switch import events as ev
from ..switch.agent_states import AgentState, PendingAgentState
from ..switch.agents import AgentConfig
from ..switch.ids import ConnectionID

__all__ = ["AgentProfile", "AgentView"]

#: the ECMA-285 agent state each agent event reports (AgentLoggedOn: not ready until told)
_STATE_OF: dict[type[ev.AgentEvent], AgentState] = {
    ev.AgentLoggedOn: AgentState.NOT_READY, ev.AgentLoggedOff: AgentState.NULL, ev.AgentReady: AgentState.READY,
    ev.AgentNotReady: AgentState.NOT_READY, ev.AgentBusy: AgentState.BUSY,
    ev.AgentWorkingAfterCall: AgentState.WORKING_AFTER_CALL,
}
#: pending states after which an agent no longer serves (the call ends into a break or a logoff)
_LEAVING = (PendingAgentState.NOT_READY, PendingAgentState.NULL)


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentProfile:
    """An agent as the ACD sees it: skills per queue (level 1-10), answering mode, weight."""

    agent_id: str
    skills: Mapping[str, int]
    password: str | None = None
    auto_answer: bool = False  #: the ACD answers offered calls at once (headset agents)
    weight: float = 1.0  #: for WEIGHTED_RANDOM
    wrap_up_ms: int | None = None  #: the agent's own wrap-up (None: the queue's or default)

    def __post_init__(self) -> None:
        for queue, level in self.skills.items():
            if not isinstance(level, int) or not 1 <= level <= 10:
                raise ValueError(f"agent {self.agent_id}: skill level for {queue} must be 1-10, got {level!r}")

    def switch_agent(self) -> AgentConfig:
        """The switch's record of this agent (for ``SwitchConfig.agents``)."""
        return AgentConfig(agent_id=self.agent_id, password=self.password, groups=tuple(self.skills),
                           wrap_up_ms=self.wrap_up_ms)


@dataclass(slots=True)
class AgentView:
    """What the ACD knows of an agent, from the agent events and its station's calls.

    Setting ``ready`` or ``offer`` tells the ACD's routing index at once (``on_change``)."""

    profile: AgentProfile
    order: int
    station: str | None = None
    groups: frozenset[str] = frozenset()
    _ready: bool = False
    idle_since_s: float = 0.0
    answered: int = 0
    talk_s: float = 0.0
    ended: int = 0  #: ACD calls that have ended (``talk_s`` is their total)
    wrap_s: float = 0.0  #: the wrap-up (after-call work) that followed them, in total
    state: AgentState = AgentState.NULL  #: as the last agent event said
    pending: PendingAgentState | None = None  #: the last AgentBusy / AgentWorkingAfterCall's
    wrap_from_s: float | None = None  #: when the wrap-up under way began
    _offer: ConnectionID | None = None
    answered_at_s: float | None = None
    on_change: Callable[[AgentView], None] | None = field(default=None, repr=False, compare=False)

    @property
    def ready(self) -> bool:
        """Whether the switch last said the agent is ready (and no offer is out to it)."""
        return self._ready

    @ready.setter
    def ready(self, value: bool) -> None:
        self._ready = value
        if self.on_change is not None:
            self.on_change(self)

    @property
    def serving(self) -> bool:
        """Whether the agent serves its queues: logged on, and ready, ringing, on a call or in
        wrap-up, with no break or logoff pending (the ``n`` of the estimated wait)."""
        return (self.station is not None and self.state not in (AgentState.NOT_READY, AgentState.NULL)
                and self.pending not in _LEAVING)

    def note_state(self, e: ev.AgentEvent) -> None:
        """Follow agent event ``e``: the state it reports, the pending state (AgentBusy and
        AgentWorkingAfterCall carry one), and the wrap-up time when an after-call work ends."""
        self.state = _STATE_OF.get(type(e), self.state)
        self.pending = getattr(e, "pending_agent_state", None)
        if isinstance(e, ev.AgentWorkingAfterCall):
            self.wrap_from_s = e.time if self.wrap_from_s is None else self.wrap_from_s
        elif self.wrap_from_s is not None:  # the wrap-up is over
            self.wrap_s, self.wrap_from_s = self.wrap_s + e.time - self.wrap_from_s, None

    @property
    def offer(self) -> ConnectionID | None:
        """The call alerting at the station for this agent."""
        return self._offer

    @offer.setter
    def offer(self, value: ConnectionID | None) -> None:
        self._offer = value
        if self.on_change is not None:
            self.on_change(self)
