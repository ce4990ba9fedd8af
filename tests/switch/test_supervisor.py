"""Supervisors join calls by SingleStepConference: barge-in, silent monitoring, whisper; the
media topology says who only listens and who hears them."""

from __future__ import annotations

import pytest

from pycti.errors import CstaError, ErrorValue
from pycti.switch import events as ev
from pycti.switch.commands import MediaTopology

from .conftest import Rig


def _topologies(rig: Rig) -> list[MediaTopology]:
    return [c for c in rig.drain()[1] if isinstance(c, MediaTopology)]


@pytest.mark.parametrize(("participation", "listeners"), [
    ("active", ()), ("silent", (("S3", None),)), ("whisper", (("S3", "S1"),)),
])
def test_a_supervisor_joins_with_a_participation(rig: Rig, participation: str, listeners: tuple[object, ...]) -> None:
    agent, _ = rig.connect("S1", "S2")
    rig.drain()
    joined = rig.core.single_step_conference_call(agent, "S3", rig.tick(), participation=participation)
    events, commands = rig.drain()
    (conf,) = [e for e in events if isinstance(e, ev.Conferenced)]
    assert conf.cause is ev.EventCause.SINGLE_STEP_CONFERENCE and conf.secondary_old_call is None
    assert conf.participation == participation and conf.added_party == "S3" and joined.device_id == "S3"
    assert "S3" in conf.devices()
    (topo,) = [c for c in commands if isinstance(c, MediaTopology)]
    assert set(topo.parties) == {"S1", "S2", "S3"} and topo.listeners == listeners


def test_participation_changes_and_the_supervisor_leaving(rig: Rig) -> None:
    agent, _ = rig.connect("S1", "S2")
    joined = rig.core.single_step_conference_call(agent, "S3", rig.tick(), participation="silent")
    rig.drain()
    rig.core.set_participation(joined, "whisper", rig.tick())
    assert _topologies(rig)[-1].listeners == (("S3", "S1"),)
    rig.core.set_participation(joined, "active", rig.tick())
    assert _topologies(rig)[-1].listeners == ()
    rig.core.set_participation(joined, "silent", rig.tick())
    rig.drain()
    rig.core.clear_connection(joined, rig.tick())
    (topo,) = _topologies(rig)
    assert set(topo.parties) == {"S1", "S2"} and topo.listeners == ()


def test_refusals_change_nothing(rig: Rig) -> None:
    agent, _ = rig.connect("S1", "S2")
    rig.drain()
    before = rig.state()
    for device, participation, value in [
        ("BUSY", "silent", ErrorValue.INVALID_DEVICE_STATE),
        ("T1", "silent", ErrorValue.REQUEST_INCOMPATIBLE_WITH_DEVICE),
        ("S3", "loud", ErrorValue.INVALID_PARAMETER_VALUE),
    ]:
        with pytest.raises(CstaError) as err:
            rig.core.single_step_conference_call(agent, device, rig.tick(), participation=participation)
        assert err.value.error_value is value
    assert rig.state() == before and rig.drain() == ([], [])
