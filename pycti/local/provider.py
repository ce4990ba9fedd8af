"""LocalProvider: the Provider API over pycti's own soft switch (asyncio, thin).

A background task steps the :class:`~pycti.local.engine.SwitchEngine` once per tick — paced by
the wall clock with ``realtime=True``, otherwise in virtual time as fast as the CPU allows —
hands the CSTA events to the monitors and fires the timers of :meth:`LocalProvider.sleep`.
Services call straight into the sans-I/O core: they return as soon as the core accepted them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import CstaError, ErrorValue, PyctiError
from ..monitor import EventStream
from ..provider import Provider
from ..clock import RealClock
from ..switch.ids import ConnectionID
from .config import SwitchConfig
from .engine import SwitchEngine

__all__ = ["LocalProvider"]

log = logging.getLogger("pycti.local")

#: How many times the tick loop yields to other tasks between two virtual-time ticks, so that
#: applications react to one tick's events before the next (deterministic: no wall clock).
_VIRTUAL_YIELDS = 4


class LocalProvider(Provider):
    """Provider over a local switch; build it with :func:`pycti.open`."""

    def __init__(self, config: SwitchConfig) -> None:
        self.config = config
        self.driver = _make_driver(config)
        self.engine = SwitchEngine(config, self.driver)
        self._period_s = config.tick_ms / 1000.0
        self._monitors: dict[str, set[EventStream[Any]]] = {}
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._plays: dict[int, asyncio.Future[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._closed = False
        self._tick_listeners: list[Any] = []

    # ---------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> LocalProvider:
        self._clock = RealClock() if self.config.realtime else None
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pycti-tick-loop")
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the tick loop, end every monitor stream and release the driver."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for streams in list(self._monitors.values()):
            for s in list(streams):
                s.close()
        for _, _, fut in self._timers:
            if not fut.done():
                fut.cancel()
        self.engine.close()
        if self._failure is not None:
            raise PyctiError(f"the switch's tick loop failed: {self._failure!r}") from self._failure

    async def _run(self) -> None:
        tick = 0
        try:
            while True:
                now = tick * self._period_s
                if self._clock is not None:
                    await self._clock.sleep_until(now)
                self.engine.step(now)
                self._dispatch()
                self._fire_timers(now)
                for listener in self._tick_listeners:
                    listener(now)
                if self._clock is None:
                    for _ in range(_VIRTUAL_YIELDS):
                        await asyncio.sleep(0)
                tick += 1
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # keep it, end the streams, report it on close
            log.exception("tick loop failed")
            self._failure = exc
            for streams in list(self._monitors.values()):
                for s in list(streams):
                    s.close()

    def add_tick_listener(self, fn: Any) -> None:
        """Call ``fn(now)`` after every tick (simulation harnesses use this)."""
        self._tick_listeners.append(fn)

    # ---------------------------------------------------------------- time
    def now(self) -> float:
        return self.engine.now

    async def sleep(self, seconds: float) -> None:
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
                fut = self._plays.pop(getattr(ev, "handle_id", -1), None)
                if fut is not None and not fut.done():
                    fut.set_result(None)
            eng.media_events.clear()
        if not eng.events:
            return
        events, eng.events = eng.events, []
        for ev in events:
            self._route(ev)

    def _route(self, ev: Any) -> None:
        for dev in ev.devices():
            streams = self._monitors.get(dev)
            if streams:
                for s in streams:
                    s.put(ev)

    def monitor(self, device: str, *, maxsize: int = 10_000) -> EventStream[Any]:
        xref = self.engine.invoke("monitor_start", device)
        stream: EventStream[Any] = EventStream(maxsize=maxsize, on_close=self._unmonitor, name=device)
        stream.xref = xref  # type: ignore[attr-defined]
        self._monitors.setdefault(device, set()).add(stream)
        return stream

    def _unmonitor(self, stream: EventStream[Any]) -> None:
        self._monitors.get(stream.name, set()).discard(stream)
        if not self._closed:
            try:
                self.engine.invoke("monitor_stop", stream.xref)  # type: ignore[attr-defined]
            except CstaError:
                pass

    # ---------------------------------------------------------------- services
    def _svc(self, name: str, *args: Any) -> Any:
        if self._closed:
            raise PyctiError("provider is closed")
        if self._failure is not None:
            raise PyctiError(f"the switch's tick loop failed: {self._failure!r}")
        result = self.engine.invoke(name, *args)
        self._dispatch()
        return result

    async def make_call(self, calling_device: str, called_number: str) -> ConnectionID:
        return self._svc("make_call", calling_device, called_number)

    async def answer_call(self, connection: ConnectionID) -> None:
        self._svc("answer_call", connection)

    async def clear_connection(self, connection: ConnectionID) -> None:
        self._svc("clear_connection", connection)

    async def clear_call(self, call_id: str) -> None:
        self._svc("clear_call", call_id)

    async def hold_call(self, connection: ConnectionID) -> None:
        self._svc("hold_call", connection)

    async def retrieve_call(self, connection: ConnectionID) -> None:
        self._svc("retrieve_call", connection)

    async def alternate_call(self, held: ConnectionID, active: ConnectionID) -> None:
        self._svc("alternate_call", held, active)

    async def reconnect_call(self, active: ConnectionID, held: ConnectionID) -> None:
        self._svc("reconnect_call", active, held)

    async def consultation_call(self, existing: ConnectionID, consulted_device: str) -> ConnectionID:
        return self._svc("consultation_call", existing, consulted_device)

    async def transfer_call(self, held: ConnectionID, active: ConnectionID) -> Any:
        return self._svc("transfer_call", held, active)

    async def conference_call(self, held: ConnectionID, active: ConnectionID) -> Any:
        return self._svc("conference_call", held, active)

    async def single_step_transfer_call(self, active: ConnectionID, transferred_to: str) -> ConnectionID:
        return self._svc("single_step_transfer_call", active, transferred_to)

    async def deflect_call(self, connection: ConnectionID, new_destination: str) -> None:
        self._svc("deflect_call", connection, new_destination)

    async def directed_pickup_call(self, picked_device: str, requesting_device: str) -> ConnectionID:
        return self._svc("directed_pickup_call", picked_device, requesting_device)

    async def group_pickup_call(self, requesting_device: str) -> ConnectionID:
        return self._svc("group_pickup_call", requesting_device)

    async def generate_digits(self, connection: ConnectionID, digits: str) -> None:
        self._svc("generate_digits", connection, digits)

    async def snapshot_device(self, device: str) -> Sequence[Any]:
        return self._svc("snapshot_device", device)

    async def snapshot_call(self, call_id: str) -> Sequence[Any]:
        return self._svc("snapshot_call", call_id)

    # ---------------------------------------------------------------- media
    async def play(self, connection: ConnectionID, audio: np.ndarray | str, *, wait: bool = True,
                   loop: bool = False) -> None:
        channels = self.engine.call_channels(connection.call_id, exclude=connection.device_id)
        if not channels:
            raise CstaError(
                ErrorValue.INVALID_CONNECTION_STATE, f"{connection}: no connected party with audio to play to",
                
            )
        media = self.engine.media
        futures = []
        for ch in channels:
            if isinstance(audio, str):
                handle = media.play_file(ch, audio, loop=loop)
            else:
                handle = media.play(ch, np.asarray(audio, dtype=np.int16), loop=loop)
            if wait and not loop:
                fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._plays[handle.handle_id] = fut
                futures.append(fut)
        if futures:
            await asyncio.gather(*futures)

    async def stop_playing(self, connection: ConnectionID) -> None:
        for ch in self.engine.call_channels(connection.call_id, exclude=connection.device_id):
            self.engine.media.stop_playing(ch)

    def record(self, call_id: str, path: str) -> Any:
        """Record a call's first two parties to a stereo WAV (one party per channel)."""
        channels = self.engine.call_channels(call_id)
        if not channels:
            raise CstaError(ErrorValue.INVALID_CALL_ID, f"{call_id!r} has no parties to record")
        return self.engine.media.record(tuple(channels[:2]), path)


def _make_driver(config: SwitchConfig) -> Any:
    if config.driver == "sim":
        from ..drivers.sim import SimDriver

        return SimDriver(config.trunks, config.stations, seed=config.seed, report_loop_drop=config.report_loop_drop)
    raise ValueError(f"unknown driver {config.driver!r}; available: 'sim'")
