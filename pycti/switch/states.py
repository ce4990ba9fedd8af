"""Connection states and THE transition table of the pycti call model.

Every change of a connection's state in :class:`pycti.switch.core.SwitchCore` goes through
:func:`transition`, which looks the pair ``(state, input)`` up in :data:`TRANSITIONS` and
raises :class:`pycti.errors.CstaError` when the pair is absent.  Nothing else in the switch
decides whether a state change is legal.

States are ECMA-269 ``LocalConnectionState`` (ECMA-285 ``connection-states.asn1``).  The
``null`` state is "no relationship between the call and the device": pycti does not store
null connections, so ``null`` only ever appears as the source of a creating input
(:attr:`Input.INITIATE`, :attr:`Input.DELIVER`, :attr:`Input.QUEUE`, :attr:`Input.JOIN`) and
as the target of a clearing one.

Inputs name the *role* a connection plays in a service or physical event: a transfer moves
the transferring device's held connection with :attr:`Input.TRANSFER_HELD` and its active one
with :attr:`Input.TRANSFER_ACTIVE`.  The role picks the ECMA-269 error value reported when the
state does not fit (``invalidHeldConnectionState``, ``invalidActiveConnectionState`` or
``invalidConnectionState``, all in the ``stateIncompatibility`` category).
"""

from __future__ import annotations

from enum import Enum, IntEnum

from pycti.errors import CstaError, ErrorCategory, ErrorValue

__all__ = [
    "STATE_ERROR_CATEGORY",
    "TRANSITIONS",
    "ConnectionState",
    "Input",
    "allowed_states",
    "transition",
]

#: ``CstaError.category`` of the ECMA-269 ``StateIncompatibilityErrors``.
STATE_ERROR_CATEGORY = ErrorCategory.STATE_INCOMPATIBILITY


class ConnectionState(IntEnum):
    """ECMA-269 LocalConnectionState; values are the ASN.1 enumeration values."""

    NULL = 0
    INITIATED = 1
    ALERTING = 2
    CONNECTED = 3
    HOLD = 4
    QUEUED = 5
    FAIL = 6

    @property
    def asn1_name(self) -> str:
        """The state's name as spelt in ECMA-285 (``null``, ``initiated`` ...)."""
        return self.name.lower()


class Input(Enum):
    """What can happen to one connection: a service role or a physical/internal input.

    :attr:`error_value` is the ECMA-269 error value reported when the input is refused.
    """

    # -- creation (source state null) -----------------------------------------------------
    INITIATE = "initiate"  # device goes off-hook / MakeCall starts
    DELIVER = "deliver"  # call offered to a device: alerting
    QUEUE = "queue"  # call enters an ACD queue device
    JOIN = "join"  # connection created connected (trunk, pickup)
    # -- call progress ------------------------------------------------------------------------
    ORIGINATE = "originate"  # dialling complete, call proceeds
    DESTINATION_FAILED = "destination_failed"  # busy / unobtainable called party
    # -- services ------------------------------------------------------------------------------
    ANSWER_CALL = "answer_call"
    CLEAR_CONNECTION = "clear_connection"
    CLEAR_CALL = "clear_call"
    HOLD_CALL = "hold_call"
    RETRIEVE_CALL = "retrieve_call"
    ALTERNATE_HELD = "alternate_held"
    ALTERNATE_ACTIVE = "alternate_active"
    RECONNECT_ACTIVE = "reconnect_active"
    RECONNECT_HELD = "reconnect_held"
    CONSULTATION_EXISTING = "consultation_existing"
    TRANSFER_HELD = "transfer_held"
    TRANSFER_ACTIVE = "transfer_active"
    CONFERENCE_HELD = "conference_held"
    CONFERENCE_ACTIVE = "conference_active"
    SINGLE_STEP_TRANSFER = "single_step_transfer"
    DEFLECT_CALL = "deflect_call"
    PICKED_UP = "picked_up"  # the connection a pickup takes the call from
    GENERATE_DIGITS = "generate_digits"
    # -- physical inputs from drivers -------------------------------------------------------
    OFFHOOK_ANSWER = "offhook_answer"
    DIAL = "dial"  # digits collected on an initiated connection
    DIGITS_DETECTED = "digits_detected"
    ONHOOK = "onhook"
    FAR_END_ANSWER = "far_end_answer"
    FAR_END_RELEASE = "far_end_release"
    PORT_FAILURE = "port_failure"

    @property
    def error_value(self) -> ErrorValue:
        """ECMA-269 error value for this input refused in the current state."""
        if self in _HELD_ROLES:
            return ErrorValue.INVALID_HELD_CONNECTION_STATE
        if self in _ACTIVE_ROLES:
            return ErrorValue.INVALID_ACTIVE_CONNECTION_STATE
        return ErrorValue.INVALID_CONNECTION_STATE


_HELD_ROLES = frozenset(
    {Input.ALTERNATE_HELD, Input.RECONNECT_HELD, Input.TRANSFER_HELD, Input.CONFERENCE_HELD}
)
_ACTIVE_ROLES = frozenset(
    {Input.ALTERNATE_ACTIVE, Input.RECONNECT_ACTIVE, Input.TRANSFER_ACTIVE, Input.CONFERENCE_ACTIVE}
)

_S = ConnectionState
_LIVE = (_S.INITIATED, _S.ALERTING, _S.CONNECTED, _S.HOLD, _S.QUEUED, _S.FAIL)


def _rows() -> dict[tuple[ConnectionState, Input], ConnectionState]:
    table: dict[tuple[ConnectionState, Input], ConnectionState] = {}

    def add(sources: tuple[ConnectionState, ...], inp: Input, target: ConnectionState) -> None:
        for s in sources:
            table[(s, inp)] = target

    add((_S.NULL,), Input.INITIATE, _S.INITIATED)
    add((_S.NULL,), Input.DELIVER, _S.ALERTING)
    add((_S.NULL,), Input.QUEUE, _S.QUEUED)
    add((_S.NULL,), Input.JOIN, _S.CONNECTED)
    add((_S.INITIATED,), Input.ORIGINATE, _S.CONNECTED)
    add((_S.INITIATED, _S.CONNECTED), Input.DESTINATION_FAILED, _S.FAIL)

    add((_S.ALERTING,), Input.ANSWER_CALL, _S.CONNECTED)
    add(_LIVE, Input.CLEAR_CONNECTION, _S.NULL)
    add(_LIVE, Input.CLEAR_CALL, _S.NULL)
    add((_S.CONNECTED,), Input.HOLD_CALL, _S.HOLD)
    add((_S.HOLD,), Input.RETRIEVE_CALL, _S.CONNECTED)
    add((_S.HOLD,), Input.ALTERNATE_HELD, _S.CONNECTED)
    add((_S.CONNECTED,), Input.ALTERNATE_ACTIVE, _S.HOLD)
    add((_S.INITIATED, _S.CONNECTED, _S.FAIL), Input.RECONNECT_ACTIVE, _S.NULL)
    add((_S.HOLD,), Input.RECONNECT_HELD, _S.CONNECTED)
    add((_S.CONNECTED,), Input.CONSULTATION_EXISTING, _S.HOLD)
    add((_S.HOLD,), Input.CONSULTATION_EXISTING, _S.HOLD)
    add((_S.HOLD,), Input.TRANSFER_HELD, _S.NULL)
    add((_S.CONNECTED,), Input.TRANSFER_ACTIVE, _S.NULL)
    add((_S.HOLD,), Input.CONFERENCE_HELD, _S.CONNECTED)
    add((_S.CONNECTED,), Input.CONFERENCE_ACTIVE, _S.NULL)
    add((_S.CONNECTED,), Input.SINGLE_STEP_TRANSFER, _S.NULL)
    add((_S.ALERTING, _S.QUEUED), Input.DEFLECT_CALL, _S.NULL)
    add((_S.ALERTING,), Input.PICKED_UP, _S.NULL)
    add((_S.CONNECTED,), Input.GENERATE_DIGITS, _S.CONNECTED)

    add((_S.ALERTING,), Input.OFFHOOK_ANSWER, _S.CONNECTED)
    add((_S.INITIATED,), Input.DIAL, _S.CONNECTED)
    add((_S.CONNECTED,), Input.DIGITS_DETECTED, _S.CONNECTED)
    # A ringing station is on-hook already: its alerting connection survives an on-hook report.
    add((_S.INITIATED, _S.CONNECTED, _S.HOLD, _S.QUEUED, _S.FAIL), Input.ONHOOK, _S.NULL)
    add((_S.ALERTING,), Input.FAR_END_ANSWER, _S.CONNECTED)
    add(_LIVE, Input.FAR_END_RELEASE, _S.NULL)
    add(_LIVE, Input.PORT_FAILURE, _S.NULL)
    return table


#: THE transition table: ``(state, input) -> next state``.  A missing pair is refused.
TRANSITIONS: dict[tuple[ConnectionState, Input], ConnectionState] = _rows()

_ALLOWED: dict[Input, frozenset[ConnectionState]] = {
    inp: frozenset(s for (s, i) in TRANSITIONS if i is inp) for inp in Input
}


def allowed_states(inp: Input) -> frozenset[ConnectionState]:
    """The states in which ``inp`` is accepted."""
    return _ALLOWED[inp]


def transition(state: ConnectionState, inp: Input, *, subject: object = None) -> ConnectionState:
    """Return the state that ``inp`` leads to from ``state``.

    Raises :class:`CstaError` with the input's ECMA-269 error value (category ``state``) when
    the table has no such pair; ``subject`` (usually the ConnectionID) is named in the detail.
    Pure: changes nothing.
    """
    try:
        return TRANSITIONS[(state, inp)]
    except KeyError:
        what = f"{subject} " if subject is not None else ""
        raise CstaError(
            inp.error_value,
            f"{what}is {state.asn1_name}; {inp.name.lower()} needs "
            + "/".join(sorted(s.asn1_name for s in _ALLOWED[inp])),
        ) from None
