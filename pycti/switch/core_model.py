"""State and primitives of the switch core: devices, calls, connections, routing, clearing.

:class:`CallModel` holds everything :class:`pycti.switch.core.SwitchCore` knows and the few
mutating primitives the services are written with.  Every state change goes through
:meth:`CallModel.change`, which asks :func:`pycti.switch.states.transition`.  Services
validate everything first (lookups, :func:`transition` on every connection they will touch,
device rules) and only then call the primitives, which cannot fail: a refused service
changes nothing.

Per-call work is O(parties) and per-device work O(that device's connections): calls,
devices, connections, idle trunks, queue contents and the alerting calls of each pickup
group are all kept in dicts.

Every event is built in one place: here (their common fields by :meth:`CallModel.header`),
except Transferred, Conferenced and Diverted, which only the services of
:mod:`pycti.switch.core_transfer` report and which are built there, and DigitsDetected,
built by ``SwitchCore.digits_detected``.

Delivery rules (ECMA-269: a device monitor reports the events of a call while its device is
involved in the call).  An event's ``involved_devices`` -- the devices whose monitors are
told of it -- is :meth:`CallModel.devs` of its call at the moment of the event:

1. **Parties.**  Every device with a connection in the call when the event happens.  An
   event that takes a connection out of the call (ConnectionCleared, Diverted,
   Transferred) is computed just before the connection goes: the departing device is told
   of its own departure, alongside the parties that stay.
2. **Subjects.**  Plus the event's subject devices that have no connection in the call: a
   Failed event's failing device (a busy or out-of-service station), a Diverted event's
   new destination, a single-step Transferred event's transferred-to device.  They are told
   of that one event only (the last two then join the call and rule 1 covers them).
3. **Leaving ends the telling.**  Once a device's connection has left a call -- its
   ConnectionCleared, Diverted (deflect, pickup) or Transferred reported to it -- no later
   event of that call lists it: not the events of the parties that stay, not the clearing of
   the lone party a departure leaves, not the CallCleared.  (A device that joins the same
   call again, by a transfer or conference merging calls, is a party again.)
4. **ClearCall tells everyone everything.**  When a whole call is cleared -- the ClearCall
   service, or the switch clearing the lone connection a departure left (both through
   ``Input.CLEAR_CALL``) -- the devices in the call when that clearing begins are frozen as
   its audience: each of them is told of every ConnectionCleared of the clearing and of its
   CallCleared, including the parties cleared before the others.
5. **CallCleared** goes to the devices told of the ConnectionCleared of the call's last
   connection: the audience of rule 4, or -- when the last connection left by itself (a
   caller alone in its call hanging up) -- that device.  A call that ends by merging into
   another (transfer, conference) reports no CallCleared; its parties are told of the
   Transferred/Conferenced, which lists the devices of both calls.
6. **Consultation** calls are calls of their own: the parties of the held call are told of
   the Held, not of the consultation call's ServiceInitiated, Originated, Delivered ...
7. **Device maintenance** events (OutOfService, BackInService) are told to their device
   only; the clearing of its connections follows rules 1-5 (cause maintenance or
   resourcesNotAvailable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypedDict

from pycti.errors import CstaError, ErrorValue
from pycti.switch.commands import (
    AnswerLine,
    Command,
    MediaTopology,
    ReleaseLine,
    RingStation,
    SeizeTrunk,
    StopRinging,
)
from pycti.switch.events import (
    BackInService,
    CallCleared,
    ConnectionCleared,
    CstaEvent,
    Delivered,
    Established,
    EventCause,
    Failed,
    Held,
    Originated,
    OutOfService,
    Queued,
    Retrieved,
    ServiceInitiated,
)
from pycti.switch.ids import ConnectionID, IdSequence
from pycti.switch.numbers import NumberRole, parse_number
from pycti.switch.states import ConnectionState, Input, transition

__all__ = ["CallModel", "Destination", "DeviceKind", "EventHeader", "err"]

_S = ConnectionState

#: A station with a connection in one of these states is busy to a new call.
BUSY_STATES = frozenset({_S.INITIATED, _S.ALERTING, _S.CONNECTED, _S.FAIL})
#: A station with a connection in one of these states may not take a second active call.
ACTIVE_STATES = frozenset({_S.INITIATED, _S.CONNECTED, _S.FAIL})


class EventHeader(TypedDict):
    """The fields every event of a call starts with (:meth:`CallModel.header`)."""

    time: float
    cause: EventCause
    involved_devices: frozenset[str]
    calling_device: str
    called_device: str


def err(error_value: ErrorValue, detail: str) -> CstaError:
    """A :class:`CstaError` for ``error_value`` (its category comes with the value)."""
    return CstaError(error_value, detail)


class DeviceKind(Enum):
    """What a device is to the switch.

    * ``STATION`` -- an agent phone on a station port (rings, goes off/on-hook).
    * ``TRUNK`` -- an analog line to the central office; it stands for the external party.
    * ``QUEUE`` -- an ACD device: a call there is ``queued`` until deflected to an agent.
    * ``ROUTE`` -- a route point / IVR / virtual device an application answers itself; it can
      hold any number of calls.
    """

    STATION = "station"
    TRUNK = "trunk"
    QUEUE = "queue"
    ROUTE = "route"


class Device:
    """A device known to the switch (internal; snapshot it with the core's services)."""

    __slots__ = ("conns", "id", "in_service", "kind", "pickup_group")

    def __init__(self, device_id: str, kind: DeviceKind, pickup_group: str | None) -> None:
        self.id = device_id
        self.kind = kind
        self.pickup_group = pickup_group
        self.in_service = True
        self.conns: dict[str, Connection] = {}  # call id -> connection, oldest first


class Connection:
    """A non-null connection (internal)."""

    __slots__ = ("call", "cid", "device", "state")

    def __init__(self, call: Call, device: Device) -> None:
        self.cid = ConnectionID(call.id, device.id)
        self.call = call
        self.device = device
        self.state = _S.NULL


class Call:
    """A call (internal).  ``calling``/``called`` are device ids or external numbers."""

    __slots__ = (
        "called",
        "calling",
        "clear_cause",
        "clearing",
        "conns",
        "final_devices",
        "forked",
        "listened",
        "listeners",
        "id",
        "last_redirection",
        "lost",
        "merged",
        "network_number",
        "parties",
        "pending_answer",
    )

    def __init__(self, call_id: str, calling: str, called: str) -> None:
        self.id = call_id
        self.conns: dict[str, Connection] = {}  # device id -> connection, oldest first
        self.calling = calling
        self.called = called
        self.last_redirection: str | None = None
        self.parties: tuple[str, ...] = ()  # last MediaTopology sent
        self.lost = False  # a connection left: a lone survivor is cleared
        self.merged = False  # joined into another call by transfer/conference
        self.network_number: str | None = None  # the far end is being transferred there by the network
        self.pending_answer: str | None = None  # incoming trunk not yet taken off-hook
        #: stations alerting together for this call (ring-all): the first to answer gets it
        self.forked: set[str] = set()
        #: parties who only listen (single-step conference, silent or whisper) -> who hears them
        self.listeners: dict[str, str | None] = {}
        self.listened: tuple[tuple[str, str | None], ...] = ()  # last listeners sent
        self.clear_cause = EventCause.NORMAL_CLEARING
        #: The audience of a whole-call clearing under way (delivery rule 4), else None.
        self.clearing: frozenset[str] | None = None
        #: Who is told of the CallCleared: the audience of the last ConnectionCleared (rule 5).
        self.final_devices: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a dialled number leads: a device, an idle trunk, or a failure with its cause."""

    device: Device | None
    trunk: Device | None = None
    fail_cause: EventCause | None = None
    number: str = ""


class CallModel:
    """The switch's state and mutating primitives; see the module docstring."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.calls: dict[str, Call] = {}
        self.events: list[CstaEvent] = []
        self.commands: list[Command] = []
        self.call_ids = IdSequence("C")
        self.idle_trunks: dict[str, None] = {}
        self.trunk_count = 0
        self.group_alerting: dict[str, dict[ConnectionID, Connection]] = {}
        self.default_route: str | None = None
        self.wrapping_up: set[str] = set()  # stations in wrap-up after a call: busy to new calls
        #: (trunk, number) -> whether the trunk's far end was asked to call the number itself
        self.network_transfer: Callable[[str, str], bool] | None = None
        self._touched: dict[str, Call] = {}
        #: ``now`` of the latest input that finished (for inputs that may omit it).
        self.last_now = 0.0

    # -- lookups and checks (pure, raise CstaError) -----------------------------------------
    def device(self, device_id: object, error_value: ErrorValue = ErrorValue.INVALID_DEVICE_ID) -> Device:
        """The device called ``device_id``, or CstaError(error_value)."""
        dev = self.devices.get(device_id) if isinstance(device_id, str) else None
        if dev is None:
            raise err(error_value, f"no device {device_id!r}")
        return dev

    def conn(self, cid: object, error_value: ErrorValue = ErrorValue.INVALID_CONNECTION_ID) -> Connection:
        """The live connection ``cid``, or CstaError(error_value)."""
        if isinstance(cid, ConnectionID):
            call = self.calls.get(cid.call_id)
            if call is not None:
                found = call.conns.get(cid.device_id)
                if found is not None:
                    return found
        raise err(error_value, f"no connection {cid}")

    def call(self, call_id: object) -> Call:
        """The live call ``call_id`` (a call id or any ConnectionID of it)."""
        key = call_id.call_id if isinstance(call_id, ConnectionID) else call_id
        found = self.calls.get(key) if isinstance(key, str) else None
        if found is None:
            raise err(ErrorValue.INVALID_CALL_ID, f"no call {call_id}")
        return found

    @staticmethod
    def check(conn: Connection, inp: Input) -> ConnectionState:
        """The state ``inp`` takes ``conn`` to; CstaError when the table refuses."""
        return transition(conn.state, inp, subject=conn.cid)

    @staticmethod
    def require(ok: bool, error_value: ErrorValue, detail: str) -> None:
        """Raise CstaError(error_value) unless ``ok``."""
        if not ok:
            raise err(error_value, detail)

    @staticmethod
    def has_state(dev: Device, states: frozenset[ConnectionState], but: Connection | None = None) -> bool:
        """Whether ``dev`` has a connection other than ``but`` in one of ``states``."""
        return any(c.state in states and c is not but for c in dev.conns.values())

    def device_of_kind(self, device_id: str, kind: DeviceKind) -> Device:
        """The device ``device_id``, which must be of ``kind`` (requestIncompatibleWithDevice)."""
        dev = self.device(device_id)
        self.require(dev.kind is kind, ErrorValue.REQUEST_INCOMPATIBLE_WITH_DEVICE, f"{device_id} is not a {kind.value}")
        return dev

    def controllable(self, conn: Connection) -> None:
        """Only stations and route points answer, hold, consult, transfer and conference."""
        self.require(
            conn.device.kind in (DeviceKind.STATION, DeviceKind.ROUTE),
            ErrorValue.REQUEST_INCOMPATIBLE_WITH_CONNECTION,
            f"{conn.cid}: a {conn.device.kind.value} device cannot do this",
        )

    def no_other_active(self, dev: Device, conn: Connection) -> None:
        """A station has one active call at a time (connectedCallExists)."""
        if dev.kind is DeviceKind.STATION:
            self.require(
                not self.has_state(dev, ACTIVE_STATES, but=conn),
                ErrorValue.CONNECTED_CALL_EXISTS,
                f"{dev.id} already has an active call",
            )

    def resolve(
        self,
        number: object,
        error_value: ErrorValue,
        *,
        exclude: Call | None = None,
        caller: Device | None = None,
    ) -> Destination:
        """Where ``number`` leads now (pure).

        A device id leads to that device (busy if it is a busy station, the ``caller``
        itself or already in call ``exclude``; unreachable if out of service); any other number to the first idle
        trunk.  Raises CstaError(error_value) for an empty or malformed number or a trunk
        device dialled directly.
        """
        if not isinstance(number, str) or not number or any(ch.isspace() for ch in number):
            raise err(error_value, f"not a dialable number: {number!r}")
        dev = self.devices.get(number)
        if dev is not None:
            if dev.kind is DeviceKind.TRUNK:
                raise err(error_value, f"{number} is a trunk; dial an external number instead")
            if not dev.in_service:
                return Destination(dev, fail_cause=EventCause.DEST_OUT_OF_ORDER, number=number)
            busy = dev is caller or (exclude is not None and number in exclude.conns)
            if busy or (dev.kind is DeviceKind.STATION and (self.has_state(dev, BUSY_STATES) or dev.id in self.wrapping_up)):
                return Destination(dev, fail_cause=EventCause.BUSY, number=number)
            return Destination(dev, number=number)
        roles = {r.error_value: r for r in NumberRole}
        external = parse_number(number, role=roles.get(error_value, NumberRole.DESTINATION))
        if self.idle_trunks:
            trunk = self.devices[next(iter(self.idle_trunks))]
            return Destination(None, trunk=trunk, number=str(external))
        cause = EventCause.TRUNKS_BUSY if self.trunk_count else EventCause.DEST_NOT_OBTAINABLE
        return Destination(None, fail_cause=cause, number=number)

    def require_reachable(self, dest: Destination) -> None:
        """Refuse a redirection (deflect, single-step transfer) to an unreachable place."""
        cause = dest.fail_cause
        if cause is None:
            return
        if cause is EventCause.BUSY:
            raise err(ErrorValue.INVALID_DESTINATION_DEVICE_STATE, f"{dest.number} is busy")
        if cause is EventCause.DEST_OUT_OF_ORDER:
            raise err(ErrorValue.DESTINATION_DEVICE_OUT_OF_SERVICE, f"{dest.number} is out of service")
        if cause is EventCause.TRUNKS_BUSY:
            raise err(ErrorValue.NETWORK_BUSY, f"no idle trunk for {dest.number}")
        raise err(ErrorValue.INVALID_DESTINATION, f"{dest.number} is not a device and no trunk exists")

    # -- mutating primitives (cannot fail once the service has validated) -------------------
    def emit(self, event: CstaEvent) -> None:
        """Queue an event for take_events()."""
        self.events.append(event)

    def command(self, command: Command) -> None:
        """Queue a command for take_commands()."""
        self.commands.append(command)

    def touch(self, call: Call) -> None:
        """Mark ``call`` for clearing checks and MediaTopology at the end of the input."""
        self._touched[call.id] = call

    @staticmethod
    def devs(call: Call, *extra: str) -> frozenset[str]:
        """Devices told of an event of ``call`` now: its parties (or, while the call is being
        cleared as a whole, the clearing's audience) plus the subject devices ``extra``.
        See the delivery rules in the module docstring."""
        told = call.clearing if call.clearing is not None else frozenset(call.conns)
        return told.union(extra) if extra else told

    def header(
        self, call: Call, now: float, cause: EventCause, *subjects: str, told: frozenset[str] | None = None
    ) -> EventHeader:
        """The common fields of an event of ``call`` happening now: who is told (``told``,
        else :meth:`devs` of the call and ``subjects``) and the call's calling/called device."""
        return EventHeader(
            time=now,
            cause=cause,
            involved_devices=self.devs(call, *subjects) if told is None else told,
            calling_device=call.calling,
            called_device=call.called,
        )

    def new_call(self, calling: str, called: str) -> Call:
        """Allocate the next call id."""
        call = Call(self.call_ids.allocate(), calling, called)
        self.calls[call.id] = call
        self.touch(call)
        return call

    def initiate(self, dev: Device, called: str, now: float, cause: EventCause) -> Connection:
        """Start a new call at ``dev`` toward ``called``: its connection is initiated
        (ServiceInitiated with ``cause``).  Returns that connection."""
        call = self.new_call(dev.id, called)
        conn = self.create(call, dev, Input.INITIATE)
        self.emit(
            ServiceInitiated(
                **self.header(call, now, cause),
                initiated_connection=conn.cid,
                initiating_device=dev.id,
                local_connection_info=ConnectionState.INITIATED,
            )
        )
        return conn

    def change(self, conn: Connection, inp: Input) -> ConnectionState:
        """THE state change: look ``inp`` up in the table and apply its side effects
        (ringing a station on entering alerting, stopping it on leaving, pickup index)."""
        old = conn.state
        new = transition(old, inp, subject=conn.cid)
        if old is not new:
            dev = conn.device
            if dev.kind is DeviceKind.STATION:
                if old is _S.ALERTING:
                    self.command(StopRinging(device=dev.id))
                    if dev.pickup_group is not None:
                        self.group_alerting[dev.pickup_group].pop(conn.cid, None)
                elif new is _S.ALERTING:
                    self.command(RingStation(device=dev.id, calling_number=conn.call.calling))
                    if dev.pickup_group is not None:
                        self.group_alerting.setdefault(dev.pickup_group, {})[conn.cid] = conn
            conn.state = new
            self.touch(conn.call)
        return new

    def create(self, call: Call, dev: Device, inp: Input) -> Connection:
        """Give ``dev`` a connection to ``call`` through a creating input."""
        conn = Connection(call, dev)
        call.conns[dev.id] = conn
        dev.conns[call.id] = conn
        if dev.kind is DeviceKind.TRUNK:
            self.idle_trunks.pop(dev.id, None)
        self.change(conn, inp)
        return conn

    def remove(
        self, conn: Connection, inp: Input, now: float, cause: EventCause, *, report: bool = True
    ) -> None:
        """Take ``conn`` to null through ``inp``; report ConnectionCleared unless the
        service reports the departure itself (Transferred, Diverted ...).

        A station or trunk left with no connection is put on-hook (ReleaseLine) unless it
        went on-hook itself, failed, or was only ringing.
        """
        old = conn.state
        call, dev = conn.call, conn.device
        if inp is Input.CLEAR_CALL and call.clearing is None:
            call.clearing = frozenset(call.conns)  # delivery rule 4
        head = self.header(call, now, cause)
        self.change(conn, inp)
        del call.conns[dev.id]
        del dev.conns[call.id]
        call.lost = True
        call.clear_cause = cause
        if not call.conns:
            call.final_devices = head["involved_devices"]  # delivery rule 5
        if report:
            self.emit(
                ConnectionCleared(
                    **head,
                    dropped_connection=conn.cid,
                    releasing_device=dev.id,
                    local_connection_info=_S.NULL,
                )
            )
        if not dev.conns and dev.kind in (DeviceKind.STATION, DeviceKind.TRUNK):
            if dev.kind is DeviceKind.TRUNK and dev.in_service:
                self.idle_trunks[dev.id] = None
            own = inp is Input.ONHOOK or inp is Input.PORT_FAILURE
            if not own and not (old is _S.ALERTING and dev.kind is DeviceKind.STATION):
                self.command(ReleaseLine(device=dev.id))

    def move(self, conn: Connection, into: Call) -> Connection:
        """Move ``conn`` (state unchanged) into call ``into``; returns the new connection."""
        old_call, dev = conn.call, conn.device
        del old_call.conns[dev.id]
        del dev.conns[old_call.id]
        moved = Connection(into, dev)
        moved.state = conn.state
        into.conns[dev.id] = moved
        dev.conns[into.id] = moved
        if moved.state is _S.ALERTING and dev.pickup_group is not None:
            index = self.group_alerting[dev.pickup_group]
            index.pop(conn.cid, None)
            index[moved.cid] = moved
        self.touch(old_call)
        self.touch(into)
        return moved

    def answered(self, call: Call) -> None:
        """The call has been answered inside the switch: take an incoming trunk off-hook."""
        if call.pending_answer is not None:
            self.command(AnswerLine(device=call.pending_answer))
            call.pending_answer = None

    def take_forked(self, conn: Connection, now: float) -> None:
        """``conn`` answered a ring-all call: the other stations alerting for it are cleared
        (cause distributed)."""
        call = conn.call
        if conn.device.id not in call.forked:
            return
        others = [c for d, c in call.conns.items() if d in call.forked and c is not conn and c.state is _S.ALERTING]
        call.forked = set()
        for other in others:
            self.remove(other, Input.CLEAR_CONNECTION, now, EventCause.DISTRIBUTED)

    def establish(self, conn: Connection, now: float, cause: EventCause) -> None:
        """``conn`` has just been answered (it is connected): take an incoming trunk
        off-hook and report Established."""
        call = conn.call
        self.answered(call)
        self.emit(
            Established(
                **self.header(call, now, cause),
                established_connection=conn.cid,
                answering_device=conn.device.id,
                last_redirection_device=call.last_redirection,
                local_connection_info=_S.CONNECTED,
            )
        )
        if call.forked:
            self.take_forked(conn, now)

    def hold(self, conn: Connection, inp: Input, now: float, cause: EventCause) -> None:
        """Put ``conn`` on hold through ``inp`` (hold, alternate, consultation): Held."""
        self.change(conn, inp)
        call = conn.call
        self.emit(
            Held(
                **self.header(call, now, cause),
                held_connection=conn.cid,
                holding_device=conn.device.id,
                local_connection_info=_S.HOLD,
            )
        )

    def retrieve(self, conn: Connection, inp: Input, now: float, cause: EventCause) -> None:
        """Take ``conn`` off hold through ``inp`` (retrieve, alternate, reconnect): Retrieved."""
        self.change(conn, inp)
        call = conn.call
        self.emit(
            Retrieved(
                **self.header(call, now, cause),
                retrieved_connection=conn.cid,
                retrieving_device=conn.device.id,
                local_connection_info=_S.CONNECTED,
            )
        )

    def out_of_service(self, dev: Device, now: float, cause: EventCause) -> None:
        """Take ``dev`` out of service: OutOfService (when it was in service), then each of
        its connections is cleared with ``cause`` (nothing is sent to its port)."""
        if dev.in_service:
            dev.in_service = False
            self.emit(OutOfService(time=now, cause=cause, involved_devices=frozenset((dev.id,)), device=dev.id))
        self.idle_trunks.pop(dev.id, None)
        for conn in list(dev.conns.values()):
            self.remove(conn, Input.PORT_FAILURE, now, cause)

    def back_in_service(self, dev: Device, now: float) -> None:
        """Put ``dev`` back in service (BackInService when it was out): it makes and takes
        calls again; an idle trunk is offered for outbound calls again."""
        if not dev.in_service:
            dev.in_service = True
            self.emit(
                BackInService(time=now, cause=EventCause.NORMAL, involved_devices=frozenset((dev.id,)), device=dev.id)
            )
        if dev.kind is DeviceKind.TRUNK and not dev.conns:
            self.idle_trunks[dev.id] = None

    def originate(
        self, call: Call, calling: Connection, dest: Destination, now: float, cause: EventCause
    ) -> None:
        """Dialling is complete on ``calling`` (initiated): Originated, then delivery."""
        self.change(calling, Input.ORIGINATE)
        self.emit(
            Originated(
                **self.header(call, now, cause),
                originated_connection=calling.cid,
                local_connection_info=_S.CONNECTED,
            )
        )
        self.deliver(call, dest, now, EventCause.NEW_CALL, calling=calling)

    def deliver(
        self,
        call: Call,
        dest: Destination,
        now: float,
        cause: EventCause,
        *,
        calling: Connection | None = None,
    ) -> ConnectionID | None:
        """Offer ``call`` to ``dest``: alerting (Delivered), queued (Queued), an outbound
        trunk (SeizeTrunk + Delivered), or -- when ``dest`` failed -- ``calling`` goes to
        the fail state (Failed).  Returns the new connection's id, if any."""
        if dest.fail_cause is not None:
            assert calling is not None, "redirections validate reachability first"
            self.change(calling, Input.DESTINATION_FAILED)
            failing = dest.device.id if dest.device is not None else dest.number
            self.emit(
                Failed(
                    **self.header(call, now, dest.fail_cause, *((failing,) if dest.device else ())),
                    failed_connection=calling.cid,
                    failing_device=failing,
                    last_redirection_device=call.last_redirection,
                    local_connection_info=_S.FAIL,
                )
            )
            return None
        target = dest.device if dest.device is not None else dest.trunk
        assert target is not None
        if target.kind is DeviceKind.QUEUE:
            conn = self.create(call, target, Input.QUEUE)
            waiting = len(target.conns)
            self.emit(
                Queued(
                    **self.header(call, now, EventCause.ENTERING_DISTRIBUTION if cause is EventCause.NEW_CALL else cause),
                    queued_connection=conn.cid,
                    queue=target.id,
                    last_redirection_device=call.last_redirection,
                    number_queued=waiting,
                    calls_in_front=waiting - 1,
                    local_connection_info=_S.QUEUED,
                )
            )
            return conn.cid
        conn = self.create(call, target, Input.DELIVER)
        if target.kind is DeviceKind.TRUNK:
            self.command(SeizeTrunk(trunk=target.id, number=dest.number))
        head = self.header(call, now, cause)
        if target.kind is DeviceKind.TRUNK:
            head["called_device"] = dest.number
        self.emit(
            Delivered(
                **head,
                connection=conn.cid,
                alerting_device=target.id,
                last_redirection_device=call.last_redirection,
                local_connection_info=_S.ALERTING,
            )
        )
        return conn.cid

    def settle(self, call: Call, now: float) -> None:
        """Clear a call that a departure left with one connection; end an empty call."""
        if self.calls.get(call.id) is not call:
            return
        if call.lost and len(call.conns) == 1 and not call.merged and call.network_number is None:
            last = next(iter(call.conns.values()))
            self.remove(last, Input.CLEAR_CALL, now, call.clear_cause)
        elif call.lost and call.forked and not call.merged and set(call.conns) <= call.forked:
            # only ring-all stations are left: the caller has gone
            for conn in list(call.conns.values()):
                self.remove(conn, Input.CLEAR_CALL, now, call.clear_cause)
        if not call.conns:
            del self.calls[call.id]
            if not call.merged:
                self.emit(
                    CallCleared(
                        **self.header(call, now, call.clear_cause, told=call.final_devices),
                        cleared_call=call.id,
                    )
                )

    def finish(self, now: float) -> None:
        """End of an input: settle every touched call, then send MediaTopology changes
        (calls that lost parties first, so a device is never in two topologies)."""
        self.last_now = now
        touched = list(self._touched.values())
        for call in touched:
            self.settle(call, now)
        self._touched.clear()
        growing: list[tuple[Call, tuple[str, ...]]] = []
        for call in touched:
            conns = call.conns
            parties = tuple(d for d, c in conns.items() if c.state is _S.CONNECTED)
            for gone in [d for d in call.listeners if d not in conns]:
                del call.listeners[gone]
            listened = tuple((d, t) for d, t in call.listeners.items() if d in parties and (t is None or t in parties))
            if parties == call.parties and listened == call.listened:
                continue
            if set(call.parties).issubset(parties):
                growing.append((call, parties))
            else:
                call.parties, call.listened = parties, listened
                self.command(MediaTopology(call_id=call.id, parties=parties, listeners=listened))
        for call, parties in growing:
            listened = tuple((d, t) for d, t in call.listeners.items() if d in parties and (t is None or t in parties))
            call.parties, call.listened = parties, listened
            self.command(MediaTopology(call_id=call.id, parties=parties, listeners=listened))
