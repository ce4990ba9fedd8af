"""Random sequences of services and driver inputs on a small switch, with the call model's
invariants checked after every step."""

from __future__ import annotations

from functools import partial

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycti.errors import CstaError, ErrorValue
from pycti.switch.commands import MediaTopology
from pycti.switch.core import DeviceKind
from pycti.switch.events import CallCleared, ConnectionCleared, CstaEvent
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState

S = ConnectionState
NUMBERS = ("S1", "S2", "S3", "S4", "Q", "R1", "R2", "5550100", "", "T1", "S2", "S3")
DEVICES = ("S1", "S2", "S3", "S4", "T1", "T2", "Q", "R0", "R1", "R2", "BUSY", "NOPE")
STATIONS = ("S1", "S2", "S3", "S4", "NOPE", "T1")
TRUNKS = ("T1", "T2", "S1")
ACTIVE = {S.INITIATED, S.CONNECTED, S.FAIL}

ONE_CONN = {
    "answer_call": lambda c, x, d, n, t: c.answer_call(x, t),
    "clear_connection": lambda c, x, d, n, t: c.clear_connection(x, t),
    "clear_call": lambda c, x, d, n, t: c.clear_call(x.call_id, t),
    "hold_call": lambda c, x, d, n, t: c.hold_call(x, t),
    "retrieve_call": lambda c, x, d, n, t: c.retrieve_call(x, t),
    "consultation_call": lambda c, x, d, n, t: c.consultation_call(x, n, t),
    "single_step_transfer_call": lambda c, x, d, n, t: c.single_step_transfer_call(x, n, t),
    "deflect_call": lambda c, x, d, n, t: c.deflect_call(x, n, t),
    "directed_pickup_call": lambda c, x, d, n, t: c.directed_pickup_call(x, d, t),
    "generate_digits": lambda c, x, d, n, t: c.generate_digits(x, "5#", t),
}
TWO_CONN = {
    "alternate_call": lambda c, a, b, t: c.alternate_call(a, b, t),
    "reconnect_call": lambda c, a, b, t: c.reconnect_call(a, b, t),
    "transfer_call": lambda c, a, b, t: c.transfer_call(a, b, t),
    "conference_call": lambda c, a, b, t: c.conference_call(a, b, t),
}
DEVICE_INPUTS = {
    "make_call": lambda c, d, n, t: c.make_call(d, n, t),
    "incoming_call": lambda c, d, n, t: c.incoming_call(d, calling_number="5550199", called_number=n, now=t),
    "line_offhook": lambda c, d, n, t: c.line_offhook(d, t),
    "line_onhook": lambda c, d, n, t: c.line_onhook(d, t),
    "far_end_answered": lambda c, d, n, t: c.far_end_answered(d, t),
    "far_end_released": lambda c, d, n, t: c.far_end_released(d, t),
    "digits_detected": lambda c, d, n, t: c.digits_detected(d, n or "7", t),
    "group_pickup_call": lambda c, d, n, t: c.group_pickup_call(d, t),
    "port_failed": lambda c, d, n, t: c.port_failed(d, t),
    "set_in_service": lambda c, d, n, t: c.set_in_service(d, t),
}
DEVICE_CHOICES = {
    "line_offhook": STATIONS,
    "line_onhook": STATIONS,
    "far_end_answered": TRUNKS,
    "far_end_released": TRUNKS,
    "incoming_call": TRUNKS,
}
MOSTLY = st.sampled_from([True, True, True, True, False])
#: The state each one-connection service wants (most draws pick a connection in it).
PREFERRED = {
    "answer_call": {S.ALERTING},
    "hold_call": {S.CONNECTED},
    "retrieve_call": {S.HOLD},
    "consultation_call": {S.CONNECTED},
    "single_step_transfer_call": {S.CONNECTED},
    "deflect_call": {S.ALERTING, S.QUEUED},
    "directed_pickup_call": {S.ALERTING},
    "generate_digits": {S.CONNECTED},
    "clear_connection": set(S),
    "clear_call": set(S),
}
#: Building actions appear more often than destructive ones, so calls live long enough to
#: be held, consulted, transferred and conferenced.
ACTIONS = (
    sorted(ONE_CONN)
    + sorted(TWO_CONN) * 2
    + sorted(DEVICE_INPUTS)
    + ["make_call", "incoming_call", "answer_call", "consultation_call", "hold_call"] * 2
    + ["consult_and_answer"] * 4
)


def connection_ids(event: CstaEvent) -> list[ConnectionID]:
    """Every ConnectionID an event carries."""
    out = []
    for name in type(event).__dataclass_fields__:
        value = getattr(event, name)
        if isinstance(value, ConnectionID):
            out.append(value)
    return out


class Checker:
    """Tracks the output streams and checks the invariants after every step."""

    def __init__(self, rig) -> None:
        self.rig = rig
        self.topology: dict[str, tuple[str, ...]] = {}
        self.ended: set[str] = set()

    def absorb(self) -> None:
        events, commands = self.rig.drain()
        for event in events:
            assert event.time == self.rig.now
            assert event.devices(), event
            for cid in connection_ids(event):
                assert cid.call_id not in self.ended, f"{event} after CallCleared"
            if isinstance(event, ConnectionCleared):
                assert event.dropped_connection.device_id in event.devices()
            if isinstance(event, CallCleared):
                self.ended.add(event.cleared_call)
        for command in commands:
            if isinstance(command, MediaTopology):
                self.topology[command.call_id] = command.parties

    def check(self) -> None:
        self.absorb()
        core = self.rig.core
        live = set(core.calls())
        assert not (live & self.ended)
        per_device: dict[str, int] = {}
        for call_id in live:
            snap = core.snapshot_call(call_id)
            assert snap, f"call {call_id} alive with no connection"
            for device, cid, state in snap:
                assert cid == ConnectionID(call_id, device)
                assert state is not S.NULL
                assert (cid, state) in core.snapshot_device(device)
                per_device[device] = per_device.get(device, 0) + 1
            connected = tuple(d for d, _, s in snap if s is S.CONNECTED)
            assert self.topology.get(call_id, ()) == connected, call_id
        for call_id, parties in self.topology.items():
            if call_id not in live:
                assert parties == (), f"ended call {call_id} still has media {parties}"
        kinds = core.devices()
        for device, kind in kinds.items():
            snap = core.snapshot_device(device)
            assert len(snap) == per_device.get(device, 0)
            if kind is DeviceKind.STATION:
                assert sum(s in ACTIVE for _, s in snap) <= 1, f"{device} has two active calls: {snap}"
            if kind is DeviceKind.TRUNK:
                assert len(snap) <= 1
            if kind is DeviceKind.QUEUE:
                assert all(s is S.QUEUED for _, s in snap)
            if not core.is_in_service(device):
                assert snap == []


def live_connections(core) -> list[tuple[ConnectionID, ConnectionState]]:
    return [(cid, state) for call in core.calls() for _, cid, state in core.snapshot_call(call)]


def draw_connection(data, core, label: str, prefer: set[ConnectionState] = frozenset()) -> ConnectionID:
    """A live connection -- usually one in a ``prefer`` state -- or, now and then, any
    connection or one that does not exist."""
    conns = live_connections(core)
    fitting = [cid for cid, state in conns if state in prefer]
    if fitting and data.draw(MOSTLY, label=f"{label} fitting"):
        return data.draw(st.sampled_from(fitting), label=label)
    return data.draw(st.sampled_from([cid for cid, _ in conns] + [ConnectionID("C999", "S1")]), label=label)


def draw_pair(data, core) -> tuple[ConnectionID, ConnectionID]:
    """Two connections, usually of one device (held one first), as the pair services want."""
    shared = {}
    for cid, state in live_connections(core):
        shared.setdefault(cid.device_id, []).append((state is not S.HOLD, cid))
    pairs = [sorted(v) for v in shared.values() if len(v) >= 2]
    if pairs and data.draw(MOSTLY, label="same device"):
        chosen = data.draw(st.sampled_from(pairs), label="device pair")
        first, second = chosen[0][1], chosen[1][1]
        if data.draw(st.booleans(), label="swap"):
            first, second = second, first
        return first, second
    return draw_connection(data, core, "first"), draw_connection(data, core, "second")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_sequences_keep_invariants(make_rig, data) -> None:
    rig = make_rig()
    core = rig.core
    checker = Checker(rig)
    checker.check()
    for _ in range(data.draw(st.integers(5, 60), label="steps")):
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        number = data.draw(st.sampled_from(NUMBERS), label="number")
        now = rig.tick()
        if action in ONE_CONN:
            cid = draw_connection(data, core, "conn", PREFERRED[action])
            device = data.draw(st.sampled_from(DEVICES), label="device")
            steps = [partial(ONE_CONN[action], core, cid, device, number, now)]
        elif action in TWO_CONN:
            a, b = draw_pair(data, core)
            steps = [partial(TWO_CONN[action], core, a, b, now)]
        elif action == "consult_and_answer":
            cid = draw_connection(data, core, "conn", {S.CONNECTED})
            steps = [partial(core.consultation_call, cid, number, now), partial(answer_newest, core, now)]
        else:
            device = data.draw(st.sampled_from(DEVICE_CHOICES.get(action, DEVICES)), label="device")
            steps = [partial(DEVICE_INPUTS[action], core, device, number, now)]
        for step in steps:
            run_checked(rig, checker, action, step)


def answer_newest(core, now: float) -> None:
    """Answer the alerting connection of the newest call, if it has one."""
    calls = core.calls()
    if calls:
        for _, cid, state in core.snapshot_call(calls[-1]):
            if state is S.ALERTING and not cid.device_id.startswith("T"):
                core.answer_call(cid, now)
                return


def run_checked(rig, checker: Checker, action: str, step) -> None:
    """Run one input; a refusal must change nothing; the invariants must hold after it."""
    checker.absorb()
    before = rig.state()
    try:
        step()
    except CstaError as exc:
        assert isinstance(exc.error_value, ErrorValue) and exc.category is exc.error_value.category
        assert rig.state() == before, f"refused {action} changed the switch"
        assert rig.drain() == ([], [])
    checker.check()
