"""The ECMA-285 agent state enumerations (device-feature-types and set-agent-state modules),
shared by the agent machine (:mod:`pycti.switch.agents`) and the agent events."""

from __future__ import annotations

import enum

__all__ = ["AgentState", "PendingAgentState", "RequestedAgentState"]


class AgentState(enum.Enum):
    """ECMA-285 AgentState."""

    NOT_READY = "agentNotReady"
    NULL = "agentNull"
    READY = "agentReady"
    BUSY = "agentBusy"
    WORKING_AFTER_CALL = "agentWorkingAfterCall"


class RequestedAgentState(enum.Enum):
    """ECMA-285 ReqAgentState: what SetAgentState asks for."""

    LOGGED_ON = "loggedOn"
    LOGGED_OFF = "loggedOff"
    NOT_READY = "notReady"
    READY = "ready"
    WORKING_AFTER_CALL = "workingAfterCall"


class PendingAgentState(enum.Enum):
    """ECMA-285 PendingAgentState: the state an agent takes when its call ends."""

    NOT_READY = "agentNotReady"
    NULL = "agentNull"
    READY = "agentReady"
    WORKING_AFTER_CALL = "agentWorkingAfterCall"
