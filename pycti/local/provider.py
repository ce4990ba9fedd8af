"""LocalProvider: the Provider API over pycti's own soft switch (asyncio, thin).

A background task steps the :class:`~pycti.local.engine.SwitchEngine` once per tick — paced by
the wall clock with ``realtime=True`` (or by a driver's media clock), otherwise in virtual time
as fast as the CPU allows — hands the CSTA events to the monitors and fires the timers of
:meth:`LocalProvider.sleep`.  Services call straight into the sans-I/O core: they return as
soon as the core accepted them.

Closing (``aclose()`` or leaving ``async with``) ends every monitor stream, wakes every
``sleep()`` and ``play(wait=True)`` with :class:`ProviderClosed`, and frees the drivers; every
later call raises :class:`ProviderClosed`, and a closed provider cannot be entered again.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import os
import types
from collections.abc import Callable, Generator, Sequence, Sized
from typing import Any, TypeVar

import numpy as np

from ..clock import Clock, RealClock
from ..drivers.base import CallerIdentity, Driver
from ..errors import CstaError, ErrorValue, PyctiError
from ..media.recorder import Recorder, RecordingFailed
from ..monitor import EventStream
from ..media.taps import FrameTap, TapDone, TapHandle
from ..provider import CallSnapshotEntry, DeviceSnapshotEntry, MediaProvider, PlayOutcome, Recording, TapOutcome
from ..switch.agent_states import PendingAgentState, RequestedAgentState
from ..switch.agents import AgentStateEntry
from ..switch.events import CallCleared, CstaEvent
from ..switch.ids import ConnectionID
from .config import SwitchConfig
from .engine import Notice, SwitchEngine

__all__ = ["LocalProvider", "ProviderClosed", "CallRecording"]

log = logging.getLogger("pycti.local")

T = TypeVar("T")

#: How many times the tick loop yields to other tasks between two virtual-time ticks, so that
#: applications react to one tick's events before the next (deterministic: no wall clock).
_VIRTUAL_YIELDS = 4


@types.coroutine
def _sleep0() -> Generator[None, None, None]:
    """``await asyncio.sleep(0)`` without its coroutine wrapper: one bare yield, which the task
    answers by scheduling itself again behind the callbacks already ready."""
    yield


async def _yield_to_ready(times: int, ready: Sized | None) -> None:
    """Yield to the other tasks ``times`` times, as ``times`` ``asyncio.sleep(0)`` would, but
    stop early once nothing else is ready to run (``ready``: the event loop's queue of ready
    callbacks): the yields left would only resume this task (no task or callback can become
    ready meanwhile except by I/O or a wall-clock timer, which virtual time does not wait for).
    Without a ready queue to look at (an event loop other than asyncio's own), all ``times``
    yields are made."""
    for _ in range(times):
        await _sleep0()
        if ready is not None and not ready:
            return


class ProviderClosed(PyctiError, RuntimeError):
    """The provider was closed (or its tick loop failed); it serves nothing any more."""


class CallRecording(Recording):
    """A recording bound to one call; it stops by itself when the call clears."""

    def __init__(self, call_id: str, devices: tuple[str, ...], recorder: Recorder) -> None:
        self.call_id = call_id
        self.devices = devices
        self.recorder = recorder
        self.path = recorder.path

    @property
    def active(self) -> bool:
        return not self.recorder.closed and not self.recorder.paused

    @property
    def paused(self) -> bool:
        return self.recorder.paused

    def __repr__(self) -> str:
        state = "closed" if self.recorder.closed else "paused" if self.paused else "recording"
        return f"CallRecording({self.call_id!r}, {self.devices}, {state})"


def _check_audio(audio: object) -> np.ndarray | str:
    """Validate play()'s audio argument: a 1-D int16 array or a path."""
    if isinstance(audio, (str, os.PathLike)):
        return os.fspath(audio) if isinstance(audio, os.PathLike) else audio
    if not isinstance(audio, np.ndarray):
        raise ValueError(f"play() takes a 1-D int16 numpy array at 8 kHz or a file path, got {type(audio).__name__}")
    if audio.dtype != np.int16:
        raise ValueError(f"play() audio must be int16 samples at 8 kHz, got dtype {audio.dtype}")
    if audio.ndim != 1 or audio.size == 0:
        raise ValueError(f"play() audio must be a non-empty 1-D array, got shape {audio.shape}")
    return audio


class LocalProvider(MediaProvider):
    """Provider over a local switch; build it with :func:`pycti.open`."""

    def __init__(self, config: SwitchConfig, drivers: Sequence[Driver] | None = None) -> None:
        self.config = config
        self.drivers: list[Driver] = list(drivers) if drivers else [_make_driver(config)]
        self.engine = SwitchEngine(config, self.drivers)
        self._period_s = config.tick_ms / 1000.0
        self._monitors: dict[str, set[EventStream[Any]]] = {}
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._plays: dict[int, tuple[asyncio.Future[PlayOutcome], str]] = {}
        self._call_plays: dict[str, set[int]] = {}  #: call id -> handle ids in _plays
        self._taps: dict[int, tuple[asyncio.Future[TapOutcome], str, TapHandle]] = {}
        self._recordings: dict[str, list[CallRecording]] = {}
        self._notices: set[EventStream[Notice]] = set()
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._closed = False
        self._entered = False
        self._tick_listeners: list[Callable[[float], None]] = []
        self._clock: Clock | None = None

    @property
    def driver(self) -> Any:
        """The first driver (the only one unless several were given)."""
        return self.drivers[0]

    # ---------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> LocalProvider:
        if self._closed:
            raise ProviderClosed("this provider was closed; open a new one")
        if self._entered:
            raise PyctiError("this provider is already running")
        self._entered = True
        for d in self.drivers:
            await d.__aenter__()
        clocks = [c for c in (d.media_clock() for d in self.drivers if hasattr(d, "media_clock")) if c is not None]
        self._clock = clocks[0] if clocks else (RealClock() if self.config.realtime else None)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pycti-tick-loop")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the tick loop, end every monitor stream, wake every waiter with
        :class:`ProviderClosed`, finish recordings and release the drivers."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._end_streams()
        closed = ProviderClosed("the provider was closed")
        for _, _, fut in self._timers:
            if not fut.done():
                fut.set_exception(closed)
        self._timers.clear()
        for play_fut, _ in self._plays.values():
            if not play_fut.done():
                play_fut.set_exception(closed)
        self._plays.clear()
        self._call_plays.clear()
        for tap_fut, _, _ in self._taps.values():
            if not tap_fut.done():
                tap_fut.set_result(TapOutcome.DETACHED)
        self._taps.clear()
        for d in self.drivers:
            try:
                await d.__aexit__(None, None, None)
            except Exception:  # noqa: BLE001 - one driver failing to close must not keep the others open
                log.exception("closing driver %r failed", d)
        self.engine.close()
        if self._failure is not None:
            raise PyctiError(f"the switch's tick loop failed: {self._failure!r}") from self._failure

    def _end_streams(self) -> None:
        for streams in list(self._monitors.values()):
            for s in list(streams):
                s.close()
        for n in list(self._notices):
            n.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ProviderClosed("the provider is closed")
        if self._failure is not None:
            raise ProviderClosed(f"the switch's tick loop failed: {self._failure!r}")

    async def _run(self) -> None:
        tick = 0
        ready = getattr(asyncio.get_running_loop(), "_ready", None)  # see _yield_to_ready
        try:
            while True:
                now = tick * self._period_s
                if self._clock is not None:
                    await self._clock.sleep_until(now)
                self.engine.step(now)
                self._dispatch()
                self._fire_timers(now)
                for listener in list(self._tick_listeners):
                    try:
                        listener(now)
                    except Exception:  # noqa: BLE001 - one bad listener must not stop the switch
                        log.exception("tick listener %r failed; removed", listener)
                        self._tick_listeners.remove(listener)
                        self.engine.notices.append(Notice(time=now, kind="listener_failed",
                                                          text=f"tick listener {listener!r} raised and was removed"))
                if self._clock is None:
                    await _yield_to_ready(_VIRTUAL_YIELDS, ready)
                tick += 1
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # keep it, end the streams and waiters, report it on close
            log.exception("tick loop failed")
            self._failure = exc
            self._end_streams()
            err = ProviderClosed(f"the switch's tick loop failed: {exc!r}")
            for _, _, fut in self._timers:
                if not fut.done():
                    fut.set_exception(err)
            for play_fut, _ in self._plays.values():
                if not play_fut.done():
                    play_fut.set_exception(err)
            for tap_fut, _, _ in self._taps.values():
                if not tap_fut.done():
                    tap_fut.set_exception(err)

    def add_tick_listener(self, fn: Callable[[float], None]) -> None:
        """Call ``fn(now)`` after every tick (simulation harnesses use this).  A listener that
        raises is removed and reported as a Notice; the switch goes on."""
        self._tick_listeners.append(fn)

    # ---------------------------------------------------------------- time
    def now(self) -> float:
        return self.engine.now

    async def sleep(self, seconds: float) -> None:
        self._check_open()
        if seconds != seconds:
            raise ValueError("sleep() needs a number of seconds, got NaN")
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.engine.now + seconds, next(self._seq), fut))
        await fut

    def _fire_timers(self, now: float) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now + 1e-9:
            _, _, fut = heapq.heappop(timers)
            if not fut.done():
                fut.set_result(None)

    # ---------------------------------------------------------------- events
    def _dispatch(self) -> None:
        eng = self.engine
        if eng.media_events:
            for ev in eng.media_events:
                if isinstance(ev, TapDone):
                    self._tap_done(ev)
                    continue
                handle_id = getattr(ev, "handle_id", -1)
                entry = self._plays.pop(handle_id, None)
                if entry is not None:
                    self._call_plays.get(entry[1], set()).discard(handle_id)
                if entry is not None and not entry[0].done():
                    reason = getattr(ev, "reason", "completed")
                    entry[0].set_result(PlayOutcome.COMPLETED if reason == "completed" else PlayOutcome.STOPPED)
                if isinstance(ev, RecordingFailed):
                    eng.notices.append(Notice(time=eng.now, kind="recording_failed", text=str(ev)))
            eng.media_events.clear()
        if eng.notices:
            notices, eng.notices = eng.notices, []
            for n in notices:
                for s in self._notices:
                    s.put(n)
        if eng.events:
            events, eng.events = eng.events, []
            for ev in events:
                self._route(ev)
                if isinstance(ev, CallCleared):
                    self._call_ended(ev.cleared_call)
        if eng.removed:  # their last events (OutOfService ...) are delivered: end their streams
            for dev in eng.removed:
                for stream in list(self._monitors.pop(dev, set())):
                    stream.close()
            eng.removed.clear()

    def _route(self, ev: Any) -> None:
        for dev in ev.devices():
            streams = self._monitors.get(dev)
            if streams:
                for s in streams:
                    xref = getattr(s, "xref", None)
                    if xref is not None and isinstance(ev, CstaEvent):
                        s.put(ev.on_monitor(xref))
                    else:
                        s.put(ev)

    def _tap_done(self, ev: TapDone) -> None:
        entry = self._taps.pop(ev.handle_id, None)
        if ev.error is not None:
            self.engine.notices.append(Notice(time=self.engine.now, kind="tap_failed",
                                              text=f"tap on channel {ev.channel} failed: {ev.error}"))
        if entry is not None and not entry[0].done():
            entry[0].set_result(TapOutcome.FAILED if ev.reason == "failed" else
                                TapOutcome.DONE if ev.reason == "done" else TapOutcome.DETACHED)

    def _call_ended(self, call_id: str) -> None:
        """A call cleared: stop its recordings, taps and waiting prompts."""
        for handle_id, (tap_fut, cid, handle) in list(self._taps.items()):
            if cid == call_id:
                del self._taps[handle_id]
                self.engine.media.detach_tap(handle)
                if not tap_fut.done():
                    tap_fut.set_result(TapOutcome.CALL_CLEARED)
        for rec in self._recordings.pop(call_id, []):
            self.engine.media.stop_recording(rec.recorder)
        for handle_id in self._call_plays.pop(call_id, ()):
            entry = self._plays.pop(handle_id, None)
            if entry is not None and not entry[0].done():
                entry[0].set_result(PlayOutcome.CALL_CLEARED)

    def monitor(self, device: str, *, maxsize: int = 10_000) -> EventStream[Any]:
        self._check_open()
        xref = self.engine.core.monitor_start(device)
        stream: EventStream[Any] = EventStream(maxsize=maxsize, on_close=self._unmonitor, name=device)
        stream.xref = xref  # type: ignore[attr-defined]
        self._monitors.setdefault(device, set()).add(stream)
        return stream

    def caller_of(self, trunk: str) -> CallerIdentity | None:
        """Who calls on ``trunk`` now, as the line told it (number, name, and whether the
        number was withheld or unavailable); None when the trunk has no incoming call."""
        return self.engine.callers.get(trunk)

    def notices(self, *, maxsize: int = 10_000) -> EventStream[Notice]:
        """An async iterator of the switch's :class:`~pycti.local.engine.Notice` values:
        refused driver requests, dead ports, failed detectors and recordings, lost events."""
        self._check_open()
        stream: EventStream[Notice] = EventStream(maxsize=maxsize, on_close=self._notices.discard, name="notices")
        self._notices.add(stream)
        return stream

    def _unmonitor(self, stream: EventStream[Any]) -> None:
        self._monitors.get(stream.name, set()).discard(stream)
        if not self._closed:
            try:
                self.engine.core.monitor_stop(stream.xref)  # type: ignore[attr-defined]
            except CstaError:
                pass

    # ---------------------------------------------------------------- services
    def _svc(self, fn: Callable[[float], T]) -> T:
        self._check_open()
        result = self.engine.service(fn)
        self._dispatch()
        return result

    async def make_call(self, calling_device: str, called_number: str) -> ConnectionID:
        return self._svc(lambda now: self.engine.core.make_call(calling_device, called_number, now))

    async def answer_call(self, connection: ConnectionID) -> None:
        self._svc(lambda now: self.engine.core.answer_call(connection, now))

    async def clear_connection(self, connection: ConnectionID) -> None:
        self._svc(lambda now: self.engine.core.clear_connection(connection, now))

    async def clear_call(self, call_id: str) -> None:
        self._svc(lambda now: self.engine.core.clear_call(call_id, now))

    async def hold_call(self, connection: ConnectionID) -> None:
        self._svc(lambda now: self.engine.core.hold_call(connection, now))

    async def retrieve_call(self, connection: ConnectionID) -> None:
        self._svc(lambda now: self.engine.core.retrieve_call(connection, now))

    async def alternate_call(self, held: ConnectionID, active: ConnectionID) -> None:
        self._svc(lambda now: self.engine.core.alternate_call(held, active, now))

    async def reconnect_call(self, active: ConnectionID, held: ConnectionID) -> None:
        self._svc(lambda now: self.engine.core.reconnect_call(active, held, now))

    async def consultation_call(self, existing: ConnectionID, consulted_device: str) -> ConnectionID:
        return self._svc(lambda now: self.engine.core.consultation_call(existing, consulted_device, now))

    async def transfer_call(self, held: ConnectionID, active: ConnectionID) -> ConnectionID:
        return self._svc(lambda now: self.engine.core.transfer_call(held, active, now))

    async def conference_call(self, held: ConnectionID, active: ConnectionID) -> ConnectionID:
        return self._svc(lambda now: self.engine.core.conference_call(held, active, now))

    async def single_step_transfer_call(self, active: ConnectionID, transferred_to: str) -> ConnectionID:
        return self._svc(lambda now: self.engine.core.single_step_transfer_call(active, transferred_to, now))

    async def deflect_call(self, connection: ConnectionID, new_destination: str) -> None:
        self._svc(lambda now: self.engine.core.deflect_call(connection, new_destination, now))

    async def single_step_conference_call(self, active: ConnectionID, device_to_join: str, *,
                                          participation: str = "active") -> ConnectionID:
        return self._svc(lambda now: self.engine.core.single_step_conference_call(
            active, device_to_join, now, participation=participation))

    async def set_participation(self, joined: ConnectionID, participation: str) -> None:
        self._svc(lambda now: self.engine.core.set_participation(joined, participation, now))

    async def deflect_call_to_all(self, connection: ConnectionID, new_destinations: Sequence[str]) -> None:
        self._svc(lambda now: self.engine.core.deflect_call_to_all(connection, tuple(new_destinations), now))

    async def alert_also(self, alerting: ConnectionID, destination: str) -> ConnectionID:
        return self._svc(lambda now: self.engine.core.alert_also(alerting, destination, now))

    async def directed_pickup_call(self, picked_device: str, requesting_device: str) -> ConnectionID:
        return self._svc(lambda now: self.engine.core.directed_pickup_call(picked_device, requesting_device, now))

    async def group_pickup_call(self, requesting_device: str) -> ConnectionID:
        return self._svc(lambda now: self.engine.core.group_pickup_call(requesting_device, now))

    async def generate_digits(self, connection: ConnectionID, digits: str) -> None:
        self._svc(lambda now: self.engine.core.generate_digits(connection, digits, now))

    async def set_agent_state(
        self, device: str, requested: RequestedAgentState, *, agent_id: str | None = None,
        password: str | None = None, group: str | None = None, reason: str | None = None,
    ) -> PendingAgentState | None:
        return self._svc(lambda now: self.engine.core.set_agent_state(
            device, requested, now, agent_id=agent_id, password=password, group=group, reason=reason))

    async def get_agent_state(self, device: str) -> AgentStateEntry:
        self._check_open()
        return self.engine.core.get_agent_state(device)

    async def snapshot_device(self, device: str) -> list[DeviceSnapshotEntry]:
        self._check_open()
        return [DeviceSnapshotEntry(c, s) for c, s in self.engine.core.snapshot_device(device)]

    async def snapshot_call(self, call_id: str) -> list[CallSnapshotEntry]:
        self._check_open()
        return [CallSnapshotEntry(d, c, s) for d, c, s in self.engine.core.snapshot_call(call_id)]

    # ---------------------------------------------------------------- media
    def _connection(self, connection: object, service: str) -> ConnectionID:
        if not isinstance(connection, ConnectionID):
            raise CstaError(ErrorValue.INVALID_CONNECTION_ID,
                            f"{service} needs a ConnectionID, got {type(connection).__name__}")
        try:  # the call's few connections, not every connection of a trunk group
            known = any(c == connection for _, c, _ in self.engine.core.snapshot_call(connection.call_id))
        except CstaError:
            known = False
        if not known:
            raise CstaError(ErrorValue.INVALID_CONNECTION_ID, f"{service}: no connection {connection}")
        return connection

    async def play(self, connection: ConnectionID, audio: np.ndarray | str, *, wait: bool = True,
                   loop: bool = False) -> PlayOutcome | None:
        self._check_open()
        conn = self._connection(connection, "play")
        source = _check_audio(audio)
        if isinstance(source, str):
            from ..dsp.audiofile import read_audio

            samples = await asyncio.to_thread(read_audio, source)  # never on the tick loop's thread
            self._check_open()
        else:
            samples = source
        channels = self.engine.call_channels(conn.call_id, exclude=conn.device_id)
        if not channels:
            raise CstaError(ErrorValue.INVALID_CONNECTION_STATE,
                            f"{conn}: no connected party with audio to play to")
        media = self.engine.media
        futures: list[asyncio.Future[PlayOutcome]] = []
        for ch in channels:
            handle = media.play(ch, samples, loop=loop)
            if wait and not loop:
                fut: asyncio.Future[PlayOutcome] = asyncio.get_running_loop().create_future()
                self._plays[handle.handle_id] = (fut, conn.call_id)
                self._call_plays.setdefault(conn.call_id, set()).add(handle.handle_id)
                futures.append(fut)
        if not futures:
            return None
        outcomes = await asyncio.gather(*futures)
        for outcome in (PlayOutcome.CALL_CLEARED, PlayOutcome.STOPPED):
            if outcome in outcomes:
                return outcome
        return PlayOutcome.COMPLETED

    async def run_tap(self, connection: ConnectionID, tap: FrameTap) -> TapOutcome:
        self._check_open()
        conn = self._connection(connection, "run_tap")
        channels = self.engine.call_channels(conn.call_id, exclude=conn.device_id)
        if len(channels) != 1:
            raise CstaError(ErrorValue.INVALID_CONNECTION_STATE,
                            f"{conn}: a tap needs exactly one other party with audio, the call has {len(channels)}")
        try:
            handle = self.engine.media.attach_tap(channels[0], tap)
        except (TypeError, ValueError) as exc:
            raise CstaError(ErrorValue.INVALID_PARAMETER_VALUE, f"run_tap({conn}): {exc}") from None
        fut: asyncio.Future[TapOutcome] = asyncio.get_running_loop().create_future()
        self._taps[handle.handle_id] = (fut, conn.call_id, handle)
        return await fut

    async def stop_playing(self, connection: ConnectionID) -> None:
        self._check_open()
        conn = self._connection(connection, "stop_playing")
        for ch in self.engine.call_channels(conn.call_id, exclude=conn.device_id):
            self.engine.media.stop_playing(ch)

    async def record(self, call_id: str, path: str | os.PathLike[str], *,
                     devices: Sequence[str] | None = None) -> CallRecording:
        self._check_open()
        if not isinstance(call_id, str):
            raise CstaError(ErrorValue.INVALID_CALL_ID, f"record needs a call id, got {type(call_id).__name__}")
        self.engine.core.snapshot_call(call_id)  # CstaError(invalidCallID) for an unknown call
        parties = self.engine.parties.get(call_id, ())
        chosen = tuple(devices) if devices is not None else tuple(d for d in parties if d in self.engine.port_of)
        for d in chosen:
            if d not in parties or d not in self.engine.port_of:
                raise CstaError(ErrorValue.INVALID_DEVICE_ID, f"{d!r} is not a connected party of {call_id}")
        if not chosen:
            raise CstaError(ErrorValue.INVALID_CALL_ID, f"{call_id!r} has no connected parties to record")
        recorder = self.engine.media.record(tuple(self.engine.port_of[d] for d in chosen), path)
        rec = CallRecording(call_id, chosen, recorder)
        self._recordings.setdefault(call_id, []).append(rec)
        return rec

    async def stop_recording(self, recording: Recording) -> None:
        if not isinstance(recording, CallRecording):
            raise ValueError(f"stop_recording takes what record() returned, got {type(recording).__name__}")
        self.engine.media.stop_recording(recording.recorder)
        recs = self._recordings.get(recording.call_id, [])
        if recording in recs:
            recs.remove(recording)

    async def pause_recording(self, recording: Recording, paused: bool = True) -> None:
        if not isinstance(recording, CallRecording):
            raise ValueError(f"pause_recording takes what record() returned, got {type(recording).__name__}")
        self._check_open()
        self.engine.media.pause_recording(recording.recorder, paused)


def _make_driver(config: SwitchConfig) -> Driver:
    if config.driver == "sim":
        from ..drivers.analog import AnalogConfig
        from ..drivers.sim import SimDriver

        analog = AnalogConfig(caller_id=config.caller_id, country=config.country)
        return SimDriver(config.trunks, config.stations, seed=config.seed,
                         report_loop_drop=config.report_loop_drop, config=analog)
    raise ValueError(f"unknown driver {config.driver!r}; available: 'sim'")
