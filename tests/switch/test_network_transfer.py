"""Single-step transfer of an external caller to an external number carried out by the
network (SIP REFER towards the carrier): the transferring device leaves, the trunk stays
alone in the call until its driver reports it released, and a refused request falls back to
the switch connecting the call through an outbound trunk."""

from __future__ import annotations

from pycti.switch.commands import ReleaseLine, SeizeTrunk
from pycti.switch.events import EventCause as E
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState as S

from .conftest import Rig


def _answered_at_route(rig: Rig) -> tuple[ConnectionID, ConnectionID]:
    t1 = rig.core.incoming_call("T1", calling_number="5550001", called_number="R1", now=rig.tick())
    r1 = ConnectionID(t1.call_id, "R1")
    rig.core.answer_call(r1, rig.tick())
    rig.drain()
    return t1, r1


def test_the_network_takes_the_caller_and_the_trunk_waits_for_its_release(rig: Rig) -> None:
    asked: list[tuple[str, str]] = []
    rig.core.network_transfer = lambda trunk, number: asked.append((trunk, number)) or True
    t1, r1 = _answered_at_route(rig)
    kept = rig.core.single_step_transfer_call(r1, "013800138000", rig.tick())
    events, commands = rig.drain()
    assert asked == [("T1", "013800138000")] and kept == t1
    assert rig.names(events) == ["Transferred"]
    (tr,) = events
    assert tr.transferring_device == "R1" and tr.transferred_to_device == "013800138000" and tr.cause is E.SINGLE_STEP_TRANSFER
    assert not any(isinstance(c, (SeizeTrunk, ReleaseLine)) for c in commands)  # no second trunk, T1 kept up
    assert rig.core.snapshot_call(t1.call_id) == [("T1", t1, S.CONNECTED)]
    rig.core.far_end_released("T1", rig.tick())  # the carrier took the call: the driver released T1
    events, _ = rig.drain()
    assert rig.names(events) == ["ConnectionCleared", "CallCleared"] and t1.call_id not in rig.core.calls()
    assert not rig.core.network_transfer_failed("T1", rig.tick())  # nothing left to fall back on


def test_without_the_network_the_switch_connects_the_call_itself(rig: Rig) -> None:
    rig.core.network_transfer = lambda trunk, number: False  # e.g. the carrier does not allow REFER
    t1, r1 = _answered_at_route(rig)
    rig.core.single_step_transfer_call(r1, "013800138000", rig.tick())
    events, commands = rig.drain()
    assert rig.names(events) == ["Transferred", "Delivered"]
    assert [c for c in commands if isinstance(c, SeizeTrunk)] == [SeizeTrunk(trunk="T2", number="013800138000")]


def test_a_refused_network_transfer_falls_back_to_an_outbound_trunk(rig: Rig) -> None:
    rig.core.network_transfer = lambda trunk, number: True
    t1, r1 = _answered_at_route(rig)
    rig.core.single_step_transfer_call(r1, "013800138000", rig.tick())
    rig.drain()
    assert rig.core.network_transfer_failed("T1", rig.tick())  # REFER answered 403, say
    events, commands = rig.drain()
    assert rig.names(events) == ["Delivered"] and events[0].cause is E.SINGLE_STEP_TRANSFER
    assert [c for c in commands if isinstance(c, SeizeTrunk)] == [SeizeTrunk(trunk="T2", number="013800138000")]
    assert [d for d, _, _ in rig.core.snapshot_call(t1.call_id)] == ["T1", "T2"]


def test_a_refused_network_transfer_with_no_trunk_free_clears_the_caller(rig: Rig) -> None:
    rig.core.network_transfer = lambda trunk, number: True
    t1, r1 = _answered_at_route(rig)
    rig.core.single_step_transfer_call(r1, "013800138000", rig.tick())
    rig.core.incoming_call("T2", calling_number="5550002", called_number="R2", now=rig.tick())  # T2 busy
    rig.drain()
    assert rig.core.network_transfer_failed("T1", rig.tick())
    events, commands = rig.drain()
    cleared = [e for e in events if type(e).__name__ == "ConnectionCleared"]
    assert cleared and cleared[0].dropped_connection == t1 and cleared[0].cause is E.TRUNKS_BUSY
    assert ReleaseLine(device="T1") in commands and t1.call_id not in rig.core.calls()


def test_only_a_lone_connected_external_party_is_transferred_by_the_network(rig: Rig) -> None:
    asked: list[tuple[str, str]] = []
    rig.core.network_transfer = lambda trunk, number: asked.append((trunk, number)) or True
    s1, s2 = rig.connect("S1", "S2")  # two stations: nobody in the network to ask
    rig.drain()
    rig.core.single_step_transfer_call(s2, "013800138000", rig.tick())
    events, commands = rig.drain()
    assert not asked and rig.names(events) == ["Transferred", "Delivered"]
    assert any(isinstance(c, SeizeTrunk) for c in commands)
