"""The agent services of the switch core, and the facts the agent machine learns from the
call model's events.

:class:`AgentServices` is the part of :class:`~pycti.switch.core.SwitchCore` that serves
ECMA-269 SetAgentState and GetAgentState.

The switch core passes every CSTA event it emits through :func:`observe`, which tells the
:class:`~pycti.switch.agents.AgentTable` what happened at the stations where agents are
logged on:

* Delivered at an agent's station from a queue device (lastRedirectionDevice is a queue):
  an ACD call offered (the queue is the ACD group); any other Delivered, or a
  ServiceInitiated there: a personal call;
* Established of the offered connection: answered;
* Diverted of the offered connection (the ACD took it back, or it was forwarded), or its
  ConnectionCleared while the caller is still there (ring-no-answer): rung out;
* ConnectionCleared of another party of a call offered to an agent, before the agent's own
  connection: the caller hung up during the offer (abandoned); ConnectionCleared of the
  offered connection with cause distributed: another station of a ring-all answered (the offer
  is withdrawn, not rung out);
* ConnectionCleared at the station, or a Transferred the station made, after which the
  station has no connection left: its call ended.
"""

from __future__ import annotations

from pycti.errors import ErrorValue
from pycti.switch.agent_states import PendingAgentState, RequestedAgentState
from pycti.switch.agents import AgentConfig, AgentStateEntry, AgentTable, Trigger
from pycti.errors import CstaError
from pycti.switch.core_model import CallModel, Connection, Destination, DeviceKind
from pycti.switch.dialplan import Feature
from pycti.switch.states import Input
from pycti.switch.events import (
    ConnectionCleared,
    EventCause,
    CstaEvent,
    Delivered,
    Diverted,
    Established,
    ServiceInitiated,
    Transferred,
)

__all__ = ["AgentServices", "observe"]


def observe(table: AgentTable, m: CallModel, ev: CstaEvent) -> None:
    """Feed ``ev`` to ``table`` as agent facts (see the module docstring)."""
    if isinstance(ev, Delivered):
        station = ev.alerting_device
        if table.agent_at(station) is None:
            return
        source = ev.last_redirection_device
        src_dev = m.devices.get(source) if source is not None else None
        if src_dev is not None and src_dev.kind is DeviceKind.QUEUE:
            table.fact(station, Trigger.OFFER, ev.time, connection=ev.connection, group=source)
        else:
            table.fact(station, Trigger.PERSONAL_CALL, ev.time)
    elif isinstance(ev, ServiceInitiated):
        table.fact(ev.initiating_device, Trigger.PERSONAL_CALL, ev.time)
    elif isinstance(ev, Established):
        conn = ev.established_connection
        table.fact(conn.device_id, Trigger.ANSWER, ev.time, connection=conn)
    elif isinstance(ev, Diverted):
        if table.offered(ev.diverting_device) == ev.connection:
            table.fact(ev.diverting_device, Trigger.RING_OUT, ev.time, connection=ev.connection)
    elif isinstance(ev, ConnectionCleared):
        conn = ev.dropped_connection
        if table.agent_at(conn.device_id) is None:
            for station in table.offered_in_call(conn.call_id):
                table.fact(station, Trigger.ABANDONED, ev.time)
        elif table.offered(conn.device_id) == conn:
            # another station of a ring-all answered (cause distributed): not this agent's fault
            trigger = Trigger.ABANDONED if ev.cause is EventCause.DISTRIBUTED else Trigger.RING_OUT
            table.fact(conn.device_id, trigger, ev.time, connection=conn)
        else:
            _ended(table, m, conn.device_id, ev.time)
    elif isinstance(ev, Transferred):
        _ended(table, m, ev.transferring_device, ev.time)


def _ended(table: AgentTable, m: CallModel, station: str, now: float) -> None:
    dev = m.devices.get(station)
    if table.agent_at(station) is not None and (dev is None or not dev.conns):
        table.fact(station, Trigger.CALL_ENDED, now)


class AgentServices:
    """The agent services of :class:`~pycti.switch.core.SwitchCore` (which sets ``_m``,
    ``_agents`` and ``_observed``)."""

    _m: CallModel
    _agents: AgentTable
    _observed: int

    # -- agents (ECMA-269 clause 22.2) -----------------------------------------------------
    def add_agent(self, config: AgentConfig) -> None:
        """Make an ACD agent known to the switch (logged out until SetAgentState)."""
        self._agents.add(config)

    def set_agent_state(
        self, device: str, requested_agent_state: RequestedAgentState, now: float, *,
        agent_id: str | None = None, password: str | None = None, group: str | None = None,
        reason: str | None = None,
    ) -> PendingAgentState | None:
        """ECMA-269 SetAgentState at station ``device`` (log on with ``agent_id`` and
        ``password``, to ``group`` or to all the agent's groups; ready; not ready with a
        ``reason`` code; working after call; log off).  Events: the agent events of the
        change (see :mod:`pycti.switch.agents`).  Returns the pending agent state when the
        change waits for the agent's call to end."""
        m = self._m
        dev = m.device(device)
        m.require(dev.kind is DeviceKind.STATION, ErrorValue.REQUEST_INCOMPATIBLE_WITH_DEVICE,
                  f"{device} is not a station: agents log on at stations")
        if group is not None:
            grp = m.device(group, ErrorValue.INVALID_AGENT_GROUP)
            m.require(grp.kind is DeviceKind.QUEUE, ErrorValue.INVALID_AGENT_GROUP, f"{group} is not a queue")
        self._sync_agents()
        pending = self._agents.request(device, requested_agent_state, now, agent_id=agent_id,
                                       password=password, group=group, reason=reason)
        m.events.extend(self._agents.take_events())
        self._observed = len(m.events)
        m.finish(now)
        return pending

    def get_agent_state(self, device: str) -> AgentStateEntry:
        """ECMA-269 GetAgentState: the agent logged on at ``device``, its state and groups."""
        self._m.device(device)
        self._sync_agents()
        return self._agents.get(device)

    def agent_at(self, station: str) -> str | None:
        """The agent logged on at ``station``, if any."""
        self._sync_agents()
        return self._agents.agent_at(station)

    def _sync_agents(self) -> None:
        """Tell the agent machine the call events it has not seen yet; its own events go
        right after the event that caused them."""
        m = self._m
        if self._observed == len(m.events):
            return
        seen, fresh = m.events[: self._observed], m.events[self._observed :]
        for ev in fresh:
            seen.append(ev)
            observe(self._agents, m, ev)
            seen.extend(self._agents.take_events())
        m.events = seen
        self._observed = len(seen)

    def dialled_feature(self, conn: Connection, feature: Feature, now: float) -> None:
        """A station dialled a feature code (:class:`~pycti.switch.dialplan.Feature`): the
        agent service runs at that station.  Accepted: the connection is cleared (the agent
        events tell the rest); refused: the call fails (Failed, the caller hears reorder)."""
        m = self._m
        station = conn.device.id
        try:
            if feature.name == "agentLogon":
                agent_id, password = self._agents.split_logon(feature.argument)
                self.set_agent_state(station, RequestedAgentState.LOGGED_ON, now, agent_id=agent_id,
                                     password=password)
            else:
                self.set_agent_state(station, _FEATURE_REQUESTS[feature.name], now,
                                     reason=(feature.argument or None) if feature.name == "agentNotReady" else None)
        except CstaError:
            fail = Destination(None, fail_cause=EventCause.DEST_NOT_OBTAINABLE, number=conn.call.called)
            m.originate(conn.call, conn, fail, now, EventCause.NEW_CALL)
            m.finish(now)
            return
        m.remove(conn, Input.CLEAR_CONNECTION, now, EventCause.NORMAL_CLEARING)
        m.finish(now)


_FEATURE_REQUESTS = {
    "agentLogoff": RequestedAgentState.LOGGED_OFF,
    "agentReady": RequestedAgentState.READY,
    "agentNotReady": RequestedAgentState.NOT_READY,
    "agentWorkingAfterCall": RequestedAgentState.WORKING_AFTER_CALL,
}
