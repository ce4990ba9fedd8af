"""Services that move a call between devices or join calls: consultation, transfer,
conference, single-step transfer, deflect and the pickups (ECMA-269 clause 17).

Functions of a :class:`CallModel`; :class:`pycti.switch.core.SwitchCore` exposes them as
methods.  Each validates everything before its first mutation.
"""

from __future__ import annotations

from pycti.errors import ErrorValue

from pycti.switch.commands import AnswerLine
from pycti.switch.core_model import (
    BUSY_STATES,
    Call,
    CallModel,
    Connection,
    Device,
    DeviceKind,
)
from pycti.switch.events import (
    Conferenced,
    ConnectionListEntry,
    Diverted,
    EventCause,
    Transferred,
)
from pycti.switch.ids import ConnectionID
from pycti.switch.states import ConnectionState, Input

__all__ = [
    "conference_call",
    "consultation_call",
    "deflect_call",
    "directed_pickup_call",
    "group_pickup_call",
    "network_transfer_failed",
    "single_step_transfer_call",
    "transfer_call",
]

_S = ConnectionState
_CONTROLLABLE = (DeviceKind.STATION, DeviceKind.ROUTE)


def consultation_call(m: CallModel, existing: ConnectionID, consulted: str, now: float) -> ConnectionID:
    """Hold ``existing`` (if connected) and call ``consulted`` from the same device.

    Returns the consultation call's connection of the consulting device (ECMA
    ``initiatedCall``).  Events: Held (cause consultation), ServiceInitiated, Originated,
    then Delivered/Queued -- or Failed when ``consulted`` is busy or unreachable.
    """
    conn = m.conn(existing)
    m.check(conn, Input.CONSULTATION_EXISTING)
    m.controllable(conn)
    dev = conn.device
    m.no_other_active(dev, conn)
    dest = m.resolve(consulted, ErrorValue.INVALID_CALLED_DEVICE_ID, caller=dev)

    if conn.state is _S.CONNECTED:
        m.hold(conn, Input.CONSULTATION_EXISTING, now, EventCause.CONSULTATION)
    new = m.initiate(dev, consulted, now, EventCause.CONSULTATION)
    m.originate(new.call, new, dest, now, EventCause.CONSULTATION)
    return new.cid


def _join_pair(
    m: CallModel, held: ConnectionID, active: ConnectionID, held_input: Input, active_input: Input
) -> tuple[Connection, Connection]:
    """Validate a (held, active) pair of one device for transfer/conference."""
    h = m.conn(held, ErrorValue.INVALID_HELD_CONNECTION_ID)
    a = m.conn(active, ErrorValue.INVALID_ACTIVE_CONNECTION_ID)
    m.check(h, held_input)
    m.check(a, active_input)
    m.require(h.device is a.device, ErrorValue.NOT_SAME_DEVICE, f"{held} and {active} are on different devices")
    m.controllable(h)
    dev_id = h.device.id
    shared = [d for d in a.call.conns if d != dev_id and d in h.call.conns]
    m.require(not shared, ErrorValue.NOT_DIFFERENT_DEVICES, f"{shared} already in both calls")
    return h, a


def _staying(call: Call) -> list[ConnectionListEntry]:
    """ConnectionList rows of the parties that stay in ``call`` (same id before and after)."""
    return [ConnectionListEntry(new_connection=c.cid, old_connection=c.cid, endpoint=d) for d, c in call.conns.items()]


def _merge(m: CallModel, into: Call, source: Call) -> tuple[tuple[ConnectionListEntry, ...], str]:
    """Move every connection of ``source`` into ``into``; return the ConnectionList of the
    resulting call (old and new ids) and the first party added."""
    entries = _staying(into)
    added = ""
    for d, c in list(source.conns.items()):
        moved = m.move(c, into)
        entries.append(ConnectionListEntry(new_connection=moved.cid, old_connection=c.cid, endpoint=d))
        added = added or d
    source.merged = True
    if into.pending_answer is None:
        into.pending_answer = source.pending_answer
    return tuple(entries), added


def transfer_call(m: CallModel, held: ConnectionID, active: ConnectionID, now: float) -> ConnectionID:
    """The device of ``held``/``active`` drops out; the other parties of both calls are
    joined in ``held``'s call.  One Transferred event (no ConnectionCleared for the
    transferring device, no CallCleared for the consultation call, which ends by merging).

    Returns the transferred-to party's connection in the resulting call.
    """
    h, a = _join_pair(m, held, active, Input.TRANSFER_HELD, Input.TRANSFER_ACTIVE)
    involved = m.devs(h.call).union(a.call.conns)
    m.remove(h, Input.TRANSFER_HELD, now, EventCause.TRANSFER, report=False)
    m.remove(a, Input.TRANSFER_ACTIVE, now, EventCause.TRANSFER, report=False)
    entries, added = _merge(m, h.call, a.call)
    _transferred(m, EventCause.TRANSFER, now, involved, h, a.cid, added, entries)
    return ConnectionID(h.call.id, added)


def _transferred(
    m: CallModel,
    cause: EventCause,
    now: float,
    involved: frozenset[str],
    primary: Connection,
    secondary: ConnectionID | None,
    to: str,
    entries: tuple[ConnectionListEntry, ...],
) -> None:
    """Report that ``primary``'s device left by a transfer (Transferred) to ``involved``:
    the devices of the call(s) before the departure (delivery rule 1 of core_model)."""
    m.emit(
        Transferred(
            **m.header(primary.call, now, cause, told=involved),
            primary_old_call=primary.cid,
            secondary_old_call=secondary,
            transferring_device=primary.device.id,
            transferred_to_device=to,
            transferred_connections=entries,
            local_connection_info=_S.NULL,
        )
    )


def conference_call(m: CallModel, held: ConnectionID, active: ConnectionID, now: float) -> ConnectionID:
    """Join ``held``'s call and ``active``'s call into one conference in ``held``'s call;
    the conferencing device is connected to it.  One Conferenced event.

    Returns the conferencing device's connection in the conference (ECMA
    ``conferenceCall``).
    """
    h, a = _join_pair(m, held, active, Input.CONFERENCE_HELD, Input.CONFERENCE_ACTIVE)
    dev = h.device
    involved = m.devs(h.call).union(a.call.conns)
    m.remove(a, Input.CONFERENCE_ACTIVE, now, EventCause.CONFERENCE, report=False)
    m.change(h, Input.CONFERENCE_HELD)
    entries, added = _merge(m, h.call, a.call)
    m.emit(
        Conferenced(
            **m.header(h.call, now, EventCause.CONFERENCE, told=involved),
            primary_old_call=h.cid,
            secondary_old_call=a.cid,
            conferencing_device=dev.id,
            added_party=added,
            conference_connections=entries,
            local_connection_info=_S.CONNECTED,
        )
    )
    return h.cid


def single_step_transfer_call(
    m: CallModel, active: ConnectionID, transferred_to: str, now: float
) -> ConnectionID:
    """Replace the device of ``active`` in its call by ``transferred_to`` (which is then
    alerted or queued).  Events: Transferred, then Delivered/Queued (cause
    singleStepTransfer, lastRedirectionDevice = the transferring device).

    A busy, out-of-service or unreachable ``transferred_to`` refuses the service.
    Returns the new connection of ``transferred_to``.
    """
    conn = m.conn(active, ErrorValue.INVALID_ACTIVE_CONNECTION_ID)
    m.check(conn, Input.SINGLE_STEP_TRANSFER)
    m.controllable(conn)
    call, dev = conn.call, conn.device
    dest = m.resolve(transferred_to, ErrorValue.INVALID_DESTINATION, exclude=call)
    m.require_reachable(dest)
    if dest.device is None:
        in_network = _transfer_in_network(m, conn, dest.number, now)
        if in_network is not None:
            return in_network
    target = dest.device if dest.device is not None else dest.trunk
    assert target is not None
    new_cid = ConnectionID(call.id, target.id)

    involved = m.devs(call, target.id)
    m.remove(conn, Input.SINGLE_STEP_TRANSFER, now, EventCause.SINGLE_STEP_TRANSFER, report=False)
    entries = _staying(call)
    entries.append(ConnectionListEntry(new_connection=new_cid, old_connection=None, endpoint=target.id))
    _transferred(m, EventCause.SINGLE_STEP_TRANSFER, now, involved, conn, None, target.id, tuple(entries))
    call.last_redirection = dev.id
    m.deliver(call, dest, now, EventCause.SINGLE_STEP_TRANSFER)
    return new_cid


def _transfer_in_network(m: CallModel, conn: Connection, number: str, now: float) -> ConnectionID | None:
    """Single-step transfer to an external ``number`` when the only other party is a
    connected trunk whose far end can be asked to call ``number`` itself (SIP REFER: the
    ``m.network_transfer`` hook, which asks the trunk's driver): the transferring device
    leaves (Transferred, to ``number``) and the trunk stays alone in the call, not cleared,
    until the driver reports it released (the network took the call over) or the request
    failed (:func:`network_transfer_failed`).  None when that is not possible: the switch
    then connects the call itself through an outbound trunk."""
    others = [c for c in conn.call.conns.values() if c is not conn]
    if (m.network_transfer is None or len(others) != 1 or others[0].device.kind is not DeviceKind.TRUNK
            or others[0].state is not _S.CONNECTED or not m.network_transfer(others[0].device.id, number)):
        return None
    call, far = conn.call, others[0]
    involved = m.devs(call)
    m.remove(conn, Input.SINGLE_STEP_TRANSFER, now, EventCause.SINGLE_STEP_TRANSFER, report=False)
    call.network_number = number
    _transferred(m, EventCause.SINGLE_STEP_TRANSFER, now, involved, conn, None, number, tuple(_staying(call)))
    call.last_redirection = conn.device.id
    return far.cid


def network_transfer_failed(m: CallModel, trunk: str, now: float) -> bool:
    """The far end of ``trunk`` did not take the transfer asked of it (REFER refused or the
    new call failed): the switch connects the call itself, delivering it to the number
    through an outbound trunk as a single-step transfer would have (cause
    singleStepTransfer); with no trunk free the call is cleared (trunksBusy).  False when
    ``trunk`` has no such call."""
    dev = m.device_of_kind(trunk, DeviceKind.TRUNK)
    call = next((c.call for c in dev.conns.values() if c.call.network_number is not None), None)
    if call is None:
        return False
    number, call.network_number = call.network_number, None
    assert number is not None
    dest = m.resolve(number, ErrorValue.INVALID_DESTINATION, exclude=call)
    if dest.fail_cause is not None:
        call.clear_cause = dest.fail_cause
        m.touch(call)  # settle clears the lone trunk
        return True
    m.deliver(call, dest, now, EventCause.SINGLE_STEP_TRANSFER)
    return True


def deflect_call(m: CallModel, conn_id: ConnectionID, new_destination: str, now: float) -> None:
    """Divert an alerting or queued call from its device to ``new_destination``.

    Events: Diverted (cause redirected), then Delivered/Queued at the new destination with
    lastRedirectionDevice = the diverting device.  A busy, out-of-service or unreachable
    destination refuses the service.
    """
    conn = m.conn(conn_id)
    m.check(conn, Input.DEFLECT_CALL)
    call = conn.call
    dest = m.resolve(new_destination, ErrorValue.INVALID_DESTINATION, exclude=call)
    m.require_reachable(dest)
    target = dest.device if dest.device is not None else dest.trunk
    assert target is not None

    _divert(m, conn, target.id, Input.DEFLECT_CALL, EventCause.REDIRECTED, now)
    m.deliver(call, dest, now, EventCause.REDIRECTED)


def deflect_call_to_all(m: CallModel, conn_id: ConnectionID, destinations: tuple[str, ...], now: float) -> None:
    """pycti extension (ring-all): divert an alerting or queued call to several stations at
    once.  Events: Diverted (to the first), then a Delivered at each; the first station to
    answer gets the call and the others are cleared (ConnectionCleared, cause distributed).
    Every destination must be a reachable station, or nothing happens."""
    conn = m.conn(conn_id)
    m.check(conn, Input.DEFLECT_CALL)
    m.require(
        isinstance(destinations, tuple) and len(destinations) >= 1 and len(set(destinations)) == len(destinations),
        ErrorValue.INVALID_DESTINATION,
        f"ring-all needs distinct destinations, got {destinations!r}",
    )
    call = conn.call
    dests = []
    for d in destinations:
        dest = m.resolve(d, ErrorValue.INVALID_DESTINATION, exclude=call)
        m.require_reachable(dest)
        m.require(dest.device is not None and dest.device.kind is DeviceKind.STATION,
                  ErrorValue.INVALID_DESTINATION, f"ring-all rings stations; {d} is not one")
        dests.append(dest)
    _divert(m, conn, destinations[0], Input.DEFLECT_CALL, EventCause.REDIRECTED, now)
    call.forked = set(destinations)
    for dest in dests:
        m.deliver(call, dest, now, EventCause.REDIRECTED)


#: How a device joins a call by SingleStepConference: ECMA-269's ParticipationType, plus
#: pycti's ``whisper`` (heard by the joined call's own device only: coaching an agent).
PARTICIPATIONS = ("active", "silent", "whisper")


def single_step_conference_call(m: CallModel, active: ConnectionID, device_to_join: str, participation: str,
                                now: float) -> ConnectionID:
    """Join ``device_to_join`` (an idle station, put off-hook hands-free) to ``active``'s call.

    ``participation`` ``active`` (barge-in: everybody hears everybody), ``silent`` (monitoring:
    the station hears the call and nobody hears it) or ``whisper`` (only ``active``'s device
    hears it).  Event: Conferenced (cause singleStepConference, no secondary old call).
    Returns the joined station's connection (ECMA ``conferencedCall``)."""
    m.require(participation in PARTICIPATIONS, ErrorValue.INVALID_PARAMETER_VALUE,
              f"participation must be one of {', '.join(PARTICIPATIONS)}, got {participation!r}")
    conn = m.conn(active)
    m.require(conn.state is ConnectionState.CONNECTED, ErrorValue.INVALID_CONNECTION_STATE,
              f"{active} is not connected")
    joiner = m.device(device_to_join, ErrorValue.INVALID_DEVICE_ID)
    m.require(joiner.kind is DeviceKind.STATION, ErrorValue.REQUEST_INCOMPATIBLE_WITH_DEVICE,
              f"{device_to_join} is not a station")
    m.require(joiner.in_service, ErrorValue.DEVICE_OUT_OF_SERVICE, f"{device_to_join} is out of service")
    m.require(not joiner.conns, ErrorValue.INVALID_DEVICE_STATE, f"{device_to_join} is busy")
    call = conn.call
    head = m.header(call, now, EventCause.SINGLE_STEP_CONFERENCE, joiner.id)
    new = m.create(call, joiner, Input.JOIN)
    m.command(AnswerLine(device=joiner.id))
    if participation != "active":
        call.listeners[joiner.id] = conn.device.id if participation == "whisper" else None
    m.touch(call)
    entries = tuple(ConnectionListEntry(new_connection=c.cid, old_connection=None if c is new else c.cid, endpoint=d)
                    for d, c in call.conns.items())
    m.emit(Conferenced(**head, primary_old_call=conn.cid, secondary_old_call=None, conferencing_device=joiner.id,
                       added_party=joiner.id, conference_connections=entries, local_connection_info=_S.CONNECTED,
                       participation=participation))
    return new.cid


def set_participation(m: CallModel, joined: ConnectionID, participation: str, now: float) -> None:
    """pycti extension: change how a station that joined by SingleStepConference takes part
    (e.g. a supervisor going from monitoring to whisper to barge-in).  The media follows at
    once; no event."""
    m.require(participation in PARTICIPATIONS, ErrorValue.INVALID_PARAMETER_VALUE,
              f"participation must be one of {', '.join(PARTICIPATIONS)}, got {participation!r}")
    conn = m.conn(joined)
    call = conn.call
    if participation == "active":
        call.listeners.pop(conn.device.id, None)
    else:
        heard_by = call.listeners.get(conn.device.id)
        if participation == "whisper" and heard_by is None:
            others = [d for d, c in call.conns.items() if d != conn.device.id and c.state is _S.CONNECTED
                      and m.devices[d].kind is DeviceKind.STATION]
            m.require(bool(others), ErrorValue.INVALID_CONNECTION_STATE, f"{joined}: no station to whisper to")
            heard_by = others[0]
        call.listeners[conn.device.id] = heard_by if participation == "whisper" else None
    m.touch(call)


def alert_also(m: CallModel, alerting: ConnectionID, destination: str, now: float) -> ConnectionID:
    """pycti extension (ring progressively): ring one more station for a call alerting at
    ``alerting``'s device.  Event: Delivered at ``destination``; the first station to answer
    gets the call and the others are cleared (cause distributed), as with ring-all."""
    conn = m.conn(alerting)
    m.require(conn.state is ConnectionState.ALERTING, ErrorValue.INVALID_CONNECTION_STATE,
              f"{alerting} is not alerting")
    call = conn.call
    dest = m.resolve(destination, ErrorValue.INVALID_DESTINATION, exclude=call)
    m.require_reachable(dest)
    m.require(dest.device is not None and dest.device.kind is DeviceKind.STATION,
              ErrorValue.INVALID_DESTINATION, f"only stations ring together; {destination} is not one")
    call.forked |= {conn.device.id, destination}
    new = m.deliver(call, dest, now, EventCause.REDIRECTED)
    assert new is not None
    return new


def _divert(m: CallModel, conn: Connection, to: str, inp: Input, cause: EventCause, now: float) -> None:
    """Take ``conn`` out of its call toward ``to`` (Diverted; the diverting device becomes the
    call's last redirection device)."""
    call, dev = conn.call, conn.device
    head = m.header(call, now, cause, to)  # before the departure: the diverting device is told
    m.remove(conn, inp, now, cause, report=False)
    call.last_redirection = dev.id
    m.emit(
        Diverted(
            **head,
            connection=conn.cid,
            diverting_device=dev.id,
            new_destination=to,
            last_redirection_device=dev.id,
            local_connection_info=_S.NULL,
        )
    )


def _pickup_requester(m: CallModel, requesting: str) -> Device:
    """Validate the device that picks a call up."""
    req = m.device(requesting)
    m.require(req.kind in _CONTROLLABLE, ErrorValue.REQUEST_INCOMPATIBLE_WITH_DEVICE, f"{req.id} cannot pick up")
    m.require(req.in_service, ErrorValue.DEVICE_OUT_OF_SERVICE, f"{req.id} is out of service")
    if req.kind is DeviceKind.STATION:
        m.require(not m.has_state(req, BUSY_STATES), ErrorValue.INVALID_DEVICE_STATE, f"{req.id} is busy")
    return req


def _pickup(m: CallModel, picked: Connection, req: Device, now: float) -> ConnectionID:
    """Move an alerting call from ``picked``'s device to ``req``, answered."""
    call = picked.call
    m.require(req.id not in call.conns, ErrorValue.NOT_DIFFERENT_DEVICES, f"{req.id} is already in {call.id}")
    _divert(m, picked, req.id, Input.PICKED_UP, EventCause.CALL_PICKUP, now)
    new = m.create(call, req, Input.JOIN)
    if req.kind is DeviceKind.STATION:
        m.command(AnswerLine(device=req.id))
    m.establish(new, now, EventCause.CALL_PICKUP)  # lastRedirectionDevice: the picked device
    return new.cid


def directed_pickup_call(
    m: CallModel, call_to_be_picked_up: ConnectionID | str, requesting_device: str, now: float
) -> ConnectionID:
    """``requesting_device`` answers a call alerting elsewhere.

    ``call_to_be_picked_up`` is the alerting connection, or a device id meaning its oldest
    alerting connection.  Events: Diverted then Established (cause callPickup).  Returns the
    requesting device's new connection.
    """
    if isinstance(call_to_be_picked_up, ConnectionID):
        picked = m.conn(call_to_be_picked_up)
    else:
        dev = m.device(call_to_be_picked_up, ErrorValue.INVALID_PICK_UP_DEVICE_ID)
        ringing = [c for c in dev.conns.values() if c.state is _S.ALERTING]
        m.require(bool(ringing), ErrorValue.NO_CALL_TO_ANSWER, f"nothing alerting at {dev.id}")
        picked = ringing[0]
    m.check(picked, Input.PICKED_UP)
    req = _pickup_requester(m, requesting_device)
    return _pickup(m, picked, req, now)


def group_pickup_call(m: CallModel, new_destination: str, pick_group: str | None, now: float) -> ConnectionID:
    """``new_destination`` answers the oldest call alerting at a station of ``pick_group``
    (default: its own pickup group).  Events as for the directed pickup."""
    req = _pickup_requester(m, new_destination)
    group = pick_group if pick_group is not None else req.pickup_group
    m.require(group is not None, ErrorValue.INVALID_PARAMETER_VALUE, f"{req.id} has no pickup group")
    assert group is not None
    picked = next(
        (c for c in m.group_alerting.get(group, {}).values() if req.id not in c.call.conns),
        None,
    )
    m.require(picked is not None, ErrorValue.NO_CALL_TO_ANSWER, f"nothing alerting in pickup group {group}")
    assert picked is not None
    m.check(picked, Input.PICKED_UP)
    return _pickup(m, picked, req, now)
