"""CallDataStore on its own: events in, call data out (no switch)."""

from __future__ import annotations

import pytest

from pycti.callcenter.calldata import CallDataError, CallDataStore
from pycti.switch import events as ev
from pycti.switch.ids import ConnectionID as C


def _cleared(conn: C, t: float) -> ev.ConnectionCleared:
    return ev.ConnectionCleared(time=t, cause=ev.EventCause.NORMAL_CLEARING, involved_devices=frozenset({conn.device_id}),
                                dropped_connection=conn, releasing_device=conn.device_id)


def test_transfer_into_another_call_rekeys_and_the_trunk_clearing_ends_it() -> None:
    store = CallDataStore()
    store.open("C1", caller="111", dnis="5551000", caller_device="T00", now_s=1.0)
    store.set_variables("C1", {"account": "4711"})
    store.add_digits("C1", "4711#")
    # TransferCall by 8001 whose held call is C7 (with 8002) and active call C1 (with the caller)
    store.observe(ev.Transferred(
        time=5.0, cause=ev.EventCause.TRANSFER, involved_devices=frozenset({"8001", "8002", "T00"}),
        primary_old_call=C("C7", "8001"), secondary_old_call=C("C1", "8001"), transferring_device="8001",
        transferred_to_device="T00",
        transferred_connections=(ev.ConnectionListEntry(new_connection=C("C7", "8002"), old_connection=C("C7", "8002"), endpoint="8002"),
                                 ev.ConnectionListEntry(new_connection=C("C7", "T00"), old_connection=C("C1", "T00"), endpoint="T00"))))
    data = store.get("C7")
    assert data is not None and data.call_ids == ("C1", "C7") and data.variables["account"] == "4711"
    assert store.get("C1") == data and len(store) == 1
    store.observe(ev.CallCleared(time=6.0, cause=ev.EventCause.NORMAL_CLEARING, involved_devices=frozenset(),
                                 cleared_call="C1"))  # the old id: nothing ends
    assert store.get("C7").ended_s is None  # type: ignore[union-attr]
    store.observe(_cleared(C("C7", "8002"), 7.0))  # not the caller
    assert store.get("C7").ended_s is None  # type: ignore[union-attr]
    store.observe(_cleared(C("C7", "T00"), 8.0))
    assert store.get("C7").ended_s == 8.0 and len(store) == 0  # type: ignore[union-attr]


def test_ended_entries_are_kept_up_to_the_limit() -> None:
    store = CallDataStore(keep_ended=2)
    for i in range(4):
        store.open(f"C{i}", caller=None, dnis=None, caller_device=f"T{i}", now_s=float(i))
        store.observe(_cleared(C(f"C{i}", f"T{i}"), float(i) + 0.5))
    assert [store.get(f"C{i}") is not None for i in range(4)] == [False, False, True, True]
    with pytest.raises(CallDataError, match="keep_ended must be >= 0"):
        CallDataStore(keep_ended=-1)
