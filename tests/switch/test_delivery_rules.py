"""Who is told what: the delivery rules of pycti.switch.core_model (module docstring).

Each scenario runs on a fresh Rig (its off-hook station BUSY holds call C1, so the
scenario's calls are C2, C3 ...) and lists, for every device, exactly the events its device
monitor gets -- those whose ``involved_devices`` name it -- as (event type, connection):
the event's first ConnectionID, the call id for CallCleared, the device for OutOfService.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from pycti.switch import events as ev
from pycti.switch.ids import ConnectionID

from .conftest import Rig

Told = dict[str, list[tuple[str, str]]]


def _subject(event: ev.CstaEvent) -> str:
    if isinstance(event, ev.CallCleared):
        return event.cleared_call
    if isinstance(event, (ev.OutOfService, ev.BackInService)):
        return event.device
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, ConnectionID):
            return str(value)
    raise AssertionError(f"{event} names no connection")


def told(events: list[ev.CstaEvent], devices: tuple[str, ...]) -> Told:
    """What each device's monitor is told, in order."""
    return {
        d: [(type(e).__name__, _subject(e)) for e in events if d in e.involved_devices] for d in devices
    }


def cid(text: str) -> ConnectionID:
    call, device = text.split("/")
    return ConnectionID(call, device)


# -- scenarios: each drives a fresh rig and returns the devices to tabulate ------------------
def clear_connection_two_party(rig: Rig) -> None:
    a, _ = rig.connect("S1", "S2")
    rig.core.clear_connection(a, rig.tick())


def clear_call_two_party(rig: Rig) -> None:
    a, _ = rig.connect("S1", "S2")
    rig.core.clear_call(a.call_id, rig.tick())


def _conference(rig: Rig) -> None:
    core = rig.core
    a, _ = rig.connect("S1", "S2")
    c = core.consultation_call(a, "S3", rig.tick())
    core.answer_call(cid("C3/S3"), rig.tick())
    core.conference_call(a, c, rig.tick())


def clear_call_conference(rig: Rig) -> None:
    _conference(rig)
    rig.core.clear_call("C2", rig.tick())


def conference_parties_leave(rig: Rig) -> None:
    _conference(rig)
    rig.core.line_onhook("S2", rig.tick())
    rig.core.line_onhook("S3", rig.tick())


def transfer_then_hang_up(rig: Rig) -> None:
    core = rig.core
    a, _ = rig.connect("S1", "S2")
    c = core.consultation_call(a, "S3", rig.tick())
    core.answer_call(cid("C3/S3"), rig.tick())
    core.transfer_call(a, c, rig.tick())
    core.line_onhook("S2", rig.tick())


def transfer_then_clear_call(rig: Rig) -> None:
    core = rig.core
    a, _ = rig.connect("S1", "S2")
    c = core.consultation_call(a, "S3", rig.tick())
    core.transfer_call(a, c, rig.tick())  # S3 still alerting
    core.answer_call(cid("C2/S3"), rig.tick())
    core.clear_call("C2", rig.tick())


def single_step_transfer_then_clear_call(rig: Rig) -> None:
    core = rig.core
    a, _ = rig.connect("S1", "S2")
    core.single_step_transfer_call(a, "S3", rig.tick())
    core.answer_call(cid("C2/S3"), rig.tick())
    core.clear_call("C2", rig.tick())


def deflect_then_hang_up(rig: Rig) -> None:
    core = rig.core
    _, b = rig.call_from("S1", "S2")
    core.deflect_call(b, "S3", rig.tick())
    core.answer_call(cid("C2/S3"), rig.tick())
    core.line_onhook("S1", rig.tick())


def directed_pickup_then_clear_call(rig: Rig) -> None:
    core = rig.core
    _, b = rig.call_from("S1", "S2")
    core.directed_pickup_call(b, "S3", rig.tick())
    core.clear_call("C2", rig.tick())


def group_pickup_then_hang_up(rig: Rig) -> None:
    core = rig.core
    rig.call_from("S4", "S1")
    core.group_pickup_call("S2", rig.tick())
    core.line_onhook("S4", rig.tick())


def queue_deflect_far_end_release(rig: Rig) -> None:
    core = rig.core
    core.incoming_call("T1", calling_number="5550001", called_number="Q", now=rig.tick())
    core.deflect_call(cid("C2/Q"), "S1", rig.tick())
    core.answer_call(cid("C2/S1"), rig.tick())
    core.far_end_released("T1", rig.tick())


def outbound_trunk_released(rig: Rig) -> None:
    core = rig.core
    core.make_call("S1", "0123", rig.tick())
    core.far_end_answered("T1", rig.tick())
    core.far_end_released("T1", rig.tick())


def port_failure_mid_call(rig: Rig) -> None:
    rig.connect("S1", "S2")
    rig.core.port_failed("S1", rig.tick())


def port_failure_held_and_consulting(rig: Rig) -> None:
    core = rig.core
    a, _ = rig.connect("S1", "S2")
    core.consultation_call(a, "S3", rig.tick())
    core.answer_call(cid("C3/S3"), rig.tick())
    core.port_failed("S1", rig.tick())


def busy_destination_fails(rig: Rig) -> None:
    core = rig.core
    core.make_call("S1", "BUSY", rig.tick())
    core.line_onhook("S1", rig.tick())


def reconnect_after_consultation(rig: Rig) -> None:
    core = rig.core
    a, _ = rig.connect("S1", "S2")
    c = core.consultation_call(a, "S3", rig.tick())
    core.answer_call(cid("C3/S3"), rig.tick())
    core.reconnect_call(c, a, rig.tick())


_SI, _OR, _DE, _ES = "ServiceInitiated", "Originated", "Delivered", "Established"
_CC, _CA, _HE = "ConnectionCleared", "CallCleared", "Held"
_MAKE_S1_S2 = [(_SI, "C2/S1"), (_OR, "C2/S1"), (_DE, "C2/S2")]
_TWO_PARTY = [*_MAKE_S1_S2, (_ES, "C2/S2")]
_CONSULT_S3 = [(_HE, "C2/S1"), (_SI, "C3/S1"), (_OR, "C3/S1"), (_DE, "C3/S3"), (_ES, "C3/S3")]

SCENARIOS: list[tuple[Callable[[Rig], None], Told]] = [
    # the party that clears is told of its own departure only; the survivor of the rest
    (
        clear_connection_two_party,
        {
            "S1": [*_TWO_PARTY, (_CC, "C2/S1")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_CC, "C2/S1"), (_CC, "C2/S2"), (_CA, "C2")],
        },
    ),
    # ClearCall: everyone in the call is told every clearing and the CallCleared
    (
        clear_call_two_party,
        {
            "S1": [*_TWO_PARTY, (_CC, "C2/S1"), (_CC, "C2/S2"), (_CA, "C2")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_CC, "C2/S1"), (_CC, "C2/S2"), (_CA, "C2")],
        },
    ),
    (
        clear_call_conference,
        {
            "S1": [*_TWO_PARTY, *_CONSULT_S3, ("Conferenced", "C2/S1")]
            + [(_CC, "C2/S1"), (_CC, "C2/S2"), (_CC, "C2/S3"), (_CA, "C2")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_HE, "C2/S1"), ("Conferenced", "C2/S1")]
            + [(_CC, "C2/S1"), (_CC, "C2/S2"), (_CC, "C2/S3"), (_CA, "C2")],
            "S3": [(_DE, "C3/S3"), (_ES, "C3/S3"), ("Conferenced", "C2/S1")]
            + [(_CC, "C2/S1"), (_CC, "C2/S2"), (_CC, "C2/S3"), (_CA, "C2")],
        },
    ),
    # a conference goes on without the one who left, who is told nothing more
    (
        conference_parties_leave,
        {
            "S1": [*_TWO_PARTY, *_CONSULT_S3, ("Conferenced", "C2/S1")]
            + [(_CC, "C2/S2"), (_CC, "C2/S3"), (_CC, "C2/S1"), (_CA, "C2")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_HE, "C2/S1"), ("Conferenced", "C2/S1"), (_CC, "C2/S2")],
            "S3": [(_DE, "C3/S3"), (_ES, "C3/S3"), ("Conferenced", "C2/S1"), (_CC, "C2/S2"), (_CC, "C2/S3")],
        },
    ),
    # the transferring device is told the Transferred and nothing of the call afterwards;
    # the held party is told nothing of the consultation call
    (
        transfer_then_hang_up,
        {
            "S1": [*_TWO_PARTY, *_CONSULT_S3, ("Transferred", "C2/S1")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_HE, "C2/S1"), ("Transferred", "C2/S1"), (_CC, "C2/S2")],
            "S3": [(_DE, "C3/S3"), (_ES, "C3/S3"), ("Transferred", "C2/S1")]
            + [(_CC, "C2/S2"), (_CC, "C2/S3"), (_CA, "C2")],
        },
    ),
    (
        transfer_then_clear_call,
        {
            "S1": [*_TWO_PARTY, (_HE, "C2/S1"), (_SI, "C3/S1"), (_OR, "C3/S1"), (_DE, "C3/S3")]
            + [("Transferred", "C2/S1")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_HE, "C2/S1"), ("Transferred", "C2/S1"), (_ES, "C2/S3")]
            + [(_CC, "C2/S2"), (_CC, "C2/S3"), (_CA, "C2")],
            "S3": [(_DE, "C3/S3"), ("Transferred", "C2/S1"), (_ES, "C2/S3")]
            + [(_CC, "C2/S2"), (_CC, "C2/S3"), (_CA, "C2")],
        },
    ),
    # the transferred-to device is told the Transferred as its subject, then joins
    (
        single_step_transfer_then_clear_call,
        {
            "S1": [*_TWO_PARTY, ("Transferred", "C2/S1")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), ("Transferred", "C2/S1"), (_DE, "C2/S3"), (_ES, "C2/S3")]
            + [(_CC, "C2/S2"), (_CC, "C2/S3"), (_CA, "C2")],
            "S3": [("Transferred", "C2/S1"), (_DE, "C2/S3"), (_ES, "C2/S3")]
            + [(_CC, "C2/S2"), (_CC, "C2/S3"), (_CA, "C2")],
        },
    ),
    # the diverting device is told the Diverted and nothing of the call afterwards
    (
        deflect_then_hang_up,
        {
            "S1": [*_MAKE_S1_S2, ("Diverted", "C2/S2"), (_DE, "C2/S3"), (_ES, "C2/S3"), (_CC, "C2/S1")],
            "S2": [(_DE, "C2/S2"), ("Diverted", "C2/S2")],
            "S3": [("Diverted", "C2/S2"), (_DE, "C2/S3"), (_ES, "C2/S3")]
            + [(_CC, "C2/S1"), (_CC, "C2/S3"), (_CA, "C2")],
        },
    ),
    (
        directed_pickup_then_clear_call,
        {
            "S1": [*_MAKE_S1_S2, ("Diverted", "C2/S2"), (_ES, "C2/S3")]
            + [(_CC, "C2/S1"), (_CC, "C2/S3"), (_CA, "C2")],
            "S2": [(_DE, "C2/S2"), ("Diverted", "C2/S2")],
            "S3": [("Diverted", "C2/S2"), (_ES, "C2/S3"), (_CC, "C2/S1"), (_CC, "C2/S3"), (_CA, "C2")],
        },
    ),
    (
        group_pickup_then_hang_up,
        {
            "S4": [(_SI, "C2/S4"), (_OR, "C2/S4"), (_DE, "C2/S1"), ("Diverted", "C2/S1"), (_ES, "C2/S2")]
            + [(_CC, "C2/S4")],
            "S1": [(_DE, "C2/S1"), ("Diverted", "C2/S1")],
            "S2": [("Diverted", "C2/S1"), (_ES, "C2/S2"), (_CC, "C2/S4"), (_CC, "C2/S2"), (_CA, "C2")],
        },
    ),
    # the queue is told of the call while it waits there only
    (
        queue_deflect_far_end_release,
        {
            "T1": [("Queued", "C2/Q"), ("Diverted", "C2/Q"), (_DE, "C2/S1"), (_ES, "C2/S1"), (_CC, "C2/T1")],
            "Q": [("Queued", "C2/Q"), ("Diverted", "C2/Q")],
            "S1": [("Diverted", "C2/Q"), (_DE, "C2/S1"), (_ES, "C2/S1")]
            + [(_CC, "C2/T1"), (_CC, "C2/S1"), (_CA, "C2")],
        },
    ),
    (
        outbound_trunk_released,
        {
            "S1": [(_SI, "C2/S1"), (_OR, "C2/S1"), (_DE, "C2/T1"), (_ES, "C2/T1")]
            + [(_CC, "C2/T1"), (_CC, "C2/S1"), (_CA, "C2")],
            "T1": [(_DE, "C2/T1"), (_ES, "C2/T1"), (_CC, "C2/T1")],
        },
    ),
    # the failed device is told it is out of service, then of its own departure only
    (
        port_failure_mid_call,
        {
            "S1": [*_TWO_PARTY, ("OutOfService", "S1"), (_CC, "C2/S1")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_CC, "C2/S1"), (_CC, "C2/S2"), (_CA, "C2")],
        },
    ),
    (
        port_failure_held_and_consulting,
        {
            "S1": [*_TWO_PARTY, *_CONSULT_S3, ("OutOfService", "S1"), (_CC, "C2/S1"), (_CC, "C3/S1")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_HE, "C2/S1"), (_CC, "C2/S1"), (_CC, "C2/S2"), (_CA, "C2")],
            "S3": [(_DE, "C3/S3"), (_ES, "C3/S3"), (_CC, "C3/S1"), (_CC, "C3/S3"), (_CA, "C3")],
        },
    ),
    # the busy device is told of the Failed (its subject) and of nothing else of the call;
    # a caller alone in its call is told of its own clearing and the CallCleared
    (
        busy_destination_fails,
        {
            "S1": [(_SI, "C2/S1"), (_OR, "C2/S1"), ("Failed", "C2/S1"), (_CC, "C2/S1"), (_CA, "C2")],
            "BUSY": [("Failed", "C2/S1")],
        },
    ),
    (
        reconnect_after_consultation,
        {
            "S1": [*_TWO_PARTY, *_CONSULT_S3, (_CC, "C3/S1"), ("Retrieved", "C2/S1")],
            "S2": [(_DE, "C2/S2"), (_ES, "C2/S2"), (_HE, "C2/S1"), ("Retrieved", "C2/S1")],
            "S3": [(_DE, "C3/S3"), (_ES, "C3/S3"), (_CC, "C3/S1"), (_CC, "C3/S3"), (_CA, "C3")],
        },
    ),
]


@pytest.mark.parametrize(("scenario", "expected"), SCENARIOS, ids=[s.__name__ for s, _ in SCENARIOS])
def test_each_monitor_is_told_exactly(rig: Rig, scenario: Callable[[Rig], None], expected: Told) -> None:
    rig.drain()
    scenario(rig)
    events, _ = rig.drain()
    bystanders = tuple(d for d in ("S1", "S2", "S3", "S4", "T1", "T2", "Q", "R0", "BUSY") if d not in expected)
    assert told(events, tuple(expected)) == expected
    # devices not in the scenario (besides a busy subject) are told nothing
    assert told(events, bystanders) == {d: [] for d in bystanders}


def test_no_event_of_a_call_after_leaving_it_but_in_its_clear_call(make_rig: type[Rig]) -> None:
    """Rule 3 over every scenario: after a device's ConnectionCleared, Diverted or
    Transferred, later events of that call name it only when they belong to a ClearCall
    (ConnectionCleared/CallCleared at the same instant) it was in."""
    for scenario, _ in SCENARIOS:
        rig = make_rig()
        rig.drain()
        scenario(rig)
        events, _ = rig.drain()
        left: dict[tuple[str, str], float] = {}  # (call, device) -> when it left
        for event in events:
            call = event.cleared_call if isinstance(event, ev.CallCleared) else None
            ids = [v for f in dataclasses.fields(event) if isinstance(v := getattr(event, f.name), ConnectionID)]
            call = call or (ids[0].call_id if ids else None)
            if call is None:
                continue
            for device in event.involved_devices:
                when = left.get((call, device))
                if when is not None:
                    same_clearing = isinstance(event, (ev.ConnectionCleared, ev.CallCleared)) and event.time == when
                    assert same_clearing, f"{scenario.__name__}: {device} told {event} after leaving {call}"
            if isinstance(event, ev.ConnectionCleared):
                left.setdefault((call, event.dropped_connection.device_id), event.time)
            elif isinstance(event, ev.Diverted):
                left[(call, event.diverting_device)] = event.time
            elif isinstance(event, ev.Transferred):
                left[(call, event.transferring_device)] = event.time
