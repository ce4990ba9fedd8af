"""CSTA events of the pycti call model (ECMA-269 clause 15-17 and 20; names and parameters as
in the ECMA-285 ASN.1 modules, in snake_case).

Every event is a frozen, slotted, keyword-only dataclass carrying ``time`` (seconds: the
``now`` of the input that produced it), ``cause`` (:class:`EventCause`),
``involved_devices`` -- the devices whose monitors report the event, chosen by the delivery
rules documented at the top of :mod:`pycti.switch.core_model` -- and
``monitor_cross_ref_id``: ``None`` as the core emits an event; a provider delivering it on
a device monitor hands out ``event.on_monitor(xref)``, a copy with that field set
(ECMA-269 events carry the monitorCrossRefID of the monitor they are reported on).  A
provider routes an event to a device monitor when the device is in
:meth:`CstaEvent.devices`.

Call-control events (clause 17) concern a call; the device maintenance events
:class:`OutOfService` and :class:`BackInService` (clause 20) concern one device and carry no
call.

Device fields (``calling_device``, ``called_device`` ...) hold the device identifier or, for a
party outside the switch, the number as given (a trunk call's ``calling_device`` is the
caller's number; the trunk device is the connection's ``device_id``).  ``None`` stands for
ECMA's ``notKnown``/``notRequired``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any, Self

from pycti.switch.agent_states import PendingAgentState
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState

__all__ = [
    "AgentBusy",
    "AgentEvent",
    "AgentLoggedOff",
    "AgentLoggedOn",
    "AgentNotReady",
    "AgentReady",
    "AgentWorkingAfterCall",
    "BackInService",
    "CallCleared",
    "Conferenced",
    "ConnectionCleared",
    "ConnectionListEntry",
    "CstaEvent",
    "Delivered",
    "DigitsDetected",
    "Diverted",
    "Established",
    "EventCause",
    "Failed",
    "Held",
    "Originated",
    "OutOfService",
    "Queued",
    "Retrieved",
    "ServiceInitiated",
    "ToneDetected",
    "Transferred",
]


class EventCause(Enum):
    """ECMA-269 EventCause; values are the ECMA-285 spellings (comment: ASN.1 code)."""

    ACD_BUSY = "aCDBusy"  # 57
    ACD_FORWARD = "aCDForward"  # 58
    ACD_SATURATED = "aCDSaturated"  # 59
    ACTIVATION = "activation"  # 88
    ACTIVE_PARTICIPATION = "activeParticipation"  # 1
    ALERT_TIME_EXPIRED = "alertTimeExpired"  # 60
    ALTERNATE = "alternate"  # 2
    AUTO_WORK = "autoWork"  # 61
    BABBLE = "babble"  # 89
    BAD_ATTRIBUTE = "badAttribute"  # 90
    BAD_GRAMMAR = "badGrammar"  # 91
    BAD_VOICE = "badVoice"  # 92
    BAD_URI = "badUri"  # 93
    BLOCKED = "blocked"  # 35
    BUSY = "busy"  # 3
    BUSY_OVERFLOW = "busyOverflow"  # 94
    CALENDAR_OVERFLOW = "calendarOverflow"  # 95
    CALL_BACK = "callBack"  # 4
    CALL_CANCELLED = "callCancelled"  # 5
    CALL_FORWARD = "callForward"  # 9
    CALL_FORWARD_IMMEDIATE = "callForwardImmediate"  # 6
    CALL_FORWARD_BUSY = "callForwardBusy"  # 7
    CALL_FORWARD_NO_ANSWER = "callForwardNoAnswer"  # 8
    CALL_INTERCEPTION = "callInterception"  # 116
    CALL_INTERCEPTION_BUSY = "callInterceptionBusy"  # 117
    CALL_INTERCEPTION_FORWARDED = "callInterceptionForwarded"  # 118
    CALL_INTERCEPTION_NO_ANSWER = "callInterceptionNoAnswer"  # 119
    CALL_INTERCEPTION_RESOURCES_NOT_AVAILABLE = "callInterceptionResourcesNotAvailable"  # 120
    CALL_NOT_ANSWERED = "callNotAnswered"  # 10
    CALL_PICKUP = "callPickup"  # 11
    CAMP_ON = "campOn"  # 12
    CAMP_ON_TRUNKS = "campOnTrunks"  # 62
    CAPACITY_OVERFLOW = "capacityOverflow"  # 96
    CHARACTER_COUNT_REACHED = "characterCountReached"  # 36
    CONFERENCE = "conference"  # 63
    CONSULTATION = "consultation"  # 37
    DEST_DETECTED = "destDetected"  # 64
    DEST_NOT_OBTAINABLE = "destNotObtainable"  # 13
    DEST_OUT_OF_ORDER = "destOutOfOrder"  # 65
    DISTRIBUTED = "distributed"  # 38
    DISTRIBUTION_DELAY = "distributionDelay"  # 66
    DO_NOT_DISTURB = "doNotDisturb"  # 14
    DTMF_DIGIT_DETECTED = "dTMFDigitDetected"  # 39
    DUPLICATE_DTMF = "duplicateDTMF"  # 97
    DURATION_EXCEEDED = "durationExceeded"  # 40
    EARLY_STOP = "earlyStop"  # 98
    EMPTY_QUEUE = "emptyQueue"  # 99
    END_OF_MESSAGE_DETECTED = "endOfMessageDetected"  # 41
    ENTERING_DISTRIBUTION = "enteringDistribution"  # 42
    FORCED_PAUSE = "forcedPause"  # 43
    FORCED_TRANSITION = "forcedTransition"  # 67
    INCOMPATIBLE_DESTINATION = "incompatibleDestination"  # 15
    INTER_DIGIT_TIMEOUT = "interDigitTimeout"  # 100
    INTRUDE = "intrude"  # 68
    INVALID_ACCOUNT_CODE = "invalidAccountCode"  # 16
    INVALID_CONNECTION = "invalidConnection"  # 101
    INVALID_CONNECTION_STATE = "invalidConnectionState"  # 102
    INVALID_NUMBER_FORMAT = "invalidNumberFormat"  # 69
    JOIN_CALL = "joinCall"  # 70
    KEY_OPERATION = "keyOperation"  # 17
    KEY_OPERATION_IN_USE = "keyOperationInUse"  # 71
    LAWFUL_INTERCEPTION = "lawfulInterception"  # 121
    LOCKOUT = "lockout"  # 18
    MAINTENANCE = "maintenance"  # 19
    MAKE_CALL = "makeCall"  # 44
    MAKE_CONNECTION = "makeConnection"  # 103
    MAKE_PREDICTIVE_CALL = "makePredictiveCall"  # 72
    MAX_TIMEOUT = "maxTimeout"  # 104
    MESSAGE_DURATION_EXCEEDED = "messageDurationExceeded"  # 73
    MESSAGE_SIZE_EXCEEDED = "messageSizeExceeded"  # 45
    MULTIPLE_ALERTING = "multipleAlerting"  # 74
    MULTIPLE_QUEUING = "multipleQueuing"  # 75
    NETWORK_CONGESTION = "networkCongestion"  # 20
    NETWORK_DIALLING = "networkDialling"  # 76
    NETWORK_NOT_OBTAINABLE = "networkNotObtainable"  # 21
    NETWORK_OUT_OF_ORDER = "networkOutOfOrder"  # 77
    NETWORK_SIGNAL = "networkSignal"  # 46
    NEW_CALL = "newCall"  # 22
    NEXT_MESSAGE = "nextMessage"  # 47
    NO_AUDIO_SAVED = "noAudioSaved"  # 105
    NO_AVAILABLE_AGENTS = "noAvailableAgents"  # 23
    NO_QUEUE = "noQueue"  # 106
    NORMAL = "normal"  # 78
    NORMAL_CLEARING = "normalClearing"  # 48
    NO_RULE = "noRule"  # 107
    NO_SPEECH_DETECTED = "noSpeechDetected"  # 49
    NOT_AVALIABLE_BEARER_SERVICE = "notAvaliableBearerService"  # 79
    NOT_SUPPORTED_BEARER_SERVICE = "notSupportedBearerService"  # 80
    NUMBER_CHANGED = "numberChanged"  # 50
    NUMBER_UNALLOCATED = "numberUnallocated"  # 81
    OUT_OF_GRAMMAR = "outOfGrammar"  # 108
    OVERFLOW = "overflow"  # 26
    OVERRIDE = "override"  # 24
    PARK = "park"  # 25
    PATH_REPLACEMENT = "pathReplacement"  # 109
    QUEUE_CLEARED = "queueCleared"  # 82
    QUEUE_TIME_OVERFLOW = "queueTimeOverflow"  # 110
    RECALL = "recall"  # 27
    RECALL_BUSY = "recallBusy"  # 111
    RECALL_FORWARDED = "recallForwarded"  # 112
    RECALL_NO_ANSWER = "recallNoAnswer"  # 113
    RECALL_RESOURCES_NOT_AVAILABLE = "recallResourcesNotAvailable"  # 114
    REDIRECTED = "redirected"  # 28
    REMAINS_IN_QUEUE = "remainsInQueue"  # 83
    REORDER_TONE = "reorderTone"  # 29
    RESERVED = "reserved"  # 84
    RESOURCES_NOT_AVAILABLE = "resourcesNotAvailable"  # 30
    SELECTED_TRUNK_BUSY = "selectedTrunkBusy"  # 85
    SILENT_PARTICIPATION = "silentParticipation"  # 31
    SINGLE_STEP_CONFERENCE = "singleStepConference"  # 51
    SINGLE_STEP_TRANSFER = "singleStepTransfer"  # 52
    SPEECH_DETECTED = "speechDetected"  # 53
    SUSPEND = "suspend"  # 86
    SWITCHING_FUNCTION_TERMINATED = "switchingFunctionTerminated"  # 54
    TERMINATION_CHARACTER_RECEIVED = "terminationCharacterReceived"  # 55
    TIMEOUT = "timeout"  # 56
    TRANSFER = "transfer"  # 32
    TRUNKS_BUSY = "trunksBusy"  # 33
    UNAUTHORISED_BEARER_SERVICE = "unauthorisedBearerService"  # 87
    UNKNOWN_OVERFLOW = "unknownOverflow"  # 115
    VOICE_UNIT_INITIATOR = "voiceUnitInitiator"  # 34
    VOICE_UNIT_ORIGINATOR = "voiceUnitOriginator"  # 34


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionListEntry:
    """One row of an ECMA-269 ConnectionList (Transferred, Conferenced).

    ``new_connection`` is the connection after the service, ``old_connection`` the one before
    (``None`` when the connection did not exist before/after), ``endpoint`` the device.
    """

    new_connection: ConnectionID | None
    old_connection: ConnectionID | None
    endpoint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CstaEvent:
    """Base of all events (call control and device maintenance).

    ``time`` is in seconds (the ``now`` passed with the input); ``involved_devices`` are the
    devices the event concerns (see the module docstring); ``monitor_cross_ref_id`` is the
    monitor the event is delivered on (``None`` until a provider delivers it).
    """

    time: float
    cause: EventCause
    involved_devices: frozenset[str]
    #: The call's calling and called device (id or external number) when the event happened;
    #: ``None`` where not known.  Every event carries them, so a monitor need not track calls.
    calling_device: str | None = None
    called_device: str | None = None
    #: ECMA-269 monitorCrossRefID of the monitor this copy is delivered on; ``None`` when not
    #: (yet) delivered.  Set per monitor with :meth:`on_monitor`.
    monitor_cross_ref_id: str | None = None

    def devices(self) -> frozenset[str]:
        """All devices this event concerns: route it to monitors of any of them."""
        return self.involved_devices

    def on_monitor(self, cross_ref_id: str) -> Self:
        """This event as delivered on monitor ``cross_ref_id``: a copy with only
        ``monitor_cross_ref_id`` changed (what ``dataclasses.replace`` gives, in a third of its
        time: the fields were checked when the event was made; a provider copies every event
        once per monitor it goes to)."""
        cls = type(self)
        names = _FIELD_NAMES.get(cls)
        if names is None:
            names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
        new = object.__new__(cls)
        for name in names:
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "monitor_cross_ref_id", cross_ref_id)
        return new


#: event class -> its field names (for :meth:`CstaEvent.on_monitor`)
_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Originated(CstaEvent):
    """A call has been originated from ``calling_device`` towards ``called_device``."""

    originated_connection: ConnectionID
    calling_device: str
    called_device: str
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivered(CstaEvent):
    """The call is alerting at ``alerting_device`` (``connection`` is alerting)."""

    connection: ConnectionID
    alerting_device: str
    calling_device: str
    called_device: str
    last_redirection_device: str | None = None
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Established(CstaEvent):
    """``answering_device`` has answered: ``established_connection`` is connected."""

    established_connection: ConnectionID
    answering_device: str
    calling_device: str
    called_device: str
    last_redirection_device: str | None = None
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Held(CstaEvent):
    """``holding_device`` has put ``held_connection`` on hold."""

    held_connection: ConnectionID
    holding_device: str
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrieved(CstaEvent):
    """``retrieving_device`` has taken ``retrieved_connection`` off hold."""

    retrieved_connection: ConnectionID
    retrieving_device: str
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionCleared(CstaEvent):
    """``dropped_connection`` has gone to the null state (``releasing_device`` left the call)."""

    dropped_connection: ConnectionID
    releasing_device: str
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallCleared(CstaEvent):
    """The call ``cleared_call`` has ended: every connection of it is null.

    Always follows the ConnectionCleared events of the call's last connections.
    """

    cleared_call: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Transferred(CstaEvent):
    """``transferring_device`` left; its parties are joined in one call.

    ``primary_old_call`` is the transferring device's held connection (TransferCall) or its
    only connection (SingleStepTransfer); ``secondary_old_call`` its active connection of
    the consultation call (``None`` for a single-step transfer).  ``transferred_connections``
    maps every connection of the resulting call to its old connection.
    """

    primary_old_call: ConnectionID
    secondary_old_call: ConnectionID | None
    transferring_device: str
    transferred_to_device: str
    transferred_connections: tuple[ConnectionListEntry, ...]
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Conferenced(CstaEvent):
    """``conferencing_device`` joined its held and active calls into one conference call
    (ConferenceCall), or joined the call of ``primary_old_call`` itself (SingleStepConference,
    ``secondary_old_call`` None; ``participation`` says how it takes part)."""

    primary_old_call: ConnectionID
    secondary_old_call: ConnectionID | None  #: None for a single-step conference
    conferencing_device: str
    added_party: str
    conference_connections: tuple[ConnectionListEntry, ...]
    local_connection_info: ConnectionState | None = None
    participation: str = "active"  #: ECMA ParticipationType (active, silent) or pycti's whisper


@dataclass(frozen=True, slots=True, kw_only=True)
class Diverted(CstaEvent):
    """The call left ``diverting_device`` (``connection``) for ``new_destination``."""

    connection: ConnectionID
    diverting_device: str
    new_destination: str
    calling_device: str
    called_device: str
    last_redirection_device: str | None = None
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Queued(CstaEvent):
    """The call waits at ACD device ``queue``; ``number_queued`` counts the calls there now
    (this one included), ``calls_in_front`` those ahead of it."""

    queued_connection: ConnectionID
    queue: str
    calling_device: str
    called_device: str
    last_redirection_device: str | None = None
    number_queued: int = 0
    calls_in_front: int = 0
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed(CstaEvent):
    """The call could not reach ``failing_device``; ``failed_connection`` (the calling side)
    is in the fail state (the caller hears busy/reorder tone)."""

    failed_connection: ConnectionID
    failing_device: str
    calling_device: str
    called_device: str
    last_redirection_device: str | None = None
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceInitiated(CstaEvent):
    """``initiating_device`` went off-hook (or MakeCall started): ``initiated_connection``."""

    initiated_connection: ConnectionID
    initiating_device: str
    local_connection_info: ConnectionState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitsDetected(CstaEvent):
    """DTMF ``digits`` were received on ``connection`` (ECMA-269 DTMF Detected, reported for a
    whole digit string: one event per driver report)."""

    connection: ConnectionID
    device: str
    digits: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToneDetected(CstaEvent):
    """pycti extension: a tone was recognised in the audio ``device`` received on
    ``connection`` -- ``tone`` is ``CNG`` (a calling fax machine), ``CED``, ``CED_PR``,
    ``ANSAM`` or ``ANSAM_PR`` (a fax or modem answering); see :mod:`pycti.dsp.fax_tones`."""

    connection: ConnectionID
    device: str
    tone: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OutOfService(CstaEvent):
    """``device`` has gone out of service (ECMA-269 OutOfService, a device maintenance event):
    taken out for maintenance (cause maintenance) or its port failed (cause
    resourcesNotAvailable).  It takes no calls until :class:`BackInService`."""

    device: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BackInService(CstaEvent):
    """``device`` is in service again (ECMA-269 BackInService): it makes and takes calls."""

    device: str


# -- agent events (ECMA-269 clause 21.1: logical device feature events) -------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class AgentEvent(CstaEvent):
    """Base of the agent state events: the agent ``agent_id`` at station ``agent_device``
    (ECMA agentDevice), reported on monitors of the station and of the agent's ACD groups;
    ``acd_group`` is the group the change concerns (the first of the agent's groups when it
    concerns all).  ``previous_reason`` is the not-ready reason the agent leaves, if it was not
    ready (pycti extension: reason codes travel as privateData in ECMA-323)."""

    agent_device: str
    agent_id: str | None = None
    acd_group: str | None = None
    previous_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedOn(AgentEvent):
    """The agent logged on at ``agent_device`` (SetAgentState loggedOn)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedOff(AgentEvent):
    """The agent logged off."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReady(AgentEvent):
    """The agent is ready for ACD calls."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentNotReady(AgentEvent):
    """The agent is not ready; ``reason`` is its reason code (None: none given)."""

    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentBusy(AgentEvent):
    """The agent is busy: an ACD call is offered to it or it is on a call;
    ``pending_agent_state`` is the state it takes when the call ends (ECMA enumeration value)."""

    pending_agent_state: PendingAgentState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentWorkingAfterCall(AgentEvent):
    """The agent is in after-call work (wrap-up); ``pending_agent_state`` as for
    :class:`AgentBusy`."""

    pending_agent_state: PendingAgentState | None = None
