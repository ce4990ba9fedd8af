"""A small switch for the call-model tests: stations, trunks, a queue and route points."""

from __future__ import annotations

import pytest

from pycti.switch.commands import Command, MediaTopology
from pycti.switch.core import DeviceKind, SwitchCore
from pycti.switch.events import CstaEvent
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState

STATIONS = ("S1", "S2", "S3", "S4")
TRUNKS = ("T1", "T2")
ROUTES = ("R0", "R1", "R2")


class Rig:
    """A SwitchCore with devices S1..S4 (S1-S3 in pickup group G), trunks T1, T2, queue Q,
    route points R0..R2 and an idle-but-busy station BUSY (off-hook, dialling)."""

    def __init__(self) -> None:
        self.core = SwitchCore()
        for s in STATIONS:
            self.core.add_device(s, DeviceKind.STATION, pickup_group="G" if s != "S4" else None)
        for t in TRUNKS:
            self.core.add_device(t, DeviceKind.TRUNK)
        for r in ROUTES:
            self.core.add_device(r, DeviceKind.ROUTE)
        self.core.add_device("Q", DeviceKind.QUEUE)
        self.core.add_device("BUSY", DeviceKind.STATION)
        self.now = 0.0
        self.core.line_offhook("BUSY", self.tick())
        self.drain()

    def tick(self) -> float:
        """Advance the test clock by one second and return it."""
        self.now += 1.0
        return self.now

    def drain(self) -> tuple[list[CstaEvent], list[Command]]:
        """Take everything the core produced."""
        return self.core.take_events(), self.core.take_commands()

    def state(self) -> tuple[object, ...]:
        """Everything observable: every call's and every device's snapshot."""
        core = self.core
        calls = tuple((c, tuple(core.snapshot_call(c))) for c in core.calls())
        devices = tuple((d, tuple(core.snapshot_device(d)), core.is_in_service(d)) for d in core.devices())
        return calls, devices

    def conn_state(self, cid: ConnectionID) -> ConnectionState:
        """State of ``cid`` (NULL when it no longer exists)."""
        return dict(self.core.snapshot_device(cid.device_id)).get(cid, ConnectionState.NULL)

    def call_from(self, caller: str, called: str) -> tuple[ConnectionID, ConnectionID]:
        """``caller`` calls ``called``; returns both connection ids (called alerting)."""
        calling = self.core.make_call(caller, called, self.tick())
        return calling, ConnectionID(calling.call_id, called)

    def connect(self, caller: str, called: str) -> tuple[ConnectionID, ConnectionID]:
        """A two-party connected call."""
        calling, answered = self.call_from(caller, called)
        self.core.answer_call(answered, self.tick())
        return calling, answered

    @staticmethod
    def names(events: list[CstaEvent]) -> list[str]:
        """Event class names, in order."""
        return [type(e).__name__ for e in events]

    @staticmethod
    def topology(commands: list[Command]) -> dict[str, tuple[str, ...]]:
        """The last MediaTopology per call in ``commands``."""
        return {c.call_id: c.parties for c in commands if isinstance(c, MediaTopology)}


@pytest.fixture
def rig() -> Rig:
    return Rig()


@pytest.fixture
def make_rig() -> type[Rig]:
    """The Rig class, for tests that need several fresh switches (hypothesis)."""
    return Rig
