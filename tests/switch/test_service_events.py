"""Device maintenance events (OutOfService, BackInService) and the monitorCrossRefID every
event carries once delivered."""

from __future__ import annotations

import dataclasses

import pytest

from pycti.switch import events as ev
from pycti.switch.agent_states import RequestedAgentState as Req
from pycti.switch.agents import AgentConfig
from pycti.switch.commands import SeizeTrunk
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState as S

from .conftest import Rig

E = ev.EventCause


def _every_kind_of_event(rig: Rig) -> list[ev.CstaEvent]:
    """A run that produces at least one event of every class."""
    core = rig.core
    out: list[ev.CstaEvent] = []
    a, _ = rig.connect("S1", "S2")
    core.hold_call(a, rig.tick())
    core.retrieve_call(a, rig.tick())
    c = core.consultation_call(a, "S3", rig.tick())
    core.answer_call(ConnectionID(c.call_id, "S3"), rig.tick())
    core.conference_call(a, c, rig.tick())
    core.digits_detected("S2", "5", rig.tick())
    core.single_step_transfer_call(a, "S4", rig.tick())
    core.clear_call(a.call_id, rig.tick())
    _, b = rig.call_from("S1", "S2")
    core.deflect_call(b, "Q", rig.tick())
    core.clear_call(b.call_id, rig.tick())
    core.make_call("S1", "BUSY", rig.tick())
    core.port_failed("S1", rig.tick())
    core.set_in_service("S1", rig.tick())
    t, _ = rig.connect("S1", "S2")
    core.tone_detected("S2", "CNG", rig.tick())  # a fax tone heard on a call
    core.clear_call(t.call_id, rig.tick())
    # the agent events: log on (not ready), ready, an ACD call offered (busy), wrap-up, log off
    core.add_agent(AgentConfig(agent_id="A9", groups=("Q",), wrap_up_ms=1000))
    core.set_agent_state("S4", Req.LOGGED_ON, rig.tick(), agent_id="A9")
    core.set_agent_state("S4", Req.READY, rig.tick())
    _, q = rig.call_from("S1", "Q")
    core.deflect_call(ConnectionID(q.call_id, "Q"), "S4", rig.tick())
    core.answer_call(ConnectionID(q.call_id, "S4"), rig.tick())
    core.clear_call(q.call_id, rig.tick())
    core.set_agent_state("S4", Req.LOGGED_OFF, rig.tick())
    out.extend(rig.drain()[0])
    return out


def _event_classes() -> set[type[ev.CstaEvent]]:
    found = {getattr(ev, name) for name in ev.__all__}
    bases = (ev.CstaEvent, ev.AgentEvent)
    return {c for c in found if isinstance(c, type) and issubclass(c, ev.CstaEvent) and c not in bases}


def test_monitor_cross_ref_id_is_the_base_class_last_keyword_field() -> None:
    fields = [f for f in dataclasses.fields(ev.CstaEvent)]
    assert fields[-1].name == "monitor_cross_ref_id" and fields[-1].kw_only and fields[-1].default is None


def test_every_event_class_takes_a_monitor_cross_ref_id(rig: Rig) -> None:
    events = _every_kind_of_event(rig)
    assert {type(e) for e in events} == _event_classes()
    for event in events:
        assert event.monitor_cross_ref_id is None, event  # not delivered yet
        delivered = dataclasses.replace(event, monitor_cross_ref_id="M7")
        assert type(delivered) is type(event) and delivered.monitor_cross_ref_id == "M7"
        assert dataclasses.replace(delivered, monitor_cross_ref_id=None) == event
        assert delivered != event and event.monitor_cross_ref_id is None  # the original is untouched
        values = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
        values["monitor_cross_ref_id"] = "M8"
        assert type(event)(**values).monitor_cross_ref_id == "M8"
        with pytest.raises(dataclasses.FrozenInstanceError):
            delivered.monitor_cross_ref_id = "M9"  # type: ignore[misc]


def test_port_failure_reports_out_of_service_once(rig: Rig) -> None:
    core = rig.core
    core.port_failed("S1", rig.tick())
    events, _ = rig.drain()
    assert events == [
        ev.OutOfService(time=rig.now, cause=E.RESOURCES_NOT_AVAILABLE, involved_devices=frozenset({"S1"}), device="S1")
    ]
    core.port_failed("S1", rig.tick())  # still dead: nothing new to report
    core.set_out_of_service("S1", rig.tick())
    assert rig.drain()[0] == []
    assert not core.is_in_service("S1")


def test_maintenance_reports_out_of_service_before_clearing(rig: Rig) -> None:
    core = rig.core
    rig.connect("S1", "S2")
    rig.drain()
    core.set_out_of_service("S2", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events) == ["OutOfService", "ConnectionCleared", "ConnectionCleared", "CallCleared"]
    assert isinstance(events[0], ev.OutOfService) and events[0].device == "S2"
    assert all(e.cause is E.MAINTENANCE for e in events)


def test_back_in_service_and_serving_calls_again(rig: Rig) -> None:
    core = rig.core
    core.port_failed("S1", rig.tick())
    rig.drain()
    core.set_in_service("S1", rig.tick())
    events, _ = rig.drain()
    assert events == [ev.BackInService(time=rig.now, cause=E.NORMAL, involved_devices=frozenset({"S1"}), device="S1")]
    core.set_in_service("S1", rig.tick())  # already in service: nothing to report
    assert rig.drain()[0] == []
    assert core.is_in_service("S1")

    s1, s2 = rig.connect("S1", "S2")  # it calls out again
    assert rig.conn_state(s1) is S.CONNECTED and rig.conn_state(s2) is S.CONNECTED
    core.clear_call(s1.call_id, rig.tick())
    _, to_s1 = rig.call_from("S3", "S1")  # and takes calls again
    events, _ = rig.drain()
    assert rig.conn_state(to_s1) is S.ALERTING and rig.names(events)[-1] == "Delivered"
    core.answer_call(to_s1, rig.tick())
    assert rig.conn_state(to_s1) is S.CONNECTED


def test_repaired_trunk_carries_calls_again(rig: Rig) -> None:
    core = rig.core
    core.set_out_of_service("T1", rig.tick())
    core.set_out_of_service("T2", rig.tick())
    rig.drain()
    failed = core.make_call("S1", "0123", rig.tick())
    events, _ = rig.drain()
    assert events[-1].cause is E.TRUNKS_BUSY and rig.conn_state(failed) is S.FAIL
    core.clear_call(failed.call_id, rig.tick())
    core.set_in_service("T2", rig.tick())
    events, _ = rig.drain()
    assert rig.names(events)[-1] == "BackInService" and events[-1].devices() == {"T2"}
    out = core.make_call("S1", "0123", rig.tick())
    events, commands = rig.drain()
    assert SeizeTrunk(trunk="T2", number="0123") in commands and rig.conn_state(ConnectionID(out.call_id, "T2")) is S.ALERTING
    core.clear_call(out.call_id, rig.tick())
    core.set_in_service("T1", rig.tick())
    t1 = core.incoming_call("T1", calling_number="5550001", called_number="S2", now=rig.tick())
    assert rig.conn_state(ConnectionID(t1.call_id, "S2")) is S.ALERTING


def test_set_in_service_without_now_uses_the_latest_input_time(rig: Rig) -> None:
    core = rig.core
    core.set_out_of_service("S4", rig.tick())
    rig.drain()
    core.set_in_service("S4")
    events, _ = rig.drain()
    assert rig.names(events) == ["BackInService"] and events[0].time == rig.now
