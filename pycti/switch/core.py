"""The ECMA-269 call model as a sans-I/O state machine.

:class:`SwitchCore` never reads a clock, a socket or a thread.  Services (ECMA-269 names in
snake_case) and physical inputs from drivers take ``now`` (seconds) and return what the
ECMA-269 positive response carries; the resulting CSTA events and driver/media commands are
drained, in order, with :meth:`SwitchCore.take_events` and :meth:`SwitchCore.take_commands`.

A refused service raises :class:`pycti.errors.CstaError` carrying the ECMA-269 error value
and changes nothing: no event, no command, no state.  Physical inputs are facts, not
requests: one that fits no connection of the device (an on-hook report from an idle phone)
is ignored and the call returns ``False``; they raise only for an unknown device or a device
of the wrong kind.

Call clearing: when a connection leaves a call and a single connection is left, that one is
cleared too (ConnectionCleared) and the call ends (CallCleared); a trunk left over is
released (ReleaseLine).  Calls of three or more parties go on without the one who left.  See
``docs/call-model.md`` for the event sequences.
"""

from __future__ import annotations

from pycti.switch import core_transfer as _xfer
from pycti.errors import CstaError, ErrorValue

from pycti.switch.agents import AgentRules, AgentTable
from pycti.switch.core_agents import AgentServices
from pycti.switch.core_network import NetworkTransferServices
from pycti.switch.commands import AnswerLine, Command, DialTone, SendDigits
from pycti.switch.dialling import DigitCollector, Dialled, TimerKind
from pycti.switch.dialplan import DialPlan
from pycti.switch.timers import TimerConfig, TimerSet
from pycti.switch.core_model import (
    ACTIVE_STATES,
    BUSY_STATES,
    CallModel,
    Connection,
    Destination,
    Device,
    DeviceKind,
)
from pycti.switch.events import (
    ConnectionCleared,
    CstaEvent,
    Established,
    Delivered,
    DigitsDetected,
    EventCause,
    ToneDetected,
)
from pycti.switch.ids import ConnectionID, IdSequence
from pycti.switch.states import ConnectionState, Input, allowed_states

__all__ = ["DeviceKind", "SwitchCore"]

_S = ConnectionState
_DIGITS = frozenset("0123456789*#ABCDabcd,")


class SwitchCore(AgentServices, NetworkTransferServices):
    """Devices, calls and connections of one switch, driven by services and driver inputs.

    Call ids are allocated deterministically (``C1``, ``C2`` ...), monitor cross-reference
    ids likewise (``M1`` ...).  ``default_route`` names the device that takes incoming trunk
    calls whose called number is not a device.
    """

    def __init__(self, *, default_route: str | None = None, dial_plan: DialPlan | None = None,
                 timers: TimerConfig | None = None, no_answer_forward: str | None = None,
                 agent_rules: AgentRules | None = None) -> None:
        """``dial_plan`` routes what stations dial (without one, a device id completes at
        once and anything else at the inter-digit timeout); ``timers`` sets the first-digit,
        inter-digit and ring-no-answer timeouts; a station that rings unanswered for
        ``ring_no_answer_ms`` is deflected to ``no_answer_forward``, or else leaves the call;
        ``agent_rules`` are the ACD agents' wrap-up and ring-out rules."""
        self._m = CallModel()
        self._m.default_route = default_route
        m = self._m
        self._dial = DigitCollector(
            dial_plan, timers or TimerConfig(),
            is_device=lambda d: d in m.devices and m.devices[d].kind is not DeviceKind.TRUNK,
            could_be_device=lambda d: any(k != d and k.startswith(d) for k in m.devices),
        )
        self.no_answer_forward = no_answer_forward
        self._timer_config = timers or TimerConfig()
        self._talked: set[ConnectionID] = set()  # station connections that were answered
        self._wrap_up: TimerSet[str] = TimerSet()  # station -> end of its wrap-up
        self._monitor_ids = IdSequence("M")
        self._monitors: dict[str, str] = {}  # cross-ref id -> device id
        self._agents = AgentTable(agent_rules)
        self._observed = 0  # events of _m.events the agent machine has seen (AgentServices)

    # -- output -------------------------------------------------------------------------
    def take_events(self) -> list[CstaEvent]:
        """Return and forget the CSTA events produced so far, oldest first."""
        self._sync_agents()
        events, self._m.events = self._m.events, []
        self._observed = 0
        wrap = bool(self._timer_config.wrap_up_ms)
        for ev in events:
            if not wrap:
                pass
            elif isinstance(ev, Established):
                if ev.established_connection.device_id in self._m.devices:
                    self._talked.add(ev.established_connection)
            elif isinstance(ev, ConnectionCleared) and ev.dropped_connection in self._talked:
                self._talked.discard(ev.dropped_connection)
                dev = self._m.devices.get(ev.dropped_connection.device_id)
                end = TimerConfig.deadline(ev.time, self._timer_config.wrap_up_ms)
                if dev is not None and dev.kind is DeviceKind.STATION and end is not None:
                    self._m.wrapping_up.add(dev.id)
                    self._wrap_up.set(dev.id, end)
            if isinstance(ev, Delivered):
                dev = self._m.devices.get(ev.alerting_device)
                if dev is not None and dev.kind in (DeviceKind.STATION, DeviceKind.TRUNK):
                    self._dial.ringing(ev.connection, ev.time)
        return events

    def is_dialling(self, device: str) -> bool:
        """Whether ``device`` has an initiated connection collecting digits."""
        dev = self._m.devices.get(device)
        return dev is not None and any(self._dial.collecting(c.cid) for c in dev.conns.values())

    # -- timers ---------------------------------------------------------------------------
    def next_timer(self) -> float | None:
        """When the core next needs :meth:`handle_timer` (seconds), None if never."""
        self._sync_agents()
        due = [
            t
            for t in (self._dial.next_deadline(), self._wrap_up.next_deadline(), self._agents.next_timer())
            if t is not None
        ]
        return min(due) if due else None

    def handle_timer(self, now: float) -> None:
        """Run the timers due at ``now``: first-digit timeout (the initiated connection is
        cleared), inter-digit timeout (what was dialled is routed or fails), ring no answer
        (deflected to ``no_answer_forward``, or the ringing connection leaves the call), end
        of wrap-up (a station that finished a call is offered calls again: during
        ``wrap_up_ms`` it counts as busy), end of an agent's after-call work."""
        m = self._m
        self._sync_agents()
        self._agents.handle_timer(now)
        m.events.extend(self._agents.take_events())
        self._observed = len(m.events)
        for station in self._wrap_up.pop_expired(now):
            m.wrapping_up.discard(station)  # wrap-up over: the station takes calls again
        for kind, cid in self._dial.expired(now):
            conn = m.calls[cid.call_id].conns.get(cid.device_id) if cid.call_id in m.calls else None
            if conn is None:
                self._dial.forget(cid)
                continue
            try:
                if kind == TimerKind.FIRST_DIGIT and conn.state is _S.INITIATED:
                    self._dial.forget(cid)
                    m.command(DialTone(device=conn.device.id, on=False))
                    self.clear_connection(cid, now)
                elif kind == TimerKind.INTER_DIGIT and conn.state is _S.INITIATED:
                    decided = self._dial.timed_out(cid)
                    if decided is not None:
                        self._route_dialled(conn, decided, now)
                        m.finish(now)
                elif kind == TimerKind.RING_NO_ANSWER and conn.state is _S.ALERTING:
                    forward = self.no_answer_forward if conn.device.kind is DeviceKind.STATION else None
                    if forward is not None and forward != conn.device.id:
                        self.deflect_call(cid, forward, now)
                    else:
                        self.clear_connection(cid, now)
            except CstaError:
                # the next step is impossible now (forward target busy ...): leave the call
                if conn.state is _S.ALERTING:
                    try:
                        self.clear_connection(cid, now)
                    except CstaError:
                        pass

    def _route_dialled(self, conn: Connection, decided: Dialled, now: float) -> None:
        """Route a completed dial string (``number`` None: it leads nowhere), or run the
        switch feature dialled."""
        digits, number = decided.digits, decided.number
        conn.call.called = digits
        if decided.feature is not None:
            self.dialled_feature(conn, decided.feature, now)
            return
        m = self._m
        call = conn.call
        call.called = digits
        dest: Destination | None = None
        if number is not None:
            try:
                dest = m.resolve(number, ErrorValue.INVALID_CALLED_DEVICE_ID, caller=conn.device)
            except CstaError:
                dest = None
        if dest is None:
            dest = Destination(None, fail_cause=EventCause.DEST_NOT_OBTAINABLE, number=digits)
        m.originate(call, conn, dest, now, EventCause.NEW_CALL)

    def take_commands(self) -> list[Command]:
        """Return and forget the driver/media commands produced so far, oldest first."""
        commands, self._m.commands = self._m.commands, []
        return commands

    # -- configuration ------------------------------------------------------------------
    def add_device(self, device_id: str, kind: DeviceKind, *, pickup_group: str | None = None) -> None:
        """Register a device; ``pickup_group`` (stations only) names its call-pickup group."""
        m = self._m
        m.require(
            isinstance(device_id, str) and bool(device_id) and not any(ch.isspace() for ch in device_id),
            ErrorValue.INVALID_DEVICE_ID,
            f"bad device id {device_id!r}",
        )
        m.require(device_id not in m.devices, ErrorValue.INVALID_DEVICE_ID, f"{device_id} already exists")
        m.require(isinstance(kind, DeviceKind), ErrorValue.INVALID_OBJECT_TYPE, f"bad device kind {kind!r}")
        m.require(
            pickup_group is None or kind is DeviceKind.STATION,
            ErrorValue.INVALID_PARAMETER_VALUE,
            "only stations belong to pickup groups",
        )
        dev = Device(device_id, kind, pickup_group)
        m.devices[device_id] = dev
        if kind is DeviceKind.TRUNK:
            m.trunk_count += 1
            m.idle_trunks[device_id] = None

    def remove_device(self, device_id: str) -> None:
        """Forget an idle device (and its monitors); a device in a call is refused."""
        m = self._m
        dev = m.device(device_id)
        m.require(not dev.conns, ErrorValue.INVALID_DEVICE_STATE, f"{device_id} has connections")
        del m.devices[device_id]
        if dev.kind is DeviceKind.TRUNK:
            m.trunk_count -= 1
            m.idle_trunks.pop(device_id, None)
        if m.default_route == device_id:
            m.default_route = None
        for xref in [x for x, d in self._monitors.items() if d == device_id]:
            del self._monitors[xref]

    def set_default_route(self, device_id: str | None) -> None:
        """Send incoming calls for unknown numbers to ``device_id`` (None: they fail)."""
        if device_id is not None:
            self._m.device(device_id)
        self._m.default_route = device_id

    def set_out_of_service(self, device_id: str, now: float) -> None:
        """Take a device out of service (maintenance): OutOfService (cause maintenance) when
        it was in service, then its connections are cleared (cause maintenance); it refuses
        new calls until :meth:`set_in_service`."""
        self._fail_device(device_id, now, EventCause.MAINTENANCE)

    def set_in_service(self, device_id: str, now: float | None = None) -> None:
        """Put a device back in service (BackInService when it was out of service): it makes
        and takes calls again.  ``now`` defaults to the time of the latest input."""
        m = self._m
        at = m.last_now if now is None else now
        m.back_in_service(m.device(device_id), at)
        m.finish(at)

    def port_failed(self, device_id: str, now: float) -> None:
        """A driver reports the port dead: as :meth:`set_out_of_service`, cause
        resourcesNotAvailable (OutOfService included); no command is sent to the dead port."""
        self._fail_device(device_id, now, EventCause.RESOURCES_NOT_AVAILABLE)

    def _fail_device(self, device_id: str, now: float, cause: EventCause) -> None:
        m = self._m
        m.out_of_service(m.device(device_id), now, cause)
        m.finish(now)

    # -- call control services (ECMA-269 clause 17) --------------------------------------
    def make_call(self, calling_device: str, called_directory_number: str, now: float) -> ConnectionID:
        """Call ``called_directory_number`` from ``calling_device`` (a station or a route).

        A station is put off-hook hands-free (AnswerLine).  Events: ServiceInitiated and
        Originated (cause makeCall), then Delivered or Queued -- or, when the called device
        is busy, out of service or unreachable, Failed (the calling connection stays in the
        fail state until it is cleared).  A number that is not a device goes out on the
        first idle trunk (SeizeTrunk).  Returns the calling device's connection.
        """
        m = self._m
        dev = m.device(calling_device, ErrorValue.INVALID_CALLING_DEVICE_ID)
        m.require(
            dev.kind in (DeviceKind.STATION, DeviceKind.ROUTE),
            ErrorValue.REQUEST_INCOMPATIBLE_WITH_CALLING_DEVICE,
            f"{dev.id} cannot originate",
        )
        m.require(dev.in_service, ErrorValue.CALLING_DEVICE_OUT_OF_SERVICE, f"{dev.id} is out of service")
        m.require(
            dev.kind is not DeviceKind.STATION or not m.has_state(dev, BUSY_STATES),
            ErrorValue.INVALID_CALLING_DEVICE_STATE,
            f"{dev.id} is busy",
        )
        dest = m.resolve(called_directory_number, ErrorValue.INVALID_CALLED_DEVICE_ID, caller=dev)

        conn = m.initiate(dev, called_directory_number, now, EventCause.MAKE_CALL)
        if dev.kind is DeviceKind.STATION:
            m.command(AnswerLine(device=dev.id))
        m.originate(conn.call, conn, dest, now, EventCause.MAKE_CALL)
        m.finish(now)
        return conn.cid

    def answer_call(self, call_to_be_answered: ConnectionID, now: float) -> None:
        """Answer an alerting call at a station (hands-free: AnswerLine) or route point.
        Event: Established (cause newCall); an incoming trunk is taken off-hook."""
        m = self._m
        conn = m.conn(call_to_be_answered)
        m.check(conn, Input.ANSWER_CALL)
        dev = conn.device
        m.require(
            dev.kind in (DeviceKind.STATION, DeviceKind.ROUTE),
            ErrorValue.REQUEST_INCOMPATIBLE_WITH_CONNECTION,
            f"{conn.cid}: only the far end answers a trunk",
        )
        self._m.no_other_active(dev, conn)
        m.change(conn, Input.ANSWER_CALL)
        if dev.kind is DeviceKind.STATION:
            m.command(AnswerLine(device=dev.id))
        self._established(conn, now, EventCause.NEW_CALL)
        m.finish(now)

    def clear_connection(self, connection_to_be_cleared: ConnectionID, now: float) -> None:
        """Drop one device from its call (ConnectionCleared, cause normalClearing); a
        two-party call then ends (see the module docstring)."""
        m = self._m
        conn = m.conn(connection_to_be_cleared)
        m.check(conn, Input.CLEAR_CONNECTION)
        m.remove(conn, Input.CLEAR_CONNECTION, now, EventCause.NORMAL_CLEARING)
        m.finish(now)

    def clear_call(self, call_to_be_cleared: str | ConnectionID, now: float) -> None:
        """Release every device of a call: a ConnectionCleared each, then CallCleared."""
        m = self._m
        call = m.call(call_to_be_cleared)
        for conn in call.conns.values():
            m.check(conn, Input.CLEAR_CALL)
        for conn in list(call.conns.values()):
            m.remove(conn, Input.CLEAR_CALL, now, EventCause.NORMAL_CLEARING)
        m.finish(now)

    def hold_call(self, call_to_be_held: ConnectionID, now: float) -> None:
        """Put a connected call on hold at its station/route (Held, cause normal)."""
        m = self._m
        conn = m.conn(call_to_be_held)
        m.check(conn, Input.HOLD_CALL)
        self._m.controllable(conn)
        self._hold(conn, Input.HOLD_CALL, now, EventCause.NORMAL)
        m.finish(now)

    def retrieve_call(self, call_to_be_retrieved: ConnectionID, now: float) -> None:
        """Take a held call off hold (Retrieved, cause normal); refused with
        connectedCallExists while the station has another active call."""
        m = self._m
        conn = m.conn(call_to_be_retrieved)
        m.check(conn, Input.RETRIEVE_CALL)
        self._m.no_other_active(conn.device, conn)
        self._retrieve(conn, Input.RETRIEVE_CALL, now, EventCause.NORMAL)
        m.finish(now)

    def alternate_call(self, held_call: ConnectionID, active_call: ConnectionID, now: float) -> None:
        """Swap: hold ``active_call`` and retrieve ``held_call`` (ECMA argument order:
        heldCall, activeCall).  Events: Held then Retrieved, cause alternate."""
        m = self._m
        held, active = self._pair(held_call, active_call, Input.ALTERNATE_HELD, Input.ALTERNATE_ACTIVE)
        self._m.controllable(active)
        self._hold(active, Input.ALTERNATE_ACTIVE, now, EventCause.ALTERNATE)
        self._retrieve(held, Input.ALTERNATE_HELD, now, EventCause.ALTERNATE)
        m.finish(now)

    def reconnect_call(self, active_call: ConnectionID, held_call: ConnectionID, now: float) -> None:
        """Clear ``active_call`` and retrieve ``held_call`` (ECMA order: activeCall,
        heldCall).  Events: ConnectionCleared (and the call's end), then Retrieved."""
        m = self._m
        active, held = self._pair(
            active_call,
            held_call,
            Input.RECONNECT_ACTIVE,
            Input.RECONNECT_HELD,
            errors=(ErrorValue.INVALID_ACTIVE_CONNECTION_ID, ErrorValue.INVALID_HELD_CONNECTION_ID),
        )
        m.remove(active, Input.RECONNECT_ACTIVE, now, EventCause.NORMAL_CLEARING)
        m.settle(active.call, now)
        self._retrieve(held, Input.RECONNECT_HELD, now, EventCause.NORMAL)
        m.finish(now)

    def consultation_call(
        self, existing_call: ConnectionID, consulted_device: str, now: float
    ) -> ConnectionID:
        """See :func:`pycti.switch.core_transfer.consultation_call`."""
        result = _xfer.consultation_call(self._m, existing_call, consulted_device, now)
        self._m.finish(now)
        return result

    def transfer_call(self, held_call: ConnectionID, active_call: ConnectionID, now: float) -> ConnectionID:
        """See :func:`pycti.switch.core_transfer.transfer_call`."""
        result = _xfer.transfer_call(self._m, held_call, active_call, now)
        self._m.finish(now)
        return result

    def conference_call(self, held_call: ConnectionID, active_call: ConnectionID, now: float) -> ConnectionID:
        """See :func:`pycti.switch.core_transfer.conference_call`."""
        result = _xfer.conference_call(self._m, held_call, active_call, now)
        self._m.finish(now)
        return result

    def single_step_transfer_call(
        self, active_call: ConnectionID, transferred_to: str, now: float
    ) -> ConnectionID:
        """See :func:`pycti.switch.core_transfer.single_step_transfer_call`."""
        result = _xfer.single_step_transfer_call(self._m, active_call, transferred_to, now)
        self._m.finish(now)
        return result

    def deflect_call(self, call_to_be_diverted: ConnectionID, new_destination: str, now: float) -> None:
        """See :func:`pycti.switch.core_transfer.deflect_call`."""
        _xfer.deflect_call(self._m, call_to_be_diverted, new_destination, now)
        self._m.finish(now)

    def deflect_call_to_all(self, call_to_be_diverted: ConnectionID, new_destinations: tuple[str, ...],
                            now: float) -> None:
        """See :func:`pycti.switch.core_transfer.deflect_call_to_all` (ring-all)."""
        _xfer.deflect_call_to_all(self._m, call_to_be_diverted, tuple(new_destinations), now)
        self._m.finish(now)

    def single_step_conference_call(self, active_call: ConnectionID, device_to_join: str, now: float, *,
                                    participation: str = "active") -> ConnectionID:
        """See :func:`pycti.switch.core_transfer.single_step_conference_call` (barge-in,
        monitoring, whisper)."""
        result = _xfer.single_step_conference_call(self._m, active_call, device_to_join, participation, now)
        self._m.finish(now)
        return result

    def set_participation(self, joined: ConnectionID, participation: str, now: float) -> None:
        """See :func:`pycti.switch.core_transfer.set_participation`."""
        _xfer.set_participation(self._m, joined, participation, now)
        self._m.finish(now)

    def alert_also(self, alerting: ConnectionID, destination: str, now: float) -> ConnectionID:
        """See :func:`pycti.switch.core_transfer.alert_also` (ring progressively)."""
        result = _xfer.alert_also(self._m, alerting, destination, now)
        self._m.finish(now)
        return result

    def directed_pickup_call(
        self, call_to_be_picked_up: ConnectionID | str, requesting_device: str, now: float
    ) -> ConnectionID:
        """See :func:`pycti.switch.core_transfer.directed_pickup_call`."""
        result = _xfer.directed_pickup_call(self._m, call_to_be_picked_up, requesting_device, now)
        self._m.finish(now)
        return result

    def group_pickup_call(
        self, new_destination: str, now: float, *, pick_group: str | None = None
    ) -> ConnectionID:
        """See :func:`pycti.switch.core_transfer.group_pickup_call`."""
        result = _xfer.group_pickup_call(self._m, new_destination, pick_group, now)
        self._m.finish(now)
        return result

    def generate_digits(
        self, connection_to_send_digits: ConnectionID, characters_to_send: str, now: float
    ) -> None:
        """Send DTMF on a connected connection (command SendDigits to the media plane).
        ``characters_to_send``: 0-9 * # A-D, ``,`` for a pause."""
        m = self._m
        conn = m.conn(connection_to_send_digits)
        m.check(conn, Input.GENERATE_DIGITS)
        m.require(
            isinstance(characters_to_send, str)
            and bool(characters_to_send)
            and set(characters_to_send) <= _DIGITS,
            ErrorValue.INVALID_PARAMETER_VALUE,
            f"not DTMF characters: {characters_to_send!r}",
        )
        m.change(conn, Input.GENERATE_DIGITS)
        m.command(SendDigits(device=conn.device.id, digits=characters_to_send))
        m.finish(now)

    # -- status and monitoring ------------------------------------------------------------
    def snapshot_device(self, snapshot_object: str) -> list[tuple[ConnectionID, ConnectionState]]:
        """The device's connections and their states, oldest first."""
        dev = self._m.device(snapshot_object)
        return [(c.cid, c.state) for c in dev.conns.values()]

    def snapshot_call(
        self, snapshot_object: str | ConnectionID
    ) -> list[tuple[str, ConnectionID, ConnectionState]]:
        """The call's devices, connections and states, in order of joining."""
        call = self._m.call(snapshot_object)
        return [(d, c.cid, c.state) for d, c in call.conns.items()]

    def calls(self) -> list[str]:
        """Ids of the calls alive now, oldest first."""
        return list(self._m.calls)

    def devices(self) -> dict[str, DeviceKind]:
        """Every device id and its kind."""
        return {d: dev.kind for d, dev in self._m.devices.items()}

    def is_in_service(self, device_id: str) -> bool:
        """Whether the device accepts calls."""
        return self._m.device(device_id).in_service

    def monitor_start(self, monitor_object: str) -> str:
        """Start a device monitor; returns its cross-reference id.  The core keeps the
        bookkeeping only: route events with :meth:`CstaEvent.devices` and
        :meth:`monitored_device`."""
        self._m.device(monitor_object, ErrorValue.INVALID_MONITOR_OBJECT)
        xref = self._monitor_ids.allocate()
        self._monitors[xref] = monitor_object
        return xref

    def monitor_stop(self, cross_ref_identifier: str) -> None:
        """Stop a monitor; an unknown cross-reference id is invalidMonitorCrossRefID."""
        self._m.require(
            cross_ref_identifier in self._monitors,
            ErrorValue.INVALID_MONITOR_CROSS_REF_ID,
            f"no monitor {cross_ref_identifier!r}",
        )
        del self._monitors[cross_ref_identifier]

    def monitored_device(self, cross_ref_identifier: str) -> str:
        """The device a monitor watches."""
        self._m.require(
            cross_ref_identifier in self._monitors,
            ErrorValue.INVALID_MONITOR_CROSS_REF_ID,
            f"no monitor {cross_ref_identifier!r}",
        )
        return self._monitors[cross_ref_identifier]

    # -- physical inputs from drivers ------------------------------------------------------
    def incoming_call(
        self, trunk: str, *, calling_number: str, called_number: str, now: float,
        route_to: str | None = None,
    ) -> ConnectionID:
        """The central office seized idle ``trunk`` for ``called_number`` (the DNIS, kept as
        the call's called device).

        The trunk's connection (the external party) is connected; the device the call goes
        to -- ``route_to`` (DNIS routing), else the device whose id is ``called_number``,
        else the default route -- is alerted
        (Delivered; RingStation for a station) or queued (Queued).  A busy, out-of-service
        or unknown destination gives Failed and leaves the trunk connection in the fail
        state.  The trunk is taken off-hook (AnswerLine) when a device answers.  Returns the
        trunk's connection.
        """
        m = self._m
        dev = m.device(trunk)
        m.require(dev.kind is DeviceKind.TRUNK, ErrorValue.REQUEST_INCOMPATIBLE_WITH_DEVICE, f"{trunk} is not a trunk")
        m.require(dev.in_service, ErrorValue.DEVICE_OUT_OF_SERVICE, f"{trunk} is out of service")
        m.require(not dev.conns, ErrorValue.INVALID_DEVICE_STATE, f"{trunk} is already in a call")
        if route_to is not None:
            m.device(route_to, ErrorValue.INVALID_DESTINATION_DEVICE_ID)
        target = route_to or (called_number if called_number in m.devices else m.default_route)
        if target is not None and m.devices[target].kind is DeviceKind.TRUNK:
            target = None
        dest = m.resolve(target, ErrorValue.INVALID_CALLED_DEVICE_ID) if target is not None else None

        call = m.new_call(calling_number, called_number)
        call.pending_answer = dev.id
        conn = m.create(call, dev, Input.JOIN)
        if dest is None:
            dest = Destination(None, fail_cause=EventCause.DEST_NOT_OBTAINABLE, number=called_number)
        m.deliver(call, dest, now, EventCause.NEW_CALL, calling=conn)
        m.finish(now)
        return conn.cid

    def line_offhook(self, device: str, now: float) -> bool:
        """A station lifts its handset (or flashes the hook while holding a call): answers
        its alerting call (Established), else -- if it has no active call -- starts a new
        call (ServiceInitiated; dial it with :meth:`digits_detected`).  A station already
        in an active call is off-hook already: ignored."""
        m = self._m
        dev = self._m.device_of_kind(device, DeviceKind.STATION)
        alerting = next((c for c in dev.conns.values() if c.state is _S.ALERTING), None)
        if alerting is not None:
            self._m.no_other_active(dev, alerting)
            m.change(alerting, Input.OFFHOOK_ANSWER)
            self._established(alerting, now, EventCause.NEW_CALL)
        elif dev.in_service and not m.has_state(dev, ACTIVE_STATES):
            conn = m.initiate(dev, "", now, EventCause.NEW_CALL)
            self._dial.start(conn.cid, now)
            m.command(DialTone(device=dev.id, on=True))
        else:
            return False
        m.finish(now)
        return True

    def line_onhook(self, device: str, now: float) -> bool:
        """A station hangs up: all its connections except ringing ones are cleared."""
        return self._release_all(
            self._m.device_of_kind(device, DeviceKind.STATION), Input.ONHOOK, now, EventCause.NORMAL_CLEARING
        )

    def far_end_answered(self, trunk: str, now: float) -> bool:
        """The called party answered an outbound call on ``trunk`` (Established)."""
        m = self._m
        dev = self._m.device_of_kind(trunk, DeviceKind.TRUNK)
        conn = next((c for c in dev.conns.values() if c.state is _S.ALERTING), None)
        if conn is None:
            return False
        m.change(conn, Input.FAR_END_ANSWER)
        self._established(conn, now, EventCause.NEW_CALL)
        m.finish(now)
        return True

    def far_end_released(
        self, trunk: str, now: float, cause: EventCause = EventCause.NORMAL_CLEARING
    ) -> bool:
        """The external party hung up (loop drop or busy tone detected on ``trunk``): its
        connections are cleared with ``cause`` and the trunk is put on-hook."""
        return self._release_all(
            self._m.device_of_kind(trunk, DeviceKind.TRUNK), Input.FAR_END_RELEASE, now, cause
        )

    def digits_detected(self, device: str, digits: str, now: float) -> bool:
        """Digits from a device: on an initiated connection they are the dialled number
        (Originated, then delivery as for make_call); on a connected one a DigitsDetected
        event (cause dTMFDigitDetected).  Otherwise ignored."""
        m = self._m
        dev = m.device(device)
        conn = next((c for c in dev.conns.values() if c.state in (_S.INITIATED, _S.CONNECTED)), None)
        if conn is None or not digits:
            return False
        call = conn.call
        if conn.state is _S.INITIATED:
            if not self._dial.collecting(conn.cid):
                return False  # a make_call connection: its number is already known
            if not self._dial.dialled_so_far(conn.cid):
                m.command(DialTone(device=dev.id, on=False))
            decided = self._dial.add(conn.cid, digits, now)
            if decided is not None:
                self._route_dialled(conn, decided, now)
        else:
            m.change(conn, Input.DIGITS_DETECTED)
            m.emit(
                DigitsDetected(
                    time=now,
                    cause=EventCause.DTMF_DIGIT_DETECTED,
                    involved_devices=m.devs(call),
                    calling_device=call.calling,
                    called_device=call.called,
                    connection=conn.cid,
                    device=dev.id,
                    digits=digits,
                )
            )
        m.finish(now)
        return True

    def tone_detected(self, device: str, tone: str, now: float) -> bool:
        """The audio ``device`` receives on its connected call holds ``tone`` (a fax or modem
        tone): a ToneDetected event (pycti extension, cause destDetected).  Otherwise ignored."""
        m = self._m
        dev = m.device(device)
        conn = next((c for c in dev.conns.values() if c.state is _S.CONNECTED), None)
        if conn is None:
            return False
        call = conn.call
        m.emit(ToneDetected(**m.header(call, now, EventCause.DEST_DETECTED), connection=conn.cid,
                            device=dev.id, tone=tone))
        m.finish(now)
        return True

    # -- helpers --------------------------------------------------------------------------
    def _pair(
        self,
        first: ConnectionID,
        second: ConnectionID,
        first_input: Input,
        second_input: Input,
        errors: tuple[ErrorValue, ErrorValue] = (ErrorValue.INVALID_HELD_CONNECTION_ID, ErrorValue.INVALID_ACTIVE_CONNECTION_ID),
    ) -> tuple[Connection, Connection]:
        m = self._m
        a = m.conn(first, errors[0])
        b = m.conn(second, errors[1])
        m.check(a, first_input)
        m.check(b, second_input)
        m.require(a.device is b.device, ErrorValue.NOT_SAME_DEVICE, f"{first} and {second} are on different devices")
        return a, b

    def _hold(self, conn: Connection, inp: Input, now: float, cause: EventCause) -> None:
        self._m.hold(conn, inp, now, cause)

    def _retrieve(self, conn: Connection, inp: Input, now: float, cause: EventCause) -> None:
        self._m.retrieve(conn, inp, now, cause)

    def _established(self, conn: Connection, now: float, cause: EventCause) -> None:
        self._m.establish(conn, now, cause)

    def _release_all(self, dev: Device, inp: Input, now: float, cause: EventCause) -> bool:
        m = self._m
        releasable = allowed_states(inp)
        gone = [c for c in dev.conns.values() if c.state in releasable]
        for conn in gone:
            m.remove(conn, inp, now, cause)
        m.finish(now)
        return bool(gone)
