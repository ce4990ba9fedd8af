"""Scenario tests: each service and driver input with its exact event and command sequence."""

from __future__ import annotations

import pytest

from pycti.errors import CstaError, ErrorValue
from pycti.switch.commands import (
    AnswerLine,
    MediaTopology,
    ReleaseLine,
    RingStation,
    SeizeTrunk,
    SendDigits,
    StopRinging,
)
from pycti.switch.events import (
    CallCleared,
    Conferenced,
    ConnectionCleared,
    ConnectionListEntry,
    Delivered,
    DigitsDetected,
    Diverted,
    Established,
    EventCause,
    Failed,
    Held,
    Originated,
    Queued,
    Retrieved,
    ServiceInitiated,
    Transferred,
)
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState

S = ConnectionState
E = EventCause


def test_two_party_call_make_answer_clear(rig) -> None:
    core = rig.core
    s1 = core.make_call("S1", "S2", rig.tick())
    s2 = ConnectionID(s1.call_id, "S2")
    events, commands = rig.drain()
    assert rig.names(events) == ["ServiceInitiated", "Originated", "Delivered"]
    si, orig, dlv = events
    assert isinstance(si, ServiceInitiated) and si.initiated_connection == s1 and si.cause is E.MAKE_CALL
    assert isinstance(orig, Originated)
    assert (orig.originated_connection, orig.calling_device, orig.called_device) == (s1, "S1", "S2")
    assert isinstance(dlv, Delivered)
    assert (dlv.connection, dlv.alerting_device, dlv.calling_device, dlv.called_device) == (
        s2,
        "S2",
        "S1",
        "S2",
    )
    assert dlv.local_connection_info is S.ALERTING and dlv.cause is E.NEW_CALL
    assert dlv.devices() == frozenset({"S1", "S2"}) and dlv.time == rig.now
    assert commands == [
        AnswerLine(device="S1"),
        RingStation(device="S2", calling_number="S1"),
        MediaTopology(call_id=s1.call_id, parties=("S1",)),
    ]

    core.answer_call(s2, rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Established"]
    assert events[0].established_connection == s2 and events[0].answering_device == "S2"
    assert commands == [
        StopRinging(device="S2"),
        AnswerLine(device="S2"),
        MediaTopology(call_id=s1.call_id, parties=("S1", "S2")),
    ]
    assert core.snapshot_call(s1.call_id) == [("S1", s1, S.CONNECTED), ("S2", s2, S.CONNECTED)]

    core.clear_connection(s1, rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "ConnectionCleared", "CallCleared"]
    assert [e.dropped_connection for e in events[:2]] == [s1, s2]
    # S1 left first: it is told of its own departure only (delivery rule 3 of core_model)
    assert [e.devices() for e in events] == [{"S1", "S2"}, {"S2"}, {"S2"}]
    assert events[2].cleared_call == s1.call_id
    assert commands == [
        ReleaseLine(device="S1"),
        ReleaseLine(device="S2"),
        MediaTopology(call_id=s1.call_id, parties=()),
    ]
    assert s1.call_id not in core.calls()
    assert core.snapshot_device("S1") == [] and core.snapshot_device("S2") == []


def test_incoming_trunk_call_answered_by_offhook_then_caller_hangs_up(rig) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5551234", called_number="S1", now=rig.tick())
    s1 = ConnectionID(t1.call_id, "S1")
    events, commands = rig.drain()
    assert rig.names(events) == ["Delivered"]
    assert (events[0].calling_device, events[0].called_device) == ("5551234", "S1")
    assert RingStation(device="S1", calling_number="5551234") in commands
    assert rig.conn_state(t1) is S.CONNECTED and rig.conn_state(s1) is S.ALERTING

    assert core.line_offhook("S1", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Established"]
    assert commands == [
        StopRinging(device="S1"),
        AnswerLine(device="T1"),
        MediaTopology(call_id=t1.call_id, parties=("T1", "S1")),
    ]

    assert core.far_end_released("T1", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "ConnectionCleared", "CallCleared"]
    assert events[0].releasing_device == "T1"
    assert commands == [
        ReleaseLine(device="T1"),
        ReleaseLine(device="S1"),
        MediaTopology(call_id=t1.call_id, parties=()),
    ]
    assert not core.line_onhook("S1", rig.tick())  # the phone hangs up afterwards: nothing left


def test_consultation_then_transfer(rig) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5551234", called_number="S1", now=rig.tick())
    s1 = ConnectionID(t1.call_id, "S1")
    core.answer_call(s1, rig.tick())
    rig.drain()
    consult = core.consultation_call(s1, "S2", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["Held", "ServiceInitiated", "Originated", "Delivered"]
    assert events[0].cause is E.CONSULTATION and events[0].held_connection == s1
    assert consult.device_id == "S1" and consult.call_id != t1.call_id
    s2_old = ConnectionID(consult.call_id, "S2")
    core.answer_call(s2_old, rig.tick())
    rig.drain()

    result = core.transfer_call(s1, consult, rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Transferred"]
    tr = events[0]
    assert isinstance(tr, Transferred)
    assert (tr.primary_old_call, tr.secondary_old_call) == (s1, consult)
    assert (tr.transferring_device, tr.transferred_to_device, tr.cause) == ("S1", "S2", E.TRANSFER)
    s2_new = ConnectionID(t1.call_id, "S2")
    assert tr.transferred_connections == (
        ConnectionListEntry(new_connection=t1, old_connection=t1, endpoint="T1"),
        ConnectionListEntry(new_connection=s2_new, old_connection=s2_old, endpoint="S2"),
    )
    assert tr.devices() == {"S1", "S2", "T1"}
    assert result == s2_new
    assert core.snapshot_call(t1.call_id) == [("T1", t1, S.CONNECTED), ("S2", s2_new, S.CONNECTED)]
    assert consult.call_id not in core.calls() and core.snapshot_device("S1") == []
    assert commands == [
        ReleaseLine(device="S1"),
        MediaTopology(call_id=consult.call_id, parties=()),
        MediaTopology(call_id=t1.call_id, parties=("T1", "S2")),
    ]


def test_three_party_conference_survives_one_leaving(rig) -> None:
    core = rig.core
    s1, _ = rig.connect("S1", "S2")
    consult = core.consultation_call(s1, "S3", rig.tick())
    core.answer_call(ConnectionID(consult.call_id, "S3"), rig.tick())
    rig.drain()
    conf = core.conference_call(s1, consult, rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Conferenced"]
    ev = events[0]
    assert isinstance(ev, Conferenced)
    assert (ev.conferencing_device, ev.added_party, ev.cause) == ("S1", "S3", E.CONFERENCE)
    assert [c.endpoint for c in ev.conference_connections] == ["S1", "S2", "S3"]
    assert conf == s1
    assert rig.topology(commands) == {consult.call_id: (), s1.call_id: ("S1", "S2", "S3")}

    core.line_onhook("S2", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["ConnectionCleared"]
    assert rig.topology(commands) == {s1.call_id: ("S1", "S3")}
    assert ReleaseLine(device="S2") not in commands  # it hung up itself

    core.clear_connection(ConnectionID(s1.call_id, "S3"), rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "ConnectionCleared", "CallCleared"]


def test_hold_retrieve_alternate_reconnect(rig) -> None:
    core = rig.core
    a, _ = rig.connect("S1", "S2")
    rig.drain()
    core.hold_call(a, rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Held"] and events[0].holding_device == "S1"
    assert rig.topology(commands) == {a.call_id: ("S2",)}
    core.retrieve_call(a, rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Retrieved"] and events[0].local_connection_info is S.CONNECTED
    assert rig.topology(commands) == {a.call_id: ("S1", "S2")}

    b = core.consultation_call(a, "S3", rig.tick())
    core.answer_call(ConnectionID(b.call_id, "S3"), rig.tick())
    rig.drain()
    core.alternate_call(a, b, rig.tick())  # ECMA order: held, active
    events, _ = rig.drain()
    assert rig.names(events) == ["Held", "Retrieved"]
    assert events[0].held_connection == b and events[1].retrieved_connection == a
    assert {e.cause for e in events} == {E.ALTERNATE}
    assert rig.conn_state(a) is S.CONNECTED and rig.conn_state(b) is S.HOLD

    core.reconnect_call(a, b, rig.tick())  # ECMA order: active, held
    events, _ = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "ConnectionCleared", "CallCleared", "Retrieved"]
    assert events[0].dropped_connection == a and events[3].retrieved_connection == b
    assert core.snapshot_device("S1") == [(b, S.CONNECTED)]


def test_queue_then_deflect_to_agent(rig) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="Q", now=rig.tick())
    t2 = core.incoming_call("T2", calling_number="5550002", called_number="Q", now=rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["Queued", "Queued"]
    assert [(e.number_queued, e.calls_in_front) for e in events] == [(1, 0), (2, 1)]
    assert events[0].queue == "Q" and events[0].local_connection_info is S.QUEUED

    q1 = ConnectionID(t1.call_id, "Q")
    core.deflect_call(q1, "S1", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Diverted", "Delivered"]
    dv, dl = events
    assert isinstance(dv, Diverted) and (dv.diverting_device, dv.new_destination) == ("Q", "S1")
    assert dv.cause is E.REDIRECTED
    assert dl.last_redirection_device == "Q" and dl.cause is E.REDIRECTED
    assert RingStation(device="S1", calling_number="5550001") in commands
    assert core.snapshot_device("Q") == [(ConnectionID(t2.call_id, "Q"), S.QUEUED)]
    core.answer_call(ConnectionID(t1.call_id, "S1"), rig.tick())
    _, commands = rig.drain()
    assert AnswerLine(device="T1") in commands


def test_single_step_transfer(rig) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="R1", now=rig.tick())
    r1 = ConnectionID(t1.call_id, "R1")
    core.answer_call(r1, rig.tick())
    rig.drain()
    new = core.single_step_transfer_call(r1, "S2", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Transferred", "Delivered"]
    tr, dl = events
    assert tr.secondary_old_call is None and tr.primary_old_call == r1
    assert tr.transferred_connections[-1] == ConnectionListEntry(
        new_connection=new, old_connection=None, endpoint="S2"
    )
    assert dl.connection == new and dl.last_redirection_device == "R1" and dl.cause is E.SINGLE_STEP_TRANSFER
    assert rig.topology(commands) == {t1.call_id: ("T1",)}
    assert core.snapshot_call(t1.call_id) == [("T1", t1, S.CONNECTED), ("S2", new, S.ALERTING)]


def test_directed_and_group_pickup(rig) -> None:
    core = rig.core
    _, s2 = rig.call_from("R0", "S2")
    rig.drain()
    picked = core.directed_pickup_call(s2, "S1", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Diverted", "Established"]
    assert events[0].cause is E.CALL_PICKUP and events[0].new_destination == "S1"
    assert events[1].established_connection == picked and events[1].answering_device == "S1"
    assert commands[:2] == [StopRinging(device="S2"), AnswerLine(device="S1")]
    assert picked == ConnectionID(s2.call_id, "S1") and rig.conn_state(s2) is S.NULL

    _, s3 = rig.call_from("R0", "S3")
    rig.drain()
    got = core.group_pickup_call("S2", rig.tick())  # S2 and S3 share pickup group G
    events, _ = rig.drain()
    assert rig.names(events) == ["Diverted", "Established"]
    assert got == ConnectionID(s3.call_id, "S2")
    # by device id: the oldest call alerting there
    _, s3b = rig.call_from("R1", "S3")
    assert core.directed_pickup_call("S3", "S4", rig.tick()) == ConnectionID(s3b.call_id, "S4")


def test_generate_and_detect_digits(rig) -> None:
    core = rig.core
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="R1", now=rig.tick())
    r1 = ConnectionID(t1.call_id, "R1")
    core.answer_call(r1, rig.tick())
    rig.drain()
    core.generate_digits(r1, "12#", rig.tick())
    assert rig.drain() == ([], [SendDigits(device="R1", digits="12#")])
    assert core.digits_detected("T1", "42", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["DigitsDetected"]
    ev = events[0]
    assert isinstance(ev, DigitsDetected) and (ev.digits, ev.connection, ev.cause) == (
        "42",
        t1,
        E.DTMF_DIGIT_DETECTED,
    )
    assert "R1" in ev.devices()  # the IVR monitoring its route point hears the caller's digits


def test_offhook_and_dial(rig) -> None:
    core = rig.core
    assert core.line_offhook("S1", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["ServiceInitiated"]
    cid = events[0].initiated_connection
    assert core.digits_detected("S1", "S2", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["Originated", "Delivered"]
    assert events[0].called_device == "S2" and rig.conn_state(cid) is S.CONNECTED


def test_outbound_call_over_trunk(rig) -> None:
    core = rig.core
    s1 = core.make_call("S1", "0123456", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["ServiceInitiated", "Originated", "Delivered"]
    assert events[2].alerting_device == "T1" and events[2].called_device == "0123456"
    assert SeizeTrunk(trunk="T1", number="0123456") in commands
    assert core.far_end_answered("T1", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Established"] and events[0].answering_device == "T1"
    assert rig.topology(commands) == {s1.call_id: ("S1", "T1")}
    core.make_call("S2", "0999", rig.tick())  # takes T2
    rig.drain()
    s3 = core.make_call("S3", "0888", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events)[-1] == "Failed" and events[-1].cause is E.TRUNKS_BUSY
    assert rig.conn_state(s3) is S.FAIL


def test_snapshot_and_monitors(rig) -> None:
    core = rig.core
    s1, _ = rig.connect("S1", "S2")
    assert core.snapshot_device("S1") == [(s1, S.CONNECTED)]
    assert core.snapshot_call(s1) == core.snapshot_call(s1.call_id)
    x1 = core.monitor_start("S1")
    x2 = core.monitor_start("S1")
    assert x1 != x2 and core.monitored_device(x1) == "S1"
    core.monitor_stop(x1)
    assert core.monitored_device(x2) == "S1"
    with pytest.raises(CstaError, match=ErrorValue.INVALID_MONITOR_CROSS_REF_ID.asn1_name):
        core.monitored_device(x1)


def test_default_route_takes_unknown_numbers(rig) -> None:
    core = rig.core
    core.set_default_route("R1")
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="8000", now=rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["Delivered"] and events[0].alerting_device == "R1"
    assert events[0].called_device == "8000" and rig.conn_state(ConnectionID(t1.call_id, "R1")) is S.ALERTING


def test_every_event_names_its_devices(rig) -> None:
    core = rig.core
    s1, _ = rig.connect("S1", "S2")
    rig.drain()
    core.clear_call(s1.call_id, rig.tick())
    events, _ = rig.drain()
    assert all(e.devices() for e in events)
    assert isinstance(events[-1], CallCleared) and events[-1].devices() == {"S1", "S2"}
    assert all(isinstance(e, (ConnectionCleared, CallCleared)) for e in events)
    assert not any(isinstance(e, (Held, Retrieved, Queued, Failed, Established)) for e in events)
