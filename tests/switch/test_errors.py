"""Bad inputs: each gives its ECMA-269 error value (changing nothing) or its documented
events, and leaves every other call untouched."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pycti.errors import CstaError, ErrorValue
from pycti.switch.commands import ReleaseLine
from pycti.switch.core import DeviceKind
from pycti.switch.events import EventCause
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState

S = ConnectionState
E = EventCause


def refused(rig, act: Callable[[], object], error_value: ErrorValue, category: str = "operation") -> None:
    """``act`` must raise CstaError(error_value) and change nothing."""
    rig.drain()
    before = rig.state()
    with pytest.raises(CstaError) as info:
        act()
    assert info.value.error_value == error_value, info.value
    assert info.value.category is error_value.category
    assert info.value.category.value.startswith(category)
    assert rig.state() == before
    assert rig.drain() == ([], [])


@pytest.fixture
def bystander(rig):
    """An unrelated connected call R2 -> S4 whose snapshot must never change."""
    r2, _ = rig.connect("R2", "S4")
    rig.drain()
    return r2.call_id, rig.core.snapshot_call(r2.call_id)


def untouched(rig, bystander) -> None:
    call_id, snap = bystander
    assert rig.core.snapshot_call(call_id) == snap


def test_unknown_device_and_connection(rig, bystander) -> None:
    core = rig.core
    refused(rig, lambda: core.make_call("NOPE", "S1", rig.tick()), ErrorValue.INVALID_CALLING_DEVICE_ID)
    refused(rig, lambda: core.make_call("S1", "", rig.tick()), ErrorValue.INVALID_CALLED_DEVICE_ID)
    refused(rig, lambda: core.make_call("S1", "T1", rig.tick()), ErrorValue.INVALID_CALLED_DEVICE_ID)
    refused(rig, lambda: core.make_call("T1", "S1", rig.tick()), ErrorValue.REQUEST_INCOMPATIBLE_WITH_CALLING_DEVICE)
    refused(rig, lambda: core.snapshot_device("NOPE"), ErrorValue.INVALID_DEVICE_ID)
    refused(rig, lambda: core.snapshot_call("C999"), ErrorValue.INVALID_CALL_ID)
    refused(rig, lambda: core.line_offhook("NOPE", rig.tick()), ErrorValue.INVALID_DEVICE_ID)
    refused(rig, lambda: core.line_offhook("T1", rig.tick()), ErrorValue.REQUEST_INCOMPATIBLE_WITH_DEVICE)
    refused(rig, lambda: core.answer_call(ConnectionID("C999", "S1"), rig.tick()), ErrorValue.INVALID_CONNECTION_ID)
    refused(rig, lambda: core.clear_connection("C1/S1", rig.tick()), ErrorValue.INVALID_CONNECTION_ID)  # type: ignore[arg-type]
    refused(rig, lambda: core.monitor_start("NOPE"), ErrorValue.INVALID_MONITOR_OBJECT)
    refused(rig, lambda: core.monitor_stop("M42"), ErrorValue.INVALID_MONITOR_CROSS_REF_ID)
    refused(rig, lambda: core.add_device("S1", DeviceKind.STATION), ErrorValue.INVALID_DEVICE_ID)
    untouched(rig, bystander)


def test_service_in_wrong_state_and_wrong_arguments(rig, bystander) -> None:
    core = rig.core
    calling, alerting = rig.call_from("S1", "S2")
    rig.drain()
    refused(rig, lambda: core.hold_call(alerting, rig.tick()), ErrorValue.INVALID_CONNECTION_STATE, "state")
    refused(rig, lambda: core.retrieve_call(calling, rig.tick()), ErrorValue.INVALID_CONNECTION_STATE, "state")
    refused(rig, lambda: core.generate_digits(alerting, "1", rig.tick()), ErrorValue.INVALID_CONNECTION_STATE, "state")
    refused(rig, lambda: core.generate_digits(calling, "1x", rig.tick()), ErrorValue.INVALID_PARAMETER_VALUE)
    refused(
        rig,
        lambda: core.transfer_call(calling, bystander_conn(rig, bystander), rig.tick()),
        ErrorValue.INVALID_HELD_CONNECTION_STATE,
        "state",
    )
    core.answer_call(alerting, rig.tick())
    core.hold_call(calling, rig.tick())
    refused(
        rig, lambda: core.transfer_call(calling, bystander_conn(rig, bystander), rig.tick()), ErrorValue.NOT_SAME_DEVICE
    )
    refused(
        rig,
        lambda: core.answer_call(ConnectionID(bystander[0], "R2"), rig.tick()),
        ErrorValue.INVALID_CONNECTION_STATE,
        "state",
    )
    refused(rig, lambda: core.remove_device("S1"), ErrorValue.INVALID_DEVICE_STATE, "state")
    untouched(rig, bystander)


def bystander_conn(rig, bystander) -> ConnectionID:
    return ConnectionID(bystander[0], "S4")


def test_call_to_busy_station_fails_at_the_caller(rig, bystander) -> None:
    core = rig.core
    s1 = core.make_call("S1", "S4", rig.tick())  # S4 is in the bystander call
    events, _ = rig.drain()
    assert rig.names(events) == ["ServiceInitiated", "Originated", "Failed"]
    failed = events[-1]
    assert (failed.failed_connection, failed.failing_device, failed.cause) == (s1, "S4", E.BUSY)
    assert rig.conn_state(s1) is S.FAIL
    assert core.snapshot_call(s1.call_id) == [("S1", s1, S.FAIL)]
    core.line_onhook("S1", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "CallCleared"]
    # a redirection to a busy station is refused instead
    _, r1 = rig.call_from("R0", "R1")
    refused(rig, lambda: core.deflect_call(r1, "S4", rig.tick()), ErrorValue.INVALID_DESTINATION_DEVICE_STATE, "state")
    refused(
        rig,
        lambda: core.single_step_transfer_call(ConnectionID(r1.call_id, "R0"), "S4", rig.tick()),
        ErrorValue.INVALID_DESTINATION_DEVICE_STATE,
        "state",
    )
    untouched(rig, bystander)


def test_caller_hangs_up_during_consultation(rig, bystander) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="S1", now=rig.tick())
    s1 = ConnectionID(t1.call_id, "S1")
    core.answer_call(s1, rig.tick())
    consult = core.consultation_call(s1, "S2", rig.tick())
    s2 = ConnectionID(consult.call_id, "S2")
    core.answer_call(s2, rig.tick())
    rig.drain()
    consult_snapshot = core.snapshot_call(consult.call_id)

    core.far_end_released("T1", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "ConnectionCleared", "CallCleared"]
    assert [e.dropped_connection for e in events[:2]] == [t1, s1]  # the held party goes too
    assert ReleaseLine(device="T1") in commands and ReleaseLine(device="S1") not in commands
    assert core.snapshot_call(consult.call_id) == consult_snapshot
    refused(rig, lambda: core.transfer_call(s1, consult, rig.tick()), ErrorValue.INVALID_HELD_CONNECTION_ID)
    untouched(rig, bystander)


def test_caller_hangs_up_after_transfer_to_ringing_agent(rig, bystander) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="S1", now=rig.tick())
    s1 = ConnectionID(t1.call_id, "S1")
    core.answer_call(s1, rig.tick())
    consult = core.consultation_call(s1, "S2", rig.tick())
    core.transfer_call(s1, consult, rig.tick())  # S2 still ringing
    rig.drain()
    assert core.snapshot_call(t1.call_id)[1][2] is S.ALERTING
    core.far_end_released("T1", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "ConnectionCleared", "CallCleared"]
    assert ReleaseLine(device="T1") in commands
    assert ("StopRinging", "S2") in [(type(c).__name__, getattr(c, "device", None)) for c in commands]
    untouched(rig, bystander)


def test_port_fails_mid_call(rig, bystander) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="S1", now=rig.tick())
    core.answer_call(ConnectionID(t1.call_id, "S1"), rig.tick())
    rig.drain()
    core.port_failed("S1", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["OutOfService", "ConnectionCleared", "ConnectionCleared", "CallCleared"]
    assert events[0].device == "S1" and events[0].cause is E.RESOURCES_NOT_AVAILABLE
    assert events[1].releasing_device == "S1" and events[1].cause is E.RESOURCES_NOT_AVAILABLE
    assert ReleaseLine(device="T1") in commands
    assert all(getattr(c, "device", None) != "S1" for c in commands)  # nothing sent to a dead port
    assert not core.is_in_service("S1")

    r0 = core.make_call("R0", "S1", rig.tick())
    events, _ = rig.drain()
    assert events[-1].cause is E.DEST_OUT_OF_ORDER and rig.conn_state(r0) is S.FAIL
    refused(rig, lambda: core.make_call("S1", "S2", rig.tick()), ErrorValue.CALLING_DEVICE_OUT_OF_SERVICE, "system")
    core.set_in_service("S1", rig.tick())
    assert core.line_offhook("S1", rig.tick())
    untouched(rig, bystander)


def test_trunk_failure_and_reuse(rig, bystander) -> None:
    core = rig.core
    s1 = core.make_call("S1", "0123", rig.tick())
    rig.drain()
    core.set_out_of_service("T1", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["OutOfService", "ConnectionCleared", "ConnectionCleared", "CallCleared"]
    assert all(e.cause is E.MAINTENANCE for e in events[:3])
    refused(
        rig,
        lambda: core.incoming_call("T1", calling_number="1", called_number="S1", now=rig.tick()),
        ErrorValue.DEVICE_OUT_OF_SERVICE,
        "system",
    )
    s2 = core.make_call("S2", "0456", rig.tick())  # goes out on T2 instead
    events, _ = rig.drain()
    assert events[-1].alerting_device == "T2"
    refused(
        rig,
        lambda: core.incoming_call("T2", calling_number="1", called_number="S1", now=rig.tick()),
        ErrorValue.INVALID_DEVICE_STATE,
        "state",
    )
    assert rig.conn_state(s1) is S.NULL and rig.conn_state(s2) is S.CONNECTED
    untouched(rig, bystander)


def test_incoming_call_to_unknown_number_fails(rig, bystander) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="7777", now=rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["Failed"] and events[0].cause is E.DEST_NOT_OBTAINABLE
    assert rig.conn_state(t1) is S.FAIL
    core.clear_call(t1.call_id, rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "CallCleared"] and ReleaseLine(device="T1") in commands
    untouched(rig, bystander)


def test_physical_reports_that_fit_nothing_are_ignored(rig, bystander) -> None:
    core = rig.core
    before = rig.state()
    assert not core.line_onhook("S1", rig.tick())
    assert not core.far_end_answered("T1", rig.tick())
    assert not core.far_end_released("T2", rig.tick())
    assert not core.digits_detected("S2", "5", rig.tick())
    assert not core.line_offhook("S4", rig.tick())  # already in a call: off-hook already
    assert rig.state() == before and rig.drain() == ([], [])
    untouched(rig, bystander)
