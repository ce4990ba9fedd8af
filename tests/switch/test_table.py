"""THE transition table, exhaustively: every (state, service role) pair either moves the
connection to the table's target state or is refused with the role's ECMA-269 error value
and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pycti.errors import CstaError, ErrorCategory, ErrorValue
from pycti.switch.core import SwitchCore
from pycti.switch.ids import ConnectionID
from pycti.switch.states import TRANSITIONS, ConnectionState, Input, allowed_states, transition

S = ConnectionState

SingleService = Callable[[SwitchCore, ConnectionID, float], object]
PairService = Callable[[SwitchCore, ConnectionID, ConnectionID, float], object]

SINGLE: dict[Input, SingleService] = {
    Input.ANSWER_CALL: lambda c, x, t: c.answer_call(x, t),
    Input.CLEAR_CONNECTION: lambda c, x, t: c.clear_connection(x, t),
    Input.CLEAR_CALL: lambda c, x, t: c.clear_call(x.call_id, t),
    Input.HOLD_CALL: lambda c, x, t: c.hold_call(x, t),
    Input.RETRIEVE_CALL: lambda c, x, t: c.retrieve_call(x, t),
    Input.CONSULTATION_EXISTING: lambda c, x, t: c.consultation_call(x, "S2", t),
    Input.SINGLE_STEP_TRANSFER: lambda c, x, t: c.single_step_transfer_call(x, "S2", t),
    Input.DEFLECT_CALL: lambda c, x, t: c.deflect_call(x, "S2", t),
    Input.PICKED_UP: lambda c, x, t: c.directed_pickup_call(x, "S2", t),
    Input.GENERATE_DIGITS: lambda c, x, t: c.generate_digits(x, "12#", t),
}
#: service -> (call with arguments in ECMA order, first role, second role)
PAIRS: dict[str, tuple[PairService, Input, Input]] = {
    "alternate": (lambda c, a, b, t: c.alternate_call(a, b, t), Input.ALTERNATE_HELD, Input.ALTERNATE_ACTIVE),
    "reconnect": (lambda c, a, b, t: c.reconnect_call(a, b, t), Input.RECONNECT_ACTIVE, Input.RECONNECT_HELD),
    "transfer": (lambda c, a, b, t: c.transfer_call(a, b, t), Input.TRANSFER_HELD, Input.TRANSFER_ACTIVE),
    "conference": (
        lambda c, a, b, t: c.conference_call(a, b, t),
        Input.CONFERENCE_HELD,
        Input.CONFERENCE_ACTIVE,
    ),
}
HELD_ROLES = {Input.ALTERNATE_HELD, Input.RECONNECT_HELD, Input.TRANSFER_HELD, Input.CONFERENCE_HELD}
STATES = list(ConnectionState)


def place(rig, device: str, state: ConnectionState, caller: str = "R0") -> ConnectionID:
    """Give ``device`` a connection in ``state`` in a fresh call (NULL: a cleared one)."""
    core = rig.core
    if state is S.INITIATED:
        assert core.line_offhook(device, rig.tick())
        cid = next(c for c, s in core.snapshot_device(device) if s is S.INITIATED)
    elif state is S.FAIL:
        cid = core.make_call(device, "BUSY", rig.tick())
    elif state is S.QUEUED:
        _, cid = rig.call_from(caller, "Q")
    else:
        _, cid = rig.call_from(caller, device)
        if state in (S.CONNECTED, S.HOLD, S.NULL):
            core.answer_call(cid, rig.tick())
        if state is S.HOLD:
            core.hold_call(cid, rig.tick())
        if state is S.NULL:
            core.clear_connection(cid, rig.tick())
    assert rig.conn_state(cid) is state
    return cid


def check_outcome(
    rig,
    act: Callable[[], object],
    subject: ConnectionID,
    inp: Input,
    state: ConnectionState,
    missing_error: str,
) -> None:
    """Run ``act``; the subject must end in the table's state, or nothing may change."""
    rig.drain()
    before = rig.state()
    if (state, inp) in TRANSITIONS:
        act()
        assert rig.conn_state(subject) is TRANSITIONS[(state, inp)]
        events, commands = rig.drain()
        assert events or commands, "an accepted service has an observable effect"
        return
    with pytest.raises(CstaError) as info:
        act()
    expected = missing_error if state is S.NULL else inp.error_value
    assert info.value.error_value == expected
    if state is not S.NULL:
        assert info.value.category is ErrorCategory.STATE_INCOMPATIBILITY
    assert rig.state() == before
    assert rig.drain() == ([], [])


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.asn1_name)
@pytest.mark.parametrize("inp", list(SINGLE), ids=lambda i: i.value)
def test_every_state_single_connection_service(rig, state: ConnectionState, inp: Input) -> None:
    subject = place(rig, "Q" if state is S.QUEUED else "S1", state)
    missing = (
        ErrorValue.INVALID_CALL_ID
        if inp is Input.CLEAR_CALL
        else (ErrorValue.INVALID_ACTIVE_CONNECTION_ID if inp is Input.SINGLE_STEP_TRANSFER else ErrorValue.INVALID_CONNECTION_ID)
    )
    check_outcome(rig, lambda: SINGLE[inp](rig.core, subject, rig.tick()), subject, inp, state, missing)


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.asn1_name)
@pytest.mark.parametrize("role", [0, 1], ids=["first", "second"])
@pytest.mark.parametrize("service", list(PAIRS))
def test_every_state_two_connection_service(rig, service: str, role: int, state: ConnectionState) -> None:
    call, first, second = PAIRS[service]
    inp = (first, second)[role]
    partner_inp = (first, second)[1 - role]
    partner_state = S.HOLD if partner_inp in HELD_ROLES else S.CONNECTED
    if (state, inp) in TRANSITIONS:
        # A valid pair lives on one station; the held connection is placed first.
        if partner_state is S.HOLD:
            partner = place(rig, "S1", partner_state, caller="R0")
            subject = place(rig, "S1", state, caller="R2")
        else:
            subject = place(rig, "S1", state, caller="R0")
            partner = place(rig, "S1", partner_state, caller="R2")
    else:
        subject = place(rig, "Q" if state is S.QUEUED else "S1", state, caller="R0")
        partner = place(rig, "S2", partner_state, caller="R2")
    args = (subject, partner) if role == 0 else (partner, subject)
    missing = ErrorValue.INVALID_HELD_CONNECTION_ID if inp in HELD_ROLES else ErrorValue.INVALID_ACTIVE_CONNECTION_ID
    check_outcome(rig, lambda: call(rig.core, *args, rig.tick()), subject, inp, state, missing)


def test_table_covers_only_live_targets_and_null_sources_for_creation() -> None:
    creating = {Input.INITIATE, Input.DELIVER, Input.QUEUE, Input.JOIN}
    for (source, inp), target in TRANSITIONS.items():
        assert (source is S.NULL) == (inp in creating)
        assert target is not S.NULL or inp not in creating
    for inp in Input:
        assert allowed_states(inp), f"{inp} is accepted nowhere"


@pytest.mark.parametrize("inp", list(Input), ids=lambda i: i.value)
def test_transition_refusal_names_the_role_error(inp: Input) -> None:
    for state in ConnectionState:
        if (state, inp) in TRANSITIONS:
            assert transition(state, inp) is TRANSITIONS[(state, inp)]
        else:
            with pytest.raises(CstaError) as info:
                transition(state, inp, subject="C9/S9")
            assert info.value.error_value == inp.error_value
            assert "C9/S9" in info.value.detail
