"""Every event carries the calling and called device, the connection ids and a cause."""

from __future__ import annotations

import dataclasses

from pycti.switch import events as ev
from pycti.switch.core import DeviceKind, SwitchCore
from pycti.switch.ids import ConnectionID


def _all_events() -> list[ev.CstaEvent]:
    core = SwitchCore(default_route="IVR")
    for d in ("8001", "8002", "8003"):
        core.add_device(d, DeviceKind.STATION)
    core.add_device("T00", DeviceKind.TRUNK)
    core.add_device("IVR", DeviceKind.ROUTE)
    c1 = core.make_call("8001", "8002", now=0.0)
    core.answer_call(ConnectionID(c1.call_id, "8002"), now=1.0)
    core.hold_call(c1, now=2.0)
    core.retrieve_call(c1, now=3.0)
    c2 = core.consultation_call(c1, "8003", now=4.0)
    core.answer_call(ConnectionID(c2.call_id, "8003"), now=5.0)
    core.conference_call(c1, c2, now=6.0)
    core.clear_call(c1.call_id, now=7.0)
    t = core.incoming_call("T00", calling_number="5551234", called_number="IVR", now=8.0)
    core.answer_call(ConnectionID(t.call_id, "IVR"), now=9.0)
    core.digits_detected("T00", "5", now=10.0)
    core.single_step_transfer_call(ConnectionID(t.call_id, "IVR"), "8001", now=11.0)
    core.far_end_released("T00", now=12.0)
    return core.take_events()


def test_every_event_names_calling_called_connection_and_cause():
    events = _all_events()
    kinds = {type(e).__name__ for e in events}
    assert {"Delivered", "Established", "Held", "Retrieved", "ServiceInitiated", "Conferenced",
            "ConnectionCleared", "CallCleared", "DigitsDetected", "Transferred"} <= kinds
    for e in events:
        assert isinstance(e.cause, ev.EventCause), e
        assert e.calling_device, e
        assert e.called_device is not None, e
        if not isinstance(e, ev.CallCleared):
            ids = [v for f in dataclasses.fields(e) if isinstance(v := getattr(e, f.name), ConnectionID)]
            assert ids, f"{type(e).__name__} carries no connection id"
    trunk_events = [e for e in events if e.time >= 8.0]
    assert all(e.calling_device == "5551234" for e in trunk_events)


def test_an_event_on_a_monitor_is_the_event_with_only_its_cross_ref_changed():
    events = _all_events()
    for e in events:
        on = e.on_monitor("xref-7")
        assert on == dataclasses.replace(e, monitor_cross_ref_id="xref-7"), type(e).__name__
        assert type(on) is type(e) and on.monitor_cross_ref_id == "xref-7" and e.monitor_cross_ref_id is None
        assert hash(on) == hash(dataclasses.replace(e, monitor_cross_ref_id="xref-7"))
